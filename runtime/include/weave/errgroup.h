// golang.org/x/sync/errgroup for fibers: run tasks that return absl::Status, wait for all of them,
// keep the first error, and cancel the group's context when one fails.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "weave/base.h"
#include "weave/chan.h"
#include "weave/context.h"
#include "weave/fiber.h"
#include "weave/mutex.h"
#include "weave/waitgroup.h"

namespace weave {

class ErrGroup {
 public:
  // A group with no context, as Go's zero errgroup.Group.
  ErrGroup();
  // errgroup.WithContext: context() is cancelled by the first error or when wait() returns.
  explicit ErrGroup(const Context& parent);
  ErrGroup(const ErrGroup&) = delete;
  ErrGroup& operator=(const ErrGroup&) = delete;
  ~ErrGroup();

  const Context& context() const { return ctx_; }

  // Runs f on a new fiber; blocks while the limit is reached.
  template <class F>
  void go(F&& f, Location loc = Location::current()) {
    acquire_slot(loc);
    start(std::forward<F>(f), loc);
  }
  // Runs f only if the limit allows it now; false otherwise.
  template <class F>
  bool try_go(F&& f, Location loc = Location::current()) {
    if (!try_acquire_slot()) return false;
    start(std::forward<F>(f), loc);
    return true;
  }
  // At most n tasks at once; n < 0 removes the limit. Throws Panic if tasks are active.
  void set_limit(int n);
  // Waits for every task; returns the first error (OK if none).
  absl::Status wait(Location loc = Location::current());

 private:
  template <class F>
  void start(F&& f, const Location& loc) {
    wg_.add(1);
    weave::go([this, fn = std::forward<F>(f)]() mutable { finish(fn()); }, loc);
  }
  void acquire_slot(const Location& loc);
  bool try_acquire_slot();
  void finish(absl::Status s);

  Context ctx_;
  CancelCauseFunc cancel_;
  WaitGroup wg_;
  Mutex mu_;
  absl::Status err_;  // first error; guarded by mu_
  Chan<Unit> sem_;    // one element per running task while a limit is set; nil otherwise
};

}  // namespace weave
