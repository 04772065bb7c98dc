#include "vector_clock.h"

#include <algorithm>
#include <cstring>

#include "alloc.h"

namespace weave::detail::race {

VectorClock::~VectorClock() {
  if (data_ != inline_) raw_free(data_);
}

VectorClock::Storage VectorClock::release_storage() {
  Storage s{nullptr, 0};
  if (data_ != inline_) s = Storage{data_, capacity_};
  data_ = inline_;
  capacity_ = kInline;
  size_ = 0;
  ++version_;
  return s;
}

void VectorClock::adopt_storage(Storage s) {
  if (!s.data) return;
  data_ = s.data;
  capacity_ = s.capacity;
}

void VectorClock::reserve(u32 size, bool keep) {
  if (size <= capacity_) return;
  u32 cap = std::max(size, capacity_ * 2);
  u32* d = static_cast<u32*>(raw_alloc(cap * sizeof(u32)));
  if (keep) std::memcpy(d, data_, size_ * sizeof(u32));
  if (data_ != inline_) raw_free(data_);
  data_ = d;
  capacity_ = cap;
}

void VectorClock::grow(u32 size) {
  reserve(size, /*keep=*/true);
  std::memset(data_ + size_, 0, (size - size_) * sizeof(u32));
  size_ = size;
}

void VectorClock::set(u32 slot, u32 clock) {
  if (slot >= size_) grow(slot + 1);
  data_[slot] = clock;
  ++version_;
}

namespace {

[[gnu::always_inline]] inline void max_loop(u32* dst, const u32* src, u32 n) {
  for (u32 i = 0; i < n; ++i) dst[i] = std::max(dst[i], src[i]);
}

void max_into(u32* dst, const u32* src, u32 n) { max_loop(dst, src, n); }

// The same loop built for AVX2: an unsigned maximum of eight entries per instruction.
__attribute__((target("avx2"))) void max_into_avx2(u32* dst, const u32* src, u32 n) {
  max_loop(dst, src, n);
}

// Picked by a test at startup, not by an ifunc: a sanitizer's runtime is not up yet when the
// dynamic linker runs ifunc resolvers, and an instrumented resolver crashes. Until the test has
// run (instrumented code in static constructors), the plain loop.
const bool g_avx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();

}  // namespace

// Every synchronization joins a clock as long as the slots in use.
void VectorClock::join(const VectorClock& o) {
  ++version_;
  if (o.size_ > size_) grow(o.size_);
  if (g_avx2) {
    max_into_avx2(data_, o.data_, o.size_);
  } else {
    max_into(data_, o.data_, o.size_);
  }
}

void VectorClock::assign(const VectorClock& o) {
  ++version_;
  reserve(o.size_, /*keep=*/false);  // every entry is written over
  std::memcpy(data_, o.data_, o.size_ * sizeof(u32));
  size_ = o.size_;  // grow() zeroes what lies beyond when it comes back
}

}  // namespace weave::detail::race
