// Which code a check looks at, and how it walks it. Every function body spelled in an analysed
// file (the main file, and the headers the front end admits: AnalysisScope.h) is visited once:
// ordinary functions, methods, and each lambda body on its own (fiber bodies are lambdas).
// Templates are visited once, as written, never per instantiation. Within a body, a walk does not
// enter nested lambda bodies (they are functions of their own) but does see their captures.
#pragma once

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/Stmt.h"
#include "lib/AnalysisScope.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace weave::lint {

struct FunctionBody {
  const clang::FunctionDecl* decl;  // for a lambda, its call operator
  const clang::Stmt* body;
  const clang::LambdaExpr* lambda;       // null for ordinary functions
  bool isMain() const;                   // `main` is exempt from some checks, as in go vet
  clang::SourceLocation endLoc() const;  // the closing brace: where falling off the end happens
};

void forEachFunctionBody(clang::ASTContext& ctx,
                         llvm::function_ref<void(const FunctionBody&)> visit);

// Pre-order walk of one body. `parents` runs from the body's root to the node's immediate parent.
void walkBody(
    const clang::Stmt* body,
    llvm::function_ref<void(const clang::Stmt* node, llvm::ArrayRef<const clang::Stmt*> parents)>
        visit);

// True if `s` (including nested lambdas' captures and bodies) refers to `d`.
bool mentions(const clang::Stmt* s, const clang::ValueDecl* d);

// True if `inner` is `outer` or lies inside it (nested lambda bodies included).
bool contains(const clang::Stmt* outer, const clang::Stmt* inner);

}  // namespace weave::lint
