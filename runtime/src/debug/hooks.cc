// The debug library's side of the seam (hooks.h): each hook hands its event to the mechanisms
// that use it. The happens-before hooks and object accesses belong to the race detector, which
// records them in vector clocks; until it is built they record nothing.
#include "hooks.h"

#include "debug/held.h"
#include "debug/world.h"
#include "task.h"
#include "weave/detail/debug_hooks.h"

namespace weave::detail {
namespace hook {

void release(const void*) {}
void acquire(const void*) {}
void release_for(Task*, const void*) {}
void acquire_for(Task*, const void*) {}
void spawn(Task*, Fiber*) {}
void object_read(const void*) {}
void object_write(const void*) {}
void object_gone(const void*, std::size_t) {}
void fiber_exit(Fiber*) {}
void task_gone(Task*) {}

void lock_blocks(const void*, LockKind, const Location&) {}

void locked(const void* m, LockKind kind, const Location& loc) {
  debug::note_locked(current(), m, kind, loc);
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
    t->dbg.fp = frame[0];  // park's frame pointer (the debug library keeps frame pointers)
  }
}

void unpark(Task*) {}

void runtime_thread() {}

void runtime_idle() { debug::runtime_idle_mark(); }

bool stop_requested() { return debug::stop_requested(); }

void safe_point() { debug::safe_point(); }

void program_exit() {}

void panic(const char*) {}

}  // namespace hook

void debug_release(const void* obj) noexcept { hook::release(obj); }
void debug_acquire(const void* obj) noexcept { hook::acquire(obj); }
void debug_object_gone(const void* obj, std::size_t size) noexcept { hook::object_gone(obj, size); }

}  // namespace weave::detail
