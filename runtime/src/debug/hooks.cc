// The debug library's side of the seam (hooks.h): each hook hands its event to the mechanisms
// that use it. The happens-before hooks and object accesses belong to the race detector, which
// records them in vector clocks; until it is built they record nothing. The lock hooks feed the
// holders of held.h and the lock checks of lockcheck.h.
#include "hooks.h"

#include <new>
#include <span>

#include "debug/deadlock.h"
#include "debug/endings.h"
#include "debug/held.h"
#include "debug/lockcheck.h"
#include "task.h"
#include "weave/detail/debug_hooks.h"

namespace weave::detail {
namespace {

// The locks `self` holds, for the lock checks, built in place in raw storage (zeroing a whole
// array of them would cost more than the check).
class HeldNow {
 public:
  explicit HeldNow(const Task* self) {
    for (int i = 0; i < self->dbg.used; ++i) {
      const debug::HeldLock& h = self->dbg.held[i];
      if (const void* m = h.lock.load(std::memory_order_acquire)) {
        new (&buf_[n_++ * sizeof(lockcheck::Held)]) lockcheck::Held{m, h.kind, h.at, h.caller};
      }
    }
  }
  std::span<const lockcheck::Held> span() const {
    return {std::launder(reinterpret_cast<const lockcheck::Held*>(buf_)), n_};
  }

 private:
  alignas(lockcheck::Held) unsigned char buf_[debug::kMaxHeldLocks * sizeof(lockcheck::Held)];
  std::size_t n_ = 0;
};

lockcheck::Taker taker(const Task* t) { return {t->id, t->kind == TaskKind::kThread}; }

}  // namespace

namespace hook {

void release(const void*) {}
void acquire(const void*) {}
void release_for(Task*, const void*) {}
void acquire_for(Task*, const void*) {}
void spawn(Task*, Fiber*) {}
void object_read(const void*) {}
void object_write(const void*) {}
void object_gone(const void* obj, std::size_t) { lockcheck::destroyed(obj); }
void memory_freed(const void*, std::size_t) {}
void fiber_exit(Fiber*) {}
void task_gone(Task*) {}

void lock_blocks(const void* m, LockKind kind, const Location& loc, const void* caller) {
  Task* self = current();
  if (debug::holds_any(self)) {
    lockcheck::blocks(HeldNow(self).span(), taker(self), m, kind, loc, caller);
  }
}

void locked(const void* m, LockKind kind, const Location& loc, bool tried, const void* caller) {
  Task* self = current();
  if (!tried && debug::holds_any(self)) {
    lockcheck::acquired(HeldNow(self).span(), taker(self), m, kind, loc, caller);
  }
  debug::note_locked(self, m, kind, loc, caller);
}

void unlocked(const void* m, LockKind kind) { debug::note_unlocked(current(), m, kind); }

void park(Task* t, const Waiter* waiters, int n) {
  t->dbg.waiters = waiters;
  t->dbg.nwaiters = n;
  // A thread's caller (park) has spilled its registers in its frame, above this one, which stays
  // while the thread blocks.
  if (t->kind == TaskKind::kThread) {
    void* const* frame = static_cast<void* const*>(__builtin_frame_address(0));
    t->dbg.sp = frame;
    t->dbg.fp = frame[0];     // park's frame pointer (the debug library keeps frame pointers)
    debug::check_deadlock();  // the last thread to block may be the last thing that could run
  }
}

void unpark(Task* t) {
  if (t->kind == TaskKind::kThread) debug::note_thread_woken();
}

void runtime_thread() { debug::note_runtime_thread(); }

void runtime_idle() { debug::check_deadlock(); }

void exit_begins() { debug::settle_before_exit(); }

void sigquit() { debug::report_signal(); }

void program_exit() { debug::report_exit(); }

void panic(const char*) { debug::report_panic(); }

}  // namespace hook

void debug_release(const void* obj) noexcept { hook::release(obj); }
void debug_acquire(const void* obj) noexcept { hook::acquire(obj); }
void debug_object_gone(const void* obj, std::size_t size) noexcept { hook::object_gone(obj, size); }

}  // namespace weave::detail
