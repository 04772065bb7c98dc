// Reads and writes: whether a reference to a variable (or a field) in an expression reads it or
// may write it. A write is an assignment, ++/--, a call of a non-const method on it (including
// operators such as std::map's []), binding it to a non-const reference parameter or variable, or
// taking its address (unless the address goes straight to a pointer-to-const parameter, or to
// absl::Condition, which only reads through it). Member and subscript accesses count as accesses of
// the whole object.
#pragma once

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ParentMap.h"

namespace weave::lint {

// `ref` is a DeclRefExpr or MemberExpr; `pm` a parent map of a statement that contains it.
bool isWriteAccess(const clang::Expr* ref, const clang::ParentMap& pm);

// True if `body` may write `v` (see isWriteAccess).
bool writesTo(const clang::Stmt* body, const clang::ValueDecl* v);

}  // namespace weave::lint
