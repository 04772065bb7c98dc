// Unit tests of the analysis library (analyzer/lib/): FunctionCfg's path questions, ChanFlow's
// channel classes and Lockset's must-held mutexes, asked of small programs parsed from strings
// against the real weave headers. They test what the library answers, through its public API
// only, so the library's insides can change under them.
#include <gtest/gtest.h>

#include <memory>

#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Tooling/Tooling.h"
#include "lib/CfgPaths.h"
#include "lib/ChanFlow.h"
#include "lib/Lockset.h"
#include "support.h"

namespace weave::lint::testing {
namespace {
using namespace clang;

// A parsed program and ways to point into it: a function by name, a statement by its line.
class Program {
 public:
  explicit Program(const std::string& code) {
    std::vector<std::string> args = {"-std=c++20", "-I" + sourceDir() + "/runtime/include",
                                     "-resource-dir=" WEAVE_CLANG_RESOURCE_DIR,
                                     "-Wno-unused-value"};
    std::string pch = weavePch();
    if (!pch.empty()) args.insert(args.end(), {"-include-pch", pch});
    unit_ = tooling::buildASTFromCodeWithArgs(code, args, "input.cc");
  }
  bool ok() const { return unit_ && !unit_->getDiagnostics().hasErrorOccurred(); }
  ASTContext& ctx() { return unit_->getASTContext(); }

  const FunctionDecl* function(const std::string& name) {
    for (const Decl* d : ctx().getTranslationUnitDecl()->decls())
      if (const auto* fd = dyn_cast<FunctionDecl>(d);
          fd && fd->getNameAsString() == name && fd->hasBody())
        return fd;
    ADD_FAILURE() << "no function " << name;
    return nullptr;
  }

  // The outermost statement of kind T (a CallExpr, a BinaryOperator, …) that starts on `line`,
  // anywhere in the file (lambda bodies included).
  template <typename T>
  const T* at(unsigned line) {
    const T* found = nullptr;
    Finder<T> f(ctx().getSourceManager(), line, found);
    f.TraverseDecl(ctx().getTranslationUnitDecl());
    if (!found) ADD_FAILURE() << "nothing of that kind on line " << line;
    return found;
  }

  unsigned lineOf(const Stmt* s) {
    const SourceManager& sm = ctx().getSourceManager();
    return sm.getSpellingLineNumber(s->getBeginLoc());
  }

