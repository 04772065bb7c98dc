// The seed fixtures on disk, and what the tests that run them print when a run goes wrong.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "run_child.h"

namespace weave_seeds {

struct SeedFile {
  std::string name;  // the file name without .cc: the name its program knows it by
  std::string path;
  std::string program;  // the executable that holds it (weave-seeds, weave-seeds-debug, …)
};

// gtest prints the parameter of a failed test: the path, not the bytes.
void PrintTo(const SeedFile& seed, std::ostream* os);

// Every dir/*.cc, by name, run by `program`.
std::vector<SeedFile> ListSeeds(const std::string& dir, const std::string& program);
// The file's text; empty if it cannot be read.
std::string ReadSeed(const SeedFile& seed);
// A test name made of the seed's name.
std::string TestName(const testing::TestParamInfo<SeedFile>& info);

// The last n bytes of s, for failure messages.
std::string Tail(const std::string& s, std::size_t n = 4000);
std::string HowItEnded(const ChildResult& r);

}  // namespace weave_seeds
