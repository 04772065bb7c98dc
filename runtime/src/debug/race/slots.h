// Slots: the indices of vector clocks. Every task (fiber or thread) holds one while it runs; a
// million fibers over a run share a few thousand.
//
// A slot passes to a new task only when that is exact: the spawning task must already know every
// access of the slot's last holder that the shadow remembers (its clock entry for the slot is at
// least the clock of that holder's last recorded access), as after joining the fibers that held
// it. The new holder continues the slot's clock after the last holder's, so every access of an
// earlier holder stays ordered before it, as it really is. When no
// free slot qualifies a fresh one is taken; only when all 65535 are taken does a slot pass without
// that knowledge (a race between the old holder and the new one may then be missed).
//
// Each slot keeps its latest holders with the clock each started at, so that a report can name
// the task behind a cell, finished or not (slots.cc says how many).
//
// A slot freed goes first to a cache of its thread's, from which a spawn on that thread takes it
// without the table's lock (slots.cc).
//
// Lock order: the table's lock, then a slot's (which guards its holders).
#pragma once

#include <cstdint>

#include "cell.h"
#include "vector_clock.h"

namespace weave::detail::race {

// Who a task is, for reports: its id, kind and where it was created (and by whom).
struct Identity {
  std::uint64_t id = 0;
  bool fiber = false;
  bool weave_id = false;  // id is weave's (as dumps show it); else the engine's own thread number
  const char* file = nullptr;  // where it was created; null: the main thread, or unknown
  bool main_thread = false;    // the process's first thread (which nothing created)
  u32 line = 0;
  const char* function = nullptr;
  std::uint64_t parent_id = 0;
  bool parent_fiber = false;
  bool parent_weave_id = true;  // a thread parent: named by weave's id (else the engine's, T1...)
};

struct SlotGrant {
  u32 slot;
  u32 start_clock;  // the first clock of the new holder
  // The clock of the latest access of the slot's earlier holders that the shadow may remember:
  // the new holder's own latest until it records one, for the spawner after it has to know it.
  u32 last_access;
};

// What a task knows: its clock and, if it shares its parent's (race_task.h), that clock and the
// parent's entry (slot 0: none).
struct Knowledge {
  const VectorClock& own;
  const VectorClock* inherited = nullptr;
  u32 parent_slot = 0;
  u32 parent_clock = 0;

  u32 get(u32 s) const {
    u32 c = own.get(s);
    if (inherited && inherited->get(s) > c) c = inherited->get(s);
    if (s == parent_slot && parent_clock > c) c = parent_clock;
    return c;
  }
  // One past the highest slot it knows anything of.
  u32 size() const {
    u32 n = own.size();
    if (inherited && inherited->size() > n) n = inherited->size();
    if (parent_slot >= n) n = parent_slot + 1;
    return n;
  }
};

// A slot for a task that knows what `knowledge` says.
SlotGrant slot_acquire(const Knowledge& knowledge, const Identity& who);
// The holder of `slot` is done: its clock ended at `final_clock`, its last recorded access was at
// `last_access`.
void slot_release(u32 slot, u32 final_clock, u32 last_access);
// The holder of slot at clock; false if unknown (one of the slot's holders no longer kept).
bool slot_holder(u32 slot, u32 clock, Identity* who, bool* finished);
// The current holder of slot (a running task) is now known as who.
void slot_rename(u32 slot, const Identity& who);
// The highest slot ever handed out.
u32 slots_used();

}  // namespace weave::detail::race
