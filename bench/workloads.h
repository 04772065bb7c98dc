// The weave side of the benchmark workloads. bench/go/bench_test.go holds the same workloads in
// Go, with the same constants and the same structure: one call below is one benchmark operation,
// it starts its own fibers and joins them; bench/run.sh divides the time per operation by the
// batch size to get the time per round trip / fiber / message / lock.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "weave/weave.h"

namespace weavebench {

inline constexpr int kPingPongRounds = 100'000;      // round trips per op
inline constexpr int kSpawnFibers = 1'000'000;       // fibers started and joined per op
inline constexpr int kBufferedMessages = 1'000'000;  // messages per op
inline constexpr int kBufferedCap = 128;
inline constexpr int kSelectMessages = 400'000;  // messages per op, over 4 channels
inline constexpr int kMutexFibers = 1'000;       // fibers contending for one mutex
inline constexpr int kMutexLocks = 1'000;        // lock/increment/unlock per fiber
inline constexpr std::int64_t kSkynetSize = 1'000'000;
inline constexpr std::int64_t kSkynetDiv = 10;
inline constexpr int kFanInMessages = 400'000;  // messages per op, from 4 producers

// Keeps sums observable so the loops that compute them are not optimised away.
inline volatile std::int64_t sink;

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "weave bench: %s\n", what);
  std::abort();
}

// 1. Two fibers, one int each way over unbuffered channels.
inline void ping_pong(int rounds) {
  weave::Chan<int> ping = weave::make_chan<int>();
  weave::Chan<int> pong = weave::make_chan<int>();
  weave::WaitGroup wg;
  wg.add(2);
  weave::go([&] {
    for (int i = 0; i < rounds; ++i) {
      ping.send(i);
      pong.recv();
    }
    wg.done();
  });
  weave::go([&] {
    for (int i = 0; i < rounds; ++i) {
      std::optional<int> v = ping.recv();
      pong.send(*v);
    }
    wg.done();
  });
  wg.wait();
}

// 2. A driver fiber starts n fibers that only call wg.done(), then waits for them.
inline void spawn_join(int n) {
  weave::Chan<weave::Unit> done = weave::make_chan<weave::Unit>();
  weave::go([&] {
    weave::WaitGroup wg;
    wg.add(n);
    for (int i = 0; i < n; ++i) {
      weave::go([&wg] { wg.done(); });
    }
    wg.wait();
    done.close();
  });
  done.recv();
}

// 3. One producer, one consumer, a channel of capacity 128.
inline void buffered(int n) {
  weave::Chan<int> ch = weave::make_chan<int>(kBufferedCap);
  weave::WaitGroup wg;
  wg.add(2);
  weave::go([&] {
    for (int i = 0; i < n; ++i) ch.send(i);
    wg.done();
  });
  weave::go([&] {
    std::int64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += *ch.recv();
    sink = sum;
    wg.done();
  });
  wg.wait();
}

// 4. Four producers, each on its own unbuffered channel; one consumer selects over the four.
inline void select4(int n) {
  weave::Chan<int> chans[4] = {weave::make_chan<int>(), weave::make_chan<int>(),
                               weave::make_chan<int>(), weave::make_chan<int>()};
  weave::WaitGroup wg;
  wg.add(5);
  for (int k = 0; k < 4; ++k) {
    const int count = n / 4 + (k < n % 4 ? 1 : 0);
    weave::go([&wg, ch = chans[k], count] {
      for (int i = 0; i < count; ++i) ch.send(i);
      wg.done();
    });
  }
  weave::go([&] {
    std::int64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      int v = 0;
      weave::select(weave::recv(chans[0], v), weave::recv(chans[1], v), weave::recv(chans[2], v),
                    weave::recv(chans[3], v));
      sum += v;
    }
    sink = sum;
    wg.done();
  });
  wg.wait();
}

// 5. `fibers` fibers, each locking one mutex `locks` times to increment a counter.
inline void mutex_contended(int fibers, int locks) {
  weave::Mutex mu;
  std::int64_t counter = 0;
  weave::WaitGroup wg;
  wg.add(fibers);
  for (int f = 0; f < fibers; ++f) {
    weave::go([&] {
      for (int i = 0; i < locks; ++i) {
        mu.lock();
        ++counter;
        mu.unlock();
      }
      wg.done();
    });
  }
  wg.wait();
  if (counter != std::int64_t{fibers} * locks) fail("mutex: lost increments");
}

// 6. Skynet: each level starts 10 children; leaves send their number, parents send the sum.
inline void skynet(weave::SendChan<std::int64_t> c, std::int64_t num, std::int64_t size,
                   std::int64_t div) {
  if (size == 1) {
    c.send(num);
    return;
  }
  weave::Chan<std::int64_t> rc = weave::make_chan<std::int64_t>();
  const std::int64_t sub = size / div;
  for (std::int64_t i = 0; i < div; ++i) {
    weave::go([rc, num = num + i * sub, sub, div] { skynet(rc, num, sub, div); });
  }
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < div; ++i) sum += *rc.recv();
  c.send(sum);
}

inline void skynet_root() {
  weave::Chan<std::int64_t> c = weave::make_chan<std::int64_t>();
  weave::go([c] { skynet(c, 0, kSkynetSize, kSkynetDiv); });
  if (*c.recv() != kSkynetSize * (kSkynetSize - 1) / 2) fail("skynet: wrong sum");
}

// 7. Fan-in: 4 producers send on one unbuffered channel; one consumer receives all n. The
// consumer is a fiber, or (plain_consumer) the calling plain thread itself, as in a line-by-line
// port of a Go main that receives the results.
inline void fan_in(int n, bool plain_consumer) {
  weave::Chan<int> ch = weave::make_chan<int>();
  weave::WaitGroup wg;
  std::int64_t want = 0;
  for (int k = 0; k < 4; ++k) {
    const int count = n / 4 + (k < n % 4 ? 1 : 0);
    want += std::int64_t{count} * (count - 1) / 2;
    wg.go([ch, count] {
      for (int i = 0; i < count; ++i) ch.send(i);
    });
  }
  std::int64_t sum = 0;
  auto consume = [ch, n, &sum] {
    for (int i = 0; i < n; ++i) sum += *ch.recv();
  };
  if (plain_consumer) {
    consume();
  } else {
    wg.go(consume);
  }
  wg.wait();
  if (sum != want) fail("fan-in: wrong sum");
  sink = sum;
}

}  // namespace weavebench
