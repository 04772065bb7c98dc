// The TU traversal that finds function bodies in the analysed files, and body-local walks.
#include "lib/FunctionWalker.h"

#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "lib/AnalysisScope.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint {
using namespace clang;

bool FunctionBody::isMain() const { return !lambda && decl && decl->isMain(); }

SourceLocation FunctionBody::endLoc() const {
  if (const auto* cs = dyn_cast_or_null<CompoundStmt>(body)) return cs->getRBracLoc();
  return body ? body->getEndLoc() : SourceLocation();
}

namespace {

class BodyFinder : public RecursiveASTVisitor<BodyFinder> {
 public:
  BodyFinder(ASTContext& ctx, llvm::function_ref<void(const FunctionBody&)> visit)
      : sm_(ctx.getSourceManager()), visit_(visit) {}

  // Declarations from headers that are not analysed (AnalysisScope.h) are skipped whole: not
  // walking the standard library is most of what keeps the analysis cheap.
  bool TraverseDecl(Decl* d) {
    if (!d) return true;
    if (!isa<TranslationUnitDecl>(d)) {
      SourceLocation loc = d->getLocation();
      if (loc.isValid() && !isAnalysed(sm_, loc)) return true;
    }
    return RecursiveASTVisitor::TraverseDecl(d);
  }

  bool VisitFunctionDecl(FunctionDecl* fd) {
    if (!fd->doesThisDeclarationHaveABody() || fd->isImplicit()) return true;
    if (fd->isTemplateInstantiation()) return true;
    if (const auto* md = dyn_cast<CXXMethodDecl>(fd))
      if (md->getParent()->isLambda()) return true;  // seen through its LambdaExpr
    visit_(FunctionBody{fd, fd->getBody(), nullptr});
    return true;
  }

  bool VisitLambdaExpr(LambdaExpr* le) {
    if (const FunctionDecl* op = le->getCallOperator()) visit_(FunctionBody{op, le->getBody(), le});
    return true;
  }

 private:
  SourceManager& sm_;
  llvm::function_ref<void(const FunctionBody&)> visit_;
};

void walk(const Stmt* s, llvm::SmallVectorImpl<const Stmt*>& parents,
          llvm::function_ref<void(const Stmt*, llvm::ArrayRef<const Stmt*>)> visit) {
  if (!s) return;
  visit(s, parents);
  parents.push_back(s);
  if (const auto* le = dyn_cast<LambdaExpr>(s)) {
    for (const Expr* init : le->capture_inits()) walk(init, parents, visit);
  } else {
    for (const Stmt* child : s->children()) walk(child, parents, visit);
  }
  parents.pop_back();
}

}  // namespace

void forEachFunctionBody(ASTContext& ctx, llvm::function_ref<void(const FunctionBody&)> visit) {
  BodyFinder finder(ctx, visit);
  finder.TraverseDecl(ctx.getTranslationUnitDecl());
}

void walkBody(const Stmt* body,
              llvm::function_ref<void(const Stmt*, llvm::ArrayRef<const Stmt*>)> visit) {
  llvm::SmallVector<const Stmt*, 32> parents;
  walk(body, parents, visit);
}

bool mentions(const Stmt* s, const ValueDecl* d) {
  if (!s) return false;
  if (const auto* dre = dyn_cast<DeclRefExpr>(s))
    if (dre->getDecl() == d) return true;
  if (const auto* le = dyn_cast<LambdaExpr>(s)) {
    for (const LambdaCapture& c : le->captures())
      if (c.capturesVariable() && c.getCapturedVar() == d) return true;
    for (const Expr* init : le->capture_inits())
      if (mentions(init, d)) return true;
    return mentions(le->getBody(), d);
  }
  for (const Stmt* child : s->children())
    if (mentions(child, d)) return true;
  return false;
}

bool contains(const Stmt* outer, const Stmt* inner) {
  if (!outer) return false;
  if (outer == inner) return true;
  for (const Stmt* child : outer->children())
    if (contains(child, inner)) return true;
  return false;
}

}  // namespace weave::lint
