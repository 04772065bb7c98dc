// The forward must-lockset dataflow (see Lockset.h).
#include "lib/Lockset.h"

#include <deque>
#include <optional>
#include <vector>

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "lib/Fibers.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
using namespace clang;

namespace {

enum class Op { None, Lock, LockShared, Unlock };

Op mutexOp(llvm::StringRef m) {
  if (m == "lock" || m == "Lock" || m == "WriterLock") return Op::Lock;
  if (m == "lock_shared" || m == "rlock" || m == "ReaderLock") return Op::LockShared;
  if (m == "unlock" || m == "Unlock" || m == "WriterUnlock" || m == "unlock_shared" ||
      m == "runlock" || m == "ReaderUnlock")
    return Op::Unlock;
  return Op::None;
}

// The variable or field a mutex (or guard) expression names: `mu`, `this->mu_`, `s.mu`, `*pmu`,
// `&mu`.
const ValueDecl* lockKey(const Expr* e) {
  while (e) {
    e = e->IgnoreParenImpCasts();
    if (const auto* uo = dyn_cast<UnaryOperator>(e);
        uo && (uo->getOpcode() == UO_Deref || uo->getOpcode() == UO_AddrOf)) {
      e = uo->getSubExpr();
      continue;
    }
    break;
  }
  if (const auto* dre = dyn_cast_or_null<DeclRefExpr>(e)) return dre->getDecl();
  if (const auto* me = dyn_cast_or_null<MemberExpr>(e)) return me->getMemberDecl();
  return nullptr;
}

QualType pointee(QualType t) {
  t = t.getNonReferenceType();
  if (t->isPointerType()) t = t->getPointeeType();
  return t;
}

// A scoped guard type; `shared` when it holds its mutex shared.
bool isGuardType(QualType t, bool& shared) {
  shared = false;
  if (isTypeIn(t, "std", "lock_guard") || isTypeIn(t, "std", "unique_lock") ||
      isTypeIn(t, "std", "scoped_lock") || isTypeIn(t, "absl", "MutexLock") ||
      isTypeIn(t, "absl", "WriterMutexLock"))
    return true;
  if (isTypeIn(t, "std", "shared_lock") || isTypeIn(t, "absl", "ReaderMutexLock")) {
    shared = true;
    return true;
  }
  return false;
}

struct GuardInfo {
  std::vector<const ValueDecl*> mutexes;
  bool shared = false;
  bool acquires = true;  // false with std::defer_lock / std::try_to_lock
};

class Engine {
 public:
  explicit Engine(const CFG& cfg) : cfg_(cfg) {}

  void transfer(const CFGElement& e, Lockset& state) {
    if (auto d = e.getAs<CFGAutomaticObjDtor>()) {
      if (const GuardInfo* g = guard(d->getVarDecl()))
        for (const ValueDecl* m : g->mutexes) state.erase(m);
      return;
    }
    auto cs = e.getAs<CFGStmt>();
    if (!cs) return;
    const Stmt* s = cs->getStmt();
    if (const auto* ds = dyn_cast<DeclStmt>(s)) {
      for (const Decl* d : ds->decls())
        if (const auto* vd = dyn_cast<VarDecl>(d))
          if (const GuardInfo* g = guard(vd); g && g->acquires)
            for (const ValueDecl* m : g->mutexes) acquire(state, m, g->shared);
      return;
    }
    const auto* mc = dyn_cast<CXXMemberCallExpr>(s);
    if (!mc || !mc->getMethodDecl() || !mc->getMethodDecl()->getIdentifier()) return;
    Op op = mutexOp(mc->getMethodDecl()->getName());
    if (op == Op::None) return;
    const Expr* obj = mc->getImplicitObjectArgument();
    if (!obj) return;
    if (isMutexType(pointee(obj->getType()))) {
      const ValueDecl* m = lockKey(obj);
      if (!m) return;
      if (op == Op::Unlock)
        state.erase(m);
      else
        acquire(state, m, op == Op::LockShared);
      return;
    }
    if (const auto* vd = dyn_cast_or_null<VarDecl>(lockKey(obj)))
      if (const GuardInfo* g = guard(vd))
        for (const ValueDecl* m : g->mutexes) {
          if (op == Op::Unlock)
            state.erase(m);
          else
            acquire(state, m, g->shared || op == Op::LockShared);
        }
  }

 private:
  static void acquire(Lockset& state, const ValueDecl* m, bool shared) {
    auto it = state.find(m);
    if (it == state.end())
      state.emplace(m, shared);
    else
      it->second = it->second && shared;
  }

  const GuardInfo* guard(const VarDecl* vd) {
    if (!vd) return nullptr;
    auto it = guards_.find(vd);
    if (it != guards_.end()) return it->second ? &*it->second : nullptr;
    std::optional<GuardInfo> info;
    bool shared = false;
    if (isGuardType(vd->getType(), shared) && vd->getInit()) {
      GuardInfo g;
      g.shared = shared;
      const Expr* init = api::ignoreCarriers(vd->getInit());
      if (const auto* ce = dyn_cast_or_null<CXXConstructExpr>(init)) {
        for (const Expr* arg : ce->arguments()) {
          QualType t = arg->getType();
          if (isTypeIn(t, "std", "defer_lock_t") || isTypeIn(t, "std", "try_to_lock_t")) {
            g.acquires = false;
            continue;
          }
          if (isMutexType(pointee(t)))
            if (const ValueDecl* m = lockKey(arg)) g.mutexes.push_back(m);
        }
      }
      info = std::move(g);
    }
    auto [pos, _] = guards_.try_emplace(vd, std::move(info));
    return pos->second ? &*pos->second : nullptr;
  }

