// The per-thread header admission, clang-tidy's header filter, and the one predicate every walk
// asks.
#include "lib/AnalysisScope.h"

#include "clang/AST/ASTContext.h"
#include "clang/Basic/FileManager.h"

namespace weave::lint {
using namespace clang;

namespace {
thread_local const HeaderAdmission* current = nullptr;
}  // namespace

bool HeaderAdmission::covers(const SourceManager& sm, SourceLocation loc) const {
  if (loc.isInvalid()) return false;
  FileID file = sm.getFileID(sm.getExpansionLoc(loc));
  return file == sm.getMainFileID() || (file.isValid() && admits(sm, file));
}

bool HeaderFilterAdmission::admits(const SourceManager& sm, FileID file) const {
  auto [it, fresh] = cache_.try_emplace(file, false);
  if (!fresh) return it->second;
  OptionalFileEntryRef entry = sm.getFileEntryRefForID(file);
  if (!entry || !include_) return false;
  if (!systemHeaders_ && SrcMgr::isSystem(sm.getFileCharacteristic(sm.getLocForStartOfFile(file))))
    return false;
  llvm::StringRef name = entry->getName();
  it->second = include_->match(name) && !(exclude_ && exclude_->match(name));
  return it->second;
}

ScopedHeaderAdmission::ScopedHeaderAdmission(const HeaderAdmission* admission)
    : previous_(current) {
  current = admission;
}

ScopedHeaderAdmission::~ScopedHeaderAdmission() { current = previous_; }

bool isAnalysed(const SourceManager& sm, SourceLocation loc) {
  if (current) return current->covers(sm, loc);
  return loc.isValid() && sm.isInMainFile(sm.getExpansionLoc(loc));
}

bool isAnalysed(const Decl* d) {
  return d && isAnalysed(d->getASTContext().getSourceManager(), d->getLocation());
}

}  // namespace weave::lint
