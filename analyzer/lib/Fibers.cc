// Spawn-site recognition (see Fibers.h).
#include "lib/Fibers.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "lib/Carriers.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
using namespace clang;

namespace {

// The body a callable argument runs: a lambda (directly or through a local variable initialised
// with one) or a named function.
void resolveCallable(const Expr* e, Spawn& sp) {
  sp.callable = e;
  e = ignoreCarriers(e);
  if (!e) return;
  if (const auto* uo = dyn_cast<UnaryOperator>(e); uo && uo->getOpcode() == UO_AddrOf)
    e = uo->getSubExpr()->IgnoreParenImpCasts();
  if (const auto* le = dyn_cast<LambdaExpr>(e)) {
    sp.lambda = le;
    return;
  }
  if (const auto* dre = dyn_cast<DeclRefExpr>(e)) {
    if (const auto* fd = dyn_cast<FunctionDecl>(dre->getDecl())) {
      sp.fn = fd;
      return;
    }
    if (const auto* vd = dyn_cast<VarDecl>(dre->getDecl()); vd && vd->hasLocalStorage())
      if (const Expr* init = vd->getInit())
        if (const auto* le = dyn_cast<LambdaExpr>(ignoreCarriers(init))) sp.lambda = le;
  }
}

// Container element type of `obj` (vector<std::thread> → std::thread).
QualType elementType(QualType t) {
  t = t.getNonReferenceType().getCanonicalType();
  const auto* rd = t->getAsCXXRecordDecl();
  const auto* spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(rd);
  if (!spec || spec->getTemplateArgs().size() == 0) return {};
  const TemplateArgument& a = spec->getTemplateArgs()[0];
  return a.getKind() == TemplateArgument::Type ? a.getAsType() : QualType();
}

}  // namespace

const Expr* callObject(const Stmt* s) {
  if (const auto* mc = dyn_cast_or_null<CXXMemberCallExpr>(s))
    return mc->getImplicitObjectArgument();
  if (const auto* oc = dyn_cast_or_null<CXXOperatorCallExpr>(s))
    if (isa_and_nonnull<CXXMethodDecl>(oc->getDirectCallee()) && oc->getNumArgs() > 0)
      return oc->getArg(0);
  return nullptr;
}

const ValueDecl* namedObject(const Expr* e) {
  if (!e) return nullptr;
  e = e->IgnoreParenImpCasts();
  if (const auto* dre = dyn_cast<DeclRefExpr>(e)) return dre->getDecl();
  if (const auto* me = dyn_cast<MemberExpr>(e))
    if (isa<CXXThisExpr>(me->getBase()->IgnoreParenImpCasts())) return me->getMemberDecl();
  return nullptr;
}

std::optional<Spawn> spawnAt(const Stmt* s) {
  Spawn sp;
  if (const auto* ce = dyn_cast_or_null<CXXConstructExpr>(s)) {
    bool thread = api::isTypeIn(ce->getType(), "std", "thread");
    bool jthread = api::isTypeIn(ce->getType(), "std", "jthread");
    if (!thread && !jthread) return std::nullopt;
    if (ce->getNumArgs() == 0 || !ce->getConstructor() ||
        ce->getConstructor()->isCopyOrMoveConstructor())
      return std::nullopt;
    sp.kind = jthread ? SpawnKind::JThread : SpawnKind::Thread;
    sp.expr = ce;
    resolveCallable(ce->getArg(0), sp);
    return sp;
  }
  const auto* call = dyn_cast_or_null<CallExpr>(s);
  if (!call || call->getNumArgs() == 0) return std::nullopt;
  sp.expr = call;
  if (api::isWeaveCall(call, "go")) {
    sp.kind = SpawnKind::Go;
    resolveCallable(call->getArg(0), sp);
    return sp;
  }
  if (api::isStdCall(call, "async")) {
    sp.kind = SpawnKind::Async;
    unsigned i = 0;
    if (api::isTypeIn(call->getArg(0)->getType(), "std", "launch") ||
        call->getArg(0)->getType()->isEnumeralType())
      i = 1;
    if (i >= call->getNumArgs()) return std::nullopt;
    resolveCallable(call->getArg(i), sp);
    return sp;
  }
  if (api::isMethodCall(call, "weave", "WaitGroup", "go")) {
    sp.kind = SpawnKind::WaitGroupGo;
  } else if (api::isMethodCall(call, "weave", "ErrGroup", "go") ||
             api::isMethodCall(call, "weave", "ErrGroup", "try_go")) {
    sp.kind = SpawnKind::ErrGroupGo;
  } else if (const auto* mc = dyn_cast<CXXMemberCallExpr>(call)) {
    // threads.emplace_back([&] { … }): a thread constructed in place in a container.
    const CXXMethodDecl* md = mc->getMethodDecl();
    if (!md || !md->getIdentifier()) return std::nullopt;
    llvm::StringRef n = md->getName();
    if (n != "emplace_back" && n != "emplace" && n != "emplace_front") return std::nullopt;
    QualType elem = elementType(mc->getImplicitObjectArgument()->getType());
    bool thread = api::isTypeIn(elem, "std", "thread"),
         jthread = api::isTypeIn(elem, "std", "jthread");
    if (!thread && !jthread) return std::nullopt;
    const Expr* arg = mc->getArg(0);
    if (api::isTypeIn(arg->getType(), "std", "thread") ||
        api::isTypeIn(arg->getType(), "std", "jthread"))
      return std::nullopt;  // the construction inside is the spawn
    sp.kind = jthread ? SpawnKind::JThread : SpawnKind::Thread;
    resolveCallable(arg, sp);
    return sp;
  } else {
    return std::nullopt;
  }
  sp.group = namedObject(cast<CXXMemberCallExpr>(call)->getImplicitObjectArgument());
  resolveCallable(call->getArg(0), sp);
  return sp;
}

}  // namespace weave::lint
