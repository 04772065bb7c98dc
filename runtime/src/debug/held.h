// Which task holds which lock, for dumps (a mutex's holder) and the leak analysis (a mutex whose
// holder can run can be unlocked). Each task records its own in its TaskState (task_state.h), so
// locking touches no shared state.
#pragma once

#include <new>
#include <vector>

#include "hooks.h"
#include "task.h"

namespace weave::detail::debug {

// Locks are taken and released in stack order almost always, and most often a task holds one
// lock at a time, so the record is a stack with holes: a lock goes on top, an unlock of the top
// lock pops it (and any holes below). A task's only lock is recorded and forgotten inline, as
// every lock call records; the rest (a second lock, an unlock out of order or of another task's
// lock, a full stack) is out of line.

// Whether a hold of kind a is released by an unlock of kind b: a read lock's by a read unlock.
inline bool same_side(LockKind a, LockKind b) {
  return (a == LockKind::kRWMutexRead) == (b == LockKind::kRWMutexRead);
}

// Makes slot n, the first past s's stack, m's record, and counts it. Made whole, m included:
// other tasks read a slot only once the count, stored after it (a release), includes it.
inline void push_held(TaskState& s, int n, const void* m, LockKind kind, const Location& at,
                      const void* caller) {
  new (&s.held(n)) HeldLock{m, kind, at, caller};
  s.used.store(n + 1, std::memory_order_release);
}

// If self holds no lock, records m as its only one and returns true.
inline bool note_only_lock(Task* self, const void* m, LockKind kind, const Location& at,
                           const void* caller) {
  TaskState& s = self->dbg;
  if (s.used.load(std::memory_order_relaxed) != 0) return false;
  push_held(s, 0, m, kind, at, caller);
  return true;
}

// If m is self's only lock, forgets it and returns true.
inline bool note_only_unlocked(Task* self, const void* m, LockKind kind) {
  TaskState& s = self->dbg;
  if (s.used.load(std::memory_order_relaxed) != 1) return false;
  HeldLock& h = s.held(0);
  if (h.lock.load(std::memory_order_relaxed) != m || !same_side(h.kind, kind)) return false;
  h.lock.store(nullptr, std::memory_order_release);
  s.used.store(0, std::memory_order_relaxed);
  return true;
}

// Records m on top of self's stack.
void note_locked(Task* self, const void* m, LockKind kind, const Location& at, const void* caller);

// Forgets m in self's slots, or, if another task locked it (Go lets any task unlock a mutex), in
// that task's.
void note_unlocked(Task* self, const void* m, LockKind kind);

// Whether self holds any lock (for self only).
inline bool holds_any(const Task* self) {
  const int n = self->dbg.used.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) {
    if (self->dbg.held(i).lock.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

// The tasks that hold m now (readers of an RWMutex may be several). Exact while the world is
// stopped, a snapshot otherwise.
std::vector<const Task*> holders_of(const void* m);

}  // namespace weave::detail::debug
