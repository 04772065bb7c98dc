// The check table built from checks/Checks.def, and glob matching for --checks and NOLINT(...).
#include "lib/CheckRegistry.h"

#include "llvm/ADT/SmallVector.h"

namespace weave::lint {

const std::vector<CheckInfo>& allChecks() {
  static const std::vector<CheckInfo> checks = {
#define WEAVE_CHECK(name, factory, summary, doc) {name, &factory, summary, doc},
#include "checks/Checks.def"
#undef WEAVE_CHECK
  };
  return checks;
}

bool globMatch(llvm::StringRef pattern, llvm::StringRef text) {
  // Iterative `*`-only glob with backtracking to the last star: linear in practice.
  size_t p = 0, t = 0, star = llvm::StringRef::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != llvm::StringRef::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

CheckFilter::CheckFilter(llvm::StringRef globs) {
  llvm::SmallVector<llvm::StringRef, 8> parts;
  globs.split(parts, ',', -1, false);
  for (llvm::StringRef part : parts) {
    part = part.trim();
    if (part.empty()) continue;
    bool positive = !part.consume_front("-");
    globs_.push_back({part.trim().str(), positive});
  }
}

bool CheckFilter::enabled(llvm::StringRef check) const {
  bool on = false;
  for (const Glob& g : globs_)
    if (globMatch(g.pattern, check)) on = g.positive;
  return on;
}

}  // namespace weave::lint
