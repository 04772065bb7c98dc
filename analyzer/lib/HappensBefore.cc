// The happens-before model (see HappensBefore.h): where each edge sits in a participant's CFG,
// and the order queries over it. Every query walks one participant's CFG; walks are remembered
// per (participant, key, start), so a spawner with F fibers and K keys costs O((F + 1) · K) walks
// whatever the number of accesses.
#include "lib/HappensBefore.h"

#include <deque>
#include <map>
#include <set>

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "lib/Accesses.h"
#include "lib/AnalysisScope.h"
#include "lib/Carriers.h"
#include "lib/ChanFlow.h"
#include "lib/Locks.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
using namespace clang;

namespace {

// Fwd: the object's own edge (send → receive, done → wait, store → load, end → join…).
// Rev: the reverse edge of a channel (receive → the send's completion). Spawn: the go edge of one
// fiber (obj: its spawn expression). Ctx: a context's cancel → done/err (obj null: any context).
enum class Role : unsigned char { Fwd, Rev, Spawn, Ctx };

struct Key {
  const void* obj = nullptr;
  Role role = Role::Fwd;
  bool operator<(const Key& o) const { return obj != o.obj ? obj < o.obj : role < o.role; }
  bool operator==(const Key& o) const { return obj == o.obj && role == o.role; }
};

// Does an operation on `op` synchronise with one on `k`? Contexts whose origin is unknown match
// every context.
bool matches(const Key& op, const Key& k) {
  if (op.role != k.role) return false;
  if (op.obj == k.obj) return true;
  return op.role == Role::Ctx && (!op.obj || !k.obj);
}

enum class Where { Element, BlockStart, Edge, Entry, End };

struct Op {
  Key key;
  bool release = false;
  bool acquire = false;
  Where where = Where::Element;
  Point at;  // Element: the element; BlockStart: (block, 0); Edge: (block, successor index)
  SourceLocation loc;  // invalid: orders nothing against other events at the same point
};

// std::memory_order of a call's argument, as the ordering it gives: release side and acquire side.
struct Order {
  bool release = true;
  bool acquire = true;
};

Order memoryOrder(const Expr* arg, ASTContext& ctx) {
  if (!arg || isa<CXXDefaultArgExpr>(arg)) return {};
  const auto* et = arg->getType()->getAs<EnumType>();
  Expr::EvalResult r;
  if (!et || arg->isValueDependent() || !arg->EvaluateAsInt(r, ctx)) return {};
  for (const EnumConstantDecl* c : et->getDecl()->enumerators()) {
    if (c->getInitVal() != r.Val.getInt()) continue;
    llvm::StringRef n = c->getName();
    if (n == "relaxed" || n == "memory_order_relaxed") return {false, false};
    if (n == "acquire" || n == "consume" || n == "memory_order_acquire" ||
        n == "memory_order_consume")
      return {false, true};
    if (n == "release" || n == "memory_order_release") return {true, false};
    return {};
  }
  return {};
}

bool isAtomicType(QualType t) {
  t = t.getNonReferenceType();
  if (t->isPointerType()) t = t->getPointeeType();
  return api::isTypeIn(t, "std", "atomic") || api::isTypeIn(t, "std", "atomic_ref") ||
         api::isTypeIn(t, "std", "atomic_flag");
}

QualType objectType(const Expr* e) {
  QualType t = e->getType().getNonReferenceType();
  if (t->isPointerType()) t = t->getPointeeType();
  return t;
}

// A container whose elements are threads or futures (their ends are joined through it).
QualType elementType(QualType t) {
  t = t.getNonReferenceType().getCanonicalType();
  const auto* spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(t->getAsCXXRecordDecl());
  if (!spec || spec->getTemplateArgs().size() == 0) return {};
  const TemplateArgument& a = spec->getTemplateArgs()[0];
  return a.getKind() == TemplateArgument::Type ? a.getAsType() : QualType();
}

bool isHandleType(QualType t) {
  return api::isTypeIn(t, "std", "thread") || api::isTypeIn(t, "std", "jthread") ||
         api::isTypeIn(t, "std", "future") || api::isTypeIn(t, "std", "shared_future");
}

bool isLoop(const Stmt* s) { return isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(s); }

// ---- participants ---------------------------------------------------------------------------

struct Participant {
  const Decl* fn = nullptr;
  const Stmt* body = nullptr;
  std::unique_ptr<LocksetAnalysis> la;
  std::vector<unsigned> offset;  // by block ID: the id of its first element
  unsigned elements = 0;         // ids: each block's elements, then one for its end
  std::vector<Op> ops;
  // Fibers: where the spawner starts it.
  std::optional<Point> spawn;
  // The variables whose value this participant branches on (plain flags): their writes
  // elsewhere are releases.
  llvm::DenseSet<const ValueDecl*> observed;

  unsigned id(Point p) const { return offset[p.block->getBlockID()] + p.index; }
  const CFG& cfg() const { return la->cfg(); }

  // Remembered walks.
  std::map<Key, llvm::BitVector> fromReleases;                   // key → before a release
  std::map<std::pair<Key, unsigned>, llvm::BitVector> avoiding;  // (key, start id) → reached
  std::map<unsigned, llvm::BitVector> fromStart;                 // start id → reached
};

// Forward reachability over a participant's elements. A path stops before an element, a block
// start or an edge that `stops` names.
struct Stops {
  llvm::DenseSet<unsigned> elements;       // element ids
  llvm::DenseSet<const CFGBlock*> blocks;  // block starts
  std::set<std::pair<const CFGBlock*, unsigned>> edges;
  bool entry = false;  // everything is stopped
};

llvm::BitVector walk(const Participant& p, llvm::ArrayRef<Point> starts, const Stops& stops) {
  llvm::BitVector reached(p.elements + 1);
  if (stops.entry) return reached;
  llvm::DenseSet<const CFGBlock*> seen;
  std::deque<Point> work(starts.begin(), starts.end());
  while (!work.empty()) {
    Point at = work.front();
    work.pop_front();
    const CFGBlock* b = at.block;
    if (at.index == 0 && stops.blocks.count(b)) continue;
    bool stopped = false;
    for (unsigned i = at.index; i < b->size(); ++i) {
      unsigned e = p.id({b, i});
      if (stops.elements.count(e)) {
        stopped = true;
        break;
      }
      reached.set(e);
    }
    if (stopped) continue;
    reached.set(p.id({b, static_cast<unsigned>(b->size())}));  // the block's end
    unsigned k = 0;
    for (const CFGBlock* s : b->succs()) {
      unsigned idx = k++;
      if (!s || stops.edges.count({b, idx})) continue;
      if (seen.insert(s).second) work.push_back({s, 0});
    }
  }
  return reached;
}

}  // namespace

// The elements from which a path leads to `to` (which itself is not included).
llvm::BitVector walkBack(const Participant& p, Point to) {
  llvm::BitVector reached(p.elements + 1);
  llvm::DenseSet<const CFGBlock*> seen;
  auto take = [&](const CFGBlock* b, unsigned upTo) {
    for (unsigned i = 0; i < upTo && i < b->size(); ++i) reached.set(p.id({b, i}));
  };
  take(to.block, to.index);
  std::deque<const CFGBlock*> work;
  for (const CFGBlock* q : to.block->preds())
    if (q && seen.insert(q).second) work.push_back(q);
  while (!work.empty()) {
    const CFGBlock* b = work.front();
    work.pop_front();
    take(b, b->size());
    reached.set(p.id({b, static_cast<unsigned>(b->size())}));
    for (const CFGBlock* q : b->preds())
      if (q && seen.insert(q).second) work.push_back(q);
  }
  return reached;
}

