#include "fixture.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace weave_seeds {
namespace {

constexpr absl::string_view kOrderedHeader = "// output:";
constexpr absl::string_view kAnyOrderHeader = "// output (any order):";

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
}

std::string EscapeRegex(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (absl::StrContains("\\^$.|?*+()[]{}", c)) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Builds the line's matcher: text outside {{ }} is literal, text inside is ECMAScript. A `}}`
// closes at the end of a run of braces, so `{{[0-9]{3}}}` is the regex `[0-9]{3}`.
absl::Status CompileLine(OutputLine& line) {
  const std::string& s = line.text;
  if (!absl::StrContains(s, "{{")) {
    if (absl::StrContains(s, "}}")) {
      return LineError(line.fixture_line, "'}}' without an opening '{{'");
    }
    return absl::OkStatus();
  }
  std::string pattern;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t open = s.find("{{", pos);
    if (open == std::string::npos) {
      if (s.find("}}", pos) != std::string::npos) {
        return LineError(line.fixture_line, "'}}' without an opening '{{'");
      }
      pattern += EscapeRegex(absl::string_view(s).substr(pos));
      break;
    }
    if (s.substr(pos, open - pos).find("}}") != std::string::npos) {
      return LineError(line.fixture_line, "'}}' without an opening '{{'");
    }
    pattern += EscapeRegex(absl::string_view(s).substr(pos, open - pos));
    std::size_t close = s.find("}}", open + 2);
    if (close == std::string::npos) {
      return LineError(line.fixture_line, "'{{' without a closing '}}'");
    }
    while (close + 2 < s.size() && s[close + 2] == '}') close++;
    std::string re = s.substr(open + 2, close - open - 2);
    if (re.empty()) return LineError(line.fixture_line, "empty '{{}}'");
    pattern += "(?:" + re + ")";
    try {
      std::regex check(re, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return LineError(line.fixture_line,
                       absl::StrCat("'", re, "' is not a valid regular expression: ", e.what()));
    }
    pos = close + 2;
  }
  try {
    line.regex.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return LineError(line.fixture_line, absl::StrCat("bad pattern: ", e.what()));
  }
  return absl::OkStatus();
}

// A `// race` comment after code: the word alone, possibly followed by another comment
// (`// want: …`).
bool IsRaceMarker(absl::string_view line) {
  static const std::regex marker(R"(//\s*race\s*(//.*)?$)");
  absl::string_view code = absl::StripLeadingAsciiWhitespace(line);
  return !code.empty() && !absl::StartsWith(code, "//") &&
         std::regex_search(line.begin(), line.end(), marker);
}

absl::StatusOr<ExitExpectation> ParseExit(int line, absl::string_view v) {
  ExitExpectation e;
  if (v == "panic") {
    e.kind = ExitExpectation::kPanic;
  } else if (v == "hang") {
    e.kind = ExitExpectation::kHang;
  } else if (int n; absl::SimpleAtoi(v, &n) && n >= 0 && n <= 255) {
    e.kind = ExitExpectation::kStatus;
    e.status = n;
  } else {
    return LineError(
        line, absl::StrCat("'// exit: ", v, "': expected a status 0-255, 'panic' or 'hang'"));
  }
  return e;
}

// The lock-check warnings a run line may list among its outcomes (fixtures/README.md).
constexpr absl::string_view kLockWarnings[] = {"lock-order-inversion", "double-lock",
                                               "recursive-rlock"};

// Moves the lock-check warnings out of a run line's comma-separated outcomes into `warnings`, and
// returns the rest: "clean" when the warnings were all there was.
std::string TakeLockWarnings(absl::string_view v, std::vector<std::string>& warnings) {
  std::vector<absl::string_view> rest;
  for (absl::string_view item : absl::StrSplit(v, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (std::find(std::begin(kLockWarnings), std::end(kLockWarnings), item) !=
        std::end(kLockWarnings)) {
      warnings.emplace_back(item);
    } else {
      rest.push_back(item);
    }
  }
  if (rest.empty()) return "clean";
  return absl::StrJoin(rest, ", ");
}

}  // namespace

absl::StatusOr<RunExpectation> ParseRun(const std::string& text) {
  RunExpectation e;
  const std::string rest = TakeLockWarnings(absl::StripAsciiWhitespace(text), e.lock_warnings);
  absl::string_view v = rest;
  if (v == "clean") return e;
  if (v == "race" || v == "deadlock" || v == "panic") {
    e.kind = v == "race"       ? RunExpectation::kRace
             : v == "deadlock" ? RunExpectation::kDeadlock
                               : RunExpectation::kPanic;
    return e;
  }
  const std::string bad = absl::StrCat(
      "'// run: ", text,
      "': expected clean, race, deadlock, panic or leak <n> <state>[, <n> <state>…], with or "
      "without lock warnings (lock-order-inversion, double-lock, recursive-rlock)");
  if (!absl::ConsumePrefix(&v, "leak ")) {
    return absl::InvalidArgumentError(bad);
  }
  e.kind = RunExpectation::kLeak;
  for (absl::string_view group : absl::StrSplit(v, ',')) {
    group = absl::StripAsciiWhitespace(group);
    std::vector<absl::string_view> parts = absl::StrSplit(group, absl::MaxSplits(' ', 1));
    int n;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &n) || n <= 0 ||
        absl::StripAsciiWhitespace(parts[1]).empty()) {
      return absl::InvalidArgumentError(bad);
    }
    e.leaks[std::string(absl::StripAsciiWhitespace(parts[1]))] += n;
  }
  return e;
}

