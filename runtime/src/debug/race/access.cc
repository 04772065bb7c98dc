// The checks instrumented code calls before each access (abi.h): FastTrack's, on the two cells
// of each granule (shadow.h).
//
// A write conflicts with the last write and the last read, a read with the last write, when they
// touch a common byte, are not both atomic, and are not ordered before the current task (their
// epoch is not covered by its vector clock). Then the cells take the current access: the write
// cell always; the read cell unless it holds a read concurrent with this one (it is kept: one of
// two concurrent reads is enough to find a later unordered write). The fast path — the task
// touched these bytes in this epoch already — is a load and a comparison.
//
// Atomics are checked as accesses that never conflict with each other, and synchronize by their
// memory order: a releasing one publishes the task's clock at its address, an acquiring one
// (after the operation) takes what was published there. Fences: a release fence makes the
// task's later relaxed stores publish its clock as of the fence; an acquire fence takes what the
// relaxed loads since the last one could have acquired.
#include <atomic>

#include "abi.h"
#include "alloc.h"
#include "engine.h"
#include "race_task.h"
#include "report.h"
#include "shadow.h"
#include "stacks.h"
#include "sync.h"

namespace weave::detail::race {
namespace {

namespace abi = race_abi;

inline bool ordered(const RaceTask* t, u64 cell) {
  const u32 s = cell_slot(cell);
  return s == t->slot || cell_clock(cell) <= t->vc.get(s);
}

inline bool conflicts(const RaceTask* t, u64 cell, u32 mask, bool atomic) {
  return cell != 0 && (cell_mask(cell) & mask) != 0 && !(atomic && cell_atomic(cell)) &&
         !ordered(t, cell);
}

[[gnu::noinline]] void write_slow(RaceTask* t, Granule* g, uptr a, u32 size, u32 mask, bool atomic,
                                  const Loc* loc) {
  const u64 w = g->w.load(std::memory_order_relaxed);
  const u64 r = g->r.load(std::memory_order_relaxed);
  if (conflicts(t, w, mask, atomic)) report_race(t, a, {true, atomic, size}, loc, w, true);
  if (conflicts(t, r, mask, atomic)) report_race(t, a, {true, atomic, size}, loc, r, false);
  u32 m = mask;
  if ((w & kEpochBits) == t->epoch && cell_atomic(w) == atomic) m |= cell_mask(w);
  g->w.store(make_cell(t->epoch, m, atomic, access_site(t, loc)), std::memory_order_relaxed);
  t->last_access_clock = t->clock;
  // A read ordered before this write, of no byte it does not write, adds nothing any more.
  if (r != 0 && (cell_mask(r) & ~mask) == 0 && ordered(t, r)) {
    g->r.store(0, std::memory_order_relaxed);
  }
}

[[gnu::noinline]] void read_slow(RaceTask* t, Granule* g, uptr a, u32 size, u32 mask, bool atomic,
                                 const Loc* loc) {
  const u64 w = g->w.load(std::memory_order_relaxed);
  if (conflicts(t, w, mask, atomic)) report_race(t, a, {false, atomic, size}, loc, w, true);
  const u64 r = g->r.load(std::memory_order_relaxed);
  if (r != 0 && !ordered(t, r)) return;  // keep the concurrent read (see the top)
  u32 m = mask;
  if ((r & kEpochBits) == t->epoch && cell_atomic(r) == atomic) m |= cell_mask(r);
  g->r.store(make_cell(t->epoch, m, atomic, access_site(t, loc)), std::memory_order_relaxed);
  t->last_access_clock = t->clock;
}

// One granule: [a, a + size) does not cross an 8-byte boundary.
template <bool kWrite>
inline void check_granule(RaceTask* t, uptr a, u32 size, bool atomic, const Loc* loc) {
  Granule* g = shadow_granule(a);
  const u32 mask = ((1u << size) - 1) << (a & 7);
  const u64 same = t->epoch | (atomic ? kAtomicBit : 0);
  const u64 w = g->w.load(std::memory_order_relaxed);
  if ((w & (kEpochBits | kAtomicBit)) == same && (cell_mask(w) & mask) == mask) return;
  if (kWrite) {
    write_slow(t, g, a, size, mask, atomic, loc);
  } else {
    const u64 r = g->r.load(std::memory_order_relaxed);
    if ((r & (kEpochBits | kAtomicBit)) == same && (cell_mask(r) & mask) == mask) return;
    read_slow(t, g, a, size, mask, atomic, loc);
  }
}

template <bool kWrite>
void check_range(RaceTask* t, uptr a, uptr size, bool atomic, const Loc* loc) {
  const uptr end = a + size;
  while (a < end) {
    const uptr granule_end = (a | 7) + 1;
    const uptr n = (end < granule_end ? end : granule_end) - a;
    check_granule<kWrite>(t, a, static_cast<u32>(n), atomic, loc);
    a += n;
  }
}

template <u32 kSize, bool kWrite>
inline void check(const void* p, const Loc* loc) {
  RaceTask* t = access_task();
  if (!t) return;
  const uptr a = reinterpret_cast<uptr>(p);
  if (kSize <= 8 && (a & 7) + kSize <= 8) {
    check_granule<kWrite>(t, a, kSize, false, loc);
  } else {
    check_range<kWrite>(t, a, kSize, false, loc);
  }
}

}  // namespace

void release(RaceTask* t, const void* addr) {
  if (t->finished) return;
  sync_release(addr, t->vc);
  tick(t);
}

void acquire(RaceTask* t, const void* addr) {
  if (t->finished) return;
  sync_acquire(addr, &t->vc);
}

void check_object(const void* addr, bool write, const Loc* loc) {
  RaceTask* t = access_task();
  if (!t) return;
  if (write) {
    check_granule<true>(t, reinterpret_cast<uptr>(addr), 1, false, loc);
  } else {
    check_granule<false>(t, reinterpret_cast<uptr>(addr), 1, false, loc);
  }
}

}  // namespace weave::detail::race

