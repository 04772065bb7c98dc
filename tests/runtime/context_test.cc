// Go's context semantics for weave::Context: the cancellation tree, deadlines, errors, causes,
// after_func, without_cancel and values.
#include <weave/weave.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "context_debug.h"
#include "test_util.h"

namespace {

using weave::Context;
using weave::Unit;

// True if d is closed now (a receive would not block). Cancellation is synchronous, so after
// cancel() returns, every descendant's done() is already closed: no waiting is needed.
bool closed_now(const weave::RecvChan<Unit>& d) {
  return weave::select(weave::recv(d), weave::otherwise()) == 0;
}

inline const weave::ContextKey<std::string> kUser;
inline const weave::ContextKey<std::string> kRequest;  // same value type, different key
inline const weave::ContextKey<int> kAttempt;

TEST(ContextTest, BackgroundIsNeverDone) {
  for (const Context& c : {weave::background(), weave::todo(), Context()}) {
    // done() is nil: a select with a default picks the default, as with Go's nil Done().
    EXPECT_EQ(weave::select(weave::recv(c.done()), weave::otherwise()), 1);
    EXPECT_TRUE(c.err().ok());
    EXPECT_FALSE(c.deadline().has_value());
    EXPECT_TRUE(weave::cause(c).ok());
    EXPECT_EQ(c.value(kUser), nullptr);
  }
}

TEST(ContextTest, LiveContextIsNotDone) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  EXPECT_FALSE(closed_now(ctx.done()));
  EXPECT_TRUE(ctx.err().ok());
  EXPECT_TRUE(weave::cause(ctx).ok());
  cancel();
}

// Go's timerCtx stops its timer on cancel; so does ours, whether the cancel is its own or an
// ancestor's, and the context still being referenced does not keep the timer queued.
TEST(ContextTest, CancelStopsTheDeadlineTimer) {
  auto [parent, cancel_parent] = weave::with_cancel(weave::background());
  auto [own, cancel_own] = weave::with_timeout(weave::background(), absl::Hours(1));
  auto [child, cancel_child] = weave::with_timeout(parent, absl::Hours(1));
  EXPECT_TRUE(weave::detail::context_deadline_queued_for_testing(own));
  EXPECT_TRUE(weave::detail::context_deadline_queued_for_testing(child));
  cancel_own();
  EXPECT_FALSE(weave::detail::context_deadline_queued_for_testing(own));
  cancel_parent();
  EXPECT_FALSE(weave::detail::context_deadline_queued_for_testing(child));
  EXPECT_EQ(child.err(), weave::canceled_error());
  cancel_child();
}

TEST(ContextTest, CancelReachesEveryDescendant) {
  auto [root, cancel_root] = weave::with_cancel(weave::background());
  auto [a, cancel_a] = weave::with_cancel(root);
  auto [b, cancel_b] = weave::with_timeout(root, absl::Hours(1));
  Context a_val = weave::with_value(a, kUser, "ann");  // a value node in between
  auto [a1, cancel_a1] = weave::with_cancel(a_val);
  auto [a2, cancel_a2] = weave::with_cancel_cause(a_val);
  auto [b1, cancel_b1] = weave::with_deadline(b, absl::Now() + absl::Hours(2));
  auto [a11, cancel_a11] = weave::with_cancel(a1);

  cancel_root();
  for (const Context* c : {&root, &a, &b, &a_val, &a1, &a2, &b1, &a11}) {
    EXPECT_TRUE(closed_now(c->done()));
    EXPECT_EQ(c->err(), weave::canceled_error());
  }
  cancel_a();
  cancel_b();
  cancel_a1();
  cancel_a2(absl::OkStatus());
  cancel_b1();
  cancel_a11();
}

TEST(ContextTest, CancelNeverReachesParentOrSiblings) {
  auto [parent, cancel_parent] = weave::with_cancel(weave::background());
  auto [child, cancel_child] = weave::with_cancel(parent);
  auto [sibling, cancel_sibling] = weave::with_cancel(parent);
  auto [grandchild, cancel_grandchild] = weave::with_cancel(child);

  cancel_child();
  EXPECT_TRUE(closed_now(child.done()));
  EXPECT_TRUE(closed_now(grandchild.done()));
  EXPECT_FALSE(closed_now(parent.done()));
  EXPECT_TRUE(parent.err().ok());
  EXPECT_FALSE(closed_now(sibling.done()));
  EXPECT_TRUE(sibling.err().ok());

  // A child's deadline passing does not reach the parent either.
  auto [timed, cancel_timed] = weave::with_timeout(parent, absl::Milliseconds(1));
  timed.done().recv();
  EXPECT_EQ(timed.err(), weave::deadline_exceeded_error());
  EXPECT_TRUE(parent.err().ok());
  EXPECT_FALSE(closed_now(parent.done()));

  cancel_parent();
  EXPECT_TRUE(closed_now(sibling.done()));
  cancel_sibling();
  cancel_grandchild();
  cancel_timed();
}

