// A shadow cell: one access to an 8-byte granule of application memory, in 64 bits.
//
//   bits  0-15  slot of the task that made it (0: the cell is empty)
//   bits 16-34  that task's clock at the access (slot and clock together: its epoch)
//   bit  35     a write (else a read)
//   bits 36-43  which bytes of the granule it touched
//   bit  44     atomic
//   bits 45-63  the access's site id (stacks.h): its stack; 0 when the table is full
//
// Slots and clocks are FastTrack's epochs: an access is ordered before the current task's if its
// clock is at most the current task's vector clock entry for its slot (slots.h says how a slot
// passes from a finished task to a new one without breaking this). A task whose clock would pass
// kMaxClock moves to a fresh slot.
#pragma once

#include <cstdint>

namespace weave::detail::race {

using u64 = std::uint64_t;
using u32 = std::uint32_t;
using uptr = std::uintptr_t;

constexpr u32 kMaxSlot = (1u << 16) - 1;
constexpr u32 kMaxClock = (1u << 19) - 1;
constexpr u32 kMaxSite = (1u << 19) - 1;
constexpr int kClockShift = 16;
constexpr int kWriteShift = 35;
constexpr int kMaskShift = 36;
constexpr int kAtomicShift = 44;
constexpr int kSiteShift = 45;
constexpr u64 kEpochBits = (u64{1} << kWriteShift) - 1;
constexpr u64 kWriteBit = u64{1} << kWriteShift;
constexpr u64 kAtomicBit = u64{1} << kAtomicShift;

constexpr u64 make_epoch(u32 slot, u32 clock) { return slot | (u64{clock} << kClockShift); }
constexpr u64 make_cell(u64 epoch, u32 mask, bool write, bool atomic, u32 site) {
  return epoch | (write ? kWriteBit : 0) | (u64{mask} << kMaskShift) | (atomic ? kAtomicBit : 0) |
         (u64{site} << kSiteShift);
}
constexpr u32 cell_slot(u64 c) { return static_cast<u32>(c & 0xffff); }
constexpr u32 cell_clock(u64 c) { return static_cast<u32>((c >> kClockShift) & kMaxClock); }
constexpr u32 cell_mask(u64 c) { return static_cast<u32>((c >> kMaskShift) & 0xff); }
constexpr bool cell_write(u64 c) { return (c & kWriteBit) != 0; }
constexpr bool cell_atomic(u64 c) { return (c & kAtomicBit) != 0; }
constexpr u32 cell_site(u64 c) { return static_cast<u32>(c >> kSiteShift); }

}  // namespace weave::detail::race
