#include "sync.h"

#include <atomic>
#include <cstdint>

#include "alloc.h"
#include "shadow.h"
#include "spinlock.h"

namespace weave::detail::race {
namespace {

constexpr int kPageShift = 12;
// Each bucket takes a few hundred bytes once touched: enough of them that a page rarely shares
// one, few enough that a program touching clocks everywhere keeps the table small.
constexpr int kBucketBits = 14;
constexpr std::size_t kBuckets = std::size_t{1} << kBucketBits;
// Lists per bucket, by the address within its page: a channel's buffer puts a clock at every slot
// of one page, and one list of them all made each channel operation walk it.
constexpr int kListBits = 5;
constexpr std::size_t kLists = std::size_t{1} << kListBits;
// A freed range longer than this many pages is forgotten by a sweep of every bucket instead.
constexpr uptr kSweepPages = 64;

struct SyncVar {
  uptr addr;
  u32 size;  // the most bytes a release here wrote
  VectorClock clock;
  SyncVar* next;
};

// Zeroed memory is a bucket with no clocks: the table is reserved address space, touched only
// where clocks are kept (a static array of these is not constant-initialized, so it would be
// written whole at startup).
struct Bucket {
  SpinLock mu;
  // Written under mu; read without it to skip empty ones.
  std::atomic<std::uint32_t> live;
  std::atomic<SyncVar*> heads[kLists];
};

Bucket* buckets() {
  static Bucket* const table =
      static_cast<Bucket*>(reserve(kBuckets * sizeof(Bucket), "the synchronization table"));
  return table;
}
std::atomic<std::size_t> g_live{0};

// The top `bits` bits of x's Fibonacci hash.
std::size_t hashed(uptr x, int bits) { return (x * 0x9E3779B97F4A7C15ull) >> (64 - bits); }

Bucket& bucket_of_page(uptr page) { return buckets()[hashed(page, kBucketBits)]; }

Bucket& bucket_of(uptr addr) { return bucket_of_page(addr >> kPageShift); }

// The list of addr in its bucket: a hash of its 8-byte word in the page, so that slots of any
// size spread over the lists, and the clocks of one word share one.
std::atomic<SyncVar*>& list_of(Bucket& b, uptr addr) {
  const uptr word = (addr & ((uptr{1} << kPageShift) - 1)) >> 3;
  return b.heads[hashed(word + 1, kListBits)];
}
// Whether a release ever wrote more than 8 bytes (one that starts in the word before an access
// may overlap it).
std::atomic<bool> g_wide{false};

SyncVar* find(std::atomic<SyncVar*>& head, uptr addr) {
  for (SyncVar* v = head.load(std::memory_order_relaxed); v; v = v->next) {
    if (v->addr == addr) return v;
  }
  return nullptr;
}

// Unlinks the clocks of b in [lo, hi); b's lock is held.
void forget_in(Bucket& b, uptr lo, uptr hi) {
  for (std::atomic<SyncVar*>& head : b.heads) {
    SyncVar* prev = nullptr;
    SyncVar* v = head.load(std::memory_order_relaxed);
    while (v) {
      SyncVar* next = v->next;
      if (v->addr >= lo && v->addr < hi) {
        if (prev) {
          prev->next = next;
        } else {
          head.store(next, std::memory_order_relaxed);
        }
        raw_delete(v);
        b.live.fetch_sub(1, std::memory_order_relaxed);
        g_live.fetch_sub(1, std::memory_order_relaxed);
      } else {
        prev = v;
      }
      v = next;
    }
  }
}

bool empty(const Bucket& b) { return b.live.load(std::memory_order_relaxed) == 0; }

// Calls fn with the clock at addr, under its bucket's lock; false if there is none.
template <class F>
bool with_clock(const void* addr, F fn) {
  const uptr a = reinterpret_cast<uptr>(addr);
  Bucket& b = bucket_of(a);
  std::atomic<SyncVar*>& head = list_of(b, a);
  if (!head.load(std::memory_order_relaxed)) return false;
  b.mu.lock();
  SyncVar* v = find(head, a);
  if (v) fn(v->clock);
  b.mu.unlock();
  return v != nullptr;
}

// Calls fn with every clock released at bytes that overlap [a, a + size), each under its bucket's
// lock.
template <class F>
void with_overlapping(uptr a, u32 size, F fn) {
  const uptr first = (a & ~uptr{7}) - (g_wide.load(std::memory_order_relaxed) ? 8 : 0);
  const uptr last = (a + size - 1) & ~uptr{7};
  for (uptr w = first; w <= last; w += 8) {
    Bucket& b = bucket_of(w);
    std::atomic<SyncVar*>& head = list_of(b, w);
    if (!head.load(std::memory_order_relaxed)) continue;
    b.mu.lock();
    for (SyncVar* v = head.load(std::memory_order_relaxed); v; v = v->next) {
      if (v->addr < a + size && a < v->addr + v->size && (v->addr & ~uptr{7}) == w) fn(v->clock);
    }
    b.mu.unlock();
  }
}

// Calls fn with the clock at addr, made if absent, under its bucket's lock; size: as
// sync_release's.
template <class F>
void with_new_clock(const void* addr, F fn, u32 size = 1) {
  const uptr a = reinterpret_cast<uptr>(addr);
  Bucket& b = bucket_of(a);
  std::atomic<SyncVar*>& head = list_of(b, a);
  if (size > 8 && !g_wide.load(std::memory_order_relaxed)) g_wide.store(true);
  b.mu.lock();
  SyncVar* v = find(head, a);
  if (v) {
    if (size > v->size) v->size = size;
  } else {
    v = raw_new<SyncVar>();
    v->addr = a;
    v->size = size;
    v->next = head.load(std::memory_order_relaxed);
    head.store(v, std::memory_order_relaxed);
    b.live.fetch_add(1, std::memory_order_relaxed);
    g_live.fetch_add(1, std::memory_order_relaxed);
  }
  fn(v->clock);
  b.mu.unlock();
}
}  // namespace

void sync_release(const void* addr, const VectorClock& vc, u32 slot, u32 clock, u32 size) {
  with_new_clock(
      addr,
      [&](VectorClock& c) {
        c.join(vc);
        if (slot) c.raise(slot, clock);
      },
      size);
}

void sync_acquire_release(const void* addr, VectorClock* vc, u32 slot, u32 clock) {
  with_new_clock(addr, [&](VectorClock& c) {
    vc->join(c);
    c.assign(*vc);  // vc covers c now
    c.raise(slot, clock);
  });
}

void sync_acquire(const void* addr, VectorClock* vc, u32 size) {
  with_overlapping(reinterpret_cast<uptr>(addr), size,
                   [vc](const VectorClock& clock) { vc->join(clock); });
}

void sync_exchange(const void* addr, VectorClock* a, u32 a_slot, u32 a_clock, VectorClock* b,
                   u32 b_slot, u32 b_clock) {
  with_new_clock(addr, [&](VectorClock& c) {
    c.join(*a);
    c.raise(a_slot, a_clock);
    c.join(*b);
    c.raise(b_slot, b_clock);
    a->join(c);
    b->join(c);
  });
}

bool sync_exists(const void* addr) {
  return with_clock(addr, [](const VectorClock&) {});
}

void sync_forget(uptr lo, uptr hi) {
  if (lo >= hi || g_live.load(std::memory_order_relaxed) == 0) return;
  const uptr first = lo >> kPageShift;
  const uptr last = (hi - 1) >> kPageShift;
  auto visit = [&](Bucket& b) {
    if (empty(b)) return;
    b.mu.lock();
    forget_in(b, lo, hi);
    b.mu.unlock();
  };
  if (last - first < kSweepPages) {
    for (uptr p = first; p <= last; ++p) visit(bucket_of_page(p));
  } else {
    for (std::size_t i = 0; i < kBuckets; ++i) visit(buckets()[i]);
  }
}

}  // namespace weave::detail::race