TEST(ContextTest, ErrStringsAreGos) {
  auto [c, cancel] = weave::with_cancel(weave::background());
  cancel();
  const absl::Status e = c.err();
  EXPECT_TRUE(absl::IsCancelled(e));
  EXPECT_EQ(e.message(), "context canceled");
  EXPECT_EQ(e, absl::CancelledError("context canceled"));
  EXPECT_EQ(weave::canceled_error(), absl::CancelledError("context canceled"));

  auto [d, cancel_d] = weave::with_timeout(weave::background(), absl::ZeroDuration());
  const absl::Status de = d.err();
  EXPECT_TRUE(absl::IsDeadlineExceeded(de));
  EXPECT_EQ(de.message(), "context deadline exceeded");
  EXPECT_EQ(de, absl::DeadlineExceededError("context deadline exceeded"));
  EXPECT_EQ(weave::deadline_exceeded_error(),
            absl::DeadlineExceededError("context deadline exceeded"));
  cancel_d();
}

TEST(ContextTest, ChildDeadlineIsTheEarlierOfOwnAndParents) {
  const absl::Time t0 = absl::Now();
  auto [parent, cancel_parent] = weave::with_deadline(weave::background(), t0 + absl::Hours(1));
  ASSERT_TRUE(parent.deadline().has_value());
  EXPECT_EQ(*parent.deadline(), t0 + absl::Hours(1));

  auto [later, cancel_later] = weave::with_deadline(parent, t0 + absl::Hours(2));
  ASSERT_TRUE(later.deadline().has_value());
  EXPECT_EQ(*later.deadline(), t0 + absl::Hours(1));  // the parent's comes first

  auto [earlier, cancel_earlier] = weave::with_deadline(parent, t0 + absl::Minutes(1));
  ASSERT_TRUE(earlier.deadline().has_value());
  EXPECT_EQ(*earlier.deadline(), t0 + absl::Minutes(1));

  // Children without a deadline of their own inherit it, through value nodes too.
  auto [plain, cancel_plain] = weave::with_cancel(weave::with_value(earlier, kAttempt, 3));
  ASSERT_TRUE(plain.deadline().has_value());
  EXPECT_EQ(*plain.deadline(), t0 + absl::Minutes(1));
  auto [grand, cancel_grand] = weave::with_deadline(plain, t0 + absl::Hours(3));
  ASSERT_TRUE(grand.deadline().has_value());
  EXPECT_EQ(*grand.deadline(), t0 + absl::Minutes(1));

  // with_timeout is with_deadline(now + d).
  const absl::Time before = absl::Now();
  auto [to, cancel_to] = weave::with_timeout(weave::background(), absl::Minutes(5));
  ASSERT_TRUE(to.deadline().has_value());
  EXPECT_GE(*to.deadline(), before + absl::Minutes(5));
  EXPECT_LE(*to.deadline(), absl::Now() + absl::Minutes(5));

  EXPECT_FALSE(weave::with_cancel(weave::background()).first.deadline().has_value());
  for (auto* f :
       {&cancel_parent, &cancel_later, &cancel_earlier, &cancel_plain, &cancel_grand, &cancel_to}) {
    (*f)();
  }
}

TEST(ContextTest, ParentDeadlineCancelsChildWithDeadlineExceeded) {
  auto [parent, cancel_parent] = weave::with_timeout(weave::background(), absl::Milliseconds(5));
  auto [child, cancel_child] = weave::with_timeout(parent, absl::Hours(1));
  auto [plain, cancel_plain] = weave::with_cancel(parent);
  // The parent's fire cancels its children one after another: each is cancelled once its own
  // done() is closed, not when a sibling's is.
  for (const Context* c : {&child, &plain, &parent}) {
    c->done().recv();
    EXPECT_EQ(c->err(), weave::deadline_exceeded_error());
  }
  cancel_parent();
  cancel_child();
  cancel_plain();
}

