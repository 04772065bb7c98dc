// The seam: every event the debug runtime observes passes through one of these functions.
//
// The release library (WEAVE_DEBUG_RUNTIME=0) compiles every hook to nothing. The debug library
// (weave::weave_debug) implements them in runtime/src/debug/: leak dumps, deadlock detection and
// unreachable fibers there, the race detector and the lock checks on the same calls.
//
// Happens-before is TSan's annotation model, to which every edge SPEC.md lists reduces:
//   release(obj) / acquire(obj)   an edge from the current task's past to whoever acquires obj
//                                 later. Objects: a channel's core for hand-offs and close, a
//                                 buffer slot's address for buffered sends and receives (both
//                                 sides acquire then release it), mutexes and WaitGroups their
//                                 address, an RWMutex's readers its reader count, a context its
//                                 node, a Once its done flag, a timer its node (timer_start
//                                 releases; the timer thread acquires it only for the fire:
//                                 fire_begins(node) / fire_ends()).
//   acquire_for(t, obj)           the same on behalf of t, a task parked in a wait queue whose
//                                 operation the current task completes (a close that wakes it):
//                                 Go's raceacquireg. From the moment the waker dequeues t until it
//                                 calls ready(t), t cannot run, so the waker may touch t's debug
//                                 state.
//   acquire_release(obj) / acquire_release_for(t, obj)
//                                 acquire(obj) then release(obj) in one step, for the current
//                                 task or on behalf of parked t (a buffer slot's both sides).
//   exchange(t, obj)              the current task and parked t each release their past at obj
//                                 and acquire the other's, in one step (a value handed between
//                                 them: Go's racesync).
//   spawn(parent, child)          go: the parent's past happens before the child's first step.
//
// Objects the race detector checks like memory (Go's race.Read(&wg.sema)): object_read and
// object_write, on a channel for a send and a close (a receive racing with a close is how a range
// ends), on a WaitGroup for an add from zero and a wait. object_gone(p, n): every object in [p,
// p+n) is gone (a channel freed, a Mutex destroyed), so that a later object at a reused address
// starts fresh. memory_freed(p, n): the heap chunk [p, p+n) was freed (debug/heap.cc, which
// interposes the malloc family), so memory the allocator hands out again starts with no past.
// stack_in_use(p, n): a fiber stack [p, p+n) is taken from the pool, before anything is written
// in it (the race detector backs a stack's shadow page by page, as it is used sparsely).
//
// Values the runtime moves between tasks (a channel's elements, in and out of buffers and parked
// partners' frames) are not the program's accesses: between ignore_begin() and ignore_end() the
// race detector checks none of the current task's accesses (Go's detector does not see its
// runtime's copies either; the hand-off's edges order what each side does with the value).
//
// Locks: the lock hooks run on every lock and unlock, inside or beside the critical section, and
// are inline where they can be: they are lock_hooks.h's.
//
// switch_to(f): fiber f runs on this thread from now on (null: the worker's own loop), called
// just before the jump; the race detector and the lock hooks follow the running task with it.
//
// Tasks and blocking: park(t, waiters, n) when t, the current task, is about to block with its n
// wait-queue entries published (none for a sleep or a nil channel); unpark(t) when the current task
// makes parked t runnable; fiber_exit(f) when f's callable has returned (on its own stack);
// task_gone(t) just before a task's memory goes (a fiber after it is off its stack, a thread's at
// its exit).
//
// The scheduler and the timer thread report what deadlock detection needs: runtime_thread() when
// a thread of weave's own starts (workers, the timer thread, the SIGQUIT watcher); runtime_idle()
// when it runs nothing any more (a worker about to sleep, the timer thread between fires, a plain
// thread that has blocked), where the last one to go idle looks for a deadlock. (Stopping the
// world is world.h's.)
//
// exit_begins() runs when a plain thread starts exit (main returns, exit() is called), before
// exit stops the world; program_exit() runs once after it has (exit.cc), before static
// destructors: the leak dump. panic(what) runs when an exception ends the process, after
// `panic: …` and the panicking task's stack are printed. print_panic_stack(pcs, n) prints that
// stack (a fatal error's too) as the dumps show stacks, with source lines; false: the caller
// prints it with function names only. sigquit() runs on the SIGQUIT watcher
// when the signal comes: the debug runtime prints its report (reason "signal") and ends the
// process with status 2, as the release dump does.
#pragma once

#include <atomic>
#include <cstddef>

#include "weave/base.h"

