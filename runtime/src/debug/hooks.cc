// The debug library's side of the seam (hooks.h): each hook hands its event to the mechanisms
// that use it. The happens-before hooks, object accesses, task lives and switches belong to the
// race detector (debug/race/engine.h), which does nothing until an instrumented module turns it on.
// The lock hooks feed the holders of held.h, the lock checks of lockcheck.h and the race detector.
#include "hooks.h"
#include "lock_hooks.h"

#include <new>
#include <span>

#include "debug/deadlock.h"
#include "debug/endings.h"
#include "debug/held.h"
#include "debug/lockcheck.h"
#include "debug/race/engine.h"
#include "debug/report.h"
#include "fiber.h"
#include "stack.h"
#include "task.h"
#include "weave/detail/debug_hooks.h"

namespace weave::detail {
namespace {

// The locks `self` holds, for the lock checks, built in place in raw storage (zeroing a whole
// array of them would cost more than the check).
class HeldNow {
 public:
  explicit HeldNow(const Task* self) {
    for (int i = 0, n = self->dbg.held_count(); i < n; ++i) {
      const debug::HeldLock& h = self->dbg.held(i);
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
namespace detector {

void release(const void* obj) {
  if (race::RaceTask* r = race::running_task()) race::release(r, obj);
}

void acquire(const void* obj) {
  if (race::RaceTask* r = race::running_task()) race::acquire(r, obj);
}

void acquire_for(Task* parked, const void* obj) {
  if (race::RaceTask* r = parked->dbg.race) race::acquire(r, obj);
}

void acquire_release(const void* obj) {
  if (race::RaceTask* r = race::running_task()) race::acquire_release(r, obj);
}

void acquire_release_for(Task* parked, const void* obj) {
  if (race::RaceTask* r = parked->dbg.race) race::acquire_release(r, obj);
}

void exchange(Task* parked, const void* obj) {
  race::RaceTask* self = race::running_task();
  race::RaceTask* other = parked->dbg.race;
  if (self && other) {
    race::exchange(self, other, obj);
  } else if (self) {
    race::acquire_release(self, obj);
  } else if (other) {
    race::acquire_release(other, obj);
  }
}

void fire_begins(const void* timer) { race::fire_begins(timer); }
void fire_ends() { race::fire_ends(); }

void spawn(Task* parent, Fiber* child) {
  race::RaceTask* from = race::running_task();
  if (!from) return;
  if (parent->kind == TaskKind::kThread) race::name_thread(from, parent->id);
  race::Identity who;
  who.id = child->id;
  who.fiber = true;
  who.file = child->created_at.file_name();
  who.line = child->created_at.line();
  who.function = child->created_at.function_name();
  who.parent_id = child->parent_id;
  who.parent_fiber = !child->parent_is_thread;
  const auto lo = reinterpret_cast<race::uptr>(child->stack->base);
  child->dbg.race = race::task_start(from, who, lo, lo + child->stack->size);
}

void object_read(const void* obj) { race::check_object(obj, false); }
void object_write(const void* obj) { race::check_object(obj, true); }

// Not object_gone: the heap's frees are many and hold no lock the lock checks know by its chunk.
void memory_freed(const void* p, std::size_t size) {
  const auto lo = reinterpret_cast<race::uptr>(p);
  race::forget_range(lo, lo + size);
}

void stack_in_use(const void* p, std::size_t size) {
  const auto lo = reinterpret_cast<race::uptr>(p);
  race::stack_in_use(lo, lo + size);
}

void ignore_begin() { race::ignore_begin(); }
void ignore_end() { race::ignore_end(); }

void switch_to(Task* f) {
  if (f) {
    race::task_switch(f->dbg.race);
  } else {
    race::task_switch_to_thread();
  }
}

void locked(const void* m, LockKind kind, const Location& loc) {
  acquire(m);
  race::note_locked(m, kind == LockKind::kRWMutexRead, loc.file_name(), loc.line());
}

void unlocking(const void* m, LockKind kind) {
  race::note_unlocked(m);
  // A reader releases to writers only (rwmutex.cc, on the reader count): an edge from one reader
  // to the next would hide a write made under a read lock.
  if (kind != LockKind::kRWMutexRead) release(m);
}

}  // namespace detector

void object_gone(const void* obj, std::size_t size) {
  lockcheck::destroyed(obj);
  const auto lo = reinterpret_cast<race::uptr>(obj);
  race::forget_range(lo, lo + size);
}

void fiber_exit(Fiber* f) {
  if (f->dbg.race) race::task_end(f->dbg.race);
}

void task_gone(Task* t) {
  if (t->kind == TaskKind::kFiber) race::task_free(t->dbg.race);
  t->dbg.race = nullptr;  // a thread's state ends with the thread (race_task.cc)
}

namespace {
// The task that calls a lock hook: locker()'s answer, or the plain thread's task it left out.
Task* lock_caller(Task* self) { return self ? self : current_thread_task(); }
}  // namespace

void lock_blocks(const void* m, LockKind kind, const Location& loc, const void* caller) {
  Task* self = lock_caller(locker());
  if (debug::holds_any(self)) {
    lockcheck::blocks(HeldNow(self).span(), taker(self), m, kind, loc, caller);
  }
}

void locked_slow(Task* self, const void* m, LockKind kind, const Location& loc, bool tried,
                 const void* caller) {
  self = lock_caller(self);
  if (!tried && debug::holds_any(self)) {
    lockcheck::acquired(HeldNow(self).span(), taker(self), m, kind, loc, caller);
  }
  debug::note_locked(self, m, kind, loc, caller);
  if (detector_on()) detector::locked(m, kind, loc);
}

void unlocked_slow(Task* self, const void* m, LockKind kind) {
  debug::note_unlocked(lock_caller(self), m, kind);
}

constinit thread_local Task* t_running __attribute__((tls_model("initial-exec"))) = nullptr;

void park(Task* t, const Waiter* waiters, int n) {
  if (t->kind == TaskKind::kThread && !t->dbg.race) {
    // A thread parks for the first time: completing its operation on its behalf needs its state.
    t->dbg.race = race::running_task();
    if (t->dbg.race) race::name_thread(t->dbg.race, t->id);
  }
  t->dbg.waiters = waiters;
  t->dbg.nwaiters = n;
  // A thread's caller (park) has spilled its registers in its frame, above this one, which stays
  // while the thread blocks.
  if (t->kind == TaskKind::kThread) {
    void* const* frame = static_cast<void* const*>(__builtin_frame_address(0));
    t->dbg.sp = frame;
    t->dbg.fp = frame[0];  // park's frame pointer (the debug library keeps frame pointers)
  }
}

void unpark(Task* t) {
  if (t->kind == TaskKind::kThread) debug::note_thread_woken();
}

void runtime_thread() { debug::note_runtime_thread(); }

void runtime_idle() { debug::check_deadlock(); }

void exit_begins() { debug::settle_before_exit(); }

void sigquit() { debug::report_signal(); }

void program_exit() {
  race::program_exit();
  debug::report_exit();
}

void panic(const char*) { debug::report_panic(); }

bool print_panic_stack(void* const* pcs, int n) {
  debug::print_stack(stderr, pcs, n, 2);
  return true;
}

}  // namespace hook

void debug_release(const void* obj) noexcept { hook::release(obj); }
void debug_acquire(const void* obj) noexcept { hook::acquire(obj); }
void debug_object_gone(const void* obj, std::size_t size) noexcept { hook::object_gone(obj, size); }
void debug_wrote(const void* obj, std::size_t size) noexcept { race::check_written(obj, size); }

}  // namespace weave::detail
