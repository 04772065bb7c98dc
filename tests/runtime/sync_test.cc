// Go's sync semantics for weave::Mutex, RWMutex, WaitGroup, Once and Cond, from fibers and from
// plain threads.
#include <weave/weave.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "test_util.h"

namespace {

using weave::Unit;

// A receive that fails the test instead of hanging it.
template <class T>
std::optional<T> recv_within(const weave::RecvChan<T>& c, absl::Duration d) {
  std::optional<T> v;
  if (weave::select(weave::recv(c, v), weave::recv(weave::after(d))) == 1) {
    ADD_FAILURE() << "nothing received within " << d;
    return std::nullopt;
  }
  return v;
}

class SyncTest : public ::testing::TestWithParam<bool> {
 protected:
  bool fiber() const { return GetParam(); }
};

// ---- Mutex ----

TEST(MutexTest, IsNotReentrant) {
  weave::Mutex mu;
  mu.lock();
  EXPECT_FALSE(mu.try_lock());  // the holder cannot take it again
  weave::testing_util::run_on(true, [&] { EXPECT_FALSE(mu.try_lock()); });
  mu.unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(MutexTest, StandardLockTypesWork) {
  weave::Mutex a, b;
  {
    std::lock_guard<weave::Mutex> hold(a);
    EXPECT_FALSE(a.try_lock());
  }
  EXPECT_TRUE(a.try_lock());
  a.unlock();
  {
    std::unique_lock<weave::Mutex> l(a, std::defer_lock);
    EXPECT_FALSE(l.owns_lock());
    l.lock();
    EXPECT_TRUE(l.owns_lock());
    std::unique_lock<weave::Mutex> other(a, std::try_to_lock);
    EXPECT_FALSE(other.owns_lock());
    l.unlock();
    EXPECT_TRUE(other.try_lock());
  }
  {
    std::scoped_lock both(a, b);
    EXPECT_FALSE(a.try_lock());
    EXPECT_FALSE(b.try_lock());
  }
  EXPECT_TRUE(a.try_lock());
  EXPECT_TRUE(b.try_lock());
  a.unlock();
  b.unlock();
}

TEST(MutexTest, MutualExclusionUnderThousandFibers) {
  weave::Mutex mu;
  std::int64_t counter = 0;  // guarded by mu, deliberately not atomic
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  constexpr int kFibers = 1000, kIters = 100, kThreads = 2, kThreadIters = 5000;
  weave::WaitGroup wg;
  for (int f = 0; f < kFibers; ++f) {
    wg.go([&, f] {
      for (int i = 0; i < kIters; ++i) {
        std::lock_guard<weave::Mutex> hold(mu);
        if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
        const std::int64_t c = counter;
        if ((i + f) % 16 == 0) weave::yield();  // get switched out while holding it
        counter = c + 1;
        inside.fetch_sub(1);
      }
    });
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kThreadIters; ++i) {
        std::lock_guard<weave::Mutex> hold(mu);
        if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
        ++counter;
        inside.fetch_sub(1);
      }
    });
  }
  wg.wait();
  for (auto& t : threads) t.join();
  std::lock_guard<weave::Mutex> hold(mu);
  EXPECT_EQ(counter, std::int64_t{kFibers} * kIters + std::int64_t{kThreads} * kThreadIters);
  EXPECT_EQ(overlaps.load(), 0);
}

// Go's starvation mode: once a waiter has waited over 1ms, unlock hands the mutex to it. A holder
// that re-locks in a tight loop gets the mutex back every time otherwise (it is running, the
// woken waiter is not), so without that mode the waiter waits until the hog gives up.
TEST_P(SyncTest, MutexWaiterIsNotStarved) {
  weave::Mutex mu;
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> hog_iters{0};
  std::thread hog([&] {
    const absl::Time give_up = absl::Now() + absl::Seconds(3);
    while (!stop.load() && absl::Now() < give_up) {
      mu.lock();
      const absl::Time until = absl::Now() + absl::Microseconds(50);
      while (absl::Now() < until) {
      }
      mu.unlock();
      hog_iters.fetch_add(1);
    }
  });
  while (hog_iters.load() < 20) std::this_thread::yield();
  std::int64_t waited_iters = -1;
  weave::testing_util::run_on(fiber(), [&] {
    const std::int64_t start = hog_iters.load();
    mu.lock();
    waited_iters = hog_iters.load() - start;
    mu.unlock();
  });
  stop.store(true);
  hog.join();
  // 1ms is ~20 of the hog's iterations; allow a lot of scheduling noise on a shared machine.
  EXPECT_LT(waited_iters, 2000) << "the hog kept the mutex for " << waited_iters << " iterations";
}

