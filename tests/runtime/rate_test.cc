// x/time/rate semantics for weave::RateLimiter: a token bucket with burst, allow() never waits,
// wait() spaces callers 1/rate apart, fails at once when ctx's deadline cannot be met, and gives
// up with ctx.err() when ctx ends while waiting. Time is what is under test here, so the tests
// measure it — with generous bounds.
#include <weave/weave.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "test_util.h"

namespace {

using weave::Unit;

class RateLimiterTest : public ::testing::TestWithParam<bool> {
 protected:
  bool fiber() const { return GetParam(); }
};

TEST(RateLimiterTest, AllowTakesTheBurstThenRefuses) {
  weave::RateLimiter lim(1.0, 5);  // refills one a second: nothing comes back during the test
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(lim.allow()) << i;
  EXPECT_FALSE(lim.allow());
  EXPECT_FALSE(lim.allow());
}

TEST(RateLimiterTest, TokensComeBackAtTheRate) {
  weave::RateLimiter lim(100.0, 1);  // one every 10ms
  EXPECT_TRUE(lim.allow());
  EXPECT_FALSE(lim.allow());
  weave::sleep(absl::Milliseconds(30));
  EXPECT_TRUE(lim.allow());
  EXPECT_FALSE(lim.allow());  // the bucket holds at most `burst`
}

TEST_P(RateLimiterTest, WaitSpacesCallsAtTheRate) {
  weave::testing_util::run_on(fiber(), [&] {
    weave::RateLimiter lim(50.0, 1);  // one every 20ms
    const absl::Time start = absl::Now();
    std::vector<absl::Time> at;
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(lim.wait(weave::background()).ok());
      at.push_back(absl::Now());
    }
    EXPECT_LT(at[0] - start, absl::Milliseconds(10));  // the burst token is there at once
    // The i-th token is due i/rate after the limiter was made. A late wake-up makes the next gap
    // shorter (reservations keep their schedule, as in x/time/rate), so check the schedule, not
    // the gaps.
    for (int i = 1; i < 6; ++i) {
      EXPECT_GE(at[i] - start, i * absl::Milliseconds(20) - absl::Milliseconds(1)) << i;
    }
    EXPECT_GE(at[5] - start, absl::Milliseconds(95));
    EXPECT_LT(at[5] - start, absl::Seconds(2));
  });
}

// Several waiters share the rate: reservations are served one interval apart.
TEST(RateLimiterTest, ConcurrentWaitersShareTheRate) {
  weave::RateLimiter lim(100.0, 1);  // one every 10ms
  const absl::Time start = absl::Now();
  weave::WaitGroup wg;
  for (int i = 0; i < 10; ++i) {
    wg.go([&] { EXPECT_TRUE(lim.wait(weave::background()).ok()); });
  }
  wg.wait();
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(85));  // 9 intervals after the first token
  EXPECT_LT(took, absl::Seconds(2));
}

TEST_P(RateLimiterTest, WaitFailsAtOnceWhenTheDeadlineCannotBeMet) {
  weave::testing_util::run_on(fiber(), [&] {
    weave::RateLimiter lim(10.0, 1);  // one every 100ms
    ASSERT_TRUE(lim.allow());
    auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Milliseconds(60));
    const absl::Time start = absl::Now();
    const absl::Status s = lim.wait(ctx);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s, weave::deadline_exceeded_error());          // refused up front, not timed out
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(50));  // did not wait for the deadline
    cancel();
    // The refused reservation was not kept: a token is back ~100ms after the first was taken (a
    // kept one would have used it up until ~200ms).
    weave::sleep(absl::Milliseconds(110) - (absl::Now() - start));
    EXPECT_TRUE(lim.allow());
  });
}

TEST(RateLimiterTest, WaitWithDoneContextFailsAndTakesNothing) {
  weave::RateLimiter lim(1.0, 1);
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  cancel();
  EXPECT_EQ(lim.wait(ctx), weave::canceled_error());
  EXPECT_TRUE(lim.allow());  // the token is still there
}

TEST_P(RateLimiterTest, ContextEndingWhileWaitingReturnsItsError) {
  weave::RateLimiter lim(10.0, 1);  // one every 100ms
  ASSERT_TRUE(lim.allow());
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  weave::Chan<absl::Status> result = weave::make_chan<absl::Status>(1);
  const absl::Time start = absl::Now();
  const int before = weave::testing_util::count_in_state("select");
  std::thread t;
  auto waiter = [&, c = ctx] { result.send(lim.wait(c)); };
  if (fiber()) {
    weave::go(waiter);
  } else {
    t = std::thread(waiter);
  }
  while (weave::testing_util::count_in_state("select") < before + 1)
    weave::yield();  // it waits for its token
  cancel();
  EXPECT_EQ(result.recv(), weave::canceled_error());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(90));  // did not sit out the delay
  if (t.joinable()) t.join();
  // Its reservation was given back: a token is back ~100ms after the first was taken (a kept
  // one would have used it up until ~200ms).
  weave::sleep(absl::Milliseconds(110) - (absl::Now() - start));
  EXPECT_TRUE(lim.allow());
}

// x/time/rate: a cancelled reservation gives back only what later reservations did not build on.
// Here A (due at 100ms) and then B (due at 200ms) wait; A gives up. Returning A's token outright
// would let a newcomer C act at 200ms together with B: two events in one interval.
TEST(RateLimiterTest, CancelledReservationDoesNotLetTwoCallersActAtOnce) {
  weave::RateLimiter lim(10.0, 1);  // one every 100ms
  ASSERT_TRUE(lim.allow());
  const absl::Time start = absl::Now();
  auto [ctx_a, cancel_a] = weave::with_cancel(weave::background());
  weave::Chan<absl::Status> a = weave::make_chan<absl::Status>(1);
  weave::Chan<absl::Time> b = weave::make_chan<absl::Time>(1);
  const int before = weave::testing_util::count_in_state("select");
  weave::go([&, c = ctx_a] { a.send(lim.wait(c)); });
  while (weave::testing_util::count_in_state("select") < before + 1) weave::yield();
  weave::go([&] {
    EXPECT_TRUE(lim.wait(weave::background()).ok());
    b.send(absl::Now());
  });
  while (weave::testing_util::count_in_state("select") < before + 2) weave::yield();
  cancel_a();
  EXPECT_EQ(a.recv(), weave::canceled_error());
  ASSERT_TRUE(lim.wait(weave::background()).ok());  // C
  const absl::Time c_at = absl::Now();
  const absl::Time b_at = *b.recv();
  EXPECT_GE(b_at - start, absl::Milliseconds(190));
  EXPECT_GE(c_at - start, absl::Milliseconds(190));
  const absl::Duration apart = c_at > b_at ? c_at - b_at : b_at - c_at;
  EXPECT_GE(apart, absl::Milliseconds(50)) << "B and C acted together";
}

TEST(RateLimiterTest, ZeroBurstNeverAllows) {
  weave::RateLimiter lim(100.0, 0);
  EXPECT_FALSE(lim.allow());
  EXPECT_FALSE(lim.wait(weave::background()).ok());
}

INSTANTIATE_TEST_SUITE_P(FiberOrThread, RateLimiterTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fiber" : "Thread"; });

}  // namespace
