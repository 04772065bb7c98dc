// The held-lock dataflow and the function summaries (see LockFlow.h).
#include "lib/LockFlow.h"

#include <algorithm>
#include <deque>
#include <map>

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Analysis/CFG.h"
#include "clang/Basic/SourceManager.h"
#include "lib/Carriers.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/Lockset.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
using namespace clang;

namespace {

// Deeper call chains are cut off (their locks count as unknown), which bounds the stack.
constexpr int kMaxDepth = 64;
// Longer chains are not kept for notes.
constexpr size_t kMaxChain = 12;

QualType pointee(QualType t) {
  t = t.getNonReferenceType();
  if (t->isPointerType()) t = t->getPointeeType();
  return t;
}

bool isCallableType(QualType t) {
  t = t.getNonReferenceType();
  if (t->isPointerType() && t->getPointeeType()->isFunctionType()) return true;
  return api::isTypeIn(t, "std", "function") || api::isTypeIn(t, "absl", "AnyInvocable") ||
         api::isTypeIn(t, "absl", "FunctionRef") || api::isTypeIn(t, "std", "move_only_function");
}

// The lambda (or function) a callable expression denotes.
const FunctionDecl* callableTarget(const Expr* e, bool& isLambda) {
  isLambda = false;
  for (int i = 0; e && i < 4; ++i) {
    e = ignoreCarriers(e);
    if (const auto* ce = dyn_cast_or_null<CXXConstructExpr>(e); ce && ce->getNumArgs() >= 1) {
      e = ce->getArg(0);
      continue;
    }
    break;
  }
  e = e ? e->IgnoreParenImpCasts() : nullptr;
  if (const auto* uo = dyn_cast_or_null<UnaryOperator>(e); uo && uo->getOpcode() == UO_AddrOf)
    e = uo->getSubExpr()->IgnoreParenImpCasts();
  if (const auto* le = dyn_cast_or_null<LambdaExpr>(e)) {
    isLambda = true;
    return le->getCallOperator();
  }
  if (const auto* dre = dyn_cast_or_null<DeclRefExpr>(e)) {
    if (const auto* fd = dyn_cast<FunctionDecl>(dre->getDecl())) return fd;
    if (const auto* vd = dyn_cast<VarDecl>(dre->getDecl()); vd && vd->hasLocalStorage())
      if (const auto* le = dyn_cast_or_null<LambdaExpr>(
              vd->getInit() ? ignoreCarriers(vd->getInit())->IgnoreParenImpCasts() : nullptr)) {
        isLambda = true;
        return le->getCallOperator();
      }
  }
  return nullptr;
}

bool capturesThis(const FunctionDecl* op) {
  const auto* md = dyn_cast<CXXMethodDecl>(op);
  if (!md || !md->getParent()->isLambda()) return false;
  for (const LambdaCapture& c : md->getParent()->captures())
    if (c.capturesThis()) return true;
  return false;
}

// What a guard variable does with its mutexes.
struct GuardInfo {
  std::vector<LockPath> paths;
  bool shared = false;
  enum Mode { Acquire, Defer, Adopt } mode = Acquire;
  bool cleanup = false;  // an absl::Cleanup: it only releases, when it dies
};

struct State {
  bool reached = false;
  std::vector<HeldLock> held;  // sorted by path
  std::vector<const ValueDecl*> taken;
  std::vector<ManualLock> manual;
};

template <class T, class Less>
void insertSorted(std::vector<T>& v, T x, Less less) {
  auto it = std::lower_bound(v.begin(), v.end(), x, less);
  if (it != v.end() && !less(x, *it)) return;
  v.insert(it, std::move(x));
}

bool heldLess(const HeldLock& a, const HeldLock& b) { return a.path < b.path; }

bool joinInto(State& into, const State& from) {
  if (!from.reached) return false;
  if (!into.reached) {
    into = from;
    return true;
  }
  bool changed = false;
  std::vector<HeldLock> held;
  for (const HeldLock& h : into.held) {
    auto it = std::lower_bound(from.held.begin(), from.held.end(), h, heldLess);
    if (it == from.held.end() || it->path != h.path) {
      changed = true;
      continue;
    }
    HeldLock j = h;
    if (it->shared && !j.shared) {
      j.shared = true;
      changed = true;
    }
    if (it->owner != j.owner && j.owner) {
      j.owner = nullptr;
      changed = true;
    }
    held.push_back(std::move(j));
  }
  into.held = std::move(held);
  for (const ValueDecl* d : from.taken) {
    size_t n = into.taken.size();
    insertSorted(into.taken, d, std::less<const ValueDecl*>());
    changed = changed || into.taken.size() != n;
  }
  for (const ManualLock& m : from.manual) {
    size_t n = into.manual.size();
    insertSorted(into.manual, m, std::less<ManualLock>());
    changed = changed || into.manual.size() != n;
  }
  return changed;
}

}  // namespace

