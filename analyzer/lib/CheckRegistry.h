// The registry of checks (from checks/Checks.def) and clang-tidy-style check globs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/Check.h"
#include "llvm/ADT/StringRef.h"

namespace weave::lint {

#define WEAVE_CHECK(name, factory, summary, doc) std::unique_ptr<Check> factory();
#include "checks/Checks.def"
#undef WEAVE_CHECK

struct CheckInfo {
  const char* name;
  std::unique_ptr<Check> (*make)();
  const char* summary;
  const char* doc;  // repository-relative path of the check's documentation
};

const std::vector<CheckInfo>& allChecks();

// clang-tidy's --checks syntax: comma-separated globs, `*` wildcards, a leading `-` removes; the
// last glob that matches a name decides.
class CheckFilter {
 public:
  explicit CheckFilter(llvm::StringRef globs);
  bool enabled(llvm::StringRef check) const;

 private:
  struct Glob {
    std::string pattern;
    bool positive;
  };
  std::vector<Glob> globs_;
};

bool globMatch(llvm::StringRef pattern, llvm::StringRef text);

}  // namespace weave::lint
