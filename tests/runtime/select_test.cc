// select: uniform choice, default, blocking, closed channels, no half-completed cases.
#include <gtest/gtest.h>
#include <weave/weave.h>

#include <atomic>
#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace {

using weave::make_chan;
using weave::otherwise;
using weave::recv;
using weave::select;
using weave::send;

TEST(Select, ChoosesUniformlyAmongReadyCases) {
  constexpr int kCases = 4, kRounds = 40000;
  std::vector<weave::Chan<int>> chans;
  for (int i = 0; i < kCases; ++i) chans.push_back(make_chan<int>(1));
  int hits[kCases] = {};
  for (int r = 0; r < kRounds; ++r) {
    for (auto& c : chans) {
      if (c.len() == 0) c.send(1);
    }
    int i = select(recv(chans[0]), recv(chans[1]), recv(chans[2]), recv(chans[3]));
    ASSERT_GE(i, 0);
    ASSERT_LT(i, kCases);
    ++hits[i];
  }
  // Chi-squared with 3 degrees of freedom; 16.27 is the 0.1% critical value.
  const double expected = static_cast<double>(kRounds) / kCases;
  double chi2 = 0;
  for (int h : hits) chi2 += (h - expected) * (h - expected) / expected;
  EXPECT_LT(chi2, 16.27) << hits[0] << " " << hits[1] << " " << hits[2] << " " << hits[3];
}

TEST(Select, DefaultRunsWhenNothingIsReady) {
  auto a = make_chan<int>();
  auto b = make_chan<int>();
  int v = 0;
  EXPECT_EQ(select(recv(a, v), send(b, 1), otherwise()), 2);
  auto c = make_chan<int>(1);
  c.send(9);
  EXPECT_EQ(select(recv(a, v), recv(c, v), otherwise()), 1);
  EXPECT_EQ(v, 9);
}

TEST(Select, BlocksUntilACaseIsReady) {
  auto a = make_chan<int>();
  auto b = make_chan<std::string>();
  weave::go([=] { b.send("hello"); });
  std::string s;
  int v = 0;
  EXPECT_EQ(select(recv(a, v), recv(b, s)), 1);
  EXPECT_EQ(s, "hello");
}

TEST(Select, SendCaseDeliversToAReceiver) {
  auto out = make_chan<int>();
  auto got = make_chan<int>(1);
  weave::go([=] { got.send(*out.recv()); });
  auto never = make_chan<int>();
  int v;
  EXPECT_EQ(select(recv(never, v), send(out, 42)), 1);
  EXPECT_EQ(got.recv(), 42);
}

TEST(Select, ClosedChannelGivesZeroValueAndNotOk) {
  auto c = make_chan<int>();
  c.close();
  int v = 5;
  bool ok = true;
  EXPECT_EQ(select(recv(c, v, ok)), 0);
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(ok);
  std::optional<int> o = 3;
  EXPECT_EQ(select(recv(c, o)), 0);
  EXPECT_EQ(o, std::nullopt);
}

TEST(Select, CloseWakesABlockedSelect) {
  auto a = make_chan<int>();
  auto b = make_chan<int>();
  auto result = make_chan<int>(1);
  weave::go([=] {
    int v = 1;
    bool ok = true;
    int i = select(recv(a, v, ok), recv(b, v));
    result.send(i * 10 + (ok ? 1 : 0));
  });
  weave::testing_util::wait_until_parked(1, "select");
  a.close();
  EXPECT_EQ(result.recv(), 0);  // case 0, not ok
}

TEST(Select, SendOnClosedChannelPanics) {
  auto c = make_chan<int>(1);
  c.close();
  EXPECT_THROW(select(send(c, 1), otherwise()), weave::Panic);
}

TEST(Select, BlockedSendCasePanicsWhenClosed) {
  auto c = make_chan<int>();
  auto never = make_chan<int>();
  auto result = make_chan<std::string>(1);
  weave::go([=] {
    int v;
    try {
      select(send(c, 1), recv(never, v));
      result.send("no panic");
    } catch (const weave::Panic& p) {
      result.send(p.what());
    }
  });
  weave::testing_util::wait_until_parked(1, "select");
  c.close();
  EXPECT_EQ(result.recv(), "send on closed channel");
}

