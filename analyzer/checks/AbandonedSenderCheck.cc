// weave-abandoned-sender: a send on an unbuffered channel whose only receiver waits in a select
// that can leave by another case (a timeout, ctx.done(), a stop channel, otherwise()). When that
// case wins, nobody will ever receive, and the sender blocks for ever: the seed's HTTP-handler
// leak. A channel with room for every such send, and a send that itself sits in a select with a
// way out, are fine. Fix-it: capacity 1, when one value is sent.
#include <optional>
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "lib/Carriers.h"
#include "lib/ChanFlow.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/FunctionWalker.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-abandoned-sender";

// A case of a select other than the receive that takes the value.
struct Exit {
  const Expr* arg = nullptr;
  const void* stopClass = nullptr;  // a receive on (or send to) another channel: its class
};

class AbandonedSenderCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    ChanFlow flow(ctx);
    for (const void* cls : flow.classes()) analyze(flow, cls);
  }

 private:
  // What a select argument is, when it is not the value's own channel.
  std::optional<Exit> exitCase(const ChanFlow& flow, const Expr* arg, const void* cls) const {
    const auto* call = dyn_cast_or_null<CallExpr>(ignoreCarriers(arg));
    if (!call) return std::nullopt;
    if (api::isWeaveCall(call, "otherwise")) return Exit{arg, nullptr};
    llvm::StringRef n = api::calleeNameIn(call, "weave");
    if ((n != "recv" && n != "send") || call->getNumArgs() == 0) return std::nullopt;
    const void* node = flow.nodeOf(call->getArg(0));
    if (node && flow.classOf(node) == flow.classOf(cls)) return std::nullopt;
    // after(), tick(), ctx.done(), a timer's c(): time or cancellation, nobody's choice here.
    if (!node) return Exit{arg, nullptr};
    if (flow.escaped(node)) return Exit{arg, nullptr};
    // A channel made here that no code sends on or closes, and no code outside can reach,
    // never wakes the receiver: that case is never taken.
    if (n == "recv" && !flow.origins(node).empty() && !wakes(flow, node)) return std::nullopt;
    return Exit{arg, flow.classOf(node)};
  }

  static bool wakes(const ChanFlow& flow, const void* cls) {
    for (const ChanOp& op : flow.ops(cls))
      if (op.kind == ChanOpKind::Send || op.kind == ChanOpKind::SelectSend ||
          op.kind == ChanOpKind::Close)
        return true;
    return false;
  }

  // The statements of `case k:` of the switch over `sel`, if the select is written that way.
  const SwitchStmt* switchOver(const FunctionBody& fb, const CallExpr* sel) const {
    const SwitchStmt* found = nullptr;
    walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
      if (const auto* sw = dyn_cast<SwitchStmt>(s))
        if (ignoreCarriers(sw->getCond()) == sel) found = sw;
    });
    return found;
  }

  // Does taking case k leave the loop the select runs in?
  bool caseLeaves(const ChanFlow& flow, const ChanOp& recv, unsigned k) const {
    if (!recv.loop) return true;
    const FunctionBody& fb = flow.bodies()[recv.body].fb;
    const SwitchStmt* sw = switchOver(fb, recv.select);
    if (!sw) return false;
    const auto* cs = dyn_cast<CompoundStmt>(sw->getBody());
    if (!cs) return false;
    const Expr* loopCond = nullptr;
    if (const auto* w = dyn_cast<WhileStmt>(recv.loop)) loopCond = w->getCond();
    if (const auto* f = dyn_cast<ForStmt>(recv.loop)) loopCond = f->getCond();
    if (const auto* d = dyn_cast<DoStmt>(recv.loop)) loopCond = d->getCond();
    bool inCase = false, leaves = false;
    for (const Stmt* s : cs->body()) {
      const Stmt* inner = s;
      while (const auto* sc = dyn_cast<SwitchCase>(inner)) {
        bool match = false;
        if (const auto* c = dyn_cast<CaseStmt>(sc))
          if (auto v = c->getLHS()->getIntegerConstantExpr(*ctx_)) match = *v == k;
        inCase = match;
        inner = sc->getSubStmt();
      }
      if (!inCase) continue;
      walkBody(inner, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
        if (isa<ReturnStmt, GotoStmt, CXXThrowExpr>(n)) leaves = true;
        const Expr* lhs = nullptr;
        if (const auto* bo = dyn_cast<BinaryOperator>(n); bo && bo->isAssignmentOp())
          lhs = bo->getLHS();
        if (const auto* dre =
                dyn_cast_or_null<DeclRefExpr>(lhs ? lhs->IgnoreParenImpCasts() : nullptr))
          if (loopCond && mentions(loopCond, dre->getDecl())) leaves = true;
      });
    }
    return leaves;
  }

  // `for (int i = a; i < b; i++)` with constant bounds: how many times the body runs.
  std::optional<uint64_t> tripCount(const Stmt* loop) const {
    const auto* fs = dyn_cast<ForStmt>(loop);
    if (!fs) return std::nullopt;
    const auto* ds = dyn_cast_or_null<DeclStmt>(fs->getInit());
    const auto* vd = ds && ds->isSingleDecl() ? dyn_cast<VarDecl>(ds->getSingleDecl()) : nullptr;
    const auto* cond = dyn_cast_or_null<BinaryOperator>(fs->getCond());
    const auto* inc = dyn_cast_or_null<UnaryOperator>(fs->getInc());
    if (!vd || !vd->getInit() || !cond || !inc || !inc->isIncrementOp()) return std::nullopt;
    if (cond->getOpcode() != BO_LT && cond->getOpcode() != BO_LE) return std::nullopt;
    const auto* lhs = dyn_cast<DeclRefExpr>(cond->getLHS()->IgnoreParenImpCasts());
    if (!lhs || lhs->getDecl() != vd) return std::nullopt;
    Expr::EvalResult a, b;
    if (vd->getInit()->isValueDependent() || cond->getRHS()->isValueDependent() ||
        !vd->getInit()->EvaluateAsInt(a, *ctx_) || !cond->getRHS()->EvaluateAsInt(b, *ctx_))
      return std::nullopt;
    int64_t lo = a.Val.getInt().getExtValue(), hi = b.Val.getInt().getExtValue();
    if (cond->getOpcode() == BO_LE) ++hi;
    // The body must not change the counter.
    bool written = false;
    walkBody(fs->getBody(), [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
      if (const auto* bo = dyn_cast<BinaryOperator>(n); bo && bo->isAssignmentOp())
        written = written || mentions(bo->getLHS(), vd);
      if (const auto* uo = dyn_cast<UnaryOperator>(n); uo && uo->isIncrementDecrementOp())
        written = written || mentions(uo->getSubExpr(), vd);
    });
    if (written) return std::nullopt;
    return hi > lo ? static_cast<uint64_t>(hi - lo) : 0;
  }

  // The sender controls a stop channel when its own body (or the body that started it) closes
  // or sends on it: it stops the receiver only after its own send.
  bool controlledBy(const ChanFlow& flow, const void* stopClass, unsigned body) const {
    for (const ChanOp& op : flow.ops(stopClass)) {
      if (op.kind != ChanOpKind::Close && op.kind != ChanOpKind::Send) continue;
      if (op.body == body) return true;
    }
    return false;
  }

  void analyze(const ChanFlow& flow, const void* cls) {
    const std::vector<ChanOrigin>& origins = flow.origins(cls);
    if (origins.empty() || flow.escaped(cls)) return;
    uint64_t minCap = UINT64_MAX;
    for (const ChanOrigin& o : origins) {
      if (!o.capacity) return;
      minCap = std::min(minCap, *o.capacity);
    }
    std::vector<const ChanOp*> selects, sends;
    for (const ChanOp& op : flow.ops(cls)) {
      if (op.kind == ChanOpKind::Recv || op.kind == ChanOpKind::Range) return;  // a patient reader
      if (op.kind == ChanOpKind::SelectRecv) selects.push_back(&op);
      if (op.kind == ChanOpKind::Send) sends.push_back(&op);
    }
    if (selects.empty() || sends.empty()) return;

    // The ways the receiver can leave.
    std::vector<Exit> exits;
    for (const ChanOp* r : selects) {
      for (unsigned k = 0; k < r->select->getNumArgs(); ++k) {
        if (k == r->caseIndex) continue;
        std::optional<Exit> e = exitCase(flow, r->select->getArg(k), cls);
        if (e && caseLeaves(flow, *r, k)) exits.push_back(*e);
      }
    }
    if (exits.empty()) return;

    // A receiver that comes back in another select is not gone after one exit.
    llvm::DenseSet<const CallExpr*> selectCalls;
    for (const ChanOp* r : selects) selectCalls.insert(r->select);
    if (selectCalls.size() > 1) return;

    // A channel made inside a loop is a new channel on each iteration: the loops around its
    // make_chan do not multiply the sends one channel receives.
    auto fresh = [&](const Stmt* loop, unsigned body) {
      if (origins.size() != 1 || origins[0].body != body) return false;
      for (const Stmt* l : origins[0].loops)
        if (l == loop) return true;
      return false;
    };
    std::vector<const ChanOp*> abandoned;
    const Exit* exitUsed = nullptr;
    bool unbounded = false;
    uint64_t count = 0;
    for (const ChanOp* s : sends) {
      for (const Exit& e : exits) {
        if (e.stopClass && controlledBy(flow, e.stopClass, s->body)) continue;
        abandoned.push_back(s);
        if (!exitUsed) exitUsed = &e;
        const BodyInfo& bi = flow.bodies()[s->body];
        std::optional<uint64_t> trips = 1;
        if (s->loop && !fresh(s->loop, s->body)) trips = tripCount(s->loop);
        bool respawned = false;
        for (const Stmt* l : bi.spawnLoops)
          respawned = respawned || !fresh(l, static_cast<unsigned>(bi.parent));
        if (!trips || respawned)
          unbounded = true;
        else
          count += *trips;
        break;
      }
    }
    if (abandoned.empty()) return;
    if (minCap > 0 && !unbounded && count <= minCap) return;

    for (const ChanOrigin& o : origins) {
      Finding f{kName,
                o.make->getBeginLoc(),
                minCap == 0 ? "a fiber sends on this unbuffered channel, but its receiver can stop "
                              "listening through another select case: the sender then blocks "
                              "forever (goroutine leak)"
                            : "this channel has less room than there are sends whose receiver can "
                              "stop listening through another select case: the extra senders "
                              "then block forever (goroutine leak)",
                {},
                {}};
      for (const ChanOp* s : abandoned)
        if (f.notes.size() < 2)
          f.notes.push_back({s->stmt->getBeginLoc(), "this send blocks if nobody receives"});
      f.notes.push_back(
          {exitUsed->arg->getBeginLoc(), "the receiver can take this case and never receive"});
      if (minCap == 0 && !unbounded && count <= origins.size()) addFix(f, o);
      out_->report(std::move(f));
    }
  }

  void addFix(Finding& f, const ChanOrigin& o) const {
    if (o.make->getBeginLoc().isMacroID() || o.make->getRParenLoc().isMacroID()) return;
    if (o.capacityDefaulted) {
      f.fixes.push_back(FixItHint::CreateInsertion(o.make->getRParenLoc(), "1"));
      return;
    }
    const Expr* cap = o.make->getArg(0);
    if (isa<IntegerLiteral>(cap->IgnoreParenImpCasts()))
      f.fixes.push_back(FixItHint::CreateReplacement(cap->getSourceRange(), "1"));
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
};

}  // namespace

std::unique_ptr<Check> makeAbandonedSenderCheck() {
  return std::make_unique<AbandonedSenderCheck>();
}

}  // namespace weave::lint
