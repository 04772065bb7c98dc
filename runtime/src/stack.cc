// The stack pool (see stack.h).
//
// Stacks are recycled through a per-thread cache of up to kCacheSize and a global free list, so
// spawning a fiber costs no system call in the steady state.
#include "stack.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "fiber.h"
#include "spinlock.h"

namespace weave::detail {
namespace {

constexpr int kCacheSize = 128;
constexpr int kSlabStacks = 64;

std::size_t page_size() {
  static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

std::size_t configured_size() {
  std::size_t size = 256 * 1024;
  if (const char* s = std::getenv("WEAVE_STACK_SIZE")) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (end && (*end == 'k' || *end == 'K')) v *= 1024;
    if (end && (*end == 'm' || *end == 'M')) v *= 1024 * 1024;
    if (v >= 16 * 1024) size = v;
  }
  const std::size_t p = page_size();
  return (size + p - 1) / p * p;
}

// How many guarded stacks we allow: half of the process's mapping budget, less a margin for
// everything else the program maps.
long guarded_budget() {
  long max_maps = 65530;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    if (std::fscanf(f, "%ld", &max_maps) != 1) max_maps = 65530;
    std::fclose(f);
  }
  long budget = max_maps / 2 - 4096;
  return budget > 0 ? budget : 0;
}

struct Pool {
  std::size_t size = configured_size();
  long guarded_left = guarded_budget();  // guarded by lock
  SpinLock lock;
  Stack* free = nullptr;  // guarded by lock
};

Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

struct Cache {
  Stack* head = nullptr;
  int count = 0;
  ~Cache();
};

void spill(Cache* c);

Cache::~Cache() {
  Pool& p = pool();
  p.lock.lock();
  while (head) {
    Stack* s = head;
    head = s->next_free;
    s->next_free = p.free;
    p.free = s;
  }
  p.lock.unlock();
}

[[gnu::noinline]] Cache* this_cache() {
  static thread_local Cache c;
  return &c;
}

[[noreturn]] void out_of_memory() {
  std::fprintf(stderr, "fatal error: cannot map a fiber stack: %s\n", std::strerror(errno));
  std::abort();
}

// The descriptor sits at the very top of the region, beside the Fiber control block, so a parked
// fiber that never went deep touches a single page.
Stack* make_stack(char* region, std::size_t size, bool guarded) {
  auto* s = new (region + size - sizeof(Stack)) Stack();
  s->base = region;
  s->size = size - sizeof(Stack);
  s->guarded = guarded;
  return s;
}

Stack* map_guarded(std::size_t size) {
  const std::size_t p = page_size();
  void* m = mmap(nullptr, size + p, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) out_of_memory();
  if (mprotect(m, p, PROT_NONE) != 0) out_of_memory();
  return make_stack(static_cast<char*>(m) + p, size, true);
}

void map_slab(Pool& pool) {  // requires pool.lock
  const std::size_t size = pool.size;
  void* m = mmap(nullptr, size * kSlabStacks, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) out_of_memory();
  for (int i = 0; i < kSlabStacks; ++i) {
    Stack* s = make_stack(static_cast<char*>(m) + i * size, size, false);
    s->next_free = pool.free;
    pool.free = s;
  }
}

// Moves a batch between a thread's cache and the pool, so stacks freed on workers flow to a
// plain thread that spawns (and back) a batch at a time, not one lock round trip per fiber.
void refill(Cache* c) {
  Pool& p = pool();
  p.lock.lock();
  while (c->count < kCacheSize / 2) {
    if (!p.free) {
      if (c->count > 0) break;  // take what is free; map only when there is nothing at all
      if (p.guarded_left > 0) {
        --p.guarded_left;
        Stack* s = map_guarded(p.size);
        s->next_free = p.free;
        p.free = s;
      } else {
        map_slab(p);
      }
    }
    Stack* s = p.free;
    p.free = s->next_free;
    s->next_free = c->head;
    c->head = s;
    ++c->count;
  }
  p.lock.unlock();
}

void spill(Cache* c) {
  Pool& p = pool();
  p.lock.lock();
  while (c->count > kCacheSize / 2) {
    Stack* s = c->head;
    c->head = s->next_free;
    --c->count;
    s->next_free = p.free;
    p.free = s;
  }
  p.lock.unlock();
}

}  // namespace

std::size_t stack_size() { return pool().size; }

Stack* stack_acquire() {
  Cache* c = this_cache();
  if (c->head == nullptr) refill(c);
  Stack* s = c->head;
  c->head = s->next_free;
  --c->count;
  return s;
}

void stack_release(Stack* s) {
  Cache* c = this_cache();
  s->next_free = c->head;
  c->head = s;
  if (++c->count >= kCacheSize) spill(c);
}

bool stack_pointer_ok(const Stack* s, const void* sp) {
  return static_cast<const char*>(sp) >= s->base;
}

bool stack_is_guard_address(const Stack* s, const void* addr) {
  if (!s->guarded) return false;
  const char* a = static_cast<const char*>(addr);
  return a >= s->base - page_size() && a < s->base;
}

namespace {

void overflow_handler(int sig, siginfo_t* info, void* uctx) {
  Fiber* f = current_fiber();
  if (f && f->stack && stack_is_guard_address(f->stack, info->si_addr)) {
    char buf[512];
    int n = std::snprintf(buf, sizeof buf,
                          "fatal error: stack overflow in fiber %llu (created at %s:%u); "
                          "WEAVE_STACK_SIZE is %zu bytes\n",
                          static_cast<unsigned long long>(f->id), f->created_at.file_name(),
                          f->created_at.line(), stack_size());
    if (n > 0) (void)!write(2, buf, static_cast<std::size_t>(n));
    _exit(2);
  }
  // Not ours: let the default action report it.
  (void)uctx;
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

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
  const std::size_t alt = 64 * 1024;
  stack_t ss{};
  ss.ss_sp = mmap(nullptr, alt, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ss.ss_size = alt;
  if (ss.ss_sp != MAP_FAILED) sigaltstack(&ss, nullptr);
}

}  // namespace weave::detail
