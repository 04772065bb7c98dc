// Recognising declarations by qualified name, through the real headers: weave's API, the std and
// absl facilities the checks reason about, and any class the user names. A namespace is written as
// its path from the top level ("weave", "std", "absl::base_internal"); inline namespaces
// (std::__1, absl::lts_…) are looked through. Calls in templates whose callee is still an
// unresolved lookup are recognised by the names the lookup found. This is the one place the
// analyzer compares qualified names.
#pragma once

#include <optional>

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/Type.h"
#include "llvm/ADT/StringRef.h"

namespace weave::lint::api {

// True if `d` is declared directly in namespace `ns` (a path from the top level).
bool isDirectlyIn(const clang::Decl* d, llvm::StringRef ns);
// True if `d` is declared in namespace `ns` or in anything nested in it (namespaces, classes).
bool isWithin(const clang::Decl* d, llvm::StringRef ns);
// True if `d` is named `name` and declared directly in namespace `ns`.
bool isDeclIn(const clang::NamedDecl* d, llvm::StringRef ns, llvm::StringRef name);

// The class or class template a type names, after sugar, references and cv: the template of an
// instantiation (also of one still dependent or deduced), else the class. Null for other types.
const clang::NamedDecl* typeDecl(clang::QualType t);

// A class type named `name` declared directly in `ns`, or an instantiation of such a template:
// isTypeIn(t, "std", "thread"), isTypeIn(t, "absl::base_internal", "SpinLock").
bool isTypeIn(clang::QualType t, llvm::StringRef ns, llvm::StringRef name);
inline bool isWeaveType(clang::QualType t, llvm::StringRef name) {
  return isTypeIn(t, "weave", name);
}
// A class type declared anywhere inside `ns` (every weave type).
bool isTypeWithin(clang::QualType t, llvm::StringRef ns);

// The name of the function a call calls when that function is declared in namespace `ns`; empty
// otherwise. Works for resolved calls and for unresolved lookups in templates.
llvm::StringRef calleeNameIn(const clang::CallExpr* call, llvm::StringRef ns);
inline bool isWeaveCall(const clang::CallExpr* call, llvm::StringRef name) {
  return calleeNameIn(call, "weave") == name;
}
inline bool isStdCall(const clang::CallExpr* call, llvm::StringRef name) {
  return calleeNameIn(call, "std") == name;
}

// A member call `obj.method(…)` (or `p->method(…)`) on an object of class ns::cls, or of an
// instantiation of the template ns::cls.
bool isMethodCall(const clang::Stmt* s, llvm::StringRef ns, llvm::StringRef cls,
                  llvm::StringRef method);

// The four context factories: with_cancel, with_timeout, with_deadline, with_cancel_cause.
// Returns the factory's name, or empty.
llvm::StringRef contextFactory(const clang::CallExpr* call);

// `std::ignore` as it appears in std::tie(…, std::ignore).
bool isStdIgnore(const clang::Expr* e);

// weave::select(cases…): the number of cases, and whether one is otherwise() (Go's default).
struct SelectInfo {
  unsigned cases = 0;
  bool hasDefault = false;
};
std::optional<SelectInfo> selectCall(const clang::Expr* e);

}  // namespace weave::lint::api
