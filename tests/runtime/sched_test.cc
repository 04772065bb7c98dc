// The scheduler and fiber lifecycle: start on first use, parallelism, idling, panics, stack
// overflows, dumps, exit with parked fibers.
#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <weave/weave.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sched_debug.h"
#include "test_util.h"
#include "tsan.h"

namespace {

TEST(Sched, NumFibersCountsLiveFibers) {
  const int base = weave::num_fibers();
  auto release = weave::make_chan<weave::Unit>();
  weave::WaitGroup wg;
  for (int i = 0; i < 10; ++i) wg.go([=] { release.recv(); });
  weave::testing_util::wait_until_parked(10, "chan receive");
  EXPECT_EQ(weave::num_fibers(), base + 10);
  release.close();
  wg.wait();
  // A fiber leaves the count when it has finished, which is just after done(): wait for that.
  while (weave::num_fibers() != base) weave::yield();
  EXPECT_EQ(weave::num_fibers(), base);
}

TEST(Sched, ProcsFollowsTheEnvironmentOrTheCores) {
  EXPECT_GE(weave::procs(), 1);
  if (const char* p = std::getenv("WEAVE_PROCS")) {
    EXPECT_EQ(weave::procs(), std::atoi(p));
  }
}

TEST(Sched, FibersRunInParallelOnSeveralWorkers) {
  if (weave::procs() < 2) GTEST_SKIP() << "needs two workers";
  // Each fiber spins (never parks) until it has seen the other: only possible if both run at once.
  std::atomic<int> arrived{0};
  weave::WaitGroup wg;
  for (int i = 0; i < 2; ++i) {
    wg.go([&] {
      arrived.fetch_add(1);
      while (arrived.load() < 2) {
      }
    });
  }
  wg.wait();
  EXPECT_EQ(arrived.load(), 2);
}

// A worker that judged its steals not worth their cost (fibers that ran too briefly to pay for the
// move) stops stealing from rings whose owners get through them; it must still rob a worker stuck
// in one fiber. Here the stuck fiber spins until the one left in its ring has run elsewhere. (Two
// things end the wait, and this test cannot tell which did: the sleeper's look-in, which sees the
// stuck worker within a millisecond or two, and the end of the back-off, within 4 ms at most.)
TEST(Sched, AWorkerBackingOffFromStealingStillRobsAStuckOne) {
  if (weave::procs() < 2) GTEST_SKIP() << "needs two workers";
  const int before = weave::detail::steal_backoffs_for_testing();
  // Trivial fibers started by a fiber, so they queue in its worker's ring; the other worker
  // steals some, finds they ran a few hundred nanoseconds each, and backs off. Under
  // ThreadSanitizer on a loaded machine each may take long enough to pay for its move: then there
  // is nothing to test.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (weave::detail::steal_backoffs_for_testing() == before &&
         std::chrono::steady_clock::now() < give_up) {
    weave::WaitGroup wg;
    wg.go([&] {
      for (int i = 0; i < 10000; ++i) wg.go([] {});
    });
    wg.wait();
  }
#if WEAVE_TSAN
  if (weave::detail::steal_backoffs_for_testing() == before) {
    GTEST_SKIP() << "no steal was judged not worth its cost in 20 s";
  }
#endif
  ASSERT_GT(weave::detail::steal_backoffs_for_testing(), before) << "no steal was judged";
  std::atomic<int> arrived{0};
  weave::WaitGroup wg;
  wg.go([&] {
    for (int i = 0; i < 2; ++i) {
      wg.go([&] {  // the first waits in this worker's ring while the second spins
        arrived.fetch_add(1);
        while (arrived.load() < 2) {
        }
      });
    }
  });
  wg.wait();  // hangs (the test times out) unless another worker takes the first
  EXPECT_EQ(arrived.load(), 2);
}

