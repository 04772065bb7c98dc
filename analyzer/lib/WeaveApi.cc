// Name-based recognition of weave and std declarations (see WeaveApi.h).
#include "lib/WeaveApi.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"

namespace weave::lint::api {
using namespace clang;

namespace {

bool inTopNamespace(const Decl* d, llvm::StringRef ns) {
  const DeclContext* dc = d->getDeclContext();
  while (dc && dc->isInlineNamespace()) dc = dc->getParent();
  const auto* nd = dyn_cast_or_null<NamespaceDecl>(dc);
  if (!nd || !nd->getIdentifier() || nd->getName() != ns) return false;
  const DeclContext* parent = nd->getParent();
  while (parent && parent->isInlineNamespace()) parent = parent->getParent();
  return parent && parent->isTranslationUnit();
}

}  // namespace

bool isDeclIn(const NamedDecl* d, llvm::StringRef ns, llvm::StringRef name) {
  if (!d) return false;
  const IdentifierInfo* id = d->getIdentifier();
  return id && id->getName() == name && inTopNamespace(d, ns);
}

llvm::StringRef calleeNameIn(const CallExpr* call, llvm::StringRef ns) {
  if (!call) return {};
  if (const FunctionDecl* fd = call->getDirectCallee()) {
    const IdentifierInfo* id = fd->getIdentifier();
    if (id && inTopNamespace(fd, ns)) return id->getName();
    return {};
  }
  // In a template a call with dependent arguments keeps the set of candidates its name found.
  const Expr* callee = call->getCallee()->IgnoreParenImpCasts();
  if (const auto* ule = dyn_cast<UnresolvedLookupExpr>(callee)) {
    for (const NamedDecl* d : ule->decls()) {
      const NamedDecl* u = d->getUnderlyingDecl();
      if (const auto* ft = dyn_cast<FunctionTemplateDecl>(u)) u = ft->getTemplatedDecl();
      if (u->getIdentifier() && inTopNamespace(u, ns)) return u->getIdentifier()->getName();
    }
  }
  return {};
}

llvm::StringRef contextFactory(const CallExpr* call) {
  llvm::StringRef name = calleeNameIn(call, "weave");
  if (name == "with_cancel" || name == "with_timeout" || name == "with_deadline" ||
      name == "with_cancel_cause")
    return name;
  return {};
}

bool isWeaveType(QualType t, llvm::StringRef name) {
  if (t.isNull()) return false;
  t = t.getNonReferenceType().getCanonicalType().getUnqualifiedType();
  if (const auto* rd = t->getAsCXXRecordDecl()) {
    if (const auto* spec = dyn_cast<ClassTemplateSpecializationDecl>(rd))
      return isDeclIn(spec->getSpecializedTemplate(), "weave", name);
    return isDeclIn(rd, "weave", name);
  }
  if (const auto* tst = t->getAs<TemplateSpecializationType>())
    if (const TemplateDecl* td = tst->getTemplateName().getAsTemplateDecl())
      return isDeclIn(td, "weave", name);
  return false;
}

bool isStdIgnore(const Expr* e) {
  if (!e) return false;
  if (const auto* dre = dyn_cast<DeclRefExpr>(e->IgnoreParenImpCasts()))
    return isDeclIn(dre->getDecl(), "std", "ignore");
  return false;
}

std::optional<SelectInfo> selectCall(const Expr* e) {
  const auto* call = dyn_cast_or_null<CallExpr>(ignoreCarriers(e));
  if (!call || !isWeaveCall(call, "select")) return std::nullopt;
  SelectInfo info;
  for (const Expr* arg : call->arguments()) {
    ++info.cases;
    if (const auto* c = dyn_cast<CallExpr>(ignoreCarriers(arg)))
      if (isWeaveCall(c, "otherwise")) info.hasDefault = true;
  }
  return info;
}

const Expr* ignoreCarriers(const Expr* e) {
  while (e) {
    const Expr* next = e->IgnoreParenImpCasts();
    if (const auto* ewc = dyn_cast<ExprWithCleanups>(next)) next = ewc->getSubExpr();
    if (const auto* mte = dyn_cast<MaterializeTemporaryExpr>(next)) next = mte->getSubExpr();
    if (const auto* bte = dyn_cast<CXXBindTemporaryExpr>(next)) next = bte->getSubExpr();
    if (const auto* fce = dyn_cast<CXXFunctionalCastExpr>(next))
      if (fce->getCastKind() == CK_NoOp || fce->getCastKind() == CK_ConstructorConversion)
        next = fce->getSubExpr();
    if (const auto* ce = dyn_cast<CXXConstructExpr>(next))
      if (ce->getNumArgs() == 1 && ce->getConstructor() &&
          (ce->getConstructor()->isCopyOrMoveConstructor()))
        next = ce->getArg(0);
    if (next == e) return e;
    e = next;
  }
  return e;
}

}  // namespace weave::lint::api