TEST(Select, MoveOnlyValueIsMovedOnlyIfTheCaseRuns) {
  auto full = make_chan<std::unique_ptr<int>>(1);
  full.send(std::make_unique<int>(1));
  auto p = std::make_unique<int>(2);
  EXPECT_EQ(select(send(full, std::move(p)), otherwise()), 1);
  ASSERT_TRUE(p);  // not sent, so not moved from
  EXPECT_EQ(*p, 2);
  full.recv();
  EXPECT_EQ(select(send(full, std::move(p)), otherwise()), 0);
  EXPECT_FALSE(p);
}

TEST(Select, LvalueSendCopies) {
  auto c = make_chan<std::string>(1);
  std::string s = "kept";
  EXPECT_EQ(select(send(c, s)), 0);
  EXPECT_EQ(s, "kept");
  EXPECT_EQ(c.recv(), "kept");
}

TEST(Select, ContextDoneCase) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  auto never = make_chan<int>();
  weave::go([cancel = cancel] { cancel(); });
  int v;
  EXPECT_EQ(select(recv(never, v), recv(ctx.done())), 1);
  EXPECT_TRUE(absl::IsCancelled(ctx.err()));
}

TEST(Select, SameChannelInTwoCases) {
  auto c = make_chan<int>(1);
  int a = 0, b = 0;
  c.send(4);
  int i = select(recv(c, a), recv(c, b));
  EXPECT_EQ(i == 0 ? a : b, 4);
  EXPECT_EQ(c.len(), 0u);
}

// Two selects compete for the values of one sender: each value is taken by exactly one case of
// one select, and nothing is lost (no half-completed case).
TEST(Select, EveryValueTakenExactlyOnce) {
  constexpr int kValues = 20000;
  auto src = make_chan<int>();
  auto other = make_chan<int>();
  auto quit = make_chan<weave::Unit>();
  std::vector<std::atomic<int>> seen(kValues);
  weave::WaitGroup wg;
  for (int r = 0; r < 4; ++r) {
    wg.go([&] {
      for (;;) {
        int v = -1;
        switch (select(recv(src, v), recv(other, v), recv(quit))) {
          case 0:
          case 1:
            seen[v].fetch_add(1);
            break;
          case 2:
            return;
        }
      }
    });
  }
  weave::WaitGroup senders;
  senders.go([&] {
    for (int i = 0; i < kValues; i += 2) src.send(i);
  });
  senders.go([&] {
    for (int i = 1; i < kValues; i += 2) other.send(i);
  });
  senders.wait();
  quit.close();
  wg.wait();
  for (int i = 0; i < kValues; ++i) ASSERT_EQ(seen[i].load(), 1) << "value " << i;
}

TEST(Select, FromAPlainThread) {
  auto a = make_chan<int>();
  auto result = make_chan<int>(1);
  std::thread t([&] {
    int v = 0;
    auto never = make_chan<int>();
    select(recv(never, v), recv(a, v));
    result.send(v);
  });
  weave::go([=] { a.send(11); });
  EXPECT_EQ(result.recv(), 11);
  t.join();
}

TEST(Select, ManyCasesAllocateBeyondInlineLimit) {
  std::vector<weave::Chan<int>> cs;
  for (int i = 0; i < 12; ++i) cs.push_back(make_chan<int>());
  weave::go([=] { cs[11].send(5); });
  int v = 0;
  int i = select(recv(cs[0], v), recv(cs[1], v), recv(cs[2], v), recv(cs[3], v), recv(cs[4], v),
                 recv(cs[5], v), recv(cs[6], v), recv(cs[7], v), recv(cs[8], v), recv(cs[9], v),
                 recv(cs[10], v), recv(cs[11], v));
  EXPECT_EQ(i, 11);
  EXPECT_EQ(v, 5);
}

}  // namespace
