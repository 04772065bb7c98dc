// weave-unguarded-shared: data races found statically. For every function that starts fibers
// (the spawner), the accesses of each fiber body and of the spawner itself to shared state —
// variables the fiber captures by reference, namespace-scope variables of this file, fields of a
// captured `this` — are collected with the locks held at each (lib/Lockset.h; calls into functions
// of this file through per-function summaries) and the program point where each runs. Two
// accesses to the same location, one of them a write, race when no common mutex guards both, they
// can run at once (two instances of a fiber, two fibers whose lives overlap, a fiber and its
// spawner after the spawn) and no chain of synchronisation edges orders them
// (lib/HappensBefore.h: the edges of weave's model, placed where they sit in each body).
// Objects that synchronise themselves (lib/Synchronizers.h) are not data: a call into one is not
// an access of whatever holds it.
//
// The field form (Infer's RacerD): in a class whose methods run in fibers or are public, a field
// that one method writes under a mutex and another method reads or writes with no lock.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMap.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "lib/Accesses.h"
#include "lib/Carriers.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/HappensBefore.h"
#include "lib/Locks.h"
#include "lib/Lockset.h"
#include "lib/Synchronizers.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-unguarded-shared";

struct Access {
  const ValueDecl* loc = nullptr;  // the variable or field
  const Expr* expr = nullptr;      // where it happens (reported here)
  bool write = false;
  Lockset locks;
  unsigned part = 0;           // the participant (0: the spawner)
  std::vector<Point> at;       // where it runs in the participant (a cleanup: each scope exit)
  const void* once = nullptr;  // inside the body of this Once's call
};

// Where the code being collected runs: the participant's own body (each access at its own
// statement), or code written elsewhere that runs at given points (a callee, a nested lambda).
struct Placement {
  int part = -1;  // -1: a summary, placed by its callers
  bool top = false;
  std::vector<Point> points;
  const void* once = nullptr;
};

bool capturesThis(const LambdaExpr* le) {
  for (const LambdaCapture& c : le->captures())
    if (c.capturesThis()) return true;
  return false;
}

// Containers whose operator[] does not change their structure (std::map's does: it inserts).
bool isIndexable(QualType t) {
  t = t.getNonReferenceType();
  if (t->isArrayType()) return true;
  return api::isTypeIn(t, "std", "vector") || api::isTypeIn(t, "std", "array") ||
         api::isTypeIn(t, "std", "deque") || api::isTypeIn(t, "std", "span");
}

// The Once object (or std::once_flag) whose call runs this lambda, if it is such a body.
const ValueDecl* onceOf(const LambdaExpr* le, const ParentMap& pm) {
  const Stmt* child = le;
  const Stmt* p = pm.getParent(le);
  while (p && carries(p, child)) {
    child = p;
    p = pm.getParent(p);
  }
  const auto* call = dyn_cast_or_null<CallExpr>(p);
  if (!call) return nullptr;
  if (api::isMethodCall(call, "weave", "Once", "call"))
    return objectKey(cast<CXXMemberCallExpr>(call)->getImplicitObjectArgument());
  if (api::isStdCall(call, "call_once") && call->getNumArgs() > 0)
    return objectKey(call->getArg(0));
  return nullptr;
}

class UnguardedSharedCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    reported_.clear();
    summaries_.clear();
    sync_ = Synchronizers();
    hb_ = nullptr;
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      if (fb.body) analyzeSpawner(fb);
    });
    analyzeClasses();
  }

 private:
  // ---- what is data -----------------------------------------------------------------------

  // The main file, or a header the front end admits (AnalysisScope.h).
  bool inMainFile(const Decl* d) const { return isAnalysed(d); }

  // Objects that synchronise themselves, and objects that are not data (callables, handles).
  bool isSyncType(QualType t) {
    t = t.getNonReferenceType();
    while (const auto* at = t->getAsArrayTypeUnsafe()) t = at->getElementType();
    if (sync_.is(t)) return true;
    if (api::isTypeIn(t, "std", "thread") || api::isTypeIn(t, "std", "jthread") ||
        api::isTypeIn(t, "std", "function") || api::isTypeIn(t, "absl", "Cleanup"))
      return true;
    return t->isFunctionType() || (t->getAsCXXRecordDecl() && t->getAsCXXRecordDecl()->isLambda());
  }

  bool isDataDecl(const ValueDecl* d) {
    if (!d) return false;
    QualType t = d->getType();
    if (t.getNonReferenceType().isConstQualified() && !t->isPointerType()) return false;
    return !isSyncType(t);
  }

  bool isSharedGlobal(const VarDecl* v) {
    return v->hasGlobalStorage() && !v->isConstexpr() && inMainFile(v) && isDataDecl(v);
  }

  bool accessWrites(const Expr* ref, const ParentMap& pm,
                    llvm::function_ref<bool(const ValueDecl*)> shared) {
    // An element or part that synchronises itself (`counts[i].fetch_add(1)`): the call into it
    // reads the container.
    const Stmt* child = ref;
    for (const Stmt* p = pm.getParent(ref); p; child = p, p = pm.getParent(p)) {
      const auto* e = dyn_cast<Expr>(p);
      bool through = carries(p, child) || isa<ArraySubscriptExpr>(p);
      if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(p);
          oc && oc->getNumArgs() > 0 && oc->getArg(0) == child &&
          (oc->getOperator() == OO_Subscript || oc->getOperator() == OO_Star ||
           oc->getOperator() == OO_Arrow))
        through = true;
      if (const auto* me = dyn_cast<MemberExpr>(p); me && isa<FieldDecl>(me->getMemberDecl()))
        through = true;
      if (!through || !e) break;
      if (e->getType()->isRecordType() && isSyncType(e->getType())) return false;
    }
    if (!isWriteAccess(ref, pm)) return false;
    // `v[i] = x` with an index of the fiber's own writes one element, not the container.
    const Stmt* p = pm.getParent(ref);
    while (p && isa<ImplicitCastExpr, ParenExpr>(p)) p = pm.getParent(p);
    const Expr* index = nullptr;
    if (const auto* as = dyn_cast_or_null<ArraySubscriptExpr>(p))
      index = as->getIdx();
    else if (const auto* oc = dyn_cast_or_null<CXXOperatorCallExpr>(p);
             oc && oc->getOperator() == OO_Subscript && oc->getNumArgs() == 2)
      index = oc->getArg(1);
    if (index && isIndexable(ref->getType())) {
      bool sharedIndex = false;
      walkBody(index, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
        if (const auto* d = dyn_cast<DeclRefExpr>(n); d && shared(d->getDecl())) sharedIndex = true;
      });
      if (!sharedIndex) return false;
    }
    return true;
  }

  // ---- collecting accesses ----------------------------------------------------------------

  // Collects the accesses of `body` (of function `fn`) to locations `shared` says are shared,
  // and — through summaries — those of the functions it calls. `thisShared`: accesses to fields
  // of `this` count. Nested lambdas that are not fibers are part of the body, placed where they
  // run (lib/HappensBefore.h: a Cleanup at its scope's end, a callback at the call — a Once's
  // body at its call, marked as such — a helper where it is defined); `nestedLambdas` false
  // leaves them out. `la`: the body's lockset when already computed (a participant's).
  void collect(const Decl* fn, const Stmt* body, const LocksetAnalysis* la, const Lockset& entry,
               bool thisShared, llvm::function_ref<bool(const ValueDecl*)> shared,
               std::vector<Access>& out, bool nestedLambdas, const Placement& place) {
    std::unique_ptr<LocksetAnalysis> own;
    if (!la) {
      own = LocksetAnalysis::run(fn, body, *ctx_, entry);
      la = own.get();
    }
    if (!la) return;
    ParentMap pm(const_cast<Stmt*>(body));
    auto locksAt = [&](const Stmt* s) -> const Lockset* {
      for (const Stmt* cur = s; cur; cur = pm.getParent(cur))
        if (const Lockset* l = la->before(cur)) return l;
      return nullptr;
    };
    auto pointsOf = [&](const Stmt* s) -> std::vector<Point> {
      if (!place.top) return place.points;
      for (const Stmt* cur = s; cur; cur = pm.getParent(cur))
        if (const auto* at = la->find(cur)) return {Point{at->block, at->index}};
      return {};
    };
    llvm::DenseSet<const Stmt*> handled;
    std::function<void(const Stmt*)> walk = [&](const Stmt* s) {
      if (!s) return;
      if (const auto* le = dyn_cast<LambdaExpr>(s)) {
        // A capture by copy reads the variable; one by reference only binds it.
        auto init = le->capture_init_begin();
        for (const LambdaCapture& c : le->captures()) {
          const Expr* e = *init++;
          if (e && c.getCaptureKind() != LCK_ByRef) walk(e);
        }
        if (!nestedLambdas || fiberLambdas_.count(le)) return;
        const Lockset* at = locksAt(le);
        if (!at) return;
        LambdaPlace where = placeOf(
            le, [&](const Stmt* n) { return pm.getParent(n); }, sync_);
        // A task handed to an executor runs in its time and on its threads: not this body's.
        if (where.kind == LambdaPlace::HandedOff) return;
        Placement inner = place;
        if (const ValueDecl* o = onceOf(le, pm)) inner.once = o;
        if (place.top) {
          inner.points.clear();
          if (where.kind == LambdaPlace::Cleanup)
            inner.points = hb_->scopeEndsOf(part_, where.cleanup);
          if (inner.points.empty())
            inner.points = pointsOf(where.call ? static_cast<const Stmt*>(where.call) : le);
        }
        inner.top = false;
        collect(le->getCallOperator(), le->getBody(), nullptr, *at, thisShared, shared, out, true,
                inner);
        return;
      }
      if (std::optional<Spawn> sp = spawnAt(s)) {
        // A nested fiber: its body is its own; its arguments are evaluated here.
        if (const auto* call = dyn_cast<CallExpr>(s))
          for (const Expr* a : call->arguments())
            if (a != sp->callable) walk(a);
        return;
      }
      auto add = [&](const ValueDecl* d, const Expr* e) {
        const Lockset* locks = locksAt(e);
        if (!locks) return;
        Access a{d, e, accessWrites(e, pm, shared), *locks, 0, {}, place.once};
        conditionLock(e, pm, a.locks);
        if (place.part >= 0) {
          a.part = static_cast<unsigned>(place.part);
          a.at = pointsOf(e);
          if (a.at.empty()) return;
        }
        out.push_back(std::move(a));
      };
      if (const auto* dre = dyn_cast<DeclRefExpr>(s); dre && !handled.count(dre)) {
        if (const auto* v = dyn_cast<VarDecl>(dre->getDecl()); v && shared(v)) {
          if (isDataDecl(v))
            add(v, dre);
          else
            syncObjectField(dre, pm, add);
        }
      } else if (const auto* me = dyn_cast<MemberExpr>(s); me && !handled.count(me)) {
        if (const auto* fd = dyn_cast<FieldDecl>(me->getMemberDecl());
            fd && thisShared && isa<CXXThisExpr>(me->getBase()->IgnoreParenImpCasts())) {
          if (isDataDecl(fd))
            add(fd, me);
          else
            syncObjectField(me, pm, add);
        }
      }
      if (const auto* call = dyn_cast<CallExpr>(s)) {
        const Lockset* at = locksAt(call);
        if (at)
          expandCall(call, *at, place.part >= 0 ? pointsOf(call) : std::vector<Point>{}, place,
                     thisShared, shared, out, handled);
      }
      for (const Stmt* c : s->children()) walk(c);
    };
    walk(body);
  }

  // `&flag` handed to absl::Condition is read by the mutex that evaluates the condition, while it
  // holds itself: LockWhen, Await, a MutexLock(&mu, cond)…
  static void conditionLock(const Expr* ref, const ParentMap& pm, Lockset& locks) {
    const Stmt* child = ref;
    const Stmt* p = pm.getParent(ref);
    while (p && (carries(p, child) || isa<UnaryOperator>(p))) {
      child = p;
      p = pm.getParent(p);
    }
    const auto* cond = dyn_cast_or_null<CXXConstructExpr>(p);
    if (!cond || !api::isTypeIn(cond->getType(), "absl", "Condition")) return;
    child = cond;
    for (p = pm.getParent(cond); p && carries(p, child); p = pm.getParent(p)) child = p;
    const ValueDecl* mu = nullptr;
    bool shared = false;
    if (const auto* mc = dyn_cast_or_null<CXXMemberCallExpr>(p)) {
      mu = objectKey(mc->getImplicitObjectArgument());
      if (const CXXMethodDecl* md = mc->getMethodDecl(); md && md->getIdentifier())
        shared = md->getName().starts_with("Reader");
    } else if (const auto* guard = dyn_cast_or_null<CXXConstructExpr>(p);
               guard && guard->getNumArgs() > 0 && isGuardType(guard->getType())) {
      mu = objectKey(guard->getArg(0));
      shared = api::isTypeIn(guard->getType(), "absl", "ReaderMutexLock");
    }
    if (!mu) return;
    auto [it, fresh] = locks.try_emplace(mu, shared);
    if (!fresh) it->second = it->second && shared;
  }

  // `obj.field` where obj synchronises itself but `field` is plain data: an access of the field.
  template <class Add>
  void syncObjectField(const Expr* ref, const ParentMap& pm, Add& add) {
    const Stmt* p = pm.getParent(ref);
    while (p && isa<ImplicitCastExpr, ParenExpr>(p)) p = pm.getParent(p);
    const auto* me = dyn_cast_or_null<MemberExpr>(p);
    if (!me || me->isArrow()) return;
    if (const auto* fd = dyn_cast<FieldDecl>(me->getMemberDecl()); fd && isDataDecl(fd))
      add(fd, me);
  }

  // A call into a function of this file: its summary's accesses, with the caller's locks added,
  // placed at the call.
  void expandCall(const CallExpr* call, const Lockset& at, const std::vector<Point>& points,
                  const Placement& place, bool thisShared,
                  llvm::function_ref<bool(const ValueDecl*)> shared, std::vector<Access>& out,
                  llvm::DenseSet<const Stmt*>& handled) {
    const FunctionDecl* callee = call->getDirectCallee();
    const FunctionDecl* def = nullptr;
    if (!callee || !callee->hasBody(def) || !def || !inMainFile(def)) return;
    const auto* md = dyn_cast<CXXMethodDecl>(def);
    if (md && md->getParent()->isLambda()) return;
    bool fieldsShared = false;
    if (md && !md->isStatic()) {
      const Expr* obj = callObject(call);
      if (!obj) return;
      const Expr* o = obj->IgnoreParenImpCasts();
      if (isa<CXXThisExpr>(o)) {
        fieldsShared = thisShared;
      } else if (const ValueDecl* d = namedObject(o); d && shared(d)) {
        // A method of a class of this file called on a shared object: its fields are what is
        // shared, with the locks the method takes; the call itself is not a whole-object access.
        // A class that synchronises itself answers for its own fields.
        fieldsShared = !isSyncType(d->getType());
        handled.insert(o);
      }
      if (isa<CXXConstructorDecl, CXXDestructorDecl>(md)) return;
    }
    for (const Access& a : summary(def)) {
      bool isField = isa<FieldDecl>(a.loc);
      if (isField && !fieldsShared) continue;
      if (!isField && !shared(a.loc)) continue;
      Access c{
          a.loc, a.expr, a.write, unionOf(at, a.locks), 0, points, a.once ? a.once : place.once};
      if (place.part >= 0) {
        if (points.empty()) continue;
        c.part = static_cast<unsigned>(place.part);
      }
      out.push_back(std::move(c));
    }
  }

  // The accesses of a function of this file to globals and to its own object's fields, with the
  // locks it holds itself (and those its callers must hold).
  const std::vector<Access>& summary(const FunctionDecl* fd) {
    auto it = summaries_.find(fd);
    if (it != summaries_.end()) return it->second;
    summaries_[fd] = {};  // recursion: what is known so far (nothing)
    std::vector<Access> acc;
    if (depth_ < 4) {
      ++depth_;
      collect(
          fd, fd->getBody(), nullptr, {}, true,
          [&](const ValueDecl* d) {
            const auto* v = dyn_cast<VarDecl>(d);
            return v && isSharedGlobal(v);
          },
          acc, true, Placement{});
      --depth_;
    }
    return summaries_[fd] = std::move(acc);
  }

  // ---- the spawner ------------------------------------------------------------------------

  struct Fiber {
    Spawn spawn;
    unsigned part = 0;
    std::vector<Access> accesses;
    bool joinedAtOnce = false;
  };

  // std::async whose future is dropped, a std::jthread temporary: joined within the statement.
  static bool joinedAtOnce(const Spawn& sp, llvm::ArrayRef<const Stmt*> parents) {
    bool owns = (sp.kind == SpawnKind::JThread && isa<CXXConstructExpr>(sp.expr)) ||
                sp.kind == SpawnKind::Async;
    if (!owns) return false;
    const Stmt* child = sp.expr;
    for (size_t i = parents.size(); i-- > 0;) {
      const Stmt* p = parents[i];
      if (isa<CompoundStmt>(p)) return true;
      if (!carries(p, child) && !isVoidCast(p)) return false;
      child = p;
    }
    return false;
  }

  void analyzeSpawner(const FunctionBody& fb) {
    std::vector<Fiber> fibers;
    fiberLambdas_.clear();
    // Loop variables a fiber of the loop captures by reference are weave-loop-capture's finding.
    llvm::DenseSet<const ValueDecl*> loopVars;
    walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      std::optional<Spawn> sp = spawnAt(s);
      if (!sp || (!sp->lambda && !sp->fn)) return;
      for (const Stmt* p : parents) {
        if (const auto* f = dyn_cast<ForStmt>(p)) {
          if (const auto* ds = dyn_cast_or_null<DeclStmt>(f->getInit()))
            for (const Decl* d : ds->decls())
              if (const auto* vd = dyn_cast<VarDecl>(d)) loopVars.insert(vd);
          if (f->getConditionVariable()) loopVars.insert(f->getConditionVariable());
        } else if (const auto* r = dyn_cast<CXXForRangeStmt>(p)) {
          loopVars.insert(r->getLoopVariable());
        } else if (const auto* w = dyn_cast<WhileStmt>(p); w && w->getConditionVariable()) {
          loopVars.insert(w->getConditionVariable());
        }
      }
      Fiber f;
      f.spawn = *sp;
      f.joinedAtOnce = joinedAtOnce(*sp, parents);
      if (sp->lambda) fiberLambdas_.insert(sp->lambda);
      fibers.push_back(std::move(f));
    });
    if (fibers.empty()) return;
    const auto* method = dyn_cast<CXXMethodDecl>(fb.decl);
    bool inMethod = method && !method->isStatic();
    if (fb.lambda) inMethod = capturesThis(fb.lambda) || inMethod;

    HappensBefore hb(*ctx_, sync_);
    if (!hb.addSpawner(fb)) return;
    hb_ = &hb;

    // What each fiber shares with the spawner, and its accesses.
    llvm::DenseSet<const ValueDecl*> byRef;
    std::vector<Fiber> live;
    for (Fiber& f : fibers) {
      llvm::DenseSet<const ValueDecl*> refs;
      const FunctionDecl* fn = nullptr;
      const Stmt* body = nullptr;
      bool thisShared = false;
      if (const LambdaExpr* le = f.spawn.lambda) {
        for (const LambdaCapture& c : le->captures())
          if (c.capturesVariable() && c.getCaptureKind() == LCK_ByRef &&
              !loopVars.count(c.getCapturedVar()))
            refs.insert(c.getCapturedVar());
        byRef.insert(refs.begin(), refs.end());
        fn = le->getCallOperator();
        body = le->getBody();
        thisShared = capturesThis(le);
      } else {
        const FunctionDecl* def = nullptr;
        if (!f.spawn.fn->hasBody(def) || !def || !inMainFile(def)) continue;
        fn = def;
        body = def->getBody();
      }
      std::optional<unsigned> part = hb.addFiber(f.spawn, fn, body);
      if (!part) continue;
      f.part = *part;
      part_ = *part;
      Placement place{static_cast<int>(*part), true, {}, nullptr};
      collect(
          fn, body, &hb.locks(*part), {}, thisShared,
          [&](const ValueDecl* d) {
            if (refs.count(d)) return true;
            const auto* v = dyn_cast<VarDecl>(d);
            return v && isSharedGlobal(v);
          },
          f.accesses, true, place);
      live.push_back(std::move(f));
    }

    // The spawner's own accesses.
    std::vector<Access> own;
    part_ = 0;
    collect(
        fb.decl, fb.body, &hb.locks(0), {}, inMethod,
        [&](const ValueDecl* d) {
          if (byRef.count(d)) return true;
          const auto* v = dyn_cast<VarDecl>(d);
          return v && isSharedGlobal(v);
        },
        own, false, Placement{0, true, {}, nullptr});

    // Pairs.
    auto races = [&](const Access& a, const Access& b) {
      for (Point pa : a.at)
        for (Point pb : b.at) {
          Event ea{a.part, pa, a.expr->getExprLoc(), a.once};
          Event eb{b.part, pb, b.expr->getExprLoc(), b.once};
          if (!hb.ordered(ea, eb) && !hb.ordered(eb, ea)) return true;
        }
      return false;
    };
    auto check = [&](const Access& a, const Access& b) {
      if (a.loc != b.loc || (!a.write && !b.write)) return;
      if (commonGuard(a.locks, a.write, b.locks, b.write)) return;
      if (races(a, b)) report(a, b);
    };
    for (size_t i = 0; i < live.size(); ++i) {
      Fiber& fi = live[i];
      if (!fi.joinedAtOnce && hb.respawns(fi.part))
        for (size_t x = 0; x < fi.accesses.size(); ++x)
          for (size_t y = x; y < fi.accesses.size(); ++y) check(fi.accesses[x], fi.accesses[y]);
      for (size_t j = i + 1; j < live.size(); ++j) {
        Fiber& fj = live[j];
        if (fi.joinedAtOnce && fj.joinedAtOnce) continue;
        if (!hb.mayOverlap(fi.part, fj.part)) continue;
        for (const Access& a : fi.accesses)
          for (const Access& b : fj.accesses) check(a, b);
      }
      if (fi.joinedAtOnce) continue;
      for (const Access& a : own) {
        bool after = false;
        for (Point p : a.at) after = after || hb.afterSpawn(fi.part, p);
        if (after)
          for (const Access& b : fi.accesses) check(a, b);
      }
    }
    hb_ = nullptr;
  }

  // ---- the field form ---------------------------------------------------------------------

  void analyzeClasses() {
    // Methods started as fibers (or called from fiber lambdas in a method) run concurrently.
    forEachFunctionBody(*ctx_, [&](const FunctionBody& fb) {
      const auto* md = dyn_cast_or_null<CXXMethodDecl>(fb.decl);
      if (!md || fb.lambda || md->getParent()->isLambda()) return;
      classes_.insert(md->getParent());
    });
    for (const CXXRecordDecl* rd : classes_) analyzeClass(rd);
    classes_.clear();
  }

  void analyzeClass(const CXXRecordDecl* rd) {
    bool hasMutex = false, annotated = false;
    for (const FieldDecl* f : rd->fields()) {
      if (isMutexType(f->getType())) hasMutex = true;
      if (f->hasAttr<GuardedByAttr>() || f->hasAttr<PtGuardedByAttr>()) annotated = true;
    }
    if (!hasMutex) return;
    // A class whose author wrote GUARDED_BY on its fields said which ones a lock guards; the
    // others are left unguarded on purpose (owned by one thread, or by a protocol of its own).
    auto checked = [&](const ValueDecl* d) {
      return !annotated || d->hasAttr<GuardedByAttr>() || d->hasAttr<PtGuardedByAttr>();
    };
    // Entry points: public methods (a class with a mutex is meant to be used from many fibers).
    std::vector<std::pair<const CXXMethodDecl*, std::vector<Access>>> entries;
    for (const CXXMethodDecl* m : rd->methods()) {
      const FunctionDecl* def = nullptr;
      if (!m->hasBody(def) || !def || m->isStatic() ||
          isa<CXXConstructorDecl, CXXDestructorDecl>(m))
        continue;
      if (m->getAccess() != AS_public || m->isImplicit() || !inMainFile(def)) continue;
      if (m->isCopyAssignmentOperator() || m->isMoveAssignmentOperator()) continue;
      // NO_THREAD_SAFETY_ANALYSIS: its author took the method out of the lock protocol (a
      // test-only accessor), as Clang's own analysis does.
      if (def->hasAttr<NoThreadSafetyAnalysisAttr>()) continue;
      std::vector<Access> acc;
      for (const Access& a : summary(def))
        if (const auto* fd = dyn_cast<FieldDecl>(a.loc); fd && fd->getParent() == rd)
          acc.push_back(a);
      entries.push_back({m, std::move(acc)});
    }
    // A field is guarded when some method writes it holding a lock.
    for (auto& [m1, acc1] : entries)
      for (const Access& w : acc1) {
        if (!w.write || !guards(w.locks, true) || !checked(w.loc)) continue;
        for (auto& [m2, acc2] : entries)
          for (const Access& a : acc2)
            if (a.loc == w.loc && !commonGuard(a.locks, a.write, w.locks, w.write) &&
                !guards(a.locks, a.write))
              report(a, w);
      }
  }

  // ---- reporting --------------------------------------------------------------------------

  void report(const Access& a, const Access& b) {
    // Report the unguarded side(s); when both hold locks (different ones), the write.
    bool ua = !guards(a.locks, a.write), ub = !guards(b.locks, b.write);
    if (ua) emit(a, b);
    if (ub && b.expr != a.expr) emit(b, a);
    if (!ua && !ub) emit(a.write ? a : b, a.write ? b : a);
  }

  void emit(const Access& at, const Access& other) {
    if (!reported_.insert(at.expr).second) return;
    std::string name = at.loc->getName().str();
    std::string what = at.write ? "write to" : "read of";
    Finding f{kName,
              at.expr->getExprLoc(),
              "unguarded " + what + " '" + name +
                  "', which another fiber may access at the same time with no common mutex held "
                  "(data race)",
              {},
              {}};
    if (other.expr == at.expr)
      f.notes.push_back({other.expr->getExprLoc(),
                         "another instance of the same fiber runs this access concurrently"});
    else
      f.notes.push_back({other.expr->getExprLoc(),
                         std::string("conflicting ") + (other.write ? "write" : "read") + " here"});
    out_->report(std::move(f));
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
  int depth_ = 0;
  Synchronizers sync_;
  HappensBefore* hb_ = nullptr;
  unsigned part_ = 0;  // the participant being collected (for scope ends)
  llvm::DenseSet<const LambdaExpr*> fiberLambdas_;
  llvm::DenseSet<const Expr*> reported_;
  std::map<const FunctionDecl*, std::vector<Access>> summaries_;
  std::set<const CXXRecordDecl*> classes_;
};

}  // namespace

std::unique_ptr<Check> makeUnguardedSharedCheck() {
  return std::make_unique<UnguardedSharedCheck>();
}

}  // namespace weave::lint
