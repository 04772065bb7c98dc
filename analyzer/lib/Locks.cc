// Lock recognition (see Locks.h).
#include "lib/Locks.h"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "lib/Carriers.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
using namespace clang;

namespace {

QualType objectType(QualType t) {
  t = t.getNonReferenceType();
  while (true) {
    if (t->isPointerType()) {
      t = t->getPointeeType();
    } else if (const auto* at = t->getAsArrayTypeUnsafe()) {
      t = at->getElementType();
    } else {
      return t;
    }
  }
}

const CXXRecordDecl* recordOf(QualType t) {
  const auto* rd = objectType(t)->getAsCXXRecordDecl();
  return rd ? rd->getDefinition() : nullptr;
}

bool hasMethod(const CXXRecordDecl* rd, llvm::StringRef name) {
  for (const CXXMethodDecl* m : rd->methods())
    if (m->getIdentifier() && m->getName() == name) return true;
  for (const Decl* d : rd->decls())
    if (const auto* ft = dyn_cast<FunctionTemplateDecl>(d))
      if (ft->getIdentifier() && ft->getName() == name) return true;
  return false;
}

template <class A>
bool hasAttrInHierarchy(const CXXRecordDecl* rd) {
  if (!rd) return false;
  if (rd->hasAttr<A>()) return true;
  for (const CXXBaseSpecifier& b : rd->bases())
    if (hasAttrInHierarchy<A>(b.getType()->getAsCXXRecordDecl())) return true;
  return false;
}

// Names of the lock operations of unannotated mutexes (std, BasicLockable classes, Go-like and
// absl spellings).
enum class NameOp { None, Lock, LockShared, Unlock, Assert, AssertShared };
NameOp nameOp(llvm::StringRef m) {
  if (m == "lock" || m == "Lock" || m == "WriterLock") return NameOp::Lock;
  if (m == "lock_shared" || m == "rlock" || m == "ReaderLock") return NameOp::LockShared;
  if (m == "unlock" || m == "Unlock" || m == "WriterUnlock" || m == "unlock_shared" ||
      m == "runlock" || m == "ReaderUnlock")
    return NameOp::Unlock;
  if (m == "AssertHeld") return NameOp::Assert;
  if (m == "AssertReaderHeld") return NameOp::AssertShared;
  return NameOp::None;
}

bool isStdGuard(QualType t, bool& shared) {
  shared = api::isTypeIn(t, "std", "shared_lock");
  return shared || api::isTypeIn(t, "std", "lock_guard") ||
         api::isTypeIn(t, "std", "unique_lock") || api::isTypeIn(t, "std", "scoped_lock");
}

// The mutexes an attribute's arguments name at a call: an argument that is a parameter of the
// callee stands for the call's argument in its place; one that names a member of the callee's
// class stands for that member. No arguments: the object the method is called on.
template <class A>
void attrTargets(const A* attr, const FunctionDecl* callee, llvm::ArrayRef<const Expr*> callArgs,
                 const Expr* object, llvm::SmallVectorImpl<const ValueDecl*>& out) {
  if (attr->args_size() == 0) {
    if (const ValueDecl* k = objectKey(object)) out.push_back(k);
    return;
  }
  for (const Expr* a : attr->args()) {
    const Expr* e = a->IgnoreParenImpCasts();
    if (const auto* uo = dyn_cast<UnaryOperator>(e); uo && uo->getOpcode() == UO_Deref)
      e = uo->getSubExpr()->IgnoreParenImpCasts();
    if (const auto* dre = dyn_cast<DeclRefExpr>(e))
      if (const auto* pv = dyn_cast<ParmVarDecl>(dre->getDecl())) {
        unsigned i = pv->getFunctionScopeIndex();
        if (callee && i < callArgs.size())
          if (const ValueDecl* k = objectKey(callArgs[i])) out.push_back(k);
        continue;
      }
    if (const ValueDecl* k = objectKey(a)) out.push_back(k);
  }
}

}  // namespace

bool isMutexType(QualType t) {
  t = objectType(t);
  static const char* const kStd[] = {"mutex",        "recursive_mutex",
                                     "timed_mutex",  "recursive_timed_mutex",
                                     "shared_mutex", "shared_timed_mutex"};
  for (const char* n : kStd)
    if (api::isTypeIn(t, "std", n)) return true;
  const CXXRecordDecl* rd = recordOf(t);
  if (!rd) return false;
  if (hasAttrInHierarchy<CapabilityAttr>(rd)) return true;
  if (rd->hasAttr<ScopedLockableAttr>() || isGuardType(t)) return false;
  return (hasMethod(rd, "lock") && hasMethod(rd, "unlock")) ||
         (hasMethod(rd, "Lock") && hasMethod(rd, "Unlock"));
}

