// The debug runtime's dumps as a program sees them: each case runs a program of dump_child.cc
// in a child process and reads its stderr (and, with WEAVE_DUMP, its JSON).
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "run_child.h"

namespace {

weave_seeds::ChildResult RunDumpChild(const std::string& program) {
  return weave_seeds::RunChild({WEAVE_DUMP_CHILD, program}, 30000);
}

std::string FirstMatch(const std::string& text, const std::string& re) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(re)) || m.size() < 2) return "";
  return m[1];
}

// The exit dump is taken before main's thread_locals go: main still holds the mutex then.
TEST(ExitDump, NamesMainAsTheHolderOfAMutexItHolds) {
  auto r = RunDumpChild("main-holds-mutex");
  ASSERT_TRUE(r.exited && r.status == 0) << r.err;
  const std::string main_id = FirstMatch(r.err, R"(created at [^\n]* by thread (\d+))");
  ASSERT_FALSE(main_id.empty()) << r.err;
  EXPECT_EQ(FirstMatch(r.err, R"(on mutex \d+ at 0x[0-9a-f]+, held by (\d+))"), main_id) << r.err;
}

}  // namespace