// ---- recognising the edges in a body --------------------------------------------------------

struct HappensBefore::Impl {
  ASTContext& ctx;
  Synchronizers& sync;
  std::vector<std::unique_ptr<Participant>> parts;
  // A fiber's storage (thread variable, container, future, group): what its end releases.
  std::vector<const void*> fiberKeys;
  bool finalized = false;
  // Per event: the keys a chain from it reaches, with the participant each came from.
  std::map<std::tuple<unsigned, unsigned, unsigned, const void*>,
           std::vector<std::pair<Key, unsigned>>>
      closures;
  // Summaries of functions of this file: the operations they do on globals and fields.
  std::map<const FunctionDecl*, std::vector<Op>> summaries;
  int depth = 0;

  Impl(ASTContext& c, Synchronizers& s) : ctx(c), sync(s) {}

  bool inMainFile(const Decl* d) const { return d && isAnalysed(d); }

  std::unique_ptr<Participant> makePart(const Decl* fn, const Stmt* body) {
    auto p = std::make_unique<Participant>();
    p->fn = fn;
    p->body = body;
    p->la = LocksetAnalysis::run(fn, body, ctx);
    if (!p->la) return nullptr;
    const CFG& cfg = p->la->cfg();
    p->offset.resize(cfg.getNumBlockIDs());
    unsigned n = 0;
    for (const CFGBlock* b : cfg) {
      p->offset[b->getBlockID()] = n;
      n += b->size() + 1;  // one more: the block's end
    }
    p->elements = n;
    return p;
  }

  // ---- keys ----

  // The key of a context (or cancel function): the with_* call's declaration that made it, and
  // those of the contexts it was derived from.
  void contextKeys(const ValueDecl* d, llvm::SmallVectorImpl<Key>& out, int depthLeft = 8) {
    const VarDecl* holder = nullptr;
    if (const auto* bd = dyn_cast_or_null<BindingDecl>(d))
      holder = dyn_cast_or_null<VarDecl>(bd->getDecomposedDecl());
    else if (const auto* vd = dyn_cast_or_null<VarDecl>(d); vd && vd->hasLocalStorage())
      holder = vd;
    const auto* call = holder && holder->getInit()
                           ? dyn_cast<CallExpr>(ignoreCarriers(holder->getInit()))
                           : nullptr;
    // Reading `.first`/`.second` of a pair variable, or copying a context, is the same context.
    if (holder && !call && holder->getInit() && depthLeft > 0)
      if (const ValueDecl* from = objectKey(holder->getInit()); from && from != d) {
        contextKeys(from, out, depthLeft - 1);
        return;
      }
    if (!call || api::contextFactory(call).empty()) {
      out.push_back({nullptr, Role::Ctx});
      return;
    }
    out.push_back({holder, Role::Ctx});
    if (call->getNumArgs() > 0 && depthLeft > 0)
      if (const ValueDecl* parent = objectKey(call->getArg(0)))
        contextKeys(parent, out, depthLeft - 1);
  }

  // What a synchronising object expression stands for: the variable or field, followed through
  // local aliases (init-captures, references, copies, a future made by get_future()).
  const ValueDecl* keyOf(const Expr* e, int depthLeft = 8) {
    const ValueDecl* d = objectKey(e);
    while (depthLeft-- > 0) {
      const auto* vd = dyn_cast_or_null<VarDecl>(d);
      if (!vd || !vd->getInit() || (!vd->isInitCapture() && !vd->hasLocalStorage())) break;
      const Expr* init = ignoreCarriers(vd->getInit());
      const ValueDecl* next = nullptr;
      if (const auto* mc = dyn_cast<CXXMemberCallExpr>(init);
          mc && mc->getMethodDecl() && mc->getMethodDecl()->getIdentifier() &&
          mc->getMethodDecl()->getName() == "get_future")
        next = objectKey(mc->getImplicitObjectArgument());
      else if (isa<DeclRefExpr, MemberExpr, UnaryOperator, ArraySubscriptExpr>(
                   init->IgnoreParenImpCasts()))
        next = objectKey(init);
      if (!next || next == d) break;
      d = next;
    }
    return d;
  }

  // Does the participant (or a part of it) use this declaration as a synchronising object?
  bool isSyncObject(const ValueDecl* d) {
    if (!d) return false;
    QualType t = d->getType().getNonReferenceType();
    if (t->isPointerType()) t = t->getPointeeType();
    if (isMutexType(t) || isGuardType(t)) return false;
    if (isHandleType(t) || isHandleType(elementType(t))) return true;
    return sync.is(t);
  }

  // ---- a body's operations ----

  struct Builder {
    Builder(Impl& impl, Participant& part) : im(impl), p(part) {}
    Impl& im;
    Participant& p;
    // Where the current code runs: the body itself, a lambda that runs at a point (a Cleanup at
    // its scope end, a callback at the call), or a helper lambda called who knows when.
    enum class Mode { Here, AtPoints, Helper } mode = Mode::Here;
    std::vector<Point> points;
    llvm::DenseSet<const Stmt*> handled;  // object expressions an operation consumed
    llvm::DenseSet<const Stmt*> fibers;   // lambdas other participants run
    std::vector<std::pair<const Stmt*, std::vector<const Stmt*>>> uses;  // candidates
    llvm::DenseMap<const VarDecl*, const ValueDecl*> rangeVars;          // loop var → container
    std::map<std::pair<const SwitchStmt*, int64_t>, const CFGBlock*> caseBlocks;

    void add(Key k, bool rel, bool acq, const Stmt* s, llvm::ArrayRef<const Stmt*> parents,
             SourceLocation loc) {
      if (!k.obj && k.role != Role::Ctx) return;
      switch (mode) {
        case Mode::Here:
          if (std::optional<Point> at = pointOf(s, parents))
            p.ops.push_back({k, rel, acq, Where::Element, *at, loc});
          return;
        case Mode::AtPoints:
          for (Point at : points) p.ops.push_back({k, rel, acq, Where::Element, at, loc});
          return;
        case Mode::Helper:
          if (rel) p.ops.push_back({k, true, false, Where::End, {}, {}});
          if (acq)
            for (Point at : points) p.ops.push_back({k, false, true, Where::Element, at, loc});
          return;
      }
    }

    std::optional<Point> pointOf(const Stmt* s, llvm::ArrayRef<const Stmt*> parents) const {
      if (auto at = p.la->find(s)) return Point{at->block, at->index};
      for (size_t i = parents.size(); i-- > 0;)
        if (auto at = p.la->find(parents[i])) return Point{at->block, at->index};
      return std::nullopt;
    }

    void chanKeys(const Expr* chan, llvm::SmallVectorImpl<Key>& out) {
      const Expr* e = ignoreCarriers(chan);
      // ctx.done(), t.c(): the context's cancel, the timer's fire.
      if (const auto* mc = dyn_cast_or_null<CXXMemberCallExpr>(e)) {
        const Expr* obj = mc->getImplicitObjectArgument();
        if (api::isMethodCall(mc, "weave", "Context", "done")) {
          handled.insert(obj);
          markHandled(obj);
          im.contextKeys(im.keyOf(obj), out);
          return;
        }
        if (api::isMethodCall(mc, "weave", "Timer", "c") ||
            api::isMethodCall(mc, "weave", "Ticker", "c")) {
          markHandled(obj);
          out.push_back({im.keyOf(obj), Role::Fwd});
          return;
        }
      }
      markHandled(chan);
      if (const ValueDecl* d = im.keyOf(chan)) out.push_back({d, Role::Fwd});
    }

