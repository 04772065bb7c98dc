// Spawn-site recognition (see Fibers.h).
#include "lib/Fibers.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
using namespace clang;

namespace {

bool inTopNamespace(const Decl* d, llvm::StringRef ns) {
  const DeclContext* dc = d->getDeclContext();
  while (dc && (dc->isInlineNamespace() || dc->isRecord())) {
    if (dc->isRecord()) return false;
    dc = dc->getParent();
  }
  const auto* nd = dyn_cast_or_null<NamespaceDecl>(dc);
  if (!nd || !nd->getIdentifier() || nd->getName() != ns) return false;
  const DeclContext* parent = nd->getParent();
  while (parent && parent->isInlineNamespace()) parent = parent->getParent();
  return parent && parent->isTranslationUnit();
}

bool namedIn(const NamedDecl* d, llvm::StringRef ns, llvm::StringRef name) {
  return d && d->getIdentifier() && d->getName() == name && inTopNamespace(d, ns);
}

// The body a callable argument runs: a lambda (directly or through a local variable initialised
// with one) or a named function.
void resolveCallable(const Expr* e, Spawn& sp) {
  sp.callable = e;
  e = api::ignoreCarriers(e);
  if (!e) return;
  e = e->IgnoreParenImpCasts();
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
        if (const auto* le = dyn_cast<LambdaExpr>(api::ignoreCarriers(init)->IgnoreParenImpCasts()))
          sp.lambda = le;
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

bool isTypeIn(QualType t, llvm::StringRef ns, llvm::StringRef name) {
  if (t.isNull()) return false;
  t = t.getNonReferenceType().getCanonicalType().getUnqualifiedType();
  if (const auto* rd = t->getAsCXXRecordDecl()) {
    if (const auto* spec = dyn_cast<ClassTemplateSpecializationDecl>(rd))
      return namedIn(spec->getSpecializedTemplate(), ns, name);
    return namedIn(rd, ns, name);
  }
  if (const auto* tst = t->getAs<TemplateSpecializationType>())
    if (const TemplateDecl* td = tst->getTemplateName().getAsTemplateDecl())
      return namedIn(td, ns, name);
  return false;
}

const Expr* callObject(const Stmt* s) {
  if (const auto* mc = dyn_cast_or_null<CXXMemberCallExpr>(s))
    return mc->getImplicitObjectArgument();
  if (const auto* oc = dyn_cast_or_null<CXXOperatorCallExpr>(s))
    if (isa_and_nonnull<CXXMethodDecl>(oc->getDirectCallee()) && oc->getNumArgs() > 0)
      return oc->getArg(0);
  return nullptr;
}

bool isMethodCall(const Stmt* s, llvm::StringRef ns, llvm::StringRef cls, llvm::StringRef method) {
  const auto* mc = dyn_cast_or_null<CXXMemberCallExpr>(s);
  if (!mc) return false;
  const CXXMethodDecl* md = mc->getMethodDecl();
  if (!md || !md->getIdentifier() || md->getName() != method) return false;
  const Expr* obj = mc->getImplicitObjectArgument();
  if (!obj) return false;
  QualType t = obj->getType();
  if (t->isPointerType()) t = t->getPointeeType();
  return isTypeIn(t, ns, cls);
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
    bool thread = isTypeIn(ce->getType(), "std", "thread");
    bool jthread = isTypeIn(ce->getType(), "std", "jthread");
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
    if (isTypeIn(call->getArg(0)->getType(), "std", "launch") ||
        call->getArg(0)->getType()->isEnumeralType())
      i = 1;
    if (i >= call->getNumArgs()) return std::nullopt;
    resolveCallable(call->getArg(i), sp);
    return sp;
  }
  if (isMethodCall(call, "weave", "WaitGroup", "go")) {
    sp.kind = SpawnKind::WaitGroupGo;
  } else if (isMethodCall(call, "weave", "ErrGroup", "go") ||
             isMethodCall(call, "weave", "ErrGroup", "try_go")) {
    sp.kind = SpawnKind::ErrGroupGo;
  } else if (const auto* mc = dyn_cast<CXXMemberCallExpr>(call)) {
    // threads.emplace_back([&] { … }): a thread constructed in place in a container.
    const CXXMethodDecl* md = mc->getMethodDecl();
    if (!md || !md->getIdentifier()) return std::nullopt;
    llvm::StringRef n = md->getName();
    if (n != "emplace_back" && n != "emplace" && n != "emplace_front") return std::nullopt;
    QualType elem = elementType(mc->getImplicitObjectArgument()->getType());
    bool thread = isTypeIn(elem, "std", "thread"), jthread = isTypeIn(elem, "std", "jthread");
    if (!thread && !jthread) return std::nullopt;
    const Expr* arg = mc->getArg(0);
    if (isTypeIn(arg->getType(), "std", "thread") || isTypeIn(arg->getType(), "std", "jthread"))
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
