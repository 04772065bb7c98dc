// semaphore.Weighted semantics for weave::Semaphore: weighted, FIFO (a large request is not
// starved by small ones), a done context fails the acquire and takes nothing, over-release panics.
#include <weave/weave.h>

#include <atomic>
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

class SemaphoreTest : public ::testing::TestWithParam<bool> {
 protected:
  bool fiber() const { return GetParam(); }
};

// A blocked acquire waits in a select (on its grant and on ctx.done()).
constexpr char kAcquireState[] = "semaphore acquire";

TEST(SemaphoreTest, Weighted) {
  weave::Semaphore s(10);
  EXPECT_TRUE(s.acquire(weave::background(), 3).ok());
  EXPECT_TRUE(s.try_acquire(7));
  EXPECT_FALSE(s.try_acquire(1));
  s.release(7);
  EXPECT_FALSE(s.try_acquire(8));
  EXPECT_TRUE(s.try_acquire(7));
  s.release(10);
  EXPECT_TRUE(s.try_acquire(10));
  s.release(10);
  EXPECT_TRUE(s.try_acquire());  // n defaults to 1
  s.release();
}

TEST_P(SemaphoreTest, LargeRequestIsNotStarvedBySmallOnes) {
  weave::Semaphore s(10);
  ASSERT_TRUE(s.try_acquire(10));
  weave::Chan<char> order = weave::make_chan<char>(4);
  weave::testing_util::Runner r;
  const int before = weave::testing_util::count_in_state(kAcquireState);
  r.start(fiber(), [&] {
    ASSERT_TRUE(s.acquire(weave::background(), 10).ok());
    order.send('L');
    s.release(10);
  });
  weave::testing_util::wait_until_parked(before + 1, kAcquireState);
  r.start(!fiber(), [&] {
    ASSERT_TRUE(s.acquire(weave::background(), 1).ok());
    order.send('s');
    s.release(1);
  });
  weave::testing_util::wait_until_parked(before + 2, kAcquireState);
  // A unit is free, but the large request is first in line: neither the queued small request
  // nor a newcomer may take it.
  s.release(1);
  EXPECT_FALSE(s.try_acquire(1));
  for (int i = 0; i < 100; ++i) weave::yield();
  EXPECT_EQ(weave::select(weave::recv(order), weave::otherwise()), 1);
  EXPECT_EQ(weave::testing_util::count_in_state(kAcquireState), before + 2);
  s.release(9);
  r.join();
  EXPECT_EQ(order.recv(), 'L');
  EXPECT_EQ(order.recv(), 's');
  EXPECT_TRUE(s.try_acquire(10));
}

// A stream of small acquirers does not keep a large one out forever.
TEST(SemaphoreTest, LargeRequestWinsAgainstAStreamOfSmallOnes) {
  weave::Semaphore s(4);
  std::atomic<bool> stop{false};
  weave::WaitGroup wg;
  for (int i = 0; i < 8; ++i) {
    wg.go([&] {
      while (!stop.load()) {
        if (s.acquire(weave::background(), 1).ok()) {
          weave::yield();
          s.release(1);
        }
      }
    });
  }
  auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Seconds(10));
  EXPECT_TRUE(s.acquire(ctx, 4).ok());
  stop.store(true);
  s.release(4);
  wg.wait();
  cancel();
}

TEST(SemaphoreTest, AcquireWithDoneContextFailsAndTakesNothing) {
  weave::Semaphore s(5);
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  cancel();
  // Units are free, but the context is done: Go's Acquire fails (ctx.Done() is checked first).
  EXPECT_EQ(s.acquire(ctx, 2), weave::canceled_error());
  EXPECT_TRUE(s.try_acquire(5));  // nothing was taken
  s.release(5);

  auto [expired, cancel2] = weave::with_timeout(weave::background(), absl::ZeroDuration());
  EXPECT_EQ(s.acquire(expired, 1), weave::deadline_exceeded_error());
  EXPECT_TRUE(s.try_acquire(5));
  s.release(5);
  cancel2();
}