// Fibers that lock and unlock in a tight loop, as many as there are workers, must not starve a
// fiber waiting for the mutex: each unlock wakes it into the hog's runnext while the hog runs on
// (it never blocks), so it runs only if another worker takes it from there, or the hog yields to
// it once it has waited 1 ms (sema_release) and it can turn on starvation mode. Go: 12-25 ms.
TEST(MutexTest, FiberHogsDoNotStarveAWaiter) {
  weave::Mutex mu;
  std::atomic<bool> stop{false};
  weave::WaitGroup hogs;
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  for (int i = 0; i < weave::procs(); ++i) {
    hogs.go([&] {
      while (!stop.load(std::memory_order_relaxed) && absl::Now() < give_up) {
        mu.lock();
        mu.unlock();
      }
    });
  }
  absl::Duration worst;
  weave::testing_util::run_on(true, [&] {
    for (int k = 0; k < 20; ++k) {
      const absl::Time start = absl::Now();
      mu.lock();
      mu.unlock();
      worst = std::max(worst, absl::Now() - start);
    }
  });
  stop = true;
  hogs.wait();
  // Tens of milliseconds; a lot of room for a shared machine's scheduling noise.
  EXPECT_LT(worst, absl::Milliseconds(500)) << "the waiter waited up to " << worst;
}

TEST_P(SyncTest, MutexLockBlocksUntilUnlock) {
  weave::Mutex mu;
  mu.lock();
  weave::Chan<int> order = weave::make_chan<int>(2);
  weave::testing_util::Runner r;
  const int before = weave::testing_util::count_in_state("mutex lock");
  r.start(fiber(), [&] {
    mu.lock();
    order.send(2);
    mu.unlock();
  });
  weave::testing_util::wait_until_parked(before + 1, "mutex lock");  // it is blocked, not just slow
  order.send(1);
  mu.unlock();
  r.join();
  EXPECT_EQ(order.recv(), 1);
  EXPECT_EQ(order.recv(), 2);
}

// A fatal error prints the stack of the task that made it, as Go prints the goroutine's.
TEST(MutexDeathTest, UnlockOfUnlockedMutexIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        weave::Mutex mu;
        mu.unlock();
      },
      "fatal error: sync: unlock of unlocked mutex\n\nthread [0-9]+ \\[running\\]:\n  [^\n]+\n"
      "      [^\n]+(\\+0x[0-9a-f]+|:[0-9]+)\n");
}

TEST(MutexDeathTest, UnlockOfUnlockedRWMutexInAFiberIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        weave::RWMutex mu;
        weave::go([&] { mu.unlock(); });
        weave::make_chan<int>().recv();
      },
      "fatal error: sync: Unlock of unlocked RWMutex\n\nfiber [0-9]+ \\[running\\]:\n  "
      "[^\n]+\n.*created by thread [0-9]+ at .*sync_test.cc");
}

// ---- RWMutex ----

TEST_P(SyncTest, RWMutexReadersShare) {
  weave::RWMutex rw;
  constexpr int kReaders = 6;
  weave::Chan<Unit> in = weave::make_chan<Unit>(kReaders);
  weave::Chan<Unit> leave = weave::make_chan<Unit>();
  weave::testing_util::Runner r;
  for (int i = 0; i < kReaders; ++i) {
    r.start(fiber(), [&] {
      std::shared_lock<weave::RWMutex> hold(rw);
      in.send(Unit{});
      leave.recv();  // all readers hold it at once, or this never completes
    });
  }
  for (int i = 0; i < kReaders; ++i) ASSERT_TRUE(recv_within<Unit>(in, absl::Seconds(10)));
  EXPECT_TRUE(rw.try_lock_shared());  // one more reader is fine
  rw.unlock_shared();
  EXPECT_FALSE(rw.try_lock());  // a writer is not
  leave.close();
  r.join();
  EXPECT_TRUE(rw.try_lock());
  rw.unlock();
}

