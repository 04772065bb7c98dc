// weave::RateLimiter: a token bucket in the manner of x/time/rate. Tokens accrue continuously;
// a reservation may drive the count negative, and its owner waits until the bucket would have
// refilled to zero — so reservations are served in order without a queue.
#include <mutex>

#include "absl/time/clock.h"
#include "weave/rate.h"
#include "weave/select.h"
#include "weave/time.h"

namespace weave {

RateLimiter::RateLimiter(double per_second, int burst)
    : per_second_(per_second),
      burst_(burst),
      tokens_(burst),
      last_(absl::Now()),
      last_event_(absl::InfinitePast()) {}

void RateLimiter::advance(absl::Time now) {
  if (now <= last_) return;
  tokens_ += absl::ToDoubleSeconds(now - last_) * per_second_;
  if (tokens_ > burst_) tokens_ = burst_;
  last_ = now;
}

// x/time/rate's Reservation.Cancel. Giving the token back blindly would let the reservations made
// after this one keep their times while a newcomer takes the returned token too: two callers
// would act at the same moment and the limit would be exceeded. The tokens reserved after this
// one (the time from its time_to_act to the latest reservation's) are not restored.
void RateLimiter::cancel_reservation(absl::Time time_to_act) {
  std::lock_guard<Mutex> hold(mu_);
  const absl::Time now = absl::Now();
  if (time_to_act < now) return;  // its time has come: the token was used
  const double restore = 1 - absl::ToDoubleSeconds(last_event_ - time_to_act) * per_second_;
  if (restore <= 0) return;
  advance(now);
  tokens_ += restore;
  if (tokens_ > burst_) tokens_ = burst_;
  if (time_to_act == last_event_) {
    const absl::Time prev = time_to_act - absl::Seconds(1 / per_second_);
    if (prev >= now) last_event_ = prev;
  }
}

bool RateLimiter::allow() {
  std::lock_guard<Mutex> hold(mu_);
  const absl::Time now = absl::Now();
  advance(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  last_event_ = now;
  return true;
}

absl::Status RateLimiter::wait(const Context& ctx, Location loc) {
  if (!ctx.err().ok()) return ctx.err();
  absl::Duration delay;
  absl::Time time_to_act;
  {
    std::lock_guard<Mutex> hold(mu_);
    if (burst_ <= 0 || per_second_ <= 0) {
      if (burst_ > 0 && tokens_ >= 1) {
        tokens_ -= 1;
        return absl::OkStatus();
      }
      return absl::ResourceExhaustedError("rate: wait(n=1) exceeds limiter's burst");
    }
    const absl::Time now = absl::Now();
    advance(now);
    tokens_ -= 1;
    delay = tokens_ >= 0 ? absl::ZeroDuration() : absl::Seconds(-tokens_ / per_second_);
    if (auto dl = ctx.deadline(); dl && now + delay > *dl) {
      tokens_ += 1;  // the reservation is not taken
      return absl::DeadlineExceededError("rate: wait(n=1) would exceed context deadline");
    }
    time_to_act = now + delay;
    last_event_ = time_to_act;
  }
  if (delay <= absl::ZeroDuration()) return absl::OkStatus();
  Timer t(delay, loc);
  if (select(recv(t.c()), recv(ctx.done())) == 0) return absl::OkStatus();
  cancel_reservation(time_to_act);
  return ctx.err();
}

}  // namespace weave
