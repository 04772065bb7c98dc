#include "shadow.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "debug/heap.h"
#include "spinlock.h"

namespace weave::detail::race {

std::atomic<Granule*>* g_shadow_l1 = nullptr;

namespace {

constexpr std::size_t kL1Entries = std::size_t{1} << (kAddressBits - kChunkShift);
constexpr std::size_t kChunkBytes = kChunkGranules * sizeof(Granule);
// Chunks are cut from arenas reserved this many at a time (reservations cost address space only).
constexpr std::size_t kArenaChunks = 8192;

SpinLock g_arena_lock;
char* g_arena_next = nullptr;  // guarded by g_arena_lock
char* g_arena_end = nullptr;   // guarded by g_arena_lock
std::atomic<std::size_t> g_chunks{0};
// Chunks some of whose pages went back to the kernel (shadow_clear), by first-level index: taken
// out of the first level, so that the next access there comes through shadow_chunk_slow, which
// backs them again before any cell is read (see there). Written under g_arena_lock.
std::atomic<Granule*>* g_returned = nullptr;

[[noreturn]] void out_of_address_space(const char* what) {
  std::fprintf(stderr, "weave race detector: cannot reserve %s\n", what);
  std::abort();
}

// Addresses outside the user half (never dereferenceable by the program) all share one chunk,
// whose cells then mean nothing.
Granule* junk_chunk() {
  static Granule* junk = static_cast<Granule*>(reserve(kChunkBytes, "shadow memory"));
  return junk;
}

std::size_t page_size() {
  static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

// Zeroes the cells that are not zero: a shadow page never written stays unbacked (reading it maps
// the kernel's zero page).
void clear_cells(Granule* from, Granule* to) {
  for (Granule* g = from; g < to; ++g) {
    for (auto& c : g->cell) {
      if (c.load(std::memory_order_relaxed)) c.store(0, std::memory_order_relaxed);
    }
  }
}

// Linux 5.14's; an older kernel refuses it and the pages fault as touched.
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

// The chunk of addr, made if it has none (backed whole if `back`); g_arena_lock is held.
Granule* make_chunk_locked(uptr addr, bool back) {
  std::atomic<Granule*>& slot = g_shadow_l1[addr >> kChunkShift];
  Granule* chunk = slot.load(std::memory_order_acquire);
  if (chunk) return chunk;
  chunk = g_returned[addr >> kChunkShift].load(std::memory_order_relaxed);
  if (chunk) {
    g_returned[addr >> kChunkShift].store(nullptr, std::memory_order_relaxed);
  } else {
    if (g_arena_next == g_arena_end) {
      g_arena_next = static_cast<char*>(reserve(kArenaChunks * kChunkBytes, "shadow memory"));
      g_arena_end = g_arena_next + kArenaChunks * kChunkBytes;
    }
    chunk = reinterpret_cast<Granule*>(g_arena_next);
    g_arena_next += kChunkBytes;
    g_chunks.fetch_add(1, std::memory_order_relaxed);
  }
  // Backed before any cell is read: otherwise each page's first check maps the kernel's zero
  // page and the first record replaces it, a second fault with a TLB shootdown on every other
  // CPU. Memory is mostly touched densely; a stack is the exception (only its top is used), and
  // its chunks are made unbacked beforehand (shadow_make_sparse).
  if (back) madvise(chunk, kChunkBytes, MADV_POPULATE_WRITE);
  slot.store(chunk, std::memory_order_release);
  return chunk;
}

}  // namespace

void* reserve(std::size_t bytes, const char* what) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) out_of_address_space(what);
  debug::heap::note_private_mapping(p, bytes);  // no handle of the program's in it (reach.h)
  return p;
}

void shadow_init() {
  if (g_shadow_l1) return;
  g_shadow_l1 = static_cast<std::atomic<Granule*>*>(
      reserve(kL1Entries * sizeof(std::atomic<Granule*>), "the shadow table"));
  g_returned = static_cast<std::atomic<Granule*>*>(
      reserve(kL1Entries * sizeof(std::atomic<Granule*>), "the shadow table"));
}

