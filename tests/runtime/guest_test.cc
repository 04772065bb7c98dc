// A plain thread blocked in weave runs the fibers it woke (scheduler.cc, "Guests"): a consumer
// thread's hand-offs stay on its own core. What that must not break: a fiber woken by a thread
// that then blocks outside weave still runs, a thread that ends leaves nothing behind, and a
// fiber that overflows its stack on such a thread is reported as on a worker.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <weave/weave.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "test_util.h"
#include "tsan.h"

namespace {

// The fiber answering a plain thread's request runs on that thread while it waits for the
// answer (without guests it never does: fibers run only on workers).
TEST(Guest, APlainThreadRunsTheFiberItWokeWhileItWaits) {
#if WEAVE_DEBUG
  GTEST_SKIP() << "the debug runtime has no guests: it runs fibers on its workers only";
#endif
#if WEAVE_TSAN
  GTEST_SKIP() << "under ThreadSanitizer the thread takes longer than a thief's grace to block";
#endif
  auto req = weave::make_chan<int>();
  auto resp = weave::make_chan<long>();
  weave::WaitGroup wg;
  // The kernel's thread id, asked each time: glibc declares pthread_self (behind
  // std::this_thread::get_id) const, and a compiler may then ask once for the whole loop of a
  // fiber that moves between threads.
  const auto thread_id = [] { return static_cast<long>(syscall(SYS_gettid)); };
  wg.go([=] {
    while (req.recv()) resp.send(thread_id());
  });
  int here = 0;
  constexpr int kRounds = 1000;
  for (int i = 0; i < kRounds; ++i) {
    req.send(i);
    if (*resp.recv() == thread_id()) ++here;
  }
  req.close();
  wg.wait();
  EXPECT_GT(here, 0) << "the fiber never ran on the thread it answered";
  std::printf("%d of %d answers ran on the waiting thread\n", here, kRounds);
}

// The thread wakes a fiber (into its guest's queue) and then blocks outside weave, on what the
// fiber will do: a worker must take the fiber from the thread's queue.
TEST(Guest, AFiberWokenByAThreadThatThenBlocksOutsideWeaveRuns) {
  // The thread's first block in weave gives it a guest.
  auto warm = weave::make_chan<int>();
  weave::go([=] { warm.send(1); });
  warm.recv();
  for (int i = 0; i < 20; ++i) {
    auto go_on = weave::make_chan<int>();
    auto waiting = weave::make_chan<int>(1);
    std::promise<void> ran;
    weave::go([&ran, go_on, waiting] {
      waiting.send(1);
      go_on.recv();  // woken by the thread's send below, most often parked already
      ran.set_value();
    });
    waiting.recv();
    go_on.send(1);
    ASSERT_EQ(ran.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready)
        << "round " << i << ": the fiber the thread woke never ran";
  }
}

// A thread that woke fibers and ends: they run (its queue goes to the workers).
TEST(Guest, FibersWokenByAThreadThatEndsStillRun) {
  constexpr int kFibers = 50;
  auto go_on = weave::make_chan<int>();
  auto parked = weave::make_chan<int>(kFibers);
  weave::WaitGroup wg;
  for (int i = 0; i < kFibers; ++i) {
    wg.go([=] {
      parked.send(1);
      go_on.recv();
    });
  }
  std::thread([=] {
    for (int i = 0; i < kFibers; ++i) parked.recv();  // blocks: claims a guest
    for (int i = 0; i < kFibers; ++i) go_on.send(1);
  }).join();
  wg.wait();  // each received: all ran
}

// A fiber woken by main overflows its stack while main waits (and may run it): reported.
TEST(GuestDeath, StackOverflowOfAFiberAThreadRunsIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("WEAVE_STACK_SIZE", "65536", 1);
        auto go_on = weave::make_chan<int>();
        auto never = weave::make_chan<int>();
        weave::go([=] {
          go_on.recv();
          std::printf("%d\n", weave::testing_util::recurse_deep(1 << 20));
        });
        weave::go([=] { never.send(0); });
        never.recv();  // main blocks once: it has a guest from now on
        go_on.send(1);
        never.recv();
      },
      ::testing::ExitedWithCode(2), "fatal error: stack overflow in fiber [0-9]+");
}

}  // namespace
