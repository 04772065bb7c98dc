// A vector clock: for each slot, the latest clock of it that happens before its owner's present.
// Dense (indexed by slot), as long as the highest slot it has heard of; missing entries are 0.
// Small clocks live inline. Not thread-safe: its owner (a task, a sync object under its lock)
// serializes access.
#pragma once

#include <cstdint>

#include "cell.h"

namespace weave::detail::race {

class VectorClock {
 public:
  VectorClock() = default;
  VectorClock(const VectorClock&) = delete;
  VectorClock& operator=(const VectorClock&) = delete;
  ~VectorClock();

  u32 get(u32 slot) const { return slot < size_ ? data_[slot] : 0; }
  void set(u32 slot, u32 clock);
  // The entry of slot becomes at least clock.
  void raise(u32 slot, u32 clock) {
    if (get(slot) < clock) set(slot, clock);
  }
  // Entry-wise maximum with o.
  void join(const VectorClock& o);
  // Becomes a copy of o.
  void assign(const VectorClock& o);
  u32 size() const { return size_; }
  // Another number after every change (never the same for two contents of one clock).
  u64 version() const { return version_; }

  // Heap storage handed from one clock to another: a recycled task keeps its clock's room.
  struct Storage {
    u32* data;
    u32 capacity;
  };
  // Gives up its heap storage (null if it has none), becoming empty.
  Storage release_storage();
  // An empty clock that has no heap storage takes s (from release_storage) as its own.
  void adopt_storage(Storage s);

 private:
  static constexpr u32 kInline = 6;
  // Room for size entries; keep: with the present ones copied.
  void reserve(u32 size, bool keep);
  // Room for size entries, those past the present ones zero.
  void grow(u32 size);

  u32* data_ = inline_;
  u64 version_ = 0;
  u32 size_ = 0;
  u32 capacity_ = kInline;
  u32 inline_[kInline] = {};
};

}  // namespace weave::detail::race
