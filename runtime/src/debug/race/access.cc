// The checks instrumented code calls before each access (abi.h): FastTrack's, on the two cells
// of each granule (shadow.h, cell.h).
//
// An access conflicts with a recorded one when they touch a common byte, at least one writes, they
// are not both atomic, and the recorded one is not ordered before the current task (its epoch is
// not covered by the task's vector clock): that is a race. Then the access is recorded: merged into
// a cell of the same epoch and kind; else in place of a cell it subsumes (one of the task's own, or
// one ordered before it, on no byte the access does not touch, and no stronger: a read does not
// replace a write, an atomic access not a plain one); else in an empty cell; else the weakest of
// the three is forgotten: first a recorded one ordered before this access on bytes it touches too
// (this access stands for it there), then the weaker kind (an atomic read before a plain read,
// before an atomic write, before a plain write), between equals this access before a recorded
// one (concurrent with it, it may race with this task's next access; on other bytes, it is all
// that is known of them). Two cells keep,
// for instance, two fibers' writes to adjacent elements of one array, or two concurrent reads,
// either of which a later access may race with, or data and the atomic flag next to it. The fast
// path — the task touched these bytes in this epoch already, as strongly — is two loads and
// comparisons.
//
// Atomics are checked as accesses that never conflict with each other, and synchronize by their
// memory order: a releasing one publishes the task's clock at its address, an acquiring one
// (after the operation) takes what was published there. Fences: a release fence makes the
// task's later relaxed stores publish its clock as of the fence; an acquire fence takes what the
// task's relaxed reads (loads, and read-modify-writes) before it could have acquired.
#include <algorithm>
#include <atomic>

#include "abi.h"
#include "alloc.h"
#include "engine.h"
#include "race_task.h"
#include "report.h"
#include "shadow.h"
#include "stacks.h"
#include "sync.h"

extern "C" thread_local const weave::race_abi::Loc* __weave_callsite;

