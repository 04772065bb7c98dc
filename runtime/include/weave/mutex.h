// Go's sync.Mutex and sync.RWMutex for fibers: contention parks the fiber, not its worker thread.
//
// Mutex follows Go's algorithm: normal mode lets a running newcomer beat a woken waiter (fast under
// load); a waiter that has waited over 1ms switches the mutex to starvation mode, where unlock
// hands it straight to the oldest waiter, so nobody is passed over forever. RWMutex: a writer
// waiting for readers blocks new readers, so writers are not starved. Neither is reentrant. Both
// meet the standard Lockable / SharedLockable requirements and carry Clang thread-safety
// attributes.
#pragma once

#include <atomic>
#include <cstdint>

#include "weave/base.h"
#include "weave/detail/debug_hooks.h"
#include "weave/detail/sema.h"
#include "weave/thread_annotations.h"

namespace weave {

class RWMutex;

class WEAVE_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
#if WEAVE_DEBUG
  ~Mutex() { detail::debug_object_gone(this, sizeof(*this)); }
#endif

  void lock(Location loc = Location::current()) WEAVE_ACQUIRE();
  bool try_lock(Location loc = Location::current()) WEAVE_TRY_ACQUIRE(true);
  // Unlocking an unlocked mutex is fatal, as in Go.
  void unlock() WEAVE_RELEASE();

 private:
  // The algorithm alone: RWMutex's writer side is built on it and reports itself to the debug
  // runtime, as `rw`.
  friend class RWMutex;
  void lock_unreported(const Location& loc, const RWMutex* rw);
  bool try_lock_unreported();
  void unlock_unreported();
  void lock_slow(const Location& loc, const RWMutex* rw);
  void unlock_slow(std::int32_t state);

  std::atomic<std::int32_t> state_{0};  // locked | woken | starving | waiters << 3
  detail::Sema sema_;
};

class WEAVE_CAPABILITY("mutex") RWMutex {
 public:
  RWMutex() = default;
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;
#if WEAVE_DEBUG
  ~RWMutex() { detail::debug_object_gone(this, sizeof(*this)); }
#endif

  void lock(Location loc = Location::current()) WEAVE_ACQUIRE();
  bool try_lock(Location loc = Location::current()) WEAVE_TRY_ACQUIRE(true);
  void unlock() WEAVE_RELEASE();
  void lock_shared(Location loc = Location::current()) WEAVE_ACQUIRE_SHARED();
  bool try_lock_shared(Location loc = Location::current()) WEAVE_TRY_ACQUIRE_SHARED(true);
  void unlock_shared() WEAVE_RELEASE_SHARED();
  // Go's names.
  void rlock(Location loc = Location::current()) WEAVE_ACQUIRE_SHARED() { lock_shared(loc); }
  void runlock() WEAVE_RELEASE_SHARED() { unlock_shared(); }

 private:
  Mutex w_;                                    // held by the writer, excludes other writers
  detail::Sema writer_sem_;                    // the writer waits here for departing readers
  detail::Sema reader_sem_;                    // readers wait here for the writer
  std::atomic<std::int32_t> reader_count_{0};  // negative while a writer is pending
  std::atomic<std::int32_t> reader_wait_{0};   // readers the pending writer still waits for
};

}  // namespace weave
