// The malloc family, interposed (see heap.h).
//
// These functions run before anything else of the program (the dynamic loader and libc allocate
// before any constructor), from any thread and from signal handlers that misbehave, so they use
// no constructor, no lock and no thread-local: the tables are mapped on first use, published by
// CAS.
//
// Under a sanitizer (AddressSanitizer, ThreadSanitizer), the malloc family is the sanitizer's: it
// is not interposed, the heap is not known, and the analysis does not run.
//
// Order: a chunk's bit is set after glibc hands it out and cleared before glibc gets it back, so
// that a chunk glibc hands out again is never cleared by its previous owner's late free. realloc
// moves a chunk as malloc, copy, free: at every instant one of the two holds the contents and is
// recorded (a thread stopped in the middle, for the analysis, loses nothing).
#include "debug/heap.h"

#include <errno.h>
#include <malloc.h>
#include <sys/mman.h>

#include <cstring>

#include "hooks.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEAVE_HEAP_INTERPOSED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define WEAVE_HEAP_INTERPOSED 0
#endif
#endif
#ifndef WEAVE_HEAP_INTERPOSED
#define WEAVE_HEAP_INTERPOSED 1
#endif

extern "C" {
void* __libc_malloc(std::size_t n);
void __libc_free(void* p);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_memalign(std::size_t align, std::size_t n);
void* __libc_valloc(std::size_t n);
void* __libc_pvalloc(std::size_t n);
}

