#include "sync.h"

#include <atomic>

#include "alloc.h"
#include "spinlock.h"

namespace weave::detail::race {
namespace {

constexpr int kPageShift = 12;
constexpr std::size_t kBuckets = std::size_t{1} << 16;
// A freed range longer than this many pages is forgotten by a sweep of every bucket instead.
constexpr uptr kSweepPages = 64;

struct SyncVar {
  uptr addr;
  VectorClock clock;
  SyncVar* next;
};

struct Bucket {
  SpinLock mu;
  std::atomic<SyncVar*> head{nullptr};  // written under mu; read without it to skip empty ones
};

Bucket g_buckets[kBuckets];
std::atomic<std::size_t> g_live{0};

Bucket& bucket_of_page(uptr page) { return g_buckets[(page * 0x9E3779B97F4A7C15ull) >> (64 - 16)]; }

Bucket& bucket_of(uptr addr) { return bucket_of_page(addr >> kPageShift); }

SyncVar* find(Bucket& b, uptr addr) {
  for (SyncVar* v = b.head.load(std::memory_order_relaxed); v; v = v->next) {
    if (v->addr == addr) return v;
  }
  return nullptr;
}

// Unlinks the clocks of b in [lo, hi); b's lock is held.
void forget_in(Bucket& b, uptr lo, uptr hi) {
  SyncVar* prev = nullptr;
  SyncVar* v = b.head.load(std::memory_order_relaxed);
  while (v) {
    SyncVar* next = v->next;
    if (v->addr >= lo && v->addr < hi) {
      if (prev) {
        prev->next = next;
      } else {
        b.head.store(next, std::memory_order_relaxed);
      }
      raw_delete(v);
      g_live.fetch_sub(1, std::memory_order_relaxed);
    } else {
      prev = v;
    }
    v = next;
  }
}

}  // namespace

void sync_release(const void* addr, const VectorClock& vc) {
  const uptr a = reinterpret_cast<uptr>(addr);
  Bucket& b = bucket_of(a);
  b.mu.lock();
  SyncVar* v = find(b, a);
  if (!v) {
    v = raw_new<SyncVar>();
    v->addr = a;
    v->next = b.head.load(std::memory_order_relaxed);
    b.head.store(v, std::memory_order_relaxed);
    g_live.fetch_add(1, std::memory_order_relaxed);
  }
  v->clock.join(vc);
  b.mu.unlock();
}

void sync_acquire(const void* addr, VectorClock* vc) {
  const uptr a = reinterpret_cast<uptr>(addr);
  Bucket& b = bucket_of(a);
  if (!b.head.load(std::memory_order_relaxed)) return;
  b.mu.lock();
  if (SyncVar* v = find(b, a)) vc->join(v->clock);
  b.mu.unlock();
}

bool sync_exists(const void* addr) {
  const uptr a = reinterpret_cast<uptr>(addr);
  Bucket& b = bucket_of(a);
  if (!b.head.load(std::memory_order_relaxed)) return false;
  b.mu.lock();
  const bool found = find(b, a) != nullptr;
  b.mu.unlock();
  return found;
}

void sync_forget(uptr lo, uptr hi) {
  if (lo >= hi || g_live.load(std::memory_order_relaxed) == 0) return;
  const uptr first = lo >> kPageShift;
  const uptr last = (hi - 1) >> kPageShift;
  auto visit = [&](Bucket& b) {
    if (!b.head.load(std::memory_order_relaxed)) return;
    b.mu.lock();
    forget_in(b, lo, hi);
    b.mu.unlock();
  };
  if (last - first < kSweepPages) {
    for (uptr p = first; p <= last; ++p) visit(bucket_of_page(p));
  } else {
    for (Bucket& b : g_buckets) visit(b);
  }
}

}  // namespace weave::detail::race
