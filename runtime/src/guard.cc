// Stack guards (see guard.h).
//
// mprotect of a guard region splits its slab's mapping in three, and vm.max_map_count (65530 by
// default) caps the mappings of a process: about 30,000 guards at once, for a program that may
// park a million fibers. But only a running fiber can overflow, so only the stacks that run need
// their guard: a worker guards a stack just before it switches to a fiber on it, the first time
// or after an eviction, and the guard then stays (switching to a guarded stack costs a load).
// When the budget is spent the oldest guards are evicted, a batch at a time, but for those of
// stacks that run. The budget is what max_map_count leaves after the slabs' own mappings and
// kReservedMaps for the program; a program that maps more still gets its guards, by eviction
// on ENOMEM.
//
// An eviction and a worker about to run on the evicted stack agree through an asymmetric
// handshake (asym_fence.h): the worker stores its current fiber (scheduler.cc), light-fences and
// loads `guarded`; the evictor clears `guarded`, heavy-fences and reads every worker's current
// fiber (stack_running). Either it sees the worker on that stack and keeps the guard, or the
// worker sees `guarded` clear and guards the stack again, under g_mu, once the eviction is done.
//
// Lock order: Guards::mu is a leaf.
#include "guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>

#include "asym_fence.h"
#include "fiber.h"
#include "scheduler.h"

namespace weave::detail {
namespace {

constexpr long kReservedMaps = 8192;  // left to the program's own mappings
constexpr std::size_t kEvictBatch = 256;

long max_map_count() {
  long n = 65530;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    if (std::fscanf(f, "%ld", &n) != 1) n = 65530;
    std::fclose(f);
  }
  return n;
}

struct Guards {
  std::mutex mu;
  const long max_maps = max_map_count();
  std::deque<Stack*> guarded;  // guarded by mu: the stacks with their guard, oldest first

  std::size_t budget() const {
    const long left = max_maps - kReservedMaps - static_cast<long>(stack_mappings());
    return left > 2 * 64 ? static_cast<std::size_t>(left / 2) : 64;  // each guard: two more maps
  }

  // Evicts the guards of up to kEvictBatch of the oldest guarded stacks that do not run; returns
  // how many it evicted. Stacks carved one after another lie next to each other, and so do their
  // guards but for the stack between them: one mprotect unprotects a run of them (the stacks
  // between are read-write already), and the kernel merges the run's mappings into one.
  std::size_t evict() {
    Stack* batch[kEvictBatch];
    std::size_t n = 0;
    while (n < kEvictBatch && !guarded.empty()) {
      batch[n] = guarded.front();
      guarded.pop_front();
      batch[n]->guarded.store(false, std::memory_order_relaxed);
      ++n;
    }
    heavy_fence();
    std::size_t evicted = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (stack_running(batch[i])) {
        batch[i]->guarded.store(true, std::memory_order_relaxed);
        guarded.push_back(batch[i]);
      } else {
        batch[evicted++] = batch[i];
      }
    }
    std::sort(batch, batch + evicted,
              [](const Stack* a, const Stack* b) { return a->base < b->base; });
    for (std::size_t i = 0; i < evicted;) {
      std::size_t j = i + 1;  // batch[i..j) is a run of neighbours
      while (j < evicted && batch[j]->base - kGuardBytes == region_end(batch[j - 1])) ++j;
      char* lo = batch[i]->base - kGuardBytes;
      const std::size_t len = static_cast<std::size_t>(batch[j - 1]->base - lo);
      if (mprotect(lo, len, PROT_READ | PROT_WRITE) != 0)
        fatal("cannot unprotect fiber stack guards");
      i = j;
    }
    return evicted;
  }

  static const char* region_end(const Stack* s) {
    return reinterpret_cast<const char*>(s) + sizeof(Stack);  // the descriptor is at the top
  }

  [[noreturn]] static void fatal(const char* what) {
    std::fprintf(stderr, "fatal error: %s: %s\n", what, std::strerror(errno));
    std::abort();
  }
};

Guards& guards() {
  static Guards* g = new Guards();  // never destroyed: fibers outlive static destruction
  return *g;
}

void overflow_handler(int sig, siginfo_t* info, void*) {
  Fiber* f = current_fiber();
  const auto* a = static_cast<const char*>(info->si_addr);
  if (f && a < f->stack->base && a >= f->stack->base - kGuardBytes) {
    char buf[512];
    const int n = std::snprintf(buf, sizeof buf,
                                "fatal error: stack overflow in fiber %llu (created at %s:%u); "
                                "WEAVE_STACK_SIZE is %zu bytes\n",
                                static_cast<unsigned long long>(f->id), f->created_at.file_name(),
                                f->created_at.line(), stack_size());
    if (n > 0) (void)!write(2, buf, static_cast<std::size_t>(n));
    _exit(2);
  }
  // Not ours: let the default action report it.
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void stack_guard_slow(Stack* s) {
  Guards& g = guards();
  std::lock_guard<std::mutex> hold(g.mu);
  if (s->guarded.load(std::memory_order_relaxed)) return;  // an eviction kept it
  while (g.guarded.size() >= g.budget() && g.evict() > 0) {
  }
  while (mprotect(s->base - kGuardBytes, kGuardBytes, PROT_NONE) != 0) {
    // Past max_map_count: the program maps more than kReservedMaps leaves it.
    if (errno != ENOMEM || g.evict() == 0) Guards::fatal("cannot guard a fiber stack");
  }
  s->guarded.store(true, std::memory_order_relaxed);
  g.guarded.push_back(s);
}

std::size_t stack_guard_budget() {
  Guards& g = guards();
  std::lock_guard<std::mutex> hold(g.mu);
  return g.budget();
}

constexpr std::size_t kAltStackBytes = 64 * 1024;

void install_overflow_handler_for_thread() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = &overflow_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
  });
  // The handler needs a stack of its own: the faulting one is full.
  stack_t ss{};
  ss.ss_sp =
      mmap(nullptr, kAltStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ss.ss_size = kAltStackBytes;
  if (ss.ss_sp != MAP_FAILED) sigaltstack(&ss, nullptr);
}

void* add_overflow_stack() {
  stack_t old{};
  if (sigaltstack(nullptr, &old) != 0 || !(old.ss_flags & SS_DISABLE)) return nullptr;
  stack_t ss{};
  ss.ss_sp =
      mmap(nullptr, kAltStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ss.ss_size = kAltStackBytes;
  if (ss.ss_sp == MAP_FAILED) return nullptr;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(ss.ss_sp, kAltStackBytes);
    return nullptr;
  }
  return ss.ss_sp;
}

void remove_overflow_stack(void* stack) {
  if (!stack) return;
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  if (sigaltstack(&off, nullptr) == 0) munmap(stack, kAltStackBytes);
}

}  // namespace weave::detail