// A fork-join tree unfolds depth-first on one worker: its live fibers, and the stacks they hold,
// number about its depth times its fan-out. (A fiber that starts a few children while its worker
// has a backlog of others' must not be sent to the back of the global queue for each: skynet's
// million leaves then made 13,000 stacks.)
TEST(SchedDeath, AForkJoinTreeOnOneWorkerHoldsFewStacks) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("WEAVE_PROCS", "1", 1);
        struct Tree {
          static void run(weave::SendChan<std::int64_t> out, std::int64_t num, std::int64_t size) {
            if (size == 1) {
              out.send(num);
              return;
            }
            auto in = weave::make_chan<std::int64_t>();
            for (std::int64_t i = 0; i < 10; ++i) {
              weave::go([=] { run(in, num + i * (size / 10), size / 10); });
            }
            std::int64_t sum = 0;
            for (int i = 0; i < 10; ++i) sum += *in.recv();
            out.send(sum);
          }
        };
        const int before = weave::detail::stacks_made_for_testing();
        auto out = weave::make_chan<std::int64_t>();
        const std::int64_t leaves = 1'000'000;
        weave::go([=] { Tree::run(out, 0, leaves); });
        const bool sum_ok = *out.recv() == leaves * (leaves - 1) / 2;
        const int made = weave::detail::stacks_made_for_testing() - before;
        std::printf("stacks made: %d\n", made);
        // Each node has sent its sum but may not have returned yet, its channel still held in its
        // frame, where LeakSanitizer does not look: let every one end before exiting.
        while (weave::num_fibers() > 0) std::this_thread::yield();
        std::exit(sum_ok && made < 1000 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// A fiber woken by one that then runs on without blocking must still run: another worker takes it
// (ready() wakes no worker for a single woken fiber; a sleeping worker looks in on the others).
TEST(Sched, FiberWokenByALongRunningFiberRunsElsewhere) {
  if (weave::procs() < 2) GTEST_SKIP() << "needs two workers";
  auto to_first = weave::make_chan<int>();
  auto to_second = weave::make_chan<int>();
  std::atomic<bool> first_ran{false};
  weave::WaitGroup wg;
  wg.go([&] {
    to_first.recv();
    first_ran = true;
  });
  wg.go([&] { to_second.recv(); });
  weave::testing_util::wait_until_parked(2, "chan receive");
  wg.go([&] {
    // Once every other worker sleeps, only a sleeping worker's look-in can run the first fiber
    // (a spinning one would simply steal it).
    while (weave::detail::sleeping_workers_for_testing() < weave::procs() - 1) {
    }
    to_first.send(1);   // the first goes to runnext…
    to_second.send(2);  // …then to the ring, displaced by the second
    while (!first_ran.load()) {
    }  // and this fiber runs on, never blocking, until another worker has run the first
  });
  wg.wait();
  EXPECT_TRUE(first_ran.load());
}

// A fiber woken into its waker's runnext must run even while the waker runs on without blocking:
// an idle worker takes it from there once the waker has run that long (steal_runnext).
TEST(Sched, AFiberWokenIntoRunnextRunsWhileItsWakerSpins) {
  if (weave::procs() < 2) GTEST_SKIP() << "needs two workers";
  auto ch = weave::make_chan<int>(1);
  std::atomic<bool> woken{false};
  bool ran_while_waker_ran = false;
  weave::WaitGroup wg;
  wg.go([&] {
    ch.recv();
    woken = true;
  });
  weave::testing_util::wait_until_parked(1, "chan receive");
  wg.go([&] {
    // From sleeping workers, as in the program (a spinning one finds it sooner).
    while (weave::detail::sleeping_workers_for_testing() < weave::procs() - 1) {
    }
    ch.send(1);  // the receiver goes to this worker's runnext, and this fiber never blocks
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!woken.load() && absl::Now() < give_up) {
    }
    ran_while_waker_ran = woken.load();
  });
  wg.wait();
  EXPECT_TRUE(ran_while_waker_ran) << "the woken fiber did not run while its waker ran for 10 s";
}

