// Go's sync.WaitGroup: wait() returns once every add() has been matched by a done().
// A counter that goes negative throws Panic; the group is reusable once wait() has returned.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "weave/base.h"
#include "weave/detail/debug_hooks.h"
#include "weave/detail/sema.h"
#include "weave/fiber.h"

namespace weave {

class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;
#if WEAVE_DEBUG
  ~WaitGroup() { detail::debug_object_gone(this, sizeof(*this)); }
#endif

  void add(int delta);
  void done() { add(-1); }
  void wait(Location loc = Location::current());
  // Go 1.25's wg.Go(f): add(1), run f on a new fiber, done() when it returns.
  template <class F>
  void go(F&& f, Location loc = Location::current()) {
    add(1);
    weave::go(
        [this, fn = std::forward<F>(f)]() mutable {
          fn();
          done();
        },
        loc);
  }

 private:
  std::atomic<std::uint64_t> state_{0};  // counter << 32 | waiters
  detail::Sema sema_;
  // Set while the add() that brought the counter to zero is still waking waiters; wait() does
  // not return before it is clear, so the group may be destroyed as soon as wait() returns.
  std::atomic<std::uint32_t> releasing_{0};
};

}  // namespace weave