TEST_P(SyncTest, RWMutexWaitingWriterBlocksNewReaders) {
  weave::RWMutex rw;
  rw.lock_shared();  // reader R1
  weave::Chan<int> order = weave::make_chan<int>(3);
  weave::testing_util::Runner r;
  const int writers_before = weave::testing_util::count_in_state("rwmutex lock");
  r.start(fiber(), [&] {
    rw.lock();
    order.send(1);
    rw.unlock();
  });
  weave::testing_util::wait_until_parked(writers_before + 1,
                                         "rwmutex lock");  // the writer waits for R1
  // A new reader must now wait behind the writer, as in Go.
  EXPECT_FALSE(rw.try_lock_shared());
  const int readers_before = weave::testing_util::count_in_state("rwmutex rlock");
  r.start(fiber(), [&] {
    rw.lock_shared();
    order.send(2);
    rw.unlock_shared();
  });
  weave::testing_util::wait_until_parked(readers_before + 1, "rwmutex rlock");
  rw.unlock_shared();  // R1 leaves: the writer goes first, then the new reader
  r.join();
  EXPECT_EQ(order.recv(), 1);
  EXPECT_EQ(order.recv(), 2);
}

TEST(RWMutexTest, WritersExcludeEveryone) {
  weave::RWMutex rw;
  std::atomic<int> readers{0}, writers{0}, bad{0};
  std::int64_t value = 0;  // written under the write lock only
  weave::WaitGroup wg;
  for (int f = 0; f < 200; ++f) {
    wg.go([&, f] {
      for (int i = 0; i < 50; ++i) {
        if ((f + i) % 5 == 0) {
          std::lock_guard<weave::RWMutex> hold(rw);
          if (writers.fetch_add(1) != 0 || readers.load() != 0) bad.fetch_add(1);
          ++value;
          if (i % 7 == 0) weave::yield();
          writers.fetch_sub(1);
        } else {
          std::shared_lock<weave::RWMutex> hold(rw);
          readers.fetch_add(1);
          if (writers.load() != 0) bad.fetch_add(1);
          if (i % 7 == 0) weave::yield();
          readers.fetch_sub(1);
        }
      }
    });
  }
  std::thread t([&] {
    for (int i = 0; i < 500; ++i) {
      std::lock_guard<weave::RWMutex> hold(rw);
      if (writers.fetch_add(1) != 0 || readers.load() != 0) bad.fetch_add(1);
      ++value;
      writers.fetch_sub(1);
    }
  });
  wg.wait();
  t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(value, 200 * 10 + 500);
}

TEST(RWMutexTest, GoNamesAndTryLock) {
  weave::RWMutex rw;
  rw.rlock();
  rw.rlock();
  EXPECT_FALSE(rw.try_lock());
  rw.runlock();
  rw.runlock();
  EXPECT_TRUE(rw.try_lock());
  EXPECT_FALSE(rw.try_lock_shared());
  EXPECT_FALSE(rw.try_lock());
  rw.unlock();
}

// ---- WaitGroup ----

TEST_P(SyncTest, WaitGroupWaitsForAll) {
  weave::WaitGroup wg;
  std::atomic<int> finished{0};
  constexpr int kTasks = 50;
  wg.add(kTasks);
  weave::testing_util::Runner r;
  weave::Chan<Unit> go_on = weave::make_chan<Unit>();
  for (int i = 0; i < kTasks; ++i) {
    weave::go([&] {
      go_on.recv();
      finished.fetch_add(1);
      wg.done();
    });
  }
  weave::Chan<int> seen = weave::make_chan<int>(1);
  r.start(fiber(), [&] {
    wg.wait();
    seen.send(finished.load());
  });
  go_on.close();
  EXPECT_EQ(seen.recv(), kTasks);
  r.join();
}

