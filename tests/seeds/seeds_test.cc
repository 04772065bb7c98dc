// One test per fixture of fixtures/seeds/: runs `weave-seeds <name>` in a child process and
// checks how it ends and what it prints against the fixture's comments (fixtures/README.md).
//
//   no `// exit:`     it must exit with status 0 within kRunLimitMs
//   `// exit: N`      it must exit with status N
//   `// exit: panic`  it must die of SIGABRT with "panic: " on stderr
//   `// exit: hang`   it must still be running after kHangMs (it is then killed)
//   `// output…`      its stdout, as the blocks say; without a block stdout is not checked
#include <signal.h>

#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fixture.h"
#include "gtest/gtest.h"
#include "run_child.h"
#include "seed_files.h"

namespace weave_seeds {
namespace {

constexpr int kHangMs = 5000;       // `// exit: hang`: still running after this long
constexpr int kRunLimitMs = 20000;  // anything else must have ended by then

class SeedTest : public testing::TestWithParam<SeedFile> {};

TEST_P(SeedTest, Run) {
  const SeedFile& seed = GetParam();
  const std::string text = ReadSeed(seed);
  ASSERT_FALSE(text.empty()) << "cannot read " << seed.path;
  absl::StatusOr<Fixture> fixture = ParseFixture(text);
  ASSERT_TRUE(fixture.ok()) << seed.path
                            << ": malformed fixture comments: " << fixture.status().message();

  const bool hang = fixture->exit && fixture->exit->kind == ExitExpectation::kHang;
  ChildResult r = RunChild({seed.program, seed.name}, hang ? kHangMs : kRunLimitMs);
  ASSERT_TRUE(r.started) << r.error;
  const std::string context = absl::StrCat(seed.path, ": ", HowItEnded(r), "\n--- stdout ---\n",
                                           Tail(r.out), "--- stderr ---\n", Tail(r.err));
  ASSERT_FALSE(r.exited && r.status == 64 && absl::StrContains(r.err, "no seed named"))
      << seed.path << ": weave-seeds does not hold this seed; rebuild weave-seeds (the fixture "
      << "list is globbed when CMake runs)";

  if (!fixture->exit) {
    EXPECT_TRUE(r.exited && r.status == 0) << "expected exit status 0\n" << context;
  } else {
    switch (fixture->exit->kind) {
      case ExitExpectation::kStatus:
        EXPECT_TRUE(r.exited && r.status == fixture->exit->status)
            << "expected exit status " << fixture->exit->status << "\n"
            << context;
        break;
      case ExitExpectation::kPanic:
        EXPECT_TRUE(r.signaled && r.signal == SIGABRT && absl::StrContains(r.err, "panic: "))
            << "expected a panic: death by SIGABRT with \"panic: \" on stderr\n"
            << context;
        break;
      case ExitExpectation::kHang:
        EXPECT_TRUE(r.timed_out) << "expected it to hang (still running after " << kHangMs
                                 << " ms)\n"
                                 << context;
        break;
    }
  }

  if (!fixture->output.empty()) {
    std::string mismatch = CheckOutput(fixture->output, r.out);
    EXPECT_TRUE(mismatch.empty()) << seed.path << ": " << mismatch << "--- stderr ---\n"
                                  << Tail(r.err);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedTest,
                         testing::ValuesIn(ListSeeds(WEAVE_SEEDS_DIR, WEAVE_SEEDS_BIN)), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SeedTest);

}  // namespace
}  // namespace weave_seeds
