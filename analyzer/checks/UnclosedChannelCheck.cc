// weave-unclosed-channel: a channel some receiver ranges over (or receives from in a loop that
// ends only when the channel is closed), while no sender closes it on every path — the receiver
// blocks for ever once the senders are done. Also the generator shape: a function that returns a
// channel a fiber of its own sends a stream on, and never closes it.
//
// The channel is followed through lib/ChanFlow: from its make_chan into the fibers and helpers it
// reaches; a channel whose value leaves what the flow can see is not reported.
#include <optional>
#include <string>

#include "clang/AST/ExprCXX.h"
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

constexpr const char* kName = "weave-unclosed-channel";

class UnclosedChannelCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    ChanFlow flow(ctx);
    for (const void* cls : flow.classes()) analyze(flow, cls);
  }

 private:
  // True when every path of body `b` (from `from`, or from its entry) closes the channel.
  bool closesOnAllPaths(const ChanFlow& flow, unsigned b, const llvm::DenseSet<const Stmt*>& closes,
                        const CallExpr* from) const {
    const BodyInfo& bi = flow.bodies()[b];
    std::unique_ptr<FunctionCfg> cfg = FunctionCfg::build(bi.fb.decl, bi.fb.body, *ctx_);
    if (!cfg) return true;  // no CFG: do not guess
    CfgPoint start{&cfg->cfg().getEntry(), 0};
    if (from)
      if (std::optional<CfgPoint> at = cfg->find(from)) start = *at;
    return !cfg->findUnstoppedExit(start, [&](const Stmt* s) { return closes.count(s) > 0; });
  }

  bool returnsChannel(const ChanFlow& flow, unsigned b, const void* cls) const {
    bool found = false;
    walkBody(flow.bodies()[b].fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
      if (const auto* r = dyn_cast<ReturnStmt>(s))
        if (const void* n = flow.nodeOf(r->getRetValue()))
          found = found || flow.classOf(n) == flow.classOf(cls);
    });
    return found;
  }

  void analyze(const ChanFlow& flow, const void* cls) {
    const std::vector<ChanOrigin>& origins = flow.origins(cls);
    if (origins.empty() || flow.escaped(cls)) return;
    std::vector<const ChanOp*> loops, sends, closes;
    for (const ChanOp& op : flow.ops(cls)) {
      if (op.kind == ChanOpKind::Range || (op.kind == ChanOpKind::Recv && op.loopOnRecv))
        loops.push_back(&op);
      if (op.kind == ChanOpKind::Send || op.kind == ChanOpKind::SelectSend) sends.push_back(&op);
      if (op.kind == ChanOpKind::Close) closes.push_back(&op);
    }

    if (loops.empty()) {
      checkGenerator(flow, cls, origins, sends, closes);
      return;
    }
    if (sends.empty() && closes.empty()) return;  // nobody sends: another bug, not this one

    // A close counts when its body closes on every path: the statement itself, or the
    // absl::Cleanup that will run it.
    llvm::DenseMap<unsigned, llvm::DenseSet<const Stmt*>> closeStmts;
    for (const ChanOp* c : closes) {
      closeStmts[c->body].insert(c->stmt);
      const BodyInfo& bi = flow.bodies()[c->body];
      if (bi.cleanup && bi.parent >= 0)
        closeStmts[static_cast<unsigned>(bi.parent)].insert(bi.cleanupDecl);
    }
    for (auto& [b, stmts] : closeStmts) {
      const CallExpr* from = nullptr;
      for (const ChanOrigin& o : origins)
        if (o.body == b) from = o.make;
      if (closesOnAllPaths(flow, b, stmts, from)) return;
    }

    for (const ChanOrigin& o : origins) {
      Finding f{kName,
                o.make->getBeginLoc(),
                closes.empty()
                    ? "this channel is received from until it is closed, but no sender closes it: "
                      "the receiving loop blocks forever once the senders finish"
                    : "this channel is received from until it is closed, but it is not closed on "
                      "every path of its senders: the receiving loop can block forever",
                {},
                {}};
      for (const ChanOp* s : sends)
        if (f.notes.size() < 3) f.notes.push_back({s->stmt->getBeginLoc(), "a value is sent here"});
      if (!closes.empty())
        f.notes.push_back(
            {closes.front()->stmt->getBeginLoc(), "the channel is closed here on some paths only"});
      f.notes.push_back(
          {loops.front()->stmt->getBeginLoc(), "this loop ends only when the channel is closed"});
      out_->report(std::move(f));
    }
  }

  // `auto ch = make_chan(); go([ch]{ for (…) ch.send(v); }); return ch;` without a close.
  void checkGenerator(const ChanFlow& flow, const void* cls, const std::vector<ChanOrigin>& origins,
                      const std::vector<const ChanOp*>& sends,
                      const std::vector<const ChanOp*>& closes) {
    if (!closes.empty()) return;
    const ChanOp* stream = nullptr;
    for (const ChanOp* s : sends) {
      const BodyInfo& bi = flow.bodies()[s->body];
      if (bi.fiber && s->loop && !stream) stream = s;
    }
    if (!stream) return;
    for (const ChanOrigin& o : origins) {
      if (flow.bodies()[o.body].fb.lambda || !returnsChannel(flow, o.body, cls)) continue;
      out_->report({kName,
                    o.make->getBeginLoc(),
                    "this function returns a channel that its fiber sends a stream of values on, "
                    "but nothing closes it: a caller that ranges over it blocks forever",
                    {{stream->stmt->getBeginLoc(), "values are sent here, in a loop"}},
                    {}});
    }
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
};

}  // namespace

std::unique_ptr<Check> makeUnclosedChannelCheck() {
  return std::make_unique<UnclosedChannelCheck>();
}

}  // namespace weave::lint
