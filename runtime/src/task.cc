// park/ready for fibers and threads (see task.h for the protocol).
#include "task.h"

#include <time.h>

#include <atomic>

#include "fiber.h"
#include "futex.h"
#include "hooks.h"
#include "registry.h"
#include "scheduler.h"

namespace weave::detail {
namespace {

// A plain thread that blocks in weave: park waits for a permit that ready() posts.
struct ThreadTask : Task {
  ThreadTask() : Task(TaskKind::kThread) {
    id = next_task_id();
    registry_add_thread(this);
  }
  ~ThreadTask() {
    registry_remove_thread(this);
    hook::task_gone(this);
  }
  std::atomic<std::uint32_t> permits{0};
};

[[gnu::noinline]] ThreadTask* this_thread_task() {
  static thread_local ThreadTask t;
  return &t;
}

// Coarse is enough for "how long has it waited" and costs a few nanoseconds.
std::int64_t coarse_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

std::int64_t monotonic_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Task* current() {
  if (Fiber* f = current_fiber()) return f;
  return this_thread_task();
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
    auto* tt = static_cast<ThreadTask*>(t);
    unlock();
    hook::park(t, waiters, nwaiters);
    for (;;) {
      std::uint32_t p = tt->permits.load(std::memory_order_acquire);
      if (p != 0 && tt->permits.compare_exchange_weak(p, p - 1, std::memory_order_acq_rel)) break;
      if (p == 0) futex_wait(&tt->permits, 0);
    }
  }
  t->wait_reason.store(WaitReason::kNone, std::memory_order_relaxed);
}

void ready(Task* t) {
  hook::unpark(t);
  if (t->kind == TaskKind::kFiber) {
    t->wait_reason.store(WaitReason::kNone, std::memory_order_relaxed);  // runnable from now on
    schedule_ready(static_cast<Fiber*>(t));
  } else {
    // Deadlock detection counts a thread as blocked while its reason is set: it must see this
    // before the thread can run.
    t->wait_reason.store(WaitReason::kNone, std::memory_order_seq_cst);
    auto* tt = static_cast<ThreadTask*>(t);
    tt->permits.fetch_add(1, std::memory_order_release);
    futex_wake_one(&tt->permits);
  }
}

}  // namespace weave::detail