    void markHandled(const Stmt* e) {
      if (!e) return;
      walkBody(e, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
        if (isa<DeclRefExpr, MemberExpr>(n)) handled.insert(n);
      });
    }

    // Capacity of a channel, when its variable is initialised with make_chan here.
    std::optional<uint64_t> capacity(const ValueDecl* d) {
      const auto* vd = dyn_cast_or_null<VarDecl>(d);
      if (!vd || !vd->getInit()) return std::nullopt;
      const auto* call = dyn_cast<CallExpr>(ignoreCarriers(vd->getInit()));
      if (!call || !api::isWeaveCall(call, "make_chan")) return std::nullopt;
      if (call->getNumArgs() == 0 || isa<CXXDefaultArgExpr>(call->getArg(0))) return 0;
      Expr::EvalResult r;
      if (call->getArg(0)->isValueDependent() || !call->getArg(0)->EvaluateAsInt(r, im.ctx))
        return std::nullopt;
      return r.Val.getInt().getZExtValue();
    }

    // A send (or select send case) and a receive (or range, select receive case) on a channel.
    // The reverse edge (receive → the send's completion) exists for unbuffered channels, and for
    // capacity 1 between bodies that use it as a semaphore (send, then receive).
    void chanOp(bool send, const Expr* chan, const Stmt* s, llvm::ArrayRef<const Stmt*> parents,
                std::optional<Point> caseAt = std::nullopt) {
      llvm::SmallVector<Key, 2> keys;
      chanKeys(chan, keys);
      for (Key k : keys) {
        bool rev = false;
        if (k.role == Role::Fwd) {
          std::optional<uint64_t> cap = capacity(static_cast<const ValueDecl*>(k.obj));
          rev = !cap || *cap == 0 || (*cap == 1 && semaphore(k.obj));
        }
        auto emit = [&](Key key, bool rel, bool acq) {
          if (caseAt)
            p.ops.push_back({key, rel, acq, Where::BlockStart, *caseAt, s->getBeginLoc()});
          else
            add(key, rel, acq, s, parents, s->getBeginLoc());
        };
        emit(k, send, !send);
        if (rev) emit({k.obj, Role::Rev}, !send, send);
      }
    }

