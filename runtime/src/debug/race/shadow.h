// Shadow memory: for every 8-byte granule of application memory, two recent accesses that matter
// (cell.h; access.cc says which), found in constant time through a two-level table.
//
// The first level has an entry per 64 KiB of the 47-bit user address space (a 16 GiB reservation
// of which only the pages covering memory the program touches are ever backed); an entry points
// at a chunk of 8192 granule pairs (128 KiB of shadow per 64 KiB of memory), made on first use.
// Memory costs twice the application bytes whose chunks are touched: a chunk is backed whole when
// made (shadow.cc says why), except a stack's, backed page by page.
//
// Cells are read and written with relaxed atomics and no lock: two tasks checking the same granule
// at once may each miss the other's access (never report a false race). Clearing a range (freed
// memory, a recycled stack) zeroes its cells, or returns whole shadow pages to the kernel.
#pragma once

#include <atomic>
#include <cstddef>

#include "cell.h"

namespace weave::detail::race {

struct Granule {
  std::atomic<u64> cell[2];
};

constexpr int kGranuleShift = 3;
constexpr int kChunkShift = 16;
constexpr uptr kChunkGranules = uptr{1} << (kChunkShift - kGranuleShift);
constexpr int kAddressBits = 47;

extern std::atomic<Granule*>* g_shadow_l1;

void shadow_init();
// Zeroed address space for the engine's tables, committed page by page as it is touched; `what`
// names it if it cannot be had (the process then ends).
void* reserve(std::size_t bytes, const char* what);
Granule* shadow_chunk_slow(uptr addr);

inline Granule* shadow_granule(uptr addr) {
  Granule* chunk =
      g_shadow_l1[(addr >> kChunkShift) & ((uptr{1} << (kAddressBits - kChunkShift)) - 1)].load(
          std::memory_order_acquire);
  if (__builtin_expect(chunk == nullptr, 0)) chunk = shadow_chunk_slow(addr);
  return chunk + ((addr >> kGranuleShift) & (kChunkGranules - 1));
}

// [lo, hi) is a stack: its chunks are made now, unbacked, so that its pages are backed one by one
// as they are touched (other chunks are backed whole when made: shadow.cc).
void shadow_make_sparse(uptr lo, uptr hi);

// Forgets every access to [lo, hi).
void shadow_clear(uptr lo, uptr hi);

// Bytes of shadow backed by chunks made so far (an upper bound on what is resident).
std::size_t shadow_reserved_bytes();

}  // namespace weave::detail::race
