// weave::WaitGroup: Go's sync.WaitGroup. state_ holds the counter (high 32 bits) and the number
// of waiters (low 32); the add that brings the counter to zero resets the state and releases every
// waiter, which is what makes the group reusable.
#include "weave/waitgroup.h"

#include "hooks.h"
#include "sema.h"

namespace weave {

void WaitGroup::add(int delta) {
  if (delta < 0) detail::hook::release(this);  // done(): the fiber's past reaches wait()
  const std::uint64_t state =
      state_.fetch_add(static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32,
                       std::memory_order_acq_rel) +
      (static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32);
  const auto v = static_cast<std::int32_t>(state >> 32);
  const auto w = static_cast<std::uint32_t>(state);
  if (v < 0) throw Panic("sync: negative WaitGroup counter");
  // Raising the counter from zero must be ordered with any wait (Go's race.Read(&wg.sema)).
  if (delta > 0 && v == delta) detail::hook::object_read(this);
  if (w != 0 && delta > 0 && v == delta) {
    throw Panic("sync: WaitGroup misuse: add called concurrently with wait");
  }
  if (v > 0 || w == 0) return;
  // The counter reached zero with waiters: nobody may add now, so state is exactly this.
  if (state_.load(std::memory_order_relaxed) != state) {
    throw Panic("sync: WaitGroup misuse: add called concurrently with wait");
  }
  // A waiter may return, and destroy the group (the usual `WaitGroup wg; ...; wg.wait();` at the
  // end of a scope), as soon as it can take a count from sema_ — while this call is still inside
  // sema_release, or still has waiters to wake. Go's garbage collector keeps the group alive;
  // here every waiter instead waits for releasing_ to clear, which is this call's last touch.
  releasing_.store(1, std::memory_order_relaxed);
  state_.store(0, std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < w; ++i) detail::sema_release(&sema_, false);
  releasing_.store(0, std::memory_order_release);
}

void WaitGroup::wait(Location loc) {
  std::uint64_t state = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((state >> 32) == 0) break;
    if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) {
      if (static_cast<std::uint32_t>(state) == 0) detail::hook::object_write(this);  // first waiter
      detail::sema_acquire(&sema_, false, detail::WaitReason::kWaitGroupWait, this, loc);
      // The releaser set releasing_ before it released sema_, and clears it when it no longer
      // touches the group (see add). It has nothing left to block on: this wait is short.
      while (releasing_.load(std::memory_order_acquire) != 0) weave::yield();
      if (state_.load(std::memory_order_relaxed) != 0) {
        throw Panic("sync: WaitGroup is reused before previous wait has returned");
      }
      break;
    }
  }
  detail::hook::acquire(this);
}

}  // namespace weave
