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

const char* const kLeaky = R"(#include <weave/weave.h>

void leak(bool c) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  if (c) {
    cancel();
  }
}
)";

std::string lintExe() { return WEAVE_LINT_EXE; }
std::string sourceDir() { return WEAVE_SOURCE_DIR; }
std::string fixtureArgs() { return "-std=c++20 -I" + quote(sourceDir() + "/runtime/include"); }

std::string weavePch() {
  static const std::string path = [] {
    fs::path include = fs::path(sourceDir()) / "runtime/include";
    fs::path pch = fs::path(WEAVE_TEST_TMP) / "pch" / "weave.h.pch";
    fs::create_directories(pch.parent_path());
    std::error_code ec;
    fs::file_time_type built = fs::last_write_time(pch, ec);
    bool fresh = !ec;
    for (const auto& e : fs::recursive_directory_iterator(include))
      if (fresh && e.is_regular_file() && e.last_write_time() > built) fresh = false;
    if (!fresh) {
      // Tests run in parallel processes: each builds its own and renames it into place.
      fs::path tmp = pch;
      tmp += "." + std::to_string(getpid());
      RunResult r = run(std::string(WEAVE_CLANGXX) + " -x c++-header " + fixtureArgs() + " " +
                        quote((include / "weave/weave.h").string()) + " -o " + quote(tmp.string()));
      if (r.status != 0) return std::string();
      fs::rename(tmp, pch);
    }
    return pch.string();
  }();
  return path;
}

std::string fixtureArgsWithPch() {
  std::string pch = weavePch();
  return pch.empty() ? fixtureArgs() : fixtureArgs() + " -include-pch " + quote(pch);
}

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

namespace {

// The list after `want:`. Grammar: item (',' item)*; item: a check name, then optionally a
// string: "…" with backslash escapes (\" and \\ stand for themselves, any other escape is kept
// for the regular expression), or `…` taken as it is, as Go's raw strings.
bool parseWants(std::string_view text, std::vector<Want>& out, std::string& error) {
  size_t i = 0;
  auto skipSpace = [&] {
    while (i < text.size() && isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  for (;;) {
    skipSpace();
    size_t start = i;
    while (i < text.size() && (isalnum(static_cast<unsigned char>(text[i])) || text[i] == '-')) ++i;
    if (i == start) {
      error = "expected a check name at \"" + std::string(text.substr(start)) + "\"";
      return false;
    }
    Want w{std::string(text.substr(start, i - start)), std::nullopt};
    skipSpace();
    if (i < text.size() && (text[i] == '"' || text[i] == '`')) {
      char quote = text[i++];
      std::string re;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i < text.size()) {
          char next = text[i++];
          if (next != '"' && next != '\\') re += '\\';
          re += next;
          continue;
        }
        re += c;
      }
      if (!closed) {
        error = "unterminated message pattern for " + w.check;
        return false;
      }
      try {
        std::regex check(re);
      } catch (const std::regex_error& e) {
        error = "invalid message pattern /" + re + "/ for " + w.check + ": " + e.what();
        return false;
      }
      w.message = re;
      skipSpace();
    }
    out.push_back(std::move(w));
    if (i == text.size()) return true;
    if (text[i] != ',') {
      error = "expected ',' or the end of the line at \"" + std::string(text.substr(i)) + "\"";
      return false;
    }
    ++i;
  }
}

}  // namespace

std::map<unsigned, std::vector<Want>> wantLines(const fs::path& file,
                                                std::vector<std::string>& errors) {
  std::map<unsigned, std::vector<Want>> want;
  std::istringstream in(readFile(file));
  static const std::regex marker(R"(//\s*want:(.*)$)");
  std::string line;
  for (unsigned n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (!std::regex_search(line, m, marker)) continue;
    std::string error;
    std::vector<Want> wants;
    if (parseWants(m[1].str(), wants, error))
      want[n] = std::move(wants);
    else
      errors.push_back(file.string() + ":" + std::to_string(n) + ": malformed want: " + error);
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
