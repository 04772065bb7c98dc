// Go's sync.Cond over a weave::Mutex: wait() atomically unlocks and parks, and locks again before
// returning; a signal() reaches a waiter that was already waiting when it was sent, never a later
// one.
#pragma once

#include "weave/base.h"
#include "weave/detail/debug_hooks.h"
#include "weave/detail/sema.h"
#include "weave/mutex.h"

namespace weave {

class Cond {
 public:
  explicit Cond(Mutex& mu) : mu_(&mu) {}
  Cond(const Cond&) = delete;
  Cond& operator=(const Cond&) = delete;
#if WEAVE_DEBUG
  ~Cond() { detail::debug_object_gone(this, sizeof(*this)); }
#endif

  void wait(Location loc = Location::current());
  void signal();
  void broadcast();

 private:
  Mutex* mu_;
  detail::WaitList waiters_;
};

}  // namespace weave
