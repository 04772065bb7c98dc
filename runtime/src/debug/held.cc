// Lock holders (see held.h).
#include "debug/held.h"

#include "registry.h"

namespace weave::detail::debug {
namespace {

bool same_side(LockKind a, LockKind b) {
  return (a == LockKind::kRWMutexRead) == (b == LockKind::kRWMutexRead);
}

bool clear_slot(Task* t, const void* m, LockKind kind) {
  for (HeldLock& h : t->dbg.held) {
    const void* expected = m;
    if (h.lock.load(std::memory_order_relaxed) == m && same_side(h.kind, kind) &&
        h.lock.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
      return true;
    }
  }
  return false;
}

}  // namespace

void note_locked(Task* self, const void* m, LockKind kind, const Location& at) {
  for (HeldLock& h : self->dbg.held) {
    if (h.lock.load(std::memory_order_relaxed) == nullptr) {
      h.kind = kind;
      h.at = at;
      h.lock.store(m, std::memory_order_release);
      return;
    }
  }
}

void note_unlocked(Task* self, const void* m, LockKind kind) {
  if (clear_slot(self, m, kind)) return;
  struct Arg {
    const void* m;
    LockKind kind;
    bool done;
  } arg{m, kind, false};
  registry_visit(
      [](Task* t, void* p) {
        auto* a = static_cast<Arg*>(p);
        if (!a->done) a->done = clear_slot(t, a->m, a->kind);
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
        for (const HeldLock& h : t->dbg.held) {
          if (h.lock.load(std::memory_order_acquire) == a->m) {
            a->out.push_back(t);
            break;
          }
        }
      },
      &arg);
  return arg.out;
}

}  // namespace weave::detail::debug