TEST(WaitGroupTest, WaitOnZeroReturnsAtOnce) {
  weave::WaitGroup wg;
  wg.wait();
  weave::testing_util::run_on(true, [&] { wg.wait(); });
}

TEST(WaitGroupTest, NegativeCounterPanics) {
  weave::WaitGroup wg;
  EXPECT_THROW(wg.done(), weave::Panic);
  weave::WaitGroup wg2;
  wg2.add(2);
  EXPECT_THROW(wg2.add(-3), weave::Panic);
  weave::WaitGroup wg3;
  try {
    wg3.add(-1);
    ADD_FAILURE() << "no panic";
  } catch (const weave::Panic& p) {
    EXPECT_NE(std::string(p.what()).find("negative WaitGroup counter"), std::string::npos)
        << p.what();
  }
}

TEST_P(SyncTest, WaitGroupIsReusable) {
  weave::WaitGroup wg;
  for (int round = 0; round < 100; ++round) {
    std::atomic<int> n{0};
    for (int i = 0; i < 10; ++i) wg.go([&] { n.fetch_add(1); });
    weave::testing_util::run_on(fiber(), [&] { wg.wait(); });
    ASSERT_EQ(n.load(), 10) << "round " << round;
  }
}

TEST_P(SyncTest, WaitGroupReleasesEveryWaiter) {
  weave::WaitGroup wg;
  wg.add(1);
  constexpr int kWaiters = 6;
  weave::Chan<Unit> released = weave::make_chan<Unit>(kWaiters);
  weave::testing_util::Runner r;
  const int before = weave::testing_util::count_in_state("waitgroup wait");
  for (int i = 0; i < kWaiters; ++i) {
    r.start(fiber() ? i % 2 == 0 : i % 2 == 1, [&] {
      wg.wait();
      released.send(Unit{});
    });
  }
  weave::testing_util::wait_until_parked(before + kWaiters, "waitgroup wait");
  EXPECT_EQ(weave::select(weave::recv(released), weave::otherwise()), 1);
  wg.done();
  for (int i = 0; i < kWaiters; ++i) ASSERT_TRUE(recv_within<Unit>(released, absl::Seconds(10)));
  r.join();
}

// The usual shape: a WaitGroup on the stack of a function that returns as soon as wait() does.
// The last done() must not touch the group after it lets a waiter go.
TEST(WaitGroupTest, GroupMayBeDestroyedAsSoonAsWaitReturns) {
  for (int i = 0; i < 1000; ++i) {
    auto wg = std::make_unique<weave::WaitGroup>();
    wg->add(2);
    std::thread t([w = wg.get()] { w->done(); });
    weave::go([w = wg.get()] { w->done(); });
    wg->wait();
    wg.reset();  // freed while the other done() may still be returning
    t.join();
  }
}

// ---- Once ----

TEST(OnceTest, RunsExactlyOnceAndEveryCallerWaitsForIt) {
  weave::Once once;
  std::atomic<int> runs{0};
  std::atomic<bool> f_returned{false};
  std::atomic<int> early{0};
  constexpr int kFibers = 64, kThreads = 4;
  weave::Chan<Unit> calling = weave::make_chan<Unit>(kFibers + kThreads);
  weave::Chan<Unit> gate = weave::make_chan<Unit>();
  auto caller = [&] {
    calling.send(Unit{});
    once.call([&] {
      runs.fetch_add(1);
      gate.recv();  // hold every other caller inside call()
      f_returned.store(true);
    });
    if (!f_returned.load()) early.fetch_add(1);
  };
  weave::testing_util::Runner r;
  for (int i = 0; i < kFibers; ++i) r.start(true, caller);
  for (int i = 0; i < kThreads; ++i) r.start(false, caller);
  for (int i = 0; i < kFibers + kThreads; ++i) calling.recv();
  gate.close();
  r.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(early.load(), 0);
  once.call([&] { runs.fetch_add(1); });
  EXPECT_EQ(runs.load(), 1);
}

TEST(OnceTest, ThrowingFunctionStillCountsAsDone) {
  weave::Once once;
  EXPECT_THROW(once.call([] { throw std::runtime_error("panic in f"); }), std::runtime_error);
  bool ran = false;
  once.call([&] { ran = true; });
  EXPECT_FALSE(ran);
}