// With one worker, two fibers that wake each other through runnext forever must not keep a third
// from running (the fairness tick: Go's time slice).
// A plain thread that waits for a fiber's answer spins before it sleeps, so an answer that comes
// while it spins costs no futex wake-up (the old runtime paid one per park: a fan-in whose
// consumer is main ran 30-100x slower than with a fiber consumer). The thread parks about once a
// round trip; answers that come within the spin, as most do, are taken without a wake.
TEST(Sched, APlainThreadWaitingForAFiberIsNotWokenWhileItSpins) {
  constexpr int kRounds = 2000;
  auto ping = weave::make_chan<int>();
  auto pong = weave::make_chan<int>();
  weave::WaitGroup wg;
  wg.go([=] {
    for (int i = 0; i < kRounds; ++i) pong.send(*ping.recv() + 1);
  });
  const std::uint64_t parks = weave::detail::thread_parks_for_testing();
  const std::uint64_t wakes = weave::detail::thread_wakes_for_testing();
  for (int i = 0; i < kRounds; ++i) {
    ping.send(i);
    ASSERT_EQ(*pong.recv(), i + 1);
  }
  wg.wait();
  const std::uint64_t parked = weave::detail::thread_parks_for_testing() - parks;
  const std::uint64_t woken = weave::detail::thread_wakes_for_testing() - wakes;
  EXPECT_GT(parked, 0u);
  EXPECT_LT(woken, parked) << "every park of the plain thread was ended by a futex wake-up";
}

TEST(SchedDeath, PingPongPairDoesNotStarveAThirdFiber) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("WEAVE_PROCS", "1", 1);
        auto ping = weave::make_chan<int>();
        auto pong = weave::make_chan<int>();
        auto ran = weave::make_chan<weave::Unit>(2);
        std::atomic<bool> stop{false};
        std::atomic<int> rounds{0};
        weave::go([&] {
          for (int i = 0; !stop.load(); ++i) {
            // Started once the pair is going, this fiber waits in the worker's ring: runnext
            // always holds one of the pair.
            if (i == 1000) weave::go([=] { ran.send(weave::Unit{}); });
            ping.send(1);
            pong.recv();
            rounds.fetch_add(1);
          }
        });
        weave::go([&] {
          for (;;) {
            ping.recv();
            pong.send(1);
          }
        });
        while (rounds.load() < 2000) {
        }
        // Started by a plain thread, this one waits in the global queue.
        weave::go([=] { ran.send(weave::Unit{}); });
        ran.recv();  // hangs (the test times out) if either never runs
        ran.recv();
        stop = true;
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

void count_call(std::atomic<int>* n) { n->fetch_add(1); }
std::atomic<int> g_plain_function_calls{0};
void plain_function() { count_call(&g_plain_function_calls); }

TEST(Sched, GoTakesAPlainFunction) {
  g_plain_function_calls.store(0);  // for --gtest_repeat
  weave::WaitGroup wg;
  wg.add(1);
  weave::go(plain_function);
  wg.go(plain_function);
  wg.done();
  wg.wait();
  while (g_plain_function_calls.load() < 2) weave::yield();  // the first is not joined: wait
  EXPECT_EQ(g_plain_function_calls.load(), 2);
}

// A fiber that spawns in a loop yields once its worker has a backlog, so the fibers it starts
// run and finish as it goes: live fibers stay bounded instead of reaching the loop's length.
TEST(Sched, SpawnLoopsDoNotRunAheadUnbounded) {
  int peak = 0;
  weave::WaitGroup done;
  done.go([&] {
    weave::WaitGroup wg;
    for (int i = 0; i < 200000; ++i) {
      wg.go([] {});
      if (i % 1000 == 0) peak = std::max(peak, weave::num_fibers());
    }
    wg.wait();
  });
  done.wait();
  EXPECT_LT(peak, 5000) << "fibers alive at once while one fiber spawned 200,000";
}

