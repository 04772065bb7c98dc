// weave-forgotten-receiver: a fiber sends on an unbuffered channel whose only receiver can leave
// without receiving — an early return, an error branch, a throw — so the send blocks for ever and
// the fiber leaks. It is weave-abandoned-sender's other half: that check follows a receiver that
// reaches its select and takes another case; this one follows the receiver's paths from the
// moment the sender exists (the spawn of the sending fiber, or the call that returns the
// channel) to the end of the function, and reports a path that reaches no receive at all.
//
// The channel is followed as lib/ChanFlow follows it; the receiver is the one function that
// receives from it (a channel received from in two places, or sent on by its own receiver, is not
// reported). Only unbuffered channels are judged (a buffer's room is weave-abandoned-sender's
// question). `main` is exempt: when it returns, the process ends. Fix-it: capacity 1, when
// one value is sent.
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "lib/CfgPaths.h"
#include "lib/ChanFlow.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/FunctionWalker.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-forgotten-receiver";

class ForgottenReceiverCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    ChanFlow flow(ctx);
    for (const void* cls : flow.classes()) analyze(flow, cls);
  }

 private:
  void analyze(const ChanFlow& flow, const void* cls) {
    const std::vector<ChanOrigin>& origins = flow.origins(cls);
    if (origins.empty() || flow.escaped(cls)) return;
    uint64_t minCap = UINT64_MAX;
    for (const ChanOrigin& o : origins) {
      if (!o.capacity) return;
      minCap = std::min(minCap, *o.capacity);
    }
    std::vector<const ChanOp*> sends, receives;
    for (const ChanOp& op : flow.ops(cls)) {
      if (op.kind == ChanOpKind::Send) sends.push_back(&op);
      if (op.kind == ChanOpKind::Recv || op.kind == ChanOpKind::Range ||
          op.kind == ChanOpKind::SelectRecv)
        receives.push_back(&op);
    }
    if (sends.empty() || receives.empty()) return;
    unsigned receiver = receives.front()->body;
    for (const ChanOp* r : receives)
      if (r->body != receiver) return;
    bool looped = false;
    for (const ChanOp* s : sends) {
      if (s->body == receiver) return;
      looped = looped || s->loop || !flow.bodies()[s->body].spawnLoops.empty();
    }
    if (minCap > 0) return;  // the check is about unbuffered channels
    const BodyInfo& rb = flow.bodies()[receiver];
    if (rb.fb.isMain()) return;

    // Where the sender starts to exist for the receiver.
    std::vector<const Stmt*> starts;
    for (const ChanOp* s : sends) {
      const BodyInfo& sb = flow.bodies()[s->body];
      if (sb.fiber && sb.parent == static_cast<int>(receiver) && sb.spawn)
        starts.push_back(sb.spawn);
    }
    if (starts.empty())
      walkBody(rb.fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
        const auto* call = dyn_cast<CallExpr>(s);
        if (!call || api::isWeaveCall(call, "make_chan")) return;
        const void* n = flow.nodeOf(call);
        if (n && flow.classOf(n) == flow.classOf(cls)) starts.push_back(call);
      });
    if (starts.empty()) return;

    // A path receives when it reaches a receive, or the head of a loop around one: a loop that
    // runs no time has nothing to receive (the sender's count follows the same data).
    llvm::DenseSet<const Stmt*> receiving;
    auto loopHead = [&](const Stmt* loop) {
      if (const auto* f = dyn_cast<ForStmt>(loop); f && f->getCond())
        receiving.insert(f->getCond());
      if (const auto* w = dyn_cast<WhileStmt>(loop)) receiving.insert(w->getCond());
      if (const auto* fr = dyn_cast<CXXForRangeStmt>(loop)) {
        receiving.insert(fr->getRangeStmt());
        receiving.insert(fr->getRangeInit());
      }
    };
    llvm::DenseSet<const Stmt*> receiveStmts;
    for (const ChanOp* r : receives) receiveStmts.insert(r->stmt);
    walkBody(rb.fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      if (!receiveStmts.count(s)) return;
      receiving.insert(s);
      if (isa<CXXForRangeStmt>(s)) loopHead(s);
      for (const Stmt* p : parents)
        if (isa<ForStmt, WhileStmt, CXXForRangeStmt>(p)) loopHead(p);
    });
    std::unique_ptr<FunctionCfg> cfg = FunctionCfg::build(rb.fb.decl, rb.fb.body, *ctx_);
    if (!cfg) return;
    for (const Stmt* start : starts) {
      std::optional<CfgPoint> at = cfg->find(start);
      if (!at) continue;
      std::optional<PathExit> leaves;
      cfg->walkPaths(
          *at, [&](const Stmt* s) { return receiving.count(s) > 0; },
          [&](const PathExit& e) {
            leaves = e;
            return true;
          },
          /*throwsExit=*/true);
      if (!leaves) continue;
      report(origins, sends, rb, *leaves, looped);
      return;
    }
  }

  void report(const std::vector<ChanOrigin>& origins, const std::vector<const ChanOp*>& sends,
              const BodyInfo& rb, const PathExit& exit, bool looped) {
    for (const ChanOrigin& o : origins) {
      Finding f{kName,
                o.make->getBeginLoc(),
                "a fiber sends on this unbuffered channel, but its only receiver can leave "
                "without receiving: the sender then blocks forever (goroutine leak)",
                {},
                {}};
      for (const ChanOp* s : sends)
        if (f.notes.size() < 2)
          f.notes.push_back({s->stmt->getBeginLoc(), "this send blocks if nobody receives"});
      if (exit.thrown)
        f.notes.push_back({exit.thrown->getBeginLoc(), "this throw leaves without receiving"});
      else if (exit.ret)
        f.notes.push_back({exit.ret->getBeginLoc(), "this return leaves without receiving"});
      else
        f.notes.push_back({rb.fb.endLoc(), "the function ends here without receiving"});
      bool oneValue = !looped && sends.size() <= origins.size();
      if (oneValue && !o.make->getBeginLoc().isMacroID() && !o.make->getRParenLoc().isMacroID()) {
        // Room for the one value: the sender completes into the buffer and ends.
        if (o.capacityDefaulted)
          f.fixes.push_back(FixItHint::CreateInsertion(o.make->getRParenLoc(), "1"));
        else if (isa<IntegerLiteral>(o.make->getArg(0)->IgnoreParenImpCasts()))
          f.fixes.push_back(FixItHint::CreateReplacement(o.make->getArg(0)->getSourceRange(), "1"));
      }
      out_->report(std::move(f));
    }
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
};

}  // namespace

std::unique_ptr<Check> makeForgottenReceiverCheck() {
  return std::make_unique<ForgottenReceiverCheck>();
}

}  // namespace weave::lint
