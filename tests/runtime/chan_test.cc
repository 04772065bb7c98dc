// Channel semantics, each rule as Go's spec states it.
#include <gtest/gtest.h>
#include <weave/weave.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace {

using weave::Chan;
using weave::make_chan;

// Runs f on a fiber and waits for it: most rules must hold from fibers and from threads alike.
template <class F>
void on_fiber(F f) {
  auto done = make_chan<weave::Unit>();
  weave::go([&] {
    f();
    done.close();
  });
  done.recv();
}

TEST(Chan, UnbufferedSendCompletesOnlyWhenReceived) {
  auto ch = make_chan<int>();
  std::atomic<bool> sent{false};
  auto started = make_chan<weave::Unit>();
  weave::WaitGroup wg;  // the fiber uses this frame: join it before the frame ends
  wg.go([&] {
    started.close();
    ch.send(7);
    sent = true;
  });
  started.recv();
  weave::testing_util::wait_until_parked(1, "chan send");
  EXPECT_FALSE(sent.load());
  EXPECT_EQ(ch.recv(), 7);
  wg.wait();
  EXPECT_TRUE(sent.load());
}

TEST(Chan, BufferedIsFifoAndReportsLenCap) {
  auto ch = make_chan<int>(3);
  EXPECT_EQ(ch.cap(), 3u);
  ch.send(1);
  ch.send(2);
  ch.send(3);
  EXPECT_EQ(ch.len(), 3u);
  EXPECT_EQ(ch.recv(), 1);
  ch.send(4);
  EXPECT_EQ(ch.recv(), 2);
  EXPECT_EQ(ch.recv(), 3);
  EXPECT_EQ(ch.recv(), 4);
  EXPECT_EQ(ch.len(), 0u);
}

TEST(Chan, BufferedBlocksWhenFullUntilReceive) {
  auto ch = make_chan<int>(1);
  ch.send(1);
  auto sent = make_chan<weave::Unit>(1);
  weave::WaitGroup wg;
  wg.go([&] {
    ch.send(2);  // blocks: full
    sent.send({});
  });
  weave::testing_util::wait_until_parked(1, "chan send");
  EXPECT_EQ(sent.len(), 0u);
  EXPECT_EQ(ch.recv(), 1);
  sent.recv();
  EXPECT_EQ(ch.recv(), 2);
  wg.wait();
}

TEST(Chan, CloseLetsReceiversDrainThenEnd) {
  auto ch = make_chan<int>(2);
  ch.send(1);
  ch.send(2);
  ch.close();
  EXPECT_EQ(ch.recv(), 1);
  EXPECT_EQ(ch.recv(), 2);
  EXPECT_EQ(ch.recv(), std::nullopt);
  EXPECT_EQ(ch.recv(), std::nullopt);
}

TEST(Chan, CloseWakesEveryBlockedReceiver) {
  auto ch = make_chan<int>();
  weave::WaitGroup wg;
  std::atomic<int> ended{0};
  for (int i = 0; i < 50; ++i) {
    wg.go([&] {
      if (!ch.recv()) ++ended;
    });
  }
  weave::testing_util::wait_until_parked(50, "chan receive");
  ch.close();
  wg.wait();
  EXPECT_EQ(ended.load(), 50);
}

TEST(Chan, CloseMakesBlockedSenderPanic) {
  auto ch = make_chan<int>();
  auto result = make_chan<std::string>(1);
  auto parked = make_chan<weave::Unit>();
  weave::WaitGroup wg;
  wg.go([&] {
    parked.close();
    try {
      ch.send(1);
      result.send("sent");
    } catch (const weave::Panic& p) {
      result.send(p.what());
    }
  });
  parked.recv();
  weave::testing_util::wait_until_parked(1, "chan send");
  ch.close();
  EXPECT_EQ(result.recv(), "send on closed channel");
  wg.wait();
}