 private:
  template <typename T>
  struct Finder : RecursiveASTVisitor<Finder<T>> {
    Finder(const SourceManager& sm, unsigned line, const T*& out) : sm(sm), line(line), out(out) {}
    bool shouldVisitLambdaBody() const { return true; }
    bool VisitStmt(Stmt* s) {
      if (!out && isa<T>(s) && sm.isWrittenInMainFile(s->getBeginLoc()) &&
          sm.getSpellingLineNumber(s->getBeginLoc()) == line)
        out = cast<T>(s);
      return true;
    }
    const SourceManager& sm;
    unsigned line;
    const T*& out;
  };
  std::unique_ptr<ASTUnit> unit_;
};

// ---- FunctionCfg ------------------------------------------------------------------------------

// Is there a path from the statement on `fromLine` to an exit of `fn` that calls none of `stops`?
// The exit it reaches, as the line of its return (0: falling off the end), or -1 for none.
int unstoppedExit(Program& p, const std::string& fn, unsigned fromLine,
                  std::set<std::string> stops) {
  const FunctionDecl* f = p.function(fn);
  if (!f) return -2;
  auto cfg = FunctionCfg::build(f, f->getBody(), p.ctx());
  if (!cfg) return -2;
  const Stmt* from = p.at<DeclStmt>(fromLine);
  std::optional<CfgPoint> point = from ? cfg->find(from) : std::nullopt;
  if (!point) {
    ADD_FAILURE() << "line " << fromLine << " is not reachable code of " << fn;
    return -2;
  }
  std::optional<PathExit> exit = cfg->findUnstoppedExit(*point, [&](const Stmt* s) {
    const auto* call = dyn_cast<CallExpr>(s);
    const FunctionDecl* callee = call ? call->getDirectCallee() : nullptr;
    return callee && stops.count(callee->getNameAsString());
  });
  if (!exit) return -1;
  return exit->ret ? static_cast<int>(p.lineOf(exit->ret)) : 0;
}

const char* kPaths = R"(#include <weave/weave.h>
void use();
void other();
[[noreturn]] void die();
void may_return();
void branches(bool c) {
  int x = 0;
  if (c) {
    use();
    return;
  }
  other();
}
void early_return(bool c) {
  int x = 0;
  if (c) return;
  use();
}
void noreturn_ends_paths(bool c) {
  int x = 0;
  if (c) die();
  use();
}
void plain_call_does_not(bool c) {
  int x = 0;
  if (c) may_return();
  else use();
}
void throw_ends_paths(bool c) {
  int x = 0;
  if (c) throw 1;
  use();
}
void endless_loop() {
  int x = 0;
  for (;;) {
  }
}
void exhaustive_select(weave::Chan<int> a, weave::Chan<int> b) {
  int x = 0;
  switch (weave::select(weave::recv(a), weave::recv(b))) {
    case 0: use(); break;
    case 1: use(); break;
  }
}
void select_with_otherwise(weave::Chan<int> a) {
  int x = 0;
  switch (weave::select(weave::recv(a), weave::otherwise())) {
    case 0: use(); break;
  }
}
void catch_is_reachable() {
  int x = 0;
  try {
    other();
    use();
  } catch (...) {
  }
}
void dead_code() {
  return;
  int x = 0;
}
)";

TEST(LintLibCfgPaths, PathsToExitsThatSkipAStatement) {
  Program p(kPaths);
  ASSERT_TRUE(p.ok());
  // The else path falls off the end (0) without use(); stopping at other() too closes it.
  EXPECT_EQ(unstoppedExit(p, "branches", 7, {"use"}), 0);
  EXPECT_EQ(unstoppedExit(p, "branches", 7, {"use", "other"}), -1);
  // The early return is the exit found (its line), whichever path is walked first.
  EXPECT_EQ(unstoppedExit(p, "early_return", 15, {"use"}), 16);
}

TEST(LintLibCfgPaths, NoreturnThrowAndEndlessLoopsEndPaths) {
  Program p(kPaths);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(unstoppedExit(p, "noreturn_ends_paths", 20, {"use"}), -1);
  EXPECT_EQ(unstoppedExit(p, "plain_call_does_not", 25, {"use"}), 0);
  EXPECT_EQ(unstoppedExit(p, "throw_ends_paths", 30, {"use"}), -1);
  EXPECT_EQ(unstoppedExit(p, "endless_loop", 35, {}), -1);
}

TEST(LintLibCfgPaths, BlockingSelectRunsOneOfItsCases) {
  Program p(kPaths);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(unstoppedExit(p, "exhaustive_select", 40, {"use"}), -1);
  // otherwise() is case 1, which the switch does not handle: that path skips use().
  EXPECT_EQ(unstoppedExit(p, "select_with_otherwise", 47, {"use"}), 0);
}

TEST(LintLibCfgPaths, CallsInATryMayThrowIntoItsHandlers) {
  Program p(kPaths);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(unstoppedExit(p, "catch_is_reachable", 53, {"use"}), 0);
}

TEST(LintLibCfgPaths, StatementsOfTheBodyAndNoOther) {
  Program p(kPaths);
  ASSERT_TRUE(p.ok());
  const FunctionDecl* f = p.function("dead_code");
  auto cfg = FunctionCfg::build(f, f->getBody(), p.ctx());
  ASSERT_TRUE(cfg);
  EXPECT_TRUE(cfg->find(p.at<ReturnStmt>(61)).has_value());
  // Clang's CFG keeps unreachable blocks: code after a return has its point, and no path from
  // the entry leads to it.
  EXPECT_TRUE(cfg->find(p.at<DeclStmt>(62)).has_value());
  EXPECT_FALSE(cfg->find(p.at<DeclStmt>(7)).has_value()) << "branches()'s, not this body's";
}

// ---- ChanFlow ---------------------------------------------------------------------------------

const char* kChannels = R"(#include <weave/weave.h>
void sender(weave::SendChan<int> out) {
  out.send(1);
  out.close();
}
void opaque(weave::Chan<int> c);
void pipeline(int n) {
  auto ch = weave::make_chan<int>(2);
  weave::go([ch] {
    ch.send(0);
  });
  sender(ch);
  for (int v : ch) (void)v;
  auto lone = weave::make_chan<int>(n);
  lone.recv();
  auto given = weave::make_chan<int>();
  opaque(given);
}
void selecting(weave::Chan<int> a, weave::Chan<int> b) {
  int v = 0;
  weave::select(weave::recv(a, v), weave::send(b, 1));
}
)";

struct ClassView {
  const void* cls = nullptr;
  std::multiset<std::pair<ChanOpKind, unsigned>> ops;  // kind, line
};

// The class of the channel made on `makeLine`.
ClassView classMadeOn(Program& p, const ChanFlow& flow, unsigned makeLine) {
  for (const void* cls : flow.classes())
    for (const ChanOrigin& o : flow.origins(cls))
      if (p.lineOf(o.make) == makeLine) {
        ClassView v{cls, {}};
        for (const ChanOp& op : flow.ops(cls)) v.ops.insert({op.kind, p.lineOf(op.stmt)});
        return v;
      }
  ADD_FAILURE() << "no channel made on line " << makeLine;
  return {};
}

