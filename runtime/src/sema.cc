// The semaphore under Mutex, RWMutex and WaitGroup: Go's sema.go, with the wait queue inside the
// semaphore instead of a global table.
//
// Invariant: nwait counts the waiters queued or about to queue; a releaser that sees nwait == 0
// after incrementing count has nobody to wake, and an acquirer re-checks count after raising
// nwait, so no wake-up is lost between the two.
#include <atomic>

#include "sema.h"

#include "scheduler.h"
#include "task.h"
#include "waiter.h"

namespace weave::detail {
namespace {

constexpr std::int64_t kLongWaitNs = 1'000'000;  // as long as a Mutex waits before it starves

bool try_take(Sema* s) {
  std::uint32_t v = s->count.load(std::memory_order_acquire);
  while (v > 0) {
    if (s->count.compare_exchange_weak(v, v - 1, std::memory_order_acq_rel)) return true;
  }
  return false;
}

Unlocker unlock_list(WaitList* l) {
  return Unlocker{[](void* p) { wl_unlock(*static_cast<WaitList*>(p)); }, l};
}

const char* wait_object_kind(WaitReason why) {
  switch (why) {
    case WaitReason::kWaitGroupWait:
      return "waitgroup";
    case WaitReason::kRWMutexLock:
    case WaitReason::kRWMutexRLock:
      return "rwmutex";
    default:
      return "mutex";
  }
}

}  // namespace

void sema_acquire(Sema* s, bool lifo, WaitReason why, const void* obj, const Location& loc,
                  std::int64_t since_ns) {
  if (try_take(s)) return;
  if (since_ns == 0) since_ns = monotonic_now_ns();
  for (;;) {
    wl_lock(s->list);
    s->nwait.fetch_add(1, std::memory_order_seq_cst);
    if (try_take(s)) {
      s->nwait.fetch_sub(1, std::memory_order_seq_cst);
      wl_unlock(s->list);
      return;
    }
    Waiter w;
    w.task = current();
    w.since_ns = since_ns;
    w.on = obj;
    if (lifo) {
      wl_push_front(s->list, &w);
    } else {
      wl_push_back(s->list, &w);
    }
    park(w.task, why, WaitObject::named(wait_object_kind(why), obj), loc, unlock_list(&s->list), &w,
         1);
    if (w.ticket || try_take(s)) return;
  }
}

void sema_release(Sema* s, bool handoff) {
  s->count.fetch_add(1, std::memory_order_seq_cst);
  if (s->nwait.load(std::memory_order_seq_cst) == 0) return;
  wl_lock(s->list);
  if (s->nwait.load(std::memory_order_seq_cst) == 0) {
    wl_unlock(s->list);
    return;
  }
  Waiter* w = s->list.head;
  if (w) {
    wl_remove(s->list, w);
    s->nwait.fetch_sub(1, std::memory_order_seq_cst);
  }
  wl_unlock(s->list);
  if (!w) return;
  // With handoff the count goes straight to the woken waiter, so a running newcomer cannot
  // take it first (a starving Mutex relies on this); and, as Go's semrelease does, the releaser
  // then yields its worker to it: the waiter is this worker's runnext and runs at once, instead
  // of after whatever the releaser does next (a fiber that unlocks and relocks would otherwise
  // make every waiter of a starving mutex wait a full turn of the releaser). A waiter that has
  // waited kLongWaitNs gets the worker too: the releaser may run on without blocking for as long
  // as it likes (fibers that lock and unlock in a loop), and until the waiter runs it can neither
  // take the mutex nor turn on starvation mode. Go's preemption ends such a turn after 10 ms.
  const bool handed = handoff && try_take(s);
  if (handed) w->ticket = true;
  const bool waited_long = monotonic_now_ns() - w->since_ns >= kLongWaitNs;
  ready(w->task);
  if (handed || waited_long) {
    if (Fiber* self = current_fiber()) switch_out(self, PostSwitch{PostSwitch::kYieldLocal, {}});
  }
}

}  // namespace weave::detail