TEST(Sched, YieldLetsOthersRun) {
  // With one fiber spinning on yield(), a fiber it waits for must still get to run.
  std::atomic<bool> flag{false};
  weave::WaitGroup wg;
  wg.go([&] {
    while (!flag.load()) weave::yield();
  });
  wg.go([&] { flag = true; });
  wg.wait();
  EXPECT_TRUE(flag.load());
}

TEST(Sched, ManyNestedSpawnsAllComplete) {
  std::atomic<int> ran{0};
  weave::WaitGroup wg;
  for (int i = 0; i < 100; ++i) {
    wg.go([&] {
      weave::WaitGroup inner;
      for (int j = 0; j < 1000; ++j) inner.go([&] { ran.fetch_add(1, std::memory_order_relaxed); });
      inner.wait();
    });
  }
  wg.wait();
  EXPECT_EQ(ran.load(), 100000);
}

// One sleeping worker at a time looks in on the others (the watcher); the rest sleep until woken.
// When every sleeper looked in on every worker, idle workers cost in proportion to the square of
// their number. 32 workers here: with every sleeper looking in, as before, all 32 took part in
// the look-ins below.
TEST(SchedDeath, OneSleepingWorkerLooksInOnTheOthers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("WEAVE_PROCS", "32", 1);
        while (weave::detail::sleeping_workers_for_testing() < 32) std::this_thread::yield();
        const std::vector<std::uint64_t> before = weave::detail::look_ins_for_testing();
        std::uint64_t total = 0;
        std::vector<std::uint64_t> after;
        while (total < 20) {  // a look-in every 1 to 8 ms
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          after = weave::detail::look_ins_for_testing();
          total = 0;
          for (std::size_t i = 0; i < after.size(); ++i) total += after[i] - before[i];
        }
        int lookers = 0;
        for (std::size_t i = 0; i < after.size(); ++i) lookers += after[i] != before[i];
        std::fprintf(stderr, "lookers %d\n", lookers);
        std::exit(lookers <= 2 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "lookers [12]\n");
}

TEST(Sched, AnIdleProgramUsesAlmostNoCpu) {
  auto cpu = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  };
  // Its only fiber sleeps: the workers must sleep too, not spin.
  weave::WaitGroup wg;
  wg.go([] {});
  wg.wait();
  const double before = cpu();
  wg.go([] { weave::sleep(absl::Milliseconds(300)); });
  wg.wait();
  EXPECT_LT(cpu() - before, 30.0) << "ms of CPU while sleeping 300 ms";
}

TEST(Sched, DumpShowsWhereFibersWaitAndWereCreated) {
  auto ch = weave::make_chan<int>();
  const int line = __LINE__ + 1;
  weave::go([=] { ch.recv(); });
  weave::testing_util::wait_until_parked(1, "chan receive");
  std::ostringstream out;
  weave::dump_fibers(out);
  const std::string d = out.str();
  EXPECT_NE(d.find("sched_test.cc:" + std::to_string(line)), std::string::npos) << d;
  EXPECT_NE(d.find("created by"), std::string::npos);
  EXPECT_NE(d.find("waiting on chan"), std::string::npos);
  ch.close();
}