LockPath Translation::apply(const LockPath& p) const {
  LockPath out;
  if (p.root == LockPath::thisRoot()) {
    if (self == This::Keep) return p;
    out = self == This::Object ? object : LockPath{LockPath::unknownRoot(), {}};
  } else if (const auto* pv = static_cast<const Decl*>(p.root); p.known() && isa<ParmVarDecl>(pv)) {
    out = LockPath{LockPath::unknownRoot(), {}};
    for (const auto& [param, arg] : params)
      if (param->getCanonicalDecl() == pv && arg) out = *arg;
  } else {
    return p;
  }
  out.fields.append(p.fields.begin(), p.fields.end());
  normalizePath(out);
  return out;
}

const std::vector<HeldLock>* LockBody::heldBefore(const Stmt* s) const {
  auto it = at_.find(s);
  return it == at_.end() ? nullptr : &snapshots_[it->second].held;
}

const std::vector<const ValueDecl*>* LockBody::takenBefore(const Stmt* s) const {
  auto it = at_.find(s);
  return it == at_.end() ? nullptr : &snapshots_[it->second].taken;
}

bool LockBody::releases(const LockPath& p) const {
  return std::find(released_.begin(), released_.end(), p) != released_.end();
}

struct LockModel::Impl {
  explicit Impl(ASTContext& c) : ctx(c) {}

  struct Target {
    const FunctionDecl* fn;
    bool lambda;
    bool ownerThis;  // a lambda that captures the `this` of the member's own object
  };

  ASTContext& ctx;
  llvm::DenseMap<const FunctionDecl*, std::unique_ptr<LockBody>> bodies;
  llvm::DenseMap<const FunctionDecl*, LockSummary> summaries;
  llvm::DenseSet<const FunctionDecl*> inProgress;
  int depth = 0;
  bool callbacksIndexed = false;
  llvm::DenseMap<const FieldDecl*, std::vector<Target>> callbacks;
  llvm::DenseMap<const VarDecl*, std::optional<GuardInfo>> guards;

  bool inMainFile(const Decl* d) const {
    const SourceManager& sm = ctx.getSourceManager();
    return d && sm.isInMainFile(sm.getExpansionLoc(d->getLocation()));
  }

  const FunctionDecl* definition(const FunctionDecl* fd) const {
    if (!fd) return nullptr;
    const FunctionDecl* def = nullptr;
    if (!fd->hasBody(def) || !def || !def->getBody() || !inMainFile(def)) return nullptr;
    return def;
  }

  // ---- callbacks stored in members --------------------------------------------------------

  void addTarget(const FieldDecl* f, const Expr* init, bool ownerThis) {
    if (!f || !init || !isCallableType(f->getType())) return;
    bool lambda = false;
    const FunctionDecl* fn = callableTarget(init, lambda);
    if (!fn) return;
    callbacks[f->getCanonicalDecl()].push_back({fn, lambda, ownerThis && capturesThis(fn)});
  }

