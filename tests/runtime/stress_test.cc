// Stress: many producers and consumers over buffered, unbuffered and selected channels, with
// cancels and timeouts, and plain threads answering fibers. Every value must be received exactly
// once and nothing may hang. The quick variants run with the suite; the *Long ones behind the
// "long" label.
#include <gtest/gtest.h>
#include <weave/weave.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_util.h"

namespace {

using weave::make_chan;

struct Tally {
  explicit Tally(int n) : seen(n) {}
  void take(int v) { seen[v].fetch_add(1, std::memory_order_relaxed); }
  void expect_each_once() {
    for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << "value " << i;
  }
  std::vector<std::atomic<int>> seen;
};

void producers_consumers(int producers, int consumers, int per_producer, size_t cap) {
  const int total = producers * per_producer;
  Tally tally(total);
  auto ch = make_chan<int>(cap);
  weave::WaitGroup prod, cons;
  for (int p = 0; p < producers; ++p) {
    prod.go([=] {
      for (int i = 0; i < per_producer; ++i) ch.send(p * per_producer + i);
    });
  }
  for (int c = 0; c < consumers; ++c) {
    cons.go([&] {
      for (int v : ch) tally.take(v);
    });
  }
  prod.wait();
  ch.close();
  cons.wait();
  tally.expect_each_once();
}

// Producers send through select (to one of two channels, or give up when the context ends and
// record the value as unsent); consumers select over both channels and a timeout.
void selected_with_cancel(int producers, int per_producer) {
  const int total = producers * per_producer;
  Tally tally(total);
  std::vector<std::atomic<int>> unsent(total);
  auto a = make_chan<int>();
  auto b = make_chan<int>(8);
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  weave::WaitGroup prod, cons;
  for (int p = 0; p < producers; ++p) {
    prod.go([&, p, ctx = ctx] {
      for (int i = 0; i < per_producer; ++i) {
        int v = p * per_producer + i;
        if (weave::select(weave::send(a, v), weave::send(b, v), weave::recv(ctx.done())) == 2) {
          unsent[v].fetch_add(1);
        }
      }
    });
  }
  std::atomic<int> received{0};
  for (int c = 0; c < 4; ++c) {
    cons.go([&] {
      // As in Go, a closed channel is set to nil so that select stops choosing it; the consumer
      // ends when both are closed and drained.
      weave::Chan<int> ca = a, cb = b;
      while (ca || cb) {
        int v = -1;
        bool ok = true;
        switch (weave::select(weave::recv(ca, v, ok), weave::recv(cb, v, ok),
                              weave::recv(weave::after(absl::Milliseconds(50))))) {
          case 0:
            if (!ok) {
              ca = {};
              continue;
            }
            break;
          case 1:
            if (!ok) {
              cb = {};
              continue;
            }
            break;
          case 2:
            continue;  // a timeout: look again
        }
        tally.take(v);
        // Cancel half-way: the rest of the producers give up through ctx.done().
        if (received.fetch_add(1) == total / 2) cancel();
      }
    });
  }
  prod.wait();
  a.close();
  b.close();
  cons.wait();
  cancel();
  for (int i = 0; i < total; ++i) {
    ASSERT_EQ(tally.seen[i].load() + unsent[i].load(), 1) << "value " << i;
  }
}

// Plain threads each answer a fiber of their own while the main thread waits in weave. Each
// answer wakes the fiber into the thread's guest (scheduler.cc), where the thread runs it once it
// blocks again, unless a worker woken for it takes it first: a fiber lost or run twice between the
// two hangs or miscounts.
void threads_answer_fibers(int threads, int rounds) {
  std::atomic<long> total{0};
  std::vector<std::thread> ts;
  weave::WaitGroup wg;
  for (int t = 0; t < threads; ++t) {
    auto ask = make_chan<int>();
    auto answer = make_chan<int>();
    ts.emplace_back([=] {
      for (int v : ask) answer.send(v + 1);
    });
    wg.go([&, ask, answer] {
      int x = 0;
      for (int i = 0; i < rounds; ++i) {
        ask.send(x);
        x = *answer.recv();
      }
      ask.close();
      total.fetch_add(x);
    });
  }
  wg.wait();
  for (auto& t : ts) t.join();
  EXPECT_EQ(total.load(), static_cast<long>(threads) * rounds);
}

TEST(Stress, UnbufferedManyToMany) { producers_consumers(16, 16, 2000, 0); }
TEST(Stress, BufferedManyToMany) { producers_consumers(16, 16, 2000, 64); }
TEST(Stress, BufferedOneToMany) { producers_consumers(1, 16, 20000, 128); }
TEST(Stress, SelectedWithCancel) { selected_with_cancel(32, 500); }
TEST(Stress, PlainThreadsAnswerFibers) { threads_answer_fibers(4, 2000); }

TEST(Stress, UnbufferedManyToManyLong) { producers_consumers(256, 256, 20000, 0); }
TEST(Stress, BufferedManyToManyLong) { producers_consumers(256, 64, 20000, 32); }
TEST(Stress, PlainThreadsAnswerFibersLong) { threads_answer_fibers(16, 1000000); }
TEST(Stress, SelectedWithCancelLong) {
  for (int round = 0; round < 20; ++round) selected_with_cancel(256, 2000);
}

// An overflow is reported with a million fibers parked as with ten (about 4 GB and a minute here).
TEST(Stress, StackOverflowWithAMillionParkedFibersLong) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(weave::testing_util::park_then_overflow(1'000'000), ::testing::ExitedWithCode(2),
              "fatal error: stack overflow in fiber [0-9]+");
}

}  // namespace