TEST(LintLibChanFlow, OneClassFollowsCopiesCapturesAndParameters) {
  Program p(kChannels);
  ASSERT_TRUE(p.ok());
  ChanFlow flow(p.ctx());
  ClassView ch = classMadeOn(p, flow, 8);
  using K = ChanOpKind;
  // The fiber's send through its capture, sender()'s send and close through its parameter, the
  // range loop: one channel.
  EXPECT_EQ(ch.ops, (std::multiset<std::pair<K, unsigned>>{
                        {K::Send, 10}, {K::Send, 3}, {K::Close, 4}, {K::Range, 13}}));
  EXPECT_FALSE(flow.escaped(ch.cls));
  ASSERT_EQ(flow.origins(ch.cls).size(), 1u);
  EXPECT_EQ(flow.origins(ch.cls)[0].capacity, std::optional<uint64_t>(2));
  EXPECT_FALSE(flow.origins(ch.cls)[0].capacityDefaulted);

  ClassView lone = classMadeOn(p, flow, 14);
  EXPECT_NE(lone.cls, ch.cls);
  EXPECT_EQ(lone.ops, (std::multiset<std::pair<K, unsigned>>{{K::Recv, 15}}));
  EXPECT_EQ(flow.origins(lone.cls)[0].capacity, std::nullopt) << "n is not a constant";

  ClassView given = classMadeOn(p, flow, 16);
  EXPECT_TRUE(flow.escaped(given.cls)) << "opaque() has no body to follow";
  EXPECT_TRUE(flow.origins(given.cls)[0].capacityDefaulted);
  EXPECT_EQ(flow.origins(given.cls)[0].capacity, std::optional<uint64_t>(0));
}

TEST(LintLibChanFlow, FiberBodiesAndTheirSpawns) {
  Program p(kChannels);
  ASSERT_TRUE(p.ok());
  ChanFlow flow(p.ctx());
  int fibers = 0;
  for (const BodyInfo& b : flow.bodies()) {
    if (!b.fb.lambda) continue;
    EXPECT_TRUE(b.fiber);
    ASSERT_NE(b.spawn, nullptr);
    EXPECT_EQ(p.lineOf(b.spawn), 9u);
    ASSERT_GE(b.parent, 0);
    EXPECT_EQ(flow.bodies()[b.parent].fb.decl->getNameAsString(), "pipeline");
    EXPECT_TRUE(b.spawnLoops.empty());
    ++fibers;
  }
  EXPECT_EQ(fibers, 1);
  // Each body's operations, in source order.
  for (unsigned i = 0; i < flow.bodies().size(); ++i) {
    if (flow.bodies()[i].fb.decl->getNameAsString() != "sender") continue;
    std::vector<const ChanOp*> ops = flow.opsInBody(i);
    ASSERT_EQ(ops.size(), 2u);
    EXPECT_EQ(ops[0]->kind, ChanOpKind::Send);
    EXPECT_EQ(ops[1]->kind, ChanOpKind::Close);
  }
}

TEST(LintLibChanFlow, SelectCasesKnowTheirIndex) {
  Program p(kChannels);
  ASSERT_TRUE(p.ok());
  ChanFlow flow(p.ctx());
  std::map<ChanOpKind, unsigned> cases;
  for (const void* cls : flow.classes())
    for (const ChanOp& op : flow.ops(cls))
      if (op.kind == ChanOpKind::SelectRecv || op.kind == ChanOpKind::SelectSend) {
        EXPECT_NE(op.select, nullptr);
        EXPECT_EQ(p.lineOf(op.stmt), 21u);
        cases[op.kind] = op.caseIndex;
      }
  EXPECT_EQ(cases, (std::map<ChanOpKind, unsigned>{{ChanOpKind::SelectRecv, 0},
                                                   {ChanOpKind::SelectSend, 1}}));
}

// ---- Lockset ----------------------------------------------------------------------------------

const char* kLocks = R"(#include <weave/weave.h>
#include <mutex>
#include <shared_mutex>
std::mutex mu;
std::shared_mutex rw;
weave::Mutex wmu;
int x;
void plain(bool c) {
  mu.lock();
  x = 1;
  mu.unlock();
  x = 2;
  if (c) mu.lock();
  x = 3;
}
void guards() {
  {
    std::lock_guard<std::mutex> g(mu);
    x = 1;
  }
  x = 2;
  std::shared_lock<std::shared_mutex> r(rw);
  x = 3;
}
void unique(bool c) {
  std::unique_lock<std::mutex> l(mu, std::defer_lock);
  x = 1;
  l.lock();
  x = 2;
  l.unlock();
  x = 3;
  wmu.lock();
  x = 4;
  wmu.unlock();
}
void held_by_caller() {
  x = 1;
}
)";

