// The race engine's state of one task (a fiber, or a plain thread): its slot and vector clock, its
// shadow call stack, who it is for reports. A fiber's lives from its spawn to the end of its
// callable; a thread's from its first event to its exit.
//
// The running task's state is reached through thread-locals that fiber switches update
// (race_switch): tls_task is the running task's, tls_cur the same unless the task ignores
// accesses (then null, which is all the access fast path tests). Another task touches a task's
// state only while that task cannot run: its spawner before it starts, a waker completing its
// operation on its behalf while it is parked (acquire_for).
#pragma once

#include <atomic>
#include <cstdint>

#include "abi.h"
#include "cell.h"
#include "hooks.h"
#include "slots.h"
#include "vector_clock.h"

namespace weave::detail::race {

using race_abi::Loc;

constexpr u32 kUnknownNode = ~0u;

struct Frame {
  const Loc* fn;        // the function (its record names its first line)
  const Loc* callsite;  // where its caller called it; null when called from code not instrumented
  u32 node;             // its stack id (stacks.h), kUnknownNode until first needed
  u64 caller_gen;       // the caller's frames_gen, which is the task's again when this returns
};

// A lock the task holds, for reports.
struct HeldLock {
  const void* addr;
  bool shared;
  const char* file;
  u32 line;
};

constexpr u64 kNoStamp = ~u64{0};

// What a task knew when it started children, shared by them: a spawner that has joined many
// fibers knows many slots, and copying its clock into every child (and joining each child's copy
// into the WaitGroup it signals) cost as much as the clock is long. Immutable; freed with its
// last holder.
struct SharedClock {
  std::atomic<u32> refs;
  u64 id;  // never the same for two (new_frames_gen)
  VectorClock vc;
};

struct RaceTask {
  u64 epoch = 0;  // make_epoch(slot, clock), what the fast path compares cells with
  u32 slot = 0;
  u32 clock = 0;
  int ignore = 0;  // > 0: accesses are not checked (values the runtime moves between tasks)
  bool finished = false;
  // What the task knows of every other slot's past: vc and, until the task first needs a clock
  // of its own for all of it (fold), what it inherited at its start. Its own slot's entry is
  // `clock`, kept apart (vc's entry there may lag): a fiber holding a high slot number that knows
  // little keeps a short clock, and copying it into a child or a channel stays cheap.
  VectorClock vc;
  SharedClock* inherited = nullptr;
  // With inherited: its parent's clock at its start (apart, as its own: the shared clock is what
  // the parent knew, the same for every child; its vc would be as long as the parent's slot).
  u32 parent_slot = 0;  // 0: none
  u32 parent_clock = 0;
  // What the task's children inherit: vc when it was at `shared_version` (null: none made yet).
  SharedClock* shared = nullptr;
  u64 shared_version = 0;
  // For sync.cc's fast paths, which skip a vector-clock walk where a lock's clock is what the
  // task itself released there: the clock from which on the task's releases are covered by what
  // it knows now (its vc only grew since), the clock at which vc last changed, and the stamp of
  // the sync clock it last acquired (kNoStamp: none that it surely still covers).
  u32 tenure = 0;
  u32 vc_changed = 0;
  u64 acquired = kNoStamp;
  // The clock of the latest access of the slot recorded in the shadow (the task's own, or, until
  // it records one, an earlier holder's): a task that knows the slot up to here knows all of it
  // that the shadow remembers (slots.h).
  u32 last_access_clock = 0;
  Frame* frames = nullptr;  // frames[0] is the outermost
  u32 depth = 0;
  // The frame instance the task runs in: a new number at every function entry, the caller's again
  // at its exit; 0 outside every recorded frame, where an access's stack is the same for every
  // task. Numbers are never handed out twice, by any thread (new_frames_gen): the thread's cache
  // of access sites (stacks.h) is shared by every task that runs on it.
  u64 frames_gen = 0;
  u32 frames_capacity = 0;

  // A fiber's stack (its shadow is cleared when it ends); low_water: the deepest frame seen;
  // stack_recorded: the lowest address in it at which the task recorded an access.
  uptr stack_lo = 0;
  uptr stack_hi = 0;
  uptr low_water = ~uptr{0};
  uptr stack_recorded = ~uptr{0};