    // Does this body send on the channel and receive from it (a semaphore's use)?
    llvm::DenseMap<const void*, bool> semaphores;
    bool semaphore(const void* chan) {
      auto it = semaphores.find(chan);
      if (it != semaphores.end()) return it->second;
      bool sends = false, recvs = false;
      walkBody(p.body, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
        const auto* mc = dyn_cast<CXXMemberCallExpr>(n);
        if (!mc || !mc->getMethodDecl() || !mc->getMethodDecl()->getIdentifier()) return;
        if (objectKey(mc->getImplicitObjectArgument()) != chan) return;
        llvm::StringRef m = mc->getMethodDecl()->getName();
        sends = sends || m == "send";
        recvs = recvs || m == "recv";
      });
      return semaphores[chan] = sends && recvs;
    }

    // The select case a weave::recv/send call is, as the start of its `case k:` block.
    std::optional<Point> casePoint(const CallExpr* caseCall, llvm::ArrayRef<const Stmt*> parents) {
      for (size_t i = parents.size(); i-- > 0;) {
        const auto* sel = dyn_cast<CallExpr>(parents[i]);
        if (!sel || !api::isWeaveCall(sel, "select")) continue;
        int64_t k = -1;
        for (unsigned a = 0; a < sel->getNumArgs(); ++a)
          if (contains(sel->getArg(a), caseCall)) k = a;
        for (size_t j = i; j-- > 0;) {
          const auto* sw = dyn_cast<SwitchStmt>(parents[j]);
          if (!sw) continue;
          if (ignoreCarriers(sw->getCond()) != sel) break;
          auto it = caseBlocks.find({sw, k});
          if (it != caseBlocks.end()) return Point{it->second, 0};
          break;
        }
        return std::nullopt;
      }
      return std::nullopt;
    }

    void indexCases() {
      llvm::DenseMap<const Stmt*, const SwitchStmt*> owner;  // case label → its switch
      walkBody(p.body, [&](const Stmt* n, llvm::ArrayRef<const Stmt*> ps) {
        if (!isa<CaseStmt>(n)) return;
        for (size_t i = ps.size(); i-- > 0;)
          if (const auto* sw = dyn_cast<SwitchStmt>(ps[i])) {
            owner[n] = sw;
            break;
          }
      });
      for (const CFGBlock* b : p.cfg()) {
        const auto* cs = dyn_cast_or_null<CaseStmt>(b->getLabel());
        if (!cs || !owner.count(cs)) continue;
        if (std::optional<llvm::APSInt> v = cs->getLHS()->getIntegerConstantExpr(im.ctx))
          caseBlocks[{owner[cs], v->getExtValue()}] = b;
      }
    }

    // Acquires of a container's elements in a loop (a join loop) also hold at the loop's exit.
    void loopExits(Key k, llvm::ArrayRef<const Stmt*> parents) {
      const Stmt* loop = nullptr;
      for (size_t i = parents.size(); i-- > 0;)
        if (isLoop(parents[i])) {
          loop = parents[i];
          break;
        }
      if (!loop || mode != Mode::Here) return;
      for (const CFGBlock* b : p.cfg()) {
        if (b->getTerminatorStmt() != loop || b->succ_size() < 2) continue;
        // The last successor of a loop's header is its exit.
        p.ops.push_back({k, false, true, Where::Edge, {b, b->succ_size() - 1}, {}});
      }
    }

    void memberCall(const CXXMemberCallExpr* mc, llvm::ArrayRef<const Stmt*> parents) {
      const CXXMethodDecl* md = mc->getMethodDecl();
      const Expr* obj = mc->getImplicitObjectArgument();
      if (!md || !md->getIdentifier() || !obj) return;
      llvm::StringRef m = md->getName();
      QualType t = objectType(obj);
      SourceLocation loc = mc->getBeginLoc();
      auto objKey = [&](Role r = Role::Fwd) {
        markHandled(obj);
        return Key{im.keyOf(obj), r};
      };
      if (isChanType(t)) {
        if (m == "send") chanOp(true, obj, mc, parents);
        if (m == "close") {
          llvm::SmallVector<Key, 2> keys;
          chanKeys(obj, keys);
          for (Key k : keys) add(k, true, false, mc, parents, loc);
        }
        if (m == "recv") chanOp(false, obj, mc, parents);
        markHandled(obj);
        return;
      }
      auto is = [&](llvm::StringRef ns, llvm::StringRef cls) { return api::isTypeIn(t, ns, cls); };
      if (is("weave", "WaitGroup") || is("weave", "ErrGroup")) {
        Key k = objKey();
        if (m == "done") add(k, true, false, mc, parents, loc);
        if (m == "wait") add(k, false, true, mc, parents, loc);
        return;
      }
      if (is("weave", "Once")) {
        if (m == "call") add(objKey(), false, true, mc, parents, loc);
        return;
      }
      if (is("weave", "Cond")) {
        Key k = objKey();
        if (m == "signal" || m == "broadcast") add(k, true, false, mc, parents, loc);
        if (m == "wait") add(k, false, true, mc, parents, loc);
        return;
      }
      if (is("weave", "Timer") || is("weave", "Ticker")) {
        if (m == "reset") add(objKey(), true, false, mc, parents, loc);
        if (m == "c" || m == "stop") markHandled(obj);
        return;
      }
      if (is("weave", "Context")) {
        if (m == "done" || m == "err") markHandled(obj);  // the receive or the branch decides
        return;
      }
      if (isAtomicType(t)) {
        Key k = objKey();
        unsigned orderArg = 0;
        bool rmw = false;
        if (m == "store" || m == "clear") {
          orderArg = 1;
          if (m == "clear") orderArg = 0;
        } else if (m == "exchange" || m.starts_with("fetch_") || m == "test_and_set") {
          orderArg = m == "test_and_set" ? 0 : 1;
          rmw = true;
        } else if (m.starts_with("compare_exchange")) {
          orderArg = 2;
          rmw = true;
        } else if (m.starts_with("operator") && m != "operator=") {
          return;  // conversions read; the branch decides
        } else if (m == "operator=") {
          add(k, true, false, mc, parents, loc);
          return;
        } else {
          return;  // load, wait, notify, is_lock_free
        }
        const Expr* orderExpr = orderArg < mc->getNumArgs() ? mc->getArg(orderArg) : nullptr;
        Order o = memoryOrder(orderExpr, im.ctx);
        if (o.release || fence.release) add(k, true, false, mc, parents, loc);
        (void)rmw;
        return;
      }
      if (is("std", "thread") || is("std", "jthread") || is("std", "future") ||
          is("std", "shared_future")) {
        if (m == "join" || m == "get" || m == "wait" || m == "wait_for" || m == "wait_until") {
          Key k = objKey();
          // `std::thread(f).join()`: the temporary is keyed by the expression that makes it.
          if (!k.obj) k.obj = ignoreCarriers(obj);
          if (const auto* vd = dyn_cast_or_null<VarDecl>(objectKey(obj)))
            if (const ValueDecl* c = rangeVars.lookup(vd)) k.obj = c;
          add(k, false, true, mc, parents, loc);
          if (k.obj != objectKey(obj) ||
              !isa<DeclRefExpr, MemberExpr>(ignoreCarriers(obj)->IgnoreParenImpCasts()))
            loopExits(k, parents);
        } else {
          markHandled(obj);
        }
        return;
      }
      // Filling or reading a container of threads or futures: only the elements' joins count.
      if (isHandleType(elementType(t))) {
        markHandled(obj);
        return;
      }
      if (is("std", "promise")) {
        if (m.starts_with("set_")) add(objKey(), true, false, mc, parents, loc);
        if (m == "get_future") markHandled(obj);
        return;
      }
      if (is("std", "condition_variable") || is("std", "condition_variable_any")) {
        Key k = objKey();
        if (m.starts_with("notify")) add(k, true, false, mc, parents, loc);
        if (m.starts_with("wait")) {
          add(k, false, true, mc, parents, loc);
          // wait(lock, pred): the flags the predicate reads are seen when it returns.
          if (mc->getNumArgs() >= 2) predicate(mc->getArg(mc->getNumArgs() - 1), mc, parents);
        }
        return;
      }
      // absl::Mutex::Await/LockWhen…(absl::Condition(&flag)): the flag is seen set.
      if (isMutexType(t)) {
        if (m.starts_with("Await") || m.contains("LockWhen"))
          for (const Expr* a : mc->arguments()) predicate(a, mc, parents);
        return;
      }
      // Any other synchronizer: a call into it may release and acquire.
      if (const ValueDecl* d = objectKey(obj); d && im.isSyncObject(d)) {
        Key k = objKey();
        add(k, true, true, mc, parents, {});
        add({k.obj, Role::Rev}, true, true, mc, parents, {});
      }
    }

    // A predicate that a wait returns only once it holds: the variables it reads are observed.
    void predicate(const Expr* e, const Stmt* at, llvm::ArrayRef<const Stmt*> parents) {
      const Expr* body = ignoreCarriers(e);
      if (const auto* le = dyn_cast<LambdaExpr>(body)) {
        walkPred(le->getBody(), at, parents);
        return;
      }
      // absl::Condition(&flag)
      if (const auto* ce = dyn_cast<CXXConstructExpr>(body);
          ce && api::isTypeIn(ce->getType(), "absl", "Condition") && ce->getNumArgs() == 1)
        if (const ValueDecl* v = objectKey(ce->getArg(0))) {
          p.observed.insert(v);
          add({v, Role::Fwd}, false, true, at, parents, {});
        }
    }

    void walkPred(const Stmt* s, const Stmt* at, llvm::ArrayRef<const Stmt*> parents) {
      walkBody(s, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
        const ValueDecl* v = nullptr;
        if (const auto* dre = dyn_cast<DeclRefExpr>(n)) v = dre->getDecl();
        if (const auto* me = dyn_cast<MemberExpr>(n)) v = me->getMemberDecl();
        if (!v || !isa<VarDecl, FieldDecl>(v)) return;
        p.observed.insert(v);
        add({v, Role::Fwd}, false, true, at, parents, {});
      });
    }

    void call(const CallExpr* call, llvm::ArrayRef<const Stmt*> parents) {
      SourceLocation loc = call->getBeginLoc();
      llvm::StringRef w = api::calleeNameIn(call, "weave");
      if ((w == "recv" || w == "send") && call->getNumArgs() > 0) {
        std::optional<Point> at = casePoint(call, parents);
        chanOp(w == "send", call->getArg(0), call, parents, at);
        return;
      }
      if (api::isStdCall(call, "call_once") && call->getNumArgs() > 0) {
        markHandled(call->getArg(0));
        add({im.keyOf(call->getArg(0)), Role::Fwd}, false, true, call, parents, loc);
        return;
      }
      if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(call)) {
        if (oc->getNumArgs() == 0) return;
        QualType t = objectType(oc->getArg(0));
        if (oc->getOperator() == OO_Call &&
            (api::isWeaveType(t, "CancelFunc") || api::isWeaveType(t, "CancelCauseFunc"))) {
          // Cancelling a context cancels it and its children, not its parent.
          markHandled(oc->getArg(0));
          llvm::SmallVector<Key, 2> keys;
          im.contextKeys(im.keyOf(oc->getArg(0)), keys);
          add(keys.front(), true, false, call, parents, loc);
          return;
        }
        if (isAtomicType(t) && oc->getOperator() != OO_Call) {
          markHandled(oc->getArg(0));
          add({im.keyOf(oc->getArg(0)), Role::Fwd}, true, false, call, parents, loc);
          return;
        }
      }
      // A function of this file: what it does to globals and fields.
      const FunctionDecl* callee = call->getDirectCallee();
      const FunctionDecl* def = nullptr;
      if (callee && callee->hasBody(def) && def && im.inMainFile(def) && !isa<CXXMethodDecl>(def))
        for (const Op& op : im.summary(def))
          add(op.key, op.release, op.acquire, call, parents, op.loc);
      if (isa<CXXMemberCallExpr>(call) && callee && callee->hasBody(def) && def &&
          im.inMainFile(def) && !isa<CXXConstructorDecl, CXXDestructorDecl>(def))
        for (const Op& op : im.summary(def))
          add(op.key, op.release, op.acquire, call, parents, op.loc);
    }

    void declaration(const DeclStmt* ds, llvm::ArrayRef<const Stmt*> parents) {
      for (const Decl* d : ds->decls()) {
        const auto* vd = dyn_cast<VarDecl>(d);
        if (!vd) continue;
        QualType t = vd->getType();
        if (api::isWeaveType(t, "Timer") || api::isWeaveType(t, "Ticker")) {
          add({vd, Role::Fwd}, true, false, ds, parents, ds->getBeginLoc());
          continue;
        }
        if (const auto* c =
                dyn_cast_or_null<CallExpr>(vd->getInit() ? ignoreCarriers(vd->getInit()) : nullptr))
          if (api::isWeaveCall(c, "after") || api::isWeaveCall(c, "tick"))
            add({vd, Role::Fwd}, true, false, ds, parents, ds->getBeginLoc());
      }
    }

    // For each branch of the CFG: the loads, flags, err() and test calls its condition reads,
    // and which way the branch goes when it sees them set.
    void observations() {
      for (const CFGBlock* b : p.cfg()) {
        const Stmt* cond = b->getTerminatorCondition(false);
        if (!cond || b->succ_size() != 2) continue;
        llvm::DenseMap<const Stmt*, const Stmt*> up;
        std::vector<const Stmt*> prims;
        std::function<void(const Stmt*)> index = [&](const Stmt* s) {
          if (!s || isa<LambdaExpr>(s)) return;
          for (const Stmt* c : s->children())
            if (c) {
              up[c] = s;
              index(c);
            }
          prims.push_back(s);
        };
        index(cond);
        for (const Stmt* s : prims) {
          llvm::SmallVector<Key, 2> keys;
          bool plain = false;
          if (!primitive(s, keys, plain)) continue;
          int pol = polarity(s, cond, up);  // 0: true edge, 1: false edge, 2: both
          // A plain flag compared with anything but a constant is seen only under a lock (a
          // Cond's predicate loop): its unlock → lock edge orders the write before the read.
          if (plain && pol == 2) {
            const Lockset* held = p.la->before(s);
            if (!held || held->empty()) continue;
          }
          if (plain)
            for (Key k : keys) p.observed.insert(static_cast<const ValueDecl*>(k.obj));
          for (Key k : keys)
            for (unsigned i = 0; i < 2; ++i)
              if (pol == 2 || pol == static_cast<int>(i))
                p.ops.push_back({k, false, true, Where::Edge, {b, i}, {}});
        }
      }
    }

    // An observed value: a load (or RMW) of an atomic with acquire ordering, a plain scalar
    // variable or field (`plain`), ctx.err(), a Notification or latch test. Each is "seen" when
    // true; ctx.err() when not OK.
    bool primitive(const Stmt* s, llvm::SmallVectorImpl<Key>& keys, bool& plain) {
      if (const auto* mc = dyn_cast<CXXMemberCallExpr>(s)) {
        const CXXMethodDecl* md = mc->getMethodDecl();
        const Expr* obj = mc->getImplicitObjectArgument();
        if (!md || !obj) return false;
        QualType t = objectType(obj);
        llvm::StringRef m = md->getIdentifier() ? md->getName() : "";
        if (isAtomicType(t)) {
          const Expr* order = nullptr;
          if (m == "load" || m == "test" || m == "test_and_set")
            order = mc->getNumArgs() > 0 ? mc->getArg(0) : nullptr;
          else if (m == "exchange" || m.starts_with("fetch_"))
            order = mc->getNumArgs() > 1 ? mc->getArg(1) : nullptr;
          else if (m.starts_with("compare_exchange"))
            order = mc->getNumArgs() > 2 ? mc->getArg(2) : nullptr;
          else if (!isa<CXXConversionDecl>(md))
            return false;
          if (!memoryOrder(order, im.ctx).acquire && !fence.acquire) return false;
          if (const ValueDecl* d = im.keyOf(obj)) keys.push_back({d, Role::Fwd});
          return !keys.empty();
        }
        if (api::isMethodCall(mc, "weave", "Context", "err")) {
          im.contextKeys(im.keyOf(obj), keys);
          return true;
        }
        if ((api::isTypeIn(t, "absl", "Notification") && m == "HasBeenNotified") ||
            (api::isTypeIn(t, "std", "latch") && m == "try_wait"))
          if (const ValueDecl* d = im.keyOf(obj)) keys.push_back({d, Role::Fwd});
        return !keys.empty();
      }
      const ValueDecl* v = nullptr;
      if (const auto* dre = dyn_cast<DeclRefExpr>(s)) v = dre->getDecl();
      if (const auto* me = dyn_cast<MemberExpr>(s)) v = me->getMemberDecl();
      if (!v || !isa<VarDecl, FieldDecl>(v)) return false;
      QualType t = v->getType().getNonReferenceType();
      if (!t->isScalarType()) return false;
      // `bool r = ready.load(acquire); if (r) …`: the local holds what the load saw.
      if (const auto* vd = dyn_cast<VarDecl>(v); vd && vd->hasLocalStorage() && vd->getInit())
        if (const Expr* init = ignoreCarriers(vd->getInit()); isa<CXXMemberCallExpr>(init)) {
          bool loaded = false;
          if (primitive(init, keys, loaded) && !loaded) return true;
          keys.clear();
        }
      plain = true;
      keys.push_back({v, Role::Fwd});
      return true;
    }

    static bool isZero(const Expr* e, ASTContext& ctx) {
      e = e->IgnoreParenImpCasts();
      if (isa<CXXNullPtrLiteralExpr, GNUNullExpr>(e)) return true;
      Expr::EvalResult r;
      return !e->isValueDependent() && e->EvaluateAsInt(r, ctx) && r.Val.getInt() == 0;
    }
    static bool isConstant(const Expr* e, ASTContext& ctx) {
      Expr::EvalResult r;
      e = e->IgnoreParenImpCasts();
      return !e->isValueDependent() && e->EvaluateAsRValue(r, ctx);
    }

    int polarity(const Stmt* s, const Stmt* cond,
                 const llvm::DenseMap<const Stmt*, const Stmt*>& up) {
      bool truthy = true;
      const Stmt* child = s;
      while (child != cond) {
        const Stmt* parent = up.lookup(child);
        if (!parent) return 2;
        if (const auto* uo = dyn_cast<UnaryOperator>(parent); uo && uo->getOpcode() == UO_LNot) {
          truthy = !truthy;
        } else if (const auto* bo = dyn_cast<BinaryOperator>(parent);
                   bo && (bo->getOpcode() == BO_EQ || bo->getOpcode() == BO_NE)) {
          const Expr* other = bo->getLHS() == child ? bo->getRHS() : bo->getLHS();
          if (!isConstant(other, im.ctx)) return 2;
          bool eq = bo->getOpcode() == BO_EQ;
          if (isZero(other, im.ctx) == eq) truthy = !truthy;
        } else if (const auto* mc = dyn_cast<CXXMemberCallExpr>(parent);
                   mc && mc->getMethodDecl() && mc->getMethodDecl()->getIdentifier() &&
                   mc->getMethodDecl()->getName() == "ok") {
          truthy = !truthy;
        } else if (!carries(parent, child) && !isa<MemberExpr>(parent)) {
          return 2;
        }
        child = parent;
      }
      return truthy ? 0 : 1;
    }

    // Every declaration of a synchronising object named where no operation above consumed it:
    // it may release and acquire there.
    void unknownUses() {
      for (auto& [s, parents] : uses) {
        if (handled.count(s)) continue;
        const ValueDecl* d = nullptr;
        if (const auto* dre = dyn_cast<DeclRefExpr>(s)) d = dre->getDecl();
        if (const auto* me = dyn_cast<MemberExpr>(s)) d = me->getMemberDecl();
        if (!d || !im.isSyncObject(d)) continue;
        // Declaring it, or the object of a call that consumed it, is not a use.
        const Expr* e = cast<Expr>(s);
        const ValueDecl* k = im.keyOf(e);
        QualType t = d->getType();
        if (api::isWeaveType(objectType(e), "Context") || api::isWeaveType(t, "CancelFunc") ||
            api::isWeaveType(t, "CancelCauseFunc")) {
          llvm::SmallVector<Key, 2> keys;
          im.contextKeys(k, keys);
          for (Key key : keys) add(key, true, true, s, parents, {});
          continue;
        }
        add({k, Role::Fwd}, true, true, s, parents, {});
        add({k, Role::Rev}, true, true, s, parents, {});
      }
    }

    void visit(const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      if (const auto* le = dyn_cast<LambdaExpr>(s)) {
        nested(le, parents);
        return;
      }
      if (std::optional<Spawn> sp = spawnAt(s)) {
        // The fiber's captures are not uses here; its other arguments are.
        if (sp->callable) markHandled(sp->callable);
        if (sp->lambda) fibers.insert(sp->lambda);
        if (const Expr* obj = callObject(s)) markHandled(obj);  // the group, the container
        // `t = std::thread(…)`: storing the handle is not a use of it.
        const Stmt* child = s;
        size_t i = parents.size();
        while (i > 0 && carries(parents[i - 1], child)) child = parents[--i];
        if (i > 0)
          if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(parents[i - 1]);
              oc && oc->getOperator() == OO_Equal && oc->getNumArgs() == 2 &&
              oc->getArg(1) == child)
            markHandled(oc->getArg(0));
        return;
      }
      if (isa<DeclRefExpr, MemberExpr>(s)) uses.push_back({s, {parents.begin(), parents.end()}});
      if (const auto* fr = dyn_cast<CXXForRangeStmt>(s)) {
        const Expr* range = fr->getRangeInit();
        if (range && isChanType(range->getType())) {
          std::vector<const Stmt*> ps(parents.begin(), parents.end());
          ps.push_back(fr);
          if (const Stmt* beginStmt = fr->getBeginStmt()) chanOp(false, range, beginStmt, ps);
          if (const Stmt* inc = fr->getInc()) chanOp(false, range, inc, ps);
        } else if (range) {
          if (const ValueDecl* c = objectKey(range))
            if (const VarDecl* lv = fr->getLoopVariable()) rangeVars[lv] = c;
          // Stepping through a container uses none of its elements: what the body does does.
          for (const Stmt* step :
               {static_cast<const Stmt*>(fr->getRangeStmt()),
                static_cast<const Stmt*>(fr->getBeginStmt()),
                static_cast<const Stmt*>(fr->getEndStmt()), static_cast<const Stmt*>(fr->getCond()),
                static_cast<const Stmt*>(fr->getInc()),
                static_cast<const Stmt*>(fr->getLoopVarStmt())})
            markHandled(step);
        }
      }
      if (const auto* mc = dyn_cast<CXXMemberCallExpr>(s)) memberCall(mc, parents);
      if (const auto* c = dyn_cast<CallExpr>(s); c && !isa<CXXMemberCallExpr>(s)) call(c, parents);
      if (const auto* ds = dyn_cast<DeclStmt>(s)) declaration(ds, parents);
    }

    // A lambda inside the body: a Cleanup runs at its scope's end, a callback passed to a call
    // runs at the call, any other lambda whenever it is called.
    void nested(const LambdaExpr* le, llvm::ArrayRef<const Stmt*> parents) {
      if (fibers.count(le)) return;
      // Capturing a variable (by reference or by copy, or into an init-capture that names it)
      // hands the same object to the lambda, whose body is followed below. The walk of the
      // enclosing body visits the captures' expressions.
      auto init = le->capture_init_begin();
      for (const LambdaCapture& c : le->captures()) {
        const Expr* e = *init++;
        if (!e) continue;
        const auto* v = c.capturesVariable() ? dyn_cast<VarDecl>(c.getCapturedVar()) : nullptr;
        if (!v || !v->isInitCapture() || objectKey(e)) markHandled(e);
      }
      Mode saveMode = mode;
      std::vector<Point> savePoints = points;
      LambdaPlace place = placeOf(
          le,
          [&](const Stmt* n) -> const Stmt* {
            for (size_t i = parents.size(); i-- > 0;)
              if (n == (i + 1 < parents.size() ? parents[i + 1] : le)) return parents[i];
            return nullptr;
          },
          im.sync);
      if (mode == Mode::Here) {
        points.clear();
        if (place.kind == LambdaPlace::Cleanup) {
          for (Point at : im.scopeEnds(p, place.cleanup)) points.push_back(at);
          mode = Mode::AtPoints;
        } else if (place.kind == LambdaPlace::AtCall) {
          if (std::optional<Point> at = pointOf(place.call, parents)) points.push_back(*at);
          mode = Mode::AtPoints;
        } else {
          // A helper, or a task run elsewhere later: what it releases is after everything here,
          // what it acquires no earlier than where it is written.
          if (std::optional<Point> at = pointOf(le, parents)) points.push_back(*at);
          mode = Mode::Helper;
        }
      }
      walkBody(le->getBody(), [&](const Stmt* n, llvm::ArrayRef<const Stmt*> ps) { visit(n, ps); });
      mode = saveMode;
      points = std::move(savePoints);
    }

    // std::atomic_thread_fence: a release fence makes the relaxed stores after it releases, an
    // acquire fence the relaxed loads before it acquires (taken coarsely: anywhere in the body).
    Order fence{false, false};

    void build() {
      walkBody(p.body, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
        const auto* c = dyn_cast<CallExpr>(n);
        if (!c || !api::isStdCall(c, "atomic_thread_fence") || c->getNumArgs() == 0) return;
        Order o = memoryOrder(c->getArg(0), im.ctx);
        fence.release = fence.release || o.release;
        fence.acquire = fence.acquire || o.acquire;
      });
      indexCases();
      walkBody(p.body, [&](const Stmt* n, llvm::ArrayRef<const Stmt*> ps) { visit(n, ps); });
      unknownUses();
      observations();
      // Scope ends that join: a jthread, a future, a container of them.
      for (const CFGBlock* b : p.cfg()) {
        unsigned i = 0;
        for (const CFGElement& e : *b) {
          if (auto d = e.getAs<CFGAutomaticObjDtor>()) {
            QualType t = d->getVarDecl()->getType();
            QualType el = elementType(t);
            if (api::isTypeIn(t, "std", "jthread") || api::isTypeIn(t, "std", "future") ||
                api::isTypeIn(el, "std", "jthread") || api::isTypeIn(el, "std", "future"))
              p.ops.push_back(
                  {{d->getVarDecl(), Role::Fwd}, false, true, Where::Element, {b, i}, {}});
          }
          ++i;
        }
      }
    }
  };

  std::vector<Point> scopeEnds(const Participant& p, const VarDecl* v) const {
    std::vector<Point> out;
    for (const CFGBlock* b : p.cfg()) {
      unsigned i = 0;
      for (const CFGElement& e : *b) {
        if (auto d = e.getAs<CFGAutomaticObjDtor>(); d && d->getVarDecl() == v)
          out.push_back({b, i});
        ++i;
      }
    }
    return out;
  }

  // The operations a function of this file does on globals and fields, for its callers.
  const std::vector<Op>& summary(const FunctionDecl* fd) {
    auto it = summaries.find(fd);
    if (it != summaries.end()) return it->second;
    summaries[fd] = {};
    std::vector<Op> out;
    if (depth < 4) {
      ++depth;
      if (std::unique_ptr<Participant> p = makePart(fd, fd->getBody())) {
        Builder b(*this, *p);
        b.build();
        for (const Op& op : p->ops) {
          const auto* d = static_cast<const Decl*>(op.key.obj);
          bool global = false;
          if (op.key.role == Role::Ctx)
            global = !op.key.obj;
          else if (const auto* vd = dyn_cast_or_null<VarDecl>(d))
            global = vd->hasGlobalStorage();
          else
            global = isa_and_nonnull<FieldDecl>(d);
          if (global && op.where != Where::Edge) {
            Op o = op;
            if (o.where == Where::End) o.loc = {};
            out.push_back(o);
          }
        }
      }
      --depth;
    }
    return summaries[fd] = std::move(out);
  }

  // ---- queries ----

  // The writes of the flags some participant branches on are releases.
  void finalize() {
    if (finalized) return;
    finalized = true;
    llvm::DenseSet<const ValueDecl*> observed;
    for (auto& p : parts) observed.insert(p->observed.begin(), p->observed.end());
    if (observed.empty()) return;
    for (auto& p : parts) {
      ParentMap pm(const_cast<Stmt*>(p->body));
      walkBody(p->body, [&](const Stmt* n, llvm::ArrayRef<const Stmt*> ps) {
        const ValueDecl* v = nullptr;
        if (const auto* dre = dyn_cast<DeclRefExpr>(n)) v = dre->getDecl();
        if (const auto* me = dyn_cast<MemberExpr>(n)) v = me->getMemberDecl();
        if (!v || !observed.count(v) || !isWriteAccess(cast<Expr>(n), pm)) return;
        for (size_t i = ps.size() + 1; i-- > 0;) {
          const Stmt* s = i == ps.size() ? n : ps[i];
          if (auto at = p->la->find(s)) {
            p->ops.push_back({{v, Role::Fwd},
                              true,
                              false,
                              Where::Element,
                              {at->block, at->index},
                              n->getBeginLoc()});
            break;
          }
        }
      });
    }
  }

  bool srcBefore(SourceLocation a, SourceLocation b) const {
    if (a.isInvalid() || b.isInvalid()) return false;
    return ctx.getSourceManager().isBeforeInTranslationUnit(a, b);
  }

  // The elements that precede some release of `k`: a path leads from them to the release, and
  // none from the release back to them. (Some release, not every one: which release a receive
  // matched is not known, and the check says nothing rather than guess.)
  const llvm::BitVector& beforeReleases(Participant& p, Key k) {
    auto it = p.fromReleases.find(k);
    if (it != p.fromReleases.end()) return it->second;
    llvm::BitVector before(p.elements + 1);
    for (const Op& op : p.ops) {
      if (!op.release || !matches(op.key, k)) continue;
      Point from;
      switch (op.where) {
        case Where::Element:
          from = {op.at.block, op.at.index + 1};
          break;
        case Where::BlockStart:
          from = {op.at.block, 0};
          break;
        case Where::End:
          before.set();
          continue;
        case Where::Entry:
        case Where::Edge:
          continue;
      }
      llvm::BitVector reaches = walkBack(p, op.at);
      reaches.reset(walk(p, {from}, {}));
      before |= reaches;
    }
    return p.fromReleases[k] = std::move(before);
  }

  bool releases(const Participant& p, Key k) const {
    for (const Op& op : p.ops)
      if (op.release && matches(op.key, k)) return true;
    return false;
  }
  bool acquires(const Participant& p, Key k) const {
    for (const Op& op : p.ops)
      if (op.acquire && matches(op.key, k)) return true;
    return false;
  }

  // Is the event at `at`/`loc` before a release of `k` in `p`? At the release's own point,
  // the source order of code that runs there decides.
  bool beforeRelease(Participant& p, Key k, Point at, SourceLocation loc) {
    if (!releases(p, k)) return false;
    if (beforeReleases(p, k).test(p.id(at))) return true;
    for (const Op& op : p.ops)
      if (op.release && matches(op.key, k) && op.where == Where::Element && op.at == at &&
          srcBefore(loc, op.loc))
        return true;
    return false;
  }

  Point startOf(unsigned u, unsigned src) const {
    const Participant& p = *parts[u];
    if (u == 0 && src != 0 && parts[src]->spawn)
      return {parts[src]->spawn->block, parts[src]->spawn->index + 1};
    return {&p.cfg().getEntry(), 0};
  }

  const llvm::BitVector& reachFrom(Participant& p, Point start) {
    unsigned sid = p.id(start);
    auto it = p.fromStart.find(sid);
    if (it != p.fromStart.end()) return it->second;
    return p.fromStart[sid] = walk(p, {start}, {});
  }

  const llvm::BitVector& reachAvoiding(Participant& p, Key k, Point start) {
    auto key = std::make_pair(k, p.id(start));
    auto it = p.avoiding.find(key);
    if (it != p.avoiding.end()) return it->second;
    Stops stops;
    for (const Op& op : p.ops) {
      if (!op.acquire || !matches(op.key, k)) continue;
      switch (op.where) {
        case Where::Element:
          stops.elements.insert(p.id(op.at));
          break;
        case Where::BlockStart:
          stops.blocks.insert(op.at.block);
          break;
        case Where::Edge:
          stops.edges.insert({op.at.block, op.at.index});
          break;
        case Where::Entry:
          stops.entry = true;
          break;
        case Where::End:
          break;
      }
    }
    return p.avoiding[key] = walk(p, {start}, stops);
  }

  // Is the event at `at`/`loc` of participant u after an acquire of k, counting from where u
  // starts for a chain that came from participant src?
  bool afterAcquire(unsigned u, Key k, unsigned src, Point at, SourceLocation loc) {
    Participant& p = *parts[u];
    if (!acquires(p, k)) return false;
    Point start = startOf(u, src);
    unsigned e = p.id(at);
    if (!reachFrom(p, start).test(e)) return u != 0;  // a fiber's event is always after its start
    if (reachAvoiding(p, k, start).test(e)) return false;
    for (const Op& op : p.ops)
      if (op.acquire && matches(op.key, k) && op.where == Where::Element && op.at == at &&
          srcBefore(loc, op.loc))
        return false;
    return true;
  }

  // Keys released by participant w after (every release of them) an acquire of k.
  void extend(unsigned w, Key k, unsigned src, std::vector<std::pair<Key, unsigned>>& out) {
    Participant& p = *parts[w];
    Point start = startOf(w, src);
    const llvm::BitVector& all = reachFrom(p, start);
    const llvm::BitVector& avoid = reachAvoiding(p, k, start);
    std::map<Key, bool> ok;
    for (const Op& op : p.ops) {
      if (!op.release) continue;
      bool after = false;
      switch (op.where) {
        case Where::Element: {
          unsigned e = p.id(op.at);
          after = all.test(e) && !avoid.test(e);
          break;
        }
        case Where::BlockStart: {
          unsigned e = p.id(op.at);
          after = all.test(e) && !avoid.test(e);
          break;
        }
        case Where::End: {
          unsigned e = p.id({&p.cfg().getExit(), 0});
          after = all.test(e) && !avoid.test(e);
          break;
        }
        default:
          break;
      }
      auto [pos, fresh] = ok.try_emplace(op.key, after);
      if (!fresh) pos->second = pos->second && after;
    }
    for (auto& [k2, yes] : ok)
      if (yes) out.push_back({k2, w});
  }

  const std::vector<std::pair<Key, unsigned>>& closure(const Event& a) {
    auto memo = std::make_tuple(a.participant, parts[a.participant]->id(a.at),
                                a.loc.getRawEncoding(), a.once);
    auto it = closures.find(memo);
    if (it != closures.end()) return it->second;
    std::vector<std::pair<Key, unsigned>> states;
    std::set<Key> seen;
    Participant& t = *parts[a.participant];
    std::set<Key> released;
    for (const Op& op : t.ops)
      if (op.release) released.insert(op.key);
    for (const Key& k : released)
      if (beforeRelease(t, k, a.at, a.loc) && seen.insert(k).second)
        states.push_back({k, a.participant});
    if (a.once && seen.insert({a.once, Role::Fwd}).second)
      states.push_back({{a.once, Role::Fwd}, a.participant});
    for (size_t i = 0; i < states.size(); ++i) {
      auto [k, src] = states[i];
      for (unsigned w = 0; w < parts.size(); ++w) {
        if (!acquires(*parts[w], k)) continue;
        std::vector<std::pair<Key, unsigned>> more;
        extend(w, k, src, more);
        for (auto& s : more)
          if (seen.insert(s.first).second) states.push_back(s);
      }
    }
    return closures[memo] = std::move(states);
  }
};

