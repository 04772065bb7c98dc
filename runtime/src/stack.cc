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
// New stacks are carved from slabs: one mapping of kSlabStacks regions, each a guard region
// (kGuardBytes, which guard.h protects while the stack runs) and the usable stack above it, with
// its descriptor at the top. A thread carves from its slab one stack at a time, as it needs a new
// one, so that a stack's pages are touched only once it is used, and one mapping serves many
// stacks (vm.max_map_count caps a process's mappings).
//
// Every stack ever carved is also recorded, in order, in an append-only table (`made`), which is
// how the registry finds the live fibers: stacks are never unmapped, so the table's entries stay
// valid forever and readers need no lock.
#include "stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "env.h"
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

// WEAVE_STACK_SIZE (default 256k), rounded up to whole pages.
std::size_t configured_size() {
  const std::size_t size = env_stack_size(256 * 1024);
  const std::size_t p = page_size();
  return (size + p - 1) / p * p;
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
  std::atomic<std::size_t> slabs{0};
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
  char* fresh = nullptr;   // the regions of this thread's slab not carved yet (a thread that
  int nfresh = 0;          // ends leaves them: address space, nothing committed)
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
Stack* make_stack(char* region, std::size_t region_size) {
  auto* s = new (region + region_size - sizeof(Stack)) Stack();
  s->base = region + kGuardBytes;
  s->size = region_size - kGuardBytes - sizeof(Stack);
  record_made(s);
  return s;
}

// c is empty: take the spare, or a batch from the pool, or carve a new stack.
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
  const std::size_t region = kGuardBytes + p.size;
  if (c->nfresh == 0) {
    void* m = mmap(nullptr, region * kSlabStacks, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) out_of_memory();
    p.slabs.fetch_add(1, std::memory_order_relaxed);
    c->fresh = static_cast<char*>(m);
    c->nfresh = kSlabStacks;
  }
  c->cur = make_stack(c->fresh, region);
  c->cur->next_free = nullptr;
  c->ncur = 1;
  c->fresh += region;
  --c->nfresh;
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

std::size_t stack_mappings() { return pool().slabs.load(std::memory_order_relaxed); }

}  // namespace weave::detail
