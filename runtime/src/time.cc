// sleep, after, tick, Timer and Ticker on top of the timer heap (timer.h).
#include <limits>
#include <mutex>

#include "absl/time/clock.h"
#include "chan.h"
#include "task.h"
#include "timer.h"
#include "tsan.h"
#include "weave/select.h"
#include "weave/time.h"

namespace weave {
namespace detail {
namespace {

std::int64_t deadline_after(absl::Duration d) {
  const std::int64_t now = monotonic_now_ns();
  const std::int64_t ns = absl::ToInt64Nanoseconds(d);
  if (ns > std::numeric_limits<std::int64_t>::max() - now)
    return std::numeric_limits<std::int64_t>::max();
  return now + ns;
}

}  // namespace

// A timer whose fire offers the current time to a channel of capacity 1.
struct TimerImpl {
  TimerNode node;
  ChanCore* chan;           // owned reference
  bool self_owned = false;  // after(): freed by its own fire

  static void fire(TimerNode* n) {
    auto* t = reinterpret_cast<TimerImpl*>(n);
    absl::Time now = absl::Now();
    chan_offer(t->chan, &now);
    if (t->self_owned) {
      chan_release(t->chan);
      delete t;
    }
  }
};

namespace {

TimerImpl* new_timer(const Chan<absl::Time>& c, absl::Duration d, absl::Duration period) {
  auto* t = new TimerImpl();
  t->chan = c.core();
  chan_retain(t->chan);
  t->node.fire = &TimerImpl::fire;
  t->node.when_ns = deadline_after(d);
  t->node.period_ns = period > absl::ZeroDuration() ? absl::ToInt64Nanoseconds(period) : 0;
  return t;
}

struct SleepNode {
  TimerNode node;
  Task* task;
  static void fire(TimerNode* n) { ready(reinterpret_cast<SleepNode*>(n)->task); }
};

// Go 1.23 semantics for Stop and Reset: once they return, a receive from the channel gets no
// value from before the call. timer_stop waits for a fire in progress, so after it no old fire can
// come; a value that old fires left in the channel (capacity 1) is dropped here. True if one was:
// the timer had fired but nobody had received it, which Go 1.23 still counts as active.
bool drain_stale(const Chan<absl::Time>& c) { return select(recv(c), otherwise()) == 0; }

}  // namespace
}  // namespace detail

void sleep(absl::Duration d, Location loc) {
  if (d <= absl::ZeroDuration()) return;
  detail::SleepNode n;
  n.node.fire = &detail::SleepNode::fire;
  n.node.when_ns = detail::deadline_after(d);
  n.task = detail::current();
  std::mutex& mu = detail::timer_heap_lock();
  mu.lock();
  detail::timer_start_locked(&n.node);
  detail::tsan_mutex_handoff(mu);
  detail::park(n.task, detail::WaitReason::kSleep, detail::WaitObject{}, loc,
               detail::Unlocker{
                   [](void* m) { detail::unlock_handed_off(*static_cast<std::mutex*>(m)); }, &mu});
}

RecvChan<absl::Time> after(absl::Duration d, Location loc) {
  Chan<absl::Time> c = make_chan<absl::Time>(1, loc);
  detail::TimerImpl* t = detail::new_timer(c, d, absl::ZeroDuration());
  t->self_owned = true;
  detail::timer_start(&t->node);
  return c;
}

RecvChan<absl::Time> tick(absl::Duration d, Location loc) {
  if (d <= absl::ZeroDuration()) return {};
  Chan<absl::Time> c = make_chan<absl::Time>(1, loc);
  // Never stopped, as Go's time.Tick.
  detail::TimerImpl* t = detail::new_timer(c, d, d);
  detail::timer_start(&t->node);
  return c;
}

Timer::Timer(absl::Duration d, Location loc)
    : c_(make_chan<absl::Time>(1, loc)), impl_(detail::new_timer(c_, d, absl::ZeroDuration())) {
  detail::timer_start(&impl_->node);
}

Timer::~Timer() {
  detail::timer_stop(&impl_->node);
  detail::drain_stale(c_);  // copies of c() see nothing after the timer is gone
  detail::chan_release(impl_->chan);
  delete impl_;
}

bool Timer::stop() {
  const bool stopped = detail::timer_stop(&impl_->node);
  return detail::drain_stale(c_) || stopped;
}

bool Timer::reset(absl::Duration d) {
  bool active = detail::timer_stop(&impl_->node);
  active = detail::drain_stale(c_) || active;
  impl_->node.when_ns = detail::deadline_after(d);
  detail::timer_start(&impl_->node);
  return active;
}

Ticker::Ticker(absl::Duration d, Location loc) : c_(make_chan<absl::Time>(1, loc)) {
  if (d <= absl::ZeroDuration()) throw Panic("non-positive interval for weave::Ticker");
  impl_ = detail::new_timer(c_, d, d);
  detail::timer_start(&impl_->node);
}

Ticker::~Ticker() {
  detail::timer_stop(&impl_->node);
  detail::drain_stale(c_);
  detail::chan_release(impl_->chan);
  delete impl_;
}

void Ticker::stop() {
  detail::timer_stop(&impl_->node);
  detail::drain_stale(c_);
}

void Ticker::reset(absl::Duration d) {
  if (d <= absl::ZeroDuration()) throw Panic("non-positive interval for weave::Ticker.reset");
  detail::timer_stop(&impl_->node);
  detail::drain_stale(c_);
  impl_->node.period_ns = absl::ToInt64Nanoseconds(d);
  impl_->node.when_ns = detail::deadline_after(d);
  detail::timer_start(&impl_->node);
}

}  // namespace weave