bool isGuardType(QualType t) {
  bool shared = false;
  if (isStdGuard(t, shared)) return true;
  const CXXRecordDecl* rd = recordOf(t.getNonReferenceType());
  return rd && hasAttrInHierarchy<ScopedLockableAttr>(rd);
}

MutexMethod mutexMethod(llvm::StringRef name) {
  switch (nameOp(name)) {
    case NameOp::Lock:
      return MutexMethod::Lock;
    case NameOp::LockShared:
      return MutexMethod::LockShared;
    case NameOp::Unlock:
      return MutexMethod::Unlock;
    case NameOp::None:
    case NameOp::Assert:
    case NameOp::AssertShared:
      break;
  }
  return MutexMethod::None;
}

bool isLockGuardType(QualType t, bool& shared) {
  if (isStdGuard(t, shared)) return true;
  const CXXRecordDecl* rd = recordOf(t.getNonReferenceType());
  if (!rd || !hasAttrInHierarchy<ScopedLockableAttr>(rd)) return false;
  for (const CXXConstructorDecl* c : rd->ctors())
    for (const auto* a : c->specific_attrs<AcquireCapabilityAttr>())
      if (a->isShared()) shared = true;
  return true;
}

const LockEvents::Guard* LockEvents::guard(const VarDecl* vd) {
  if (!vd) return nullptr;
  auto it = guards_.find(vd);
  if (it != guards_.end()) return it->second ? &*it->second : nullptr;
  std::optional<Guard> info;
  if (isGuardType(vd->getType()) && !vd->getType()->isReferenceType() && vd->getInit()) {
    Guard g;
    bool stdShared = false;
    bool std = isStdGuard(vd->getType(), stdShared);
    g.shared = stdShared;
    const Expr* init = vd->getInit()->IgnoreImplicit();
    if (const auto* ce = dyn_cast<CXXConstructExpr>(init)) {
      const CXXConstructorDecl* ctor = ce->getConstructor();
      llvm::SmallVector<const Expr*, 4> args(ce->arguments());
      const auto* acq = ctor ? ctor->getAttr<AcquireCapabilityAttr>() : nullptr;
      if (!std && acq) {
        attrTargets(acq, ctor, args, nullptr, g.mutexes);
        g.shared = acq->isShared();
      } else {
        for (const Expr* arg : args) {
          QualType t = arg->getType();
          if (api::isTypeIn(t, "std", "defer_lock_t") || api::isTypeIn(t, "std", "try_to_lock_t")) {
            g.acquires = false;
            continue;
          }
          if (isMutexType(t))
            if (const ValueDecl* m = objectKey(arg)) g.mutexes.push_back(m);
        }
      }
    }
    info = std::move(g);
  }
  auto [pos, _] = guards_.try_emplace(vd, std::move(info));
  return pos->second ? &*pos->second : nullptr;
}

LockEffects LockEvents::at(const CFGElement& e) {
  LockEffects out;
  if (auto d = e.getAs<CFGAutomaticObjDtor>()) {
    if (const Guard* g = guard(d->getVarDecl()))
      for (const ValueDecl* m : g->mutexes) out.push_back({LockEffect::Release, m, false});
    return out;
  }
  if (auto cs = e.getAs<CFGStmt>()) return at(cs->getStmt());
  return out;
}

