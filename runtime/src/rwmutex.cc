// weave::RWMutex: Go's sync.RWMutex.
//
// reader_count_ counts active readers; a writer subtracts kMaxReaders from it, which both tells new
// readers to wait (the count goes negative) and lets the writer know how many readers were
// active: it waits on writer_sem_ until that many have left (reader_wait_). The writer's unlock
// adds kMaxReaders back and wakes the readers that queued meanwhile.
#include <cstdio>
#include <cstdlib>

#include "lock_hooks.h"
#include "panic.h"
#include "sema.h"
#include "weave/mutex.h"

namespace weave {
namespace {

constexpr std::int32_t kMaxReaders = 1 << 30;

}  // namespace

void RWMutex::lock_shared(Location loc) {
  const void* caller = __builtin_return_address(0);
  detail::Task* self = detail::hook::locker();
  if (reader_count_.fetch_add(1, std::memory_order_acquire) + 1 < 0) {
    detail::hook::lock_blocks(this, detail::LockKind::kRWMutexRead, loc, caller);
    detail::sema_acquire(&reader_sem_, false, detail::WaitReason::kRWMutexRLock, this, loc);
  }
  detail::hook::locked(self, this, detail::LockKind::kRWMutexRead, loc, /*tried=*/false, caller);
}

bool RWMutex::try_lock_shared(Location loc) {
  std::int32_t c = reader_count_.load(std::memory_order_relaxed);
  for (;;) {
    if (c < 0) return false;
    if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acquire)) break;
  }
  detail::hook::locked(detail::hook::locker(), this, detail::LockKind::kRWMutexRead, loc,
                       /*tried=*/true, __builtin_return_address(0));
  return true;
}

void RWMutex::unlock_shared() {
  detail::Task* self = detail::hook::locker();
  detail::hook::unlocking(this, detail::LockKind::kRWMutexRead);
  detail::hook::release(&reader_count_);  // readers' past reaches the next writer
  const std::int32_t r = reader_count_.fetch_sub(1, std::memory_order_release) - 1;
  if (r < 0) {
    if (r + 1 == 0 || r + 1 == -kMaxReaders) {
      detail::fatal_error("sync: RUnlock of unlocked RWMutex");
    }
    // A writer is pending; the last departing reader lets it in.
    if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) {
      detail::sema_release(&writer_sem_, false);
    }
  }
  detail::hook::unlocked(self, this, detail::LockKind::kRWMutexRead);
}

void RWMutex::lock(Location loc) {
  const void* caller = __builtin_return_address(0);
  detail::Task* self = detail::hook::locker();
  w_.lock_unreported(loc, this, caller);
  const std::int32_t r = reader_count_.fetch_sub(kMaxReaders, std::memory_order_acquire);
  if (r != 0 && reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    detail::hook::lock_blocks(this, detail::LockKind::kRWMutex, loc, caller);
    detail::sema_acquire(&writer_sem_, false, detail::WaitReason::kRWMutexLock, this, loc);
  }
  detail::hook::acquire(&reader_count_);
  detail::hook::locked(self, this, detail::LockKind::kRWMutex, loc, /*tried=*/false, caller);
}

bool RWMutex::try_lock(Location loc) {
  if (!w_.try_lock_unreported()) return false;
  std::int32_t expected = 0;
  if (!reader_count_.compare_exchange_strong(expected, -kMaxReaders, std::memory_order_acquire)) {
    w_.unlock_unreported();
    return false;
  }
  detail::hook::acquire(&reader_count_);
  detail::hook::locked(detail::hook::locker(), this, detail::LockKind::kRWMutex, loc,
                       /*tried=*/true, __builtin_return_address(0));
  return true;
}

void RWMutex::unlock() {
  detail::Task* self = detail::hook::locker();
  detail::hook::unlocking(this, detail::LockKind::kRWMutex);
  const std::int32_t r =
      reader_count_.fetch_add(kMaxReaders, std::memory_order_release) + kMaxReaders;
  if (r >= kMaxReaders) detail::fatal_error("sync: Unlock of unlocked RWMutex");
  for (std::int32_t i = 0; i < r; ++i) detail::sema_release(&reader_sem_, false);
  w_.unlock_unreported();
  detail::hook::unlocked(self, this, detail::LockKind::kRWMutex);
}

}  // namespace weave
