// Go's time semantics for weave: sleep, after, tick, Timer and Ticker, from fibers and threads.
// Time is what is under test here, so these tests measure it — with generous bounds.
#include <weave/weave.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "test_util.h"

namespace {

using weave::Unit;

bool ready_now(const weave::RecvChan<absl::Time>& c) {
  return weave::select(weave::recv(c), weave::otherwise()) == 0;
}

class TimeTest : public ::testing::TestWithParam<bool> {
 protected:
  bool fiber() const { return GetParam(); }
};

TEST_P(TimeTest, SleepSleepsAtLeastD) {
  weave::testing_util::run_on(fiber(), [] {
    for (absl::Duration d : {absl::Milliseconds(1), absl::Milliseconds(15)}) {
      const absl::Time start = absl::Now();
      weave::sleep(d);
      const absl::Duration took = absl::Now() - start;
      EXPECT_GE(took, d);
      EXPECT_LT(took, d + absl::Seconds(1));
    }
    const absl::Time start = absl::Now();
    weave::sleep(absl::ZeroDuration());
    weave::sleep(-absl::Seconds(1));
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(100));
  });
}

// One timer heap serves every sleeper: a thousand concurrent sleeps take about as long as one.
TEST(TimeTest, ManySleepersSleepTogether) {
  const absl::Time start = absl::Now();
  weave::WaitGroup wg;
  std::atomic<int> short_sleeps{0};
  for (int i = 0; i < 1000; ++i) {
    wg.go([&] {
      const absl::Time s = absl::Now();
      weave::sleep(absl::Milliseconds(20));
      if (absl::Now() - s < absl::Milliseconds(20)) short_sleeps.fetch_add(1);
    });
  }
  wg.wait();
  EXPECT_EQ(short_sleeps.load(), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_P(TimeTest, AfterFiresOnce) {
  weave::testing_util::run_on(fiber(), [] {
    const absl::Time start = absl::Now();
    weave::RecvChan<absl::Time> c = weave::after(absl::Milliseconds(10));
    EXPECT_EQ(c.cap(), 1u);
    std::optional<absl::Time> t = c.recv();
    ASSERT_TRUE(t.has_value());
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(10));
    EXPECT_GE(*t, start + absl::Milliseconds(10));
    EXPECT_LE(*t, absl::Now());
    weave::after(absl::Milliseconds(30)).recv();  // well past another would-be fire
    EXPECT_FALSE(ready_now(c));                   // once, never again (and never closed)
  });
}

TEST(TimeTest, AfterInSelectAsATimeout) {
  weave::Chan<int> never = weave::make_chan<int>();
  const absl::Time start = absl::Now();
  EXPECT_EQ(weave::select(weave::recv(never), weave::recv(weave::after(absl::Milliseconds(10)))),
            1);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(10));
}

TEST_P(TimeTest, TimerFires) {
  weave::testing_util::run_on(fiber(), [] {
    const absl::Time start = absl::Now();
    weave::Timer t(absl::Milliseconds(10));
    ASSERT_TRUE(t.c().recv().has_value());
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(10));
    EXPECT_FALSE(t.stop());  // it had fired
    EXPECT_FALSE(ready_now(t.c()));
  });
}

TEST_P(TimeTest, TimerStoppedBeforeFiringSendsNothing) {
  weave::testing_util::run_on(fiber(), [] {
    weave::Timer t(absl::Milliseconds(20));
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop());                       // already stopped
    weave::after(absl::Milliseconds(50)).recv();  // well past its time
    EXPECT_FALSE(ready_now(t.c()));
  });
}

TEST(TimeTest, TimerReset) {
  weave::Timer t(absl::Hours(1));
  const absl::Time start = absl::Now();
  EXPECT_TRUE(t.reset(absl::Milliseconds(10)));  // it was active
  ASSERT_TRUE(t.c().recv().has_value());
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(10));
  EXPECT_LT(took, absl::Seconds(2));

  // Reset after it fired (and was received): false, and it fires again.
  EXPECT_FALSE(t.reset(absl::Milliseconds(5)));
  ASSERT_TRUE(t.c().recv().has_value());

  // Reset of a stopped timer: false, and it fires.
  weave::Timer s(absl::Hours(1));
  EXPECT_TRUE(s.stop());
  EXPECT_FALSE(s.reset(absl::Milliseconds(5)));
  ASSERT_TRUE(s.c().recv().has_value());

  // Reset to later: it does not fire at the old time.
  weave::Timer l(absl::Milliseconds(10));
  EXPECT_TRUE(l.reset(absl::Hours(1)));
  weave::after(absl::Milliseconds(40)).recv();
  EXPECT_FALSE(ready_now(l.c()));
}

