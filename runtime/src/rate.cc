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
    : per_second_(per_second), burst_(burst), tokens_(burst), last_(absl::Now()) {}

void RateLimiter::advance(absl::Time now) {
  if (now <= last_) return;
  tokens_ += absl::ToDoubleSeconds(now - last_) * per_second_;
  if (tokens_ > burst_) tokens_ = burst_;
  last_ = now;
}

bool RateLimiter::allow() {
  std::lock_guard<Mutex> hold(mu_);
  advance(absl::Now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

absl::Status RateLimiter::wait(const Context& ctx, Location loc) {
  if (!ctx.err().ok()) return ctx.err();
  absl::Duration delay;
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
  }
  if (delay <= absl::ZeroDuration()) return absl::OkStatus();
  Timer t(delay, loc);
  if (select(recv(t.c()), recv(ctx.done())) == 0) return absl::OkStatus();
  {
    std::lock_guard<Mutex> hold(mu_);
    tokens_ += 1;  // give the reservation back
    if (tokens_ > burst_) tokens_ = burst_;
  }
  return ctx.err();
}

}  // namespace weave
