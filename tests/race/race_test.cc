// Every program of fixtures/seeds/ and fixtures/race/ under the race detector: built with the
// plugin against weave_debug (weave-seeds-race, weave-race-fixtures), run as a child process, and
// checked against its comments (fixtures/README.md):
//
//   `// race` lines   at least one report; every report has an access on a `// race` line of the
//                     file, and every `// race` line is named by some report (an access's
//                     innermost frame in the file); a `// run: race` program exits with status 66
//   none              no report at all (the false-positive wall); a `// run: clean` program
//                     without `// exit:` exits with status 0
//
// A program expected to hang (`// exit: hang`, a deadlock the release runtime cannot see) is
// stopped after kHangMs; what it reported until then is checked all the same.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "fixture.h"
#include "gtest/gtest.h"
#include "run_child.h"

namespace weave_seeds {
namespace {

constexpr int kHangMs = 5000;
constexpr int kRunLimitMs = 30000;

struct Program {
  std::string name;  // the file name without .cc: the name its binary knows it by
  std::string path;
  std::string binary;
};

void PrintTo(const Program& p, std::ostream* os) { *os << p.path; }

std::vector<Program> ListPrograms() {
  std::vector<Program> out;
  const std::pair<const char*, const char*> dirs[] = {{"seeds", WEAVE_SEEDS_RACE_BIN},
                                                      {"race", WEAVE_RACE_FIXTURES_BIN}};
  for (const auto& [dir, binary] : dirs) {
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(WEAVE_FIXTURES_DIR) + "/" + dir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".cc") {
        out.push_back({e.path().stem().string(), e.path().string(), binary});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Program& a, const Program& b) { return a.path < b.path; });
  return out;
}

std::string TestName(const testing::TestParamInfo<Program>& info) {
  std::string s =
      absl::StrCat(std::filesystem::path(info.param.path).parent_path().filename().string(), "_",
                   info.param.name);
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

// One race report as the engine prints it: the frames of each access, innermost first.
struct Report {
  std::string text;
  std::vector<std::pair<std::string, int>> access, previous;
};

std::vector<Report> ParseReports(const std::string& err) {
  static const std::regex frame(R"(^\s+#\d+ (\S+):(\d+) )");
  std::vector<Report> out;
  Report* cur = nullptr;
  std::vector<std::pair<std::string, int>>* side = nullptr;
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (line == "WARNING: DATA RACE") {
      out.emplace_back();
      cur = &out.back();
      side = &cur->access;
    } else if (!cur) {
      continue;
    } else if (line == "==================") {
      cur = nullptr;
      continue;
    } else if (absl::StartsWith(line, "Previous ")) {
      side = &cur->previous;
    } else if (line.empty()) {
      side = nullptr;
    } else if (std::cmatch m; side && std::regex_search(line.begin(), line.end(), m, frame)) {
      side->emplace_back(m[1].str(), std::stoi(m[2].str()));
    }
    absl::StrAppend(&cur->text, line, "\n");
  }
  return out;
}

// The line of an access's innermost frame in `file`; 0 if none of its frames is there.
int LineIn(const std::vector<std::pair<std::string, int>>& frames, const std::string& file) {
  for (const auto& [f, line] : frames) {
    if (f == file) return line;
  }
  return 0;
}

std::string Tail(const std::string& s, std::size_t n = 6000) {
  return s.size() <= n ? s : "…" + s.substr(s.size() - n);
}

class RaceTest : public testing::TestWithParam<Program> {};

TEST_P(RaceTest, Run) {
  const Program& p = GetParam();
  std::ifstream in(p.path);
  ASSERT_TRUE(in) << "cannot read " << p.path;
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Fixture> fixture = ParseFixture(text.str());
  ASSERT_TRUE(fixture.ok()) << p.path << ": " << fixture.status().message();
  const bool hangs = fixture->exit && fixture->exit->kind == ExitExpectation::kHang;

  ChildResult r = RunChild({p.binary, p.name}, hangs ? kHangMs : kRunLimitMs);
  ASSERT_TRUE(r.started) << r.error;
  const std::string context = absl::StrCat("--- stderr ---\n", Tail(r.err));
  ASSERT_TRUE(hangs || !r.timed_out) << "still running after " << kRunLimitMs << " ms\n" << context;
  const std::vector<Report> reports = ParseReports(r.err);

  if (fixture->race_lines.empty()) {
    EXPECT_TRUE(reports.empty()) << p.path << " is correctly synchronized, yet got "
                                 << reports.size() << " race report(s)\n"
                                 << context;
    if (fixture->run == "clean" && !fixture->exit) {
      EXPECT_TRUE(r.exited && r.status == 0) << "expected exit status 0\n" << context;
    }
    return;
  }

  EXPECT_FALSE(reports.empty()) << "expected a race report\n" << context;
  if (fixture->run == "race" && !hangs) {
    EXPECT_TRUE(r.exited && r.status == 66) << "expected exit status 66\n" << context;
  }
  const std::set<int> marked(fixture->race_lines.begin(), fixture->race_lines.end());
  std::set<int> named;
  for (const Report& rep : reports) {
    const int a = LineIn(rep.access, p.path);
    const int b = LineIn(rep.previous, p.path);
    named.insert(a);
    named.insert(b);
    EXPECT_TRUE(marked.count(a) || marked.count(b))
        << "a report with no access on a `// race` line (" << absl::StrJoin(marked, ", ") << "):\n"
        << rep.text;
  }
  for (int line : marked) {
    EXPECT_TRUE(named.count(line)) << "no report names line " << line << "\n" << context;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RaceTest, testing::ValuesIn(ListPrograms()), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RaceTest);

}  // namespace
}  // namespace weave_seeds
