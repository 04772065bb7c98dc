// A GoogleTest leak check for weave, as goleak's VerifyNone is for Go: a test that leaves fibers
// behind fails, with the grouped dump of what it left. Link weave::weave_debug (or
// weave::gtest_main, which is GoogleTest's main with the check installed).
//
//   int main(int argc, char** argv) {
//     testing::InitGoogleTest(&argc, argv);
//     weave::testing::InstallLeakCheck();
//     return RUN_ALL_TESTS();
//   }
//
// After each test, fibers it started that are still alive are given a grace period to end (a
// fiber woken at the test's last line still runs); unreachable ones fail at once. Fibers alive
// before the test are not counted, nor those matched by IgnoreCreatedAt.
#pragma once

#include <string>

namespace weave::testing {

// Installs the check for every test that runs after it (call after InitGoogleTest).
void InstallLeakCheck();

// Fibers created at a matching place are never counted: "file.cc:42" (a path suffix and a line),
// "file.cc" (any line of it), or part of a function's name as the dump prints it ("worker").
void IgnoreCreatedAt(const std::string& where);

}  // namespace weave::testing
