// Lock holders (see held.h).
#include "debug/held.h"

#include "registry.h"

namespace weave::detail::debug {
namespace {

// Clears t's slot for m among its made ones: with a CAS from another task, with a store from t
// itself (it is the only one that fills its slots, so no other value can come in between). The
// topmost such slot: a lock held twice (read-locked again) is released the latest first.
bool clear_slot(Task* t, const void* m, LockKind kind, bool own) {
  for (int i = t->dbg.held_count() - 1; i >= 0; --i) {
    HeldLock& h = t->dbg.held(i);
    if (h.lock.load(std::memory_order_relaxed) != m || !same_side(h.kind, kind)) continue;
    if (own) {
      h.lock.store(nullptr, std::memory_order_release);
      return true;
    }
    const void* expected = m;
    if (h.lock.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) return true;
  }
  return false;
}

}  // namespace

void note_locked(Task* self, const void* m, LockKind kind, const Location& at, const void* caller) {
  TaskState& s = self->dbg;
  const int n = s.used.load(std::memory_order_relaxed);
  if (n < kMaxHeldLocks) return push_held(s, n, m, kind, at, caller);
  // The stack is full: a hole below its top, if there is one.
  for (int i = 0; i < kMaxHeldLocks; ++i) {
    HeldLock& h = s.held(i);
    if (h.lock.load(std::memory_order_relaxed) == nullptr) {
      h.kind = kind;
      h.at = at;
      h.caller = caller;
      h.lock.store(m, std::memory_order_release);
      return;
    }
  }
}

void note_unlocked(Task* self, const void* m, LockKind kind) {
  TaskState& s = self->dbg;
  const bool mine = clear_slot(self, m, kind, /*own=*/true);
  // Drops the free slots at the top.
  int n = s.used.load(std::memory_order_relaxed);
  while (n > 0 && !s.held(n - 1).lock.load(std::memory_order_relaxed)) --n;
  s.used.store(n, std::memory_order_relaxed);
  if (mine) return;
  struct Arg {
    const void* m;
    LockKind kind;
    bool done;
  } arg{m, kind, false};
  registry_visit(
      [](Task* t, void* p) {
        auto* a = static_cast<Arg*>(p);
        if (!a->done) a->done = clear_slot(t, a->m, a->kind, /*own=*/false);
      },
      &arg);
}

std::vector<const Task*> holders_of(const void* m) {
  struct Arg {
    const void* m;
    std::vector<const Task*> out;
  } arg{m, {}};
  registry_visit(
      [](Task* t, void* p) {
        auto* a = static_cast<Arg*>(p);
        const int n = t->dbg.held_count();
        for (int i = 0; i < n; ++i) {
          if (t->dbg.held(i).lock.load(std::memory_order_acquire) == a->m) {
            a->out.push_back(t);
            break;
          }
        }
      },
      &arg);
  return arg.out;
}

}  // namespace weave::detail::debug
