// The lock hooks: the part of the seam (hooks.h) that every Mutex and RWMutex operation passes
// through, for the lock checks, the dumps' lock holders and the race detector.
//
// They run on every lock and unlock, and what runs between a lock and its unlock is the critical
// section, which every contender waits out: the common case is inline and touches only the
// calling task's own record (debug/held.h), and the current task is found with one thread-local
// load (t_running), fetched before the lock is taken.
//
//   locker()                   the current fiber, fetched by a lock call before it takes the lock
//                              (a fiber that blocks for it is the same task when it resumes), or
//                              null on a plain thread (the hooks then find the thread's task)
//   lock_blocks(m, kind, loc, caller)
//                              the current task is about to block waiting for m (it may be called
//                              again if it wakes and has to wait again)
//   locked(self, m, kind, loc, tried, caller)
//                              self, the current task, now holds m, and acquires m; `tried`: by a
//                              try_lock (which never waits)
//   unlocking(m, kind)         the current task is about to release m: it releases m (a reader
//                              of an RWMutex does not: its edge is to writers, on the reader count)
//   unlocked(self, m, kind)    self has released m. Until this call it is still recorded as
//                              holding m: a dump may name it as m's holder a moment too long, and
//                              the leak analysis, which then sees a holder that can run, errs
//                              towards "not stuck". m may be gone by then: it is only compared.
// The calls carry the lock call's return address, `caller`, which names the user's code where loc
// does not (a std::lock_guard's lock call is in the standard header).
#pragma once

#include "hooks.h"
#include "task.h"

#if WEAVE_DEBUG_RUNTIME
#include "debug/held.h"
#endif

namespace weave::detail::hook {

#if WEAVE_DEBUG_RUNTIME
// Null for a plain thread: the hooks find its task when they need it (off the common path).
inline Task* locker() { return t_running; }

void lock_blocks(const void* m, LockKind kind, const Location& loc, const void* caller);
// Everything locked and unlocked do but a task's only lock with the race detector off.
void locked_slow(Task* self, const void* m, LockKind kind, const Location& loc, bool tried,
                 const void* caller);
void unlocked_slow(Task* self, const void* m, LockKind kind);

// The common case is a fiber taking a lock while it holds none: there is no lock order to check
// then, and the record is one slot.
inline void locked(Task* self, const void* m, LockKind kind, const Location& loc, bool tried,
                   const void* caller) {
  if (__builtin_expect(self != nullptr && !detector_on(), 1) &&
      debug::note_only_lock(self, m, kind, loc, caller)) {
    return;
  }
  locked_slow(self, m, kind, loc, tried, caller);
}

inline void unlocking(const void* m, LockKind kind) {
  if (detector_on()) detector::unlocking(m, kind);
}

inline void unlocked(Task* self, const void* m, LockKind kind) {
  if (__builtin_expect(self != nullptr, 1) && debug::note_only_unlocked(self, m, kind)) return;
  unlocked_slow(self, m, kind);
}
#else
inline Task* locker() { return nullptr; }
inline void lock_blocks(const void*, LockKind, const Location&, const void*) {}
inline void locked(Task*, const void*, LockKind, const Location&, bool, const void*) {}
inline void unlocking(const void*, LockKind) {}
inline void unlocked(Task*, const void*, LockKind) {}
#endif

}  // namespace weave::detail::hook
