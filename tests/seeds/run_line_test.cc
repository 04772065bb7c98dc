// One test per fixture of fixtures/seeds/ and fixtures/debug/ that has a `// run:` line: runs it
// linked against the debug runtime (weave-seeds-debug, weave-debug-fixtures) and checks the
// outcome the line states.
//
//   clean     it ends as the release run must (the `// exit:` status, default 0), and its exit
//             dump lists no blocked fiber
//   leak …    the exit dump lists exactly these fibers by state (`leak 2 chan send, 1 sleep`:
//             two blocked in `chan send`, one in `sleep`, none in any other state)
//   deadlock  `fatal error: all fibers are asleep - deadlock!` on stderr, exit status 2
//   panic     `panic: ` on stderr, death by SIGABRT
//   race      skipped here: the race detector needs the program built with its plugin
//             (tests/race/race_test.cc runs it so, in the race preset)
//
// and, whatever the outcome, that the run printed exactly the lock checks' warnings the line lists
// (`// run: double-lock, deadlock`), each kind as often as listed, none when none is, and that the
// JSON dump it wrote (WEAVE_DUMP) holds the same, as weave-dump reads it.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fixture.h"
#include "gtest/gtest.h"
#include "json_reader.h"
#include "read_dump.h"
#include "run_child.h"
#include "seed_files.h"

namespace weave_seeds {
namespace {

constexpr int kRunLimitMs = 20000;

std::string Describe(const std::map<std::string, int>& leaks) {
  if (leaks.empty()) return "none";
  return absl::StrJoin(leaks, ", ", [](std::string* out, const auto& kv) {
    absl::StrAppend(out, kv.second, " ", kv.first);
  });
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<SeedFile> WithRunLines(const std::string& dir, const std::string& program) {
  std::vector<SeedFile> out;
  for (const SeedFile& s : ListSeeds(dir, program)) {
    if (absl::StartsWith(ReadSeed(s), "// run:")) out.push_back(s);
  }
  return out;
}

// The kinds of the lock warnings in the JSON dump at `path`, read as weave-dump reads it; an error
// when it is missing or not a dump.
absl::StatusOr<std::vector<std::string>> LockWarningsInDumpFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no dump written to ", path));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    const weave::dump::Dump d = weave::dump::read_dump(text);
    std::vector<std::string> kinds;
    for (const weave::dump::LockWarning& w : d.locks) {
      if (w.sites.empty()) return absl::InvalidArgumentError("a lock warning without sites");
      kinds.emplace_back(w.kind);
    }
    return kinds;
  } catch (const weave::dump::InputError& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a dump: at byte ", e.offset(), ": ", e.what()));
  }
}

class SeedRunLineTest : public testing::TestWithParam<SeedFile> {};

TEST_P(SeedRunLineTest, DebugRuntimeFindsIt) {
  const SeedFile& seed = GetParam();
  absl::StatusOr<Fixture> fixture = ParseFixture(ReadSeed(seed));
  ASSERT_TRUE(fixture.ok()) << seed.path << ": " << fixture.status().message();
  ASSERT_TRUE(fixture->expect.has_value());
  const RunExpectation& want = *fixture->expect;
  if (want.kind == RunExpectation::kRace) {
    GTEST_SKIP() << "`// run: race`: tests/race checks it (the race preset)";
  }
  const std::string dump = absl::StrCat(testing::TempDir(), "run_line_", seed.name, ".json");
  std::remove(dump.c_str());
  setenv("WEAVE_DUMP", dump.c_str(), 1);  // the child's environment is this one's
  ChildResult r = RunChild({seed.program, seed.name}, kRunLimitMs);
  unsetenv("WEAVE_DUMP");
  ASSERT_TRUE(r.started) << r.error;
  const std::string context = absl::StrCat(seed.path, " (// run: ", fixture->run,
                                           "): ", HowItEnded(r), "\n--- stderr ---\n", Tail(r.err));
  const std::map<std::string, int> leaks = LeaksInDump(r.err);
  EXPECT_EQ(Sorted(LockWarningsIn(r.err)), Sorted(want.lock_warnings))
      << "the lock checks' warnings\n"
      << context;
  absl::StatusOr<std::vector<std::string>> in_dump = LockWarningsInDumpFile(dump);
  if (in_dump.ok()) {
    EXPECT_EQ(Sorted(*in_dump), Sorted(want.lock_warnings)) << "the JSON dump's locks\n" << context;
  } else {
    ADD_FAILURE() << in_dump.status().message() << "\n" << context;
  }
  switch (want.kind) {
    case RunExpectation::kClean: {
      int status = 0;
      if (fixture->exit && fixture->exit->kind == ExitExpectation::kStatus) {
        status = fixture->exit->status;
      }
      EXPECT_TRUE(r.exited && r.status == status) << "expected exit status " << status << "\n"
                                                  << context;
      EXPECT_TRUE(leaks.empty()) << "expected no blocked fiber at exit, found " << Describe(leaks)
                                 << "\n"
                                 << context;
      break;
    }
    case RunExpectation::kLeak:
      EXPECT_EQ(Describe(leaks), Describe(want.leaks)) << context;
      break;
    case RunExpectation::kDeadlock:
      EXPECT_TRUE(r.exited && r.status == 2) << "expected exit status 2\n" << context;
      EXPECT_TRUE(absl::StrContains(r.err, "fatal error: all fibers are asleep - deadlock!"))
          << context;
      break;
    case RunExpectation::kPanic:
      EXPECT_TRUE(r.signaled && r.signal == SIGABRT && absl::StrContains(r.err, "panic: "))
          << context;
      break;
    case RunExpectation::kRace:
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedRunLineTest,
                         testing::ValuesIn(WithRunLines(WEAVE_SEEDS_DIR, WEAVE_SEEDS_DEBUG_BIN)),
                         TestName);
INSTANTIATE_TEST_SUITE_P(DebugFixtures, SeedRunLineTest,
                         testing::ValuesIn(WithRunLines(WEAVE_DEBUG_FIXTURES_DIR,
                                                        WEAVE_DEBUG_FIXTURES_BIN)),
                         TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SeedRunLineTest);

}  // namespace
}  // namespace weave_seeds