// ---- the public face ------------------------------------------------------------------------

LambdaPlace placeOf(const LambdaExpr* le, llvm::function_ref<const Stmt*(const Stmt*)> parentOf,
                    Synchronizers& sync) {
  const Stmt* child = le;
  const Stmt* q = parentOf(le);
  while (q && carries(q, child)) {
    child = q;
    q = parentOf(q);
  }
  LambdaPlace out;
  if (const auto* ds = dyn_cast_or_null<DeclStmt>(q))
    for (const Decl* d : ds->decls())
      if (const auto* vd = dyn_cast<VarDecl>(d);
          vd && vd->getInit() == child && api::isTypeIn(vd->getType(), "absl", "Cleanup"))
        return {LambdaPlace::Cleanup, vd, nullptr};
  const auto* call = dyn_cast_or_null<CallExpr>(q);
  if (!call) return out;
  bool arg = false;
  for (const Expr* a : call->arguments()) arg = arg || a == child;
  if (!arg) return out;
  out = {LambdaPlace::AtCall, nullptr, call};
  // A method of an object that synchronises itself takes the task to run in its own time —
  // except the ones that run it in the call: Once's body, a wait's predicate.
  const auto* mc = dyn_cast<CXXMemberCallExpr>(call);
  const Expr* obj = mc ? mc->getImplicitObjectArgument() : nullptr;
  if (!obj) return out;
  QualType t = objectType(obj);
  if (api::isTypeIn(t, "weave", "Once") || api::isTypeIn(t, "std", "condition_variable") ||
      api::isTypeIn(t, "std", "condition_variable_any") || isMutexType(t))
    return out;
  if (sync.is(t)) out.kind = LambdaPlace::HandedOff;
  return out;
}

