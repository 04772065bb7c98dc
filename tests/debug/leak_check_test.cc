// The GoogleTest leak check (weave/testing.h), on the tests of leak_check_program.cc, each run in
// a child process.
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "run_child.h"

namespace {

weave_seeds::ChildResult RunProgramTest(const std::string& test) {
  return weave_seeds::RunChild({WEAVE_LEAK_CHECK_PROGRAM, "--gtest_filter=Program." + test}, 30000);
}

TEST(LeakCheck, CleanTestPasses) {
  auto r = RunProgramTest("Clean");
  EXPECT_TRUE(r.exited && r.status == 0) << r.out << r.err;
}

TEST(LeakCheck, FiberLeftBlockedFailsWithTheDump) {
  auto r = RunProgramTest("LeavesAFiberBlocked");
  EXPECT_TRUE(r.exited && r.status == 1) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "the test left 1 fiber behind")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "1 fiber [chan receive")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "[  FAILED  ] Program.LeavesAFiberBlocked")) << r.out;
}

TEST(LeakCheck, UnreachableFiberFailsMarkedAsSuch) {
  auto r = RunProgramTest("LeavesAnUnreachableFiber");
  EXPECT_TRUE(r.exited && r.status == 1) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "unreachable")) << r.out;
}

TEST(LeakCheck, FiberWokenAtTheEndIsGivenItsGracePeriod) {
  auto r = RunProgramTest("FiberEndsJustAfterTheTest");
  EXPECT_TRUE(r.exited && r.status == 0) << r.out << r.err;
}

TEST(LeakCheck, IgnoredCreationPlaceIsNotCounted) {
  auto r = RunProgramTest("IgnoredFiber");
  EXPECT_TRUE(r.exited && r.status == 0) << r.out << r.err;
}

}  // namespace
