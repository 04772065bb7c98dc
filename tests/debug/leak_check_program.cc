// A program of tests for leak_check_test.cc, which runs it with a filter and reads the result.
#include <weave/testing.h>
#include <weave/weave.h>

#include "gtest/gtest.h"

namespace {

weave::Chan<int> g_forever = weave::make_chan<int>();

void StartIgnoredWorker() {
  weave::go([] { g_forever.recv(); });
}

TEST(Program, Clean) {
  auto ch = weave::make_chan<int>();
  weave::go([ch] { ch.send(1); });
  ch.recv();
}

TEST(Program, LeavesAFiberBlocked) {
  weave::go([] { g_forever.recv(); });  // reachable (a global), so only the grace period fails it
}

TEST(Program, LeavesAnUnreachableFiber) {
  weave::go([] { weave::Chan<int>().recv(); });  // a nil channel: nothing can ever wake it
}

TEST(Program, FiberEndsJustAfterTheTest) {
  auto ch = weave::make_chan<int>(1);
  weave::go([ch] { ch.recv(); });
  ch.send(1);  // woken by the last line: it ends within the grace period
}

TEST(Program, IgnoredFiber) { StartIgnoredWorker(); }

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  weave::testing::InstallLeakCheck();
  weave::testing::IgnoreCreatedAt("StartIgnoredWorker");
  return RUN_ALL_TESTS();
}
