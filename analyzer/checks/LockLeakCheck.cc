// weave-lock-leak: a mutex locked without a guard (lock(), rlock(), a std::unique_lock's
// release(), or a call of a helper that returns holding it) that some path out of the function —
// a return, a break out of the loop to the end, a throw that leaves it — does not unlock: the
// classic early return. The next fiber that locks it blocks for ever.
//
// Leaving with the lock held is a contract, not a bug, for a lock helper; so a function is
// reported only when it unlocks that mutex itself on some path (it means to release it) and no
// caller in the file unlocks it after the call (then it is a conditional lock helper), and it is
// not annotated as acquiring (ACQUIRE / EXCLUSIVE_LOCK_FUNCTION). A function that never unlocks
// what it locks is a lock helper whose callers are checked instead — except a fiber body or
// `main`, which nobody calls. Unlocking through a guard that adopts the lock (std::adopt_lock), an
// absl::Cleanup whose lambda unlocks, or a call that unlocks all count.
#include <map>
#include <string>

#include "clang/AST/Attr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMap.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/LockFlow.h"
#include "lib/Lockset.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-lock-leak";

class LockLeakCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    LockModel model(ctx);
    struct Body {
      FunctionBody fb;
      const LockBody* locks;
    };
    std::vector<Body> bodies;
    llvm::DenseSet<const FunctionDecl*> fibers;
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
        if (std::optional<Spawn> sp = spawnAt(s)) {
          if (sp->lambda) fibers.insert(sp->lambda->getCallOperator());
          if (sp->fn) fibers.insert(model.definition(sp->fn));
        }
      });
      if (const LockBody* lb = model.body(fb.decl)) {
        bodies.push_back({fb, lb});
        for (const auto& [stmt, callee] : lb->calls())
          callers_[callee.fn].push_back({lb, callee.tr});
      }
    });
    for (const Body& b : bodies) {
      // Each unguarded lock, with the first way out that leaves it held.
      std::vector<std::pair<const ManualLock*, const LockExit*>> leaks;
      for (const LockExit& x : b.locks->exits())
        for (const ManualLock& m : x.manual) {
          if (!m.path.decl()) continue;
          bool seen = false;
          for (auto& [l, _] : leaks) seen = seen || l->site == m.site;
          if (!seen) leaks.push_back({&m, &x});
        }
      for (auto& [m, x] : leaks) {
        if (leakedByCallee(model, *b.locks, *m)) continue;  // reported in the callee
        if (correlated(ctx, b.fb, *m)) continue;
        if (!b.locks->releases(m->path)) {
          if (!b.fb.isMain() && !fibers.count(b.fb.decl)) continue;  // a lock helper
        } else if (isLockHelper(b.fb.decl, m->path)) {
          continue;
        }
        report(out, b.fb, *m, *x);
      }
    }
    callers_.clear();
  }

 private:
  struct CallerSite {
    const LockBody* caller;
    Translation tr;
  };

  // The lock came from a call of a function that unlocks it on other paths: its leak, reported
  // there, not this function's.
  static bool leakedByCallee(LockModel& model, const LockBody& b, const ManualLock& m) {
    for (const auto& [stmt, callee] : b.calls()) {
      if (stmt != m.site) continue;
      if (const LockBody* cb = model.body(callee.fn))
        for (const LockPath& p : cb->released())
          if (callee.tr.apply(p) == m.path) return true;
    }
    return false;
  }

  // `if (c) mu.lock(); … if (c) mu.unlock();`: the paths that lock and do not unlock test the
  // same condition both ways, which the dataflow cannot see; the same condition written twice is
  // taken to mean the same value.
  static bool correlated(ASTContext& ctx, const FunctionBody& fb, const ManualLock& m) {
    ParentMap pm(const_cast<Stmt*>(fb.body));
    auto guardOf = [&](const Stmt* s) -> const Expr* {
      for (const Stmt *cur = s, *p = pm.getParent(s); p; cur = p, p = pm.getParent(p))
        if (const auto* is = dyn_cast<IfStmt>(p); is && is->getThen() == cur) return is->getCond();
      return nullptr;
    };
    auto profile = [&](const Expr* e) {
      llvm::FoldingSetNodeID id;
      e->Profile(id, ctx, /*Canonical=*/true);
      return id;
    };
    const Expr* lockCond = guardOf(m.site);
    if (!lockCond) return false;
    llvm::FoldingSetNodeID want = profile(lockCond);
    bool found = false;
    walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
      const auto* mc = dyn_cast<CXXMemberCallExpr>(s);
      if (found || !mc || !mc->getMethodDecl() || !mc->getMethodDecl()->getIdentifier() ||
          mutexMethod(mc->getMethodDecl()->getName()) != MutexMethod::Unlock)
        return;
      std::optional<LockPath> p = objectPath(mc->getImplicitObjectArgument());
      if (!p || *p != m.path) return;
      if (const Expr* c = guardOf(mc)) found = profile(c) == want;
    });
    return found;
  }

  bool isLockHelper(const FunctionDecl* fd, const LockPath& p) const {
    if (fd->hasAttr<AcquireCapabilityAttr>()) return true;
    auto it = callers_.find(fd);
    if (it == callers_.end()) return false;
    for (const CallerSite& c : it->second)
      if (c.caller->releases(c.tr.apply(p))) return true;
    return false;
  }

  void report(Reporter& out, const FunctionBody& fb, const ManualLock& m, const LockExit& x) {
    std::string name = "'" + lockName(m.path.decl()) + "'";
    std::string where =
        fb.lambda ? std::string("the lambda") : "'" + fb.decl->getNameAsString() + "'";
    std::string how = lockedHow(m.site);
    Finding f{kName,
              m.site->getBeginLoc(),
              name + " is " + how + " and not unlocked on every path out of " + where +
                  ": the next fiber that locks it blocks forever",
              {},
              {}};
    if (x.at && isa<CXXThrowExpr>(x.at))
      f.notes.push_back({x.at->getBeginLoc(), "this throw leaves it locked"});
    else if (x.at)
      f.notes.push_back({x.at->getBeginLoc(), "this return leaves it locked"});
    else
      f.notes.push_back({fb.endLoc(), "the end of the function is reached with it locked"});
    out.report(std::move(f));
  }

  static std::string lockedHow(const Stmt* site) {
    if (const auto* mc = dyn_cast<CXXMemberCallExpr>(site)) {
      const CXXMethodDecl* md = mc->getMethodDecl();
      if (md && md->getIdentifier() && md->getName() == "release")
        return "released from its guard here";
      if (md && md->getIdentifier() && mutexMethod(md->getName()) != MutexMethod::None)
        return "locked here";
    }
    if (const auto* call = dyn_cast<CallExpr>(site); call && call->getDirectCallee() &&
                                                     call->getDirectCallee()->getIdentifier() &&
                                                     call->getDirectCallee()->getName() != "lock")
      return "locked by this call, which returns holding it,";
    return "locked here";
  }

  llvm::DenseMap<const FunctionDecl*, std::vector<CallerSite>> callers_;
};

}  // namespace

std::unique_ptr<Check> makeLockLeakCheck() { return std::make_unique<LockLeakCheck>(); }

}  // namespace weave::lint
