// The race detector's benchmark programs: bench/race.sh builds this file three ways (against
// weave, against weave_debug with the plugin, and with ThreadSanitizer) and runs them side by
// side.
//
//   weave_race_bench WORKLOAD   runs it once; prints "WORKLOAD <ms>" (the workload alone, not
//                               the process's start and exit)
//
// Workloads: the channel-heavy ones of ../workloads.h at a tenth of their batch sizes (pingpong,
// spawn, buffered, select4, mutex), batches: fibers spawned and joined a thousand at a time, and
// memory: fibers working on private arrays and reading a shared one, with a std::unordered_map
// under a Mutex that they all update.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "workloads.h"

namespace {

using namespace weavebench;

constexpr int kFibers = 8;
constexpr std::size_t kPrivate = std::size_t{1} << 19;  // int64s per fiber: 4 MiB
constexpr std::size_t kShared = std::size_t{1} << 21;   // 16 MiB read by every fiber
constexpr int kPasses = 4;
constexpr int kMapUpdates = 2000;  // per pass and fiber, each under the mutex

void memory() {
  std::vector<std::int64_t> shared(kShared);
  for (std::size_t i = 0; i < kShared; ++i) shared[i] = static_cast<std::int64_t>(i);
  std::unordered_map<std::int64_t, std::int64_t> counts;
  weave::Mutex mu;
  std::vector<std::int64_t> sums(kFibers);
  weave::WaitGroup wg;
  for (int f = 0; f < kFibers; ++f) {
    wg.add(1);
    weave::go([&, f] {
      std::vector<std::int64_t> mine(kPrivate);
      std::int64_t sum = 0;
      for (int p = 0; p < kPasses; ++p) {
        for (std::size_t i = 0; i < kPrivate; ++i) {
          mine[i] += shared[(i * 7 + static_cast<std::size_t>(f)) % kShared];
          sum += mine[i];
        }
        for (int k = 0; k < kMapUpdates; ++k) {
          std::lock_guard<weave::Mutex> hold(mu);
          counts[(k * kFibers + f) % 4096] += sum & 0xff;
        }
      }
      sums[f] = sum;
      wg.done();
    });
  }
  wg.wait();
  std::int64_t total = 0;
  for (std::int64_t s : sums) total += s;
  sink = total + static_cast<std::int64_t>(counts.size());
}

// Fibers spawned in batches, each joined before the next starts, as a server spawns a request's
// fibers and waits for them: the spawner comes to know every slot of a batch, and the next batch
// must be able to take them over.
constexpr int kBatches = 100;
constexpr int kBatchFibers = 1000;

void batches() {
  std::int64_t total = 0;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<std::int64_t> out(kBatchFibers);
    weave::WaitGroup wg;
    wg.add(kBatchFibers);
    for (int i = 0; i < kBatchFibers; ++i) {
      weave::go([&out, &wg, i] {
        out[i] = i;
        wg.done();
      });
    }
    wg.wait();
    for (std::int64_t v : out) total += v;
  }
  sink = total;
}

struct Workload {
  const char* name;
  void (*run)();
};

const Workload kWorkloads[] = {
    {"pingpong", [] { ping_pong(kPingPongRounds / 10); }},
    {"spawn", [] { spawn_join(kSpawnFibers / 10); }},
    {"buffered", [] { buffered(kBufferedMessages / 10); }},
    {"select4", [] { select4(kSelectMessages / 10); }},
    {"mutex", [] { mutex_contended(kMutexFibers / 10, kMutexLocks); }},
    {"batches", batches},
    {"memory", memory},
};

}  // namespace

int main(int argc, char** argv) {
  for (const Workload& w : kWorkloads) {
    if (argc == 2 && std::strcmp(argv[1], w.name) == 0) {
      const auto start = std::chrono::steady_clock::now();
      w.run();
      const std::chrono::duration<double, std::milli> took =
          std::chrono::steady_clock::now() - start;
      std::printf("%s %.2f\n", w.name, took.count());
      return 0;
    }
  }
  std::fprintf(stderr,
               "usage: weave_race_bench pingpong|spawn|buffered|select4|mutex|batches|memory\n");
  return 64;
}
