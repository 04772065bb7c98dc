// Helpers shared by the runtime tests.
#pragma once

#include <weave/weave.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sched_debug.h"

namespace weave::testing_util {

// How many tasks the dump shows in `state` (e.g. "chan send").
inline int count_in_state(const std::string& state) {
  std::ostringstream out;
  weave::dump_fibers(out);
  const std::string s = out.str();
  int n = 0;
  for (const std::string& needle : {"[" + state + "]", "[" + state + ","}) {
    for (auto pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
  }
  return n;
}

// Recurses n levels of 512-byte frames (a fiber stack of 64 KiB overflows long before 1 << 20).
[[gnu::noinline]] inline int recurse_deep(int n) {
  volatile char pad[512];
  pad[0] = static_cast<char>(n);
  return n == 0 ? pad[0] : recurse_deep(n - 1) + pad[0];
}

// Waits (yielding, never sleeping) until at least n tasks are parked in `state`: a test that must
// act on a blocked task observes that it is blocked instead of hoping it is.
inline void wait_until_parked(int n, const std::string& state) {
  while (count_in_state(state) < n) weave::yield();
}

// Runs f on a fiber or on a plain std::thread and returns once f has returned: every blocking
// operation must behave the same from both.
template <class F>
void run_on(bool fiber, F f) {
  if (fiber) {
    weave::Chan<weave::Unit> finished = weave::make_chan<weave::Unit>(1);
    weave::go([&] {
      f();
      finished.send(weave::Unit{});
    });
    finished.recv();
  } else {
    std::thread t(f);
    t.join();
  }
}

// Starts functions on fibers or threads; join() (or destruction) waits for all of them.
class Runner {
 public:
  template <class F>
  void start(bool fiber, F f) {
    if (fiber) {
      wg_.go(std::move(f));
    } else {
      threads_.emplace_back(std::move(f));
    }
  }
  void join() {
    wg_.wait();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  ~Runner() { join(); }

 private:
  weave::WaitGroup wg_;
  std::vector<std::thread> threads_;
};

// Parks at least n fibers (64 KiB stacks), and more than stacks can have their guard at once, then
// runs one that overflows its stack by 16 KiB and returns. Exits with status 0 if the overflow
// went unnoticed (the runtime reports it with status 2). Call it in a process of its own.
[[noreturn]] inline void park_then_overflow(int at_least) {
  setenv("WEAVE_STACK_SIZE", "65536", 1);  // before anything sizes the stacks
  const int n = std::max(at_least, weave::detail::stack_guard_budget_for_testing() + 2000);
  auto never = weave::make_chan<int>();
  weave::WaitGroup started;
  started.add(n);
  for (int i = 0; i < n; ++i) {
    weave::go([=, &started] {
      started.done();
      never.recv();
    });
  }
  started.wait();
  auto done = weave::make_chan<int>(1);
  weave::go([=] {
    struct R {
      // Recurses until `bytes` below `start`, then returns.
      static int down(const char* start, std::ptrdiff_t bytes) {
        volatile char pad[512];
        pad[0] = 1;
        if (start - const_cast<const char*>(&pad[0]) < bytes) return down(start, bytes) + pad[0];
        return pad[0];
      }
    };
    volatile char here = 0;
    done.send(R::down(const_cast<const char*>(&here), 65536 + 16384));
  });
  done.recv();
  std::exit(0);
}

}  // namespace weave::testing_util