// What is held right before the assignment on `line`: mutex name -> shared.
std::map<std::string, bool> heldAt(Program& p, const LocksetAnalysis& a, unsigned line) {
  std::map<std::string, bool> out;
  const Lockset* l = a.before(p.at<BinaryOperator>(line));
  if (!l) {
    ADD_FAILURE() << "line " << line << " is not in the analysis";
    return out;
  }
  for (auto [m, shared] : *l) out[m->getNameAsString()] = shared;
  return out;
}

std::unique_ptr<LocksetAnalysis> analyse(Program& p, const std::string& fn,
                                         const Lockset& entry = {}) {
  const FunctionDecl* f = p.function(fn);
  return f ? LocksetAnalysis::run(f, f->getBody(), p.ctx(), entry) : nullptr;
}

using Held = std::map<std::string, bool>;

TEST(LintLibLockset, LockUnlockAndEveryPathMustHold) {
  Program p(kLocks);
  ASSERT_TRUE(p.ok());
  auto a = analyse(p, "plain");
  ASSERT_TRUE(a);
  EXPECT_EQ(heldAt(p, *a, 10), (Held{{"mu", false}}));
  EXPECT_EQ(heldAt(p, *a, 12), Held{});
  EXPECT_EQ(heldAt(p, *a, 14), Held{}) << "locked on one path only";
}

TEST(LintLibLockset, ScopedGuardsAndSharedLocks) {
  Program p(kLocks);
  ASSERT_TRUE(p.ok());
  auto a = analyse(p, "guards");
  ASSERT_TRUE(a);
  EXPECT_EQ(heldAt(p, *a, 19), (Held{{"mu", false}}));
  EXPECT_EQ(heldAt(p, *a, 21), Held{}) << "the guard's scope ended";
  EXPECT_EQ(heldAt(p, *a, 23), (Held{{"rw", true}}));
}

TEST(LintLibLockset, UniqueLockDeferredAndWeaveMutex) {
  Program p(kLocks);
  ASSERT_TRUE(p.ok());
  auto a = analyse(p, "unique");
  ASSERT_TRUE(a);
  EXPECT_EQ(heldAt(p, *a, 27), Held{}) << "std::defer_lock";
  EXPECT_EQ(heldAt(p, *a, 29), (Held{{"mu", false}}));
  EXPECT_EQ(heldAt(p, *a, 31), Held{});
  EXPECT_EQ(heldAt(p, *a, 33), (Held{{"wmu", false}}));
}

TEST(LintLibLockset, WhatTheCallerHoldsAtEntry) {
  Program p(kLocks);
  ASSERT_TRUE(p.ok());
  const ValueDecl* mu = nullptr;
  for (const Decl* d : p.ctx().getTranslationUnitDecl()->decls())
    if (const auto* v = dyn_cast<VarDecl>(d); v && v->getName() == "mu") mu = v;
  ASSERT_NE(mu, nullptr);
  auto a = analyse(p, "held_by_caller", Lockset{{mu, false}});
  ASSERT_TRUE(a);
  EXPECT_EQ(heldAt(p, *a, 37), (Held{{"mu", false}}));
}

TEST(LintLibLockset, WhichLocksGuardWhichAccesses) {
  Program p(kLocks);
  ASSERT_TRUE(p.ok());
  const ValueDecl *mu = nullptr, *rw = nullptr;
  for (const Decl* d : p.ctx().getTranslationUnitDecl()->decls())
    if (const auto* v = dyn_cast<VarDecl>(d)) {
      if (v->getName() == "mu") mu = v;
      if (v->getName() == "rw") rw = v;
    }
  ASSERT_TRUE(mu && rw);
  Lockset exclusive{{mu, false}}, shared{{rw, true}}, none;
  EXPECT_TRUE(guards(exclusive, true));
  EXPECT_TRUE(guards(shared, false));
  EXPECT_FALSE(guards(shared, true)) << "a reader lock never guards a write";
  EXPECT_FALSE(guards(none, false));
  EXPECT_TRUE(commonGuard(exclusive, true, exclusive, false));
  EXPECT_TRUE(commonGuard(shared, false, shared, false));
  EXPECT_FALSE(commonGuard(shared, true, shared, false));
  EXPECT_FALSE(commonGuard(exclusive, true, shared, true));
  Lockset both = unionOf(Lockset{{rw, true}}, Lockset{{rw, false}, {mu, false}});
  EXPECT_EQ(both.size(), 2u);
  EXPECT_EQ(both.at(rw), false) << "exclusive in either is exclusive";
  EXPECT_TRUE(isMutexType(mu->getType()));
  EXPECT_TRUE(isMutexType(rw->getType()));
  EXPECT_FALSE(isMutexType(p.ctx().IntTy));
}

}  // namespace
}  // namespace weave::lint::testing
