// The debug runtime's dumps as a program sees them: each case runs a program of dump_child.cc
// in a child process and reads its stderr and, with WEAVE_DUMP, its JSON.
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "run_child.h"

namespace {

// Sets an environment variable for the children a test runs, and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

weave_seeds::ChildResult RunDumpChild(const std::string& program) {
  return weave_seeds::RunChild({WEAVE_DUMP_CHILD, program}, 30000);
}

// Runs a program with WEAVE_DUMP set and returns its JSON dump ("" if none was written).
std::string RunWithJson(const std::string& program, weave_seeds::ChildResult* r) {
  // Named after the test too: ctest runs the tests of this file in parallel, and two of them
  // run the same program.
  const std::string path = testing::TempDir() + "/weave_dump_test_" +
                           testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                           program + ".json";
  std::remove(path.c_str());
  {
    ScopedEnv dump("WEAVE_DUMP", path);
    *r = RunDumpChild(program);
  }
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string FirstMatch(const std::string& text, const std::string& re) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(re)) || m.size() < 2) return "";
  return m[1];
}

// The line the leaking sender of dump_child.cc blocks on, as it printed it.
std::string SendLine(const weave_seeds::ChildResult& r) {
  return FirstMatch(r.out, R"(send at line (\d+))");
}

// The exit dump is taken before main's thread_locals go: main still holds the mutex then.
TEST(ExitDump, NamesMainAsTheHolderOfAMutexItHolds) {
  auto r = RunDumpChild("main-holds-mutex");
  ASSERT_TRUE(r.exited && r.status == 0) << r.err;
  const std::string main_id = FirstMatch(r.err, R"(created at [^\n]* by thread (\d+))");
  ASSERT_FALSE(main_id.empty()) << r.err;
  EXPECT_EQ(FirstMatch(r.err, R"(on mutex \d+ at 0x[0-9a-f]+, held by (\d+))"), main_id) << r.err;
}

// Each frame of a stack shows its source line, found in the debug information: the user's frame
// that made the blocking call shows the line of that call.
TEST(ExitDump, StackFramesShowTheirSourceLines) {
  weave_seeds::ChildResult r;
  const std::string json = RunWithJson("leaks-a-sender", &r);
  ASSERT_TRUE(r.exited && r.status == 0) << r.err;
  const std::string line = SendLine(r);
  ASSERT_FALSE(line.empty()) << r.out;
  const std::string stack = r.err.substr(r.err.find("stack of fiber"));
  EXPECT_TRUE(absl::StrContains(stack, absl::StrCat("dump_child.cc:", line, "\n"))) << r.err;
  // In the JSON, past the blocking call's location (the stack's first entry), a frame with
  // module, offset and the same line.
  const std::regex frame(
      absl::StrCat(R"(\}, \{"file": "[^"]*dump_child\.cc", "line": )", line,
                   R"(, "function": "[^"]*", "module": "[^"]+", "offset": \d+\})"));
  EXPECT_TRUE(std::regex_search(json, frame)) << json;
}

// Without a tool to read the debug information, a frame keeps its name and shows where it lies
// in its object file.
TEST(ExitDump, WithoutASymbolizerFramesShowTheirObjectFileAndOffset) {
  ScopedEnv path("PATH", testing::TempDir() + "/weave_dump_test_no_tools");
  auto r = RunDumpChild("leaks-a-sender");
  ASSERT_TRUE(r.exited && r.status == 0) << r.err;
  const std::string stack = r.err.substr(r.err.find("stack of fiber"));
  EXPECT_TRUE(std::regex_search(
      stack, std::regex(R"(\n    [^\n]+\n        [^\n]*weave_exit_dump_child\+0x[0-9a-f]+\n)")))
      << r.err;
  EXPECT_FALSE(absl::StrContains(stack, "dump_child.cc:")) << r.err;
}

TEST(ExitDump, JsonHoldsTheBlockedFiberAndItsObject) {
  weave_seeds::ChildResult r;
  const std::string json = RunWithJson("leaks-a-sender", &r);
  ASSERT_TRUE(r.exited && r.status == 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(json, R"({"version": 1, "reason": "exit")")) << json;
  EXPECT_TRUE(absl::StrContains(json, R"("state": "chan send")")) << json;
#if !defined(__SANITIZE_ADDRESS__)  // the analysis does not run under it (unreachable_test.cc)
  EXPECT_TRUE(absl::StrContains(json, R"("unreachable": true)")) << json;
#endif
  // The file as the compiler was given it: relative or absolute, depending on the build.
  EXPECT_TRUE(std::regex_search(
      json,
      std::regex(absl::StrCat(R"("blocked_at": \{"file": "[^"]*tests/debug/dump_child\.cc", )",
                              R"("line": )", SendLine(r), ","))))
      << json;
  EXPECT_TRUE(std::regex_search(json, std::regex(R"("object": \{"kind": "chan", "id": \d+)")))
      << json;
  EXPECT_TRUE(absl::StrContains(json, "\"races\": [],\n \"locks\": []}")) << json;
}

