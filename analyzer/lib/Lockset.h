// Lockset analysis: which mutexes are held at each point of a function body, computed forward
// over Clang's CFG (with scope-end destructors) as a must-analysis (a lock counts only when every
// path to the point holds it). What each statement does to locks, and which locks the caller holds
// on entry (REQUIRES / EXCLUSIVE_LOCKS_REQUIRED), come from Locks.h.
#pragma once

#include <map>
#include <memory>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/Analysis/CFG.h"
#include "lib/Locks.h"
#include "llvm/ADT/DenseMap.h"

namespace weave::lint {

// mutex → held shared (true) or exclusively (false).
using Lockset = std::map<const clang::ValueDecl*, bool>;

// The locks of `a` and `b` together (a held exclusively in either is exclusive).
Lockset unionOf(const Lockset& a, const Lockset& b);

// True if some mutex is held by both accesses and protects them: held exclusively by each side
// that writes (a shared lock never guards a write).
bool commonGuard(const Lockset& a, bool aWrites, const Lockset& b, bool bWrites);

// True if the lockset guards an access of this kind at all (any lock for a read, an exclusive one
// for a write).
bool guards(const Lockset& l, bool writes);

class LocksetAnalysis {
 public:
  // Null if no CFG can be built. `entry` is what the caller holds when the body starts, besides
  // the locks the function requires of its callers.
  static std::unique_ptr<LocksetAnalysis> run(const clang::Decl* fn, const clang::Stmt* body,
                                              clang::ASTContext& ctx, const Lockset& entry = {});

  // The locks held right before statement `s` runs; null if `s` is not reachable code of the body.
  const Lockset* before(const clang::Stmt* s) const;

  const clang::CFG& cfg() const { return *cfg_; }
  struct Point {
    const clang::CFGBlock* block;
    unsigned index;
  };
  // Where `s` is in the CFG, if it is reachable code of this body.
  const Point* find(const clang::Stmt* s) const;

 private:
  std::unique_ptr<clang::CFG> cfg_;
  llvm::DenseMap<const clang::Stmt*, Lockset> before_;
  llvm::DenseMap<const clang::Stmt*, Point> where_;
};

}  // namespace weave::lint