HappensBefore::HappensBefore(ASTContext& ctx, Synchronizers& sync)
    : impl_(std::make_unique<Impl>(ctx, sync)) {}
HappensBefore::~HappensBefore() = default;

bool HappensBefore::addSpawner(const FunctionBody& fb) {
  std::unique_ptr<Participant> p = impl_->makePart(fb.decl, fb.body);
  if (!p) return false;
  Impl::Builder b(*impl_, *p);
  b.build();
  impl_->parts.push_back(std::move(p));
  impl_->fiberKeys.push_back(nullptr);
  return true;
}

std::optional<unsigned> HappensBefore::addFiber(const Spawn& sp, const FunctionDecl* fn,
                                                const Stmt* body) {
  Participant& spawner = *impl_->parts[0];
  auto at = spawner.la->find(sp.expr);
  if (!at) return std::nullopt;
  std::unique_ptr<Participant> p = impl_->makePart(fn, body);
  if (!p) return std::nullopt;
  p->spawn = Point{at->block, at->index};
  Impl::Builder b(*impl_, *p);
  b.build();
  // The go edge: the spawn site releases the fiber's start.
  Key start{sp.expr, Role::Spawn};
  spawner.ops.push_back({start, true, false, Where::Element, *p->spawn, {}});
  p->ops.push_back({start, false, true, Where::Entry, {}, {}});
  // Its end releases what it is joined through: its group, its thread or future handle, or the
  // container that holds it.
  const void* storage = sp.group;
  if (!storage) {
    ParentMap pm(const_cast<Stmt*>(spawner.body));
    const Stmt* child = sp.expr;
    for (const Stmt* q = pm.getParent(child); q && !storage; child = q, q = pm.getParent(q)) {
      if (carries(q, child)) continue;
      if (const auto* ds = dyn_cast<DeclStmt>(q)) {
        for (const Decl* d : ds->decls())
          if (const auto* vd = dyn_cast<VarDecl>(d); vd && vd->getInit() == child) storage = vd;
        break;
      }
      if (const auto* mc = dyn_cast<CXXMemberCallExpr>(q)) {
        const Expr* obj = mc->getImplicitObjectArgument();
        storage = objectKey(obj);  // emplace_back, push_back
        if (!storage && ignoreCarriers(obj) == sp.expr) storage = sp.expr;  // joined at once
        break;
      }
      if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(q);
          oc && oc->getOperator() == OO_Equal && oc->getNumArgs() == 2) {
        storage = objectKey(oc->getArg(0));
        break;
      }
      if (!isa<Expr>(q)) break;
    }
    if (sp.kind == SpawnKind::Thread || sp.kind == SpawnKind::JThread) {
      if (const auto* mc = dyn_cast<CXXMemberCallExpr>(sp.expr))  // emplaced into a container
        storage = objectKey(mc->getImplicitObjectArgument());
    }
    // `for (auto& t : threads) t = std::thread(…)`: the element stands for its container.
    for (const Stmt* q = pm.getParent(sp.expr); q; q = pm.getParent(q))
      if (const auto* fr = dyn_cast<CXXForRangeStmt>(q);
          fr && storage && fr->getRangeInit() &&
          static_cast<const ValueDecl*>(fr->getLoopVariable()) == storage)
        if (const ValueDecl* c = objectKey(fr->getRangeInit())) storage = c;
  }
  if (storage) p->ops.push_back({{storage, Role::Fwd}, true, false, Where::End, {}, {}});
  impl_->parts.push_back(std::move(p));
  impl_->fiberKeys.push_back(storage);
  impl_->finalized = false;
  return static_cast<unsigned>(impl_->parts.size() - 1);
}

