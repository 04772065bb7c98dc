// Programs for dump_test.cc, which runs each (`weave_exit_dump_child <name>`) against the debug
// runtime and reads what it prints and writes.
#include <weave/debug.h>
#include <weave/weave.h>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/time.h"

#if defined(__SANITIZE_ADDRESS__)
// These programs exit with fibers blocked on purpose, and what only a blocked fiber's stack holds
// is unreachable for LeakSanitizer, which reads no fiber stack: not the leaks these tests are
// about.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

namespace {

// Waits (yielding) until `n` fibers are blocked, so that the dump finds them parked.
void wait_blocked(int n) {
  for (;;) {
    std::string dump;
    {
      std::ostringstream out;
      weave::dump_fibers(out);
      dump = out.str();
    }
    int blocked = 0;
    for (auto p = dump.find("blocked at"); p != std::string::npos;
         p = dump.find("blocked at", p + 1)) {
      ++blocked;
    }
    if (blocked >= n) return;
    weave::yield();
  }
}

int main_holds_a_mutex() {
  static weave::Mutex mu;
  mu.lock();
  weave::go([] {
    mu.lock();
    mu.unlock();
  });
  wait_blocked(1);
  return 0;  // main still holds mu: the exit dump names it (the fiber's parent) as the holder
}

// A fiber blocked in a send, the line of the send printed first (`send at line N`): the dump's
// stack must name it.
void leak_a_sender() {
  auto ch = weave::make_chan<int>();
  weave::go([ch] {
    std::printf("send at line %d\n", __LINE__ + 1);
    ch.send(1);
  });
  wait_blocked(1);
}

int leaks_a_sender() {
  leak_a_sender();
  return 0;
}

// A Semaphore's acquire waits in a select inside the runtime; the dump names what the user called.
int semaphore_waiter() {
  static weave::Semaphore sem(1);
  if (!sem.try_acquire()) return 3;
  weave::go([] { (void)sem.acquire(weave::background()); });
  wait_blocked(1);
  return 0;
}

// `leaks-many N`: N fibers leaked by one bug (each blocked in the same send); prints how long the
// unreachable analysis of all fibers and the grouped dump of them take, then exits with them
// blocked (the exit dump follows).
int leaks_many(int n) {
  auto ch = weave::make_chan<int>();
  for (int i = 0; i < n; ++i) weave::go([ch] { ch.send(1); });
  std::vector<weave::debug::FiberInfo> all;
  for (;;) {
    all = weave::debug::fibers();
    std::size_t blocked = 0;
    for (const auto& f : all) blocked += f.blocked;
    if (blocked >= static_cast<std::size_t>(n)) break;
    weave::yield();
  }
  std::vector<std::uint64_t> ids;
  for (const auto& f : all) ids.push_back(f.id);
  const absl::Time t0 = absl::Now();
  const std::size_t unreachable = weave::debug::find_leaks().size();
  const absl::Time t1 = absl::Now();
  std::ostringstream out;
  weave::debug::print_blocked(out, ids);
  const absl::Time t2 = absl::Now();
  std::printf("%d fibers: find_leaks %.3f s (%zu unreachable), grouped dump %.3f s (%zu bytes)\n",
              n, absl::ToDoubleSeconds(t1 - t0), unreachable, absl::ToDoubleSeconds(t2 - t1),
              out.str().size());
  return 0;
}

// Nothing left behind.
int clean() {
  auto done = weave::make_chan<int>();
  weave::go([done] { done.send(1); });
  done.recv();
  return 0;
}

// SIGQUIT while a fiber is blocked and main is outside weave (so no deadlock can be declared).
int quit_by_signal() {
  leak_a_sender();
  std::fflush(stdout);
  raise(SIGQUIT);
  for (;;) pause();
}

// An exception escaping main while a fiber is blocked.
int throws_from_main() {
  leak_a_sender();
  throw std::runtime_error("escaped main");
}

// A send on a closed channel, two calls deep in a fiber: the panic's stack names each frame with
// its source line.
[[gnu::noinline]] void send_on_closed(weave::Chan<int> c) {
  c.close();
  c.send(1);  // the panic
}
int panics_in_a_fiber() {
  auto c = weave::make_chan<int>(1);
  weave::WaitGroup wg;
  wg.add(1);
  weave::go([&] {
    send_on_closed(c);
    wg.done();
  });
  wg.wait();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what == "main-holds-mutex") return main_holds_a_mutex();
  if (what == "clean") return clean();
  if (what == "leaks-many" && argc > 2) return leaks_many(std::atoi(argv[2]));
  if (what == "leaks-a-sender") return leaks_a_sender();
  if (what == "semaphore-waiter") return semaphore_waiter();
  if (what == "sigquit") return quit_by_signal();
  if (what == "panics-in-a-fiber") return panics_in_a_fiber();
  if (what == "throws-from-main") return throws_from_main();
  std::fprintf(stderr, "dump_child: unknown program '%s'\n", what.c_str());
  return 64;
}