namespace weave::detail::debug::heap {
namespace {

constexpr int kAddressBits = 47;  // user space on x86-64 and aarch64 (4-level page tables)
constexpr std::size_t kDirEntries = std::size_t{1} << (kAddressBits - kLeafShift);
constexpr int kMaxLeaves = 1 << 16;  // 256 GiB of address space holding chunks

struct State {
  std::atomic<std::uint32_t>* dir;     // kDirEntries: the leaf's number + 1, or 0
  std::atomic<std::uint64_t>* leaves;  // kMaxLeaves * kLeafWords
  std::atomic<std::uintptr_t>* bases;  // kMaxLeaves: each leaf's first address
  std::atomic<int> nleaves;
  std::atomic<bool> incomplete;
  std::atomic<int> nprivate;
  std::atomic<std::uintptr_t> private_lo[kMaxPrivateMappings];
  std::atomic<std::uintptr_t> private_hi[kMaxPrivateMappings];
};

std::atomic<State*> g_state{nullptr};

void* map(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

constexpr std::size_t kDirBytes = kDirEntries * sizeof(std::uint32_t);
constexpr std::size_t kLeavesBytes = std::size_t{kMaxLeaves} * kLeafWords * sizeof(std::uint64_t);
constexpr std::size_t kBasesBytes = std::size_t{kMaxLeaves} * sizeof(std::uintptr_t);
constexpr std::size_t kStateBytes = (sizeof(State) + 4095) & ~std::size_t{4095};

State* state() {
  if (State* s = g_state.load(std::memory_order_acquire)) return s;
  char* m = static_cast<char*>(map(kStateBytes + kDirBytes + kBasesBytes + kLeavesBytes));
  if (!m) return nullptr;
  // Zeroed pages are a valid, empty state: its atomics start at 0.
  auto* s = std::launder(reinterpret_cast<State*>(m));
  s->dir = reinterpret_cast<std::atomic<std::uint32_t>*>(m + kStateBytes);
  s->bases = reinterpret_cast<std::atomic<std::uintptr_t>*>(m + kStateBytes + kDirBytes);
  s->leaves =
      reinterpret_cast<std::atomic<std::uint64_t>*>(m + kStateBytes + kDirBytes + kBasesBytes);
  State* expected = nullptr;
  if (!g_state.compare_exchange_strong(expected, s, std::memory_order_acq_rel)) {
    munmap(m, kStateBytes + kDirBytes + kBasesBytes + kLeavesBytes);
    return expected;
  }
  s->private_lo[0].store(reinterpret_cast<std::uintptr_t>(m), std::memory_order_relaxed);
  s->private_hi[0].store(
      reinterpret_cast<std::uintptr_t>(m) + kStateBytes + kDirBytes + kBasesBytes + kLeavesBytes,
      std::memory_order_relaxed);
  s->nprivate.store(1, std::memory_order_release);
  return s;
}

// The bitmap word and bit of the chunk at p, making its leaf if needed; null if it cannot.
std::atomic<std::uint64_t>* word_of(std::uintptr_t p, std::uint64_t* bit, bool make) {
  State* s = state();
  if (!s || (p >> kAddressBits) != 0) {
    if (make && s) s->incomplete.store(true, std::memory_order_relaxed);
    return nullptr;
  }
  std::atomic<std::uint32_t>& entry = s->dir[p >> kLeafShift];
  std::uint32_t leaf = entry.load(std::memory_order_acquire);
  if (leaf == 0) {
    if (!make) return nullptr;
    const int n = s->nleaves.fetch_add(1, std::memory_order_relaxed);
    if (n >= kMaxLeaves) {
      s->incomplete.store(true, std::memory_order_relaxed);
      return nullptr;
    }
    s->bases[n].store(p & ~(kLeafBytes - 1), std::memory_order_relaxed);
    std::uint32_t none = 0;
    leaf = static_cast<std::uint32_t>(n + 1);
    // Lost to another thread: its leaf serves, and this one stays empty.
    if (!entry.compare_exchange_strong(none, leaf, std::memory_order_acq_rel)) leaf = none;
  }
  const std::size_t granule = (p & (kLeafBytes - 1)) / kGranule;
  *bit = std::uint64_t{1} << (granule % 64);
  return &s->leaves[(leaf - 1) * kLeafWords + granule / 64];
}

[[maybe_unused]] void note_alloc(void* p) {
  if (!p) return;
  std::uint64_t bit;
  if (std::atomic<std::uint64_t>* w = word_of(reinterpret_cast<std::uintptr_t>(p), &bit, true)) {
    w->fetch_or(bit, std::memory_order_relaxed);
  }
}

[[maybe_unused]] void note_free(void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::uint64_t bit;
  if (std::atomic<std::uint64_t>* w = word_of(a, &bit, false)) {
    w->fetch_and(~bit, std::memory_order_relaxed);
  }
  hook::memory_freed(p, chunk_size(a));
}

std::size_t header(std::uintptr_t start) { return reinterpret_cast<const std::size_t*>(start)[-1]; }

}  // namespace

int leaf_count() {
  State* s = g_state.load(std::memory_order_acquire);
  if (!s) return 0;
  const int n = s->nleaves.load(std::memory_order_acquire);
  return n < kMaxLeaves ? n : kMaxLeaves;
}

Leaf leaf_at(int i) {
  State* s = g_state.load(std::memory_order_acquire);
  Leaf l;
  l.base = s->bases[i].load(std::memory_order_relaxed);
  // A leaf that lost the race for its directory entry stays empty; the reader skips it.
  l.bits = s->dir[l.base >> kLeafShift].load(std::memory_order_acquire) ==
                   static_cast<std::uint32_t>(i + 1)
               ? &s->leaves[static_cast<std::size_t>(i) * kLeafWords]
               : nullptr;
  return l;
}

bool interposed() { return WEAVE_HEAP_INTERPOSED; }

bool complete() {
  State* s = g_state.load(std::memory_order_acquire);
  return interposed() && (!s || !s->incomplete.load(std::memory_order_relaxed));
}

// glibc's chunk header (malloc/malloc.c): the word before the user's pointer holds the chunk's
// size with three flag bits; an mmapped chunk has a header of two words, any other one word of
// its size belongs to the next chunk.
constexpr std::size_t kMmapped = 2, kNonMainArena = 4;

std::size_t chunk_size(std::uintptr_t start) {
  const std::size_t h = header(start);
  const std::size_t size = h & ~std::size_t{7};
  const std::size_t overhead = (h & kMmapped) ? 2 * sizeof(std::size_t) : sizeof(std::size_t);
  return size > overhead ? size - overhead : 0;
}

bool chunk_mmapped(std::uintptr_t start) { return (header(start) & kMmapped) != 0; }

bool chunk_in_thread_arena(std::uintptr_t start) {
  const std::size_t h = header(start);
  return (h & kMmapped) == 0 && (h & kNonMainArena) != 0;
}

bool thread_arena_heap(std::uintptr_t start, std::uintptr_t* lo, std::uintptr_t* hi) {
  // A thread arena's heaps are mappings aligned to their maximum size (64 MiB on 64-bit glibc),
  // beginning with a heap_info: {arena, previous heap, size, mprotected size, page size}.
  constexpr std::uintptr_t kHeapMax = std::uintptr_t{64} << 20;
  const std::uintptr_t base = start & ~(kHeapMax - 1);
  const auto* info = reinterpret_cast<const std::uintptr_t*>(base);
  const std::uintptr_t size = info[2];
  if (info[0] == 0 || size == 0 || size > kHeapMax || start >= base + size) return false;
  *lo = base;
  *hi = base + size;
  return true;
}

void* untracked_alloc(std::size_t n) { return __libc_malloc(n); }
void untracked_free(void* p) { __libc_free(p); }

void note_private_mapping(const void* p, std::size_t n) {
  State* s = state();
  if (!s) return;
  const int i = s->nprivate.fetch_add(1, std::memory_order_acq_rel);
  if (i >= kMaxPrivateMappings) return;
  s->private_lo[i].store(reinterpret_cast<std::uintptr_t>(p), std::memory_order_relaxed);
  s->private_hi[i].store(reinterpret_cast<std::uintptr_t>(p) + n, std::memory_order_release);
}

int private_mapping_count() {
  State* s = g_state.load(std::memory_order_acquire);
  if (!s) return 0;
  const int n = s->nprivate.load(std::memory_order_acquire);
  return n < kMaxPrivateMappings ? n : kMaxPrivateMappings;
}

void private_mapping_at(int i, std::uintptr_t* lo, std::uintptr_t* hi) {
  State* s = g_state.load(std::memory_order_acquire);
  *hi = s->private_hi[i].load(std::memory_order_acquire);
  *lo = s->private_lo[i].load(std::memory_order_relaxed);
}

}  // namespace weave::detail::debug::heap

// --- the interposed functions -------------------------------------------------------------------

#if WEAVE_HEAP_INTERPOSED
namespace heap = weave::detail::debug::heap;

extern "C" {

void* malloc(std::size_t n) {
  void* p = __libc_malloc(n);
  heap::note_alloc(p);
  return p;
}

void free(void* p) {
  if (!p) return;
  heap::note_free(p);
  __libc_free(p);
}

void* calloc(std::size_t n, std::size_t size) {
  void* p = __libc_calloc(n, size);
  heap::note_alloc(p);
  return p;
}

void* realloc(void* p, std::size_t n) {
  if (!p) return malloc(n);
  if (n == 0) {  // as glibc's: frees, and returns null
    free(p);
    return nullptr;
  }
  const std::size_t have = heap::chunk_size(reinterpret_cast<std::uintptr_t>(p));
  if (n <= have && (have <= 256 || n >= have / 2)) return p;  // fits, wasting little
  void* q = malloc(n);
  if (!q) return nullptr;
  std::memcpy(q, p, n < have ? n : have);
  free(p);
  return q;
}

void* reallocarray(void* p, std::size_t n, std::size_t size) {
  std::size_t bytes;
  if (__builtin_mul_overflow(n, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(p, bytes);
}

void* memalign(std::size_t align, std::size_t n) {
  void* p = __libc_memalign(align, n);
  heap::note_alloc(p);
  return p;
}

void* aligned_alloc(std::size_t align, std::size_t n) { return memalign(align, n); }

int posix_memalign(void** out, std::size_t align, std::size_t n) {
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0 || align == 0) return EINVAL;
  const int saved = errno;
  void* p = memalign(align, n);
  errno = saved;
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(std::size_t n) {
  void* p = __libc_valloc(n);
  heap::note_alloc(p);
  return p;
}

void* pvalloc(std::size_t n) {
  void* p = __libc_pvalloc(n);
  heap::note_alloc(p);
  return p;
}

}  // extern "C"
#endif  // WEAVE_HEAP_INTERPOSED
