// weave::Semaphore: semaphore.Weighted. Waiters queue in FIFO order, each with a channel that is
// closed when its units are granted; a waiter whose context ends first removes itself, and if it
// was at the front, lets the next ones try.
#include <mutex>

#include "chan.h"
#include "weave/select.h"
#include "weave/semaphore.h"

namespace weave {

absl::Status Semaphore::acquire(const Context& ctx, std::int64_t n, Location loc) {
  std::unique_lock<Mutex> lock(mu_);
  // A context that is already done fails the acquire even when units are free, as Go's Acquire
  // does (it checks ctx.Done() first): ctx's end happened before the acquire, and callers rely on
  // "a done context takes nothing" to stop work promptly.
  if (absl::Status err = ctx.err(); !err.ok()) return err;
  if (size_ - cur_ >= n && waiters_.empty()) {
    cur_ += n;
    return absl::OkStatus();
  }
  if (n > size_) {
    // Can never succeed: wait for the context, as Go does.
    lock.unlock();
    ctx.done().recv(loc);
    return ctx.err();
  }
  Chan<Unit> ready = make_chan<Unit>();
  auto it = waiters_.insert(waiters_.end(), WaiterEntry{n, ready});
  lock.unlock();
  const detail::SelectAs as{detail::WaitReason::kSemaphoreAcquire,
                            detail::WaitObject::named("semaphore", this)};
  if (detail::select_as(&as, recv(ready, loc), recv(ctx.done())) == 0) return absl::OkStatus();
  lock.lock();
  // The context ended; the units may have been granted meanwhile.
  if (select(recv(ready), otherwise()) == 0) {
    // Granted just as the context ended. Go (current x/sync) puts the units back and reports
    // ctx.Err(): a caller that sees an error must not own units it will never release.
    cur_ -= n;
    notify_waiters();
    return ctx.err();
  }
  const bool front = it == waiters_.begin();
  waiters_.erase(it);
  if (front && size_ > cur_) notify_waiters();
  return ctx.err();
}

bool Semaphore::try_acquire(std::int64_t n) {
  std::lock_guard<Mutex> hold(mu_);
  if (size_ - cur_ >= n && waiters_.empty()) {
    cur_ += n;
    return true;
  }
  return false;
}

void Semaphore::release(std::int64_t n) {
  std::lock_guard<Mutex> hold(mu_);
  cur_ -= n;
  if (cur_ < 0) {
    cur_ += n;
    throw Panic("semaphore: released more than held");
  }
  notify_waiters();
}

void Semaphore::notify_waiters() {
  while (!waiters_.empty()) {
    WaiterEntry& w = waiters_.front();
    if (size_ - cur_ < w.n) break;  // FIFO: a big request at the front blocks smaller ones
    cur_ += w.n;
    w.ready.close();
    waiters_.pop_front();
  }
}

}  // namespace weave
