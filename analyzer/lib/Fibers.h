// Which code runs as a fiber: the spawn sites of weave::go, WaitGroup::go, ErrGroup::go/try_go,
// std::thread and std::jthread (constructed directly or emplaced into a container) and
// std::async, and the body each one runs (a lambda, a named function, or a local variable that
// holds a lambda). Shared by the checks that reason about concurrency.
#pragma once

#include <optional>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/StringRef.h"

namespace weave::lint {

enum class SpawnKind { Go, WaitGroupGo, ErrGroupGo, Thread, JThread, Async };

struct Spawn {
  SpawnKind kind = SpawnKind::Go;
  const clang::Expr* expr = nullptr;          // the call or construction that starts the fiber
  const clang::Expr* callable = nullptr;      // the argument that is run
  const clang::LambdaExpr* lambda = nullptr;  // the body, when it is a lambda
  const clang::FunctionDecl* fn = nullptr;    // the body, when it is a named function
  const clang::ValueDecl* group = nullptr;    // WaitGroupGo/ErrGroupGo: the group (var or field)
};

// `s` starts a fiber (or a thread, or an async task): what it runs. In templates only resolved
// calls are recognised.
std::optional<Spawn> spawnAt(const clang::Stmt* s);

// The variable or field an object expression names (`wg`, `this->wg_`, `*pwg` is not), or null.
const clang::ValueDecl* namedObject(const clang::Expr* e);

// The object of a member call (implicit `this` included), or null.
const clang::Expr* callObject(const clang::Stmt* s);

}  // namespace weave::lint
