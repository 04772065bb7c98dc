# Finds LLVM/Clang 19 for weave-lint. Sets WEAVE_LLVM_OK, and WEAVE_TIDY_OK when clang-tidy's
# headers are there too. Shared by analyzer/ and tests/analyzer/ (which is configured first, so it
# cannot ask whether the weave-lint target exists).
# LLVM's version file accepts only the same major.minor, so "LLVM 19" would refuse 19.1: ask for
# any LLVM under the LLVM 19 prefix and check the major version here.
set(WEAVE_LLVM_OK OFF)
set(WEAVE_TIDY_OK OFF)
find_package(LLVM CONFIG QUIET PATHS /usr/lib/llvm-19 NO_DEFAULT_PATH)
if(NOT LLVM_FOUND)
  find_package(LLVM CONFIG QUIET)
endif()
if(LLVM_FOUND AND LLVM_VERSION_MAJOR EQUAL 19)
  find_package(Clang CONFIG QUIET PATHS ${LLVM_INSTALL_PREFIX} NO_DEFAULT_PATH)
  if(Clang_FOUND AND TARGET clang-cpp)
    set(WEAVE_LLVM_OK ON)
    set(WEAVE_CLANG_TIDY_INCLUDE_DIR "${LLVM_INCLUDE_DIRS}/clang-tidy")
    if(EXISTS ${WEAVE_CLANG_TIDY_INCLUDE_DIR}/ClangTidyCheck.h)
      set(WEAVE_TIDY_OK ON)
    endif()
  endif()
endif()
