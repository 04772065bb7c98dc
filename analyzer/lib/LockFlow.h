// Which locks are held where, in every function of the main file, through calls.
//
// One forward dataflow per function body over Clang's CFG (with scope-end destructors, so a guard
// releases where it dies) gives, before each statement:
//  - held: the locks every path to it holds (a must-set), each with where it was taken and what
//    releases it (a guard, an absl::Cleanup, or the code itself);
//  - taken: the names of the locks some path to it has taken, held still or not (a may-set);
//  - manual: the lock() calls whose lock some path to it still holds with no guard (a may-set).
// It understands what Lockset.h recognises (the mutexes, their lock/unlock spellings, the guards
// with std::defer_lock/try_to_lock/adopt_lock), a std::unique_lock's lock()/unlock()/release(),
// std::lock, and an absl::Cleanup whose lambda unlocks. try_lock() takes nothing.
//
// A call of a function defined in the main file applies that function's summary, translated into
// the caller's terms (LockPaths.h): the locks it takes (acquisitions, for double locks and lock
// order), the locks it returns holding (a lock helper), the locks it releases that it did not
// take. Summaries are computed on demand and memoized, so each body is analysed once whatever
// calls it — bottom-up over the call graph, with a recursive call seeing the (empty) summary of
// the function still being analysed. A call of a std::function (or absl::AnyInvocable, or
// function pointer) member runs every lambda or function this translation unit stores in it.
// A virtual call, a call out of the main file, or a lock through an unknown pointer contributes
// nothing: the analysis says nothing where it cannot tell.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Stmt.h"
#include "lib/LockPaths.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint {

struct HeldLock {
  LockPath path;
  bool shared = false;
  const clang::Stmt* site = nullptr;      // where it was taken: a lock call, a guard, a call
  const clang::VarDecl* owner = nullptr;  // the guard or absl::Cleanup that releases it
};

// A lock taken with no guard that some path still holds.
struct ManualLock {
  LockPath path;
  const clang::Stmt* site = nullptr;  // lock(), a guard's release(), or a call of a lock helper
  bool operator==(const ManualLock& o) const { return site == o.site && path == o.path; }
  bool operator<(const ManualLock& o) const {
    return site != o.site ? std::less<const clang::Stmt*>()(site, o.site) : path < o.path;
  }
};

// How a callee's paths read in the caller.
struct Translation {
  enum class This { Keep, Object, Unknown };
  This self = This::Unknown;
  LockPath object;  // This::Object: what the callee's `this` is here
  llvm::SmallVector<std::pair<const clang::ParmVarDecl*, std::optional<LockPath>>, 4> params;
  LockPath apply(const LockPath& p) const;
};

struct Callee {
  const clang::FunctionDecl* fn = nullptr;
  Translation tr;
};

// A lock a function takes, itself or through its calls. `chain` runs from the function's own
// statement (the lock operation, or the call that leads to it) down to the lock operation.
struct SummaryLock {
  LockPath path;
  bool shared = false;
  std::vector<const clang::Stmt*> chain;
};

struct LockSummary {
  std::vector<SummaryLock> acquires;        // every lock it takes
  std::vector<SummaryLock> returnsHolding;  // taken by it and held on every way out
  std::vector<LockPath> releases;           // released by it without being taken by it
  bool empty() const { return acquires.empty() && returnsHolding.empty() && releases.empty(); }
};

// One acquisition in a body, direct or through a call.
struct LockEvent {
  LockPath path;
  bool shared = false;
  std::vector<const clang::Stmt*> chain;  // chain[0]: the statement of this body
  std::vector<HeldLock> held;             // held right before chain[0]
  const clang::Stmt* at() const { return chain.front(); }
};

// A way out of a body: a return, a throw that leaves it, or the closing brace (at == null).
struct LockExit {
  const clang::Stmt* at = nullptr;
  std::vector<HeldLock> held;      // every path through it holds these
  std::vector<ManualLock> manual;  // some path through it holds these, unguarded
  std::vector<const clang::ValueDecl*> taken;
};

class LockBody {
 public:
  const std::vector<LockEvent>& acquisitions() const { return events_; }
  const std::vector<LockExit>& exits() const { return exits_; }
  // The resolved calls of the body, each with the function it runs (several for a callback).
  const std::vector<std::pair<const clang::Stmt*, Callee>>& calls() const { return calls_; }
  // Held (must) right before statement `s`; null when `s` is not reachable code of the body.
  const std::vector<HeldLock>* heldBefore(const clang::Stmt* s) const;
  // The names of the locks some path takes before reaching `s`.
  const std::vector<const clang::ValueDecl*>* takenBefore(const clang::Stmt* s) const;
  // True when the body releases `p` somewhere (unlock, a guard adopting it, a call, a cleanup).
  bool releases(const LockPath& p) const;
  const std::vector<LockPath>& released() const { return released_; }

 private:
  friend class LockModel;
  struct Snapshot {
    std::vector<HeldLock> held;
    std::vector<const clang::ValueDecl*> taken;
  };
  std::vector<LockEvent> events_;
  std::vector<LockExit> exits_;
  std::vector<std::pair<const clang::Stmt*, Callee>> calls_;
  std::vector<Snapshot> snapshots_;
  llvm::DenseMap<const clang::Stmt*, unsigned> at_;
  std::vector<LockPath> released_;
  std::vector<LockPath> unheld_;  // released without being taken here
};

// ", through f -> g" naming the functions a chain's calls run; empty for a chain of one.
std::string throughCalls(const std::vector<const clang::Stmt*>& chain);

class LockModel {
 public:
  explicit LockModel(clang::ASTContext& ctx);
  ~LockModel();
  LockModel(const LockModel&) = delete;
  LockModel& operator=(const LockModel&) = delete;

  // The analysis of a function defined in the main file (a lambda: its call operator); null when
  // the function takes and releases no lock, itself or through its calls.
  const LockBody* body(const clang::FunctionDecl* fd);
  // Its summary (empty for a function with no body here).
  const LockSummary& summary(const clang::FunctionDecl* fd);
  // The functions a call (or construction) may run, with their translations.
  std::vector<Callee> callees(const clang::Stmt* call);
  // The definition whose body the analysis reads, if `fd` has one in the main file.
  const clang::FunctionDecl* definition(const clang::FunctionDecl* fd) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weave::lint
