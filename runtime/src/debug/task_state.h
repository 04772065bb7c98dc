// The debug runtime's state in every Task of the debug library (task.h).
//
// Written by the task itself, except where a field says otherwise. Read by dumps and the leak
// analysis while the world is stopped (debug/world.h), or racily by a dump taken while the
// program runs, which is a snapshot.
#pragma once

#include <atomic>

#include "hooks.h"
#include "weave/base.h"

namespace weave::detail {
struct Waiter;
}

namespace weave::detail::debug {

// A task holds at most this many locks at once that dumps can name as held by it; more are not
// tracked (a mutex the task holds beyond them shows no holder).
constexpr int kMaxHeldLocks = 16;

struct HeldLock {
  // Null: a free slot. Set and cleared by the owner; cleared with a CAS by another task that
  // unlocks the lock for it (Go allows unlocking a mutex another goroutine locked).
  std::atomic<const void*> lock{nullptr};
  LockKind kind = LockKind::kMutex;
  Location at;
};

struct TaskState {
  HeldLock held[kMaxHeldLocks];
  // While parked (hook::park): the wait-queue entries the task published, and for a plain thread
  // its stack pointer, with its callee-saved registers spilled above it, and the frame pointer of
  // park's frame (where a walk of its stack starts).
  const Waiter* waiters = nullptr;
  int nwaiters = 0;
  const void* sp = nullptr;
  const void* fp = nullptr;
};

}  // namespace weave::detail::debug
