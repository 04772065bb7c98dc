// Go's time package for fibers: sleep, after, tick, Timer, Ticker.
//
// Timers live in one heap owned by the scheduler (runtime/src/timer.cc): no thread per timer.
// A Timer's or Ticker's channel has capacity 1 and a fire that finds it full is dropped, so a slow
// reader of a Ticker skips ticks instead of queueing them, as in Go.
#pragma once

#include "absl/time/time.h"
#include "weave/base.h"
#include "weave/chan.h"

namespace weave {
namespace detail {
struct TimerImpl;
}

// Go's time.Sleep: parks the fiber (or blocks the thread) for at least d.
void sleep(absl::Duration d, Location loc = Location::current());

// Go's time.After: a channel that receives the current time once, after d.
[[nodiscard]] RecvChan<absl::Time> after(absl::Duration d, Location loc = Location::current());

// Go's time.Tick: a channel that receives the time every d, forever; nil if d <= 0.
[[nodiscard]] RecvChan<absl::Time> tick(absl::Duration d, Location loc = Location::current());

// Go's time.Timer. Stops on destruction.
class Timer {
 public:
  explicit Timer(absl::Duration d, Location loc = Location::current());
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();
  RecvChan<absl::Time> c() const { return c_; }
  // True if the call stopped the timer, false if it had already fired (and its value been
  // received) or been stopped. As in Go 1.23, no value from before the call is received after it.
  bool stop();
  // Re-arms the timer; true if it had been active. No value from before the call is received
  // after it.
  bool reset(absl::Duration d);

 private:
  Chan<absl::Time> c_;
  detail::TimerImpl* impl_;
};

// Go's time.Ticker. Stops on destruction.
class Ticker {
 public:
  explicit Ticker(absl::Duration d, Location loc = Location::current());
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;
  ~Ticker();
  RecvChan<absl::Time> c() const { return c_; }
  // No tick from before a stop() or reset() is received after it (Go 1.23).
  void stop();
  void reset(absl::Duration d);

 private:
  Chan<absl::Time> c_;
  detail::TimerImpl* impl_;
};

}  // namespace weave
