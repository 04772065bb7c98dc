// Lock paths and names (see LockPaths.h).
#include "lib/LockPaths.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/Lockset.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
using namespace clang;

namespace {

const char kThis = 0;
const char kUnknown = 0;

// The class a pointer or reference type points at.
const CXXRecordDecl* pointeeRecord(QualType t) {
  t = t.getNonReferenceType();
  if (t->isPointerType()) t = t->getPointeeType();
  const CXXRecordDecl* rd = t->getAsCXXRecordDecl();
  return rd ? rd->getCanonicalDecl() : nullptr;
}

// True when some constructor of `owner` gives `this` to the initialiser of `member`.
bool ownerPassesThis(const CXXRecordDecl* owner, const FieldDecl* member) {
  for (const CXXConstructorDecl* ctor : owner->ctors()) {
    const FunctionDecl* def = nullptr;
    if (!ctor->hasBody(def) || !def) continue;
    for (const CXXCtorInitializer* init : cast<CXXConstructorDecl>(def)->inits()) {
      if (init->getMember() != member || !init->getInit()) continue;
      bool passes = false;
      walkBody(init->getInit(), [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
        passes = passes || isa<CXXThisExpr>(s);
      });
      if (passes) return true;
    }
  }
  return false;
}

std::optional<LockPath> pathOf(const Expr* e, int depth) {
  if (!e || depth > 8) return std::nullopt;
  e = e->IgnoreParenImpCasts();
  if (const auto* uo = dyn_cast<UnaryOperator>(e);
      uo && (uo->getOpcode() == UO_Deref || uo->getOpcode() == UO_AddrOf))
    return pathOf(uo->getSubExpr(), depth + 1);
  if (isa<CXXThisExpr>(e)) return LockPath{LockPath::thisRoot(), {}};
  if (const auto* dre = dyn_cast<DeclRefExpr>(e)) {
    const auto* vd = dyn_cast<VarDecl>(dre->getDecl());
    if (!vd) return std::nullopt;
    // A local reference names the object it was bound to.
    if (vd->getType()->isReferenceType() && !isa<ParmVarDecl>(vd) && vd->hasLocalStorage() &&
        vd->getInit())
      return pathOf(vd->getInit(), depth + 1);
    return LockPath{vd->getCanonicalDecl(), {}};
  }
  if (const auto* me = dyn_cast<MemberExpr>(e)) {
    if (const auto* vd = dyn_cast<VarDecl>(me->getMemberDecl()))  // a static member
      return LockPath{vd->getCanonicalDecl(), {}};
    const auto* fd = dyn_cast<FieldDecl>(me->getMemberDecl());
    if (!fd) return std::nullopt;
    std::optional<LockPath> base = pathOf(me->getBase(), depth + 1);
    LockPath p = base ? *base : LockPath{LockPath::unknownRoot(), {}};
    p.fields.push_back(fd->getCanonicalDecl());
    normalizePath(p);
    return p;
  }
  if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(e)) {
    // A smart pointer's -> and *: the object it points at, like a raw pointer's.
    if ((oc->getOperator() == OO_Arrow || oc->getOperator() == OO_Star) && oc->getNumArgs() == 1)
      return pathOf(oc->getArg(0), depth + 1);
  }
  if (const auto* call = dyn_cast<CallExpr>(e); call && api::isStdCall(call, "move"))
    return call->getNumArgs() == 1 ? pathOf(call->getArg(0), depth + 1) : std::nullopt;
  return LockPath{LockPath::unknownRoot(), {}};
}

}  // namespace

const void* LockPath::thisRoot() { return &kThis; }
const void* LockPath::unknownRoot() { return &kUnknown; }

const ValueDecl* LockPath::decl() const {
  if (!fields.empty()) return fields.back();
  if (!known() || root == thisRoot()) return nullptr;
  return static_cast<const VarDecl*>(root);
}

bool LockPath::operator<(const LockPath& o) const {
  if (root != o.root) return std::less<const void*>()(root, o.root);
  return std::lexicographical_compare(fields.begin(), fields.end(), o.fields.begin(),
                                      o.fields.end(), std::less<const FieldDecl*>());
}

void normalizePath(LockPath& p) {
  for (size_t i = 1; i < p.fields.size();) {
    const FieldDecl* member = p.fields[i - 1];
    const FieldDecl* back = p.fields[i];
    const auto* owner = dyn_cast<CXXRecordDecl>(member->getParent());
    QualType mt = member->getType();
    QualType bt = back->getType().getNonReferenceType();
    bool isBackPointer = owner && !mt->isReferenceType() && !mt->isPointerType() &&
                         (bt->isPointerType() || back->getType()->isReferenceType()) &&
                         pointeeRecord(back->getType()) == owner->getCanonicalDecl() &&
                         ownerPassesThis(owner, member);
    if (!isBackPointer) {
      ++i;
      continue;
    }
    p.fields.erase(p.fields.begin() + (i - 1), p.fields.begin() + (i + 1));
    i = 1;
  }
}

std::optional<LockPath> objectPath(const Expr* e) {
  std::optional<LockPath> p = pathOf(e, 0);
  if (p && !p->decl()) {
    if (p->root == LockPath::thisRoot()) return p;
    return std::nullopt;
  }
  return p;
}

std::string lockName(const ValueDecl* d) {
  if (!d) return "?";
  if (const auto* fd = dyn_cast<FieldDecl>(d)) {
    const RecordDecl* rd = fd->getParent();
    if (rd && rd->getIdentifier()) return rd->getName().str() + "::" + fd->getName().str();
  }
  return d->getNameAsString();
}

bool isMutexObject(const ValueDecl* d) {
  if (!d) return false;
  QualType t = d->getType();
  if (t->isReferenceType() || t->isPointerType()) return false;
  return !t->isArrayType() && isMutexType(t);
}

MutexKind mutexKind(QualType t) {
  t = t.getNonReferenceType();
  if (t->isPointerType()) t = t->getPointeeType();
  if (api::isTypeIn(t, "std", "recursive_mutex") ||
      api::isTypeIn(t, "std", "recursive_timed_mutex"))
    return MutexKind::Recursive;
  if (api::isTypeIn(t, "weave", "RWMutex") || api::isTypeIn(t, "std", "shared_mutex") ||
      api::isTypeIn(t, "std", "shared_timed_mutex") || api::isTypeIn(t, "absl", "Mutex"))
    return MutexKind::ReaderWriter;
  return MutexKind::Exclusive;
}

}  // namespace weave::lint
