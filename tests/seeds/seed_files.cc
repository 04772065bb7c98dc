#include "seed_files.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace weave_seeds {

void PrintTo(const SeedFile& seed, std::ostream* os) { *os << seed.path; }

std::vector<SeedFile> ListSeeds(const std::string& dir, const std::string& program) {
  std::vector<SeedFile> seeds;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".cc") {
      seeds.push_back({e.path().stem().string(), e.path().string(), program});
    }
  }
  std::sort(seeds.begin(), seeds.end(),
            [](const SeedFile& a, const SeedFile& b) { return a.name < b.name; });
  return seeds;
}

std::string ReadSeed(const SeedFile& seed) {
  std::ifstream in(seed.path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TestName(const testing::TestParamInfo<SeedFile>& info) {
  std::string s = info.param.name;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

std::string Tail(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : "…" + s.substr(s.size() - n);
}

std::string HowItEnded(const ChildResult& r) {
  if (r.timed_out) return "it was still running at the time limit and was killed";
  if (r.exited) return absl::StrCat("it exited with status ", r.status);
  if (r.signaled)
    return absl::StrCat("it was killed by signal ", r.signal, " (", strsignal(r.signal), ")");
  return "it did not start";
}

}  // namespace weave_seeds
