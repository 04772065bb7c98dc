// Global deadlock detection (see deadlock.h).
#include "debug/deadlock.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "debug/endings.h"
#include "registry.h"
#include "scheduler.h"
#include "task.h"
#include "timer.h"

namespace weave::detail::debug {
namespace {

std::atomic<int> g_runtime_threads{0};
std::atomic<std::uint64_t> g_thread_wakes{0};

// The process's threads, from the kernel: every thread counts, those that never used weave too.
int process_threads() {
  const int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char* p = std::strstr(buf, "\nThreads:");
  return p ? std::atoi(p + 9) : -1;
}

// Plain threads blocked in weave: registered, and their wait reason still set (ready() clears it
// before the thread can run). 0 when the list is locked: a thread that stops the world for the
// debug runtime holds it, and that thread runs (it looks again if it then blocks).
int blocked_threads() {
  int n = 0;
  const bool read = registry_try_visit_threads(
      [](Task* t, void* p) {
        if (t->wait_reason.load(std::memory_order_seq_cst) != WaitReason::kNone) {
          ++*static_cast<int*>(p);
        }
      },
      &n);
  return read ? n : 0;
}

struct Activity {
  std::uint64_t picks = 0, timers = 0, wakes = 0;
  bool operator==(const Activity&) const = default;
};

// Whether no fiber and no timer can make progress now, and what has run so far.
bool idle(Activity* a) {
  a->wakes = g_thread_wakes.load(std::memory_order_seq_cst);
  return scheduler_quiescent(&a->picks) && timers_quiescent(&a->timers);
}

}  // namespace

void note_runtime_thread() {
  g_runtime_threads.fetch_add(1, std::memory_order_seq_cst);
  check_deadlock();  // it may have been the last thread the count waited for
}

void note_thread_woken() { g_thread_wakes.fetch_add(1, std::memory_order_seq_cst); }

void check_deadlock() {
  Activity before, after;
  if (!idle(&before)) return;
  // Some thread must be blocked in weave (main, at least, is a thread of the program); only
  // then is the kernel asked how many threads there are.
  const int blocked = blocked_threads();
  if (blocked == 0) return;
  const int total = process_threads();
  if (total < 0 || total != g_runtime_threads.load(std::memory_order_seq_cst) + blocked) return;
  if (!idle(&after) || !(before == after)) return;
  report_deadlock();
}

}  // namespace weave::detail::debug
