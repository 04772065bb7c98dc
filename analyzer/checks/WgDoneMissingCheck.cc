// weave-wg-done-missing: a fiber counted by a WaitGroup — its spawner calls wg.add() and the fiber
// calls wg.done() — that can finish on some path without calling done(): an early return, an
// error branch, a throw. The counter never reaches zero and wg.wait() never returns.
//
// done() counts when the fiber calls it, when an absl::Cleanup whose lambda calls it is declared,
// or when it calls a function of this file that calls it on every path (the WaitGroup passed by
// reference or pointer, or reached through `this`); a function that calls it on some paths only
// is checked the same way, and its own paths are reported. WaitGroup::go counts and calls done()
// itself and is never reported. Only a WaitGroup that some code of the file waits on, a fiber
// whose done() is not in a loop (a fiber that counts several units), and fibers started with a
// lambda are judged.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "lib/Carriers.h"
#include "lib/CfgPaths.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/LockFlow.h"
#include "lib/WeaveApi.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-wg-done-missing";

bool isLoop(const Stmt* s) { return isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(s); }

// What a function does with done() on one WaitGroup.
struct DoneInfo {
  bool any = false;     // some path calls it
  bool all = false;     // every path out calls it
  bool looped = false;  // it is called in a loop: the function counts several units
};

class WgDoneMissingCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    ctx_ = &ctx;
    out_ = &out;
    LockModel model(ctx);
    model_ = &model;
    struct Spawned {
      const FunctionBody* spawner;
      const LambdaExpr* lambda;
    };
    std::vector<FunctionBody> bodies;
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      if (fb.body) bodies.push_back(fb);
    });
    // Per body, the WaitGroups it adds to (the first add of each), and the fibers it starts.
    std::map<const FunctionBody*, std::vector<std::pair<LockPath, const Stmt*>>> adds;
    std::vector<Spawned> spawns;
    for (const FunctionBody& fb : bodies)
      walkBody(fb.body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*>) {
        bool wait = api::isMethodCall(s, "weave", "WaitGroup", "wait");
        if (wait || api::isMethodCall(s, "weave", "WaitGroup", "add")) {
          std::optional<LockPath> p = objectPath(callObject(s));
          if (!p || !p->decl()) return;
          if (wait) {
            waits_.try_emplace(p->decl(), s);
            return;
          }
          auto& mine = adds[&fb];
          if (std::none_of(mine.begin(), mine.end(), [&](const auto& a) { return a.first == *p; }))
            mine.push_back({*p, s});
        }
        if (std::optional<Spawn> sp = spawnAt(s); sp && sp->lambda &&
                                                  sp->kind != SpawnKind::WaitGroupGo &&
                                                  sp->kind != SpawnKind::ErrGroupGo)
          spawns.push_back({&fb, sp->lambda});
      });
    for (const Spawned& sp : spawns) {
      auto it = adds.find(sp.spawner);
      if (it == adds.end()) continue;
      // The WaitGroup as the spawner (and so its lambdas) names it.
      for (const auto& [path, add] : it->second) {
        const ValueDecl* wg = path.decl();
        if (!waits_.count(wg)) continue;
        const FunctionDecl* fiber = sp.lambda->getCallOperator();
        const DoneInfo& d = doneInfo(fiber, path);
        if (!d.any || d.all || d.looped) continue;  // not counted by it, or always done
        reportPaths(fiber, path, wg, add, /*isFiber=*/true);
      }
    }
    memo_.clear();
    reported_.clear();
    waits_.clear();
  }

 private:
  using Key = std::pair<const FunctionDecl*, LockPath>;

  bool isDone(const Stmt* s, const LockPath& wg) const {
    if (!api::isMethodCall(s, "weave", "WaitGroup", "done")) return false;
    std::optional<LockPath> p = objectPath(callObject(s));
    return p && *p == wg;
  }

  // An absl::Cleanup whose lambda calls done() on the WaitGroup.
  bool isDoneCleanup(const Stmt* s, const LockPath& wg) const {
    const auto* ds = dyn_cast<DeclStmt>(s);
    if (!ds) return false;
    for (const Decl* d : ds->decls()) {
      const auto* vd = dyn_cast<VarDecl>(d);
      if (!vd || !vd->getInit() || !api::isTypeIn(vd->getType(), "absl", "Cleanup")) continue;
      const auto* le = dyn_cast<LambdaExpr>(ignoreCarriers(vd->getInit())->IgnoreParenImpCasts());
      if (!le) continue;
      bool found = false;
      walkBody(le->getBody(),
               [&](const Stmt* n, llvm::ArrayRef<const Stmt*>) { found = found || isDone(n, wg); });
      if (found) return true;
    }
    return false;
  }

  // The callee's name for the WaitGroup the caller calls `wg`, if the call passes it.
  std::optional<LockPath> inCallee(const Callee& c, const LockPath& wg) const {
    std::vector<LockPath> candidates;
    for (const ParmVarDecl* p : c.fn->parameters())
      candidates.push_back(LockPath{p->getCanonicalDecl(), {}});
    if (wg.root == LockPath::thisRoot() || !wg.known() ||
        !isa<ParmVarDecl>(static_cast<const Decl*>(wg.root)))
      candidates.push_back(wg);
    if (c.tr.self == Translation::This::Object && c.tr.object.root == wg.root) {
      // A method called on an object whose WaitGroup field it is: `this->wg_` inside.
      LockPath inside{LockPath::thisRoot(), {}};
      for (size_t i = c.tr.object.fields.size(); i < wg.fields.size(); ++i)
        inside.fields.push_back(wg.fields[i]);
      candidates.push_back(inside);
    }
    for (const LockPath& cand : candidates)
      if (c.tr.apply(cand) == wg) return cand;
    return std::nullopt;
  }

  // The statements that call done() (or hand it to something that does) for a path walk.
  bool stops(const Stmt* s, const LockPath& wg, bool lenient) {
    if (isDone(s, wg) || isDoneCleanup(s, wg)) return true;
    if (!isa<CallExpr>(s)) return false;
    for (const Callee& c : model_->callees(s))
      if (std::optional<LockPath> p = inCallee(c, wg)) {
        const DoneInfo& d = doneInfo(c.fn, *p);
        if (d.all || (lenient && d.any)) return true;
      }
    return false;
  }

  const DoneInfo& doneInfo(const FunctionDecl* fd, const LockPath& wg) {
    Key key{fd, wg};
    auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    DoneInfo& info = memo_[key];  // a recursive call sees "no done()"
    walkBody(fd->getBody(), [&](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
      if (!isDone(s, wg) && !isDoneCleanup(s, wg) && !(isa<CallExpr>(s) && stops(s, wg, true)))
        return;
      info.any = true;
      if (isDone(s, wg))
        for (const Stmt* p : parents) info.looped = info.looped || isLoop(p);
    });
    if (!info.any) return info;
    std::unique_ptr<FunctionCfg> cfg = FunctionCfg::build(fd, fd->getBody(), *ctx_);
    if (!cfg) {
      info.all = true;  // cannot tell: say nothing
      return info;
    }
    bool leaks = false;
    cfg->walkPaths(
        cfg->entry(), [&](const Stmt* s) { return stops(s, wg, false); },
        [&](const PathExit&) {
          leaks = true;
          return true;
        },
        /*throwsExit=*/true);
    DoneInfo& again = memo_[key];
    again.all = !leaks;
    return again;
  }

  static SourceLocation closingBrace(const FunctionDecl* fd) {
    if (const auto* cs = dyn_cast<CompoundStmt>(fd->getBody())) return cs->getRBracLoc();
    return fd->getBody()->getEndLoc();
  }

  // Reports the ways out of `fd` that skip done(), and those of the helpers it leaves it to.
  void reportPaths(const FunctionDecl* fd, const LockPath& wg, const ValueDecl* group,
                   const Stmt* add, bool isFiber) {
    if (!reported_.insert(Key{fd, wg}).second) return;
    std::unique_ptr<FunctionCfg> cfg = FunctionCfg::build(fd, fd->getBody(), *ctx_);
    if (!cfg) return;
    std::string name = "'" + group->getNameAsString() + "'";
    std::set<const Stmt*> helpers;
    cfg->walkPaths(
        cfg->entry(),
        [&](const Stmt* s) {
          if (!stops(s, wg, true)) return false;
          if (!stops(s, wg, false)) helpers.insert(s);
          return true;
        },
        [&](const PathExit& e) {
          SourceLocation at = e.thrown ? e.thrown->getBeginLoc()
                              : e.ret  ? e.ret->getBeginLoc()
                                       : closingBrace(fd);
          std::string what = isFiber ? "the fiber" : "'" + fd->getNameAsString() + "'";
          std::string how = e.thrown ? "this throw leaves " + what
                            : e.ret  ? "this return leaves " + what
                                     : what + " can end here";
          Finding f{kName,
                    at,
                    how + " without calling done() on " + name + ", which counts the fiber: " +
                        group->getNameAsString() + ".wait() never returns (deadlock)",
                    {},
                    {}};
          f.notes.push_back({add->getBeginLoc(), name + " counts the fiber here"});
          if (const Stmt* w = waits_.lookup(group))
            f.notes.push_back({w->getBeginLoc(), "this wait never returns"});
          out_->report(std::move(f));
          return false;
        },
        /*throwsExit=*/true);
    // Helpers that call done() on some of their paths: their own paths that skip it.
    for (const Stmt* call : helpers)
      for (const Callee& c : model_->callees(call))
        if (std::optional<LockPath> p = inCallee(c, wg)) {
          const DoneInfo& d = doneInfo(c.fn, *p);
          if (d.any && !d.all && !d.looped) reportPaths(c.fn, *p, group, add, false);
        }
  }

  ASTContext* ctx_ = nullptr;
  Reporter* out_ = nullptr;
  LockModel* model_ = nullptr;
  std::map<Key, DoneInfo> memo_;
  std::set<Key> reported_;
  llvm::DenseMap<const ValueDecl*, const Stmt*> waits_;
};

}  // namespace

std::unique_ptr<Check> makeWgDoneMissingCheck() { return std::make_unique<WgDoneMissingCheck>(); }

}  // namespace weave::lint
