// CFG construction and the forward path search (see CfgPaths.h).
#include "lib/CfgPaths.h"

#include <deque>

#include "clang/AST/ExprCXX.h"
#include "clang/Basic/SourceManager.h"
#include "lib/FunctionWalker.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
using namespace clang;

std::unique_ptr<FunctionCfg> FunctionCfg::build(const Decl* fn, const Stmt* body, ASTContext& ctx) {
  if (!body) return nullptr;
  CFG::BuildOptions opts;
  opts.setAllAlwaysAdd();
  opts.AddImplicitDtors = false;
  opts.AddCXXDefaultInitExprInCtors = false;
  std::unique_ptr<CFG> cfg = CFG::buildCFG(fn, const_cast<Stmt*>(body), &ctx, opts);
  if (!cfg) return nullptr;
  auto out = std::unique_ptr<FunctionCfg>(new FunctionCfg());
  out->ctx_ = &ctx;
  out->cfg_ = std::move(cfg);
  for (const CFGBlock* b : *out->cfg_) {
    unsigned i = 0;
    for (const CFGElement& e : *b) {
      if (auto s = e.getAs<CFGStmt>()) out->where_.try_emplace(s->getStmt(), CfgPoint{b, i});
      ++i;
    }
    if (const auto* t = dyn_cast_or_null<CXXTryStmt>(b->getTerminatorStmt())) {
      TryRegion r{t, {}};
      for (const CFGBlock* s : b->succs())
        if (s) r.handlers.push_back(s);
      out->tries_.push_back(std::move(r));
    }
  }
  return out;
}

std::optional<CfgPoint> FunctionCfg::find(const Stmt* s) const {
  auto it = where_.find(s);
  if (it == where_.end()) return std::nullopt;
  return it->second;
}

const FunctionCfg::TryRegion* FunctionCfg::innermostTry(const Stmt* s) const {
  if (tries_.empty()) return nullptr;
  const SourceManager& sm = ctx_->getSourceManager();
  SourceLocation loc = sm.getExpansionLoc(s->getBeginLoc());
  const TryRegion* best = nullptr;
  for (const TryRegion& r : tries_) {
    SourceRange body = r.stmt->getTryBlock()->getSourceRange();
    SourceLocation b = sm.getExpansionLoc(body.getBegin()), e = sm.getExpansionLoc(body.getEnd());
    if (sm.isBeforeInTranslationUnit(loc, b) || sm.isBeforeInTranslationUnit(e, loc)) continue;
    if (!best || contains(best->stmt->getTryBlock(), r.stmt)) best = &r;
  }
  return best;
}

bool FunctionCfg::endsPath(const CFGBlock* b) const {
  return b->hasNoReturnElement() || leavingThrow(b);
}

const CXXThrowExpr* FunctionCfg::leavingThrow(const CFGBlock* b) const {
  for (auto it = b->rbegin(); it != b->rend(); ++it) {
    auto s = it->getAs<CFGStmt>();
    if (!s) continue;
    if (const auto* t = dyn_cast<CXXThrowExpr>(s->getStmt())) {
      // A throw inside a try reaches its handlers through the dispatch block; one that leaves
      // the function goes straight to the exit block.
      for (const CFGBlock* succ : b->succs())
        if (succ && succ != &cfg_->getExit()) return nullptr;
      return t;
    }
    break;
  }
  return nullptr;
}

CfgPoint FunctionCfg::entry() const { return CfgPoint{&cfg_->getEntry(), 0}; }

std::vector<const CFGBlock*> FunctionCfg::successors(const CFGBlock* b) const {
  std::vector<const CFGBlock*> out;
  unsigned n = b->succ_size();
  unsigned skip = n;  // index of an edge no execution can take
  if (const auto* sw = dyn_cast_or_null<SwitchStmt>(b->getTerminatorStmt())) {
    if (auto sel = api::selectCall(sw->getCond()); sel && !sel->hasDefault) {
      llvm::DenseSet<int64_t> covered;
      bool hasDefault = false;
      for (const SwitchCase* c = sw->getSwitchCaseList(); c; c = c->getNextSwitchCase()) {
        if (isa<DefaultStmt>(c)) hasDefault = true;
        if (const auto* cs = dyn_cast<CaseStmt>(c))
          if (auto v = cs->getLHS()->getIntegerConstantExpr(*ctx_))
            covered.insert(v->getExtValue());
      }
      bool all = true;
      for (unsigned i = 0; i < sel->cases; ++i) all = all && covered.count(i);
      // Clang puts the "no case matched" edge last.
      if (all && !hasDefault && n > 0) skip = n - 1;
    }
  }
  unsigned i = 0;
  for (const CFGBlock* s : b->succs()) {
    if (s && i != skip) out.push_back(s);
    ++i;
  }
  return out;
}

void FunctionCfg::walkPaths(CfgPoint from, llvm::function_ref<bool(const Stmt*)> stops,
                            llvm::function_ref<bool(const PathExit&)> exits,
                            bool throwsExit) const {
  const CFGBlock* exit = &cfg_->getExit();
  llvm::DenseSet<const CFGBlock*> seen;
  std::deque<CfgPoint> work{from};
  bool first = true;
  while (!work.empty()) {
    CfgPoint at = work.front();
    work.pop_front();
    const CFGBlock* b = at.block;
    unsigned start = first ? at.index + 1 : 0;
    first = false;
    bool stopped = false;
    const ReturnStmt* ret = nullptr;
    for (unsigned i = start; i < b->size() && !stopped; ++i) {
      auto s = (*b)[i].getAs<CFGStmt>();
      if (!s) continue;
      const Stmt* st = s->getStmt();
      if (stops(st)) {
        stopped = true;
        break;
      }
      if (const auto* r = dyn_cast<ReturnStmt>(st)) ret = r;
      if (isa<CallExpr, CXXConstructExpr, CXXNewExpr>(st)) {
        if (const TryRegion* t = innermostTry(st))
          for (const CFGBlock* h : t->handlers)
            if (seen.insert(h).second) work.push_back({h, 0});
      }
    }
    if (stopped) continue;
    if (endsPath(b)) {
      if (throwsExit && !b->hasNoReturnElement())
        if (const CXXThrowExpr* t = leavingThrow(b))
          if (exits(PathExit{nullptr, b, t})) return;
      continue;
    }
    for (const CFGBlock* succ : successors(b)) {
      if (succ == exit) {
        if (exits(PathExit{ret, b})) return;
        continue;
      }
      if (seen.insert(succ).second) work.push_back({succ, 0});
    }
  }
}

std::optional<PathExit> FunctionCfg::findUnstoppedExit(
    CfgPoint from, llvm::function_ref<bool(const Stmt*)> stops) const {
  std::optional<PathExit> found;
  walkPaths(from, stops, [&](const PathExit& e) {
    found = e;
    return true;
  });
  return found;
}

}  // namespace weave::lint
