#include "slots.h"

#include <deque>
#include <vector>

#include "alloc.h"
#include "spinlock.h"

namespace weave::detail::race {
namespace {

// How many of the most recently freed slots a spawn looks at.
constexpr int kCandidates = 8;

struct Holder {
  u32 start_clock;
  bool finished;
  Identity who;
};

template <class T>
using RawVector = std::vector<T, RawAllocator<T>>;

struct SlotInfo {
  u32 final_clock = 0;  // while free: the clock its last holder ended at
  RawVector<Holder> holders;
};

// A free slot, with what a spawn checks before taking it (kept here, so that the check reads
// the free list's tail only): the clock of its last holder's last recorded access, and whether
// its clocks are used up.
struct FreeSlot {
  u32 slot;
  u32 last_access;
  bool spent;
};

struct Table {
  SpinLock mu;
  u32 next_fresh = 1;  // slot 0 marks an empty cell
  // Most recently freed last; a deque, as the oldest leaves from the front once all are taken.
  std::deque<FreeSlot, RawAllocator<FreeSlot>> free;
  RawVector<SlotInfo> info;  // indexed by slot
};

Table& table() {
  static Table* t = raw_new<Table>();  // never destroyed: tasks outlive static destruction
  return *t;
}

}  // namespace

SlotGrant slot_acquire(const VectorClock& knowledge, const Identity& who) {
  Table& t = table();
  t.mu.lock();
  u32 slot = 0;
  // A recently freed slot whose whole past the new task knows (see the top).
  const int n = static_cast<int>(t.free.size());
  for (int i = n - 1; i >= 0 && i >= n - kCandidates; --i) {
    const FreeSlot& f = t.free[i];
    if (!f.spent && knowledge.get(f.slot) >= f.last_access) {
      slot = f.slot;
      t.free.erase(t.free.begin() + i);
      break;
    }
  }
  if (slot == 0 && t.next_fresh <= kMaxSlot) slot = t.next_fresh++;
  if (slot == 0) {
    // Every slot is taken: the oldest freed one passes on without the knowledge.
    for (auto it = t.free.begin(); it != t.free.end(); ++it) {
      if (!it->spent) {
        slot = it->slot;
        t.free.erase(it);
        break;
      }
    }
  }
  if (slot == 0) {
    t.mu.unlock();
    return SlotGrant{0, 0};  // the caller runs untracked
  }
  if (t.info.size() <= slot) t.info.resize(slot + 1);
  SlotInfo& info = t.info[slot];
  const u32 start = info.final_clock + 1;
  info.holders.push_back(Holder{start, false, who});
  t.mu.unlock();
  return SlotGrant{slot, start};
}

void slot_release(u32 slot, u32 final_clock, u32 last_access) {
  Table& t = table();
  t.mu.lock();
  SlotInfo& info = t.info[slot];
  info.final_clock = final_clock;
  info.holders.back().finished = true;
  t.free.push_back(FreeSlot{slot, last_access, final_clock >= kMaxClock});
  t.mu.unlock();
}

bool slot_holder(u32 slot, u32 clock, Identity* who, bool* finished) {
  Table& t = table();
  t.mu.lock();
  bool found = false;
  if (slot < t.info.size()) {
    const RawVector<Holder>& hs = t.info[slot].holders;
    for (auto it = hs.rbegin(); it != hs.rend(); ++it) {
      if (it->start_clock <= clock) {
        *who = it->who;
        *finished = it->finished;
        found = true;
        break;
      }
    }
  }
  t.mu.unlock();
  return found;
}

void slot_rename(u32 slot, const Identity& who) {
  Table& t = table();
  t.mu.lock();
  if (slot < t.info.size() && !t.info[slot].holders.empty()) t.info[slot].holders.back().who = who;
  t.mu.unlock();
}

u32 slots_used() {
  Table& t = table();
  t.mu.lock();
  const u32 n = t.next_fresh - 1;
  t.mu.unlock();
  return n;
}

}  // namespace weave::detail::race
