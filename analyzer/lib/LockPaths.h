// What a lock is, and which one. A mutex is named by the declaration that holds it — a field (then
// every object of the class shares the name, "Store::mu_"), a global, a local — and one object's
// mutex is told from another's by the path of objects that leads to it from a root: `this`, a
// variable or a parameter (`this->queue_.mu`, `acct.mu`, `p->mu`). A function's summary speaks of
// the locks it takes in its own terms; a call translates them into the caller's (its object for
// `this`, its arguments for parameters).
//
// A path through what the analysis cannot follow (an element of a container, the result of a
// call) has an unknown root: the lock keeps its name but is never the same object as another.
// One idiom is followed: a member object that points back at its owner (the owner's constructor
// gives it `this`), so `this->queue_.store_->mu_` is the owner's own `mu_`.
#pragma once

#include <optional>
#include <string>

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint {

struct LockPath {
  const void* root = nullptr;  // a canonical VarDecl, thisRoot() or unknownRoot()
  llvm::SmallVector<const clang::FieldDecl*, 2> fields;

  static const void* thisRoot();
  static const void* unknownRoot();

  // The same object is named by both paths only when their roots are known.
  bool known() const { return root && root != unknownRoot(); }
  // The declaration that holds the mutex: the last field, or the root variable.
  const clang::ValueDecl* decl() const;

  bool operator==(const LockPath& o) const { return root == o.root && fields == o.fields; }
  bool operator!=(const LockPath& o) const { return !(*this == o); }
  bool operator<(const LockPath& o) const;
};

// The path of an object expression (`mu`, `this->mu_`, `s.mu`, `p->inner.mu`, `*pmu`, `&mu`, a
// local reference bound to one of these), or nullopt when no variable or field names it.
std::optional<LockPath> objectPath(const clang::Expr* e);

// Applies the owner back-pointer idiom (see the top of this file) to a path built by hand.
void normalizePath(LockPath& p);

// "Class::field" for a field, the name for a variable.
std::string lockName(const clang::ValueDecl* d);

// True when `d` is a mutex object (a field, a global or a local of mutex type), not a pointer or
// reference to one: only these name a lock by what it is.
bool isMutexObject(const clang::ValueDecl* d);

enum class MutexKind { Exclusive, Recursive, ReaderWriter };
MutexKind mutexKind(clang::QualType t);

}  // namespace weave::lint
