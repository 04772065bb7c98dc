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
//                                 node, a Once its done flag.
//   release_for(t, obj) / acquire_for(t, obj)
//                                 the same on behalf of t, a task parked in a wait queue whose
//                                 operation the current task completes (a value handed to a parked
//                                 receiver, a close that wakes it): Go's racereleaseg and
//                                 raceacquireg. From the moment the waker dequeues t until it calls
//                                 ready(t), t cannot run, so the waker may touch t's debug state.
//   spawn(parent, child)          go: the parent's past happens before the child's first step.
//
// Objects the race detector checks like memory (Go's race.Read(&wg.sema)): object_read and
// object_write, on a channel for send/receive and close, on a WaitGroup for an add from zero and
// a wait. object_gone(p, n): every object in [p, p+n) is gone (a channel freed, a Mutex destroyed),
// so that a later object at a reused address starts fresh.
//
// Locks (the lock checks' and the dumps' view; the happens-before edges are separate calls):
//   lock_blocks(m, kind, loc)  the current task is about to block waiting for m (it may be called
//                              again if it wakes and has to wait again)
//   locked(m, kind, loc)       the current task now holds m
//   unlocked(m, kind)          the current task is about to release m
//
// Tasks and blocking: park(t, waiters, n) when t, the current task, is about to block with its n
// wait-queue entries published (none for a sleep or a nil channel); unpark(t) when the current task
// makes parked t runnable; fiber_exit(f) when f's callable has returned (on its own stack);
// task_gone(t) just before a task's memory goes (a fiber after it is off its stack, a thread's at
// its exit).
//
// The scheduler and the timer thread report what deadlock detection and stopping the world need:
// runtime_thread() when a thread of weave's own starts (workers, the timer thread, the SIGQUIT
// watcher); safe_point() before such a thread runs user code (a worker a fiber, the timer thread a
// fire), which waits there while the debug runtime has the world stopped; runtime_idle() when it
// runs none any more (a worker about to sleep, the timer thread between fires), where the last
// one to go idle looks for a deadlock. stop_requested() says that a fiber switching out must go
// through its worker's loop, and so its safe point, instead of straight to another fiber.
//
// program_exit() runs once when the program ends (main returns, exit() is called), after exit.cc
// has stopped the world and before static destructors: the leak dump. panic(what) runs when an
// exception ends the process, after `panic: …` and the panicking task's stack are printed.
#pragma once

#include <cstddef>

#include "weave/base.h"

namespace weave::detail {

struct Task;
struct Fiber;
struct Waiter;

enum class LockKind : unsigned char { kMutex, kRWMutex, kRWMutexRead };

#if WEAVE_DEBUG_RUNTIME
namespace hook {
void release(const void* obj);
void acquire(const void* obj);
void release_for(Task* parked, const void* obj);
void acquire_for(Task* parked, const void* obj);
void spawn(Task* parent, Fiber* child);
void object_read(const void* obj);
void object_write(const void* obj);
void object_gone(const void* obj, std::size_t size);
void lock_blocks(const void* m, LockKind kind, const Location& loc);
void locked(const void* m, LockKind kind, const Location& loc);
void unlocked(const void* m, LockKind kind);
void park(Task* t, const Waiter* waiters, int n);
void unpark(Task* t);
void fiber_exit(Fiber* f);
void task_gone(Task* t);
void runtime_thread();
void runtime_idle();
bool stop_requested();
void safe_point();
void program_exit();
void panic(const char* what);
}  // namespace hook
#else
namespace hook {
inline void release(const void*) {}
inline void acquire(const void*) {}
inline void release_for(Task*, const void*) {}
inline void acquire_for(Task*, const void*) {}
inline void spawn(Task*, Fiber*) {}
inline void object_read(const void*) {}
inline void object_write(const void*) {}
inline void object_gone(const void*, std::size_t) {}
inline void lock_blocks(const void*, LockKind, const Location&) {}
inline void locked(const void*, LockKind, const Location&) {}
inline void unlocked(const void*, LockKind) {}
inline void park(Task*, const Waiter*, int) {}
inline void unpark(Task*) {}
inline void fiber_exit(Fiber*) {}
inline void task_gone(Task*) {}
inline void runtime_thread() {}
inline void runtime_idle() {}
inline bool stop_requested() { return false; }
inline void safe_point() {}
inline void program_exit() {}
inline void panic(const char*) {}
}  // namespace hook
#endif

}  // namespace weave::detail
