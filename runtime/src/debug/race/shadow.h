// Shadow memory: for every 8-byte granule of application memory, two recent accesses that matter
// (cell.h; access.cc says which), found in constant time through a two-level table.
//
// The first level has an entry per 64 KiB of the 47-bit user address space (a 16 GiB reservation
// of which only the pages covering memory the program touches are ever backed); an entry points
// at a chunk, made on first use: the first cells of its 8192 granules, then their second cells.
// Most memory has one owner at a time, and its granules never need a second cell; so a chunk's
// second half is backed only once some granule of it does (shadow_pair), and until then its
// second cells read as empty without being touched. Memory then costs the application bytes whose
// chunks are touched, twice where they are shared: a half is backed whole when it is first needed
// (shadow.cc says why), except a stack's, backed page by page.
//
// Cells are read and written with atomics and no lock: a cell is replaced by compare-and-swap, and
// two tasks that check one granule at once see each other (access.cc says how). Clearing a range
// (freed memory, a recycled stack) zeroes its cells, or returns whole shadow pages to the kernel.
#pragma once

#include <atomic>
#include <cstddef>

#include "cell.h"

namespace weave::detail::race {

using Cell = std::atomic<u64>;

constexpr int kGranuleShift = 3;
constexpr int kChunkShift = 16;
constexpr uptr kChunkGranules = uptr{1} << (kChunkShift - kGranuleShift);
constexpr int kAddressBits = 47;

// A first-level entry: the chunk's address, with these tags in its low bits (chunks are
// page-aligned).
constexpr uptr kPaired = 1;   // the second half is backed (or, for a stack, may be touched)
constexpr uptr kSparse = 2;   // a stack's: backed page by page as touched
constexpr uptr kForeign = 4;  // a stack's: a task recorded an access in it outside its own stack
constexpr uptr kTags = kPaired | kSparse | kForeign;

extern std::atomic<uptr>* g_shadow_l1;

void shadow_init();
// Zeroed address space for the engine's tables, committed page by page as it is touched; `what`
// names it if it cannot be had (the process then ends).
void* reserve(std::size_t bytes, const char* what);
uptr shadow_chunk_slow(uptr addr);

// The shadow of one granule: its first cell, whether its second may be other than empty, and
// whether it shadows a stack.
struct GranuleShadow {
  Cell* first;
  bool paired;
  bool stack;

  Cell& second() const { return first[kChunkGranules]; }
  u64 load_second() const { return paired ? second().load(std::memory_order_relaxed) : 0; }
};

// The first cell of an entry's chunk.
inline Cell* shadow_cells(uptr entry) { return reinterpret_cast<Cell*>(entry & ~kTags); }

inline std::atomic<uptr>& shadow_l1(uptr addr) {
  return g_shadow_l1[(addr >> kChunkShift) & ((uptr{1} << (kAddressBits - kChunkShift)) - 1)];
}

inline uptr shadow_entry(uptr addr) {
  const uptr e = shadow_l1(addr).load(std::memory_order_acquire);
  return __builtin_expect(e != 0, 1) ? e : shadow_chunk_slow(addr);
}

inline GranuleShadow shadow_granule(uptr addr) {
  const uptr e = shadow_entry(addr);
  return {shadow_cells(e) + ((addr >> kGranuleShift) & (kChunkGranules - 1)), (e & kPaired) != 0,
          (e & kSparse) != 0};
}

// A task recorded an access at addr, in a stack not its own (g.stack): that stack's end must
// clear more than its own task's accesses (shadow_stack_private). Relaxed: a record that the
// stack's task does not wait for before it ends is a race of the program's with that end.
inline void shadow_note_foreign(uptr addr) {
  std::atomic<uptr>& e = shadow_l1(addr);
  if (!(e.load(std::memory_order_relaxed) & kForeign)) {
    e.fetch_or(kForeign, std::memory_order_relaxed);
  }
}

// Whether every chunk of [lo, hi) is a stack's (shadow_make_sparse) in which no task recorded an
// access outside its own stack: then the cells of [lo, hi) hold only accesses of the tasks whose
// stack it was, each of which knows how deep it recorded.
bool shadow_stack_private(uptr lo, uptr hi);

// The second cells of addr's chunk are backed (if they were not) before g's second cell is
// written; g.paired is true after.
void shadow_pair(uptr addr, GranuleShadow* g);

// [lo, hi) is a stack: its chunks are made now, unbacked, so that its pages are backed one by one
// as they are touched (other chunks are backed half by half when needed: shadow.cc).
void shadow_make_sparse(uptr lo, uptr hi);

// Forgets every access to [lo, hi).
void shadow_clear(uptr lo, uptr hi);

}  // namespace weave::detail::race