LockEffects LockEvents::at(const Stmt* s) {
  LockEffects out;
  if (const auto* ds = dyn_cast_or_null<DeclStmt>(s)) {
    for (const Decl* d : ds->decls())
      if (const auto* vd = dyn_cast<VarDecl>(d))
        if (const Guard* g = guard(vd); g && g->acquires)
          for (const ValueDecl* m : g->mutexes) out.push_back({LockEffect::Acquire, m, g->shared});
    return out;
  }
  const auto* call = dyn_cast_or_null<CallExpr>(s);
  if (!call) return out;
  // std::lock(a, b, …): every argument, mutexes or guards.
  if (api::isStdCall(call, "lock")) {
    for (const Expr* a : call->arguments()) {
      const ValueDecl* k = objectKey(a);
      if (const Guard* g = guard(dyn_cast_or_null<VarDecl>(k))) {
        for (const ValueDecl* m : g->mutexes) out.push_back({LockEffect::Acquire, m, g->shared});
      } else if (k && isMutexType(a->getType())) {
        out.push_back({LockEffect::Acquire, k, false});
      }
    }
    return out;
  }
  const auto* mc = dyn_cast<CXXMemberCallExpr>(call);
  const FunctionDecl* fd = call->getDirectCallee();
  const Expr* obj = mc ? mc->getImplicitObjectArgument() : nullptr;
  if (!fd) return out;
  llvm::SmallVector<const Expr*, 4> args(call->arguments());
  // A guard's own lock()/unlock() (std::unique_lock, absl::ReleasableMutexLock::Release).
  if (obj) {
    if (const Guard* g = guard(dyn_cast_or_null<VarDecl>(objectKey(obj)))) {
      bool acquire = fd->hasAttr<AcquireCapabilityAttr>(),
           release = fd->hasAttr<ReleaseCapabilityAttr>();
      if (!acquire && !release && fd->getIdentifier()) {
        NameOp op = nameOp(fd->getName());
        acquire = op == NameOp::Lock || op == NameOp::LockShared;
        release = op == NameOp::Unlock || fd->getName() == "Release";
      }
      for (const ValueDecl* m : g->mutexes) {
        if (acquire) out.push_back({LockEffect::Acquire, m, g->shared});
        if (release) out.push_back({LockEffect::Release, m, false});
      }
      return out;
    }
  }
  // The attributes of the callee.
  bool annotated = false;
  for (const auto* a : fd->specific_attrs<AcquireCapabilityAttr>()) {
    annotated = true;
    llvm::SmallVector<const ValueDecl*, 2> ms;
    attrTargets(a, fd, args, obj, ms);
    for (const ValueDecl* m : ms) out.push_back({LockEffect::Acquire, m, a->isShared()});
  }
  for (const auto* a : fd->specific_attrs<AssertCapabilityAttr>()) {
    annotated = true;
    llvm::SmallVector<const ValueDecl*, 2> ms;
    attrTargets(a, fd, args, obj, ms);
    for (const ValueDecl* m : ms) out.push_back({LockEffect::Acquire, m, a->isShared()});
  }
  for (const auto* a : fd->specific_attrs<AssertExclusiveLockAttr>()) {
    annotated = true;
    llvm::SmallVector<const ValueDecl*, 2> ms;
    attrTargets(a, fd, args, obj, ms);
    for (const ValueDecl* m : ms) out.push_back({LockEffect::Acquire, m, false});
  }
  for (const auto* a : fd->specific_attrs<AssertSharedLockAttr>()) {
    annotated = true;
    llvm::SmallVector<const ValueDecl*, 2> ms;
    attrTargets(a, fd, args, obj, ms);
    for (const ValueDecl* m : ms) out.push_back({LockEffect::Acquire, m, true});
  }
  for (const auto* a : fd->specific_attrs<ReleaseCapabilityAttr>()) {
    annotated = true;
    llvm::SmallVector<const ValueDecl*, 2> ms;
    attrTargets(a, fd, args, obj, ms);
    for (const ValueDecl* m : ms) out.push_back({LockEffect::Release, m, false});
  }
  if (annotated || fd->hasAttr<TryAcquireCapabilityAttr>()) return out;
  // Unannotated mutexes, by the method's name.
  if (!obj || !fd->getIdentifier() || !isMutexType(obj->getType())) return out;
  const ValueDecl* m = objectKey(obj);
  if (!m) return out;
  switch (nameOp(fd->getName())) {
    case NameOp::Lock:
    case NameOp::Assert:
      out.push_back({LockEffect::Acquire, m, false});
      break;
    case NameOp::LockShared:
    case NameOp::AssertShared:
      out.push_back({LockEffect::Acquire, m, true});
      break;
    case NameOp::Unlock:
      out.push_back({LockEffect::Release, m, false});
      break;
    case NameOp::None:
      break;
  }
  return out;
}

LockEffects requiredLocks(const FunctionDecl* fd) {
  LockEffects out;
  if (!fd) return out;
  for (const auto* a : fd->specific_attrs<RequiresCapabilityAttr>())
    for (const Expr* e : a->args())
      if (const ValueDecl* m = objectKey(e)) out.push_back({LockEffect::Acquire, m, a->isShared()});
  return out;
}

}  // namespace weave::lint
