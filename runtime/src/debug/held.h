// Which task holds which lock, for dumps (a mutex's holder) and the leak analysis (a mutex whose
// holder can run can be unlocked). Each task records its own in its TaskState (task_state.h), so
// locking touches no shared state.
#pragma once

#include <new>
#include <vector>

#include "hooks.h"
#include "task.h"

namespace weave::detail::debug {

// Locks are taken and released in stack order almost always, so the record is a stack with
// holes: a lock goes on top, an unlock of the top lock pops it (and any holes below), inline, as
// every lock call records. Only an unlock out of order, or of another task's lock, or a full
// stack, takes the out-of-line path.

// Whether a hold of kind a is released by an unlock of kind b: a read lock's by a read unlock.
inline bool same_side(LockKind a, LockKind b) {
  return (a == LockKind::kRWMutexRead) == (b == LockKind::kRWMutexRead);
}

// Drops the free slots at the top of s's stack of n.
inline void trim_holes(TaskState& s, int n) {
  while (n > 0 && !s.held(n - 1).lock.load(std::memory_order_relaxed)) --n;
  s.used.store(n, std::memory_order_relaxed);
}

void note_locked_slow(Task* self, const void* m, LockKind kind, const Location& at,
                      const void* caller);
inline void note_locked(Task* self, const void* m, LockKind kind, const Location& at,
                        const void* caller) {
  TaskState& s = self->dbg;
  const int n = s.used.load(std::memory_order_relaxed);
  if (n == kMaxHeldLocks) return note_locked_slow(self, m, kind, at, caller);
  // Made whole, m included: other tasks read the slot only once the count, stored after it (a
  // release), includes it.
  new (&s.held(n)) HeldLock{m, kind, at, caller};
  s.used.store(n + 1, std::memory_order_release);
}

// Whether self holds any lock (for self only).
inline bool holds_any(const Task* self) {
  const int n = self->dbg.used.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) {
    if (self->dbg.held(i).lock.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

// Forgets m in self's slots, or, if another task locked it (Go lets any task unlock a mutex), in
// that task's.
void note_unlocked_slow(Task* self, const void* m, LockKind kind);
inline void note_unlocked(Task* self, const void* m, LockKind kind) {
  TaskState& s = self->dbg;
  int n = s.used.load(std::memory_order_relaxed);
  if (n > 0) {
    HeldLock& top = s.held(n - 1);
    if (top.lock.load(std::memory_order_relaxed) == m && same_side(top.kind, kind)) {
      top.lock.store(nullptr, std::memory_order_release);
      trim_holes(s, n - 1);
      return;
    }
  }
  note_unlocked_slow(self, m, kind);
}

// The tasks that hold m now (readers of an RWMutex may be several). Exact while the world is
// stopped, a snapshot otherwise.
std::vector<const Task*> holders_of(const void* m);

}  // namespace weave::detail::debug
