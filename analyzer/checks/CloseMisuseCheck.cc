// weave-close-misuse: the channel closes Go's runtime punishes with a panic, and the close Go's
// rule forbids. On one path of one function: a close after a close (a close inside a loop is one),
// a send after a close; and a close in a function that only receives from the channel (only a
// sender knows when no value will come, so only a sender closes).
#include <optional>
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"
#include "lib/Carriers.h"
#include "lib/CfgPaths.h"
#include "lib/ChanFlow.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/FunctionWalker.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-close-misuse";

// The object a channel method is called on (`ch` in `ch.close()`), or the channel argument of a
// select case.
const Expr* chanExprOf(const ChanOp& op) {
  if (const auto* mc = dyn_cast<CXXMemberCallExpr>(op.stmt)) return mc->getImplicitObjectArgument();
  if (const auto* call = dyn_cast<CallExpr>(op.stmt)) {
    if (const auto* dm = dyn_cast<CXXDependentScopeMemberExpr>(call->getCallee()))
      return dm->isImplicitAccess() ? nullptr : dm->getBase();
    if (call->getNumArgs() > 0) return call->getArg(0);
  }
  return nullptr;
}

// Only a variable, a parameter or a field of `this` names one channel along a path.
bool namesOneChannel(const ChanOp& op) {
  const Expr* e = chanExprOf(op);
  if (!e) return false;
  e = ignoreCarriers(e);
  if (isa<DeclRefExpr>(e)) return true;
  if (const auto* me = dyn_cast<MemberExpr>(e))
    return isa<CXXThisExpr>(me->getBase()->IgnoreParenImpCasts());
  return false;
}

class CloseMisuseCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    ChanFlow flow(ctx);
    for (unsigned b = 0; b < flow.bodies().size(); ++b) analyze(flow, b);
  }

 private:
  std::string text(const Expr* e) const {
    if (!e) return "the channel";
    const SourceManager& sm = ctx_->getSourceManager();
    CharSourceRange r = CharSourceRange::getTokenRange(e->getSourceRange());
    llvm::StringRef s = Lexer::getSourceText(r, sm, ctx_->getLangOpts());
    if (s.empty() || s.size() > 40) return "the channel";
    return "'" + s.str() + "'";
  }

  // A close under `if (!closed) { closed = true; ch.close(); }`: a flag the code keeps so the
  // close runs once. Paths are not told apart by values, so such closes are left alone.
  bool guardedByFlag(const Stmt* close, const Stmt* body) const {
    bool guarded = false;
    walkBody(body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      if (s != close) return;
      for (const Stmt* p : parents) {
        const auto* is = dyn_cast<IfStmt>(p);
        if (!is) continue;
        walkBody(is->getThen(), [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
          const Expr* lhs = nullptr;
          if (const auto* bo = dyn_cast<BinaryOperator>(n); bo && bo->isAssignmentOp())
            lhs = bo->getLHS();
          if (const auto* op = dyn_cast<CXXOperatorCallExpr>(n);
              op && op->getOperator() == OO_Equal && op->getNumArgs() == 2)
            lhs = op->getArg(0);
          if (const auto* dre =
                  dyn_cast_or_null<DeclRefExpr>(lhs ? lhs->IgnoreParenImpCasts() : nullptr))
            if (mentions(is->getCond(), dre->getDecl())) guarded = true;
        });
      }
    });
    return guarded;
  }

  void analyze(const ChanFlow& flow, unsigned b) {
    std::vector<const ChanOp*> ops = flow.opsInBody(b);
    bool anyClose = false;
    for (const ChanOp* op : ops) anyClose = anyClose || op->kind == ChanOpKind::Close;
    if (!anyClose) return;
    const BodyInfo& bi = flow.bodies()[b];

    // Closes by a function that only receives.
    llvm::DenseMap<const void*, unsigned> sends, recvs;
    llvm::DenseMap<const void*, const ChanOp*> firstRecv;
    for (const ChanOp* op : ops) {
      if (op->kind == ChanOpKind::Send || op->kind == ChanOpKind::SelectSend) ++sends[op->node];
      if (op->kind == ChanOpKind::Recv || op->kind == ChanOpKind::Range ||
          op->kind == ChanOpKind::SelectRecv) {
        ++recvs[op->node];
        firstRecv.try_emplace(op->node, op);
      }
    }

    std::unique_ptr<FunctionCfg> cfg = FunctionCfg::build(bi.fb.decl, bi.fb.body, *ctx_);
    llvm::DenseMap<const Stmt*, const ChanOp*> opAt;
    for (const ChanOp* op : ops)
      if (namesOneChannel(*op)) opAt[op->stmt] = op;

    // A function whose own fibers send (`wg.wait(); ch.close();` after starting them) closes as
    // the senders' owner.
    for (const ChanOp* op : ops) {
      if (op->kind != ChanOpKind::Close || sends.count(op->node)) continue;
      for (const ChanOp& other : flow.ops(op->node)) {
        if (other.node != op->node ||
            (other.kind != ChanOpKind::Send && other.kind != ChanOpKind::SelectSend))
          continue;
        for (int p = flow.bodies()[other.body].parent; p >= 0; p = flow.bodies()[p].parent)
          if (static_cast<unsigned>(p) == b) ++sends[op->node];
      }
    }

    for (const ChanOp* close : ops) {
      if (close->kind != ChanOpKind::Close) continue;
      if (recvs.count(close->node) && !sends.count(close->node)) {
        const ChanOp* r = firstRecv[close->node];
        report({kName,
                close->stmt->getBeginLoc(),
                "channel " + text(chanExprOf(*close)) +
                    " is closed by a function that only receives from it; only a sender should "
                    "close a channel (a sender that is still running will panic)",
                {{r->stmt->getBeginLoc(), "it is received from here"}},
                {}});
        continue;
      }
      if (!cfg || !namesOneChannel(*close) || guardedByFlag(close->stmt, bi.fb.body)) continue;
      std::optional<CfgPoint> at = cfg->find(close->stmt);
      if (!at) continue;
      searchAfterClose(*cfg, *at, *close, opAt);
    }
  }

  // Every operation on the same channel a path from `close` reaches before the variable is
  // assigned again.
  void searchAfterClose(const FunctionCfg& cfg, CfgPoint from, const ChanOp& close,
                        const llvm::DenseMap<const Stmt*, const ChanOp*>& opAt) {
    auto stops = [&](const Stmt* st) {
      // A declaration of the variable (a range-for's loop variable on each iteration) binds a
      // new channel.
      if (const auto* ds = dyn_cast<DeclStmt>(st)) {
        for (const Decl* d : ds->decls())
          if (d->getCanonicalDecl() == close.node) return true;
      }
      auto it = opAt.find(st);
      if (it == opAt.end() || it->second->node != close.node) return false;
      const ChanOp& op = *it->second;
      // Each misuse is reported once, however many closes reach it.
      auto reportOnce = [&](std::string message, std::string note) {
        if (reported_.insert(op.stmt).second)
          report({kName,
                  op.stmt->getBeginLoc(),
                  std::move(message),
                  {{close.stmt->getBeginLoc(), std::move(note)}},
                  {}});
      };
      if (op.kind == ChanOpKind::Assign) return true;
      if (op.kind == ChanOpKind::Close) {
        reportOnce("channel " + text(chanExprOf(op)) +
                       " may be closed twice on one path (closing a closed channel panics)",
                   op.stmt == close.stmt ? "this close runs again on the next iteration"
                                         : "it was closed here");
        return true;
      }
      if (op.kind == ChanOpKind::Send || op.kind == ChanOpKind::SelectSend) {
        reportOnce("send on channel " + text(chanExprOf(op)) +
                       " after it is closed on this path (a send on a closed channel panics)",
                   "it was closed here");
      }
      return false;
    };
    cfg.walkPaths(from, stops, [](const PathExit&) { return false; });
  }

  void report(Finding f) { out_->report(std::move(f)); }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
  llvm::DenseSet<const Stmt*> reported_;
};

}  // namespace

std::unique_ptr<Check> makeCloseMisuseCheck() { return std::make_unique<CloseMisuseCheck>(); }

}  // namespace weave::lint