const LocksetAnalysis& HappensBefore::locks(unsigned p) const { return *impl_->parts[p]->la; }

std::optional<Point> HappensBefore::pointOf(unsigned p, const Stmt* s) const {
  if (auto at = impl_->parts[p]->la->find(s)) return Point{at->block, at->index};
  return std::nullopt;
}

std::vector<Point> HappensBefore::scopeEndsOf(unsigned p, const VarDecl* v) const {
  return impl_->scopeEnds(*impl_->parts[p], v);
}

bool HappensBefore::ordered(const Event& a, const Event& b) {
  impl_->finalize();
  if (a.once && a.once == b.once) return true;  // one body runs, once
  for (auto& [k, src] : impl_->closure(a))
    if (impl_->afterAcquire(b.participant, k, src, b.at, b.loc)) return true;
  return false;
}

bool HappensBefore::afterSpawn(unsigned f, Point p) {
  Participant& s = *impl_->parts[0];
  Point start{impl_->parts[f]->spawn->block, impl_->parts[f]->spawn->index + 1};
  return impl_->reachFrom(s, start).test(s.id(p));
}

bool HappensBefore::respawns(unsigned f) { return afterSpawn(f, *impl_->parts[f]->spawn); }

bool HappensBefore::mayOverlap(unsigned f, unsigned g) {
  return afterSpawn(f, *impl_->parts[g]->spawn) || afterSpawn(g, *impl_->parts[f]->spawn);
}

}  // namespace weave::lint
