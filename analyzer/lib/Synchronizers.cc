// The synchronizer rule (see Synchronizers.h). A class's answer does not depend on the code that
// uses it, so it is computed once per class.
#include "lib/Synchronizers.h"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/Stmt.h"
#include "lib/Locks.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseMap.h"

namespace weave::lint {
using namespace clang;

namespace {

bool isStdSynchronizer(QualType t) {
  static const char* const kStd[] = {"atomic",
                                     "atomic_ref",
                                     "atomic_flag",
                                     "condition_variable",
                                     "condition_variable_any",
                                     "latch",
                                     "barrier",
                                     "counting_semaphore",
                                     "once_flag",
                                     "stop_source",
                                     "stop_token",
                                     "stop_callback",
                                     "future",
                                     "shared_future",
                                     "promise",
                                     "packaged_task"};
  for (const char* n : kStd)
    if (api::isTypeIn(t, "std", n)) return true;
  return false;
}

template <class... A>
bool hasAnyAttr(const Decl* d) {
  return (d->hasAttr<A>() || ...);
}

bool annotatedMember(const Decl* d) {
  return hasAnyAttr<GuardedByAttr, PtGuardedByAttr, AcquireCapabilityAttr, ReleaseCapabilityAttr,
                    TryAcquireCapabilityAttr, RequiresCapabilityAttr, LocksExcludedAttr,
                    AssertCapabilityAttr, AssertExclusiveLockAttr, AssertSharedLockAttr>(d);
}

bool takesLock(const Stmt* s, LockEvents& events) {
  if (!s) return false;
  for (const LockEffect& e : events.at(s))
    if (e.kind == LockEffect::Acquire) return true;
  for (const Stmt* c : s->children())
    if (takesLock(c, events)) return true;
  return false;
}

}  // namespace

bool Synchronizers::is(QualType t) {
  if (t.isNull()) return false;
  t = t.getNonReferenceType();
  while (const auto* at = t->getAsArrayTypeUnsafe()) t = at->getElementType();
  if (isStdSynchronizer(t) || api::isTypeWithin(t, "weave") || isMutexType(t) || isGuardType(t))
    return true;
  const auto* rd = t->getAsCXXRecordDecl();
  return rd && record(rd);
}

bool Synchronizers::record(const CXXRecordDecl* rd) {
  rd = rd->getDefinition();
  if (!rd) return false;
  auto [it, fresh] = memo_.try_emplace(rd, false);  // a cycle answers "not (yet)"
  if (!fresh) return it->second;
  bool r = decide(rd);
  memo_[rd] = r;
  return r;
}

bool Synchronizers::decide(const CXXRecordDecl* rd) {
  for (const FieldDecl* f : rd->fields())
    if (annotatedMember(f) || (!f->getType()->isPointerType() && is(f->getType()))) return true;
  for (const CXXBaseSpecifier& b : rd->bases())
    if (is(b.getType())) return true;
  // Methods: annotated ones, and bodies that take a lock. A class template's instantiation may
  // not have its method bodies yet: its pattern has them.
  const CXXRecordDecl* pattern = rd;
  if (const CXXRecordDecl* p = rd->getTemplateInstantiationPattern()) pattern = p;
  LockEvents events;
  for (const Decl* d : pattern->decls()) {
    const FunctionDecl* fd = nullptr;
    if (const auto* ft = dyn_cast<FunctionTemplateDecl>(d)) fd = ft->getTemplatedDecl();
    if (!fd) fd = dyn_cast<CXXMethodDecl>(d);
    if (!fd) continue;
    if (annotatedMember(fd)) return true;
    const FunctionDecl* def = nullptr;
    if (fd->hasBody(def) && takesLock(def->getBody(), events)) return true;
  }
  return false;
}

}  // namespace weave::lint
