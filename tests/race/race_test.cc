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
// Each report names both tasks, a fiber with the line of the file that created it (no symbolizer
// is involved: the locations come from the plugin and from weave's source locations), and the
// JSON dump (WEAVE_DUMP) holds as many races as were printed.
//
// A program expected to hang (`// exit: hang`, a deadlock the release runtime cannot see) is
// stopped after kHangMs; what it reported until then is checked all the same.
#include <unistd.h>

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
#include "seed_files.h"

namespace weave_seeds {
namespace {

constexpr int kHangMs = 5000;
constexpr int kRunLimitMs = 30000;

std::vector<SeedFile> ListPrograms() {
  std::vector<SeedFile> out =
      ListSeeds(std::string(WEAVE_FIXTURES_DIR) + "/seeds", WEAVE_SEEDS_RACE_BIN);
  for (SeedFile& f :
       ListSeeds(std::string(WEAVE_FIXTURES_DIR) + "/race", WEAVE_RACE_FIXTURES_BIN)) {
    out.push_back(std::move(f));
  }
  return out;
}

// The folder and the name: fixtures of two folders may share a name.
std::string FolderAndName(const testing::TestParamInfo<SeedFile>& info) {
  std::string s =
      absl::StrCat(std::filesystem::path(info.param.path).parent_path().filename().string(), "_",
                   info.param.name);
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

using Frames = std::vector<std::pair<std::string, int>>;

// One race report as the engine prints it: the frames of each access, innermost first; the tasks
// that made them ("fiber 3"), and where each task it describes was created (its first frame).
struct Report {
  std::string text;
  Frames access, previous;
  std::vector<std::string> tasks;
  std::map<std::string, std::pair<std::string, int>> created;
  std::set<std::string> main_thread;  // the tasks named as the main thread
};

std::vector<Report> ParseReports(const std::string& err) {
  static const std::regex frame(R"(^\s+#\d+ (\S+):(\d+) )");
  static const std::regex access(R"(^(?:Previous )?\S+ (?:\S+ )?of size \d+ at \S+ by (.+):$)");
  static const std::regex creation(
      R"(^(Fiber|Thread) (\S+) \((?:running|finished)\) created at:$)");
  static const std::regex main_thread(
      R"(^Thread (\S+) \((?:running|finished)\) is the main thread$)");
  std::vector<Report> out;
  Report* cur = nullptr;
  Frames* side = nullptr;
  std::string creator;  // the task whose creation site comes next
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    std::cmatch m;
    if (line == "WARNING: DATA RACE") {
      out.emplace_back();
      cur = &out.back();
      side = &cur->access;
    } else if (!cur) {
      continue;
    } else if (line == "==================") {
      cur = nullptr;
      continue;
    } else if (std::regex_search(line.begin(), line.end(), m, access)) {
      side = absl::StartsWith(line, "Previous ") ? &cur->previous : &cur->access;
      cur->tasks.push_back(m[1].str());
    } else if (std::regex_search(line.begin(), line.end(), m, main_thread)) {
      cur->main_thread.insert(absl::StrCat("thread ", m[1].str()));
    } else if (std::regex_search(line.begin(), line.end(), m, creation)) {
      creator = absl::StrCat(m[1].str() == "Fiber" ? "fiber " : "thread ", m[2].str());
    } else if (line.empty()) {
      side = nullptr;
      creator.clear();
    } else if (std::regex_search(line.begin(), line.end(), m, frame)) {
      if (side) side->emplace_back(m[1].str(), std::stoi(m[2].str()));
      if (!creator.empty()) {
        cur->created[creator] = {m[1].str(), std::stoi(m[2].str())};
        creator.clear();
      }
    }
    absl::StrAppend(&cur->text, line, "\n");
  }
  return out;
}

// How many races the JSON dump holds (its "races" array's objects, each with an "access").
int RacesInDump(const std::string& json) {
  const std::size_t races = json.find("\"races\": [");
  if (races == std::string::npos) return -1;
  int n = 0;
  for (std::size_t at = json.find("{\"access\": ", races); at != std::string::npos;
       at = json.find("{\"access\": ", at + 1)) {
    ++n;
  }
  return n;
}

// The line of an access's innermost frame in `file`; 0 if none of its frames is there.
int LineIn(const Frames& frames, const std::string& file) {
  for (const auto& [f, line] : frames) {
    if (f == file) return line;
  }
  return 0;
}

class RaceTest : public testing::TestWithParam<SeedFile> {};

TEST_P(RaceTest, Run) {
  const SeedFile& p = GetParam();
  absl::StatusOr<Fixture> fixture = ParseFixture(ReadSeed(p));
  ASSERT_TRUE(fixture.ok()) << p.path << ": " << fixture.status().message();
  const bool hangs = fixture->exit && fixture->exit->kind == ExitExpectation::kHang;

  // The child writes its JSON dump here (each test runs in a process of its own).
  const std::string dump =
      (std::filesystem::temp_directory_path() / absl::StrCat("weave-race-", getpid(), ".json"))
          .string();
  setenv("WEAVE_DUMP", dump.c_str(), 1);
  ChildResult r = RunChild({p.program, p.name}, hangs ? kHangMs : kRunLimitMs);
  ASSERT_TRUE(r.started) << r.error;
  const std::string context = absl::StrCat(HowItEnded(r), "\n--- stderr ---\n", Tail(r.err));
  ASSERT_TRUE(hangs || !r.timed_out) << "still running after " << kRunLimitMs << " ms\n" << context;
  const std::vector<Report> reports = ParseReports(r.err);
  std::string json;
  if (std::ifstream d(dump); d) {
    std::stringstream all;
    all << d.rdbuf();
    json = all.str();
  }
  std::filesystem::remove(dump);
  if (!hangs) {
    EXPECT_EQ(RacesInDump(json), static_cast<int>(reports.size()))
        << "the JSON dump's races (WEAVE_DUMP) are not the reports printed\n"
        << json.substr(0, 4000) << "\n"
        << context;
  }

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
  const auto name_lines = [&](const Report& rep) {
    named.insert(LineIn(rep.access, p.path));
    named.insert(LineIn(rep.previous, p.path));
  };
  for (const Report& rep : reports) {
    name_lines(rep);
    const int a = LineIn(rep.access, p.path);
    const int b = LineIn(rep.previous, p.path);
    EXPECT_TRUE(marked.count(a) || marked.count(b))
        << "a report with no access on a `// race` line (" << absl::StrJoin(marked, ", ") << "):\n"
        << rep.text;
    // Both tasks are named, a fiber by where the program created it, a thread by that or as the
    // main thread. The site is the program's own line even when the call that made the task is
    // in a header (std::thread's constructor, not inlined).
    EXPECT_EQ(rep.tasks.size(), 2u) << rep.text;
    for (const std::string& task : rep.tasks) {
      if (!absl::StartsWith(task, "fiber ") && !rep.created.count(task)) {
        EXPECT_TRUE(rep.main_thread.count(task))
            << "neither a creation site nor the main thread: " << task << ":\n"
            << rep.text;
        continue;
      }
      auto it = rep.created.find(task);
      ASSERT_NE(it, rep.created.end()) << "no creation site for " << task << ":\n" << rep.text;
      EXPECT_EQ(it->second.first, p.path) << "the creation site of " << task << ":\n" << rep.text;
    }
  }
  // A dynamic detector reports the races of the interleaving that happened, and two fibers that
  // run the racy code in the very same instant can leave one pair of accesses unseen
  // (docs/race.md, "What it cannot see"): a `// race` line that no report named gets two more
  // runs, whose reports must name it.
  const auto all_named = [&] {
    return std::includes(named.begin(), named.end(), marked.begin(), marked.end());
  };
  for (int rerun = 0; rerun < 2 && !hangs && !all_named(); ++rerun) {
    const ChildResult again = RunChild({p.program, p.name}, kRunLimitMs);
    for (const Report& rep : ParseReports(again.err)) name_lines(rep);
  }
  std::filesystem::remove(dump);
  for (int line : marked) {
    EXPECT_TRUE(named.count(line)) << "no report names line " << line << "\n" << context;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RaceTest, testing::ValuesIn(ListPrograms()), FolderAndName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RaceTest);

}  // namespace
}  // namespace weave_seeds
