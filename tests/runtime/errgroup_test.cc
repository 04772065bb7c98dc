// errgroup.Group semantics for weave::ErrGroup: the first error wins, the group's context is
// cancelled by the first error and when wait() returns, set_limit bounds concurrency, try_go
// refuses when full.
#include <weave/weave.h>

#include <algorithm>
#include <atomic>
#include <sstream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "gtest/gtest.h"

#include "test_util.h"

namespace {

using weave::Unit;

bool closed_now(const weave::RecvChan<Unit>& d) {
  return weave::select(weave::recv(d), weave::otherwise()) == 0;
}

class ErrGroupTest : public ::testing::TestWithParam<bool> {
 protected:
  bool fiber() const { return GetParam(); }
};

TEST_P(ErrGroupTest, FirstErrorIsReturnedAndCancelsTheContext) {
  absl::Status got;
  std::atomic<int> finished{0};
  weave::testing_util::run_on(fiber(), [&] {
    weave::ErrGroup g(weave::background());
    const weave::Context ctx = g.context();
    EXPECT_TRUE(ctx.err().ok());
    g.go([&] {
      finished.fetch_add(1);
      return absl::InternalError("first");
    });
    g.go([&, ctx] {
      ctx.done().recv();  // only after the first error
      finished.fetch_add(1);
      return absl::UnavailableError("second");
    });
    g.go([&] {
      finished.fetch_add(1);
      return absl::OkStatus();
    });
    got = g.wait();
    EXPECT_EQ(finished.load(), 3);  // wait() waited for every task, not just the first error
    EXPECT_EQ(ctx.err(), weave::canceled_error());
    EXPECT_EQ(weave::cause(ctx), absl::InternalError("first"));
  });
  EXPECT_EQ(got, absl::InternalError("first"));
}

TEST_P(ErrGroupTest, ContextIsCancelledWhenWaitReturns) {
  weave::testing_util::run_on(fiber(), [&] {
    auto [parent, cancel] = weave::with_cancel(weave::background());
    weave::ErrGroup g(parent);
    weave::Chan<Unit> gate = weave::make_chan<Unit>();
    for (int i = 0; i < 5; ++i) {
      g.go([gate] {
        gate.recv();
        return absl::OkStatus();
      });
    }
    EXPECT_FALSE(closed_now(g.context().done()));
    gate.close();
    EXPECT_TRUE(g.wait().ok());
    EXPECT_TRUE(closed_now(g.context().done()));
    EXPECT_EQ(g.context().err(), weave::canceled_error());
    EXPECT_TRUE(parent.err().ok());  // never the parent
    cancel();
  });
}

TEST(ErrGroupTest, ParentCancellationReachesTheGroup) {
  auto [parent, cancel] = weave::with_cancel(weave::background());
  weave::ErrGroup g(parent);
  g.go([ctx = g.context()] {
    ctx.done().recv();
    return ctx.err();
  });
  cancel();
  EXPECT_EQ(g.wait(), weave::canceled_error());
}

TEST(ErrGroupTest, ZeroGroupHasNoContextButKeepsTheError) {
  weave::ErrGroup g;
  EXPECT_EQ(weave::select(weave::recv(g.context().done()), weave::otherwise()), 1);  // nil
  for (int i = 0; i < 5; ++i) g.go([] { return absl::OkStatus(); });
  g.go([] { return absl::NotFoundError("a"); });
  EXPECT_EQ(g.wait(), absl::NotFoundError("a"));
  EXPECT_TRUE(g.context().err().ok());
}

TEST(ErrGroupTest, AllOkIsOk) {
  weave::ErrGroup g(weave::background());
  std::atomic<int> n{0};
  for (int i = 0; i < 100; ++i) {
    g.go([&] {
      n.fetch_add(1);
      return absl::OkStatus();
    });
  }
  EXPECT_TRUE(g.wait().ok());
  EXPECT_EQ(n.load(), 100);
}

TEST_P(ErrGroupTest, SetLimitBoundsConcurrency) {
  weave::testing_util::run_on(fiber(), [&] {
    weave::ErrGroup g(weave::background());
    g.set_limit(3);
    std::atomic<int> cur{0}, max_seen{0};
    for (int i = 0; i < 60; ++i) {
      g.go([&] {
        const int now = cur.fetch_add(1) + 1;
        int m = max_seen.load();
        while (now > m && !max_seen.compare_exchange_weak(m, now)) {
        }
        for (int k = 0; k < 5; ++k) weave::yield();
        cur.fetch_sub(1);
        return absl::OkStatus();
      });
    }
    EXPECT_TRUE(g.wait().ok());
    EXPECT_LE(max_seen.load(), 3);
    EXPECT_GE(max_seen.load(), 1);
  });
}

TEST(ErrGroupTest, GoBlocksAndTryGoRefusesWhileFull) {
  weave::ErrGroup g(weave::background());
  g.set_limit(2);
  weave::Chan<Unit> gate = weave::make_chan<Unit>();
  std::atomic<int> running{0}, max_running{0};
  auto task = [&] {
    const int now = running.fetch_add(1) + 1;
    int m = max_running.load();
    while (now > m && !max_running.compare_exchange_weak(m, now)) {
    }
    gate.recv();
    running.fetch_sub(1);
    return absl::OkStatus();
  };
  g.go(task);
  EXPECT_TRUE(g.try_go(task));
  EXPECT_FALSE(g.try_go(task));  // full: refused, not queued
  // go() waits for a slot.
  weave::Chan<Unit> third_started = weave::make_chan<Unit>(1);
  const int before = weave::testing_util::count_in_state("chan send");
  weave::go([&] {
    g.go(task);
    third_started.send(Unit{});
  });
  weave::testing_util::wait_until_parked(before + 1, "chan send");
  EXPECT_EQ(weave::select(weave::recv(third_started), weave::otherwise()), 1);
  gate.close();
  third_started.recv();
  EXPECT_TRUE(g.wait().ok());
  EXPECT_LE(max_running.load(), 2);
  EXPECT_TRUE(g.try_go([] { return absl::OkStatus(); }));  // free again
  EXPECT_TRUE(g.wait().ok());
}

TEST(ErrGroupTest, SetLimitWhileActivePanicsAndNegativeRemovesIt) {
  weave::ErrGroup g(weave::background());
  g.set_limit(1);
  weave::Chan<Unit> gate = weave::make_chan<Unit>();
  g.go([gate] {
    gate.recv();
    return absl::OkStatus();
  });
  EXPECT_THROW(g.set_limit(5), weave::Panic);
  gate.close();
  EXPECT_TRUE(g.wait().ok());

  // No limit: 20 tasks can all be running at once.
  g.set_limit(-1);
  constexpr int kTasks = 20;
  weave::Chan<Unit> in = weave::make_chan<Unit>(kTasks);
  weave::Chan<Unit> leave = weave::make_chan<Unit>();
  for (int i = 0; i < kTasks; ++i) {
    EXPECT_TRUE(g.try_go([in, leave] {
      in.send(Unit{});
      leave.recv();
      return absl::OkStatus();
    }));
  }
  for (int i = 0; i < kTasks; ++i) in.recv();
  leave.close();
  EXPECT_TRUE(g.wait().ok());
}

TEST(ErrGroupTest, TryGoWithoutLimitAlwaysRuns) {
  weave::ErrGroup g;
  std::atomic<int> n{0};
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(g.try_go([&] {
      n.fetch_add(1);
      return absl::OkStatus();
    }));
  }
  EXPECT_TRUE(g.wait().ok());
  EXPECT_EQ(n.load(), 10);
}

INSTANTIATE_TEST_SUITE_P(FiberOrThread, ErrGroupTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fiber" : "Thread"; });

}  // namespace
