// weave_rss N: the resident memory of N parked fibers. Starts N fibers that each block receiving
// on one shared channel, reads VmRSS from /proc/self/status before and after, prints
// (after - before) / N in bytes on stdout (details on stderr), then closes the channel so that
// every fiber finishes, and exits. bench/go/rss/main.go does the same in Go.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "weave/weave.h"

namespace {

long vm_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) {
    std::perror("/proc/self/status");
    std::exit(1);
  }
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) {
      kb = std::strtol(line + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  if (kb < 0) {
    std::fprintf(stderr, "weave_rss: no VmRSS in /proc/self/status\n");
    std::exit(1);
  }
  return kb * 1024;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc == 2 ? std::strtol(argv[1], nullptr, 10) : 0;
  if (n <= 0) {
    std::fprintf(stderr, "usage: weave_rss N\n");
    return 2;
  }
  weave::Chan<weave::Unit> gate = weave::make_chan<weave::Unit>();
  weave::WaitGroup started;
  weave::WaitGroup finished;

  // Start the scheduler first: its threads are not part of what the fibers cost.
  {
    weave::WaitGroup warm;
    warm.add(1);
    weave::go([&] { warm.done(); });
    warm.wait();
  }

  const long before = vm_rss_bytes();
  started.add(static_cast<int>(n));
  finished.add(static_cast<int>(n));
  for (long i = 0; i < n; ++i) {
    weave::go([&] {
      started.done();
      gate.recv();
      finished.done();
    });
  }
  started.wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last few reach recv()
  const long after = vm_rss_bytes();

  gate.close();
  finished.wait();
  std::fprintf(stderr, "weave: %ld fibers parked: VmRSS %ld kB -> %ld kB\n", n, before / 1024,
               after / 1024);
  std::printf("%.1f\n", static_cast<double>(after - before) / static_cast<double>(n));
  return 0;
}
