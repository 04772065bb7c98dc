// Path questions over a function's control-flow graph, the way go vet's checks ask them: "is
// there a path from here to a return on which nothing does X?". Built on Clang's CFG with every
// expression as its own element, plus what the plain CFG does not know:
//  - paths that end in a [[noreturn]] call or in a `throw` that leaves the function never reach a
//    return (go vet: panic, log.Fatal, os.Exit); endless loops never reach one either;
//  - a `switch (weave::select(…))` without otherwise() whose cases cover every index has no
//    "no case matched" edge (a blocking select always runs one case);
//  - inside a `try` body any call may throw, so the catch handlers are reachable from each call
//    (an exception that leaves the function is, like a Go panic, not a path).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "clang/AST/ASTContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace weave::lint {

struct CfgPoint {
  const clang::CFGBlock* block = nullptr;
  unsigned index = 0;  // element index within block
};

// Where a path left the function: a return statement, or falling off the closing brace (or, when
// asked for, a throw that leaves it).
struct PathExit {
  const clang::ReturnStmt* ret = nullptr;  // null when the path falls off the end
  const clang::CFGBlock* lastBlock = nullptr;
  const clang::CXXThrowExpr* thrown = nullptr;  // the throw, for walkPaths(…, throwsExit)
};

class FunctionCfg {
 public:
  static std::unique_ptr<FunctionCfg> build(const clang::Decl* fn, const clang::Stmt* body,
                                            clang::ASTContext& ctx);

  const clang::CFG& cfg() const { return *cfg_; }
  // The element whose statement is `s`, if `s` is code of this body (code after a return
  // included: Clang's CFG keeps unreachable blocks, which no path from the entry reaches).
  std::optional<CfgPoint> find(const clang::Stmt* s) const;

  // Walks the paths that start right after `from`, each block once, exception edges included.
  // `stops(stmt)` is asked for each statement element in path order; a path ends (without
  // exiting) at the first element for which it says true. `exits(exit)` is told of each path
  // that leaves the function without stopping; when it returns true the walk ends there.
  // `throwsExit`: a throw that leaves the function is an exit too (for questions about what an
  // exception skips, not about what a panic ends).
  void walkPaths(CfgPoint from, llvm::function_ref<bool(const clang::Stmt*)> stops,
                 llvm::function_ref<bool(const PathExit&)> exits, bool throwsExit = false) const;

  // The entry of the body, as a point to walk from (its first element is not skipped).
  CfgPoint entry() const;

  // The first exit reached by a path from `from` that never stopped (see walkPaths), if any.
  std::optional<PathExit> findUnstoppedExit(
      CfgPoint from, llvm::function_ref<bool(const clang::Stmt*)> stops) const;

  // The successors a path may take from `b` (see the header comment for what differs from
  // b->succs()). Null and unreachable successors are dropped.
  std::vector<const clang::CFGBlock*> successors(const clang::CFGBlock* b) const;

  // True when the path through `b` cannot go on past it: a [[noreturn]] call, or a throw that
  // leaves the function.
  bool endsPath(const clang::CFGBlock* b) const;

  // The throw that ends `b` and leaves the function, if any.
  const clang::CXXThrowExpr* leavingThrow(const clang::CFGBlock* b) const;

 private:
  struct TryRegion {
    const clang::CXXTryStmt* stmt;
    std::vector<const clang::CFGBlock*> handlers;
  };
  const TryRegion* innermostTry(const clang::Stmt* s) const;

  clang::ASTContext* ctx_ = nullptr;
  std::unique_ptr<clang::CFG> cfg_;
  llvm::DenseMap<const clang::Stmt*, CfgPoint> where_;
  std::vector<TryRegion> tries_;
};

}  // namespace weave::lint
