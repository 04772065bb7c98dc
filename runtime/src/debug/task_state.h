// The debug runtime's state in every Task of the debug library (task.h).
//
// Written by the task itself, except where a field says otherwise. Read by dumps and the leak
// analysis while the world is stopped (debug/world.h), or racily by a dump taken while the
// program runs, which is a snapshot.
#pragma once

#include <atomic>
#include <new>

#include "hooks.h"
#include "weave/base.h"

namespace weave::detail {
struct Waiter;
}

namespace weave::detail::race {
struct RaceTask;
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
  const void* caller = nullptr;  // the lock call's return address
};

struct TaskState {
  // Leaves the held slots unmade: a task is made for every fiber started, and zeroing them all
  // would cost more than the rest of a spawn. A slot is made when it is first pushed (held.h).
  TaskState() {}

  // The slots [0, held_count()) are made: a stack of the locks the task holds, with holes where
  // another task unlocked one for it (Go allows that). Only the owner pushes and pops; other
  // tasks read up to the count and clear a slot with a CAS.
  int held_count() const { return used.load(std::memory_order_acquire); }
  HeldLock& held(int i) { return std::launder(reinterpret_cast<HeldLock*>(held_slots))[i]; }
  const HeldLock& held(int i) const {
    return std::launder(reinterpret_cast<const HeldLock*>(held_slots))[i];
  }
  std::atomic<int> used{0};
  alignas(HeldLock) unsigned char held_slots[kMaxHeldLocks * sizeof(HeldLock)];
  // While parked (hook::park): the wait-queue entries the task published, and for a plain thread
  // its stack pointer, with its callee-saved registers spilled above it, and the frame pointer of
  // park's frame (where a walk of its stack starts).
  const Waiter* waiters = nullptr;
  int nwaiters = 0;
  const void* sp = nullptr;
  const void* fp = nullptr;
  // The race detector's state of the task (debug/race/race_task.h): a fiber's from its spawn, a
  // thread's from its first park (the thread's own code finds it without this).
  race::RaceTask* race = nullptr;
};

}  // namespace weave::detail::debug
