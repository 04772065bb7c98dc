// weave::gtest_main: GoogleTest's main with weave's leak check installed (weave/testing.h).
#include "gtest/gtest.h"
#include "weave/testing.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  weave::testing::InstallLeakCheck();
  return RUN_ALL_TESTS();
}
