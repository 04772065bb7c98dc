// weave::Cond. wait() queues the caller before it unlocks the mutex, under the queue's lock, and
// parks releasing that lock: a signal sent after the unlock therefore finds the waiter, and one
// sent before wait() was called cannot reach it.
#include "weave/cond.h"
#include "hooks.h"
#include "task.h"
#include "waiter.h"

namespace weave {

void Cond::wait(Location loc) {
  detail::Waiter w;
  w.task = detail::current();
  w.on = this;
  detail::wl_lock(waiters_);
  detail::wl_push_back(waiters_, &w);
  mu_->unlock();  // may wake a lock waiter, never parks: fine under the queue's spin lock
  detail::park(
      w.task, detail::WaitReason::kCondWait, detail::WaitObject::named("cond", this), loc,
      detail::Unlocker{[](void* l) { detail::wl_unlock(*static_cast<detail::WaitList*>(l)); },
                       &waiters_},
      &w, 1);
  detail::hook::acquire(this);
  mu_->lock(loc);
}

void Cond::signal() {
  detail::hook::release(this);
  detail::wl_lock(waiters_);
  detail::Waiter* w = waiters_.head;
  if (w) detail::wl_remove(waiters_, w);
  detail::wl_unlock(waiters_);
  if (w) detail::ready(w->task);
}

void Cond::broadcast() {
  detail::hook::release(this);
  detail::wl_lock(waiters_);
  detail::Waiter* all = waiters_.head;
  waiters_.head = waiters_.tail = nullptr;
  for (detail::Waiter* w = all; w; w = w->next) w->queued = false;
  detail::wl_unlock(waiters_);
  while (all) {
    detail::Waiter* next = all->next;
    detail::ready(all->task);
    all = next;
  }
}

}  // namespace weave
