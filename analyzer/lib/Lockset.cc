// The forward must-lockset dataflow (see Lockset.h).
#include "lib/Lockset.h"

#include <deque>
#include <optional>
#include <vector>

#include "lib/Locks.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
using namespace clang;

namespace {

void acquire(Lockset& state, const ValueDecl* m, bool shared) {
  auto it = state.find(m);
  if (it == state.end())
    state.emplace(m, shared);
  else
    it->second = it->second && shared;
}

void applyEffects(const LockEffects& effects, Lockset& state) {
  for (const LockEffect& e : effects) {
    if (e.kind == LockEffect::Acquire)
      acquire(state, e.mutex, e.shared);
    else
      state.erase(e.mutex);
  }
}

void intersectInto(Lockset& into, const Lockset& other) {
  for (auto it = into.begin(); it != into.end();) {
    auto o = other.find(it->first);
    if (o == other.end()) {
      it = into.erase(it);
    } else {
      it->second = it->second || o->second;
      ++it;
    }
  }
}

}  // namespace

Lockset unionOf(const Lockset& a, const Lockset& b) {
  Lockset out = a;
  for (auto& [m, shared] : b) {
    auto it = out.find(m);
    if (it == out.end())
      out.emplace(m, shared);
    else
      it->second = it->second && shared;
  }
  return out;
}

bool commonGuard(const Lockset& a, bool aWrites, const Lockset& b, bool bWrites) {
  for (auto& [m, aShared] : a) {
    auto it = b.find(m);
    if (it == b.end()) continue;
    if (aWrites && aShared) continue;
    if (bWrites && it->second) continue;
    return true;
  }
  return false;
}

bool guards(const Lockset& l, bool writes) {
  for (auto& [m, shared] : l)
    if (!writes || !shared) return true;
  return false;
}

std::unique_ptr<LocksetAnalysis> LocksetAnalysis::run(const Decl* fn, const Stmt* body,
                                                      ASTContext& ctx, const Lockset& entry) {
  if (!body) return nullptr;
  CFG::BuildOptions opts;
  opts.setAllAlwaysAdd();
  opts.AddImplicitDtors = true;
  opts.AddCXXDefaultInitExprInCtors = false;
  std::unique_ptr<CFG> cfg = CFG::buildCFG(fn, const_cast<Stmt*>(body), &ctx, opts);
  if (!cfg) return nullptr;
  auto out = std::unique_ptr<LocksetAnalysis>(new LocksetAnalysis());
  LockEvents events;
  llvm::DenseMap<const CFGBlock*, Lockset> in;
  std::deque<const CFGBlock*> work;
  Lockset start = entry;
  applyEffects(requiredLocks(dyn_cast_or_null<FunctionDecl>(fn)), start);
  in[&cfg->getEntry()] = start;
  work.push_back(&cfg->getEntry());
  llvm::DenseSet<const CFGBlock*> queued;
  queued.insert(&cfg->getEntry());
  while (!work.empty()) {
    const CFGBlock* b = work.front();
    work.pop_front();
    queued.erase(b);
    Lockset state = in[b];
    for (const CFGElement& e : *b) applyEffects(events.at(e), state);
    for (const CFGBlock* s : b->succs()) {
      if (!s) continue;
      auto it = in.find(s);
      bool changed = false;
      if (it == in.end()) {
        in[s] = state;
        changed = true;
      } else {
        size_t before = it->second.size();
        Lockset old = it->second;
        intersectInto(it->second, state);
        changed = it->second.size() != before || it->second != old;
      }
      if (changed && queued.insert(s).second) work.push_back(s);
    }
  }
  for (auto& [b, entryState] : in) {
    Lockset state = entryState;
    unsigned i = 0;
    for (const CFGElement& e : *b) {
      if (auto cs = e.getAs<CFGStmt>()) {
        const Stmt* s = cs->getStmt();
        auto [pos, fresh] = out->before_.try_emplace(s, state);
        if (!fresh) intersectInto(pos->second, state);
        out->where_.try_emplace(s, Point{b, i});
      }
      applyEffects(events.at(e), state);
      ++i;
    }
  }
  out->cfg_ = std::move(cfg);
  return out;
}

const Lockset* LocksetAnalysis::before(const Stmt* s) const {
  auto it = before_.find(s);
  return it == before_.end() ? nullptr : &it->second;
}

const LocksetAnalysis::Point* LocksetAnalysis::find(const Stmt* s) const {
  auto it = where_.find(s);
  return it == where_.end() ? nullptr : &it->second;
}

}  // namespace weave::lint
