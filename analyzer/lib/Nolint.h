// NOLINT comments, with clang-tidy's syntax and meaning: `// NOLINT`, `// NOLINT(check, glob*)` on
// the finding's line, `// NOLINTNEXTLINE(…)` on the line before, and `// NOLINTBEGIN(…)` …
// `// NOLINTEND(…)` around a region (a NOLINTBEGIN without its NOLINTEND lasts to the end of the
// file). Without a list every check is suppressed.
//
// The cost of a question is the length of two lines plus the number of NOLINTBEGIN/NOLINTEND
// lines above the finding: each file is scanned once for those, on its first question, so a
// file with many findings is not read again for each of them.
#pragma once

#include <vector>

#include "clang/Basic/SourceLocation.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"

namespace weave::lint {

// The NOLINT comments of one translation unit's files, for the findings reported in it.
class NolintIndex {
 public:
  explicit NolintIndex(const clang::SourceManager& sm) : sm_(sm) {}
  bool suppresses(clang::SourceLocation loc, llvm::StringRef check);

 private:
  // The lines of a file that hold NOLINTBEGIN or NOLINTEND, in order, by their start offsets.
  struct RegionMarks {
    std::vector<llvm::StringRef> lines;
    std::vector<unsigned> starts;
  };
  const RegionMarks& marksOf(clang::FileID file, llvm::StringRef text);

  const clang::SourceManager& sm_;
  llvm::DenseMap<clang::FileID, RegionMarks> marks_;
};

// The same test on a line of text: does this comment text suppress `check`? `marker` is "NOLINT",
// "NOLINTNEXTLINE", … Exposed for tests.
bool nolintMatches(llvm::StringRef line, llvm::StringRef marker, llvm::StringRef check);

}  // namespace weave::lint