  void indexCallbacks() {
    callbacksIndexed = true;
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
        const auto* oc = dyn_cast<CXXOperatorCallExpr>(s);
        if (!oc || oc->getOperator() != OO_Equal || oc->getNumArgs() != 2) return;
        const auto* me = dyn_cast<MemberExpr>(oc->getArg(0)->IgnoreParenImpCasts());
        if (!me) return;
        addTarget(dyn_cast<FieldDecl>(me->getMemberDecl()), oc->getArg(1),
                  isa<CXXThisExpr>(me->getBase()->IgnoreParenImpCasts()));
      });
      if (const auto* ctor = dyn_cast_or_null<CXXConstructorDecl>(fb.decl))
        for (const CXXCtorInitializer* init : ctor->inits())
          if (init->isWritten()) addTarget(init->getMember(), init->getInit(), true);
      if (const auto* md = dyn_cast_or_null<CXXMethodDecl>(fb.decl))
        for (const FieldDecl* f : md->getParent()->fields())
          if (f->hasInClassInitializer() && !callbacks.count(f->getCanonicalDecl()))
            addTarget(f, f->getInClassInitializer(), true);
    });
  }

  // ---- calls ------------------------------------------------------------------------------

  static std::optional<LockPath> argPath(const ParmVarDecl* param, const Expr* arg) {
    QualType t = param->getType();
    if (!t->isReferenceType() && !t->isPointerType()) return std::nullopt;
    return objectPath(arg);
  }

  static void bindParams(Translation& tr, const FunctionDecl* fn, const CallExpr* call,
                         unsigned offset) {
    for (unsigned i = 0; i < fn->getNumParams() && i + offset < call->getNumArgs(); ++i)
      tr.params.push_back(
          {fn->getParamDecl(i), argPath(fn->getParamDecl(i), call->getArg(i + offset))});
  }

  std::vector<Callee> callees(const Stmt* s) {
    std::vector<Callee> out;
    const auto* call = dyn_cast_or_null<CallExpr>(s);
    if (!call) return out;
    // A callable member: the functions this translation unit stores in it.
    const Expr* calleeObj = nullptr;
    unsigned offset = 0;
    if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(call);
        oc && oc->getOperator() == OO_Call && oc->getNumArgs() >= 1) {
      calleeObj = oc->getArg(0);
      offset = 1;
    } else if (!call->getDirectCallee()) {
      calleeObj = call->getCallee();
    }
    if (calleeObj) {
      const auto* me = dyn_cast<MemberExpr>(calleeObj->IgnoreParenImpCasts());
      const auto* field = me ? dyn_cast<FieldDecl>(me->getMemberDecl()) : nullptr;
      if (field && isCallableType(field->getType())) {
        if (!callbacksIndexed) indexCallbacks();
        auto it = callbacks.find(field->getCanonicalDecl());
        if (it == callbacks.end()) return out;
        for (const Target& t : it->second) {
          const FunctionDecl* def = definition(t.fn);
          if (!def) continue;
          Callee c{def, {}};
          if (t.lambda && t.ownerThis) {
            std::optional<LockPath> base = objectPath(me->getBase());
            if (base) {
              c.tr.self = Translation::This::Object;
              c.tr.object = *base;
            }
          }
          bindParams(c.tr, def, call, offset);
          out.push_back(std::move(c));
        }
        return out;
      }
    }
    const FunctionDecl* def = definition(call->getDirectCallee());
    if (!def) return out;
    if (!api::calleeNameIn(call, "weave").empty() || !api::calleeNameIn(call, "std").empty())
      return out;
    Callee c{def, {}};
    offset = 0;
    if (const auto* md = dyn_cast<CXXMethodDecl>(def); md && !md->isStatic()) {
      if (md->getParent()->isLambda()) {
        c.tr.self = Translation::This::Keep;
      } else {
        if (md->isVirtual() && !md->hasAttr<FinalAttr>() && !md->getParent()->hasAttr<FinalAttr>())
          return out;  // which override runs is not known here
        if (const Expr* obj = callObject(call)) {
          if (std::optional<LockPath> p = objectPath(obj)) {
            c.tr.self = Translation::This::Object;
            c.tr.object = *p;
          }
        }
      }
      if (isa<CXXOperatorCallExpr>(call)) offset = 1;
    }
    bindParams(c.tr, def, call, offset);
    out.push_back(std::move(c));
    return out;
  }

  // ---- recognising lock operations --------------------------------------------------------

  // The mutexes an absl::Cleanup's lambda unlocks.
  std::vector<LockPath> cleanupUnlocks(const Expr* init) {
    std::vector<LockPath> out;
    bool lambda = false;
    const FunctionDecl* fn = callableTarget(init, lambda);
    if (!fn || !lambda || !fn->getBody()) return out;
    walkBody(fn->getBody(), [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
      const auto* mc = dyn_cast<CXXMemberCallExpr>(s);
      if (!mc || !mc->getMethodDecl() || !mc->getMethodDecl()->getIdentifier()) return;
      if (mutexMethod(mc->getMethodDecl()->getName()) != MutexMethod::Unlock) return;
      const Expr* obj = mc->getImplicitObjectArgument();
      if (!obj || !isMutexType(pointee(obj->getType()))) return;
      if (std::optional<LockPath> p = objectPath(obj)) out.push_back(*p);
    });
    return out;
  }

  const GuardInfo* guard(const VarDecl* vd) {
    if (!vd) return nullptr;
    auto it = guards.find(vd);
    if (it != guards.end()) return it->second ? &*it->second : nullptr;
    std::optional<GuardInfo> info;
    bool shared = false;
    if (vd->getInit() && api::isTypeIn(vd->getType(), "absl", "Cleanup")) {
      GuardInfo g;
      g.cleanup = true;
      g.paths = cleanupUnlocks(vd->getInit());
      if (!g.paths.empty()) info = std::move(g);
    } else if (isLockGuardType(vd->getType(), shared) && vd->getInit()) {
      GuardInfo g;
      g.shared = shared;
      if (const auto* ce = dyn_cast_or_null<CXXConstructExpr>(ignoreCarriers(vd->getInit())))
        for (const Expr* arg : ce->arguments()) {
          QualType t = arg->getType();
          if (api::isTypeIn(t, "std", "defer_lock_t") || api::isTypeIn(t, "std", "try_to_lock_t")) {
            g.mode = GuardInfo::Defer;
            continue;
          }
          if (api::isTypeIn(t, "std", "adopt_lock_t")) {
            g.mode = GuardInfo::Adopt;
            continue;
          }
          if (isMutexType(pointee(t)))
            if (std::optional<LockPath> p = objectPath(arg)) g.paths.push_back(*p);
        }
      info = std::move(g);
    }
    auto [pos, _] = guards.try_emplace(vd, std::move(info));
    return pos->second ? &*pos->second : nullptr;
  }

  // ---- the dataflow -----------------------------------------------------------------------

  struct Run {
    LockBody* out = nullptr;  // non-null on the recording pass
  };

  static void release(State& st, const LockPath& p, Run& run) {
    auto it = std::find_if(st.held.begin(), st.held.end(),
                           [&](const HeldLock& h) { return h.path == p; });
    if (it != st.held.end()) st.held.erase(it);
    st.manual.erase(std::remove_if(st.manual.begin(), st.manual.end(),
                                   [&](const ManualLock& m) { return m.path == p; }),
                    st.manual.end());
    if (run.out && std::find(run.out->released_.begin(), run.out->released_.end(), p) ==
                       run.out->released_.end())
      run.out->released_.push_back(p);
  }

  static void acquire(State& st, const LockPath& p, bool shared, const Stmt* site,
                      const VarDecl* owner, bool manual, std::vector<const Stmt*> chain,
                      const std::vector<HeldLock>& before, Run& run) {
    if (run.out && p.decl() && !chain.empty())
      run.out->events_.push_back(LockEvent{p, shared, std::move(chain), before});
    if (const ValueDecl* d = p.decl()) insertSorted(st.taken, d, std::less<const ValueDecl*>());
    HeldLock h{p, shared, site, owner};
    auto it = std::lower_bound(st.held.begin(), st.held.end(), h, heldLess);
    if (it != st.held.end() && it->path == p) {
      it->shared = it->shared && shared;
      if (owner) it->owner = owner;
    } else {
      st.held.insert(it, h);
    }
    if (manual && !owner) insertSorted(st.manual, ManualLock{p, site}, std::less<ManualLock>());
  }

  void transfer(const CFGElement& e, State& st, Run& run, std::vector<LockPath>& unheldReleases) {
    if (auto d = e.getAs<CFGAutomaticObjDtor>()) {
      const VarDecl* vd = d->getVarDecl();
      st.held.erase(std::remove_if(st.held.begin(), st.held.end(),
                                   [&](const HeldLock& h) { return h.owner == vd; }),
                    st.held.end());
      return;
    }
    auto cs = e.getAs<CFGStmt>();
    if (!cs) return;
    const Stmt* s = cs->getStmt();
    if (const auto* ds = dyn_cast<DeclStmt>(s)) {
      std::vector<HeldLock> before = st.held;
      for (const Decl* d : ds->decls()) {
        const auto* vd = dyn_cast<VarDecl>(d);
        const GuardInfo* g = guard(vd);
        if (!g) continue;
        for (const LockPath& p : g->paths) {
          if (g->cleanup || g->mode == GuardInfo::Adopt) {
            // It takes over a lock the code holds: released when it dies.
            bool found = false;
            for (HeldLock& h : st.held)
              if (h.path == p) {
                h.owner = vd;
                found = true;
              }
            if (!found && g->mode == GuardInfo::Adopt)
              acquire(st, p, g->shared, ds, vd, false, {}, {}, run);
            st.manual.erase(std::remove_if(st.manual.begin(), st.manual.end(),
                                           [&](const ManualLock& m) { return m.path == p; }),
                            st.manual.end());
            if (run.out && !run.out->releases(p)) run.out->released_.push_back(p);
          } else if (g->mode == GuardInfo::Acquire) {
            acquire(st, p, g->shared, ds, vd, false, {ds}, before, run);
          }
        }
      }
      return;
    }
    if (const auto* bo = dyn_cast<BinaryOperator>(s); bo && bo->isAssignmentOp()) {
      // A root variable that now names another object: what was held through it is unknown.
      if (const auto* dre = dyn_cast<DeclRefExpr>(bo->getLHS()->IgnoreParenImpCasts()))
        if (const auto* vd = dyn_cast<VarDecl>(dre->getDecl())) {
          const void* root = vd->getCanonicalDecl();
          for (HeldLock& h : st.held)
            if (h.path.root == root) h.path.root = LockPath::unknownRoot();
          for (ManualLock& m : st.manual)
            if (m.path.root == root) m.path.root = LockPath::unknownRoot();
          std::sort(st.held.begin(), st.held.end(), heldLess);
        }
      return;
    }
    if (const auto* mc = dyn_cast<CXXMemberCallExpr>(s)) {
      const CXXMethodDecl* md = mc->getMethodDecl();
      const Expr* obj = mc->getImplicitObjectArgument();
      if (md && md->getIdentifier() && obj) {
        llvm::StringRef name = md->getName();
        MutexMethod op = mutexMethod(name);
        if (isMutexType(pointee(obj->getType()))) {
          if (op == MutexMethod::None) return;
          std::optional<LockPath> p = objectPath(obj);
          if (!p) return;
          if (op == MutexMethod::Unlock) {
            bool held = std::any_of(st.held.begin(), st.held.end(),
                                    [&](const HeldLock& h) { return h.path == *p; });
            if (!held) unheldReleases.push_back(*p);
            release(st, *p, run);
          } else {
            acquire(st, *p, op == MutexMethod::LockShared, mc, nullptr, true, {mc}, st.held, run);
          }
          return;
        }
        const auto* dre = dyn_cast<DeclRefExpr>(obj->IgnoreParenImpCasts());
        const auto* gv = dre ? dyn_cast<VarDecl>(dre->getDecl()) : nullptr;
        if (const GuardInfo* g = guard(gv); g && !g->cleanup) {
          if (name == "release") {
            for (HeldLock& h : st.held)
              if (h.owner == gv) {
                h.owner = nullptr;
                insertSorted(st.manual, ManualLock{h.path, mc}, std::less<ManualLock>());
              }
            return;
          }
          if (op == MutexMethod::None) return;
          std::vector<HeldLock> before = st.held;
          for (const LockPath& p : g->paths) {
            if (op == MutexMethod::Unlock) {
              st.held.erase(std::remove_if(st.held.begin(), st.held.end(),
                                           [&](const HeldLock& h) { return h.path == p; }),
                            st.held.end());
              if (run.out && !run.out->releases(p)) run.out->released_.push_back(p);
            } else {
              acquire(st, p, g->shared || op == MutexMethod::LockShared, mc, gv, false, {mc},
                      before, run);
            }
          }
          return;
        }
      }
    }
    const auto* call = dyn_cast<CallExpr>(s);
    if (!call) return;
    if (api::isStdCall(call, "lock")) {
      std::vector<HeldLock> before = st.held;
      for (const Expr* arg : call->arguments())
        if (isMutexType(pointee(arg->getType())))
          if (std::optional<LockPath> p = objectPath(arg))
            acquire(st, *p, false, call, nullptr, true, {call}, before, run);
      return;
    }
    std::vector<HeldLock> before = st.held;
    for (Callee& c : callees(call)) {
      const LockSummary& sum = summary(c.fn);
      if (run.out) run.out->calls_.push_back({call, c});
      for (const SummaryLock& a : sum.acquires) {
        LockPath p = c.tr.apply(a.path);
        std::vector<const Stmt*> chain{call};
        for (const Stmt* x : a.chain)
          if (chain.size() < kMaxChain) chain.push_back(x);
        if (run.out && p.decl()) run.out->events_.push_back(LockEvent{p, a.shared, chain, before});
        if (const ValueDecl* d = p.decl()) insertSorted(st.taken, d, std::less<const ValueDecl*>());
      }
      for (const LockPath& r : sum.releases) {
        LockPath p = c.tr.apply(r);
        bool held = std::any_of(st.held.begin(), st.held.end(),
                                [&](const HeldLock& h) { return h.path == p; });
        if (!held) unheldReleases.push_back(p);
        release(st, p, run);
      }
      Run quiet;  // the acquisition was recorded above
      for (const SummaryLock& h : sum.returnsHolding)
        acquire(st, c.tr.apply(h.path), h.shared, call, nullptr, true, {}, {}, quiet);
    }
  }

  std::unique_ptr<LockBody> analyze(const FunctionDecl* fd) {
    const Stmt* body = fd->getBody();
    if (!body || !mayLock(body)) return nullptr;
    CFG::BuildOptions opts;
    opts.setAllAlwaysAdd();
    opts.AddImplicitDtors = true;
    opts.AddCXXDefaultInitExprInCtors = false;
    std::unique_ptr<CFG> cfg = CFG::buildCFG(fd, const_cast<Stmt*>(body), &ctx, opts);
    if (!cfg) return nullptr;

    // The fixpoint.
    llvm::DenseMap<const CFGBlock*, State> in;
    std::deque<const CFGBlock*> work{&cfg->getEntry()};
    llvm::DenseSet<const CFGBlock*> queued{&cfg->getEntry()};
    in[&cfg->getEntry()].reached = true;
    std::vector<LockPath> ignored;
    while (!work.empty()) {
      const CFGBlock* b = work.front();
      work.pop_front();
      queued.erase(b);
      State st = in[b];
      Run quiet;
      for (const CFGElement& e : *b) transfer(e, st, quiet, ignored);
      for (const CFGBlock* succ : b->succs()) {
        if (!succ) continue;
        if (joinInto(in[succ], st) && queued.insert(succ).second) work.push_back(succ);
      }
    }

    // The recording pass, in block order so that events come in a stable order.
    auto out = std::make_unique<LockBody>();
    Run rec;
    rec.out = out.get();
    std::vector<LockPath> unheld;
    const CFGBlock* exit = &cfg->getExit();
    for (const CFGBlock* b : *cfg) {
      auto it = in.find(b);
      if (it == in.end() || !it->second.reached) continue;
      State st = it->second;
      bool changed = true;
      const Stmt* last = nullptr;
      for (const CFGElement& e : *b) {
        if (auto cs = e.getAs<CFGStmt>()) {
          if (changed) {
            out->snapshots_.push_back({st.held, st.taken});
            changed = false;
          }
          out->at_[cs->getStmt()] = static_cast<unsigned>(out->snapshots_.size() - 1);
          if (isa<ReturnStmt, CXXThrowExpr>(cs->getStmt())) last = cs->getStmt();
        }
        size_t h = st.held.size(), t = st.taken.size();
        transfer(e, st, rec, unheld);
        changed = changed || st.held.size() != h || st.taken.size() != t || !e.getAs<CFGStmt>() ||
                  isa<CallExpr, DeclStmt>(e.getAs<CFGStmt>()->getStmt());
      }
      bool toExit = false;
      for (const CFGBlock* succ : b->succs()) toExit = toExit || succ == exit;
      // A try's dispatch block reaches the exit for an exception no handler may match: whether
      // one does is not known here, so that is no way out.
      if (toExit && !b->hasNoReturnElement() &&
          !isa_and_nonnull<CXXTryStmt>(b->getTerminatorStmt()))
        out->exits_.push_back(LockExit{last, st.held, st.manual, st.taken});
    }
    for (const LockPath& p : unheld)
      if (std::find(out->unheld_.begin(), out->unheld_.end(), p) == out->unheld_.end())
        out->unheld_.push_back(p);
    return out;
  }

  // Does the body (not counting nested lambdas) lock, unlock, or call something that does?
  bool mayLock(const Stmt* body) {
    bool found = false;
    walkBody(body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
      if (found) return;
      if (const auto* ds = dyn_cast<DeclStmt>(s)) {
        for (const Decl* d : ds->decls())
          if (guard(dyn_cast<VarDecl>(d))) found = true;
        return;
      }
      const auto* call = dyn_cast<CallExpr>(s);
      if (!call) return;
      if (const auto* mc = dyn_cast<CXXMemberCallExpr>(call))
        if (const CXXMethodDecl* md = mc->getMethodDecl();
            md && md->getIdentifier() && mutexMethod(md->getName()) != MutexMethod::None &&
            mc->getImplicitObjectArgument() &&
            isMutexType(pointee(mc->getImplicitObjectArgument()->getType())))
          found = true;
      if (api::isStdCall(call, "lock")) found = true;
      for (const Callee& c : callees(call))
        if (!summary(c.fn).empty()) found = true;
    });
    return found;
  }

  LockSummary summarize(const LockBody& b) {
    LockSummary s;
    for (const LockEvent& e : b.events_) {
      bool dup = std::any_of(s.acquires.begin(), s.acquires.end(), [&](const SummaryLock& a) {
        return a.path == e.path && a.shared == e.shared;
      });
      if (!dup) s.acquires.push_back({e.path, e.shared, e.chain});
    }
    if (!b.exits_.empty()) {
      for (const HeldLock& h : b.exits_.front().held) {
        bool everywhere = std::all_of(b.exits_.begin(), b.exits_.end(), [&](const LockExit& x) {
          return std::any_of(x.held.begin(), x.held.end(),
                             [&](const HeldLock& o) { return o.path == h.path; });
        });
        if (!everywhere || !h.path.known()) continue;
        std::vector<const Stmt*> chain{h.site};
        for (const LockEvent& e : b.events_)
          if (e.path == h.path && e.at() == h.site) chain = e.chain;
        s.returnsHolding.push_back({h.path, h.shared, chain});
      }
    }
    s.releases = b.unheld_;
    return s;
  }

  const LockBody* body(const FunctionDecl* fd) {
    fd = definition(fd);
    if (!fd) return nullptr;
    auto it = bodies.find(fd);
    if (it != bodies.end()) return it->second.get();
    if (inProgress.count(fd) || depth >= kMaxDepth) return nullptr;
    inProgress.insert(fd);
    ++depth;
    std::unique_ptr<LockBody> b = analyze(fd);
    --depth;
    inProgress.erase(fd);
    if (b) summaries[fd] = summarize(*b);
    return (bodies[fd] = std::move(b)).get();
  }

  const LockSummary& summary(const FunctionDecl* fd) {
    static const LockSummary kEmpty;
    fd = definition(fd);
    if (!fd) return kEmpty;
    body(fd);
    auto it = summaries.find(fd);
    return it == summaries.end() ? kEmpty : it->second;
  }
};