TEST(ContextTest, ExpiredDeadlineCancelsAtOnce) {
  auto [past, cancel_past] =
      weave::with_deadline(weave::background(), absl::Now() - absl::Seconds(1));
  EXPECT_TRUE(closed_now(past.done()));
  EXPECT_EQ(past.err(), weave::deadline_exceeded_error());

  auto [zero, cancel_zero] = weave::with_timeout(weave::background(), absl::ZeroDuration());
  EXPECT_TRUE(closed_now(zero.done()));
  EXPECT_EQ(zero.err(), weave::deadline_exceeded_error());

  auto [neg, cancel_neg] = weave::with_timeout(weave::background(), -absl::Seconds(3));
  EXPECT_TRUE(closed_now(neg.done()));
  EXPECT_EQ(neg.err(), weave::deadline_exceeded_error());

  // Under a live parent too; and the parent is untouched.
  auto [parent, cancel_parent] = weave::with_cancel(weave::background());
  auto [child, cancel_child] = weave::with_timeout(parent, -absl::Milliseconds(1));
  EXPECT_TRUE(closed_now(child.done()));
  EXPECT_EQ(child.err(), weave::deadline_exceeded_error());
  EXPECT_TRUE(parent.err().ok());

  // A later cancel does not change the error.
  cancel_past();
  EXPECT_EQ(past.err(), weave::deadline_exceeded_error());
  cancel_zero();
  cancel_neg();
  cancel_child();
  cancel_parent();
}

TEST(ContextTest, DeadlineFiresAfterItsTime) {
  const absl::Time start = absl::Now();
  auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Milliseconds(20));
  EXPECT_FALSE(ctx.done().recv().has_value());  // closed, not sent on
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
  EXPECT_EQ(ctx.err(), weave::deadline_exceeded_error());
  EXPECT_EQ(weave::cause(ctx), weave::deadline_exceeded_error());
  cancel();
  EXPECT_EQ(ctx.err(), weave::deadline_exceeded_error());
}

TEST(ContextTest, ChildOfDoneParentIsDoneAtOnce) {
  auto [parent, cancel_parent] = weave::with_cancel_cause(weave::background());
  cancel_parent(absl::UnavailableError("gone"));
  auto [child, cancel_child] = weave::with_cancel(parent);
  EXPECT_TRUE(closed_now(child.done()));
  EXPECT_EQ(child.err(), weave::canceled_error());
  EXPECT_EQ(weave::cause(child), absl::UnavailableError("gone"));
  auto [timed, cancel_timed] = weave::with_timeout(parent, absl::Hours(1));
  EXPECT_TRUE(closed_now(timed.done()));
  EXPECT_EQ(timed.err(), weave::canceled_error());

  auto [expired, cancel_expired] = weave::with_timeout(weave::background(), absl::ZeroDuration());
  auto [under, cancel_under] = weave::with_cancel(expired);
  EXPECT_EQ(under.err(), weave::deadline_exceeded_error());
  cancel_child();
  cancel_timed();
  cancel_expired();
  cancel_under();
}

TEST(ContextTest, CancelledChildrenLeaveTheParent) {
  using weave::detail::context_child_count_for_testing;
  auto [parent, cancel_parent] = weave::with_cancel(weave::background());
  Context via_value = weave::with_value(parent, kAttempt, 1);
  for (int i = 0; i < 100000; ++i) {
    auto [child, cancel_child] = weave::with_cancel(i % 2 ? parent : via_value);
    if (i % 1000 == 0) {
      EXPECT_EQ(context_child_count_for_testing(parent), 1u);
    }
    cancel_child();
    EXPECT_LE(context_child_count_for_testing(parent), 1u) << "at " << i;
  }
  EXPECT_EQ(context_child_count_for_testing(parent), 0u);

  // Cancelled but still referenced: gone from the parent all the same.
  std::vector<Context> kept;
  for (int i = 0; i < 1000; ++i) {
    auto [child, cancel_child] = weave::with_timeout(parent, absl::Hours(1));
    cancel_child();
    kept.push_back(child);
  }
  EXPECT_EQ(context_child_count_for_testing(parent), 0u);

  // Dropped without a cancel (a lost cancel): the last handle going away unregisters it.
  for (int i = 0; i < 1000; ++i) {
    (void)weave::with_cancel(parent);
  }
  EXPECT_EQ(context_child_count_for_testing(parent), 0u);

  // Deadline-expired children unregister too.
  for (int i = 0; i < 1000; ++i) {
    auto [child, cancel_child] = weave::with_timeout(parent, absl::ZeroDuration());
    kept.push_back(child);
    kept.push_back(Context(child));
  }
  EXPECT_EQ(context_child_count_for_testing(parent), 0u);
  cancel_parent();
}

