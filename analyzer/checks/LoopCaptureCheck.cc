// weave-loop-capture: a fiber lambda that captures a loop variable by reference. The fiber reads
// the variable while the loop changes it (a data race) and, once the loop has ended, after it is
// gone (a dangling reference). Go 1.22 gave each iteration its own variable; a C++ reference
// capture still shares the one variable of the loop. Fibers joined within the same iteration (a
// wait, join or receive later in the loop body, a std::jthread or std::future local to the body)
// are not reported.
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "lib/Accesses.h"
#include "lib/Carriers.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-loop-capture";

// The variables a loop statement itself declares.
bool isLoopVariable(const Stmt* loop, const VarDecl* v) {
  if (const auto* f = dyn_cast<ForStmt>(loop)) {
    if (f->getConditionVariable() == v) return true;
    if (const auto* ds = dyn_cast_or_null<DeclStmt>(f->getInit()))
      for (const Decl* d : ds->decls())
        if (d == v) return true;
    return false;
  }
  if (const auto* r = dyn_cast<CXXForRangeStmt>(loop)) return r->getLoopVariable() == v;
  if (const auto* w = dyn_cast<WhileStmt>(loop)) return w->getConditionVariable() == v;
  return false;
}

const Stmt* loopBody(const Stmt* loop) {
  if (const auto* f = dyn_cast<ForStmt>(loop)) return f->getBody();
  if (const auto* r = dyn_cast<CXXForRangeStmt>(loop)) return r->getBody();
  if (const auto* w = dyn_cast<WhileStmt>(loop)) return w->getBody();
  if (const auto* d = dyn_cast<DoStmt>(loop)) return d->getBody();
  return nullptr;
}

bool isJoinCall(const Stmt* s) {
  return api::isMethodCall(s, "weave", "WaitGroup", "wait") ||
         api::isMethodCall(s, "weave", "ErrGroup", "wait") ||
         api::isMethodCall(s, "std", "thread", "join") ||
         api::isMethodCall(s, "std", "jthread", "join") ||
         api::isMethodCall(s, "std", "future", "get") ||
         api::isMethodCall(s, "std", "future", "wait") ||
         api::isMethodCall(s, "std", "shared_future", "get") ||
         api::isMethodCall(s, "weave", "Chan", "recv") ||
         api::isMethodCall(s, "weave", "RecvChan", "recv");
}

class LoopCaptureCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      if (!fb.body) return;
      walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
        std::optional<Spawn> sp = spawnAt(s);
        if (!sp || !sp->lambda) return;
        check(*sp, parents);
      });
    });
  }

 private:
  // The fiber ends before the iteration does: a join later in the loop body, or a
  // std::jthread/std::future that lives in the body (its destructor joins).
  bool joinedInIteration(const Spawn& sp, const Stmt* body, llvm::ArrayRef<const Stmt*> parents) {
    const SourceManager& sm = ctx_->getSourceManager();
    bool ownsHandle = (sp.kind == SpawnKind::JThread && isa<CXXConstructExpr>(sp.expr)) ||
                      sp.kind == SpawnKind::Async;
    if (ownsHandle) {
      // Through the nodes that only carry the value: into a local of the body, or discarded.
      const Stmt* child = sp.expr;
      for (size_t i = parents.size(); i-- > 0;) {
        const Stmt* p = parents[i];
        if (isa<DeclStmt, CompoundStmt>(p)) return true;
        if (!carries(p, child) && !isVoidCast(p)) break;
        child = p;
      }
    }
    SourceLocation after = sm.getExpansionLoc(sp.expr->getEndLoc());
    bool joined = false;
    walkBody(body, [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) {
      if (joined || !isJoinCall(n)) return;
      if (sm.isBeforeInTranslationUnit(after, sm.getExpansionLoc(n->getBeginLoc()))) joined = true;
    });
    return joined;
  }

  void check(const Spawn& sp, llvm::ArrayRef<const Stmt*> parents) {
    const LambdaExpr* le = sp.lambda;
    for (const LambdaCapture& c : le->captures()) {
      if (!c.capturesVariable() || c.getCaptureKind() != LCK_ByRef) continue;
      const auto* v = dyn_cast<VarDecl>(c.getCapturedVar());
      // A reference captured by reference refers to what it is bound to, not to the loop's slot.
      if (!v || v->getType()->isReferenceType()) continue;
      const Stmt* loop = nullptr;
      for (size_t i = parents.size(); i-- > 0;)
        if (isLoopVariable(parents[i], v)) {
          loop = parents[i];
          break;
        }
      if (!loop) continue;
      const Stmt* body = loopBody(loop);
      if (!body || !contains(body, sp.expr)) continue;
      if (joinedInIteration(sp, body, parents)) continue;
      report(le, c, v);
    }
  }

  void report(const LambdaExpr* le, const LambdaCapture& c, const VarDecl* v) {
    const SourceManager& sm = ctx_->getSourceManager();
    std::string name = v->getName().str();
    SourceLocation loc = c.isImplicit() ? le->getCaptureDefaultLoc() : c.getLocation();
    Finding f{kName,
              loc,
              "the fiber captures the loop variable '" + name +
                  "' by reference: it races with the loop and outlives the iteration; capture it "
                  "by copy",
              {},
              {}};
    f.notes.push_back({v->getLocation(), "loop variable declared here"});
    // A copy is certain to mean the same only if the fiber never writes the variable.
    bool copyable = !writesTo(le->getBody(), v);
    if (copyable && !loc.isMacroID()) {
      if (c.isImplicit()) {
        f.fixes.push_back(FixItHint::CreateInsertion(le->getCaptureDefaultLoc().getLocWithOffset(1),
                                                     ", " + name));
      } else {
        // `&name` → `name`: drop the ampersand before the name.
        const char* text = sm.getCharacterData(loc);
        const char* buf = sm.getBufferData(sm.getFileID(loc)).data();
        const char* p = text;
        while (p > buf && (p[-1] == ' ' || p[-1] == '\t')) --p;
        if (p > buf && p[-1] == '&') {
          SourceLocation amp = loc.getLocWithOffset(-(text - p) - 1);
          f.fixes.push_back(FixItHint::CreateRemoval(CharSourceRange::getCharRange(amp, loc)));
        }
      }
    }
    out_->report(std::move(f));
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
};

}  // namespace

std::unique_ptr<Check> makeLoopCaptureCheck() { return std::make_unique<LoopCaptureCheck>(); }

}  // namespace weave::lint