namespace weave::detail::race {
namespace {

namespace abi = race_abi;

[[gnu::always_inline]] inline bool ordered(const RaceTask* t, u64 cell) {
  const u32 s = cell_slot(cell);
  return s == t->slot || cell_clock(cell) <= knows(t, s);
}

[[gnu::always_inline]] inline bool conflicts(const RaceTask* t, u64 cell, u32 mask, bool write,
                                             bool atomic) {
  return cell != 0 && (cell_mask(cell) & mask) != 0 && (write || cell_write(cell)) &&
         !(atomic && cell_atomic(cell)) && !ordered(t, cell);
}

// Whether a cell of the task's current epoch already says all this access would.
[[gnu::always_inline]] inline bool covers(const RaceTask* t, u64 cell, u32 mask, bool write,
                                          bool atomic) {
  return (cell & kEpochBits) == t->epoch && (cell_mask(cell) & mask) == mask &&
         (cell_write(cell) || !write) && (!cell_atomic(cell) || atomic);
}

// Whether a cell is one of the task's current epoch and of the access's kind: the access merges
// into it (record_in).
[[gnu::always_inline]] inline bool same_epoch_and_kind(const RaceTask* t, u64 cell, bool write,
                                                       bool atomic) {
  return (cell & kEpochBits) == t->epoch && cell_write(cell) == write &&
         cell_atomic(cell) == atomic;
}

// Whether the access makes the recorded one useless: whatever would race with that one races
// with this one (see the top).
[[gnu::always_inline]] inline bool subsumes(const RaceTask* t, u64 cell, u32 mask, bool write,
                                            bool atomic) {
  return (cell_mask(cell) & ~mask) == 0 && (write || !cell_write(cell)) &&
         (!atomic || cell_atomic(cell)) && ordered(t, cell);
}

// How much a race is likelier to involve an access: a plain write most, an atomic read least (it
// races only with a plain write).
inline int rank(u64 cell) { return (cell_write(cell) ? 2 : 0) + (cell_atomic(cell) ? 0 : 1); }

// What keeping a recorded access is worth against the others and the access made now (which
// counts as kNow + rank * 2; see the top).
constexpr int kNow = 4;
inline int value(const RaceTask* t, u64 cell, u32 mask) {
  const bool stands_for = (cell_mask(cell) & mask) != 0 && ordered(t, cell);
  return stands_for ? rank(cell) : kNow + rank(cell) * 2 + 1;
}

[[gnu::always_inline]] inline Cell& cell(const GranuleShadow& g, int i) {
  return i == 0 ? *g.first : g.second();
}

// After the access's record is in cell `at`: an access recorded in the other cell since the check
// (`checked`) is checked now. Two tasks recording into the two cells of a granule at once thus
// see each other, one or both: each swaps, then loads the other cell, and both steps are
// sequentially consistent, so the later of the two loads comes after both swaps. (A writer and a
// reader of one field that each touch it once, at the same moment, would otherwise go unseen.)
[[gnu::noinline]] void recheck_slow(RaceTask* t, Cell& other, u64 checked, uptr a, u32 size,
                                    u32 mask, bool write, bool atomic, const Loc* loc) {
  const u64 now = other.load(std::memory_order_seq_cst);
  if (now != checked && conflicts(t, now, mask, write, atomic)) {
    report_race(t, a, {write, atomic, size}, loc, now, cell_write(now));
  }
}
[[gnu::always_inline]] inline void recheck_other(RaceTask* t, const GranuleShadow& g, int at,
                                                 u64 checked, uptr a, u32 size, u32 mask,
                                                 bool write, bool atomic, const Loc* loc) {
  Cell& other = cell(g, 1 - at);
  // Most memory has one owner: its chunk has no second cells, nor will while it has one (the
  // first-level entry says so, and says it again if another task paired the chunk meanwhile).
  if (at == 1 || g.paired || (shadow_entry(a) & kPaired)) {
    if (other.load(std::memory_order_seq_cst) != checked) {
      recheck_slow(t, other, checked, a, size, mask, write, atomic, loc);
    }
  }
}

// The access is in the shadow now: the slot's next holder must know it (slots.h), and a stack's
// end must clear it (task_end).
[[gnu::always_inline]] inline void recorded(RaceTask* t, const GranuleShadow& g, uptr a) {
  t->last_access_clock = t->clock;
  if (a - t->stack_lo < t->stack_hi - t->stack_lo) {
    if (a < t->stack_recorded) t->stack_recorded = a;
  } else if (g.stack) {
    shadow_note_foreign(a);
  }
}

// record's one attempt on the cells as loaded: false when a cell changed before the swap.
bool record_in(RaceTask* t, GranuleShadow* g, const u64* cells, uptr a, u32 size, u32 mask,
               bool write, bool atomic, const Loc* loc) {
  for (int i = 0; i < 2; ++i) {
    const u64 c = cells[i];
    if (conflicts(t, c, mask, write, atomic)) {
      report_race(t, a, {write, atomic, size}, loc, c, cell_write(c));
    }
  }
  int at = -1;
  u32 m = mask;
  for (int i = 0; i < 2 && at < 0; ++i) {  // the same epoch and kind: one cell for both
    const u64 c = cells[i];
    if (same_epoch_and_kind(t, c, write, atomic)) {
      at = i;
      m |= cell_mask(c);
    }
  }
  for (int i = 0; i < 2 && at < 0; ++i) {
    if (cells[i] != 0 && subsumes(t, cells[i], mask, write, atomic)) at = i;
  }
  for (int i = 0; i < 2 && at < 0; ++i) {
    if (cells[i] == 0) at = i;
  }
  if (at < 0) {
    // Both cells hold accesses this one does not make useless: the weakest of the three goes.
    const int r0 = value(t, cells[0], mask);
    const int r1 = value(t, cells[1], mask);
    at = r0 <= r1 ? 0 : 1;
    if (kNow + rank(make_cell(0, 0, write, atomic, 0)) * 2 < (at ? r1 : r0)) return true;
  }
  if (at == 1) shadow_pair(a, g);
  u64 seen = cells[at];
  if (!cell(*g, at).compare_exchange_strong(
          seen, make_cell(t->epoch, m, write, atomic, access_site(t, loc)),
          std::memory_order_seq_cst)) {
    return false;  // another task's access came in between: check again
  }
  recheck_other(t, *g, at, cells[1 - at], a, size, mask, write, atomic, loc);
  // The other cell, if this access subsumes it too, adds nothing any more.
  seen = cells[1 - at];
  if (seen != 0 && subsumes(t, seen, mask, write, atomic)) {
    cell(*g, 1 - at).compare_exchange_strong(seen, 0, std::memory_order_relaxed);
  }
  recorded(t, *g, a);
  return true;
}

// Checks the access against the granule's cells and records it in one. Every cell is replaced by
// compare-and-swap from what was checked: two tasks replacing the same cell at the same moment
// would otherwise both store, the second erasing the first unseen; the one whose swap fails
// checks again, and sees the other. Two tasks storing into different cells at the same moment
// see each other through recheck_other.
//
// The common cases take the swap inline (record): an empty granule, and an access that replaces
// one it subsumes where the granule's other cell, if any, cannot race with it: the task's own
// access again after a release (a private array, a local that escaped, a channel both sides
// read), another task's access ordered before it (data handed over).
[[gnu::noinline]] void record_slow(RaceTask* t, GranuleShadow g, u64 c0, u64 c1, uptr a, u32 size,
                                   u32 mask, bool write, bool atomic, const Loc* loc) {
  for (;;) {
    const u64 cells[2] = {c0, c1};
    if (record_in(t, &g, cells, a, size, mask, write, atomic, loc)) return;
    g.paired = g.paired || (shadow_entry(a) & kPaired);  // another task may have paired it
    c0 = g.first->load(std::memory_order_relaxed);
    c1 = g.load_second();
  }
}

// Whether the access goes in place of the recorded access c, the granule's other cell holding
// `other`, as record_in would put it: c is one it subsumes (the task's own again after a release,
// another task's ordered before it), and `other` neither races with it nor is of its epoch and
// kind (record_in merges the access into that one).
[[gnu::always_inline]] inline bool replaces(const RaceTask* t, u64 c, u64 other, u32 mask,
                                            bool write, bool atomic) {
  return c != 0 && subsumes(t, c, mask, write, atomic) &&
         !conflicts(t, other, mask, write, atomic) && !same_epoch_and_kind(t, other, write, atomic);
}

// record's other cases, out of line.
[[gnu::noinline]] void record_other(RaceTask* t, GranuleShadow g, u64 c0, u64 c1, uptr a, u32 size,
                                    u32 mask, bool write, bool atomic, const Loc* loc) {
  // A plain read where two other tasks' plain reads, concurrent with it, are kept: nothing
  // races, and record_in would keep them over this one (see the top). Data many tasks read.
  // (A task's own access is ordered before it.)
  if (!write && !atomic && c0 != 0 && c1 != 0 && ((c0 | c1) & (kWriteBit | kAtomicBit)) == 0 &&
      !ordered(t, c0) && !ordered(t, c1)) {
    return;
  }
  record_slow(t, g, c0, c1, a, size, mask, write, atomic, loc);
}

// Inline, and short: every access after a release takes it.
[[gnu::always_inline]] inline void record(RaceTask* t, const GranuleShadow& g, u64 c0, u64 c1,
                                          uptr a, u32 size, u32 mask, bool write, bool atomic,
                                          const Loc* loc) {
  int at = -1;
  if (c0 == 0 && c1 == 0) {
    at = 0;
  } else if (replaces(t, c0, c1, mask, write, atomic)) {
    at = 0;
  } else if (replaces(t, c1, c0, mask, write, atomic)) {
    at = 1;
  }
  if (at < 0) return record_other(t, g, c0, c1, a, size, mask, write, atomic, loc);
  // A swap, not a store: another task may be replacing the same cell at this very instant, and
  // the loser of the two must check again and see the other's access (two fibers' first
  // increments of a counter that overlap, and lose an update, are exactly the race to report).
  u64 seen = at == 0 ? c0 : c1;
  if (!cell(g, at).compare_exchange_strong(
          seen, make_cell(t->epoch, mask, write, atomic, access_site(t, loc)),
          std::memory_order_seq_cst)) {
    return record_slow(t, g, g.first->load(std::memory_order_relaxed), g.load_second(), a, size,
                       mask, write, atomic, loc);
  }
  recheck_other(t, g, at, at == 0 ? c1 : c0, a, size, mask, write, atomic, loc);
  recorded(t, g, a);
}

// One granule: [a, a + size) does not cross an 8-byte boundary.
template <bool kWrite>
[[gnu::always_inline]] inline void check_granule(RaceTask* t, uptr a, u32 size, bool atomic,
                                                 const Loc* loc) {
  const GranuleShadow g = shadow_granule(a);
  const u32 mask = ((1u << size) - 1) << (a & 7);
  const u64 c0 = g.first->load(std::memory_order_relaxed);
  if (covers(t, c0, mask, kWrite, atomic)) return;
  // Most memory has one owner at a time: its chunk has no second cells (each case inlined apart).
  if (!g.paired) return record(t, g, c0, 0, a, size, mask, kWrite, atomic, loc);
  const u64 c1 = g.second().load(std::memory_order_relaxed);
  if (covers(t, c1, mask, kWrite, atomic)) return;
  record(t, g, c0, c1, a, size, mask, kWrite, atomic, loc);
}

template <bool kWrite>
[[gnu::noinline]] void check_range(RaceTask* t, uptr a, uptr size, bool atomic, const Loc* loc) {
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

void release(RaceTask* t, const void* addr, u32 size) {
  if (t->finished) return;
  sync_release(addr, t, size);
  tick(t);
}

void acquire(RaceTask* t, const void* addr, u32 size) {
  if (t->finished) return;
  sync_acquire(addr, t, size);
}

void acquire_release(RaceTask* t, const void* addr) {
  if (t->finished) return;
  sync_acquire_release(addr, t);
  tick(t);
}

void exchange(RaceTask* a, RaceTask* b, const void* addr) {
  if (a->finished || b->finished) {
    release(a, addr);
    acquire_release(b, addr);
    acquire(a, addr);
    return;
  }
  sync_exchange(addr, a, b);
  tick(a);
  tick(b);
}

namespace {
// The timer thread's clock before the fire in progress (fire_begins): only that thread fires.
thread_local VectorClock t_before_fire;
}  // namespace

void fire_begins(const void* timer) {
  RaceTask* t = running_task();
  if (!t || t->finished) return;
  fold(t);
  t_before_fire.assign(t->vc);
  sync_acquire(timer, t);
}

void fire_ends() {
  RaceTask* t = running_task();
  if (!t || t->finished) return;
  t->vc.assign(t_before_fire);
  // What it knew during the fire, and released then, it no longer does.
  t->tenure = t->vc_changed = t->clock;
  t->acquired = kNoStamp;
}

void check_object(const void* addr, bool write) {
  RaceTask* t = access_task();
  if (!t) return;
  const Loc* loc = __weave_callsite;
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
      release(t, p, size);
    } else if (t->fence_release) {
      sync_release_clock(p, *t->fence_release, size);
    }
  }
}

// After the read (abi.h): a store publishes its clock before it lands, so what was published by
// then covers the value read.
void __weave_atomic_after(const void* p, std::uint32_t flags, bool ok) {
  RaceTask* t = running_task();
  if (!t) return;
  const abi::Order order = ok ? abi::flags_order(flags) : abi::flags_fail_order(flags);
  const u32 size = std::max(abi::flags_size(flags), 1u);
  if (abi::acquires(order)) {
    acquire(t, p, size);
  } else if (!t->finished && g_acquire_fences.load(std::memory_order_relaxed)) {
    if (!t->fence_acquire) t->fence_acquire = raw_new<VectorClock>();
    sync_acquire_clock(p, t->fence_acquire, size);
  }
}

void __weave_fence(std::uint32_t order_value) {
  RaceTask* t = running_task();
  if (!t || t->finished) return;
  const auto order = static_cast<abi::Order>(order_value);
  fold(t);
  if (abi::acquires(order) && t->fence_acquire) {
    t->vc.join(*t->fence_acquire);
    t->vc_changed = t->clock;
  }
  if (abi::releases(order)) {
    if (!t->fence_release) t->fence_release = raw_new<VectorClock>();
    t->fence_release->assign(t->vc);
    t->fence_release->raise(t->slot, t->clock);
    tick(t);
  }
}

}  // extern "C"

void weave::detail::race::check_written(const void* addr, std::size_t size) {
  __weave_write_range(addr, size, __weave_callsite);
}