TEST(Chan, MisuseThrowsPanic) {
  auto ch = make_chan<int>(1);
  ch.close();
  EXPECT_THROW(ch.send(1), weave::Panic);
  EXPECT_THROW(ch.close(), weave::Panic);
  Chan<int> nil;
  EXPECT_THROW(nil.close(), weave::Panic);
  try {
    ch.close();
  } catch (const weave::Panic& p) {
    EXPECT_STREQ(p.what(), "close of closed channel");
  }
}

TEST(Chan, NilChannelBlocksForeverAndIsNeverReadyInSelect) {
  static Chan<int> nil;  // static: the fiber below blocks on it for the rest of the process
  EXPECT_FALSE(nil);
  EXPECT_EQ(nil.len(), 0u);
  EXPECT_EQ(nil.cap(), 0u);
  int v = 0;
  EXPECT_EQ(weave::select(weave::recv(nil, v), weave::send(nil, 1), weave::otherwise()), 2);
  // A fiber blocked on a nil channel stays blocked; the dump says so.
  auto ready = make_chan<weave::Unit>();
  weave::go([&] {
    ready.close();
    nil.recv();
  });
  ready.recv();
  weave::testing_util::wait_until_parked(1, "chan receive (nil chan)");
}

TEST(Chan, MoveOnlyElements) {
  auto ch = make_chan<std::unique_ptr<int>>(1);
  ch.send(std::make_unique<int>(5));
  auto unbuffered = make_chan<std::unique_ptr<int>>();
  weave::WaitGroup wg;
  wg.go([&] { unbuffered.send(std::make_unique<int>(6)); });
  std::optional<std::unique_ptr<int>> a = ch.recv();
  std::optional<std::unique_ptr<int>> b = unbuffered.recv();
  ASSERT_TRUE(a && *a);
  ASSERT_TRUE(b && *b);
  EXPECT_EQ(**a, 5);
  EXPECT_EQ(**b, 6);
  wg.wait();
}

TEST(Chan, BufferedElementsAreDestroyedWithTheChannel) {
  auto counter = std::make_shared<int>(0);
  {
    auto ch = make_chan<std::shared_ptr<int>>(4);
    ch.send(counter);
    ch.send(counter);
    EXPECT_EQ(counter.use_count(), 3);
  }
  EXPECT_EQ(counter.use_count(), 1);
}

TEST(Chan, RangeReceivesUntilClosed) {
  auto ch = make_chan<int>();
  weave::go([=] {
    for (int i = 0; i < 100; ++i) ch.send(i);
    ch.close();
  });
  int sum = 0, n = 0;
  for (int v : ch) {
    sum += v;
    ++n;
  }
  EXPECT_EQ(n, 100);
  EXPECT_EQ(sum, 4950);
}

TEST(Chan, DirectionalViewsShareTheChannel) {
  auto ch = make_chan<int>(1);
  weave::SendChan<int> out = ch;
  weave::RecvChan<int> in = ch;
  out.send(3);
  EXPECT_EQ(in.recv(), 3);
  out.close();
  EXPECT_EQ(in.recv(), std::nullopt);
  EXPECT_TRUE(out == ch);
}

TEST(Chan, WorksBetweenPlainThreadsAndFibers) {
  auto to_thread = make_chan<int>();
  auto to_fiber = make_chan<int>();
  std::thread t([&] {
    for (int i = 0; i < 1000; ++i) to_fiber.send(*to_thread.recv() + 1);
  });
  on_fiber([&] {
    int x = 0;
    for (int i = 0; i < 1000; ++i) {
      to_thread.send(x);
      x = *to_fiber.recv();
    }
    EXPECT_EQ(x, 1000);
  });
  t.join();
}

TEST(Chan, UnbufferedBetweenTwoPlainThreads) {
  auto ch = make_chan<int>();
  std::thread t([&] {
    for (int i = 0; i < 1000; ++i) ch.send(i);
    ch.close();
  });
  long sum = 0;
  for (int v : ch) sum += v;
  t.join();
  EXPECT_EQ(sum, 999 * 1000 / 2);
}

}  // namespace