Granule* shadow_chunk_slow(uptr addr) {
  if (addr >> kAddressBits) return junk_chunk();
  Granule* chunk = g_shadow_l1[addr >> kChunkShift].load(std::memory_order_acquire);
  if (chunk) return chunk;
  g_arena_lock.lock();
  chunk = make_chunk_locked(addr, /*back=*/true);
  g_arena_lock.unlock();
  return chunk;
}

void shadow_make_sparse(uptr lo, uptr hi) {
  if (!g_shadow_l1 || lo >= hi || (hi >> kAddressBits)) return;
  const uptr first = lo >> kChunkShift;
  const uptr last = (hi - 1) >> kChunkShift;
  bool all = true;
  for (uptr i = first; i <= last && all; ++i) {
    all = g_shadow_l1[i].load(std::memory_order_relaxed) != nullptr;
  }
  if (all) return;  // a recycled stack: the common case
  g_arena_lock.lock();
  for (uptr i = first; i <= last; ++i) make_chunk_locked(i << kChunkShift, /*back=*/false);
  g_arena_lock.unlock();
}

// The shadow of a freed range is given back to the kernel from this many pages (the shadow of
// 32 KiB); below, it is zeroed in place. Small blocks go back to the heap, which hands them out
// again soon, and a returned page costs a fault on its next use; keeping the shadow of large
// ones would raise the peak memory for little time. A chunk that returned pages leaves the first
// level until its next use backs it again (shadow_chunk_slow).
constexpr uptr kReturnedPages = 16;

namespace {
// The chunk of addr, in the first level or out of it (its pages returned), if it has one.
Granule* chunk_of(uptr addr) {
  Granule* chunk = g_shadow_l1[addr >> kChunkShift].load(std::memory_order_acquire);
  if (chunk || !g_returned[addr >> kChunkShift].load(std::memory_order_relaxed)) return chunk;
  g_arena_lock.lock();
  chunk = g_shadow_l1[addr >> kChunkShift].load(std::memory_order_acquire);
  if (!chunk) chunk = g_returned[addr >> kChunkShift].load(std::memory_order_relaxed);
  g_arena_lock.unlock();
  return chunk;
}
}  // namespace

void shadow_clear(uptr lo, uptr hi) {
  if (!g_shadow_l1 || lo >= hi || (lo >> kAddressBits)) return;
  if (hi >> kAddressBits) hi = uptr{1} << kAddressBits;
  lo &= ~((uptr{1} << kGranuleShift) - 1);
  while (lo < hi) {
    const uptr chunk_end = (lo | ((uptr{1} << kChunkShift) - 1)) + 1;
    const uptr end = hi < chunk_end ? hi : chunk_end;
    if (Granule* chunk = chunk_of(lo)) {
      Granule* from = chunk + ((lo >> kGranuleShift) & (kChunkGranules - 1));
      // A partial granule at the end is cleared whole: it belonged to the range's last object.
      Granule* to = from + ((end - lo + (uptr{1} << kGranuleShift) - 1) >> kGranuleShift);
      const uptr page = page_size();
      const uptr inner_from = (reinterpret_cast<uptr>(from) + page - 1) & ~(page - 1);
      const uptr inner_to = reinterpret_cast<uptr>(to) & ~(page - 1);
      if (inner_to >= inner_from + kReturnedPages * page) {
        // Whole pages go back to the kernel, which gives zeroes on the next touch.
        clear_cells(from, reinterpret_cast<Granule*>(inner_from));
        madvise(reinterpret_cast<void*>(inner_from), inner_to - inner_from, MADV_DONTNEED);
        clear_cells(reinterpret_cast<Granule*>(inner_to), to);
        std::atomic<Granule*>& slot = g_shadow_l1[lo >> kChunkShift];
        g_arena_lock.lock();
        if (slot.load(std::memory_order_relaxed) == chunk) {
          slot.store(nullptr, std::memory_order_relaxed);
          g_returned[lo >> kChunkShift].store(chunk, std::memory_order_relaxed);
        }
        g_arena_lock.unlock();
      } else {
        clear_cells(from, to);
      }
    }
    lo = end;
  }
}

std::size_t shadow_reserved_bytes() {
  return g_chunks.load(std::memory_order_relaxed) * kChunkBytes;
}

}  // namespace weave::detail::race
