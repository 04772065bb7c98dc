// weave-wg-add-in-fiber: WaitGroup::add called inside the fiber whose completion it counts. The
// spawner's wait() can run before the fiber has started, see a zero counter and return while the
// fiber is still to run: go vet's (and staticcheck's SA2000) rule that Add belongs before `go`.
// An add inside a fiber is fine when it counts a child fiber that the fiber starts after it (the
// fiber itself is then already counted).
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-wg-add-in-fiber";

bool isWgCall(const Stmt* s, llvm::StringRef method) {
  return api::isMethodCall(s, "weave", "WaitGroup", method);
}

const ValueDecl* wgOf(const Stmt* call) { return namedObject(callObject(call)); }

// What one fiber body does with WaitGroups, nested fibers apart.
struct FiberFacts {
  llvm::SmallVector<const CXXMemberCallExpr*, 2> adds;
  llvm::DenseSet<const ValueDecl*> dones;
  // WaitGroups that a nested fiber started here counts (it calls done on them, or is go'd on
  // them), with where that fiber is started.
  llvm::SmallVector<std::pair<const ValueDecl*, const Expr*>, 2> childCounted;
  llvm::SmallVector<const CallExpr*, 4> calls;  // direct calls, to follow into named functions
};

// The WaitGroups a nested fiber body names (it counts itself on them, directly or through the
// functions it passes them to).
void collectCounted(const Stmt* s, llvm::DenseSet<const ValueDecl*>& out) {
  if (!s) return;
  const ValueDecl* d = nullptr;
  if (const auto* dre = dyn_cast<DeclRefExpr>(s)) d = dre->getDecl();
  if (const auto* me = dyn_cast<MemberExpr>(s)) d = me->getMemberDecl();
  if (d) {
    QualType t = d->getType().getNonReferenceType();
    if (t->isPointerType()) t = t->getPointeeType();
    if (api::isTypeIn(t, "weave", "WaitGroup")) out.insert(d);
  }
  // A lambda's children are its captures and its body.
  for (const Stmt* c : s->children()) collectCounted(c, out);
}

void collect(const Stmt* s, FiberFacts& f) {
  if (!s) return;
  if (std::optional<Spawn> sp = spawnAt(s)) {
    llvm::DenseSet<const ValueDecl*> counted;
    if (sp->kind == SpawnKind::WaitGroupGo && sp->group) counted.insert(sp->group);
    if (sp->lambda) collectCounted(sp->lambda->getBody(), counted);
    if (sp->fn) collectCounted(sp->fn->getBody(), counted);
    for (const ValueDecl* w : counted) f.childCounted.push_back({w, sp->expr});
    return;  // a nested fiber: not this body
  }
  if (const auto* mc = dyn_cast<CXXMemberCallExpr>(s)) {
    if (isWgCall(mc, "add")) f.adds.push_back(mc);
    if (isWgCall(mc, "done"))
      if (const ValueDecl* w = wgOf(mc)) f.dones.insert(w);
  }
  if (const auto* call = dyn_cast<CallExpr>(s); call && !isa<CXXMemberCallExpr>(call))
    f.calls.push_back(call);
  // Lambdas that are not fibers (absl::Cleanup's `defer wg.done()`, helpers) are part of the body:
  // a lambda's children are its captures and its body.
  for (const Stmt* c : s->children()) collect(c, f);
}

class WgAddInFiberCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    reported_.clear();
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      if (!fb.body) return;
      walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
        std::optional<Spawn> sp = spawnAt(s);
        if (!sp) return;
        if (sp->lambda) {
          analyzeBody(sp->lambda->getBody(), &*sp, parents, 0);
        } else if (sp->fn && sp->fn->hasBody()) {
          analyzeBody(sp->fn->getBody(), nullptr, {}, 1);
        }
      });
    });
  }

 private:
  // The main file, or a header the front end admits (AnalysisScope.h).
  bool inMainFile(const Decl* d) const { return isAnalysed(d); }

  // `spawn` and `parents` are set for a fiber lambda (for the fix-it); `depth` counts the named
  // functions followed from the fiber body.
  void analyzeBody(const Stmt* body, const Spawn* spawn, llvm::ArrayRef<const Stmt*> parents,
                   int depth) {
    FiberFacts f;
    collect(body, f);
    const SourceManager& sm = ctx_->getSourceManager();
    for (const CXXMemberCallExpr* add : f.adds) {
      const ValueDecl* w = wgOf(add);
      if (!w || !f.dones.count(w)) continue;
      bool forChild = false;
      for (auto& [cw, at] : f.childCounted)
        if (cw == w && sm.isBeforeInTranslationUnit(add->getBeginLoc(), at->getBeginLoc()))
          forChild = true;
      if (forChild || !reported_.insert(add).second) continue;
      Finding fd{kName,
                 add->getBeginLoc(),
                 "WaitGroup::add is called inside the fiber it counts: wait() can return before "
                 "it runs; call add before starting the fiber",
                 {},
                 {}};
      if (spawn) addFix(fd, add, body, *spawn, parents);
      out_->report(std::move(fd));
    }
    // A fiber that calls a function of this file runs that function's body too.
    if (depth >= 2) return;
    for (const CallExpr* call : f.calls) {
      const FunctionDecl* fd = call->getDirectCallee();
      const FunctionDecl* def = nullptr;
      if (fd && fd->hasBody(def) && def && inMainFile(def))
        analyzeBody(def->getBody(), nullptr, {}, depth + 1);
    }
  }

  // Move `wg.add(n);` from the top of the fiber body to right before the statement that starts
  // the fiber, when both are plain statements of a block.
  void addFix(Finding& fd, const CXXMemberCallExpr* add, const Stmt* body, const Spawn& sp,
              llvm::ArrayRef<const Stmt*> parents) {
    const auto* cs = dyn_cast<CompoundStmt>(body);
    if (!cs) return;
    bool direct = false;
    for (const Stmt* st : cs->body())
      if (st == add) direct = true;
    if (!direct) return;
    const Stmt* stmt = nullptr;
    for (size_t i = parents.size(); i-- > 0;) {
      if (isa<CompoundStmt>(parents[i])) {
        stmt = i + 1 < parents.size() ? parents[i + 1] : sp.expr;
        break;
      }
      if (!isa<Expr>(parents[i])) return;
    }
    if (!stmt) return;
    const SourceManager& sm = ctx_->getSourceManager();
    const LangOptions& lo = ctx_->getLangOpts();
    SourceLocation b = add->getBeginLoc(), e = add->getEndLoc(), sb = stmt->getBeginLoc();
    if (b.isMacroID() || e.isMacroID() || sb.isMacroID()) return;
    SourceLocation semi = Lexer::findLocationAfterToken(e, tok::semi, sm, lo, true);
    if (semi.isInvalid()) return;
    std::string text =
        Lexer::getSourceText(CharSourceRange::getTokenRange(b, e), sm, lo).str() + ";";
    std::string indent(sm.getSpellingColumnNumber(sb) - 1, ' ');
    fd.fixes.push_back(FixItHint::CreateInsertion(sb, text + "\n" + indent));
    fd.fixes.push_back(FixItHint::CreateRemoval(CharSourceRange::getCharRange(b, semi)));
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
  llvm::DenseSet<const Stmt*> reported_;
};

}  // namespace

std::unique_ptr<Check> makeWgAddInFiberCheck() { return std::make_unique<WgAddInFiberCheck>(); }

}  // namespace weave::lint
