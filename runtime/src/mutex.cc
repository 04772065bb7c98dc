// weave::Mutex: Go's sync.Mutex algorithm (normal and starvation modes) over sema.cc.
//
// state_: bit 0 locked, bit 1 woken (a waiter is awake and competing, so unlock need not wake
// another), bit 2 starving (unlock hands the mutex to the front waiter), bits 3.. the number of
// waiters. A waiter that has waited longer than 1ms sets starving; the mode ends when the last
// waiter or a waiter that waited briefly takes the lock.
#include <cstdio>
#include <cstdlib>

#include "lock_hooks.h"
#include "panic.h"
#include "sema.h"
#include "spinlock.h"
#include "task.h"
#include "weave/fiber.h"
#include "weave/mutex.h"

namespace weave {
namespace {

constexpr std::int32_t kLocked = 1;
constexpr std::int32_t kWoken = 2;
constexpr std::int32_t kStarving = 4;
constexpr int kWaiterShift = 3;
constexpr std::int64_t kStarvationThresholdNs = 1000000;

bool can_spin(int iter) { return iter < 4 && weave::procs() > 1; }

}  // namespace

void Mutex::lock(Location loc) {
  const void* caller = __builtin_return_address(0);
  detail::Task* self = detail::hook::locker();
  lock_unreported(loc, nullptr, caller);
  detail::hook::locked(self, this, detail::LockKind::kMutex, loc, /*tried=*/false, caller);
}

void Mutex::lock_unreported(const Location& loc, const RWMutex* rw, const void* caller) {
  std::int32_t expected = 0;
  if (!state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire)) {
    lock_slow(loc, rw, caller);
  }
}

bool Mutex::try_lock(Location loc) {
  if (!try_lock_unreported()) return false;
  detail::hook::locked(detail::hook::locker(), this, detail::LockKind::kMutex, loc,
                       /*tried=*/true, __builtin_return_address(0));
  return true;
}

bool Mutex::try_lock_unreported() {
  std::int32_t old = state_.load(std::memory_order_relaxed);
  if (old & (kLocked | kStarving)) return false;
  return state_.compare_exchange_strong(old, old | kLocked, std::memory_order_acquire);
}

// Out of line, so that the fast paths above and below inline into lock and unlock.
[[gnu::noinline]] void Mutex::lock_slow(const Location& loc, const RWMutex* rw,
                                        const void* caller) {
  std::int64_t wait_start = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Spin while the holder is likely to release soon (never in starvation mode: the mutex goes
    // to the front waiter then).
    if ((old & (kLocked | kStarving)) == kLocked && can_spin(iter)) {
      if (!awoke && !(old & kWoken) && (old >> kWaiterShift) != 0 &&
          state_.compare_exchange_strong(old, old | kWoken, std::memory_order_relaxed)) {
        awoke = true;
      }
      for (int i = 0; i < 30; ++i) detail::cpu_relax();
      ++iter;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t next = old;
    if (!(old & kStarving)) next |= kLocked;  // a newcomer may not take a starving mutex
    if (old & (kLocked | kStarving)) next += 1 << kWaiterShift;
    if (starving && (old & kLocked)) next |= kStarving;
    if (awoke) next &= ~kWoken;
    if (state_.compare_exchange_weak(old, next, std::memory_order_acquire)) {
      if (!(old & (kLocked | kStarving))) return;  // took it
      const bool lifo = wait_start != 0;           // a waiter that waited before goes to the front
      if (wait_start == 0) wait_start = detail::monotonic_now_ns();
      if (rw) {
        detail::hook::lock_blocks(rw, detail::LockKind::kRWMutex, loc, caller);
        detail::sema_acquire(&sema_, lifo, detail::WaitReason::kRWMutexLock, rw, loc, wait_start);
      } else {
        detail::hook::lock_blocks(this, detail::LockKind::kMutex, loc, caller);
        detail::sema_acquire(&sema_, lifo, detail::WaitReason::kMutexLock, this, loc, wait_start);
      }
      starving = starving || detail::monotonic_now_ns() - wait_start > kStarvationThresholdNs;
      old = state_.load(std::memory_order_relaxed);
      if (old & kStarving) {
        // Handed to us: we own it; fix up the count, and leave starvation mode if we are the last
        // waiter or did not wait long.
        std::int32_t delta = kLocked - (1 << kWaiterShift);
        if (!starving || (old >> kWaiterShift) == 1) delta -= kStarving;
        state_.fetch_add(delta, std::memory_order_acquire);
        return;
      }
      awoke = true;
      iter = 0;
    }
  }
}

void Mutex::unlock() {
  detail::Task* self = detail::hook::locker();
  detail::hook::unlocking(this, detail::LockKind::kMutex);
  unlock_unreported();
  detail::hook::unlocked(self, this, detail::LockKind::kMutex);
}

void Mutex::unlock_unreported() {
  const std::int32_t next = state_.fetch_sub(kLocked, std::memory_order_release) - kLocked;
  if (next != 0) unlock_slow(next);
}

[[gnu::noinline]] void Mutex::unlock_slow(std::int32_t next) {
  if (((next + kLocked) & kLocked) == 0) {
    detail::fatal_error("sync: unlock of unlocked mutex");
  }
  if (next & kStarving) {
    detail::sema_release(&sema_, true);
    return;
  }
  std::int32_t old = next;
  for (;;) {
    // Nobody to wake, or someone is already awake or holds the lock: done.
    if ((old >> kWaiterShift) == 0 || (old & (kLocked | kWoken | kStarving))) return;
    const std::int32_t n = (old - (1 << kWaiterShift)) | kWoken;
    if (state_.compare_exchange_weak(old, n, std::memory_order_release)) {
      detail::sema_release(&sema_, false);
      return;
    }
  }
}

}  // namespace weave