std::string throughCalls(const std::vector<const Stmt*>& chain) {
  std::string out;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    const auto* call = dyn_cast<CallExpr>(chain[i]);
    if (!call) continue;
    std::string name;
    if (const FunctionDecl* fd = call->getDirectCallee(); fd && fd->getIdentifier())
      name = fd->getName().str();
    const Expr* callee = call->getCallee();
    if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(call); oc && oc->getNumArgs() > 0)
      callee = oc->getArg(0);
    if (name.empty() || name == "operator()") {
      const Expr* obj = callee->IgnoreParenImpCasts();
      if (const auto* me = dyn_cast<MemberExpr>(obj)) name = me->getMemberDecl()->getNameAsString();
      if (const auto* dre = dyn_cast<DeclRefExpr>(obj)) name = dre->getDecl()->getNameAsString();
    }
    if (name.empty()) continue;
    out += out.empty() ? ", through " : " -> ";
    out += name;
  }
  return out;
}

LockModel::LockModel(ASTContext& ctx) : impl_(std::make_unique<Impl>(ctx)) {}
LockModel::~LockModel() = default;

const LockBody* LockModel::body(const FunctionDecl* fd) { return impl_->body(fd); }
const LockSummary& LockModel::summary(const FunctionDecl* fd) { return impl_->summary(fd); }
std::vector<Callee> LockModel::callees(const Stmt* call) { return impl_->callees(call); }
const FunctionDecl* LockModel::definition(const FunctionDecl* fd) const {
  return impl_->definition(fd);
}

}  // namespace weave::lint
