// The expectations a seed fixture carries in its comments (fixtures/README.md), and the checks of
// a run against them.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace weave_seeds {

// `// exit: <status>`: how the release run must end.
struct ExitExpectation {
  enum Kind { kStatus, kPanic, kHang } kind = kStatus;
  int status = 0;  // kStatus only
};

// One expected line of stdout: literal text, or a regular expression when it holds `{{re}}`.
struct OutputLine {
  std::string text;                 // as written in the fixture
  std::optional<std::regex> regex;  // set when the line holds {{...}}
  int fixture_line = 0;             // 1-based line of the fixture
  bool Matches(const std::string& actual) const;
};

// `// output:` (ordered) or `// output (any order):`, and the lines under it.
struct OutputBlock {
  bool any_order = false;
  int fixture_line = 0;
  std::vector<OutputLine> lines;
};

// `// run: <outcome>`: what the debug runtime must find (SPEC.md, fixtures/README.md).
struct RunExpectation {
  enum Kind { kClean, kRace, kDeadlock, kPanic, kLeak } kind = kClean;
  std::map<std::string, int> leaks;  // kLeak: fibers blocked at exit, by state
  // The lock-check warnings the run prints, each kind as often as it must print it; with any kind.
  std::vector<std::string> lock_warnings;
};

// Parses the text after `// run:`; the error says what is expected.
absl::StatusOr<RunExpectation> ParseRun(const std::string& text);

// The fibers an exit dump of the debug runtime (its stderr) lists as blocked, by state: the sum
// of its groups' counts.
std::map<std::string, int> LeaksInDump(const std::string& err);

// The kinds of the lock checks' warnings in a debug run's stderr (`WARNING: double-lock: …`), in
// the order printed.
std::vector<std::string> LockWarningsIn(const std::string& err);

struct Fixture {
  std::string run;  // `// run: …` on the first line, without the prefix; may be empty
  // `// race` comments: the 1-based lines where the race detector must report an access (none:
  // it must report nothing).
  std::vector<int> race_lines;
  std::optional<RunExpectation> expect;  // parsed from run
  std::optional<ExitExpectation> exit;
  std::vector<OutputBlock> output;  // empty: the output is not checked
};

// Parses a fixture's text. The error says which line is malformed and why.
absl::StatusOr<Fixture> ParseFixture(const std::string& text);

// Splits a program's stdout into lines (a last line without '\n' counts as a line).
std::vector<std::string> SplitLines(const std::string& out);

// Checks stdout against the blocks, which match consecutive runs of lines in order; an empty
// string means it matches, anything else explains the mismatch.
std::string CheckOutput(const std::vector<OutputBlock>& blocks, const std::string& out);

}  // namespace weave_seeds
