// The engine's own memory. It comes straight from glibc's allocator (__libc_malloc/__libc_free),
// past the debug runtime's malloc interposer (debug/heap.cc): the engine frees memory while it
// holds its own locks, and an interposed free that forgot the chunk would take them again, and
// the chunks of the engine's tables are none of the leak analysis's business.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}

namespace weave::detail::race {

inline void* raw_alloc(std::size_t n) {
  void* p = __libc_malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}
inline void* raw_realloc(void* p, std::size_t n) {
  void* q = __libc_realloc(p, n);
  if (!q) throw std::bad_alloc();
  return q;
}
inline void raw_free(void* p) { __libc_free(p); }

template <class T, class... Args>
T* raw_new(Args&&... args) {
  return new (raw_alloc(sizeof(T))) T(std::forward<Args>(args)...);
}
template <class T>
void raw_delete(T* p) {
  if (!p) return;
  p->~T();
  raw_free(p);
}

// For the engine's standard containers.
template <class T>
struct RawAllocator {
  using value_type = T;
  RawAllocator() = default;
  template <class U>
  RawAllocator(const RawAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(raw_alloc(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) { raw_free(p); }
  template <class U>
  bool operator==(const RawAllocator<U>&) const {
    return true;
  }
};

}  // namespace weave::detail::race
