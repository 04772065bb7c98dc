// Nodes that only carry a value along: the value of the node is the value (the same object, or a
// copy or conversion of it) of one of its children. Implicit casts, parentheses, temporaries and
// cleanups, copies and moves, std::move/std::forward, casts that keep the object (no-op,
// derived-to-base, conversions by constructor or conversion function), implicit converting
// constructions (a lambda into std::function, Chan<T> into RecvChan<T>), and the arms of `?:`.
// One list, used both ways: down from a node to the expression it carries, and up from an
// expression to the node that uses its value.
#pragma once

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"

namespace weave::lint {

// The child whose value `e` carries, or null when `e` makes a value of its own. (`?:` has two
// such children and is only a carrier upward.)
const clang::Expr* carriedChild(const clang::Expr* e);

// True if `parent`'s value is `child`'s value: `child` is what carriedChild(parent) returns, an
// arm of a conditional operator, or the object of a conversion function call.
bool carries(const clang::Stmt* parent, const clang::Stmt* child);

// Down through every carrier to the expression that makes the value.
const clang::Expr* ignoreCarriers(const clang::Expr* e);

// The variable or field an object expression stands for: through carriers, `*`, `&`, `->`,
// subscripts and front()/back()/at()/get() (an element, or what a smart pointer holds, stands for
// its container). Null when it names none (a temporary, a call's result).
const clang::ValueDecl* objectKey(const clang::Expr* e);

// A cast to void: the value is dropped there.
bool isVoidCast(const clang::Stmt* s);

}  // namespace weave::lint
