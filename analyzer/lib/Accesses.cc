// Read/write classification of variable references (see Accesses.h).
#include "lib/Accesses.h"

#include <functional>

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
using namespace clang;

namespace {

bool nonConstRef(QualType t) {
  if (t->isRValueReferenceType()) return true;
  return t->isLValueReferenceType() && !t.getNonReferenceType().isConstQualified();
}

// Whether argument `child` of a call binds to a parameter that lets the callee write it.
bool argWrites(const FunctionDecl* fd, unsigned argIndex) {
  if (!fd) return false;
  if (argIndex >= fd->getNumParams()) return false;  // variadic: by value
  // A forwarding reference (`T&&` of a template) takes whatever it is given: std::pair's and
  // std::make_tuple's arguments, emplace's. Assume it copies.
  if (const FunctionDecl* pat = fd->getTemplateInstantiationPattern();
      pat && argIndex < pat->getNumParams())
    if (const auto* rr = pat->getParamDecl(argIndex)->getType()->getAs<RValueReferenceType>())
      if (rr->getPointeeType()->getAs<TemplateTypeParmType>()) return false;
  return nonConstRef(fd->getParamDecl(argIndex)->getType());
}

// Methods of the standard containers that have a non-const overload but change nothing.
bool lookupOnly(const CXXMethodDecl* md) {
  if (!md->getIdentifier() || !api::isWithin(md, "std")) return false;
  static const char* const kNames[] = {
      "find",  "count", "contains", "begin",  "end",         "cbegin",      "cend",        "rbegin",
      "rend",  "size",  "empty",    "at",     "lower_bound", "upper_bound", "equal_range", "data",
      "front", "back",  "c_str",    "length", "capacity",    "max_size"};
  for (const char* n : kNames)
    if (md->getName() == n) return true;
  return false;
}

// Where the address `&x` goes: a pointer-to-const parameter only reads through it, and so does
// absl::Condition, which evaluates its predicate on the pointer while the lock is held.
bool addressWrites(const Stmt* addr, const ParentMap& pm) {
  const Stmt* child = addr;
  const Stmt* p = pm.getParent(child);
  while (p && isa<ImplicitCastExpr, ParenExpr>(p)) {
    child = p;
    p = pm.getParent(p);
  }
  auto pointeeConst = [](const FunctionDecl* fd, unsigned i) {
    if (!fd || i >= fd->getNumParams()) return false;
    QualType t = fd->getParamDecl(i)->getType();
    return t->isPointerType() && t->getPointeeType().isConstQualified();
  };
  if (const auto* ce = dyn_cast_or_null<CXXConstructExpr>(p)) {
    if (api::isTypeIn(ce->getType(), "absl", "Condition")) return false;
    for (unsigned i = 0; i < ce->getNumArgs(); ++i)
      if (ce->getArg(i) == child) return !pointeeConst(ce->getConstructor(), i);
  }
  if (const auto* call = dyn_cast_or_null<CallExpr>(p)) {
    unsigned offset = 0;
    if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(call);
        oc && isa_and_nonnull<CXXMethodDecl>(oc->getDirectCallee()))
      offset = 1;
    for (unsigned i = offset; i < call->getNumArgs(); ++i)
      if (call->getArg(i) == child) return !pointeeConst(call->getDirectCallee(), i - offset);
  }
  return true;
}

}  // namespace

bool isWriteAccess(const Expr* ref, const ParentMap& pm) {
  const Stmt* child = ref;
  const Stmt* p = pm.getParent(child);
  while (p) {
    if (const auto* ic = dyn_cast<ImplicitCastExpr>(p)) {
      if (ic->getCastKind() == CK_LValueToRValue) return false;
      if (ic->getCastKind() == CK_ArrayToPointerDecay) return false;
    } else if (isa<ParenExpr, MaterializeTemporaryExpr>(p)) {
    } else if (const auto* me = dyn_cast<MemberExpr>(p)) {
      if (me->getBase() != child) return false;
      if (me->isArrow() && child != ref) return false;  // through a pointer member: not the object
      if (isa<CXXMethodDecl>(me->getMemberDecl())) {
        // The callee of a member call: const methods read.
        const auto* md = cast<CXXMethodDecl>(me->getMemberDecl());
        if (me->isArrow()) return false;
        return !md->isConst() && !md->isStatic() && !lookupOnly(md);
      }
    } else if (const auto* as = dyn_cast<ArraySubscriptExpr>(p)) {
      if (as->getBase()->IgnoreImpCasts() != child && as->getBase() != child) return false;
      // `arr[i]` on a pointer variable reads the pointer.
      if (const auto* ic = dyn_cast<ImplicitCastExpr>(as->getBase());
          ic && ic->getCastKind() == CK_LValueToRValue)
        return false;
    } else if (const auto* bo = dyn_cast<BinaryOperator>(p)) {
      return bo->isAssignmentOp() && bo->getLHS() == child;
    } else if (const auto* uo = dyn_cast<UnaryOperator>(p)) {
      if (uo->getOpcode() == UO_AddrOf) return addressWrites(uo, pm);
      return uo->isIncrementDecrementOp();
    } else if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(p)) {
      const FunctionDecl* fd = oc->getDirectCallee();
      if (const auto* md = dyn_cast_or_null<CXXMethodDecl>(fd)) {
        if (oc->getNumArgs() > 0 && oc->getArg(0) == child) return !md->isConst();
        for (unsigned i = 1; i < oc->getNumArgs(); ++i)
          if (oc->getArg(i) == child) return argWrites(fd, i - 1);
        return false;
      }
      for (unsigned i = 0; i < oc->getNumArgs(); ++i)
        if (oc->getArg(i) == child) return argWrites(fd, i);
      return false;
    } else if (const auto* mc = dyn_cast<CXXMemberCallExpr>(p)) {
      for (unsigned i = 0; i < mc->getNumArgs(); ++i)
        if (mc->getArg(i) == child) return argWrites(mc->getDirectCallee(), i);
      return false;
    } else if (const auto* call = dyn_cast<CallExpr>(p)) {
      for (unsigned i = 0; i < call->getNumArgs(); ++i)
        if (call->getArg(i) == child) return argWrites(call->getDirectCallee(), i);
      return false;
    } else if (const auto* ce = dyn_cast<CXXConstructExpr>(p)) {
      for (unsigned i = 0; i < ce->getNumArgs(); ++i)
        if (ce->getArg(i) == child) return argWrites(ce->getConstructor(), i);
      return false;
    } else if (const auto* ds = dyn_cast<DeclStmt>(p)) {
      for (const Decl* d : ds->decls())
        if (const auto* vd = dyn_cast<VarDecl>(d); vd && vd->getInit() == child)
          return !vd->isImplicit() && nonConstRef(vd->getType());
      return false;
    } else {
      return false;
    }
    child = p;
    p = pm.getParent(child);
  }
  return false;
}

bool writesTo(const Stmt* body, const ValueDecl* v) {
  if (!body) return false;
  ParentMap pm(const_cast<Stmt*>(body));
  bool found = false;
  std::function<void(const Stmt*)> walk = [&](const Stmt* s) {
    if (!s || found) return;
    if (const auto* dre = dyn_cast<DeclRefExpr>(s); dre && dre->getDecl() == v)
      found = isWriteAccess(dre, pm);
    for (const Stmt* c : s->children()) walk(c);
  };
  walk(body);
  return found;
}

}  // namespace weave::lint
