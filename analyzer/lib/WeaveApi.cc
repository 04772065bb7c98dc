// Name-based recognition of declarations (see WeaveApi.h).
#include "lib/WeaveApi.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "lib/Carriers.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint::api {
using namespace clang;

namespace {

const DeclContext* skipInline(const DeclContext* dc) {
  while (dc && dc->isInlineNamespace()) dc = dc->getParent();
  return dc;
}

// True if `dc` is the namespace whose path from the top level is `ns` ("a::b::c").
bool isNamespacePath(const DeclContext* dc, llvm::StringRef ns) {
  llvm::SmallVector<llvm::StringRef, 4> parts;
  ns.split(parts, "::");
  for (size_t i = parts.size(); i-- > 0;) {
    const auto* nd = dyn_cast_or_null<NamespaceDecl>(skipInline(dc));
    if (!nd || !nd->getIdentifier() || nd->getName() != parts[i]) return false;
    dc = nd->getParent();
  }
  dc = skipInline(dc);
  return dc && dc->isTranslationUnit();
}

}  // namespace

bool isDirectlyIn(const Decl* d, llvm::StringRef ns) {
  return d && isNamespacePath(d->getDeclContext(), ns);
}

bool isWithin(const Decl* d, llvm::StringRef ns) {
  if (!d) return false;
  for (const DeclContext* dc = d->getDeclContext(); dc && !dc->isTranslationUnit();
       dc = dc->getParent())
    if (isa<NamespaceDecl>(dc) && isNamespacePath(dc, ns)) return true;
  return false;
}

bool isDeclIn(const NamedDecl* d, llvm::StringRef ns, llvm::StringRef name) {
  if (!d) return false;
  const IdentifierInfo* id = d->getIdentifier();
  return id && id->getName() == name && isDirectlyIn(d, ns);
}

const NamedDecl* typeDecl(QualType t) {
  if (t.isNull()) return nullptr;
  t = t.getNonReferenceType();
  if (const auto* dt = t->getAs<DeducedTemplateSpecializationType>();
      dt && dt->getDeducedType().isNull())
    return dt->getTemplateName().getAsTemplateDecl();
  t = t.getCanonicalType().getUnqualifiedType();
  if (const auto* rd = t->getAsCXXRecordDecl()) {
    if (const auto* spec = dyn_cast<ClassTemplateSpecializationDecl>(rd))
      return spec->getSpecializedTemplate();
    return rd;
  }
  if (const auto* tst = t->getAs<TemplateSpecializationType>())
    return tst->getTemplateName().getAsTemplateDecl();
  return nullptr;
}

bool isTypeIn(QualType t, llvm::StringRef ns, llvm::StringRef name) {
  return isDeclIn(typeDecl(t), ns, name);
}

bool isTypeWithin(QualType t, llvm::StringRef ns) { return isWithin(typeDecl(t), ns); }

llvm::StringRef calleeNameIn(const CallExpr* call, llvm::StringRef ns) {
  if (!call) return {};
  if (const FunctionDecl* fd = call->getDirectCallee()) {
    const IdentifierInfo* id = fd->getIdentifier();
    if (id && isDirectlyIn(fd, ns)) return id->getName();
    return {};
  }
  // In a template a call with dependent arguments keeps the set of candidates its name found.
  const Expr* callee = call->getCallee()->IgnoreParenImpCasts();
  if (const auto* ule = dyn_cast<UnresolvedLookupExpr>(callee)) {
    for (const NamedDecl* d : ule->decls()) {
      const NamedDecl* u = d->getUnderlyingDecl();
      if (const auto* ft = dyn_cast<FunctionTemplateDecl>(u)) u = ft->getTemplatedDecl();
      if (u->getIdentifier() && isDirectlyIn(u, ns)) return u->getIdentifier()->getName();
    }
  }
  return {};
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

llvm::StringRef contextFactory(const CallExpr* call) {
  llvm::StringRef name = calleeNameIn(call, "weave");
  if (name == "with_cancel" || name == "with_timeout" || name == "with_deadline" ||
      name == "with_cancel_cause")
    return name;
  return {};
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

}  // namespace weave::lint::api
