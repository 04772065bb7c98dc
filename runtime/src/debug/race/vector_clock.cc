#include "vector_clock.h"

#include <algorithm>
#include <cstring>

#include "alloc.h"

namespace weave::detail::race {

VectorClock::~VectorClock() {
  if (data_ != inline_) raw_free(data_);
}

void VectorClock::grow(u32 size) {
  if (size > capacity_) {
    u32 cap = std::max(size, capacity_ * 2);
    u32* d = static_cast<u32*>(raw_alloc(cap * sizeof(u32)));
    std::memcpy(d, data_, size_ * sizeof(u32));
    if (data_ != inline_) raw_free(data_);
    data_ = d;
    capacity_ = cap;
  }
  std::memset(data_ + size_, 0, (size - size_) * sizeof(u32));
  size_ = size;
}

void VectorClock::set(u32 slot, u32 clock) {
  if (slot >= size_) grow(slot + 1);
  data_[slot] = clock;
}

// Every synchronization joins a clock as long as the slots in use: built for AVX2 too (an unsigned
// maximum of eight entries per instruction), picked at load time where the CPU has it.
__attribute__((target_clones("avx2", "default"))) void VectorClock::join(const VectorClock& o) {
  if (o.size_ > size_) grow(o.size_);
  const u32* src = o.data_;
  for (u32 i = 0, n = o.size_; i < n; ++i) data_[i] = std::max(data_[i], src[i]);
}

void VectorClock::assign(const VectorClock& o) {
  if (o.size_ > size_) grow(o.size_);
  std::memcpy(data_, o.data_, o.size_ * sizeof(u32));
  size_ = o.size_;  // grow() zeroes what lies beyond when it comes back
}

}  // namespace weave::detail::race
