// Recognising weave's API (and the few std facilities the checks reason about) by qualified name,
// through the real headers: a declaration counts when its name is declared directly in namespace
// `weave` (or `std`, looking through inline namespaces). Calls in templates whose callee is still
// an unresolved lookup are recognised by the names the lookup found.
#pragma once

#include <optional>

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/Type.h"
#include "llvm/ADT/StringRef.h"

namespace weave::lint::api {

// True if `d` is named `name` and declared directly in namespace `ns` (a top-level namespace).
bool isDeclIn(const clang::NamedDecl* d, llvm::StringRef ns, llvm::StringRef name);

// The name of the function a call calls when that function is declared in namespace `ns`; empty
// otherwise. Works for resolved calls and for unresolved lookups in templates.
llvm::StringRef calleeNameIn(const clang::CallExpr* call, llvm::StringRef ns);
inline bool isWeaveCall(const clang::CallExpr* call, llvm::StringRef name) {
  return calleeNameIn(call, "weave") == name;
}
inline bool isStdCall(const clang::CallExpr* call, llvm::StringRef name) {
  return calleeNameIn(call, "std") == name;
}

// The four context factories: with_cancel, with_timeout, with_deadline, with_cancel_cause.
// Returns the factory's name, or empty.
llvm::StringRef contextFactory(const clang::CallExpr* call);

// A class type (after sugar, references and cv) declared as weave::<name> or an instantiation of
// the template weave::<name>: isWeaveType(t, "Chan"), isWeaveType(t, "CancelFunc").
bool isWeaveType(clang::QualType t, llvm::StringRef name);

// `std::ignore` as it appears in std::tie(…, std::ignore).
bool isStdIgnore(const clang::Expr* e);

// weave::select(cases…): the number of cases, and whether one is otherwise() (Go's default).
struct SelectInfo {
  unsigned cases = 0;
  bool hasDefault = false;
};
std::optional<SelectInfo> selectCall(const clang::Expr* e);

// Strips the nodes that only carry a value along (implicit casts, temporaries, parentheses,
// cleanups, copy/move constructions of the same value).
const clang::Expr* ignoreCarriers(const clang::Expr* e);

}  // namespace weave::lint::api