namespace weave::detail {

struct Task;
struct Fiber;
struct Waiter;

enum class LockKind : unsigned char { kMutex, kRWMutex, kRWMutexRead };

namespace race {
// On once an instrumented module has started the race detector (debug/race/race_task.cc; the
// debug library only). Until then it records nothing, and each of its hooks below costs this one
// load, not a call: they run on every channel operation and every lock.
extern std::atomic<bool> g_enabled;
}  // namespace race

#if WEAVE_DEBUG_RUNTIME
namespace hook {
// The race detector's side of the inline hooks below (debug/hooks.cc).
namespace detector {
void release(const void* obj);
void acquire(const void* obj);
void acquire_for(Task* parked, const void* obj);
void acquire_release(const void* obj);
void acquire_release_for(Task* parked, const void* obj);
void exchange(Task* parked, const void* obj);
void spawn(Task* parent, Fiber* child);
void fire_begins(const void* timer);
void fire_ends();
void object_read(const void* obj);
void object_write(const void* obj);
void memory_freed(const void* p, std::size_t size);
void stack_in_use(const void* p, std::size_t size);
void ignore_begin();
void ignore_end();
void switch_to(Task* f);
void locked(const void* m, LockKind kind, const Location& loc);
void unlocking(const void* m, LockKind kind);
}  // namespace detector

inline bool detector_on() { return race::g_enabled.load(std::memory_order_relaxed); }
inline void release(const void* obj) {
  if (detector_on()) detector::release(obj);
}
inline void acquire(const void* obj) {
  if (detector_on()) detector::acquire(obj);
}
inline void acquire_for(Task* parked, const void* obj) {
  if (detector_on()) detector::acquire_for(parked, obj);
}
inline void acquire_release(const void* obj) {
  if (detector_on()) detector::acquire_release(obj);
}
inline void acquire_release_for(Task* parked, const void* obj) {
  if (detector_on()) detector::acquire_release_for(parked, obj);
}
inline void exchange(Task* parked, const void* obj) {
  if (detector_on()) detector::exchange(parked, obj);
}
inline void spawn(Task* parent, Fiber* child) {
  if (detector_on()) detector::spawn(parent, child);
}
inline void fire_begins(const void* timer) {
  if (detector_on()) detector::fire_begins(timer);
}
inline void fire_ends() {
  if (detector_on()) detector::fire_ends();
}
inline void object_read(const void* obj) {
  if (detector_on()) detector::object_read(obj);
}
inline void object_write(const void* obj) {
  if (detector_on()) detector::object_write(obj);
}
inline void memory_freed(const void* p, std::size_t size) {
  if (detector_on()) detector::memory_freed(p, size);
}
inline void stack_in_use(const void* p, std::size_t size) {
  if (detector_on()) detector::stack_in_use(p, size);
}
// An ignore_begin skipped while the detector was off may meet an ignore_end after it came on:
// the detector's ignore_end tolerates that.
inline void ignore_begin() {
  if (detector_on()) detector::ignore_begin();
}
inline void ignore_end() {
  if (detector_on()) detector::ignore_end();
}
// The fiber running on this thread, as switch_to last set it; null on a plain thread, or a worker
// between fibers. For the lock hooks (lock_hooks.h), which read it once per call, before anything
// can switch the calling fiber to another thread.
extern constinit thread_local Task* t_running __attribute__((tls_model("initial-exec")));
// Takes the fiber as a Task (a Fiber is one): the callers know the conversion, this header does
// not.
inline void switch_to(Task* f) {
  t_running = f;
  if (detector_on()) detector::switch_to(f);
}
void object_gone(const void* obj, std::size_t size);
void park(Task* t, const Waiter* waiters, int n);
void unpark(Task* t);
void fiber_exit(Fiber* f);
void task_gone(Task* t);
void runtime_thread();
void runtime_idle();
void exit_begins();
void sigquit();
void program_exit();
void panic(const char* what);
bool print_panic_stack(void* const* pcs, int n);
}  // namespace hook
#else
namespace hook {
inline void release(const void*) {}
inline void acquire(const void*) {}
inline void acquire_release(const void*) {}
inline void acquire_release_for(Task*, const void*) {}
inline void exchange(Task*, const void*) {}
inline void acquire_for(Task*, const void*) {}
inline void spawn(Task*, Fiber*) {}
inline void fire_begins(const void*) {}
inline void fire_ends() {}
inline void object_read(const void*) {}
inline void object_write(const void*) {}
inline void object_gone(const void*, std::size_t) {}
inline void memory_freed(const void*, std::size_t) {}
inline void stack_in_use(const void*, std::size_t) {}
inline void ignore_begin() {}
inline void ignore_end() {}
inline void switch_to(Task*) {}
inline void park(Task*, const Waiter*, int) {}
inline void unpark(Task*) {}
inline void fiber_exit(Fiber*) {}
inline void task_gone(Task*) {}
inline void runtime_thread() {}
inline void runtime_idle() {}
inline void exit_begins() {}
inline void sigquit() {}
inline void program_exit() {}
inline void panic(const char*) {}
inline bool print_panic_stack(void* const*, int) { return false; }
}  // namespace hook
#endif

// ignore_begin() ... ignore_end() over a scope (a move constructor may throw).
struct IgnoredAccesses {
  IgnoredAccesses() { hook::ignore_begin(); }
  ~IgnoredAccesses() { hook::ignore_end(); }
  IgnoredAccesses(const IgnoredAccesses&) = delete;
  IgnoredAccesses& operator=(const IgnoredAccesses&) = delete;
};

}  // namespace weave::detail