TEST(ContextTest, CancelTwiceIsHarmless) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  weave::CancelFunc copy = cancel;
  EXPECT_TRUE(static_cast<bool>(cancel));
  cancel();
  cancel();
  copy();
  EXPECT_EQ(ctx.err(), weave::canceled_error());
  EXPECT_TRUE(closed_now(ctx.done()));

  auto [cctx, ccancel] = weave::with_cancel_cause(weave::background());
  ccancel(absl::InternalError("first"));
  ccancel(absl::InternalError("second"));  // the first cause stays
  EXPECT_EQ(weave::cause(cctx), absl::InternalError("first"));
  EXPECT_EQ(cctx.err(), weave::canceled_error());
}

TEST(ContextTest, ConcurrentCancelsAreHarmless) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  std::vector<Context> kids;
  for (int i = 0; i < 50; ++i) kids.push_back(weave::with_cancel(ctx).first);
  weave::WaitGroup wg;
  for (int i = 0; i < 8; ++i) wg.go([c = cancel] { c(); });
  std::thread t([c = cancel] { c(); });
  wg.wait();
  t.join();
  EXPECT_EQ(ctx.err(), weave::canceled_error());
  for (auto& k : kids) EXPECT_TRUE(closed_now(k.done()));
}

TEST(ContextTest, DefaultCancelFuncsAreEmptyAndCallable) {
  weave::CancelFunc f;
  EXPECT_FALSE(static_cast<bool>(f));
  f();
  f();
  weave::CancelCauseFunc g;
  EXPECT_FALSE(static_cast<bool>(g));
  g(absl::InternalError("x"));
  weave::StopFunc s;
  EXPECT_FALSE(s());
}

TEST(ContextTest, CancelCause) {
  auto [ctx, cancel] = weave::with_cancel_cause(weave::background());
  auto [child, cancel_child] = weave::with_cancel(ctx);
  Context val = weave::with_value(child, kUser, "u");
  EXPECT_TRUE(weave::cause(ctx).ok());
  cancel(absl::InternalError("boom"));
  EXPECT_EQ(ctx.err(), weave::canceled_error());  // err() stays Go's error
  EXPECT_EQ(weave::cause(ctx), absl::InternalError("boom"));
  EXPECT_EQ(weave::cause(child), absl::InternalError("boom"));  // descendants see the cause
  EXPECT_EQ(weave::cause(val), absl::InternalError("boom"));
  EXPECT_EQ(child.err(), weave::canceled_error());

  // An OK cause means "context canceled".
  auto [c2, cancel2] = weave::with_cancel_cause(weave::background());
  cancel2(absl::OkStatus());
  EXPECT_EQ(weave::cause(c2), weave::canceled_error());

  // Without a cause: cause() is err().
  auto [c3, cancel3] = weave::with_cancel(weave::background());
  cancel3();
  EXPECT_EQ(weave::cause(c3), weave::canceled_error());

  // A child cancelled on its own keeps its own cause; the parent's later cause does not replace it.
  auto [p4, cancel4] = weave::with_cancel_cause(weave::background());
  auto [k4, cancel_k4] = weave::with_cancel_cause(p4);
  cancel_k4(absl::AbortedError("mine"));
  cancel4(absl::InternalError("parent"));
  EXPECT_EQ(weave::cause(k4), absl::AbortedError("mine"));
  EXPECT_EQ(weave::cause(p4), absl::InternalError("parent"));
  cancel_child();
}

TEST(ContextTest, AfterFuncRunsOnItsOwnFiberAfterCancel) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  weave::Chan<Unit> gate = weave::make_chan<Unit>(1);
  weave::Chan<bool> ran = weave::make_chan<bool>(1);
  weave::StopFunc stop = weave::after_func(ctx, [&] {
    // Blocks until the canceller, after cancel() returned, opens the gate: if f ran inline in
    // cancel(), the gate would stay shut and the timeout case would win.
    ran.send(weave::select(weave::recv(gate), weave::recv(weave::after(absl::Seconds(5)))) == 0);
  });
  EXPECT_EQ(weave::select(weave::recv(ran), weave::otherwise()), 1);  // not before cancel
  cancel();
  gate.send(Unit{});
  EXPECT_EQ(ran.recv(), std::optional<bool>(true));
  EXPECT_FALSE(stop());  // it ran: stop reports false
  EXPECT_FALSE(stop());
}

