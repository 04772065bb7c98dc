// The debug build of the runtime suite runs with weave's leak check (weave/testing.h). One test
// leaves a fiber blocked on a nil channel on purpose: that is what it tests.
#include <weave/testing.h>

#include "gtest/gtest.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  weave::testing::InstallLeakCheck();
  weave::testing::IgnoreCreatedAt("NilChannelBlocksForeverAndIsNeverReadyInSelect");
  return RUN_ALL_TESTS();
}