  const CFG& cfg_;
  llvm::DenseMap<const VarDecl*, std::optional<GuardInfo>> guards_;
};

void intersectInto(Lockset& into, const Lockset& other) {
  for (auto it = into.begin(); it != into.end();) {
    auto o = other.find(it->first);
    if (o == other.end()) {
      it = into.erase(it);
    } else {
      it->second = it->second || o->second;
      ++it;
    }
  }
}

}  // namespace

Lockset unionOf(const Lockset& a, const Lockset& b) {
  Lockset out = a;
  for (auto& [m, shared] : b) {
    auto it = out.find(m);
    if (it == out.end())
      out.emplace(m, shared);
    else
      it->second = it->second && shared;
  }
  return out;
}

bool commonGuard(const Lockset& a, bool aWrites, const Lockset& b, bool bWrites) {
  for (auto& [m, aShared] : a) {
    auto it = b.find(m);
    if (it == b.end()) continue;
    if (aWrites && aShared) continue;
    if (bWrites && it->second) continue;
    return true;
  }
  return false;
}

bool guards(const Lockset& l, bool writes) {
  for (auto& [m, shared] : l)
    if (!writes || !shared) return true;
  return false;
}

bool isMutexType(QualType t) {
  static const char* const kStd[] = {"mutex",        "recursive_mutex",
                                     "timed_mutex",  "recursive_timed_mutex",
                                     "shared_mutex", "shared_timed_mutex"};
  for (const char* n : kStd)
    if (isTypeIn(t, "std", n)) return true;
  return isTypeIn(t, "weave", "Mutex") || isTypeIn(t, "weave", "RWMutex") ||
         isTypeIn(t, "absl", "Mutex");
}

MutexMethod mutexMethod(llvm::StringRef name) {
  switch (mutexOp(name)) {
    case Op::Lock:
      return MutexMethod::Lock;
    case Op::LockShared:
      return MutexMethod::LockShared;
    case Op::Unlock:
      return MutexMethod::Unlock;
    case Op::None:
      break;
  }
  return MutexMethod::None;
}

bool isLockGuardType(QualType t, bool& shared) { return isGuardType(t, shared); }

std::unique_ptr<LocksetAnalysis> LocksetAnalysis::run(const Decl* fn, const Stmt* body,
                                                      ASTContext& ctx, const Lockset& entry) {
  if (!body) return nullptr;
  CFG::BuildOptions opts;
  opts.setAllAlwaysAdd();
  opts.AddImplicitDtors = true;
  opts.AddCXXDefaultInitExprInCtors = false;
  std::unique_ptr<CFG> cfg = CFG::buildCFG(fn, const_cast<Stmt*>(body), &ctx, opts);
  if (!cfg) return nullptr;
  auto out = std::unique_ptr<LocksetAnalysis>(new LocksetAnalysis());
  Engine engine(*cfg);
  llvm::DenseMap<const CFGBlock*, Lockset> in;
  std::deque<const CFGBlock*> work;
  in[&cfg->getEntry()] = entry;
  work.push_back(&cfg->getEntry());
  llvm::DenseSet<const CFGBlock*> queued;
  queued.insert(&cfg->getEntry());
  while (!work.empty()) {
    const CFGBlock* b = work.front();
    work.pop_front();
    queued.erase(b);
    Lockset state = in[b];
    for (const CFGElement& e : *b) engine.transfer(e, state);
    for (const CFGBlock* s : b->succs()) {
      if (!s) continue;
      auto it = in.find(s);
      bool changed = false;
      if (it == in.end()) {
        in[s] = state;
        changed = true;
      } else {
        size_t before = it->second.size();
        Lockset old = it->second;
        intersectInto(it->second, state);
        changed = it->second.size() != before || it->second != old;
      }
      if (changed && queued.insert(s).second) work.push_back(s);
    }
  }
  for (auto& [b, entryState] : in) {
    Lockset state = entryState;
    unsigned i = 0;
    for (const CFGElement& e : *b) {
      if (auto cs = e.getAs<CFGStmt>()) {
        const Stmt* s = cs->getStmt();
        auto [pos, fresh] = out->before_.try_emplace(s, state);
        if (!fresh) intersectInto(pos->second, state);
        out->where_.try_emplace(s, Point{b, i});
      }
      engine.transfer(e, state);
      ++i;
    }
  }
  out->cfg_ = std::move(cfg);
  return out;
}

const Lockset* LocksetAnalysis::before(const Stmt* s) const {
  auto it = before_.find(s);
  return it == before_.end() ? nullptr : &it->second;
}

const LocksetAnalysis::Point* LocksetAnalysis::find(const Stmt* s) const {
  auto it = where_.find(s);
  return it == where_.end() ? nullptr : &it->second;
}

}  // namespace weave::lint
