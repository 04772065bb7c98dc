// Synchronization objects' clocks, keyed by address: what a release at an address has published
// for the next acquire there. Mutexes, channels and their buffer slots, WaitGroups, atomics,
// thread ends, … are all addresses here (hooks.h names which).
//
// A hash table of buckets by the address's page, each a few lists (by the 8-byte word within the
// page, so that the clocks overlapping an access are on one or two lists) under the bucket's own
// lock; a clock is joined into or from while its bucket's lock is
// held, so an object forgotten (its memory freed) never vanishes under a release. Keying by page
// lets a freed range be forgotten by visiting only the buckets of its pages.
//
// Lock order: a bucket's lock is a leaf.
#pragma once

#include <cstddef>

#include "cell.h"
#include "vector_clock.h"

namespace weave::detail::race {

// The clock at addr joins vc, and the epoch (slot, clock) unless slot is 0 (made if absent).
// size: the bytes from addr that the release wrote (an atomic's size; 1 for other objects).
void sync_release(const void* addr, const VectorClock& vc, u32 slot, u32 clock, u32 size = 1);
// vc joins every clock released at an address whose bytes overlap [addr, addr + size): an
// atomic load takes what every atomic write it reads published, whatever their sizes.
void sync_acquire(const void* addr, VectorClock* vc, u32 size = 1);
// sync_acquire then sync_release, under one lock: vc joins the clock at addr, which becomes vc and
// the epoch (slot, clock).
void sync_acquire_release(const void* addr, VectorClock* vc, u32 slot, u32 clock);
// Two tasks release at addr and acquire there, each after the other's release, under one lock:
// the clock at addr joins both (with their epochs), and both vector clocks join it.
void sync_exchange(const void* addr, VectorClock* a, u32 a_slot, u32 a_clock, VectorClock* b,
                   u32 b_slot, u32 b_clock);
// Whether anything was ever released at addr (and not forgotten since).
bool sync_exists(const void* addr);
// Forgets every clock in [lo, hi).
void sync_forget(uptr lo, uptr hi);

}  // namespace weave::detail::race
