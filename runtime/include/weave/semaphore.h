// golang.org/x/sync/semaphore.Weighted: a weighted semaphore whose waiters are served in FIFO
// order, so a large request is not starved by a stream of small ones.
#pragma once

#include <cstdint>
#include <list>

#include "absl/status/status.h"
#include "weave/base.h"
#include "weave/chan.h"
#include "weave/context.h"
#include "weave/mutex.h"

namespace weave {

class Semaphore {
 public:
  explicit Semaphore(std::int64_t n) : size_(n) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Waits for n units or for ctx to be done (then returns ctx.err() and acquires nothing).
  absl::Status acquire(const Context& ctx, std::int64_t n = 1, Location loc = Location::current());
  bool try_acquire(std::int64_t n = 1);
  // Throws Panic if more is released than is held.
  void release(std::int64_t n = 1);

 private:
  struct WaiterEntry {
    std::int64_t n;
    Chan<Unit> ready;  // closed when the units are granted
  };
  void notify_waiters();  // requires mu_

  const std::int64_t size_;
  Mutex mu_;
  std::int64_t cur_ = 0;            // guarded by mu_
  std::list<WaiterEntry> waiters_;  // guarded by mu_
};

}  // namespace weave
