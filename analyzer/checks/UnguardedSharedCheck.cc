// weave-unguarded-shared: data races found statically. For every function that starts fibers
// (the spawner), the accesses of each fiber body and of the spawner itself to shared state —
// variables the fiber captures by reference, namespace-scope variables of this file, fields of a
// captured `this` — are collected with the locks held at each (lib/Lockset.h; calls into functions
// of this file through per-function summaries). Two accesses to the same location, one of them a
// write, race when they can run in different fibers at once and no common mutex guards both: two
// instances of a fiber started in a loop, two fibers started without a join between them, or a
// fiber and its spawner between the spawn and the join (WaitGroup/ErrGroup wait, thread join,
// future get, the receive of the fiber's result, a jthread's end of scope).
//
// The field form (Infer's RacerD): in a class whose methods run in fibers or are public, a field
// that one method writes under a mutex and another method reads or writes with no lock.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMap.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "lib/Accesses.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/Lockset.h"
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
  const Stmt* anchor = nullptr;  // the statement of the analysed body it happens in (a call for
                                 // accesses inside callees)
};

bool typeInNamespace(QualType t, llvm::StringRef ns) {
  t = t.getNonReferenceType().getCanonicalType();
  while (const auto* at = t->getAsArrayTypeUnsafe()) t = at->getElementType().getCanonicalType();
  const auto* rd = t->getAsCXXRecordDecl();
  if (!rd) return false;
  const DeclContext* dc = rd->getDeclContext();
  while (dc && !dc->isTranslationUnit()) {
    if (const auto* nd = dyn_cast<NamespaceDecl>(dc);
        nd && nd->getIdentifier() && nd->getName() == ns && nd->getParent()->isTranslationUnit())
      return true;
    dc = dc->getParent();
  }
  return false;
}

// Objects that synchronise themselves, or that are not data: never reported.
bool isSyncType(QualType t) {
  t = t.getNonReferenceType().getCanonicalType();
  while (const auto* at = t->getAsArrayTypeUnsafe()) t = at->getElementType().getCanonicalType();
  if (isMutexType(t) || typeInNamespace(t, "weave")) return true;
  static const char* const kStd[] = {"atomic",
                                     "atomic_ref",
                                     "atomic_flag",
                                     "condition_variable",
                                     "condition_variable_any",
                                     "latch",
                                     "barrier",
                                     "counting_semaphore",
                                     "thread",
                                     "jthread",
                                     "future",
                                     "shared_future",
                                     "promise",
                                     "stop_source",
                                     "stop_token",
                                     "once_flag",
                                     "packaged_task",
                                     "function"};
  for (const char* n : kStd)
    if (isTypeIn(t, "std", n)) return true;
  return isTypeIn(t, "absl", "Mutex") || isTypeIn(t, "absl", "Notification") ||
         isTypeIn(t, "absl", "CondVar") || isTypeIn(t, "absl", "Cleanup") || t->isFunctionType() ||
         (t->getAsCXXRecordDecl() && t->getAsCXXRecordDecl()->isLambda());
}

bool capturesThis(const LambdaExpr* le) {
  for (const LambdaCapture& c : le->captures())
    if (c.capturesThis()) return true;
  return false;
}

bool isDataDecl(const ValueDecl* d) {
  if (!d) return false;
  QualType t = d->getType();
  if (t.getNonReferenceType().isConstQualified() && !t->isPointerType()) return false;
  return !isSyncType(t);
}

// Containers whose operator[] does not change their structure (std::map's does: it inserts).
bool isIndexable(QualType t) {
  t = t.getNonReferenceType();
  if (t->isArrayType()) return true;
  return isTypeIn(t, "std", "vector") || isTypeIn(t, "std", "array") ||
         isTypeIn(t, "std", "deque") || isTypeIn(t, "std", "span");
}

bool isJoinMethod(const Stmt* s, SpawnKind kind) {
  switch (kind) {
    case SpawnKind::Thread:
      return isMethodCall(s, "std", "thread", "join");
    case SpawnKind::JThread:
      return isMethodCall(s, "std", "jthread", "join");
    case SpawnKind::Async:
      return isMethodCall(s, "std", "future", "get") || isMethodCall(s, "std", "future", "wait") ||
             isMethodCall(s, "std", "shared_future", "get") ||
             isMethodCall(s, "std", "shared_future", "wait");
    default:
      return false;
  }
}

class UnguardedSharedCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    reported_.clear();
    summaries_.clear();
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      if (fb.body) analyzeSpawner(fb);
    });
    analyzeClasses();
  }

 private:
  // ---- accesses ---------------------------------------------------------------------------

  // The main file, or a header the front end admits (AnalysisScope.h).
  bool inMainFile(const Decl* d) const { return isAnalysed(d); }

  bool isSharedGlobal(const VarDecl* v) const {
    return v->hasGlobalStorage() && !v->isConstexpr() && inMainFile(v) && isDataDecl(v);
  }

  bool isOnceBody(const LambdaExpr* le, const ParentMap& pm) const {
    const Stmt* p = pm.getParent(le);
    while (p && isa<ImplicitCastExpr, MaterializeTemporaryExpr, CXXBindTemporaryExpr,
                    CXXConstructExpr, ParenExpr>(p))
      p = pm.getParent(p);
    const auto* call = dyn_cast_or_null<CallExpr>(p);
    return call &&
           (isMethodCall(call, "weave", "Once", "call") || api::isStdCall(call, "call_once"));
  }

  bool accessWrites(const Expr* ref, const ParentMap& pm,
                    llvm::function_ref<bool(const ValueDecl*)> shared) const {
    bool w = isWriteAccess(ref, pm);
    if (!w) return false;
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

  // Collects the accesses of `body` (of function `fn`) to locations `shared` says are shared,
  // and — through summaries — those of the functions it calls. `thisShared`: accesses to fields
  // of `this` count. Nested lambdas that are not fibers (absl::Cleanup, helpers) are part of the
  // body; fiber lambdas and Once bodies are not.
  void collect(const Decl* fn, const Stmt* body, const Lockset& entry, bool thisShared,
               llvm::function_ref<bool(const ValueDecl*)> shared, std::vector<Access>& out,
               bool nestedLambdas, const Stmt* anchorOverride = nullptr) {
    std::unique_ptr<LocksetAnalysis> la = LocksetAnalysis::run(fn, body, *ctx_, entry);
    if (!la) return;
    ParentMap pm(const_cast<Stmt*>(body));
    auto locksAt = [&](const Stmt* s) -> const Lockset* {
      for (const Stmt* cur = s; cur; cur = pm.getParent(cur))
        if (const Lockset* l = la->before(cur)) return l;
      return nullptr;
    };
    auto anchorOf = [&](const Stmt* s) -> const Stmt* {
      if (anchorOverride) return anchorOverride;
      for (const Stmt* cur = s; cur; cur = pm.getParent(cur))
        if (la->find(cur)) return cur;
      return nullptr;
    };
    llvm::DenseSet<const Stmt*> handled;
    std::function<void(const Stmt*)> walk = [&](const Stmt* s) {
      if (!s) return;
      if (const auto* le = dyn_cast<LambdaExpr>(s)) {
        for (const Expr* init : le->capture_inits()) walk(init);
        if (!nestedLambdas || isOnceBody(le, pm)) return;
        const Lockset* at = locksAt(le);
        if (!at) return;
        collect(le->getCallOperator(), le->getBody(), *at, thisShared, shared, out, true,
                anchorOverride ? anchorOverride : anchorOf(le));
        return;
      }
      if (std::optional<Spawn> sp = spawnAt(s)) {
        // A nested fiber: its body is its own; its arguments are evaluated here.
        if (const auto* call = dyn_cast<CallExpr>(s))
          for (const Expr* a : call->arguments())
            if (a != sp->callable) walk(a);
        return;
      }
      const Lockset* locks = nullptr;
      auto add = [&](const ValueDecl* d, const Expr* e) {
        if (!(locks = locksAt(e))) return;
        out.push_back({d, e, accessWrites(e, pm, shared), *locks, anchorOf(e)});
      };
      if (const auto* dre = dyn_cast<DeclRefExpr>(s); dre && !handled.count(dre)) {
        if (const auto* v = dyn_cast<VarDecl>(dre->getDecl()); v && shared(v) && isDataDecl(v))
          add(v, dre);
      } else if (const auto* me = dyn_cast<MemberExpr>(s); me && !handled.count(me)) {
        if (const auto* fd = dyn_cast<FieldDecl>(me->getMemberDecl());
            fd && thisShared && isa<CXXThisExpr>(me->getBase()->IgnoreParenImpCasts()) &&
            isDataDecl(fd))
          add(fd, me);
      }
      if (const auto* call = dyn_cast<CallExpr>(s))
        expandCall(call, pm, locksAt, anchorOf, thisShared, shared, out, handled);
      for (const Stmt* c : s->children()) walk(c);
    };
    walk(body);
  }

  // A call into a function of this file: its summary's accesses, with the caller's locks added.
  template <class LocksAt, class AnchorOf>
  void expandCall(const CallExpr* call, const ParentMap& pm, LocksAt& locksAt, AnchorOf& anchorOf,
                  bool thisShared, llvm::function_ref<bool(const ValueDecl*)> shared,
                  std::vector<Access>& out, llvm::DenseSet<const Stmt*>& handled) {
    const FunctionDecl* callee = call->getDirectCallee();
    const FunctionDecl* def = nullptr;
    if (!callee || !callee->hasBody(def) || !def || !inMainFile(def)) return;
    const auto* md = dyn_cast<CXXMethodDecl>(def);
    if (md && md->getParent()->isLambda()) return;
    const Lockset* at = locksAt(call);
    if (!at) return;
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
        fieldsShared = true;
        handled.insert(o);
      } else {
        fieldsShared = false;
      }
      if (isa<CXXConstructorDecl, CXXDestructorDecl>(md)) return;
    }
    const std::vector<Access>& sum = summary(def);
    for (const Access& a : sum) {
      bool isField = isa<FieldDecl>(a.loc);
      if (isField && !fieldsShared) continue;
      if (!isField && !shared(a.loc)) continue;
      out.push_back({a.loc, a.expr, a.write, unionOf(*at, a.locks), anchorOf(call)});
    }
    (void)pm;
  }

  // The accesses of a function of this file to globals and to its own object's fields, with the
  // locks it holds itself.
  const std::vector<Access>& summary(const FunctionDecl* fd) {
    auto it = summaries_.find(fd);
    if (it != summaries_.end()) return it->second;
    summaries_[fd] = {};  // recursion: what is known so far (nothing)
    std::vector<Access> acc;
    if (depth_ < 4) {
      ++depth_;
      collect(
          fd, fd->getBody(), {}, true,
          [&](const ValueDecl* d) {
            const auto* v = dyn_cast<VarDecl>(d);
            return v && isSharedGlobal(v);
          },
          acc, true);
      --depth_;
    }
    return summaries_[fd] = std::move(acc);
  }

  // ---- the spawner ------------------------------------------------------------------------

  struct Fiber {
    Spawn spawn;
    const Stmt* at = nullptr;  // the spawn's element in the spawner's CFG
    std::vector<Access> accesses;
    llvm::DenseSet<const Stmt*> reached;  // spawner statements that run while it may run
    bool multi = false;
    bool joinedAtOnce = false;
    llvm::DenseSet<const ValueDecl*> mentioned;  // WaitGroups, groups and channels it names
  };

  static void mentionedIn(const Stmt* s, llvm::DenseSet<const ValueDecl*>& out) {
    if (!s) return;
    if (const auto* dre = dyn_cast<DeclRefExpr>(s)) out.insert(dre->getDecl());
    if (const auto* me = dyn_cast<MemberExpr>(s)) out.insert(me->getMemberDecl());
    if (const auto* le = dyn_cast<LambdaExpr>(s)) {
      for (const LambdaCapture& c : le->captures())
        if (c.capturesVariable()) out.insert(c.getCapturedVar());
      mentionedIn(le->getBody(), out);
    }
    for (const Stmt* c : s->children()) mentionedIn(c, out);
  }

  bool isJoinFor(const Stmt* s, const Fiber& f) const {
    if (isJoinMethod(s, f.spawn.kind)) return true;
    if (isMethodCall(s, "weave", "WaitGroup", "wait") ||
        isMethodCall(s, "weave", "ErrGroup", "wait")) {
      const ValueDecl* g = namedObject(callObject(s));
      return g && (g == f.spawn.group || f.mentioned.count(g));
    }
    // Receiving from a channel the fiber uses: the receive of its result (or of its close).
    const Expr* chan = nullptr;
    if (isMethodCall(s, "weave", "Chan", "recv") || isMethodCall(s, "weave", "RecvChan", "recv") ||
        isMethodCall(s, "weave", "Chan", "begin") || isMethodCall(s, "weave", "RecvChan", "begin"))
      chan = callObject(s);
    else if (const auto* call = dyn_cast<CallExpr>(s);
             call && api::isWeaveCall(call, "recv") && call->getNumArgs() > 0)
      chan = call->getArg(0);
    if (chan) {
      const ValueDecl* c = namedObject(chan);
      return c && f.mentioned.count(c);
    }
    return false;
  }

  // The spawner's statements that can run after the spawn and before the fiber's join.
  void reach(const LocksetAnalysis& la, Fiber& f) {
    const LocksetAnalysis::Point* start = la.find(f.at);
    if (!start) return;
    auto isJoinDtor = [&](const CFGElement& e) {
      auto d = e.getAs<CFGAutomaticObjDtor>();
      if (!d) return false;
      QualType t = d->getVarDecl()->getType();
      if (f.spawn.kind == SpawnKind::JThread)
        return isTypeIn(t, "std", "jthread") || isTypeIn(t, "std", "vector");
      if (f.spawn.kind == SpawnKind::Async)
        return isTypeIn(t, "std", "future") || isTypeIn(t, "std", "vector");
      return false;
    };
    llvm::DenseSet<const CFGBlock*> seen;
    std::vector<std::pair<const CFGBlock*, unsigned>> work{{start->block, start->index + 1}};
    while (!work.empty()) {
      auto [b, from] = work.back();
      work.pop_back();
      bool stopped = false;
      for (unsigned i = from; i < b->size(); ++i) {
        const CFGElement& e = (*b)[i];
        if (isJoinDtor(e)) {
          stopped = true;
          break;
        }
        if (auto cs = e.getAs<CFGStmt>()) {
          const Stmt* s = cs->getStmt();
          if (isJoinFor(s, f)) {
            stopped = true;
            break;
          }
          if (s == f.at) f.multi = true;
          f.reached.insert(s);
        }
      }
      if (stopped) continue;
      for (const CFGBlock* s : b->succs())
        if (s && seen.insert(s).second) work.push_back({s, 0});
    }
  }

  // std::async whose future is dropped, a std::jthread temporary: joined within the statement.
  static bool joinedAtOnce(const Spawn& sp, llvm::ArrayRef<const Stmt*> parents) {
    bool owns = (sp.kind == SpawnKind::JThread && isa<CXXConstructExpr>(sp.expr)) ||
                sp.kind == SpawnKind::Async;
    if (!owns) return false;
    for (size_t i = parents.size(); i-- > 0;) {
      const Stmt* p = parents[i];
      if (isa<CompoundStmt>(p)) return true;
      if (isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr, CXXBindTemporaryExpr,
              ExprWithCleanups, CXXFunctionalCastExpr, CStyleCastExpr>(p))
        continue;
      return false;
    }
    return false;
  }

  void analyzeSpawner(const FunctionBody& fb) {
    std::vector<Fiber> fibers;
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
      f.at = sp->expr;
      f.joinedAtOnce = joinedAtOnce(*sp, parents);
      fibers.push_back(std::move(f));
    });
    if (fibers.empty()) return;
    const auto* method = dyn_cast<CXXMethodDecl>(fb.decl);
    bool inMethod = method && !method->isStatic();
    if (fb.lambda) inMethod = capturesThis(fb.lambda) || inMethod;

    // What each fiber shares with the spawner.
    llvm::DenseSet<const ValueDecl*> byRef;
    for (Fiber& f : fibers) {
      if (f.spawn.lambda) {
        mentionedIn(f.spawn.lambda, f.mentioned);
        for (const LambdaCapture& c : f.spawn.lambda->captures())
          if (c.capturesVariable() && c.getCaptureKind() == LCK_ByRef &&
              !loopVars.count(c.getCapturedVar()))
            byRef.insert(c.getCapturedVar());
      }
      if (f.spawn.fn && f.spawn.fn->hasBody()) mentionedIn(f.spawn.fn->getBody(), f.mentioned);
      if (const auto* call = dyn_cast<CallExpr>(f.spawn.expr))
        if (const Expr* obj = callObject(call)) mentionedIn(obj, f.mentioned);
    }
    for (Fiber& f : fibers) {
      if (f.spawn.lambda) {
        const LambdaExpr* le = f.spawn.lambda;
        llvm::DenseSet<const ValueDecl*> refs;
        for (const LambdaCapture& c : le->captures())
          if (c.capturesVariable() && c.getCaptureKind() == LCK_ByRef &&
              !loopVars.count(c.getCapturedVar()))
            refs.insert(c.getCapturedVar());
        bool thisShared = capturesThis(le);
        collect(
            le->getCallOperator(), le->getBody(), {}, thisShared,
            [&](const ValueDecl* d) {
              if (refs.count(d)) return true;
              const auto* v = dyn_cast<VarDecl>(d);
              return v && isSharedGlobal(v);
            },
            f.accesses, true);
      } else if (f.spawn.fn) {
        const FunctionDecl* def = nullptr;
        if (f.spawn.fn->hasBody(def) && def && inMainFile(def))
          for (const Access& a : summary(def))
            if (!isa<FieldDecl>(a.loc)) f.accesses.push_back(a);
      }
    }

    // The spawner's own accesses, and when they run relative to each fiber.
    std::unique_ptr<LocksetAnalysis> la = LocksetAnalysis::run(fb.decl, fb.body, *ctx_);
    if (!la) return;
    for (Fiber& f : fibers)
      if (!f.joinedAtOnce) reach(*la, f);
    std::vector<Access> own;
    collect(
        fb.decl, fb.body, {}, inMethod,
        [&](const ValueDecl* d) {
          if (byRef.count(d)) return true;
          const auto* v = dyn_cast<VarDecl>(d);
          return v && isSharedGlobal(v);
        },
        own, false);

    // Pairs.
    auto check = [&](const Access& a, const Access& b) {
      if (a.loc != b.loc || (!a.write && !b.write)) return;
      if (commonGuard(a.locks, a.write, b.locks, b.write)) return;
      report(a, b);
    };
    for (size_t i = 0; i < fibers.size(); ++i) {
      Fiber& fi = fibers[i];
      if (fi.multi)
        for (size_t x = 0; x < fi.accesses.size(); ++x)
          for (size_t y = x; y < fi.accesses.size(); ++y) check(fi.accesses[x], fi.accesses[y]);
      for (size_t j = i + 1; j < fibers.size(); ++j) {
        Fiber& fj = fibers[j];
        if (!fi.reached.count(fj.at) && !fj.reached.count(fi.at)) continue;
        for (const Access& a : fi.accesses)
          for (const Access& b : fj.accesses) check(a, b);
      }
      for (const Access& a : own)
        if (a.anchor && fi.reached.count(a.anchor))
          for (const Access& b : fi.accesses) check(a, b);
    }
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
    bool hasMutex = false;
    for (const FieldDecl* f : rd->fields())
      if (isMutexType(f->getType())) hasMutex = true;
    if (!hasMutex) return;
    // Entry points: public methods (a class with a mutex is meant to be used from many fibers).
    std::vector<std::pair<const CXXMethodDecl*, std::vector<Access>>> entries;
    for (const CXXMethodDecl* m : rd->methods()) {
      const FunctionDecl* def = nullptr;
      if (!m->hasBody(def) || !def || m->isStatic() ||
          isa<CXXConstructorDecl, CXXDestructorDecl>(m))
        continue;
      if (m->getAccess() != AS_public || m->isImplicit() || !inMainFile(def)) continue;
      if (m->isCopyAssignmentOperator() || m->isMoveAssignmentOperator()) continue;
      std::vector<Access> acc;
      for (const Access& a : summary(def))
        if (const auto* fd = dyn_cast<FieldDecl>(a.loc); fd && fd->getParent() == rd)
          acc.push_back(a);
      entries.push_back({m, std::move(acc)});
    }
    // A field is guarded when some method writes it holding a lock.
    for (auto& [m1, acc1] : entries)
      for (const Access& w : acc1) {
        if (!w.write || !guards(w.locks, true)) continue;
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
  llvm::DenseSet<const Expr*> reported_;
  std::map<const FunctionDecl*, std::vector<Access>> summaries_;
  std::set<const CXXRecordDecl*> classes_;
};

}  // namespace

std::unique_ptr<Check> makeUnguardedSharedCheck() {
  return std::make_unique<UnguardedSharedCheck>();
}

}  // namespace weave::lint