  // Fences: what a relaxed store releases after a release fence (null: none yet), and what the
  // task's relaxed reads so far would have acquired (an acquire fence joins it).
  VectorClock* fence_release = nullptr;
  VectorClock* fence_acquire = nullptr;

  static constexpr int kMaxLocks = 8;
  HeldLock locks[kMaxLocks];
  int nlocks = 0;

  Identity who;
  RaceTask* next_free = nullptr;   // while freed (race_task.cc)
  RaceTask* next_batch = nullptr;  // while freed, heading a batch in the shared pool
};

// All t knows: its vc, and what it inherited if it still shares it.
inline Knowledge knowledge(const RaceTask* t) {
  if (!t->inherited) return Knowledge{t->vc};
  return Knowledge{t->vc, &t->inherited->vc, t->parent_slot, t->parent_clock};
}

// The latest clock of slot s that t knows of.
inline u32 knows(const RaceTask* t, u32 s) {
  if (__builtin_expect(t->inherited == nullptr, 1)) return t->vc.get(s);
  return knowledge(t).get(s);
}

// t's vc becomes all it knows (what it inherited joined in): before anything that copies or
// replaces t's clock as a whole.
void fold(RaceTask* t);

// How many of t's frames are recorded: a stack deeper than frames_capacity keeps its outermost.
inline u32 recorded_frames(const RaceTask* t) {
  return t->depth < t->frames_capacity ? t->depth : t->frames_capacity;
}
// Where recorded frame i (i > 0) was called in frame i - 1: its call site, or, for a call that
// came through code not instrumented, the caller's function.
inline const Loc* called_from(const RaceTask* t, u32 i) {
  return t->frames[i].callsite ? t->frames[i].callsite : t->frames[i - 1].fn;
}

// Declared constinit and initial-exec: every instrumented access reads them, and neither needs a
// check that the thread's copy was initialized nor a call to find it.
#define WEAVE_RACE_TLS extern constinit __attribute__((tls_model("initial-exec"))) thread_local
WEAVE_RACE_TLS RaceTask* tls_cur;
WEAVE_RACE_TLS RaceTask* tls_task;

// The running task's state for an access: null while the engine is off or the task ignores.
RaceTask* access_task_slow();
inline RaceTask* access_task() {
  RaceTask* t = tls_cur;
  return __builtin_expect(t != nullptr, 1) ? t : access_task_slow();
}
// The running task's state, made for a plain thread on first use; null while the engine is off.
// Inline: every synchronization of the debug runtime asks, and without instrumented code the
// engine stays off.
RaceTask* running_task_slow();
inline RaceTask* running_task() {
  if (RaceTask* t = tls_task) return t;
  if (!g_enabled.load(std::memory_order_relaxed)) return nullptr;
  return running_task_slow();
}

// A task that `parent` starts: it inherits parent's past, and parent moves on (a release).
RaceTask* task_start(RaceTask* parent, const Identity& who, uptr stack_lo, uptr stack_hi);
// The task has ended: its slot is freed and the shadow of its stack cleared. Nothing it does later
// is checked.
void task_end(RaceTask* t);
void task_free(RaceTask* t);
// Fiber t runs on this thread from now on (null: a fiber the engine does not track).
void task_switch(RaceTask* t);
// The thread's own code runs on it from now on (a worker's scheduling loop).
void task_switch_to_thread();

// Who a new thread is, before weave knows it: numbered by the engine (thread T1, T2, ...).
Identity new_thread_identity();

// The thread's own task, made by its pthread_create (pthread.cc), from the thread's first step.
void thread_started(RaceTask* t);

// After a release: the task's next accesses belong to a new epoch.
void tick(RaceTask* t);

void ignore_begin();
void ignore_end();

void frames_grow(RaceTask* t);

// A frame instance number never handed out before: from a block of them the thread takes at once.
u64 new_frames_gen_slow();
WEAVE_RACE_TLS u64 tls_gens_next;
WEAVE_RACE_TLS u64 tls_gens_end;
inline u64 new_frames_gen() {
  if (__builtin_expect(tls_gens_next == tls_gens_end, 0)) return new_frames_gen_slow();
  return tls_gens_next++;
}

}  // namespace weave::detail::race
