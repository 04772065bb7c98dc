// Helpers the weave-lint tests share: running the built tools, reading fixtures' `// want:`
// lines, and scratch directories.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace weave::lint::testing {

struct RunResult {
  int status = -1;  // exit status; 128+N when killed by signal N
  std::string out, err;
};

// Runs a shell command line; stdout and stderr are captured separately.
RunResult run(const std::string& command);
std::string quote(const std::string& s);

std::string lintExe();
std::string sourceDir();
// The arguments every fixture compiles with.
std::string fixtureArgs();
// A fresh, empty scratch directory for one test.
std::filesystem::path scratch(const std::string& name);

std::string readFile(const std::filesystem::path& p);
void writeFile(const std::filesystem::path& p, const std::string& text);

// Every fixture: fixtures/lint/**/*.cc and fixtures/seeds/*.cc.
std::vector<std::filesystem::path> fixtureFiles();
// line -> checks expected there, from `// want: a, b`.
std::map<unsigned, std::multiset<std::string>> wantLines(const std::filesystem::path& file);
// What `weave-lint --list-checks` registers.
std::set<std::string> registeredChecks();

}  // namespace weave::lint::testing
