#include "sync.h"

#include <atomic>
#include <cstdint>

#include "alloc.h"
#include "race_task.h"
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
  // When owner_slot is not 0: clock is exactly what the task holding that slot knew at its
  // release at owner_clock (its vector clock, and that epoch).
  u32 owner_slot;
  u32 owner_clock;
  // Another number after every change of clock (acquired in RaceTask).
  u64 stamp;
  // The id of a shared clock (race_task.h) that clock includes all of (0: none known), so that
  // the children that share it, releasing here one after another, join it once. A clock here
  // only grows (a release that replaces it is by a task that knows all of it).
  u64 joined_shared;
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

// Whether the clock at addr exists.
bool exists(const void* addr) {
  const uptr a = reinterpret_cast<uptr>(addr);
  Bucket& b = bucket_of(a);
  std::atomic<SyncVar*>& head = list_of(b, a);
  if (!head.load(std::memory_order_relaxed)) return false;
  b.mu.lock();
  const bool found = find(head, a) != nullptr;
  b.mu.unlock();
  return found;
}

// Calls fn with every clock released at bytes that overlap [a, a + size) (its SyncVar), each
// under its bucket's lock.
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
      if (v->addr < a + size && a < v->addr + v->size && (v->addr & ~uptr{7}) == w) fn(*v);
    }
    b.mu.unlock();
  }
}

// Calls fn with the clock at addr (its SyncVar), made if absent, under its bucket's lock; size:
// as sync_release's.
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
    v->owner_slot = 0;
    v->stamp = 0;
    v->joined_shared = 0;
    v->next = head.load(std::memory_order_relaxed);
    head.store(v, std::memory_order_relaxed);
    b.live.fetch_add(1, std::memory_order_relaxed);
    g_live.fetch_add(1, std::memory_order_relaxed);
  }
  fn(*v);
  b.mu.unlock();
}

// Whether t knows all of v's clock because it released it itself, in its present tenure.
bool own_release(const SyncVar& v, const RaceTask* t) {
  return v.owner_slot == t->slot && v.owner_clock >= t->tenure;
}

// v's clock joined what t knows: t knows all of it.
void learnt(RaceTask* t, const SyncVar& v) {
  t->vc_changed = t->clock;
  t->acquired = v.stamp;
}

// t acquires at v.
void acquire_at(RaceTask* t, const SyncVar& v) {
  if (own_release(v, t)) {
    t->acquired = v.stamp;
    return;
  }
  fold(t);
  t->vc.join(v.clock);
  learnt(t, v);
}

// v's clock, which t knows all of (already, or just acquired), becomes what t knows now.
void release_known(SyncVar& v, RaceTask* t) {
  fold(t);
  if (!(own_release(v, t) && t->vc_changed <= v.owner_clock)) v.clock.assign(t->vc);
  v.clock.raise(t->slot, t->clock);
  v.owner_slot = t->slot;
  v.owner_clock = t->clock;
  v.stamp = new_frames_gen();  // any number never handed out before
  t->acquired = v.stamp;
}

// v's clock changed in a way no single release accounts for.
void changed(SyncVar& v) {
  v.owner_slot = 0;
  v.stamp = new_frames_gen();
}
}  // namespace

void sync_release(const void* addr, RaceTask* t, u32 size) {
  with_new_clock(
      addr,
      [&](SyncVar& v) {
        // Unchanged since t acquired it (or released it itself): t knows all of it.
        if (v.stamp == t->acquired || own_release(v, t)) return release_known(v, t);
        if (t->inherited) {
          if (v.joined_shared != t->inherited->id) {
            v.clock.join(t->inherited->vc);
            v.joined_shared = t->inherited->id;
          }
          if (t->parent_slot) v.clock.raise(t->parent_slot, t->parent_clock);
        }
        v.clock.join(t->vc);
        v.clock.raise(t->slot, t->clock);
        changed(v);
      },
      size);
}

void sync_release_clock(const void* addr, const VectorClock& vc, u32 size) {
  with_new_clock(
      addr,
      [&](SyncVar& v) {
        v.clock.join(vc);
        changed(v);
      },
      size);
}

void sync_acquire_release(const void* addr, RaceTask* t) {
  with_new_clock(addr, [&](SyncVar& v) {
    acquire_at(t, v);
    release_known(v, t);
  });
}

void sync_acquire(const void* addr, RaceTask* t, u32 size) {
  with_overlapping(reinterpret_cast<uptr>(addr), size, [t](const SyncVar& v) { acquire_at(t, v); });
}

void sync_acquire_clock(const void* addr, VectorClock* vc, u32 size) {
  with_overlapping(reinterpret_cast<uptr>(addr), size,
                   [vc](const SyncVar& v) { vc->join(v.clock); });
}

void sync_exchange(const void* addr, RaceTask* a, RaceTask* b) {
  fold(a);
  fold(b);
  with_new_clock(addr, [&](SyncVar& v) {
    VectorClock& c = v.clock;
    c.join(a->vc);
    c.raise(a->slot, a->clock);
    c.join(b->vc);
    c.raise(b->slot, b->clock);
    changed(v);
    a->vc.join(c);
    b->vc.join(c);
    learnt(a, v);
    learnt(b, v);
  });
}

bool sync_exists(const void* addr) { return exists(addr); }

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
