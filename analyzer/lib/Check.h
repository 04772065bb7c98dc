// The contract between a check and the front ends that run it. A check sees one parsed
// translation unit through plain Clang AST/CFG APIs and reports Findings to a Reporter; it never
// knows whether weave-lint or clang-tidy is running it, so each check has exactly one
// implementation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "clang/AST/ASTContext.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/StringRef.h"

namespace weave::lint {

struct Note {
  clang::SourceLocation loc;
  std::string message;
};

// One warning: where, what, the notes that explain it, and the fix-its that repair it (empty
// unless the repair is certain).
struct Finding {
  std::string check;
  clang::SourceLocation loc;
  std::string message;
  std::vector<Note> notes;
  std::vector<clang::FixItHint> fixes;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void report(Finding finding) = 0;
};

class Check {
 public:
  virtual ~Check() = default;
  // Called once per translation unit that parsed without errors. Checks analyse the code of the
  // main file and of the headers the front end admits (AnalysisScope.h), as clang-tidy reports
  // on the main file and the headers its --header-filter lets through.
  virtual void checkTranslationUnit(clang::ASTContext& ctx, Reporter& out) = 0;
};

}  // namespace weave::lint
