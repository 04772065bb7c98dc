// The programs exit_test.cc runs, many times each: a program whose main returns (or that calls
// exit) while its fibers still run must exit cleanly, with the status it asked for, every time.
// argv[1] names the program.
//
// Besides crashes, a canary catches a fiber that runs once static destruction has begun: the
// canary is the static destroyed first, and its destructor gives the fibers, which test it in
// their loops, a few milliseconds to show that they still run.
#include <unistd.h>
#include <weave/weave.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> g_destroying{false};

void check_canary() {
  if (g_destroying.load(std::memory_order_relaxed)) {
    static const char msg[] = "exit_child: a fiber ran during static destruction\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(99);
  }
}

struct Canary {
  ~Canary() {
    g_destroying = true;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
    while (std::chrono::steady_clock::now() < end) {
    }
  }
};

// Made once the fibers run, so that it is destroyed before any static made earlier.
void make_canary() { static Canary c; }

// Says whether static destructors ran: they do when every fiber stopped at a safe point (blocked),
// and do not when one had to be stopped in the middle of its code (the process then ends as Go's).
struct Bye {
  ~Bye() {
    static const char msg[] = "static destructors ran\n";
    (void)!write(2, msg, sizeof msg - 1);
  }
};
void make_bye() { static Bye b; }

// The program: fibers sending and receiving on a global channel when main returns. The
// channel's destructor frees it under them unless they are stopped first.
weave::Chan<int> g_chan = weave::make_chan<int>(4);

void chan_traffic() {
  for (int i = 0; i < 4; ++i) {
    weave::go([] {
      for (;;) {
        g_chan.send(1);
        check_canary();
      }
    });
    weave::go([] {
      for (;;) {
        g_chan.recv();
        check_canary();
      }
    });
  }
}

// Fibers that never block, allocating, writing to stdio and filling a global container: they
// can only be stopped by a signal, which must not freeze one inside malloc (the container's
// destructor frees into the same arenas) or stdio.
std::map<int, std::string> g_map;
std::mutex g_map_mu;
std::FILE* g_null = std::fopen("/dev/null", "w");

void busy_allocating() {
  for (int k = 0; k < 4; ++k) {
    weave::go([k] {
      for (int i = 0;; ++i) {
        std::vector<std::string> v(16, std::string(64 + i % 512, 'x'));
        std::fprintf(g_null, "%d %s\n", i, v[i % 16].c_str());
        std::lock_guard<std::mutex> hold(g_map_mu);
        g_map[(i * 4 + k) % 1000] = v[0];
        check_canary();
      }
    });
  }
}

// A function-local static first used by fibers, so constructed after the scheduler started: its
// destructor is registered after any handler the scheduler could have registered, and runs
// before it. The world must be stopped before that.
std::map<int, std::vector<int>>& late_static() {
  static std::map<int, std::vector<int>> m;
  return m;
}
weave::Mutex g_late_mu;

void late_static_traffic() {
  for (int k = 0; k < 4; ++k) {
    weave::go([k] {
      for (int i = 0;; ++i) {
        std::lock_guard<weave::Mutex> hold(g_late_mu);
        auto& v = late_static()[(i * 4 + k) % 100];
        v.assign(1 + i % 64, i);
        check_canary();
      }
    });
  }
}

// Plain threads consuming what fibers send: while they wait they run the fibers they woke,
// which exit must not leave running under the static destructors. The threads are the program's
// and run on during exit (a receive may still take what the buffer holds), so their channel is
// never destroyed.
weave::Chan<int>& g_thread_chan = *new weave::Chan<int>(weave::make_chan<int>(4));

void thread_consumers() {
  for (int k = 0; k < 4; ++k) {
    weave::go([] {
      for (;;) {
        g_thread_chan.send(1);
        check_canary();
      }
    });
  }
  for (int k = 0; k < 2; ++k) {
    std::thread([] {
      for (;;) g_thread_chan.recv();
    }).detach();
  }
}

std::atomic<long> g_spins{0};
std::string g_text(1000, 'y');

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what == "chan") {  // main returns
    chan_traffic();
    make_canary();
    weave::sleep(absl::Milliseconds(20));
    return 0;
  }
  if (what == "thread-consumers") {
    thread_consumers();
    make_canary();
    weave::sleep(absl::Milliseconds(20));
    return 0;
  }
  if (what == "alloc") {
    busy_allocating();
    make_canary();
    weave::sleep(absl::Milliseconds(20));
    return 0;
  }
  if (what == "late-static") {
    late_static_traffic();
    late_static();  // made before the canary, if no fiber has made it yet
    make_canary();
    weave::sleep(absl::Milliseconds(20));
    return 0;
  }
  if (what == "parked") {  // every fiber blocked on a global channel
    for (int k = 0; k < 8; ++k) weave::go([] { g_chan.recv(); });
    for (;;) {  // until all have parked: the dump shows each as waiting
      std::ostringstream dump;
      weave::dump_fibers(dump);
      const std::string d = dump.str();
      int parked = 0;
      for (auto p = d.find("[chan receive"); p != std::string::npos;
           p = d.find("[chan receive", p + 1)) {
        ++parked;
      }
      if (parked == 8) break;
      std::this_thread::yield();
    }
    make_bye();
    return 0;
  }
  if (what == "spin") {  // fibers in the program's own code, reading a global string
    make_bye();
    for (int k = 0; k < 4; ++k) {
      weave::go([] {
        for (;;) {
          g_spins.fetch_add(static_cast<long>(g_text.size()), std::memory_order_relaxed);
          check_canary();
        }
      });
    }
    make_canary();
    weave::sleep(absl::Milliseconds(20));
    return 0;
  }
  if (what == "fiber-exit") {  // a fiber calls exit
    chan_traffic();
    make_canary();
    weave::go([] {
      weave::sleep(absl::Milliseconds(20));
      std::exit(3);
    });
    weave::make_chan<int>().recv();  // blocks for good
  }
  if (what == "thread-exit") {  // a plain thread that never used weave calls exit
    // It reaches the handler installed as the scheduler starts, which runs before the
    // destructors of statics made before that (only): so the canary is made first here.
    make_canary();
    chan_traffic();
    busy_allocating();
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::exit(4);
    }).detach();
    weave::make_chan<int>().recv();
  }
  std::fprintf(stderr, "exit_child: unknown program '%s'\n", what.c_str());
  return 64;
}