TEST_P(SemaphoreTest, ContextEndingWhileWaitingFailsAndTakesNothing) {
  weave::Semaphore s(3);
  ASSERT_TRUE(s.try_acquire(3));
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  weave::Chan<absl::Status> result = weave::make_chan<absl::Status>(1);
  weave::testing_util::Runner r;
  const int before = weave::testing_util::count_in_state(kAcquireState);
  r.start(fiber(), [&, c = ctx] { result.send(s.acquire(c, 2)); });
  weave::testing_util::wait_until_parked(before + 1, kAcquireState);
  cancel();
  EXPECT_EQ(result.recv(), weave::canceled_error());
  r.join();
  s.release(3);
  EXPECT_TRUE(s.try_acquire(3));  // the failed waiter holds nothing and is out of the queue
  s.release(3);

  // A deadline while waiting.
  ASSERT_TRUE(s.try_acquire(1));
  auto [tctx, tcancel] = weave::with_timeout(weave::background(), absl::Milliseconds(10));
  r.start(fiber(), [&, c = tctx] { result.send(s.acquire(c, 3)); });
  EXPECT_EQ(result.recv(), weave::deadline_exceeded_error());
  r.join();
  s.release(1);
  EXPECT_TRUE(s.try_acquire(3));
  s.release(3);
  tcancel();
}

// When the front waiter gives up, the ones behind it that now fit are served.
TEST(SemaphoreTest, CancelledFrontWaiterLetsTheNextOnesIn) {
  weave::Semaphore s(10);
  ASSERT_TRUE(s.try_acquire(5));
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  weave::Chan<absl::Status> big = weave::make_chan<absl::Status>(1);
  weave::Chan<absl::Status> small = weave::make_chan<absl::Status>(1);
  const int before = weave::testing_util::count_in_state(kAcquireState);
  weave::go([&, c = ctx] { big.send(s.acquire(c, 10)); });
  weave::testing_util::wait_until_parked(before + 1, kAcquireState);
  weave::go([&] { small.send(s.acquire(weave::background(), 3)); });
  weave::testing_util::wait_until_parked(before + 2, kAcquireState);
  cancel();
  EXPECT_EQ(big.recv(), weave::canceled_error());
  EXPECT_TRUE(small.recv()->ok());  // 5 were free all along; now nobody is ahead of it
  s.release(3);
  s.release(5);
  EXPECT_TRUE(s.try_acquire(10));
}

TEST(SemaphoreTest, RequestLargerThanSizeWaitsForTheContextOnly) {
  weave::Semaphore s(2);
  auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Milliseconds(20));
  weave::Chan<absl::Status> result = weave::make_chan<absl::Status>(1);
  weave::go([&, c = ctx] { result.send(s.acquire(c, 3)); });
  // It does not hold up others meanwhile.
  EXPECT_TRUE(s.acquire(weave::background(), 2).ok());
  s.release(2);
  EXPECT_EQ(result.recv(), weave::deadline_exceeded_error());
  cancel();
}

TEST(SemaphoreTest, ReleasingMoreThanHeldPanics) {
  weave::Semaphore s(3);
  EXPECT_THROW(s.release(1), weave::Panic);
  ASSERT_TRUE(s.try_acquire(2));
  EXPECT_THROW(s.release(3), weave::Panic);
  s.release(2);
  EXPECT_TRUE(s.try_acquire(3));
  s.release(3);
}

TEST(SemaphoreTest, BoundsConcurrency) {
  weave::Semaphore s(3);
  std::atomic<int> cur{0}, max_seen{0};
  weave::WaitGroup wg;
  for (int i = 0; i < 100; ++i) {
    wg.go([&] {
      ASSERT_TRUE(s.acquire(weave::background(), 1).ok());
      const int now = cur.fetch_add(1) + 1;
      int m = max_seen.load();
      while (now > m && !max_seen.compare_exchange_weak(m, now)) {
      }
      weave::yield();
      cur.fetch_sub(1);
      s.release(1);
    });
  }
  wg.wait();
  EXPECT_LE(max_seen.load(), 3);
  EXPECT_TRUE(s.try_acquire(3));
}

INSTANTIATE_TEST_SUITE_P(FiberOrThread, SemaphoreTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fiber" : "Thread"; });

}  // namespace