std::map<std::string, int> LeaksInDump(const std::string& err) {
  // A group's first line: `<n> fiber[s] [<state>, <wait>…]:`.
  static const std::regex kGroup(R"(^([0-9]+) fibers? \[([^,\]]+)[,\]])");
  std::map<std::string, int> leaks;
  for (const std::string& line : SplitLines(err)) {
    std::smatch m;
    if (std::regex_search(line, m, kGroup)) leaks[m[2].str()] += std::stoi(m[1].str());
  }
  return leaks;
}

std::vector<std::string> LockWarningsIn(const std::string& err) {
  std::vector<std::string> kinds;
  for (absl::string_view line : SplitLines(err)) {
    if (!absl::ConsumePrefix(&line, "WARNING: ")) continue;
    for (absl::string_view kind : kLockWarnings) {
      if (absl::StartsWith(line, kind) &&
          (line.size() == kind.size() || line[kind.size()] == ':' || line[kind.size()] == ' ')) {
        kinds.emplace_back(kind);
      }
    }
  }
  return kinds;
}

bool OutputLine::Matches(const std::string& actual) const {
  if (regex) return std::regex_match(actual, *regex);
  return actual == text;
}

absl::StatusOr<Fixture> ParseFixture(const std::string& text) {
  Fixture f;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  bool in_outputs = false;  // a header has been seen: only the output section may follow
  bool block_open = false;  // the current block still takes lines (no blank line since)
  for (std::size_t i = 0; i < lines.size(); i++) {
    const int n = static_cast<int>(i) + 1;
    absl::string_view l = lines[i];
    absl::ConsumeSuffix(&l, "\r");
    absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(l);

    if (absl::StartsWith(trimmed, "// run:")) {
      if (i != 0) return LineError(n, "'// run:' must be the first line of the file");
      absl::string_view v = absl::StripAsciiWhitespace(trimmed.substr(7));
      absl::StatusOr<RunExpectation> expect = ParseRun(std::string(v));
      if (!expect.ok()) return LineError(n, expect.status().message());
      f.run = std::string(v);
      f.expect = *std::move(expect);
      continue;
    }
    if (IsRaceMarker(l)) {
      f.race_lines.push_back(n);
      continue;
    }
    if (absl::StartsWith(trimmed, "// exit:")) {
      if (f.exit) return LineError(n, "a second '// exit:' (one per file)");
      absl::StatusOr<ExitExpectation> e =
          ParseExit(n, absl::StripAsciiWhitespace(trimmed.substr(8)));
      if (!e.ok()) return e.status();
      f.exit = *e;
      continue;
    }
    if (trimmed == kOrderedHeader || trimmed == kAnyOrderHeader) {
      f.output.push_back(OutputBlock{trimmed == kAnyOrderHeader, n, {}});
      in_outputs = true;
      block_open = true;
      continue;
    }
    if (absl::StartsWith(trimmed, "// output")) {
      return LineError(n, absl::StrCat("malformed output header '", trimmed, "': write '",
                                       kOrderedHeader, "' or '", kAnyOrderHeader, "'"));
    }
    if (!in_outputs) continue;

    // Inside the output section at the end of the file.
    if (trimmed.empty()) {
      block_open = false;
      continue;
    }
    if (!absl::StartsWith(l, "//")) {
      return LineError(
          n, absl::StrCat("code after the output block that starts on line ",
                          f.output.front().fixture_line, ": output blocks must end the file"));
    }
    if (!block_open) {
      return LineError(n,
                       "a comment line after the blank line that ended the output block: "
                       "output lines must follow their header without blank lines");
    }
    OutputLine out;
    out.fixture_line = n;
    if (l == "//") {
      out.text = "";
    } else if (absl::StartsWith(l, "// ")) {
      out.text = std::string(l.substr(3));
    } else {
      return LineError(n, "an output line must be '//' (an empty line) or start with '// '");
    }
    if (absl::Status s = CompileLine(out); !s.ok()) return s;
    f.output.back().lines.push_back(std::move(out));
  }
  if (f.run == "race" && f.race_lines.empty()) {
    return LineError(1, "'// run: race' without a '// race' line to say where the race is");
  }
  return f;
}

