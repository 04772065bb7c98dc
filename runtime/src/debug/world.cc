// Stopping the world (see world.h).
#include "debug/world.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "futex.h"

namespace weave::detail::debug {
namespace {

// One per weave thread that runs user code; never freed (threads of the runtime never exit).
struct Runner {
  std::atomic<bool> running{false};
  Runner* next = nullptr;
};

std::atomic<Runner*> g_runners{nullptr};
std::atomic<std::uint32_t> g_stopped{0};  // 1 while stopped; safe points wait on it
std::recursive_mutex g_stop_mu;           // one stopper at a time (it may nest its stops)
int g_depth = 0;                          // guarded by g_stop_mu

Runner& self() {
  static thread_local Runner* r = [] {
    auto* fresh = new Runner();
    fresh->next = g_runners.load(std::memory_order_relaxed);
    while (!g_runners.compare_exchange_weak(fresh->next, fresh, std::memory_order_release)) {
    }
    return fresh;
  }();
  return *r;
}

thread_local bool t_stopper = false;  // this thread holds the world stopped

}  // namespace

bool stop_requested() { return g_stopped.load(std::memory_order_relaxed) != 0; }

void safe_point() {
  Runner& r = self();
  for (;;) {
    r.running.store(true, std::memory_order_seq_cst);
    if (g_stopped.load(std::memory_order_seq_cst) == 0 || t_stopper) return;
    r.running.store(false, std::memory_order_seq_cst);
    while (g_stopped.load(std::memory_order_acquire) != 0) futex_wait(&g_stopped, 1);
  }
}

void runtime_idle_mark() { self().running.store(false, std::memory_order_seq_cst); }

bool stop_world(int timeout_ms) {
  g_stop_mu.lock();
  if (g_depth++ > 0) return true;
  t_stopper = true;
  g_stopped.store(1, std::memory_order_seq_cst);
  const Runner* mine = &self();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    bool busy = false;
    for (Runner* r = g_runners.load(std::memory_order_acquire); r; r = r->next) {
      if (r != mine && r->running.load(std::memory_order_seq_cst)) busy = true;
    }
    if (!busy) return true;
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::yield();
  }
  resume_world();
  return false;
}

void resume_world() {
  if (--g_depth == 0) {
    t_stopper = false;
    g_stopped.store(0, std::memory_order_seq_cst);
    futex_wake_all(&g_stopped);
  }
  g_stop_mu.unlock();
}

}  // namespace weave::detail::debug
