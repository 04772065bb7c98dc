// The heap as the debug runtime sees it. The malloc family is interposed (heap.cc: weave_debug
// defines malloc, free, calloc, realloc, reallocarray, memalign, posix_memalign, aligned_alloc,
// valloc and pvalloc, and forwards each to glibc's own); operator new and delete reach them. Two
// uses, one interposer:
//   - the leak analysis (reach.h) knows every live chunk: a bit per 16-byte granule where a chunk
//     starts, set when the chunk is handed out and cleared before it is given back, so that only
//     allocated memory is read, and only once something reaches it;
//   - a freed range goes to hook::memory_freed (the race detector forgets it).
// The chunks keep glibc's layout, so malloc_usable_size is glibc's own.
//
// The bitmap: the address space in leaves of 4 MiB, each a bitmap of its granules, allocated
// on first use from one reserved mapping and never freed; a directory maps an address to its leaf.
// A chunk is recorded with one atomic OR and forgotten with one atomic AND. Readers run with the
// world stopped (world.h), when nothing changes.
//
// The debug runtime's own tables are allocated outside it (untracked_alloc): they name channels
// and mutexes, and read as handles they would keep every object they name alive. So are its
// mappings (note_private_mapping), which the analysis neither reads nor counts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

namespace weave::detail::debug::heap {

constexpr std::uintptr_t kGranule = 16;
constexpr int kLeafShift = 22;  // a leaf covers 4 MiB
constexpr std::uintptr_t kLeafBytes = std::uintptr_t{1} << kLeafShift;
constexpr std::size_t kLeafWords = kLeafBytes / kGranule / 64;

struct Leaf {
  std::uintptr_t base = 0;                 // the first address it covers
  const std::atomic<std::uint64_t>* bits;  // kLeafWords words, bit i: a chunk starts at base+16i
};

// The leaves made so far (in no order), while the world is stopped.
int leaf_count();
Leaf leaf_at(int i);

// Whether the malloc family is interposed (not under a sanitizer, which has its own), and whether
// every chunk was recorded (not if one found no memory for its leaf, or lay beyond the
// directory): else the analysis does not run.
bool interposed();
bool complete();

// The usable bytes of the live chunk at start (glibc's header), and whether glibc mapped it on
// its own (a large chunk) or it lies in a heap of a thread arena.
std::size_t chunk_size(std::uintptr_t start);
bool chunk_mmapped(std::uintptr_t start);
bool chunk_in_thread_arena(std::uintptr_t start);
// A thread arena's heap holding the chunk at start: its mapped extent, or false if its header
// does not look like one.
bool thread_arena_heap(std::uintptr_t start, std::uintptr_t* lo, std::uintptr_t* hi);

// Memory of the debug runtime's own, outside the tracked heap.
void* untracked_alloc(std::size_t n);
void untracked_free(void* p);

template <class T>
struct UntrackedAllocator {
  using value_type = T;
  UntrackedAllocator() = default;
  template <class U>
  UntrackedAllocator(const UntrackedAllocator<U>&) {}
  T* allocate(std::size_t n) {
    void* p = untracked_alloc(n * sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) { untracked_free(p); }
  template <class U>
  bool operator==(const UntrackedAllocator<U>&) const {
    return true;
  }
};

// Mappings of the debug runtime's own (its tables, the race detector's shadow): the analysis
// neither reads nor counts them. At most kMaxPrivateMappings; a mapping past that is read.
constexpr int kMaxPrivateMappings = 64;
void note_private_mapping(const void* p, std::size_t n);
int private_mapping_count();
void private_mapping_at(int i, std::uintptr_t* lo, std::uintptr_t* hi);

}  // namespace weave::detail::debug::heap
