// Lock recognition: the one place the analyzer decides what is a mutex, what a statement does to
// locks, and which locks a function's caller must hold. Checks and the lockset dataflow
// (Lockset.h) ask here; nothing else matches lock names.
//
// Clang's thread-safety attributes come first, so any annotated class works as its author
// declared it: a `capability`/`lockable` class is a mutex (weave::Mutex, absl::Mutex,
// absl::base_internal::SpinLock, leveldb's port::Mutex, …); `acquire_capability`
// (`EXCLUSIVE_LOCK_FUNCTION`, `ACQUIRE`), `release_capability` (`UNLOCK_FUNCTION`, `RELEASE`) and
// `assert_capability` (`AssertHeld`, `AssertReaderHeld`) say what a call does and to which
// mutex (the object, or the arguments they name); a `scoped_lockable` class is a guard whose
// constructor acquires and whose destructor releases (absl::MutexLock, ReaderMutexLock,
// SpinLockHolder); `requires_capability` (`REQUIRES`, `EXCLUSIVE_LOCKS_REQUIRED`) on a function
// means its caller holds the lock. The standard library is not annotated, so its mutexes
// (std::mutex and kin) and guards (lock_guard, unique_lock with defer/adopt/try, scoped_lock,
// shared_lock) and std::lock are known by name; so is any class that meets BasicLockable
// (methods lock() and unlock()), with the Go-like and absl spellings of the methods.
//
// A mutex is identified by the variable or field that holds it: objectKey (Carriers.h) of the
// expression (`mu`, `this->mu_`, `s.mu`, `*pmu`, `&mu`, `mus[i]` name their declaration).
#pragma once

#include <optional>

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Type.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint {

// A class that is a mutex (see above). Looks through references, pointers and arrays.
bool isMutexType(clang::QualType t);

// A scoped guard class: the standard ones, or one annotated scoped_lockable.
bool isGuardType(clang::QualType t);

// For analyses that keep their own lock state (LockFlow.h): what calling the method `name` on a
// mutex or a std::unique_lock does by its name, and whether `t` is a scoped guard (`shared`: it
// holds its mutexes shared).
enum class MutexMethod { None, Lock, LockShared, Unlock };
MutexMethod mutexMethod(llvm::StringRef name);
bool isLockGuardType(clang::QualType t, bool& shared);

struct LockEffect {
  enum Kind { Acquire, Release } kind = Acquire;
  const clang::ValueDecl* mutex = nullptr;
  bool shared = false;  // Acquire: held shared (a reader lock)
};
using LockEffects = llvm::SmallVector<LockEffect, 2>;

// What one CFG element does to locks: a call that locks, unlocks or asserts a lock held (an
// assertion counts as an acquisition: the code says it holds it from there on), the declaration
// of a guard, a guard's own lock()/unlock(), a guard's end of scope. Guards are remembered per
// instance, so keep one LockEvents per function body.
class LockEvents {
 public:
  LockEffects at(const clang::CFGElement& e);
  // The same for a statement (a CFGStmt).
  LockEffects at(const clang::Stmt* s);
  // True if `s` is a lock operation of any kind (for checks that want to skip them).
  bool isLockOp(const clang::Stmt* s) { return !at(s).empty(); }

 private:
  struct Guard {
    llvm::SmallVector<const clang::ValueDecl*, 2> mutexes;
    bool shared = false;
    bool acquires = true;  // false with std::defer_lock / std::try_to_lock
  };
  const Guard* guard(const clang::VarDecl* vd);
  llvm::DenseMap<const clang::VarDecl*, std::optional<Guard>> guards_;
};

// The locks the caller of `fd` holds when it runs (its requires_capability attributes), as
// LockEffect acquisitions of the fields or parameters they name.
LockEffects requiredLocks(const clang::FunctionDecl* fd);

}  // namespace weave::lint
