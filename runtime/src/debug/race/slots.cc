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
  u32 last_access = 0;  // while free: the clock of its last holder's last recorded access
  RawVector<Holder> holders;
};

struct Table {
  SpinLock mu;
  u32 next_fresh = 1;  // slot 0 marks an empty cell
  // Most recently freed last; a deque, as the oldest leaves from the front once all are taken.
  std::deque<u32, RawAllocator<u32>> free;
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
    const u32 s = t.free[i];
    const SlotInfo& info = t.info[s];
    if (knowledge.get(s) >= info.last_access && info.final_clock < kMaxClock) {
      slot = s;
      t.free.erase(t.free.begin() + i);
      break;
    }
  }
  if (slot == 0 && t.next_fresh <= kMaxSlot) slot = t.next_fresh++;
  if (slot == 0) {
    // Every slot is taken: the oldest freed one passes on without the knowledge.
    for (auto it = t.free.begin(); it != t.free.end(); ++it) {
      if (t.info[*it].final_clock < kMaxClock) {
        slot = *it;
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
  info.last_access = last_access;
  info.holders.back().finished = true;
  t.free.push_back(slot);
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
