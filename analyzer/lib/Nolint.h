// NOLINT comments, with clang-tidy's syntax and meaning: `// NOLINT`, `// NOLINT(check, glob*)` on
// the finding's line, `// NOLINTNEXTLINE(…)` on the line before, and `// NOLINTBEGIN(…)` …
// `// NOLINTEND(…)` around a region. Without a list every check is suppressed.
#pragma once

#include "clang/Basic/SourceLocation.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/StringRef.h"

namespace weave::lint {

bool isSuppressedByNolint(const clang::SourceManager& sm, clang::SourceLocation loc,
                          llvm::StringRef check);

// The same test on a line of text: does this comment text suppress `check`? `marker` is "NOLINT",
// "NOLINTNEXTLINE", … Exposed for tests.
bool nolintMatches(llvm::StringRef line, llvm::StringRef marker, llvm::StringRef check);

}  // namespace weave::lint
