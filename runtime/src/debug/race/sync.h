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
// A lock is mostly taken again by the task that last released it: each clock remembers the epoch
// of the release it equals (if it does), and then an acquire by that task (which knows all of it)
// walks no vector clock, nor does its next release if it learnt nothing since (sync.cc).
//
// Lock order: a bucket's lock is a leaf.
#pragma once

#include <cstddef>

#include "cell.h"
#include "vector_clock.h"

namespace weave::detail::race {

struct RaceTask;

// The clock at addr joins what t knows and t's epoch (made if absent). size: the bytes from addr
// that the release wrote (an atomic's size; 1 for other objects).
void sync_release(const void* addr, RaceTask* t, u32 size = 1);
// The clock at addr joins vc (what a release fence published, for a relaxed store after it).
void sync_release_clock(const void* addr, const VectorClock& vc, u32 size);
// t learns every clock released at an address whose bytes overlap [addr, addr + size): an atomic
// load takes what every atomic write it reads published, whatever their sizes.
void sync_acquire(const void* addr, RaceTask* t, u32 size = 1);
// vc joins the same (what a relaxed load would have acquired, for an acquire fence after it).
void sync_acquire_clock(const void* addr, VectorClock* vc, u32 size);
// sync_acquire then sync_release, under one lock: t learns the clock at addr, which becomes what t
// knows.
void sync_acquire_release(const void* addr, RaceTask* t);
// Two tasks release at addr and acquire there, each after the other's release, under one lock:
// the clock at addr joins both (with their epochs), and both learn it.
void sync_exchange(const void* addr, RaceTask* a, RaceTask* b);
// Whether anything was ever released at addr (and not forgotten since).
bool sync_exists(const void* addr);
// Forgets every clock in [lo, hi).
void sync_forget(uptr lo, uptr hi);

}  // namespace weave::detail::race