// A dump reads fibers while other workers start and finish fibers on recycled stacks: every parked
// fiber must appear exactly once, whatever churns around it.
TEST(Sched, DumpDuringChurnShowsEachParkedFiberOnce) {
  constexpr int kParked = 50;
  auto release = weave::make_chan<weave::Unit>();
  weave::WaitGroup parked;
  const int line = __LINE__ + 1;
  for (int i = 0; i < kParked; ++i) parked.go([=] { release.recv(); });
  weave::testing_util::wait_until_parked(kParked, "chan receive");

  std::atomic<bool> stop{false};
  weave::WaitGroup churn;
  std::atomic<long> spawned{0};
  for (int k = 0; k < 2; ++k) {
    churn.go([&] {
      while (!stop.load()) {
        weave::WaitGroup inner;
        for (int i = 0; i < 64; ++i) inner.go([] {});
        inner.wait();
        spawned += 64;
      }
    });
  }
  // Each parked fiber's paragraph names this line once as where it waits (and once as where it
  // was made).
  std::ostringstream where;
  where << "blocked at " << __FILE__ << ":" << line;
  const std::string site = where.str();
  for (int d = 0; d < 200; ++d) {
    std::ostringstream out;
    weave::dump_fibers(out);
    const std::string s = out.str();
    int n = 0;
    for (auto p = s.find(site); p != std::string::npos; p = s.find(site, p + 1)) ++n;
    ASSERT_EQ(n, kParked) << "dump " << d << ":\n" << s;
  }
  stop = true;
  churn.wait();
  EXPECT_GT(spawned.load(), 0);
  release.close();
  parked.wait();
}

TEST(SchedDeath, ExceptionEscapingAFiberIsAPanic) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        weave::go([] { throw std::runtime_error("boom"); });
        weave::make_chan<int>().recv();
      },
      // Go prints the panicking goroutine's stack: here its frames, each with its object file
      // (the debug library: its source line).
      "panic: boom\n\nfiber [0-9]+ \\[running\\]:\n  [^\n]+\n      "
      "[^\n]+(\\+0x[0-9a-f]+|:[0-9]+)\n.*"
      "created by .*sched_test.cc");
}

TEST(SchedDeath, PanicEscapingMainIsReportedLikeGo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        // On a plain thread (gtest itself would catch it in the test's own): nothing catches it,
        // and the program dies as Go's would.
        std::thread([] {
          auto c = weave::make_chan<int>(1);
          c.close();
          c.send(1);
        }).join();
      },
      "panic: send on closed channel\n\nthread [0-9]+ \\[running\\]");
}

TEST(SchedDeath, StackOverflowIsReportedAsSuch) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("WEAVE_STACK_SIZE", "65536", 1);
        weave::go([] { std::printf("%d\n", weave::testing_util::recurse_deep(1 << 20)); });
        weave::make_chan<int>().recv();
      },
      ::testing::ExitedWithCode(2), "fatal error: stack overflow in fiber [0-9]+");
}

// More fibers parked than stacks can have their guard at once (vm.max_map_count caps them): a
// fiber that overflows must still hit a guard, not the stack below it (the top of a parked fiber's
// stack, its control block). It overflows by 16 KiB and returns, as if nothing had happened: only
// a guard can tell. (A million parked fibers: Stress.StackOverflowWithAMillionParkedFibersLong.)
TEST(SchedDeath, StackOverflowIsReportedWithMoreFibersParkedThanGuards) {
#if WEAVE_TSAN
  // ThreadSanitizer maps memory of its own per fiber, and runs out of mappings first.
  GTEST_SKIP() << "needs the mappings ThreadSanitizer takes for its fibers";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(weave::testing_util::park_then_overflow(0), ::testing::ExitedWithCode(2),
              "fatal error: stack overflow in fiber [0-9]+");
}

TEST(SchedDeath, SigquitDumpsEveryFiberAndExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto ch = weave::make_chan<int>();
        weave::go([=] { ch.recv(); });
        weave::testing_util::wait_until_parked(1, "chan receive");
        raise(SIGQUIT);
        // Waits outside weave: blocked in weave, main would make a global deadlock, which the
        // debug runtime may report before the signal's dump.
        for (;;) pause();
      },
      ::testing::ExitedWithCode(2), "SIGQUIT: quit(.|\n)*chan receive");
}

TEST(SchedDeath, MainReturningWithParkedFibersExitsCleanly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto ch = weave::make_chan<int>();
        for (int i = 0; i < 100; ++i) weave::go([=] { ch.recv(); });
        weave::testing_util::wait_until_parked(100, "chan receive");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