TEST(ContextTest, AfterFuncOnDoneContextRunsAtOnce) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  cancel();
  weave::Chan<Unit> ran = weave::make_chan<Unit>(1);
  weave::StopFunc stop = weave::after_func(ctx, [ran] { ran.send(Unit{}); });
  ran.recv();
  EXPECT_FALSE(stop());
}

TEST(ContextTest, AfterFuncStoppedBeforeCancelNeverRuns) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  std::atomic<int> runs{0};
  weave::StopFunc stop = weave::after_func(ctx, [&] { runs.fetch_add(1); });
  weave::Chan<Unit> later = weave::make_chan<Unit>(1);
  weave::StopFunc other = weave::after_func(ctx, [later] { later.send(Unit{}); });
  EXPECT_TRUE(stop());
  EXPECT_FALSE(stop());  // already stopped
  cancel();
  later.recv();  // after-funcs are started in cancel(); the one we did not stop has run
  for (int i = 0; i < 100; ++i) weave::yield();
  EXPECT_EQ(runs.load(), 0);
  EXPECT_FALSE(other());

  // On a context that can never be done, stop still stops it.
  weave::StopFunc never = weave::after_func(weave::background(), [&] { runs.fetch_add(1); });
  EXPECT_TRUE(never());
}

TEST(ContextTest, AfterFuncOnDeadline) {
  auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Milliseconds(2));
  weave::Chan<absl::Status> seen = weave::make_chan<absl::Status>(1);
  weave::StopFunc stop = weave::after_func(ctx, [seen, c = ctx] { seen.send(c.err()); });
  EXPECT_EQ(seen.recv(), std::optional<absl::Status>(weave::deadline_exceeded_error()));
  EXPECT_FALSE(stop());
  cancel();
}

// An after-func that captures its own context, with every other handle dropped, used to make the
// deadline's timer thread drop the last reference to the context inside that context's own fire:
// the node's destructor then waited on the timer thread for the fire to finish — forever — and
// every sleep and timer in the process stopped.
TEST(ContextTest, LastReferenceDroppedByDeadlineFireDoesNotHangTimers) {
  // Run on a detached thread so that a stuck timer thread fails the test instead of hanging it.
  auto finished = std::make_shared<std::promise<void>>();
  std::future<void> result = finished->get_future();
  std::thread([finished] {
    for (int iter = 0; iter < 40; ++iter) {
      weave::Chan<Unit> ran = weave::make_chan<Unit>(64);
      {
        auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Milliseconds(2));
        (void)weave::after_func(ctx, [ctx, ran] { ran.send(Unit{}); });  // a cycle through f
        // More after-funcs keep the timer thread busy in the fire while the first one finishes.
        for (int i = 0; i < 50; ++i) (void)weave::after_func(ctx, [] {});
      }
      ran.recv();
    }
    // Same with a child whose last holder lets go of it as soon as it is cancelled.
    for (int iter = 0; iter < 40; ++iter) {
      weave::Chan<Unit> released = weave::make_chan<Unit>(1);
      {
        auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Milliseconds(2));
        auto [child, cancel_child] = weave::with_cancel(ctx);
        for (int i = 0; i < 50; ++i) (void)weave::after_func(child, [] {});
        weave::go([child = child, cancel_child = cancel_child, released]() mutable {
          child.done().recv();
          child = Context();
          cancel_child = weave::CancelFunc();
          released.send(Unit{});
        });
      }
      released.recv();
    }
    weave::sleep(absl::Milliseconds(1));  // the timer thread still serves timers
    finished->set_value();
  }).detach();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the timer thread is stuck";
}

