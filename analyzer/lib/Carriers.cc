// The value-carrying nodes (see Carriers.h).
#include "lib/Carriers.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
using namespace clang;

namespace {

// Cast kinds that hand on the same object, or the object converted by a constructor or a
// conversion function; not those that compute a different value (integral, pointer casts).
bool keepsObject(CastKind k) {
  switch (k) {
    case CK_NoOp:
    case CK_LValueToRValue:
    case CK_DerivedToBase:
    case CK_UncheckedDerivedToBase:
    case CK_ConstructorConversion:
    case CK_UserDefinedConversion:
    case CK_FunctionToPointerDecay:
      return true;
    default:
      return false;
  }
}

// The one argument a construction takes, not counting defaulted ones.
const Expr* soleArgument(const CXXConstructExpr* ce) {
  const Expr* only = nullptr;
  for (const Expr* a : ce->arguments()) {
    if (isa<CXXDefaultArgExpr>(a)) continue;
    if (only) return nullptr;
    only = a;
  }
  return only;
}

}  // namespace

const Expr* carriedChild(const Expr* e) {
  if (!e) return nullptr;
  if (const auto* ic = dyn_cast<ImplicitCastExpr>(e)) return ic->getSubExpr();
  if (const auto* pe = dyn_cast<ParenExpr>(e)) return pe->getSubExpr();
  if (const auto* fe = dyn_cast<FullExpr>(e)) return fe->getSubExpr();  // cleanups, constants
  if (const auto* mte = dyn_cast<MaterializeTemporaryExpr>(e)) return mte->getSubExpr();
  if (const auto* bte = dyn_cast<CXXBindTemporaryExpr>(e)) return bte->getSubExpr();
  if (const auto* ce = dyn_cast<ExplicitCastExpr>(e))
    return !ce->getType()->isVoidType() && keepsObject(ce->getCastKind()) ? ce->getSubExpr()
                                                                          : nullptr;
  if (const auto* ce = dyn_cast<CXXConstructExpr>(e)) {
    const CXXConstructorDecl* ctor = ce->getConstructor();
    const Expr* arg = soleArgument(ce);
    if (!ctor || !arg) return nullptr;
    if (ctor->isCopyOrMoveConstructor() || ctor->isConvertingConstructor(false)) return arg;
    return nullptr;
  }
  if (const auto* mc = dyn_cast<CXXMemberCallExpr>(e))
    if (isa_and_nonnull<CXXConversionDecl>(mc->getMethodDecl()))
      return mc->getImplicitObjectArgument();
  if (const auto* call = dyn_cast<CallExpr>(e))
    if ((api::isStdCall(call, "move") || api::isStdCall(call, "forward")) &&
        call->getNumArgs() == 1)
      return call->getArg(0);
  return nullptr;
}

bool carries(const Stmt* parent, const Stmt* child) {
  const auto* pe = dyn_cast_or_null<Expr>(parent);
  if (!pe || !child) return false;
  if (carriedChild(pe) == child) return true;
  if (const auto* co = dyn_cast<AbstractConditionalOperator>(pe)) return co->getCond() != child;
  // `ch.operator RecvChan()`: the callee's member expression names the converted object.
  if (const auto* me = dyn_cast<MemberExpr>(pe))
    return me->getBase() == child && isa<CXXConversionDecl>(me->getMemberDecl());
  if (const auto* mc = dyn_cast<CXXMemberCallExpr>(pe))
    return mc->getCallee() == child && isa_and_nonnull<CXXConversionDecl>(mc->getMethodDecl());
  return false;
}

const Expr* ignoreCarriers(const Expr* e) {
  while (const Expr* next = carriedChild(e)) e = next;
  return e;
}

const ValueDecl* objectKey(const Expr* e) {
  while (e) {
    e = ignoreCarriers(e)->IgnoreParenImpCasts();
    if (const auto* uo = dyn_cast<UnaryOperator>(e);
        uo && (uo->getOpcode() == UO_Deref || uo->getOpcode() == UO_AddrOf)) {
      e = uo->getSubExpr();
      continue;
    }
    if (const auto* as = dyn_cast<ArraySubscriptExpr>(e)) {
      e = as->getBase();
      continue;
    }
    if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(e);
        oc && oc->getNumArgs() >= 1 &&
        (oc->getOperator() == OO_Subscript || oc->getOperator() == OO_Star ||
         oc->getOperator() == OO_Arrow)) {
      e = oc->getArg(0);
      continue;
    }
    if (const auto* mc = dyn_cast<CXXMemberCallExpr>(e);
        mc && mc->getMethodDecl() && mc->getMethodDecl()->getIdentifier()) {
      llvm::StringRef n = mc->getMethodDecl()->getName();
      if (n == "front" || n == "back" || n == "at" || n == "get") {
        e = mc->getImplicitObjectArgument();
        continue;
      }
    }
    break;
  }
  if (const auto* dre = dyn_cast_or_null<DeclRefExpr>(e)) return dre->getDecl();
  if (const auto* me = dyn_cast_or_null<MemberExpr>(e)) return me->getMemberDecl();
  return nullptr;
}

bool isVoidCast(const Stmt* s) {
  const auto* ce = dyn_cast_or_null<ExplicitCastExpr>(s);
  return ce && ce->getType()->isVoidType();
}

}  // namespace weave::lint
