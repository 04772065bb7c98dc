// Which files' code the checks analyse: the main file of the translation unit always, a header
// only when the front end running the checks admits it (clang-tidy's --header-filter and
// --system-headers), so that findings in headers are found exactly where the user asked for them
// and the cost of a run follows the code the user wants checked, not every header it includes.
//
// The admission is set for the duration of one translation unit's checks, on the thread that
// runs them (ScopedHeaderAdmission); without one, only the main file is analysed. Every walk
// over "the code of this TU" (FunctionWalker, the flows, interprocedural steps into a callee)
// asks isAnalysed, so they all agree on what is visible.
#pragma once

#include "clang/AST/DeclBase.h"
#include "clang/Basic/SourceLocation.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Regex.h"

namespace weave::lint {

class HeaderAdmission {
 public:
  virtual ~HeaderAdmission() = default;
  // Whether the code of `file`, a header of this translation unit, is analysed.
  virtual bool admits(const clang::SourceManager& sm, clang::FileID file) const = 0;
  // The main file, or an admitted header (where `loc` is expanded, for a macro).
  bool covers(const clang::SourceManager& sm, clang::SourceLocation loc) const;
};

// clang-tidy's header filter: a header is admitted when `include` finds its name (as the
// compiler opened it) and `exclude` does not, and, unless `systemHeaders`, it is not a system
// header. A null regex matches nothing. Answers are cached per file: one per translation unit.
class HeaderFilterAdmission : public HeaderAdmission {
 public:
  HeaderFilterAdmission(const llvm::Regex* include, const llvm::Regex* exclude, bool systemHeaders)
      : include_(include), exclude_(exclude), systemHeaders_(systemHeaders) {}
  bool admits(const clang::SourceManager& sm, clang::FileID file) const override;

 private:
  const llvm::Regex *include_, *exclude_;
  bool systemHeaders_;
  mutable llvm::DenseMap<clang::FileID, bool> cache_;
};

// Installs `admission` for the current thread until destroyed (the previous one is restored).
class ScopedHeaderAdmission {
 public:
  explicit ScopedHeaderAdmission(const HeaderAdmission* admission);
  ~ScopedHeaderAdmission();
  ScopedHeaderAdmission(const ScopedHeaderAdmission&) = delete;
  ScopedHeaderAdmission& operator=(const ScopedHeaderAdmission&) = delete;

 private:
  const HeaderAdmission* previous_;
};

// True if the code at `loc` (where it is expanded, for a macro) is analysed.
bool isAnalysed(const clang::SourceManager& sm, clang::SourceLocation loc);
// True if `d` is spelled in analysed code.
bool isAnalysed(const clang::Decl* d);

}  // namespace weave::lint
