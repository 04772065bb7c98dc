// The endings of a program (see endings.h).
#include "debug/endings.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "absl/strings/numbers.h"
#include "debug/report.h"
#include "scheduler.h"
#include "task.h"

namespace weave::detail::debug {
namespace {

// How long exit waits for runnable fibers to block or end before it stops the world.
constexpr std::int64_t kSettleNs = 100'000'000;

// A report ends the process at most once, whichever ending comes first.
std::atomic<bool> g_reported{false};

// WEAVE_LEAK_EXITCODE: -1 when unset; a bad value is said once and ignored.
int leak_exit_code() {
  const char* s = std::getenv("WEAVE_LEAK_EXITCODE");
  if (!s || !*s) return -1;
  int n;
  if (absl::SimpleAtoi(s, &n) && n >= 0 && n <= 255) return n;
  std::fprintf(stderr, "weave: WEAVE_LEAK_EXITCODE=%s is not an exit status (0-255); ignored\n", s);
  return -1;
}

// Output the program wrote but has not flushed yet would be lost by _exit, or come after the
// dump. Only stdout and std::cout: fflush(nullptr) would wait for every stream's lock, and a
// plain thread blocked reading stdin holds stdin's.
void flush_program_output() {
  std::cout.flush();
  std::fflush(stdout);
}

}  // namespace

void report_exit() {
  if (g_reported.exchange(true)) return;
  Report r = collect_marked("exit");
  if (!r.fibers.empty()) {
    flush_program_output();  // what the program printed comes before the dump
    print_report(stderr, r);
  }
  write_json_if_asked(r);
  const int code = leak_exit_code();
  if (!r.fibers.empty() && code >= 0) {
    flush_program_output();
    _exit(code);
  }
}

void settle_before_exit() {
  if (current_fiber() != nullptr) return;  // a fiber calling exit: the scheduler never idles
  const std::int64_t until = monotonic_now_ns() + kSettleNs;
  std::uint64_t activity = 0;
  while (!scheduler_quiescent(&activity) && monotonic_now_ns() < until) {
    timespec pause{0, 500'000};
    nanosleep(&pause, nullptr);
  }
}

void report_deadlock() {
  if (g_reported.exchange(true)) {
    for (;;) pause();  // another ending is being reported; it ends the process
  }
  flush_program_output();
  std::fputs("fatal error: all fibers are asleep - deadlock!\n\n", stderr);
  Report r = collect("deadlock");
  print_report(stderr, r);
  write_json_if_asked(r);
  _exit(2);
}

void report_panic() {
  if (g_reported.exchange(true)) return;
  Report r = collect_marked("panic");
  print_report(stderr, r);
  write_json_if_asked(r);
}

}  // namespace weave::detail::debug
