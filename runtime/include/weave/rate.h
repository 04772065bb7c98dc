// golang.org/x/time/rate.Limiter: a token bucket that refills at `per_second` tokens a second up to
// `burst`. wait() reserves a token and sleeps until it is due; allow() takes one only if it is
// there.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "weave/base.h"
#include "weave/context.h"
#include "weave/mutex.h"

namespace weave {

class RateLimiter {
 public:
  RateLimiter(double per_second, int burst);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Waits until a token is available; fails at once if ctx's deadline comes first, or with
  // ctx.err() if ctx is done while waiting (the token is then given back).
  absl::Status wait(const Context& ctx, Location loc = Location::current());
  // Takes a token if one is available now.
  bool allow();

 private:
  void advance(absl::Time now);  // requires mu_
  void cancel_reservation(absl::Time time_to_act);

  const double per_second_;
  const int burst_;
  Mutex mu_;
  double tokens_;          // guarded by mu_; negative while reservations are outstanding
  absl::Time last_;        // guarded by mu_
  absl::Time last_event_;  // guarded by mu_: when the latest reservation acts
};

}  // namespace weave
