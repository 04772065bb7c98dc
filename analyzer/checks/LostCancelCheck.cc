// weave-lost-cancel: go vet's lostcancel for weave contexts. The cancel function of
// with_cancel/with_timeout/with_deadline/with_cancel_cause must be used (called, deferred through
// absl::Cleanup, captured, passed, stored or returned) on every path from where it is bound to a
// return; a cancel function that is dropped on the spot is reported at once.
#include <optional>
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "lib/Carriers.h"
#include "lib/CfgPaths.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/FunctionWalker.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-lost-cancel";

// What the code does with the pair a factory returned.
struct Binding {
  enum Kind { Discard, Track, Escape } kind = Escape;
  const ValueDecl* var = nullptr;  // Track: the variable that holds the cancel function
  bool pairVar = false;            // Track: `var` holds the whole pair; only .second matters
  const Stmt* defStmt = nullptr;   // Track: the statement that binds it
};

// std::get<I>(pair): 1 for the cancel function, 0 for the context, -1 if unknown.
int getIndex(const CallExpr* call) {
  const FunctionDecl* fd = call->getDirectCallee();
  const TemplateArgumentList* args = fd ? fd->getTemplateSpecializationArgs() : nullptr;
  if (!args || args->size() == 0) return -1;
  const TemplateArgument& a = args->get(0);
  if (a.getKind() == TemplateArgument::Integral) return a.getAsIntegral().getExtValue() == 1;
  if (a.getKind() == TemplateArgument::Type)
    return api::isWeaveType(a.getAsType(), "CancelFunc") ||
           api::isWeaveType(a.getAsType(), "CancelCauseFunc");
  return -1;
}

// `.first` / `.second`, also on a pair whose type still depends on a template parameter.
std::optional<std::string> memberName(const Stmt* s) {
  if (const auto* me = dyn_cast<MemberExpr>(s)) return me->getMemberDecl()->getNameAsString();
  if (const auto* dm = dyn_cast<CXXDependentScopeMemberExpr>(s))
    return dm->getMember().getAsString();
  return std::nullopt;
}

class LostCancelCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    includeOffered_.clear();
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) { analyze(fb); });
  }

 private:
  bool isLocal(const ValueDecl* v, const FunctionBody& fb) const {
    const DeclContext* dc = nullptr;
    if (const auto* vd = dyn_cast<VarDecl>(v)) {
      if (!vd->hasLocalStorage() || vd->getType()->isReferenceType()) return false;
      dc = vd->getDeclContext();
    } else if (const auto* bd = dyn_cast<BindingDecl>(v)) {
      dc = bd->getDeclContext();
    } else {
      return false;
    }
    while (dc && !dc->isFunctionOrMethod()) dc = dc->getParent();
    return dc == fb.decl;
  }

  // The full statement that contains parents[i]: the enclosing DeclStmt or full expression.
  static const Stmt* fullStmt(llvm::ArrayRef<const Stmt*> parents, size_t i, const Stmt* self) {
    const Stmt* cur = self;
    for (size_t j = i + 1; j-- > 0;) {
      const Stmt* p = parents[j];
      if (isa<DeclStmt>(p)) return p;
      if (!isa<Expr>(p)) return cur;
      cur = p;
    }
    return cur;
  }

  Binding classify(const CallExpr* call, llvm::ArrayRef<const Stmt*> parents,
                   const FunctionBody& fb) const {
    const Stmt* child = call;
    bool holdsPair = true;
    for (size_t i = parents.size(); i-- > 0;) {
      const Stmt* p = parents[i];
      if (carries(p, child)) {
        child = p;
        continue;
      }
      if (std::optional<std::string> member = memberName(p)) {
        if (!holdsPair) return {};
        llvm::StringRef m = *member;
        if (m == "first") return {Binding::Discard};
        if (m != "second") return {};
        holdsPair = false;
        child = p;
        continue;
      }
      if (const auto* c = dyn_cast<CallExpr>(p); c && holdsPair && api::isStdCall(c, "get")) {
        int idx = getIndex(c);
        if (idx == 0) return {Binding::Discard};
        if (idx != 1) return {};
        holdsPair = false;
        child = p;
        continue;
      }
      if (const auto* ds = dyn_cast<DeclStmt>(p)) {
        for (const Decl* d : ds->decls()) {
          const auto* vd = dyn_cast<VarDecl>(d);
          if (!vd || !vd->getInit() || !contains(vd->getInit(), call)) continue;
          if (const auto* dd = dyn_cast<DecompositionDecl>(vd)) {
            if (!holdsPair || dd->bindings().size() < 2) return {};
            return {Binding::Track, dd->bindings()[1], false, ds};
          }
          // A reference to the temporary extends its lifetime: it is the variable that holds it.
          if (!vd->hasLocalStorage()) return {};
          return {Binding::Track, vd, holdsPair, ds};
        }
        return {};
      }
      const Expr* lhs = nullptr;
      if (const auto* op = dyn_cast<CXXOperatorCallExpr>(p);
          op && op->getOperator() == OO_Equal && op->getNumArgs() == 2 && op->getArg(1) == child)
        lhs = op->getArg(0);
      if (const auto* bo = dyn_cast<BinaryOperator>(p);
          bo && bo->getOpcode() == BO_Assign && bo->getRHS() == child)
        lhs = bo->getLHS();
      if (lhs) {
        const Stmt* def = fullStmt(parents, i, p);
        lhs = ignoreCarriers(lhs);
        if (const auto* tie = dyn_cast<CallExpr>(lhs);
            tie && holdsPair && api::isStdCall(tie, "tie") && tie->getNumArgs() >= 2) {
          const Expr* second = ignoreCarriers(tie->getArg(1));
          if (api::isStdIgnore(second)) return {Binding::Discard};
          if (const auto* dre = dyn_cast<DeclRefExpr>(second); dre && isLocal(dre->getDecl(), fb))
            return {Binding::Track, dre->getDecl(), false, def};
          return {};
        }
        if (const auto* dre = dyn_cast<DeclRefExpr>(lhs); dre && isLocal(dre->getDecl(), fb))
          return {Binding::Track, dre->getDecl(), holdsPair, def};
        return {};
      }
      if (const auto* cast = dyn_cast<ExplicitCastExpr>(p))
        return cast->getTypeAsWritten()->isVoidType() ? Binding{Binding::Discard} : Binding{};
      if (isa<ReturnStmt, CoreturnStmt>(p) || isa<Expr>(p)) return {};
      // A statement whose value nobody reads.
      return {Binding::Discard};
    }
    return {Binding::Discard};
  }

  // The references to `var` that use the cancel function. For a variable holding the whole pair,
  // reading only .first (or std::get<0>) does not.
  llvm::DenseSet<const Stmt*> usesOf(const Binding& b, const FunctionBody& fb) const {
    llvm::DenseSet<const Stmt*> uses;
    walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      if (const auto* le = dyn_cast<LambdaExpr>(s)) {
        if (mentions(le, b.var)) uses.insert(le);
        return;
      }
      const auto* dre = dyn_cast<DeclRefExpr>(s);
      if (!dre || dre->getDecl() != b.var) return;
      // sizeof(cancel) or decltype(cancel) names the variable without touching it.
      for (const Stmt* p : parents)
        if (isa<UnaryExprOrTypeTraitExpr, CXXNoexceptExpr>(p)) return;
      if (b.pairVar) {
        size_t i = parents.size();
        while (i > 0 && carries(parents[i - 1], i < parents.size() ? parents[i] : dre)) --i;
        if (i > 0) {
          if (memberName(parents[i - 1]) == "first") return;
          if (const auto* c = dyn_cast<CallExpr>(parents[i - 1]);
              c && api::isStdCall(c, "get") && getIndex(c) == 0)
            return;
        }
      }
      uses.insert(dre);
    });
    return uses;
  }

  void analyze(const FunctionBody& fb) {
    if (fb.isMain() || !fb.body) return;
    std::unique_ptr<FunctionCfg> cfg;
    bool cfgBuilt = false;
    walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      const auto* call = dyn_cast<CallExpr>(s);
      if (!call) return;
      llvm::StringRef factory = api::contextFactory(call);
      if (factory.empty()) return;
      Binding b = classify(call, parents, fb);
      if (b.kind == Binding::Discard) {
        out_->report({kName,
                      call->getBeginLoc(),
                      "the cancel function returned by weave::" + factory.str() +
                          " should be called, not discarded, to avoid a context leak",
                      {},
                      {}});
        return;
      }
      if (b.kind != Binding::Track) return;
      if (!cfgBuilt) {
        cfg = FunctionCfg::build(fb.decl, fb.body, *ctx_);
        cfgBuilt = true;
      }
      if (!cfg) return;
      std::optional<CfgPoint> at = cfg->find(call);
      if (!at) return;  // unreachable code
      if (deferredByReference(b, fb)) return;
      llvm::DenseSet<const Stmt*> uses = usesOf(b, fb);
      llvm::DenseSet<const Stmt*> def;
      walkBody(b.defStmt, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) { def.insert(n); });
      auto usesIn = [&](const Stmt* st) {
        if (def.count(st)) return false;
        bool found = false;
        walkBody(st, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
          found = found || (uses.count(n) && !def.count(n));
        });
        return found;
      };
      std::optional<PathExit> exit = cfg->findUnstoppedExit(*at, usesIn);
      if (!exit) return;
      reportLost(call, b, *exit, fb, parents);
    });
  }

  // `CancelFunc cancel; absl::Cleanup c = [&] { cancel(); }; … cancel = …;`: a Cleanup that
  // captures the variable by reference, declared in a block around the binding and before it,
  // calls whatever the variable holds when the block is left — on every path. (A Cleanup that is
  // cancelled somewhere proves nothing.)
  bool deferredByReference(const Binding& b, const FunctionBody& fb) const {
    const SourceManager& sm = ctx_->getSourceManager();
    bool found = false;
    walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      const auto* ds = dyn_cast<DeclStmt>(s);
      if (found || !ds || parents.empty()) return;
      for (const Decl* d : ds->decls()) {
        const auto* vd = dyn_cast<VarDecl>(d);
        if (!vd || !vd->getInit() || !api::isTypeIn(vd->getType(), "absl", "Cleanup")) continue;
        const auto* le = dyn_cast<LambdaExpr>(ignoreCarriers(vd->getInit()));
        if (!le || !capturesByReference(le, b.var)) continue;
        if (!contains(parents.back(), b.defStmt) ||
            !sm.isBeforeInTranslationUnit(ds->getEndLoc(), b.defStmt->getBeginLoc()))
          continue;
        if (!cancelled(vd, fb)) found = true;
      }
    });
    return found;
  }

  static bool capturesByReference(const LambdaExpr* le, const ValueDecl* v) {
    for (const LambdaCapture& c : le->captures())
      if (c.capturesVariable() && c.getCapturedVar() == v && c.getCaptureKind() == LCK_ByRef)
        return true;
    return false;
  }

  // `std::move(c).Cancel()` anywhere in the function.
  static bool cancelled(const VarDecl* cleanup, const FunctionBody& fb) {
    bool found = false;
    walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
      const auto* mc = dyn_cast<CXXMemberCallExpr>(s);
      if (!mc || !mc->getMethodDecl() || !mc->getMethodDecl()->getIdentifier() ||
          mc->getMethodDecl()->getName() != "Cancel")
        return;
      if (objectKey(mc->getImplicitObjectArgument()) == cleanup) found = true;
    });
    return found;
  }

  void reportLost(const CallExpr* call, const Binding& b, const PathExit& exit,
                  const FunctionBody& fb, llvm::ArrayRef<const Stmt*> parents) {
    const SourceManager& sm = ctx_->getSourceManager();
    std::string name = b.var->getName().str();
    std::string what = b.pairVar ? "cancel function in " + name : name + " function";
    std::string varDesc = b.pairVar ? name + ".second" : name;
    unsigned line = sm.getExpansionLineNumber(call->getBeginLoc());
    Finding f{kName,
              call->getBeginLoc(),
              "the " + what + " is not used on all paths (possible context leak)",
              {},
              {}};
    std::string tail = " may be reached without using the " + varDesc + " var defined on line " +
                       std::to_string(line);
    if (exit.ret)
      f.notes.push_back({exit.ret->getBeginLoc(), "this return statement" + tail});
    else
      f.notes.push_back({fb.endLoc(), "the end of the function" + tail});
    addFix(f, call, b, parents);
    out_->report(std::move(f));
  }

  // Go's `defer cancel()`: an absl::Cleanup right after the statement that binds the variable.
  void addFix(Finding& f, const CallExpr* call, const Binding& b,
              llvm::ArrayRef<const Stmt*> parents) {
    const SourceManager& sm = ctx_->getSourceManager();
    const LangOptions& lo = ctx_->getLangOpts();
    const Stmt* def = b.defStmt;
    // Only a statement of a block has a "next line" in the same scope.
    const Stmt* parent = nullptr;
    for (size_t i = 1; i < parents.size(); ++i)
      if (parents[i] == def) parent = parents[i - 1];
    if (!parent || !isa<CompoundStmt>(parent)) return;
    SourceLocation begin = def->getBeginLoc(), end = def->getEndLoc();
    if (begin.isMacroID() || end.isMacroID()) return;
    SourceLocation after;
    Token tok;
    if (!Lexer::getRawToken(end, tok, sm, lo) && tok.is(tok::semi))
      after = Lexer::getLocForEndOfToken(end, 0, sm, lo);
    else
      after = Lexer::findLocationAfterToken(end, tok::semi, sm, lo, false);
    if (after.isInvalid()) return;
    std::string name = b.var->getName().str();
    std::string cancelExpr = b.pairVar ? name + ".second" : name;
    bool cause = api::contextFactory(call) == "with_cancel_cause";
    std::string init = cause ? "[&] { " + cancelExpr + "(absl::OkStatus()); }" : cancelExpr;
    std::string indent(sm.getSpellingColumnNumber(begin) - 1, ' ');
    std::string deferName = "defer_" + (b.pairVar ? std::string("cancel") : name);
    f.fixes.push_back(FixItHint::CreateInsertion(
        after, "\n" + indent + "absl::Cleanup " + deferName + " = " + init + ";"));
    // The include goes into the file that gets the Cleanup (a header, when headers are analysed).
    FileID file = sm.getFileID(after);
    if (!cleanupDeclared() && includeOffered_.insert(file).second) {
      f.fixes.push_back(FixItHint::CreateInsertion(includeLocation(file),
                                                   "#include \"absl/cleanup/cleanup.h\"\n"));
    }
  }

  bool cleanupDeclared() const {
    auto& idents = ctx_->Idents;
    for (const NamedDecl* d : ctx_->getTranslationUnitDecl()->lookup(&idents.get("absl")))
      if (const auto* ns = dyn_cast<NamespaceDecl>(d))
        if (!ns->lookup(&idents.get("Cleanup")).empty()) return true;
    return false;
  }

  // Before the file's first #include, so the new include joins the others.
  SourceLocation includeLocation(FileID fid) const {
    const SourceManager& sm = ctx_->getSourceManager();
    llvm::StringRef text = sm.getBufferData(fid);
    size_t pos = 0;
    while (pos < text.size()) {
      llvm::StringRef line = text.substr(pos).split('\n').first;
      if (line.ltrim().starts_with("#include")) break;
      pos += line.size() + 1;
    }
    if (pos >= text.size()) pos = 0;
    return sm.getLocForStartOfFile(fid).getLocWithOffset(pos);
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
  llvm::DenseSet<FileID> includeOffered_;
};

}  // namespace

std::unique_ptr<Check> makeLostCancelCheck() { return std::make_unique<LostCancelCheck>(); }

}  // namespace weave::lint