std::vector<std::string> SplitLines(const std::string& out) {
  std::vector<std::string> lines;
  if (out.empty()) return lines;
  lines = absl::StrSplit(out, '\n');
  if (lines.back().empty()) lines.pop_back();
  return lines;
}

namespace {

// Kuhn's augmenting paths: can expected line e take an actual line, moving others if needed?
bool Augment(int e, const std::vector<std::vector<int>>& adj, std::vector<int>& owner,
             std::vector<bool>& seen) {
  for (int a : adj[e]) {
    if (seen[a]) continue;
    seen[a] = true;
    if (owner[a] < 0 || Augment(owner[a], adj, owner, seen)) {
      owner[a] = e;
      return true;
    }
  }
  return false;
}

std::string Describe(const std::vector<OutputBlock>& blocks, const std::vector<std::string>& got) {
  std::string s = "expected:\n";
  for (const OutputBlock& b : blocks) {
    absl::StrAppend(&s, b.any_order ? "  (any order)\n" : "  (in order)\n");
    for (const OutputLine& l : b.lines) absl::StrAppend(&s, "    |", l.text, "\n");
  }
  absl::StrAppend(&s, "actual stdout (", got.size(), " lines):\n");
  for (const std::string& l : got) absl::StrAppend(&s, "    |", l, "\n");
  return s;
}

}  // namespace

std::string CheckOutput(const std::vector<OutputBlock>& blocks, const std::string& out) {
  std::vector<std::string> got = SplitLines(out);
  std::size_t want = 0;
  for (const OutputBlock& b : blocks) want += b.lines.size();
  if (got.size() != want) {
    return absl::StrCat("stdout has ", got.size(), " lines, the fixture expects ", want, "\n",
                        Describe(blocks, got));
  }
  std::size_t at = 0;
  for (const OutputBlock& b : blocks) {
    const int k = static_cast<int>(b.lines.size());
    if (!b.any_order) {
      for (int i = 0; i < k; i++) {
        if (!b.lines[i].Matches(got[at + i])) {
          return absl::StrCat("stdout line ", at + i + 1, " is '", got[at + i],
                              "', the fixture (line ", b.lines[i].fixture_line, ") expects '",
                              b.lines[i].text, "'\n", Describe(blocks, got));
        }
      }
    } else {
      std::vector<std::vector<int>> adj(k);
      for (int e = 0; e < k; e++) {
        for (int a = 0; a < k; a++) {
          if (b.lines[e].Matches(got[at + a])) adj[e].push_back(a);
        }
      }
      std::vector<int> owner(k, -1);
      for (int e = 0; e < k; e++) {
        std::vector<bool> seen(k, false);
        if (!Augment(e, adj, owner, seen)) {
          return absl::StrCat("stdout lines ", at + 1, "-", at + k,
                              " do not match the any-order block of line ", b.fixture_line,
                              ": nothing left for '", b.lines[e].text, "' (fixture line ",
                              b.lines[e].fixture_line, ")\n", Describe(blocks, got));
        }
      }
    }
    at += k;
  }
  return "";
}

}  // namespace weave_seeds