// Go 1.23+: once Stop or Reset returns, a receive from t.C gets no value from before the call,
// even if the timer had fired and nobody had received it yet.
TEST(TimeTest, TimerStopAndResetLeaveNoStaleValue) {
  weave::Timer t(absl::Milliseconds(1));
  weave::after(absl::Milliseconds(20)).recv();  // it has fired; its value is unreceived
  EXPECT_TRUE(t.stop());  // as in Go 1.23: not received yet, so stopping it counts
  EXPECT_FALSE(ready_now(t.c()));

  weave::Timer r(absl::Milliseconds(1));
  weave::after(absl::Milliseconds(20)).recv();
  const absl::Time reset_at = absl::Now();
  r.reset(absl::Milliseconds(10));
  std::optional<absl::Time> v = r.c().recv();
  ASSERT_TRUE(v.has_value());
  EXPECT_GE(*v, reset_at + absl::Milliseconds(10));  // the new fire, not the stale one
}

TEST(TimeTest, TimerDestructionStops) {
  weave::RecvChan<absl::Time> c;
  {
    weave::Timer t(absl::Milliseconds(10));
    c = t.c();
  }
  weave::after(absl::Milliseconds(40)).recv();
  EXPECT_FALSE(ready_now(c));
}

TEST_P(TimeTest, TickerDeliversTicks) {
  weave::testing_util::run_on(fiber(), [] {
    const absl::Time start = absl::Now();
    weave::Ticker t(absl::Milliseconds(5));
    EXPECT_EQ(t.c().cap(), 1u);
    absl::Time prev = start;
    for (int i = 0; i < 4; ++i) {
      std::optional<absl::Time> v = t.c().recv();
      ASSERT_TRUE(v.has_value());
      EXPECT_GT(*v, prev);
      prev = *v;
    }
    const absl::Duration took = absl::Now() - start;
    EXPECT_GE(took, absl::Milliseconds(19));
    EXPECT_LT(took, absl::Seconds(2));
  });
}

// A slow reader does not find a backlog: the channel holds one tick and later ones are dropped.
TEST(TimeTest, TickerDropsTicksForASlowReader) {
  weave::Ticker t(absl::Milliseconds(10));
  weave::sleep(absl::Milliseconds(100));  // ~10 ticks' worth
  EXPECT_EQ(t.c().len(), 1u);
  const absl::Time got_at = absl::Now();
  ASSERT_TRUE(t.c().recv().has_value());
  EXPECT_FALSE(ready_now(t.c()));  // no second tick queued behind it
  // The ticker keeps ticking at its period.
  ASSERT_TRUE(t.c().recv().has_value());
  EXPECT_LT(absl::Now() - got_at, absl::Seconds(1));
}

TEST(TimeTest, TickerStopAndReset) {
  weave::Ticker t(absl::Milliseconds(5));
  ASSERT_TRUE(t.c().recv().has_value());
  weave::after(absl::Milliseconds(15)).recv();  // a tick is waiting now
  t.stop();
  EXPECT_FALSE(ready_now(t.c()));  // Go 1.23: no stale tick after stop
  weave::after(absl::Milliseconds(30)).recv();
  EXPECT_FALSE(ready_now(t.c()));  // no ticks after stop

  const absl::Time start = absl::Now();
  t.reset(absl::Milliseconds(10));  // restarts a stopped ticker with the new period
  ASSERT_TRUE(t.c().recv().has_value());
  ASSERT_TRUE(t.c().recv().has_value());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(19));
  EXPECT_THROW(t.reset(absl::ZeroDuration()), weave::Panic);
}

TEST(TimeTest, TickerDestructionStops) {
  weave::RecvChan<absl::Time> c;
  {
    weave::Ticker t(absl::Milliseconds(2));
    c = t.c();
    ASSERT_TRUE(c.recv().has_value());
  }
  EXPECT_FALSE(ready_now(c));
  weave::after(absl::Milliseconds(20)).recv();
  EXPECT_FALSE(ready_now(c));
}

TEST(TimeTest, NonPositiveTickerPanics) {
  EXPECT_THROW(weave::Ticker{absl::ZeroDuration()}, weave::Panic);
  EXPECT_THROW(weave::Ticker(-absl::Seconds(1)), weave::Panic);
}

TEST(TimeTest, TickOfNonPositiveIsNil) {
  // A nil channel: never ready, so the default case runs.
  EXPECT_EQ(weave::select(weave::recv(weave::tick(absl::ZeroDuration())), weave::otherwise()), 1);
  EXPECT_EQ(weave::select(weave::recv(weave::tick(-absl::Seconds(1))), weave::otherwise()), 1);
}

TEST_P(TimeTest, TickTicks) {
  weave::testing_util::run_on(fiber(), [] {
    const absl::Time start = absl::Now();  // before the ticker: its ticks count from its creation
    weave::RecvChan<absl::Time> c = weave::tick(absl::Milliseconds(3));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.recv().has_value());
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(8));
  });
}

INSTANTIATE_TEST_SUITE_P(FiberOrThread, TimeTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fiber" : "Thread"; });

}  // namespace
