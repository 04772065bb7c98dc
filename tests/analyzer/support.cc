// Process running, fixture discovery and `// want:` parsing for the weave-lint tests.
#include "support.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace weave::lint::testing {
namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

RunResult run(const std::string& command) {
  static int counter = 0;
  fs::path dir = fs::path(WEAVE_TEST_TMP) / "run";
  fs::create_directories(dir);
  std::string base = (dir / (std::to_string(getpid()) + "-" + std::to_string(counter++))).string();
  std::string full = "(" + command + ") >" + base + ".out 2>" + base + ".err </dev/null";
  int raw = std::system(full.c_str());
  RunResult r;
  if (WIFEXITED(raw))
    r.status = WEXITSTATUS(raw);
  else if (WIFSIGNALED(raw))
    r.status = 128 + WTERMSIG(raw);
  r.out = readFile(base + ".out");
  r.err = readFile(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return r;
}

std::string lintExe() { return WEAVE_LINT_EXE; }
std::string sourceDir() { return WEAVE_SOURCE_DIR; }
std::string fixtureArgs() { return "-std=c++20 -I" + quote(sourceDir() + "/runtime/include"); }

fs::path scratch(const std::string& name) {
  fs::path p = fs::path(WEAVE_TEST_TMP) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<fs::path> fixtureFiles() {
  std::vector<fs::path> files;
  fs::path root = sourceDir();
  if (fs::exists(root / "fixtures/lint"))
    for (const auto& e : fs::recursive_directory_iterator(root / "fixtures/lint"))
      if (e.is_regular_file() && e.path().extension() == ".cc") files.push_back(e.path());
  if (fs::exists(root / "fixtures/seeds"))
    for (const auto& e : fs::directory_iterator(root / "fixtures/seeds"))
      if (e.is_regular_file() && e.path().extension() == ".cc") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::map<unsigned, std::multiset<std::string>> wantLines(const fs::path& file) {
  std::map<unsigned, std::multiset<std::string>> want;
  std::istringstream in(readFile(file));
  static const std::regex marker(R"(//\s*want:\s*(.*)$)");
  static const std::regex name(R"([a-z0-9]+(-[a-z0-9]+)+)");
  std::string line;
  for (unsigned n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (!std::regex_search(line, m, marker)) continue;
    std::string list = m[1];
    for (auto it = std::sregex_iterator(list.begin(), list.end(), name);
         it != std::sregex_iterator(); ++it)
      want[n].insert(it->str());
  }
  return want;
}

std::set<std::string> registeredChecks() {
  RunResult r = run(quote(lintExe()) + " --list-checks --checks='*'");
  std::set<std::string> checks;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) checks.insert(line);
  return checks;
}

}  // namespace weave::lint::testing
