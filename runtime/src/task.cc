// park/ready for fibers and threads (see task.h for the protocol).
#include "task.h"

#include <sched.h>
#include <time.h>

#include <atomic>

#include "exit.h"
#include "fiber.h"
#include "fork.h"
#include "futex.h"
#include "hooks.h"
#include "registry.h"
#include "sched_debug.h"
#include "scheduler.h"
#include "spinlock.h"
#include "tsan.h"

namespace weave::detail {
namespace {

// A plain thread that blocks in weave: park waits for a permit that ready() posts. It spins a
// while before it sleeps (kThreadSpins, then kThreadSpinNs of yielding), as Go's locks do on an
// M: a fiber's answer to a plain thread (the next value of a fan-in whose consumer is main)
// usually comes within microseconds, while a futex sleep and wake-up costs each side a system
// call and the sleeper a trip through the kernel's scheduler, which on a VM whose idle vCPU is
// halted takes tens of microseconds. ready() wakes the thread only if it sleeps (kSleeping), so a
// hand-off to a spinning thread costs no system call on either side.
struct ThreadTask : Task {
  ThreadTask() : Task(TaskKind::kThread) {
    id = next_task_id();
    registry_add_thread(this);
  }
  ~ThreadTask() {
    registry_remove_thread(this);
    hook::task_gone(this);
  }
  // Permits posted and not yet taken, and kSleeping while the thread sleeps or is about to; only
  // the thread itself sets and clears kSleeping.
  std::atomic<std::uint32_t> state{0};
};

constexpr std::uint32_t kSleeping = 1u << 31;
constexpr int kThreadSpins = 200;
constexpr std::int64_t kThreadSpinNs = 50'000;

// For thread_parks_for_testing and thread_wakes_for_testing.
std::atomic<std::uint64_t> g_thread_parks{0};
std::atomic<std::uint64_t> g_thread_wakes{0};

// Takes a permit if there is one (clearing kSleeping); returns the state seen otherwise.
bool take_permit(ThreadTask* t, std::uint32_t* seen) {
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  while ((s & ~kSleeping) != 0) {
    if (t->state.compare_exchange_weak(s, (s - 1) & ~kSleeping, std::memory_order_acquire)) {
      return true;
    }
  }
  *seen = s;
  return false;
}

// For run_woken_fibers: whether the thread's wait is over.
bool has_permit(const void* t) {
  return (static_cast<const ThreadTask*>(t)->state.load(std::memory_order_acquire) & ~kSleeping) !=
         0;
}

void wait_for_permit(ThreadTask* t) {
  std::uint32_t s = 0;
  for (int i = 0; i < kThreadSpins; ++i) {
    if (take_permit(t, &s)) return;
    cpu_relax();
  }
  const std::int64_t yield_until = monotonic_now_ns() + kThreadSpinNs;
  while (monotonic_now_ns() < yield_until) {
    if (take_permit(t, &s)) return;
    sched_yield();
  }
  for (;;) {
    if (take_permit(t, &s)) return;
    if ((s & kSleeping) == 0 &&
        !t->state.compare_exchange_strong(s, s | kSleeping, std::memory_order_relaxed)) {
      continue;  // a permit came: take it
    }
    futex_wait(&t->state, s | kSleeping);
  }
}

[[gnu::noinline]] ThreadTask* this_thread_task() {
  static thread_local ThreadTask t;
  // Exit stops the world from a thread_local's destructor on the main thread: one made after t,
  // so that it runs while t still names the locks main holds (the exit dump shows them).
  static thread_local const bool armed = (arm_exit_again_on_main_thread(), true);
  (void)armed;
  return &t;
}

// Coarse is enough for "how long has it waited" and costs a few nanoseconds.
std::int64_t coarse_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

Task* current_thread_task() { return this_thread_task(); }

std::int64_t monotonic_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void park(Task* t, WaitReason why, const WaitObject& obj, const Location& loc, Unlocker unlock,
          const Waiter* waiters, int nwaiters) {
#if WEAVE_DEBUG_RUNTIME
  // A blocked thread's registers must be in memory for the leak analysis, which scans its stack
  // from the pointer hook::park records: this makes the prologue save every callee-saved one.
  __builtin_unwind_init();
#endif
  Fiber* f = t->kind == TaskKind::kFiber ? static_cast<Fiber*>(t) : nullptr;
  t->wait_object = obj;
  t->wait_location = loc;
  t->wait_since_ns = coarse_now_ns();
  t->wait_reason.store(why, std::memory_order_release);
  if (f) {
    hook::park(t, waiters, nwaiters);
    switch_out(f, PostSwitch{PostSwitch::kPark, unlock});
  } else {
    check_not_forked_child("a thread blocked");
    // Before the unlock, which lets a waker find the thread: the debug runtime's state of it must
    // be complete by then (a sender completes the receive on the thread's behalf with it).
    hook::park(t, waiters, nwaiters);
    unlock();
    hook::runtime_idle();  // the last thread to block may be the last thing that could run
    g_thread_parks.fetch_add(1, std::memory_order_relaxed);
    auto* tt = static_cast<ThreadTask*>(t);
    run_woken_fibers(&has_permit, tt);
    wait_for_permit(tt);
    // A thread's Task lies in memory the debug runtime's leak analysis reads whole: what it waited
    // on must not look held by it from now on. (A fiber's control block is not read.)
    t->wait_object.addr = nullptr;
  }
  tsan_acquire(t);  // whoever readied us
  t->wait_reason.store(WaitReason::kNone, std::memory_order_relaxed);
}

void ready(Task* t) {
  tsan_release(t);  // the waker's past, for the woken task's return from park
  hook::unpark(t);
  if (t->kind == TaskKind::kFiber) {
    t->wait_reason.store(WaitReason::kNone, std::memory_order_relaxed);  // runnable from now on
    schedule_ready(static_cast<Fiber*>(t));
  } else {
    // Deadlock detection counts a thread as blocked while its reason is set: it must see this
    // before the thread can run.
    t->wait_reason.store(WaitReason::kNone, std::memory_order_seq_cst);
    auto* tt = static_cast<ThreadTask*>(t);
    if (tt->state.fetch_add(1, std::memory_order_release) & kSleeping) {
      g_thread_wakes.fetch_add(1, std::memory_order_relaxed);
      futex_wake_one(&tt->state);
    }
  }
}

std::uint64_t thread_parks_for_testing() { return g_thread_parks.load(std::memory_order_relaxed); }
std::uint64_t thread_wakes_for_testing() { return g_thread_wakes.load(std::memory_order_relaxed); }

}  // namespace weave::detail