// ---- Cond ----

TEST_P(SyncTest, CondSignalWakesOneBroadcastWakesAll) {
  weave::Mutex mu;
  weave::Cond cond(mu);
  constexpr int kWaiters = 5;
  weave::Chan<int> woke = weave::make_chan<int>(kWaiters);
  weave::testing_util::Runner r;
  const int before = weave::testing_util::count_in_state("cond wait");
  for (int i = 0; i < kWaiters; ++i) {
    r.start(fiber() ? i != 0 : i == 0, [&, i] {
      std::lock_guard<weave::Mutex> hold(mu);
      cond.wait();  // one wait, no predicate: each wake-up is counted
      woke.send(i);
    });
  }
  weave::testing_util::wait_until_parked(before + kWaiters, "cond wait");
  {
    std::lock_guard<weave::Mutex> hold(mu);
    cond.signal();
  }
  ASSERT_TRUE(recv_within<int>(woke, absl::Seconds(10)));
  // The others stay asleep.
  for (int i = 0; i < 200; ++i) weave::yield();
  EXPECT_EQ(weave::select(weave::recv(woke), weave::otherwise()), 1);
  EXPECT_EQ(weave::testing_util::count_in_state("cond wait"), before + kWaiters - 1);
  cond.broadcast();  // without holding the lock is allowed, as in Go
  for (int i = 0; i < kWaiters - 1; ++i) ASSERT_TRUE(recv_within<int>(woke, absl::Seconds(10)));
  r.join();
}

TEST(CondTest, SignalWithoutWaitersIsNotKept) {
  weave::Mutex mu;
  weave::Cond cond(mu);
  cond.signal();  // nobody waits: nothing happens, and a later wait() is not woken by it
  cond.broadcast();
  weave::Chan<Unit> woke = weave::make_chan<Unit>(1);
  const int before = weave::testing_util::count_in_state("cond wait");
  // The fiber lets go of mu before it says it woke, and holds its own handle of woke: the test
  // returns (and destroys mu and cond) once it has heard.
  weave::go([&mu, &cond, woke] {
    {
      std::lock_guard<weave::Mutex> hold(mu);
      cond.wait();
    }
    woke.send(Unit{});
  });
  weave::testing_util::wait_until_parked(before + 1, "cond wait");
  for (int i = 0; i < 100; ++i) weave::yield();
  EXPECT_EQ(weave::select(weave::recv(woke), weave::otherwise()), 1);
  EXPECT_EQ(weave::testing_util::count_in_state("cond wait"), before + 1);
  cond.signal();
  woke.recv();
}

// A bounded queue with two conditions, the textbook predicate loop: no wake-up may be lost, or
// a side waits forever.
TEST_P(SyncTest, CondPredicateLoopLosesNoWakeups) {
  weave::Mutex mu;
  weave::Cond not_empty(mu), not_full(mu);
  std::vector<int> queue;
  constexpr std::size_t kCap = 2;
  constexpr int kItems = 4000, kProducers = 4;
  std::int64_t sum = 0;
  weave::testing_util::Runner r;
  for (int p = 0; p < kProducers; ++p) {
    r.start(fiber() ? true : p % 2 == 0, [&] {
      for (int i = 1; i <= kItems / kProducers; ++i) {
        std::unique_lock<weave::Mutex> l(mu);
        while (queue.size() == kCap) not_full.wait();
        queue.push_back(i);
        not_empty.signal();
      }
    });
  }
  r.start(!fiber(), [&] {
    for (int n = 0; n < kItems; ++n) {
      std::unique_lock<weave::Mutex> l(mu);
      while (queue.empty()) not_empty.wait();
      sum += queue.back();
      queue.pop_back();
      not_full.signal();
    }
  });
  r.join();
  const std::int64_t per = kItems / kProducers;
  EXPECT_EQ(sum, kProducers * per * (per + 1) / 2);
}

INSTANTIATE_TEST_SUITE_P(FiberOrThread, SyncTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fiber" : "Thread"; });

}  // namespace
