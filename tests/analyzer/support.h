// Helpers the weave-lint tests share: running the built tools, reading fixtures' `// want:`
// lines, and scratch directories.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
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

// A file with one finding: a cancel that one path leaves unused (line 4, column 24; the end of
// the function, line 8, is where it is lost).
extern const char* const kLeaky;

std::string lintExe();
std::string sourceDir();
// The arguments every fixture compiles with.
std::string fixtureArgs();
// The same, with weave.h precompiled: it is most of every parse, and a test that lints many
// small files spends its time there. The header is precompiled once for all the tests (rebuilt
// when a header under runtime/include is newer); without clang++-19, fixtureArgs().
std::string fixtureArgsWithPch();
// That precompiled header's path; empty without clang++-19.
std::string weavePch();
// A fresh, empty scratch directory for one test.
std::filesystem::path scratch(const std::string& name);

std::string readFile(const std::filesystem::path& p);
void writeFile(const std::filesystem::path& p, const std::string& text);

// Every fixture: fixtures/lint/**/*.cc and fixtures/seeds/*.cc.
std::vector<std::filesystem::path> fixtureFiles();

// One expectation of a `// want:` comment: a check, and optionally a regular expression
// (ECMAScript) that must match somewhere in its message.
struct Want {
  std::string check;
  std::optional<std::string> message;
};
// line -> what is expected there, from `// want: a, b "regex", c `raw regex``. A comment that
// does not parse is described in `errors` ("file:line: what is wrong").
std::map<unsigned, std::vector<Want>> wantLines(const std::filesystem::path& file,
                                                std::vector<std::string>& errors);
// What `weave-lint --list-checks` registers.
std::set<std::string> registeredChecks();

}  // namespace weave::lint::testing
