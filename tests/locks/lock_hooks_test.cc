// The lock checks through weave_debug's real Mutex, RWMutex and Cond, from fibers and threads: what
// a warning says (its sites, callers, stacks, takers) and which calls it is keyed by. Which
// programs get which warnings, and which get none, is in fixtures/debug/ (their `// run:` lines,
// checked by tests/seeds/run_line_test.cc). Each test runs its lock patterns one after another, so
// what the checks see never depends on scheduling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "debug/lockcheck.h"
#include "test_util.h"
#include "warning_kinds.h"

namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using weave::detail::Frame;
using weave::detail::lockcheck::reset_for_testing;
using weave::detail::lockcheck::warnings;
using weave::testing_util::run_on;

class LockHooksTest : public ::testing::Test {
 protected:
  void SetUp() override { reset_for_testing(/*quiet=*/true); }
};

template <class F>
void in_fiber(F f) {
  run_on(/*fiber=*/true, f);
}

// Takes x, then y. Out of line, so that it has a frame (and a name) of its own in the stacks.
[[gnu::noinline]] void lock_in_order(weave::Mutex& x, weave::Mutex& y) {
  x.lock();
  y.lock();
  y.unlock();
  x.unlock();
}

TEST_F(LockHooksTest, AbbaAcrossTwoFibersIsReportedWithTheCallersOfBothLocks) {
  weave::Mutex a, b;
  in_fiber([&] { lock_in_order(a, b); });
  EXPECT_THAT(warnings(), IsEmpty());
  in_fiber([&] { lock_in_order(b, a); });
  ASSERT_THAT(warning_kinds(), ElementsAre("lock-order-inversion"));
  const auto w = warnings()[0];
  ASSERT_EQ(w.sites.size(), 4u);
  EXPECT_EQ(w.sites[0].addr, &a);
  EXPECT_FALSE(w.sites[0].taker.is_thread);
  EXPECT_THAT(w.sites[0].file, HasSubstr("lock_hooks_test.cc"));
  ASSERT_FALSE(w.sites[0].stack.empty());
  EXPECT_THAT(w.sites[0].stack[0].function, HasSubstr("weave::Mutex::lock"));
  EXPECT_THAT(w.sites[0].stack, Contains(Field(&Frame::function, HasSubstr("lock_in_order"))));
  EXPECT_THAT(w.sites[1].caller, HasSubstr("lock_in_order"));
}

TEST_F(LockHooksTest, ThreadsTakePartAsTasks) {
  weave::Mutex a, b;
  std::thread([&] {
    std::scoped_lock both(a);
    std::lock_guard<weave::Mutex> then(b);
  }).join();
  {
    std::lock_guard<weave::Mutex> first(b);
    std::lock_guard<weave::Mutex> second(a);
  }
  ASSERT_THAT(warning_kinds(), ElementsAre("lock-order-inversion"));
  EXPECT_TRUE(warnings()[0].sites[0].taker.is_thread);
}

TEST_F(LockHooksTest, CondWaitRelocksItsMutexAfterTheLocksStillHeld) {
  // A fiber that waits on a Cond while holding another lock x takes the Cond's mutex back while
  // holding x: mu -> x before the wait, x -> mu after it, a cycle (a signaller that needs x under
  // mu would deadlock with it). The unlock inside wait() means the re-lock is no double lock.
  weave::Mutex mu, x;
  weave::Cond cond(mu);
  bool ready = false;
  weave::WaitGroup wg;
  wg.add(1);
  weave::go([&] {
    mu.lock();
    x.lock();
    while (!ready) cond.wait();
    x.unlock();
    mu.unlock();
    wg.done();
  });
  weave::testing_util::wait_until_parked(1, "cond wait");
  mu.lock();
  ready = true;
  cond.signal();
  mu.unlock();
  wg.wait();
  ASSERT_THAT(warning_kinds(), ElementsAre("lock-order-inversion"));
  const auto w = warnings()[0];
  ASSERT_EQ(w.sites.size(), 4u);
  EXPECT_EQ(w.sites[0].addr, &mu);  // re-locked in wait() while holding x
  EXPECT_THAT(w.sites[0].function, HasSubstr("CondWaitRelocks"));
}

// Read-lock mu twice through std::shared_lock, whose lock calls all have the same Location (in
// the standard header). Their bodies differ, so that the compiler does not fold them into one.
[[gnu::noinline]] int read_twice_here(weave::RWMutex& mu, const int& v) {
  std::shared_lock<weave::RWMutex> outer(mu);
  std::shared_lock<weave::RWMutex> inner(mu);
  return v + 1;
}
[[gnu::noinline]] int read_twice_there(weave::RWMutex& mu, const int& v) {
  std::shared_lock<weave::RWMutex> outer(mu);
  std::shared_lock<weave::RWMutex> inner(mu);
  return v * 3;
}

TEST_F(LockHooksTest, TheSameBugInTwoFunctionsThroughStdLocksIsReportedTwice) {
  weave::RWMutex mu;
  int v = 1;
  in_fiber([&] {
    volatile int thrice = 3;  // a loop the compiler keeps: one call path, taken three times
    for (int i = 0; i < thrice; ++i) v = read_twice_here(mu, v);
    v = read_twice_there(mu, v);
  });
  EXPECT_EQ(v, 12);
  ASSERT_THAT(warning_kinds(), ElementsAre("recursive-rlock", "recursive-rlock"));
  EXPECT_THAT(warnings()[0].sites[1].caller, HasSubstr("read_twice_here"));
  EXPECT_THAT(warnings()[1].sites[1].caller, HasSubstr("read_twice_there"));
}

}  // namespace
