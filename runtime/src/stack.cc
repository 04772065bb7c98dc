// The stack pool (see stack.h).
//
// Free stacks move in batches of kBatch: each thread keeps a batch it is filling or emptying
// (`cur`) and one full spare; a thread that frees more than that hands a whole batch to the pool,
// a thread that runs dry takes one. A batch is a linked list threaded through the stacks' own
// descriptors, so handing one over is two pointer moves under the pool's lock, whatever its
// length: in a spawn-heavy program stacks flow from the workers that finish fibers to the one
// that starts them, and the lock is never held while 64 descriptors on 64 different pages are
// walked. Nothing is mapped while the lock is held.
//
// Every stack ever mapped is also recorded, in order, in an append-only table (`made`), which is
// how the registry finds the live fibers: stacks are never unmapped, so the table's entries stay
// valid forever and readers need no lock.
#include "stack.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "fiber.h"
#include "spinlock.h"

namespace weave::detail {
namespace {

constexpr int kBatch = 64;
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

// The table of every stack made: chunks of kChunk entries, allocated as it grows and never freed.
// Appends are serialized by mu; `count` publishes an entry after it is written.
constexpr std::size_t kChunk = 4096;
constexpr std::size_t kMaxChunks = 1 << 16;  // 256M stacks: far beyond any address space

struct Made {
  std::mutex mu;
  std::atomic<std::size_t> count{0};
  std::atomic<Stack**> chunks[kMaxChunks] = {};
};

Made& made() {
  static Made* m = new Made();  // never destroyed: fibers outlive static destruction
  return *m;
}

void record_made(Stack* s) {
  Made& m = made();
  std::lock_guard<std::mutex> hold(m.mu);
  const std::size_t i = m.count.load(std::memory_order_relaxed);
  if (i / kChunk >= kMaxChunks) return;  // unreachable in practice: the stack is only not listed
  Stack** chunk = m.chunks[i / kChunk].load(std::memory_order_relaxed);
  if (!chunk) {
    chunk = new Stack*[kChunk];
    m.chunks[i / kChunk].store(chunk, std::memory_order_release);
  }
  chunk[i % kChunk] = s;
  m.count.store(i + 1, std::memory_order_release);
}

struct Pool {
  std::size_t size = configured_size();
  std::atomic<long> guarded_left{guarded_budget()};
  SpinLock lock;
  Stack* batches = nullptr;  // guarded by lock: full batches (and partial ones from exited threads)
};

Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

void pool_put(Stack* batch, int len) {
  batch->batch_len = len;
  Pool& p = pool();
  p.lock.lock();
  batch->next_batch = p.batches;
  p.batches = batch;
  p.lock.unlock();
}

Stack* pool_take() {
  Pool& p = pool();
  p.lock.lock();
  Stack* b = p.batches;
  if (b) p.batches = b->next_batch;
  p.lock.unlock();
  return b;
}

struct Cache {
  Stack* cur = nullptr;  // a batch being emptied or filled
  int ncur = 0;
  Stack* spare = nullptr;  // a full batch, or null
  ~Cache() {
    if (cur) pool_put(cur, ncur);
    if (spare) pool_put(spare, kBatch);
  }
};

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
  record_made(s);
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

// kSlabStacks unguarded stacks in one mapping, as one batch.
Stack* map_slab(std::size_t size, int* len) {
  void* m = mmap(nullptr, size * kSlabStacks, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) out_of_memory();
  Stack* head = nullptr;
  for (int i = 0; i < kSlabStacks; ++i) {
    Stack* s = make_stack(static_cast<char*>(m) + i * size, size, false);
    s->next_free = head;
    head = s;
  }
  *len = kSlabStacks;
  return head;
}

// c is empty: take the spare, or a batch from the pool, or map new stacks (one guarded stack at a
// time while the mapping budget lasts: a spawner that needs one stack should not pay for 64).
void refill(Cache* c) {
  if (c->spare) {
    c->cur = std::exchange(c->spare, nullptr);
    c->ncur = kBatch;
    return;
  }
  if (Stack* b = pool_take()) {
    c->cur = b;
    c->ncur = b->batch_len;
    return;
  }
  Pool& p = pool();
  if (p.guarded_left.fetch_sub(1, std::memory_order_relaxed) > 0) {
    c->cur = map_guarded(p.size);
    c->cur->next_free = nullptr;
    c->ncur = 1;
  } else {
    c->cur = map_slab(p.size, &c->ncur);
  }
}

}  // namespace

std::size_t stack_size() { return pool().size; }

Stack* stack_acquire() {
  Cache* c = this_cache();
  if (c->cur == nullptr) refill(c);
  Stack* s = c->cur;
  c->cur = s->next_free;
  --c->ncur;
  return s;
}

void stack_release(Stack* s) {
  Cache* c = this_cache();
  s->next_free = c->cur;
  c->cur = s;
  if (++c->ncur < kBatch) return;
  if (c->spare) pool_put(c->spare, kBatch);
  c->spare = c->cur;
  c->cur = nullptr;
  c->ncur = 0;
}

std::size_t stacks_made() { return made().count.load(std::memory_order_acquire); }

Stack* stack_at(std::size_t i) {
  return made().chunks[i / kChunk].load(std::memory_order_acquire)[i % kChunk];
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
