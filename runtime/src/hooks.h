// The one interface through which every synchronization event passes, for the debug runtime.
//
// The release library (WEAVE_DEBUG_RUNTIME=0) compiles every hook to nothing. The debug library
// implements them (runtime/src/debug/, a later stage) to record happens-before edges with vector
// clocks, lock sets and the wait-for graph. The vocabulary is TSan's annotation model, which every
// edge SPEC.md lists reduces to:
//   release(obj) / acquire(obj)   an edge from the releasing task's past to the acquiring task;
//                                 channels use (chan, slot) objects, mutexes their address, a
//                                 WaitGroup its address, contexts their node, timers their node.
//   spawn(parent, child)          go: parent's past happens before the child.
//   finish(task)                  a fiber ends (leak accounting).
//   park(task) / unpark(task)     blocking and waking (deadlock detection, dumps).
//   lock(task, m, shared) / unlock(task, m, shared)   lock sets for race reports.
//   program_exit()                exit has stopped the world (exit.cc); static destructors follow.
#pragma once

#include <cstdint>

namespace weave::detail {

struct Task;

#if WEAVE_DEBUG_RUNTIME
namespace hook {
void release(const void* obj);
void acquire(const void* obj);
void spawn(Task* parent, Task* child);
void finish(Task* t);
void park(Task* t);
void unpark(Task* t);  // the waker is the current task
void lock(const void* m, bool shared);
void unlock(const void* m, bool shared);
void program_exit();
}  // namespace hook
#else
namespace hook {
inline void release(const void*) {}
inline void acquire(const void*) {}
inline void spawn(Task*, Task*) {}
inline void finish(Task*) {}
inline void park(Task*) {}
inline void unpark(Task*) {}
inline void lock(const void*, bool) {}
inline void unlock(const void*, bool) {}
inline void program_exit() {}
}  // namespace hook
#endif

}  // namespace weave::detail