// A hundred thousand fibers leaked by one bug are one group: a paragraph, not a hundred thousand.
TEST(ExitDump, HundredThousandLeakedFibersAreOneGroupLong) {
  auto r = weave_seeds::RunChild({WEAVE_DUMP_CHILD, "leaks-many", "100000"}, 600000);
  ASSERT_TRUE(r.exited && r.status == 0) << r.err.substr(0, 4000);
  EXPECT_TRUE(absl::StrContains(r.out, "100000 fibers: find_leaks ")) << r.out;
  EXPECT_TRUE(absl::StartsWith(r.err,
                               "weave: 100000 fibers blocked at exit, in 1 group:\n\n"
                               "100000 fibers [chan send, "))
      << r.err.substr(0, 4000);
  EXPECT_LT(r.err.size(), 4096u) << r.err.substr(0, 4000);
}

TEST(ExitDump, LeakExitCodeIsTheStatusOfARunThatLeaked) {
  ScopedEnv code("WEAVE_LEAK_EXITCODE", "7");
  auto leaked = RunDumpChild("leaks-a-sender");
  EXPECT_TRUE(leaked.exited && leaked.status == 7) << leaked.err;
  auto clean = RunDumpChild("clean");
  EXPECT_TRUE(clean.exited && clean.status == 0) << clean.err;
  EXPECT_FALSE(absl::StrContains(clean.err, "blocked at exit")) << clean.err;
}

TEST(ExitDump, BadLeakExitCodeIsSaidAndIgnored) {
  ScopedEnv code("WEAVE_LEAK_EXITCODE", "300");
  auto r = RunDumpChild("leaks-a-sender");
  EXPECT_TRUE(r.exited && r.status == 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "WEAVE_LEAK_EXITCODE=300 is not an exit status")) << r.err;
}

// A Semaphore waits in a select inside the runtime; the dump shows what the user called.
TEST(ExitDump, SemaphoreWaiterIsShownAcquiring) {
  weave_seeds::ChildResult r;
  const std::string json = RunWithJson("semaphore-waiter", &r);
  ASSERT_TRUE(r.exited && r.status == 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "1 fiber [semaphore acquire, ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "  on semaphore ")) << r.err;
  EXPECT_FALSE(absl::StrContains(r.err, "select")) << r.err;
  EXPECT_TRUE(absl::StrContains(json, R"("state": "semaphore acquire")")) << json;
  EXPECT_TRUE(absl::StrContains(json, R"("object": {"kind": "semaphore")")) << json;
}

// SIGQUIT, as in Go: `SIGQUIT: quit`, every blocked fiber, exit status 2.
TEST(SignalDump, SigquitPrintsTheReportAndExitsWithTwo) {
  weave_seeds::ChildResult r;
  const std::string json = RunWithJson("sigquit", &r);
  ASSERT_TRUE(r.exited && r.status == 2) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "SIGQUIT: quit\n\n")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "1 fiber [chan send, ")) << r.err;
  EXPECT_TRUE(absl::StartsWith(json, R"({"version": 1, "reason": "signal")")) << json;
  EXPECT_TRUE(absl::StrContains(json, R"("state": "chan send")")) << json;
}

TEST(PanicDump, ExceptionEscapingMainPrintsPanicAndTheDump) {
  weave_seeds::ChildResult r;
  const std::string json = RunWithJson("throws-from-main", &r);
  ASSERT_TRUE(r.signaled && r.signal == SIGABRT) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "panic: escaped main\n")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "1 fiber [chan send, ")) << r.err;
  EXPECT_TRUE(absl::StartsWith(json, R"({"version": 1, "reason": "panic")")) << json;
}

// A panic's stack, as Go prints a goroutine's: every frame of the user's code, with its line.
TEST(PanicDump, APanicsStackHasSourceLines) {
  weave_seeds::ChildResult r;
  RunWithJson("panics-in-a-fiber", &r);
  ASSERT_TRUE(r.signaled && r.signal == SIGABRT) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "panic: send on closed channel\n\nfiber ")) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex("  [^\n]*send_on_closed[^\n]*\n      [^\n]*dump_child\\.cc:[0-9]+\n")))
      << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "created by thread ")) << r.err;
}

}  // namespace
