// weave-blocking-under-lock: the mixed deadlock. A fiber blocks — a send or receive on an
// unbuffered channel, ranging over one, a select without otherwise(), WaitGroup::wait, a
// condition variable's wait (which releases its own mutex, not the others) — while it holds a
// mutex that the code on the other side of that operation takes before it gets there: the fibers
// that receive (for a send), send or close (for a receive), call done() (for a wait), signal (for
// a condition). The other side waits for the mutex, the holder waits for the other side.
//
// The other side is found as weave-lint finds channel flows (lib/ChanFlow.h) and, for a
// WaitGroup or a condition, by the object its done()/signal() is called on; "takes before it gets
// there" means some path of its function takes the mutex and then reaches the operation
// (lib/LockFlow.h's taken-set), counting what every caller of a helper takes before calling it.
// Every fiber on the other side must take the mutex: one that does not could still unblock the
// holder. Blocking inside a function the holder calls is reported at the call. Channels that
// escape the analysis, selects with a timer or a context case, and operations whose other side is
// not in the file are not reported.
#include <map>
#include <set>
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "lib/Carriers.h"
#include "lib/ChanFlow.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/LockFlow.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-blocking-under-lock";

enum class BlockKind { Send, Recv, Select, WgWait, CondWait };

// A statement of some body that blocks until another fiber acts.
struct Blocking {
  BlockKind kind;
  const Stmt* stmt = nullptr;              // reported here (held locks are read here)
  unsigned body = 0;                       // index into ChanFlow::bodies()
  std::vector<const ChanOp*> ops;          // channel operations (several for a select)
  const ValueDecl* object = nullptr;       // the WaitGroup or condition variable
  const ValueDecl* released = nullptr;     // a condition's own mutex, which its wait releases
  const VarDecl* releasedGuard = nullptr;  // std::condition_variable: the unique_lock it releases
};

// A statement on the other side: the fiber that would unblock a Blocking.
struct Peer {
  unsigned body;
  const Stmt* stmt;  // null: the end of the body (WaitGroup::go)
};

struct CallSite {
  unsigned body;
  const Stmt* stmt;
  Translation tr;
};

// A blocking operation reached from a body, and the calls that lead to it.
struct Reach {
  const Blocking* op;
  std::vector<const Stmt*> chain;
};

constexpr size_t kMaxReach = 16;
constexpr size_t kMaxChain = 8;

bool isCondType(QualType t) {
  return api::isTypeIn(t, "weave", "Cond") || api::isTypeIn(t, "std", "condition_variable") ||
         api::isTypeIn(t, "std", "condition_variable_any");
}

class BlockingUnderLockCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ChanFlow flow(ctx);
    LockModel model(ctx);
    flow_ = &flow;
    model_ = &model;
    out_ = &out;
    const std::vector<BodyInfo>& bodies = flow.bodies();
    for (unsigned b = 0; b < bodies.size(); ++b) bodyOf_[bodies[b].fb.decl] = b;
    for (unsigned b = 0; b < bodies.size(); ++b) scan(b);
    for (unsigned b = 0; b < bodies.size(); ++b) {
      const LockBody* lb = model.body(bodies[b].fb.decl);
      if (!lb) continue;
      for (const Blocking& op : blocking_[b]) check(*lb, op, op.stmt, {op.stmt});
      // Blocking inside the functions this body calls.
      for (const auto& [call, callee] : lb->calls()) {
        auto it = bodyOf_.find(callee.fn);
        if (it == bodyOf_.end()) continue;
        for (const Reach& r : blocksFrom(it->second)) {
          std::vector<const Stmt*> chain{call};
          chain.insert(chain.end(), r.chain.begin(), r.chain.end());
          check(*lb, *r.op, call, chain);
        }
      }
    }
    clear();
  }

 private:
  // ---- what each body does ----------------------------------------------------------------

  void scan(unsigned b) {
    const BodyInfo& bi = flow_->bodies()[b];
    std::map<const CallExpr*, std::vector<const ChanOp*>> selects;
    for (const ChanOp* op : flow_->opsInBody(b)) {
      switch (op->kind) {
        case ChanOpKind::Send:
          blocking_[b].push_back({BlockKind::Send, op->stmt, b, {op}});
          break;
        case ChanOpKind::Recv:
          blocking_[b].push_back({BlockKind::Recv, op->stmt, b, {op}});
          break;
        case ChanOpKind::Range:
          blocking_[b].push_back(
              {BlockKind::Recv, cast<CXXForRangeStmt>(op->stmt)->getLoopVarStmt(), b, {op}});
          break;
        case ChanOpKind::SelectRecv:
        case ChanOpKind::SelectSend:
          selects[op->select].push_back(op);
          break;
        default:
          break;
      }
    }
    for (auto& [sel, ops] : selects) {
      std::optional<api::SelectInfo> info = api::selectCall(sel);
      // Every case must be a channel the flow follows: a timer or a context can end the wait.
      if (!info || info->hasDefault || ops.size() != info->cases) continue;
      blocking_[b].push_back({BlockKind::Select, sel, b, ops});
    }
    walkBody(bi.fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
      if (std::optional<Spawn> sp = spawnAt(s);
          sp && sp->kind == SpawnKind::WaitGroupGo && sp->lambda) {
        auto it = bodyOf_.find(sp->lambda->getCallOperator());
        if (it != bodyOf_.end() && sp->group)
          peers_[cast<ValueDecl>(sp->group->getCanonicalDecl())].push_back({it->second, nullptr});
        return;
      }
      if (const auto* call = dyn_cast<CallExpr>(s)) {
        std::vector<Callee> callees = model_->callees(call);
        for (const Callee& c : callees) {
          callers_[c.fn].push_back({b, call, c.tr});
          calls_[b].push_back({call, c.fn});
        }
        // A WaitGroup or condition handed to code this file does not show.
        if (callees.empty())
          for (const Expr* arg : call->arguments())
            if (std::optional<LockPath> p = objectPath(arg); p && p->decl())
              escaped_.insert(p->decl());
      }
      const auto* mc = dyn_cast<CXXMemberCallExpr>(s);
      if (!mc || !mc->getMethodDecl() || !mc->getMethodDecl()->getIdentifier()) return;
      const Expr* obj = mc->getImplicitObjectArgument();
      std::optional<LockPath> path = obj ? objectPath(obj) : std::nullopt;
      const ValueDecl* d = path ? path->decl() : nullptr;
      if (!d) return;
      llvm::StringRef m = mc->getMethodDecl()->getName();
      QualType t = obj->getType();
      if (t->isPointerType()) t = t->getPointeeType();
      if (api::isTypeIn(t, "weave", "WaitGroup")) {
        if (m == "done") addPeer(*path, {b, mc});
        if (m == "wait") blocking_[b].push_back({BlockKind::WgWait, mc, b, {}, d});
      } else if (isCondType(t)) {
        if (m == "signal" || m == "broadcast" || m == "notify_one" || m == "notify_all")
          addPeer(*path, {b, mc});
        if (m == "wait" && (mc->getNumArgs() <= 1 || api::isTypeIn(t, "weave", "Cond"))) {
          Blocking w{BlockKind::CondWait, mc, b, {}, d};
          if (api::isTypeIn(t, "weave", "Cond")) {
            w.released = condMutex(d);
            if (!w.released) return;
          } else if (mc->getNumArgs() >= 1) {
            const auto* dre = dyn_cast<DeclRefExpr>(mc->getArg(0)->IgnoreParenImpCasts());
            w.releasedGuard = dre ? dyn_cast<VarDecl>(dre->getDecl()) : nullptr;
            if (!w.releasedGuard) return;
          }
          blocking_[b].push_back(w);
        }
      }
    });
  }

  // A done()/signal() on the object `p` names. On a parameter of a helper, the object is what its
  // callers pass (resolved once every caller is known).
  void addPeer(const LockPath& p, Peer peer) {
    const auto* root = p.known() ? static_cast<const Decl*>(p.root) : nullptr;
    if (p.fields.empty() && root && isa<ParmVarDecl>(root))
      paramPeers_.push_back({p, peer});
    else if (p.decl())
      peers_[p.decl()].push_back(peer);
  }

  // The mutex a weave::Cond was constructed with.
  const ValueDecl* condMutex(const ValueDecl* cond) const {
    const Expr* init = nullptr;
    if (const auto* vd = dyn_cast<VarDecl>(cond)) init = vd->getInit();
    if (const auto* fd = dyn_cast<FieldDecl>(cond)) {
      init = fd->getInClassInitializer();
      if (const auto* rd = dyn_cast<CXXRecordDecl>(fd->getParent()); rd && !init)
        for (const CXXConstructorDecl* ctor : rd->ctors())
          for (const CXXCtorInitializer* i : ctor->inits())
            if (i->getMember() == fd && i->isWritten()) init = i->getInit();
    }
    const auto* ce = dyn_cast_or_null<CXXConstructExpr>(init ? ignoreCarriers(init) : nullptr);
    if (!ce || ce->getNumArgs() < 1) return nullptr;
    std::optional<LockPath> p = objectPath(ce->getArg(0));
    return p ? p->decl() : nullptr;
  }

  // The blocking operations of body b and of the functions it calls, each with the chain of
  // calls from b down to it. Memoized; a recursive call sees what is known so far.
  const std::vector<Reach>& blocksFrom(unsigned b) {
    static const std::vector<Reach> kNone;
    auto it = reach_.find(b);
    if (it != reach_.end()) return it->second;
    if (!reaching_.insert(b).second) return kNone;
    std::vector<Reach> out;
    for (const Blocking& op : blocking_[b]) out.push_back({&op, {op.stmt}});
    for (auto& [call, fn] : calls_[b]) {
      auto callee = bodyOf_.find(fn);
      if (callee == bodyOf_.end()) continue;
      for (const Reach& r : blocksFrom(callee->second)) {
        if (out.size() >= kMaxReach || r.chain.size() >= kMaxChain) break;
        Reach x{r.op, {call}};
        x.chain.insert(x.chain.end(), r.chain.begin(), r.chain.end());
        out.push_back(std::move(x));
      }
    }
    reaching_.erase(b);
    return reach_[b] = std::move(out);
  }

  // ---- the other side ---------------------------------------------------------------------

  std::vector<Peer> peersOf(const Blocking& op, bool& known) {
    std::vector<Peer> peers;
    known = true;
    if (op.kind == BlockKind::WgWait || op.kind == BlockKind::CondWait) {
      resolveParamPeers();
      auto it = peers_.find(op.object);
      if (it != peers_.end()) peers = it->second;
      if (escaped_.count(op.object)) known = false;
      return peers;
    }
    for (const ChanOp* c : op.ops) {
      if (flow_->escaped(c->node)) {
        known = false;
        return {};
      }
      for (const ChanOrigin& o : flow_->origins(c->node))
        if (!o.capacity || *o.capacity != 0) known = false;
      if (flow_->origins(c->node).empty()) known = false;
      bool sends = c->kind == ChanOpKind::Send || c->kind == ChanOpKind::SelectSend;
      for (const ChanOp& other : flow_->ops(c->node)) {
        bool receives = other.kind == ChanOpKind::Recv || other.kind == ChanOpKind::Range ||
                        other.kind == ChanOpKind::SelectRecv;
        bool unblocksReceiver = other.kind == ChanOpKind::Send ||
                                other.kind == ChanOpKind::SelectSend ||
                                other.kind == ChanOpKind::Close;
        if (sends ? receives : unblocksReceiver) {
          const Stmt* s = other.stmt;
          if (const auto* fr = dyn_cast<CXXForRangeStmt>(s)) s = fr->getLoopVarStmt();
          peers.push_back({other.body, s});
        }
      }
    }
    return peers;
  }

  void resolveParamPeers() {
    if (paramsResolved_) return;
    paramsResolved_ = true;
    for (auto& [p, peer] : paramPeers_)
      for (const CallSite& c : callersOf(flow_->bodies()[peer.body].fb.decl))
        if (const ValueDecl* d = c.tr.apply(p).decl()) peers_[d].push_back(peer);
  }

  // Does the peer take `lock` on some path before it reaches its statement?
  bool takesBefore(const ValueDecl* lock, const Peer& peer, int depth = 0) {
    const BodyInfo& bi = flow_->bodies()[peer.body];
    if (const LockBody* lb = model_->body(bi.fb.decl)) {
      if (peer.stmt) {
        const std::vector<const ValueDecl*>* taken = lb->takenBefore(peer.stmt);
        if (taken && std::find(taken->begin(), taken->end(), lock) != taken->end()) return true;
      } else {
        for (const LockExit& x : lb->exits())
          if (std::find(x.taken.begin(), x.taken.end(), lock) != x.taken.end()) return true;
      }
    }
    if (depth > 2) return false;
    // A lambda that is not a fiber runs inside the body that holds it (an absl::Cleanup at its
    // end, a helper when called): what that body takes counts.
    if (bi.fb.lambda && !bi.fiber && bi.parent >= 0)
      return takesBefore(lock, {static_cast<unsigned>(bi.parent), nullptr}, depth + 1);
    // A helper: what every caller takes before calling it.
    if (bi.fiber || bi.fb.lambda) return false;
    const std::vector<CallSite>& callers = callersOf(bi.fb.decl);
    if (callers.empty()) return false;
    for (const CallSite& c : callers)
      if (!takesBefore(lock, {c.body, c.stmt}, depth + 1)) return false;
    return true;
  }

  const std::vector<CallSite>& callersOf(const FunctionDecl* fd) {
    static const std::vector<CallSite> kNone;
    auto it = callers_.find(fd);
    return it == callers_.end() ? kNone : it->second;
  }

  // An acquisition of `lock` in the peer's body, for the note.
  const Stmt* acquisitionIn(const ValueDecl* lock, unsigned body) {
    const BodyInfo& bi = flow_->bodies()[body];
    if (const LockBody* lb = model_->body(bi.fb.decl))
      for (const LockEvent& e : lb->acquisitions())
        if (e.path.decl() == lock) return e.at();
    if (bi.fb.lambda && !bi.fiber && bi.parent >= 0)
      return acquisitionIn(lock, static_cast<unsigned>(bi.parent));
    return nullptr;
  }

  // ---- the finding ------------------------------------------------------------------------

  void check(const LockBody& lb, const Blocking& op, const Stmt* at,
             const std::vector<const Stmt*>& chain) {
    const std::vector<HeldLock>* held = lb.heldBefore(at);
    if (!held || held->empty() || reported_.count(at)) return;
    bool known = false;
    std::vector<Peer> peers;
    for (const Peer& p : peersOf(op, known))
      if (p.body != op.body) peers.push_back(p);
    if (!known || peers.empty()) return;
    for (const HeldLock& h : *held) {
      const ValueDecl* lock = h.path.decl();
      if (!isMutexObject(lock) || lock == op.released) continue;
      if (op.releasedGuard && h.owner == op.releasedGuard) continue;
      bool all = true;
      for (const Peer& p : peers) all = all && takesBefore(lock, p);
      if (!all) continue;
      report(op, at, chain, h, peers.front());
      return;
    }
  }

  void report(const Blocking& op, const Stmt* at, const std::vector<const Stmt*>& chain,
              const HeldLock& h, const Peer& peer) {
    reported_.insert(at);
    std::string lock = "'" + lockName(h.path.decl()) + "'";
    std::string what, other;
    switch (op.kind) {
      case BlockKind::Send:
        what = "blocks on an unbuffered send";
        other = "the fibers that receive from the channel take " + lock + " before they receive";
        break;
      case BlockKind::Recv:
        what = "blocks on a receive from an unbuffered channel";
        other = "the fibers that send on or close it take " + lock + " before they do";
        break;
      case BlockKind::Select:
        what = "blocks in a select";
        other = "the fibers on the other side of its cases take " + lock + " before they get there";
        break;
      case BlockKind::WgWait:
        what = "waits for '" + op.object->getNameAsString() + "'";
        other = "the fibers it waits for take " + lock + " before they call done()";
        break;
      case BlockKind::CondWait:
        what =
            "waits on '" + op.object->getNameAsString() + "', which releases only its own mutex,";
        other = "the fibers that signal it take " + lock + " first";
        break;
    }
    Finding f{kName,
              at->getBeginLoc(),
              "this " + what + " while holding " + lock + ", and " + other +
                  ": each waits for the other (deadlock)",
              {},
              {}};
    f.notes.push_back({h.site->getBeginLoc(), lock + " is taken here"});
    if (chain.size() > 1)
      f.notes.push_back({chain.back()->getBeginLoc(), "it blocks here" + throughCalls(chain)});
    if (const Stmt* acq = acquisitionIn(h.path.decl(), peer.body))
      f.notes.push_back({acq->getBeginLoc(), "the other side takes " + lock + " here"});
    if (peer.stmt) f.notes.push_back({peer.stmt->getBeginLoc(), "before it gets here"});
    out_->report(std::move(f));
  }

  void clear() {
    blocking_.clear();
    peers_.clear();
    paramPeers_.clear();
    bodyOf_.clear();
    callers_.clear();
    calls_.clear();
    reach_.clear();
    escaped_.clear();
    reported_.clear();
    paramsResolved_ = false;
  }

  const ChanFlow* flow_ = nullptr;
  LockModel* model_ = nullptr;
  Reporter* out_ = nullptr;
  std::map<unsigned, std::vector<Blocking>> blocking_;
  llvm::DenseMap<const ValueDecl*, std::vector<Peer>> peers_;
  std::vector<std::pair<LockPath, Peer>> paramPeers_;
  llvm::DenseMap<const FunctionDecl*, unsigned> bodyOf_;
  llvm::DenseMap<const FunctionDecl*, std::vector<CallSite>> callers_;
  std::map<unsigned, std::vector<std::pair<const Stmt*, const FunctionDecl*>>> calls_;
  std::map<unsigned, std::vector<Reach>> reach_;
  std::set<unsigned> reaching_;
  llvm::DenseSet<const ValueDecl*> escaped_;
  std::set<const Stmt*> reported_;
  bool paramsResolved_ = false;
};

}  // namespace

std::unique_ptr<Check> makeBlockingUnderLockCheck() {
  return std::make_unique<BlockingUnderLockCheck>();
}

}  // namespace weave::lint