TEST(ContextTest, WithoutCancelKeepsValuesAndIsNeverDone) {
  auto [parent, cancel] =
      weave::with_timeout(weave::with_value(weave::background(), kUser, "ann"), absl::Hours(1));
  Context wc = weave::without_cancel(parent);
  cancel();
  EXPECT_EQ(parent.err(), weave::canceled_error());
  EXPECT_EQ(weave::select(weave::recv(wc.done()), weave::otherwise()), 1);
  EXPECT_TRUE(wc.err().ok());
  EXPECT_TRUE(weave::cause(wc).ok());
  EXPECT_FALSE(wc.deadline().has_value());
  ASSERT_NE(wc.value(kUser), nullptr);
  EXPECT_EQ(*wc.value(kUser), "ann");

  // Its children are cancelled only by their own cancel.
  auto [child, cancel_child] = weave::with_cancel(wc);
  EXPECT_TRUE(child.err().ok());
  ASSERT_NE(child.value(kUser), nullptr);
  cancel_child();
  EXPECT_EQ(child.err(), weave::canceled_error());
}

TEST(ContextTest, WithValueTypedKeysAndShadowing) {
  Context a = weave::with_value(weave::background(), kUser, "ann");
  Context b = weave::with_value(a, kRequest, std::string("req-1"));
  Context c = weave::with_value(b, kAttempt, 7);
  Context d = weave::with_value(c, kUser, "bob");  // shadows ann below d only

  ASSERT_NE(d.value(kUser), nullptr);
  EXPECT_EQ(*d.value(kUser), "bob");
  EXPECT_EQ(*c.value(kUser), "ann");
  EXPECT_EQ(*a.value(kUser), "ann");
  EXPECT_EQ(*d.value(kRequest), "req-1");  // same value type, its own key
  EXPECT_EQ(a.value(kRequest), nullptr);
  ASSERT_NE(d.value(kAttempt), nullptr);
  EXPECT_EQ(*d.value(kAttempt), 7);
  EXPECT_EQ(b.value(kAttempt), nullptr);

  // Values flow through cancellable children, and survive their cancellation.
  auto [e, cancel] = weave::with_cancel(d);
  cancel();
  ASSERT_NE(e.value(kUser), nullptr);
  EXPECT_EQ(*e.value(kUser), "bob");

  // A value node is done when its cancellable ancestor is.
  auto [p, cancel_p] = weave::with_cancel(weave::background());
  Context v = weave::with_value(p, kAttempt, 1);
  EXPECT_FALSE(closed_now(v.done()));
  cancel_p();
  EXPECT_TRUE(closed_now(v.done()));
  EXPECT_EQ(v.err(), weave::canceled_error());
}

class ContextBlockingTest : public ::testing::TestWithParam<bool> {};

// done() blocks a fiber or a plain thread until another fiber or thread cancels.
TEST_P(ContextBlockingTest, DoneWakesWaiter) {
  const bool waiter_is_fiber = GetParam();
  for (bool canceller_is_fiber : {false, true}) {
    auto [ctx, cancel] = weave::with_cancel(weave::background());
    auto [child, cancel_child] = weave::with_cancel(weave::with_value(ctx, kAttempt, 1));
    weave::Chan<Unit> waiting = weave::make_chan<Unit>();
    std::thread canceller;
    auto cancel_it = [&waiting, cancel = cancel] {
      waiting.recv();
      cancel();
    };
    if (canceller_is_fiber) {
      weave::go(cancel_it);
    } else {
      canceller = std::thread(cancel_it);
    }
    weave::testing_util::run_on(waiter_is_fiber, [&] {
      waiting.send(Unit{});
      EXPECT_FALSE(child.done().recv().has_value());
      EXPECT_EQ(child.err(), weave::canceled_error());
    });
    if (canceller.joinable()) canceller.join();
    cancel_child();
  }
}

// Many waiters, fibers and threads, all released by one cancel.
TEST_P(ContextBlockingTest, CancelWakesAllWaiters) {
  const bool fibers = GetParam();
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  constexpr int kWaiters = 8;
  weave::Chan<Unit> started = weave::make_chan<Unit>(kWaiters);
  weave::Chan<absl::Status> woke = weave::make_chan<absl::Status>(kWaiters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    auto body = [&started, &woke, c = ctx] {
      started.send(Unit{});
      c.done().recv();
      woke.send(c.err());
    };
    if (fibers) {
      weave::go(body);
    } else {
      threads.emplace_back(body);
    }
  }
  for (int i = 0; i < kWaiters; ++i) started.recv();
  cancel();
  for (int i = 0; i < kWaiters; ++i) EXPECT_EQ(woke.recv(), weave::canceled_error());
  for (auto& t : threads) t.join();
}

INSTANTIATE_TEST_SUITE_P(FiberOrThread, ContextBlockingTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Fiber" : "Thread"; });

}  // namespace
