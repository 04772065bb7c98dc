#include "shadow.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include "debug/heap.h"
#include "spinlock.h"

namespace weave::detail::race {

std::atomic<uptr>* g_shadow_l1 = nullptr;

namespace {

constexpr std::size_t kL1Entries = std::size_t{1} << (kAddressBits - kChunkShift);
constexpr std::size_t kHalfBytes = kChunkGranules * sizeof(Cell);
constexpr std::size_t kChunkBytes = 2 * kHalfBytes;
// Chunks are cut from arenas reserved this many at a time (reservations cost address space only).
constexpr std::size_t kArenaChunks = 8192;

SpinLock g_arena_lock;
char* g_arena_next = nullptr;  // guarded by g_arena_lock
char* g_arena_end = nullptr;   // guarded by g_arena_lock
// Chunks some of whose pages went back to the kernel (shadow_clear), by first-level index, with
// their tags: taken out of the first level, so that the next access there comes through
// shadow_chunk_slow, which backs them again before any cell is read (see there). Written under
// g_arena_lock.
std::atomic<uptr>* g_returned = nullptr;

[[noreturn]] void out_of_address_space(const char* what) {
  std::fprintf(stderr, "weave race detector: cannot reserve %s\n", what);
  std::abort();
}

// Addresses outside the user half (never dereferenceable by the program) all share one chunk,
// whose cells then mean nothing.
uptr junk_chunk() {
  static const uptr junk = reinterpret_cast<uptr>(reserve(kChunkBytes, "shadow memory")) | kPaired;
  return junk;
}

std::size_t page_size() {
  static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

// Zeroes the cells that are not zero: a shadow page never written stays unbacked (reading it maps
// the kernel's zero page).
void clear_cells(Cell* from, Cell* to) {
  for (Cell* c = from; c < to; ++c) {
    if (c->load(std::memory_order_relaxed)) c->store(0, std::memory_order_relaxed);
  }
}

// Linux 5.14's; an older kernel refuses it and the pages fault as touched.
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

// Backs a half before any of its cells is read: otherwise each page's first check maps the
// kernel's zero page and the first record replaces it, a second fault with a TLB shootdown on
// every other CPU. Memory is mostly touched densely; a stack is the exception (only its top is
// used), and its chunks are made unbacked beforehand (shadow_make_sparse).
void back(Cell* half) { madvise(half, kHalfBytes, MADV_POPULATE_WRITE); }

// The entry of addr's chunk, made if it has none (sparse: left unbacked, else its first half
// backed); g_arena_lock is held.
uptr make_chunk_locked(uptr addr, bool sparse) {
  std::atomic<uptr>& slot = g_shadow_l1[addr >> kChunkShift];
  uptr entry = slot.load(std::memory_order_acquire);
  if (entry) return entry;
  entry = g_returned[addr >> kChunkShift].load(std::memory_order_relaxed);
  if (entry) {
    g_returned[addr >> kChunkShift].store(0, std::memory_order_relaxed);
  } else {
    if (g_arena_next == g_arena_end) {
      g_arena_next = static_cast<char*>(reserve(kArenaChunks * kChunkBytes, "shadow memory"));
      g_arena_end = g_arena_next + kArenaChunks * kChunkBytes;
    }
    entry = reinterpret_cast<uptr>(g_arena_next) | (sparse ? kSparse : 0);
    g_arena_next += kChunkBytes;
  }
  if (!(entry & kSparse)) {
    back(shadow_cells(entry));
    if (entry & kPaired) back(shadow_cells(entry) + kChunkGranules);
  }
  slot.store(entry, std::memory_order_release);
  return entry;
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
  g_shadow_l1 = static_cast<std::atomic<uptr>*>(
      reserve(kL1Entries * sizeof(std::atomic<uptr>), "the shadow table"));
  g_returned = static_cast<std::atomic<uptr>*>(
      reserve(kL1Entries * sizeof(std::atomic<uptr>), "the shadow table"));
}

uptr shadow_chunk_slow(uptr addr) {
  if (addr >> kAddressBits) return junk_chunk();
  uptr entry = g_shadow_l1[addr >> kChunkShift].load(std::memory_order_acquire);
  if (entry) return entry;
  g_arena_lock.lock();
  entry = make_chunk_locked(addr, /*sparse=*/false);
  g_arena_lock.unlock();
  return entry;
}

void shadow_pair(uptr addr, GranuleShadow* g) {
  if (g->paired) return;
  g->paired = true;
  if (addr >> kAddressBits) return;  // the junk chunk is paired
  std::atomic<uptr>& slot = g_shadow_l1[addr >> kChunkShift];
  if (slot.load(std::memory_order_acquire) & kPaired) return;
  g_arena_lock.lock();
  // The chunk may have left the first level since (its pages returned): it is made again first.
  const uptr entry = make_chunk_locked(addr, /*sparse=*/false);
  if (!(entry & kPaired)) {
    // A stack's second half is backed page by page as touched, as its first is.
    if (!(entry & kSparse)) back(shadow_cells(entry) + kChunkGranules);
    slot.fetch_or(kPaired, std::memory_order_release);  // a stack's kForeign may come meanwhile
  }
  g_arena_lock.unlock();
}

void shadow_make_sparse(uptr lo, uptr hi) {
  if (!g_shadow_l1 || lo >= hi || (hi >> kAddressBits)) return;
  const uptr first = lo >> kChunkShift;
  const uptr last = (hi - 1) >> kChunkShift;
  bool all = true;
  for (uptr i = first; i <= last && all; ++i) {
    all = g_shadow_l1[i].load(std::memory_order_relaxed) != 0;
  }
  if (all) return;  // a recycled stack: the common case
  g_arena_lock.lock();
  for (uptr i = first; i <= last; ++i) make_chunk_locked(i << kChunkShift, /*sparse=*/true);
  g_arena_lock.unlock();
}

bool shadow_stack_private(uptr lo, uptr hi) {
  if (!g_shadow_l1 || lo >= hi || (hi >> kAddressBits)) return false;
  for (uptr i = lo >> kChunkShift; i <= (hi - 1) >> kChunkShift; ++i) {
    if ((g_shadow_l1[i].load(std::memory_order_relaxed) & (kSparse | kForeign)) != kSparse) {
      return false;
    }
  }
  return true;
}

// The shadow of a freed range is given back to the kernel from this many pages (the shadow of
// 32 KiB); below, it is zeroed in place. Small blocks go back to the heap, which hands them out
// again soon, and a returned page costs a fault on its next use; keeping the shadow of large
// ones would raise the peak memory for little time. A chunk that returned pages leaves the first
// level until its next use backs it again (shadow_chunk_slow).
constexpr uptr kReturnedPages = 8;

namespace {
// The entry of addr's chunk, in the first level or out of it (its pages returned), if it has one.
uptr entry_of(uptr addr) {
  uptr entry = g_shadow_l1[addr >> kChunkShift].load(std::memory_order_acquire);
  if (entry || !g_returned[addr >> kChunkShift].load(std::memory_order_relaxed)) return entry;
  g_arena_lock.lock();
  entry = g_shadow_l1[addr >> kChunkShift].load(std::memory_order_acquire);
  if (!entry) entry = g_returned[addr >> kChunkShift].load(std::memory_order_relaxed);
  g_arena_lock.unlock();
  return entry;
}

// Clears [from, to) of one half; true if whole pages of it went back to the kernel.
bool clear_half(Cell* from, Cell* to) {
  const uptr page = page_size();
  const uptr inner_from = (reinterpret_cast<uptr>(from) + page - 1) & ~(page - 1);
  const uptr inner_to = reinterpret_cast<uptr>(to) & ~(page - 1);
  if (inner_to < inner_from + kReturnedPages * page) {
    clear_cells(from, to);
    return false;
  }
  // Whole pages go back to the kernel, which gives zeroes on the next touch.
  clear_cells(from, reinterpret_cast<Cell*>(inner_from));
  madvise(reinterpret_cast<void*>(inner_from), inner_to - inner_from, MADV_DONTNEED);
  clear_cells(reinterpret_cast<Cell*>(inner_to), to);
  return true;
}
}  // namespace

void shadow_clear(uptr lo, uptr hi) {
  if (!g_shadow_l1 || lo >= hi || (lo >> kAddressBits)) return;
  if (hi >> kAddressBits) hi = uptr{1} << kAddressBits;
  lo &= ~((uptr{1} << kGranuleShift) - 1);
  while (lo < hi) {
    const uptr chunk_end = (lo | ((uptr{1} << kChunkShift) - 1)) + 1;
    const uptr end = hi < chunk_end ? hi : chunk_end;
    if (const uptr entry = entry_of(lo)) {
      Cell* from = shadow_cells(entry) + ((lo >> kGranuleShift) & (kChunkGranules - 1));
      // A partial granule at the end is cleared whole: it belonged to the range's last object.
      Cell* to = from + ((end - lo + (uptr{1} << kGranuleShift) - 1) >> kGranuleShift);
      bool returned = clear_half(from, to);
      if (entry & kPaired) returned |= clear_half(from + kChunkGranules, to + kChunkGranules);
      if (returned && !(entry & kSparse)) {
        // A chunk cleared whole needs no second cells any more: its next memory may have one
        // owner.
        const bool whole = to - from == static_cast<std::ptrdiff_t>(kChunkGranules);
        std::atomic<uptr>& slot = g_shadow_l1[lo >> kChunkShift];
        g_arena_lock.lock();
        if (slot.load(std::memory_order_relaxed) == entry) {
          slot.store(0, std::memory_order_relaxed);
          g_returned[lo >> kChunkShift].store(whole ? entry & ~kPaired : entry,
                                              std::memory_order_relaxed);
        }
        g_arena_lock.unlock();
      }
    }
    lo = end;
  }
}

}  // namespace weave::detail::race
