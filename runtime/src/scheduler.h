// The M:N scheduler: WEAVE_PROCS worker threads run fibers from per-worker run queues, steal from
// each other when idle, spin briefly and then sleep.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fiber.h"
#include "task.h"

namespace weave::detail {

// What the scheduler does right after a fiber has switched off its stack.
struct PostSwitch {
  // kYield: behind everything that waits (the global queue), as Go's Gosched. kYieldLocal:
  // behind this worker's own queue, after its runnext, as Go's goyield (a Mutex's hand-off).
  // A whole word, so the struct has no padding: a copy into the worker keeps whatever bytes the
  // fiber's stack held in padding, and the leak analysis reads the worker as possible pointers
  // (a stale address into a parked fiber's frame would keep what that frame holds alive).
  enum Kind : std::uintptr_t { kNone, kPark, kYield, kYieldLocal, kExit } kind = kNone;
  Unlocker unlock;
};

// Starts the workers once; every entry point that can create or wake a fiber calls it.
void ensure_started();

// Called on a fiber's stack: gives the worker back to the scheduler, which then runs `post`.
// Returns when the fiber is resumed (never, for kExit).
void switch_out(Fiber* self, PostSwitch post);

// Makes a parked fiber runnable. From a worker it becomes the worker's next fiber (so a
// producer/consumer pair stays on one core, as Go's runnext does); from a plain thread, its
// guest's (run_woken_fibers), or the global queue's before the thread first blocked.
void schedule_ready(Fiber* f);

// Called by a plain thread blocked in weave before it waits: runs the fibers it woke, and those
// they wake, on its own thread until done(arg) (its wait is over), none is left, or the world
// stops. Not in the debug runtime (see scheduler.cc's top).
void run_woken_fibers(bool (*done)(const void*), const void* arg);

// Exit's stop: waits until no plain thread runs a fiber it woke (the world stopping, none starts
// another), for at most ns; false if one still does.
bool wait_for_guests(std::int64_t ns);
// Makes a new fiber runnable.
void schedule_new(Fiber* f);
// True when the calling spawner has a backlog of runnable fibers: a worker's ring half full, or
// for a plain thread the global queue (see spawn()).
bool spawner_should_yield();

// The worker thread's index, or -1 on a plain thread.
int current_worker_index();

// Prepares f's machine context so that its first resume enters run_fiber_body (fiber.h).
void make_fiber_context(Fiber* f, void* stack_top, std::size_t size);

// The number of workers (weave::procs()); starts them.
int scheduler_procs();

// Whether a worker runs a fiber on s, or is about to: exact when read after heavy_fence, for a
// worker that makes its fiber current, light-fences, then checks s's guard (guard.cc).
bool stack_running(const Stack* s);

// For deadlock detection: true when no fiber runs or can run (every worker asleep, nothing
// queued; also before the scheduler starts). `activity` changes whenever a worker picks a fiber,
// so that two calls can tell whether any ran in between.
bool scheduler_quiescent(std::uint64_t* activity);

}  // namespace weave::detail
