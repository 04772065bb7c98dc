// Google Benchmark executable for the weave side of the workloads (see workloads.h). One
// iteration is one batch; the counter "batch" says how many round trips / fibers / messages /
// locks it holds, so that bench/run.sh can report the time per item. Real time is measured:
// the benchmark thread only waits while the fibers work on the worker threads.
#include <benchmark/benchmark.h>

#include "workloads.h"

namespace {

using namespace weavebench;

void set_batch(benchmark::State& state, double batch) { state.counters["batch"] = batch; }

void BM_PingPong(benchmark::State& state) {
  for (auto _ : state) ping_pong(kPingPongRounds);
  set_batch(state, kPingPongRounds);
}

void BM_SpawnJoin(benchmark::State& state) {
  for (auto _ : state) spawn_join(kSpawnFibers);
  set_batch(state, kSpawnFibers);
}

void BM_Buffered(benchmark::State& state) {
  for (auto _ : state) buffered(kBufferedMessages);
  set_batch(state, kBufferedMessages);
}

void BM_Select4(benchmark::State& state) {
  for (auto _ : state) select4(kSelectMessages);
  set_batch(state, kSelectMessages);
}

void BM_Mutex(benchmark::State& state) {
  for (auto _ : state) mutex_contended(kMutexFibers, kMutexLocks);
  set_batch(state, double{kMutexFibers} * kMutexLocks);
}

void BM_Skynet(benchmark::State& state) {
  for (auto _ : state) skynet_root();
  set_batch(state, 1);
}

// The consumer of BM_FanInThread is the benchmark's own plain thread.
void BM_FanIn(benchmark::State& state) {
  for (auto _ : state) fan_in(kFanInMessages, false);
  set_batch(state, kFanInMessages);
}

void BM_FanInThread(benchmark::State& state) {
  for (auto _ : state) fan_in(kFanInMessages, true);
  set_batch(state, kFanInMessages);
}

BENCHMARK(BM_PingPong)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpawnJoin)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Buffered)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Select4)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mutex)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Skynet)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FanIn)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FanInThread)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