using namespace weave::detail::race;
namespace abi = weave::race_abi;

extern "C" {

void __weave_read1(const void* p, const Loc* loc) { check<1, false>(p, loc); }
void __weave_read2(const void* p, const Loc* loc) { check<2, false>(p, loc); }
void __weave_read4(const void* p, const Loc* loc) { check<4, false>(p, loc); }
void __weave_read8(const void* p, const Loc* loc) { check<8, false>(p, loc); }
void __weave_read16(const void* p, const Loc* loc) { check<16, false>(p, loc); }
void __weave_write1(const void* p, const Loc* loc) { check<1, true>(p, loc); }
void __weave_write2(const void* p, const Loc* loc) { check<2, true>(p, loc); }
void __weave_write4(const void* p, const Loc* loc) { check<4, true>(p, loc); }
void __weave_write8(const void* p, const Loc* loc) { check<8, true>(p, loc); }
void __weave_write16(const void* p, const Loc* loc) { check<16, true>(p, loc); }

void __weave_read_range(const void* p, std::uint64_t size, const Loc* loc) {
  if (RaceTask* t = access_task())
    check_range<false>(t, reinterpret_cast<uptr>(p), size, false, loc);
}

void __weave_write_range(const void* p, std::uint64_t size, const Loc* loc) {
  if (RaceTask* t = access_task())
    check_range<true>(t, reinterpret_cast<uptr>(p), size, false, loc);
}

void __weave_atomic(const void* p, std::uint32_t size, std::uint32_t flags, const Loc* loc) {
  RaceTask* t = running_task();
  if (!t || t->finished) return;
  const abi::AtomicOp op = abi::flags_op(flags);
  const abi::Order order = abi::flags_order(flags);
  const uptr a = reinterpret_cast<uptr>(p);
  if (t->ignore == 0) {
    if (op == abi::kLoad) {
      check_range<false>(t, a, size, true, loc);
    } else {
      check_range<true>(t, a, size, true, loc);
    }
  }
  if (op != abi::kLoad) {
    if (abi::releases(order)) {
      release(t, p);
    } else if (t->fence_release) {
      sync_release(p, *t->fence_release);
    }
  } else if (!abi::acquires(order) && g_acquire_fences.load(std::memory_order_relaxed)) {
    if (!t->fence_acquire) t->fence_acquire = raw_new<VectorClock>();
    sync_acquire(p, t->fence_acquire);
  }
}

void __weave_atomic_after(const void* p, std::uint32_t flags, bool ok) {
  RaceTask* t = running_task();
  if (!t) return;
  const abi::Order order = ok ? abi::flags_order(flags) : abi::flags_fail_order(flags);
  if (abi::acquires(order)) acquire(t, p);
}

void __weave_fence(std::uint32_t order_value) {
  RaceTask* t = running_task();
  if (!t || t->finished) return;
  const auto order = static_cast<abi::Order>(order_value);
  if (abi::acquires(order) && t->fence_acquire) t->vc.join(*t->fence_acquire);
  if (abi::releases(order)) {
    if (!t->fence_release) t->fence_release = raw_new<VectorClock>();
    t->fence_release->assign(t->vc);
    tick(t);
  }
}

}  // extern "C"
