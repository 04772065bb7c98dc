// Waiter is Go's sudog: one task waiting in one queue (a channel's send or receive queue, a
// semaphore, a condition variable). It lives on the waiting task's stack, which is safe because
// the task cannot return before it is dequeued.
//
// A select enqueues one Waiter per case, all sharing one SelectSync; the first waker that wins
// `fired` owns the task, later wakers skip (and unlink) the stale waiters — Go's selectDone.
#pragma once

#include <atomic>

#include "spinlock.h"
#include "task.h"
#include "weave/detail/chan_core.h"
#include "weave/detail/sema.h"

namespace weave::detail {

struct SelectSync {
  std::atomic<int> fired{-1};  // the index of the case that won, -1 while none has
};

// A Waiter is zeroed on every blocking operation: its small fields share a word, so that a few
// stores do it (a larger one is zeroed with `rep stos`, which is slow to start).
struct Waiter {
  Task* task = nullptr;
  const void* on = nullptr;  // the object whose queue holds it: a channel's core, a Mutex, a Cond
  Waiter* prev = nullptr;
  Waiter* next = nullptr;

  // Channel operations.
  void* elem = nullptr;  // send: the value to move from
  RecvDst dst{};         // recv: where the value goes
  SelectSync* select = nullptr;
  int case_index = 0;
  bool success = false;  // set by the waker: value passed (false: woken by close)

  bool queued = false;  // linked in a WaitList; guarded by that list's lock

  // Semaphores: the waker handed the count straight to this waiter; since when it waits.
  bool ticket = false;
  std::int64_t since_ns = 0;

  // For a select waiter, claims the task for this case; true if the caller may wake it.
  bool claim() {
    if (!select) return true;
    int expected = -1;
    return select->fired.compare_exchange_strong(expected, case_index, std::memory_order_acq_rel);
  }
};

// A FIFO of waiters; the caller holds the list's lock.
inline void wl_push_back(WaitList& l, Waiter* w) {
  w->next = nullptr;
  w->prev = l.tail;
  if (l.tail) {
    l.tail->next = w;
  } else {
    l.head = w;
  }
  l.tail = w;
  w->queued = true;
}

inline void wl_push_front(WaitList& l, Waiter* w) {
  w->prev = nullptr;
  w->next = l.head;
  if (l.head) {
    l.head->prev = w;
  } else {
    l.tail = w;
  }
  l.head = w;
  w->queued = true;
}

inline void wl_remove(WaitList& l, Waiter* w) {
  if (!w->queued) return;
  if (w->prev) {
    w->prev->next = w->next;
  } else {
    l.head = w->next;
  }
  if (w->next) {
    w->next->prev = w->prev;
  } else {
    l.tail = w->prev;
  }
  w->prev = w->next = nullptr;
  w->queued = false;
}

// Removes and returns the first waiter that can be woken: select waiters whose select already
// fired elsewhere are unlinked and skipped. Null if none.
inline Waiter* wl_pop_claimed(WaitList& l) {
  while (Waiter* w = l.head) {
    wl_remove(l, w);
    if (w->claim()) return w;
  }
  return nullptr;
}

inline void wl_lock(WaitList& l) { spin_lock(l.locked); }
inline void wl_unlock(WaitList& l) { spin_unlock(l.locked); }

}  // namespace weave::detail
