#include "slots.h"

#include <vector>

#include "alloc.h"
#include "spinlock.h"

namespace weave::detail::race {
namespace {

// How many of the most recently freed slots a spawn looks at before it searches its clock.
constexpr int kRecent = 8;

struct Holder {
  u32 start_clock;
  bool finished;
  Identity who;
};

template <class T>
using RawVector = std::vector<T, RawAllocator<T>>;

// Holders kept per slot: a program that spawns fibers all its life passes each slot on again and
// again, and all its holders would grow without bound. A cell of one of the older ones is rarely
// still in the shadow, and if it races, its report says only that its task ended long ago.
constexpr std::size_t kKeptHolders = 16;

struct SlotInfo {
  u32 final_clock = 0;  // while free: the clock its last holder ended at
  // While free: its neighbours in the free list (0: none), the longest free first.
  u32 prev = 0;
  u32 next = 0;
  // The latest holders, oldest first while it has fewer than kKeptHolders; then a ring, whose
  // oldest is at `oldest`.
  RawVector<Holder> holders;
  std::size_t oldest = 0;

  void add(const Holder& h) {
    if (holders.size() < kKeptHolders) {
      holders.push_back(h);
    } else {
      holders[oldest] = h;
      oldest = (oldest + 1) % kKeptHolders;
    }
  }
  // The i-th latest (0: the current or last holder).
  Holder& latest(std::size_t i) {
    const std::size_t n = holders.size();
    return holders[(oldest + n - 1 - i) % n];
  }
};

struct Table {
  SpinLock mu;
  u32 next_fresh = 1;        // slot 0 marks an empty cell
  RawVector<SlotInfo> info;  // indexed by slot
  // What a spawn checks before taking a free slot, indexed by slot, apart from the rest so that a
  // search along a spawner's clock reads little: 0 unless the slot is free and its clocks are not
  // used up; then one more than the clock of its last holder's last recorded access.
  RawVector<u32> takeable;
  u32 free_head = 0;  // the longest free
  u32 free_tail = 0;  // the most recently freed
  u32 cursor = 0;     // where the last search along a clock found a slot

  void push_free(u32 s) {
    info[s].prev = free_tail;
    info[s].next = 0;
    if (free_tail) {
      info[free_tail].next = s;
    } else {
      free_head = s;
    }
    free_tail = s;
  }
  void take(u32 s) {
    SlotInfo& i = info[s];
    if (i.prev) {
      info[i.prev].next = i.next;
    } else {
      free_head = i.next;
    }
    if (i.next) {
      info[i.next].prev = i.prev;
    } else {
      free_tail = i.prev;
    }
    takeable[s] = 0;
  }
  // Whether a task that knows what `knowledge` says may take slot s (see slots.h).
  bool known(const VectorClock& knowledge, u32 s) const {
    return takeable[s] != 0 && knowledge.get(s) >= takeable[s] - 1;
  }
};

Table& table() {
  static Table* t = raw_new<Table>();  // never destroyed: tasks outlive static destruction
  return *t;
}

// A free slot whose whole past `knowledge` covers, or 0 (see slots.h). First among the most
// recently freed, as after the spawner joined the fibers that just ended; then along the
// spawner's clock, which names every slot it knows anything of: as after it joined a batch of
// fibers a while ago, while others it has not joined ended since. The search costs what copying
// that clock into the new task does, and goes on from where the last one stopped, past the
// slots it just took.
u32 known_free_slot(Table& t, const VectorClock& knowledge) {
  u32 s = t.free_tail;
  for (int k = 0; s != 0 && k < kRecent; ++k, s = t.info[s].prev) {
    if (t.known(knowledge, s)) return s;
  }
  const u32 n =
      knowledge.size() < t.takeable.size() ? knowledge.size() : static_cast<u32>(t.takeable.size());
  const u32 from = t.cursor < n ? t.cursor : 0;
  for (u32 k = 0; k < n; ++k) {
    s = from + k < n ? from + k : from + k - n;
    if (s != 0 && t.known(knowledge, s)) {
      t.cursor = s;
      return s;
    }
  }
  return 0;
}

}  // namespace

SlotGrant slot_acquire(const VectorClock& knowledge, const Identity& who) {
  Table& t = table();
  t.mu.lock();
  u32 slot = known_free_slot(t, knowledge);
  if (slot == 0 && t.next_fresh <= kMaxSlot) {
    slot = t.next_fresh++;
    if (t.info.size() <= slot) {
      t.info.resize(slot + 1);
      t.takeable.resize(slot + 1);
    }
  } else if (slot == 0) {
    slot = t.free_head;  // every slot is taken: the longest free passes on without the knowledge
  }
  if (slot == 0) {
    t.mu.unlock();
    return SlotGrant{0, 0, 0};  // the caller runs untracked
  }
  u32 last_access = 0;
  if (t.takeable[slot] != 0) {  // a free one (not a fresh one)
    last_access = t.takeable[slot] - 1;
    t.take(slot);
  }
  SlotInfo& info = t.info[slot];
  const u32 start = info.final_clock + 1;
  info.add(Holder{start, false, who});
  t.mu.unlock();
  return SlotGrant{slot, start, last_access};
}

void slot_release(u32 slot, u32 final_clock, u32 last_access) {
  Table& t = table();
  t.mu.lock();
  SlotInfo& info = t.info[slot];
  info.final_clock = final_clock;
  info.latest(0).finished = true;
  if (final_clock < kMaxClock) {  // a slot whose clocks are used up stays taken for ever
    t.push_free(slot);
    t.takeable[slot] = last_access + 1;
  }
  t.mu.unlock();
}

bool slot_holder(u32 slot, u32 clock, Identity* who, bool* finished) {
  Table& t = table();
  t.mu.lock();
  bool found = false;
  if (slot < t.info.size()) {
    SlotInfo& info = t.info[slot];
    for (std::size_t i = 0; i < info.holders.size(); ++i) {
      const Holder& h = info.latest(i);
      if (h.start_clock <= clock) {
        *who = h.who;
        *finished = h.finished;
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
  if (slot < t.info.size() && !t.info[slot].holders.empty()) t.info[slot].latest(0).who = who;
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
