#include "slots.h"

#include <atomic>
#include <vector>

#include "alloc.h"
#include "spinlock.h"

namespace weave::detail::race {
namespace {

// How many of the most recently freed slots a spawn looks at before it searches its clock.
constexpr int kRecent = 8;

struct Holder {
  u32 start_clock;
  Identity who;
};

template <class T>
using RawVector = std::vector<T, RawAllocator<T>>;

// Holders kept per slot: a program that spawns fibers all its life passes each slot on again and
// again, and all its holders would grow without bound. A cell of one of the older ones is rarely
// still in the shadow, and if it races, its report says only that its task ended long ago.
constexpr std::size_t kKeptHolders = 16;

struct SlotInfo {
  // The clock its latest holder ended at; until that holder ends, one from before its start.
  // Written by the releaser alone, with a plain store: the line was last written where the slot
  // was taken, often another thread, and a store need not wait for it as a lock's exchange does.
  // The next taker reads it after the handover (through the table's lock or on the same
  // thread), a report at any time.
  std::atomic<u32> final_clock{0};
  // While in the table's free list: its neighbours there (0: none), the longest free first.
  u32 prev = 0;
  u32 next = 0;
  // Guards the holders: reports read them from any thread.
  SpinLock mu;
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

// Slots' infos, in pages made as slots are first handed out, never moved: a slot's holder and its
// free-slot caches reach its info without the table's lock.
constexpr u32 kInfoPageBits = 10;
constexpr u32 kInfoPages = (kMaxSlot >> kInfoPageBits) + 1;

struct Table {
  SpinLock mu;
  u32 next_fresh = 1;                             // slot 0 marks an empty cell; guarded by mu
  std::atomic<SlotInfo*> pages[kInfoPages] = {};  // made under mu
  // What a spawn checks before taking a slot of the free list, indexed by slot, apart from the
  // rest so that a search along a spawner's clock reads little: 0 unless the slot is in the free
  // list and its clocks are not used up; then one more than the clock of its last holder's last
  // recorded access. Guarded by mu.
  RawVector<u32> takeable;
  u32 free_head = 0;  // the longest free; guarded by mu
  u32 free_tail = 0;  // the most recently freed; guarded by mu
  u32 cursor = 0;     // where the last search along a clock found a slot; guarded by mu

  SlotInfo& info(u32 s) {
    return pages[s >> kInfoPageBits].load(
        std::memory_order_acquire)[s & ((1u << kInfoPageBits) - 1)];
  }
  void push_free(u32 s, u32 take) {
    info(s).prev = free_tail;
    info(s).next = 0;
    if (free_tail) {
      info(free_tail).next = s;
    } else {
      free_head = s;
    }
    free_tail = s;
    takeable[s] = take;
  }
  void take(u32 s) {
    SlotInfo& i = info(s);
    if (i.prev) {
      info(i.prev).next = i.next;
    } else {
      free_head = i.next;
    }
    if (i.next) {
      info(i.next).prev = i.prev;
    } else {
      free_tail = i.prev;
    }
    takeable[s] = 0;
  }
  // Whether a task that knows what `knowledge` says may take slot s (see slots.h).
  bool known(const Knowledge& knowledge, u32 s) const {
    return takeable[s] != 0 && knowledge.get(s) >= takeable[s] - 1;
  }
  // A slot never handed out, or 0 if all have been; mu is held.
  u32 fresh() {
    if (next_fresh > kMaxSlot) return 0;
    const u32 s = next_fresh++;
    std::atomic<SlotInfo*>& page = pages[s >> kInfoPageBits];
    if (!page.load(std::memory_order_relaxed)) {
      auto* infos = static_cast<SlotInfo*>(raw_alloc(sizeof(SlotInfo) << kInfoPageBits));
      for (u32 i = 0; i < (1u << kInfoPageBits); ++i) new (&infos[i]) SlotInfo();
      page.store(infos, std::memory_order_release);
    }
    if (takeable.size() <= s) takeable.resize(s + 1);
    return s;
  }
};

Table& table() {
  static Table* t = raw_new<Table>();  // never destroyed: tasks outlive static destruction
  return *t;
}

// Slots freed on this thread, most recent last, with what a spawn checks (as Table::takeable):
// a worker runs the fibers it spawns before others take them, so fibers often end on the thread
// that spawns the next ones, and a spawn takes one of these, as a release adds one, without the
// table's lock. Full, its older half goes to the table.
constexpr int kCached = 32;
struct FreeCache {
  struct Entry {
    u32 slot;
    u32 takeable;
  };
  Entry entries[kCached];
  int n = 0;
  bool gone = false;  // the thread is past this cache's end (its exit ends tasks after it)

  // Hands the older half to the table (the last one too).
  void spill(Table& t) {
    const int half = (n + 1) / 2;
    t.mu.lock();
    for (int i = 0; i < half; ++i) t.push_free(entries[i].slot, entries[i].takeable);
    t.mu.unlock();
    for (int i = half; i < n; ++i) entries[i - half] = entries[i];
    n -= half;
  }
  // A thread that ends leaves its slots to the others.
  ~FreeCache() {
    while (n > 0) spill(table());
    gone = true;
  }
  // A cached slot whose whole past `knowledge` covers (see slots.h), taken out; or 0. The most
  // recently freed first.
  u32 take_known(const Knowledge& knowledge, u32* last_access) {
    for (int i = n - 1; i >= 0; --i) {
      if (knowledge.get(entries[i].slot) >= entries[i].takeable - 1) return take_at(i, last_access);
    }
    return 0;
  }
  u32 take_at(int i, u32* last_access) {
    const u32 s = entries[i].slot;
    *last_access = entries[i].takeable - 1;
    for (int j = i + 1; j < n; ++j) entries[j - 1] = entries[j];
    --n;
    return s;
  }
};
thread_local FreeCache tls_free;

// A free slot of the table's whose whole past `knowledge` covers, or 0 (see slots.h). First among
// the most recently freed, as after the spawner joined the fibers that just ended; then along the
// spawner's clock, which names every slot it knows anything of: as after it joined a batch of
// fibers a while ago, while others it has not joined ended since. The search costs what copying
// that clock into the new task does, and goes on from where the last one stopped, past the
// slots it just took. mu is held.
u32 known_free_slot(Table& t, const Knowledge& knowledge) {
  u32 s = t.free_tail;
  for (int k = 0; s != 0 && k < kRecent; ++k, s = t.info(s).prev) {
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

// Takes a slot for a task that knows `knowledge` from the table (0: none left at all).
u32 table_slot(Table& t, const Knowledge& knowledge, u32* last_access) {
  t.mu.lock();
  u32 slot = known_free_slot(t, knowledge);
  if (slot == 0) slot = t.fresh();
  if (slot == 0)
    slot = t.free_head;  // every slot is taken: the longest free passes on without
                         // the knowledge
  if (slot != 0 && t.takeable[slot] != 0) {  // a free one (not a fresh one)
    *last_access = t.takeable[slot] - 1;
    t.take(slot);
  }
  t.mu.unlock();
  return slot;
}

}  // namespace

SlotGrant slot_acquire(const Knowledge& knowledge, const Identity& who) {
  Table& t = table();
  u32 last_access = 0;
  u32 slot = tls_free.gone ? 0 : tls_free.take_known(knowledge, &last_access);
  if (slot == 0) slot = table_slot(t, knowledge, &last_access);
  if (slot == 0 && tls_free.n > 0) slot = tls_free.take_at(0, &last_access);  // as the table's
  if (slot == 0) return SlotGrant{0, 0, 0};  // the caller runs untracked
  SlotInfo& info = t.info(slot);
  const u32 start = info.final_clock.load(std::memory_order_relaxed) + 1;
  info.mu.lock();
  info.add(Holder{start, who});
  info.mu.unlock();
  return SlotGrant{slot, start, last_access};
}

void slot_release(u32 slot, u32 final_clock, u32 last_access) {
  Table& t = table();
  SlotInfo& info = t.info(slot);
  info.final_clock.store(final_clock, std::memory_order_relaxed);  // its latest holder has ended
  if (final_clock >= kMaxClock) return;  // a slot whose clocks are used up stays taken for ever
  if (tls_free.gone) {
    t.mu.lock();
    t.push_free(slot, last_access + 1);
    t.mu.unlock();
    return;
  }
  if (tls_free.n == kCached) tls_free.spill(t);
  tls_free.entries[tls_free.n++] = FreeCache::Entry{slot, last_access + 1};
}

bool slot_holder(u32 slot, u32 clock, Identity* who, bool* finished) {
  Table& t = table();
  if (slot == 0 || slot > kMaxSlot ||
      !t.pages[slot >> kInfoPageBits].load(std::memory_order_acquire)) {
    return false;
  }
  SlotInfo& info = t.info(slot);
  bool found = false;
  info.mu.lock();
  for (std::size_t i = 0; i < info.holders.size(); ++i) {
    const Holder& h = info.latest(i);
    if (h.start_clock <= clock) {
      *who = h.who;
      // final_clock only grows: it is past the start of every holder that has ended.
      *finished = info.final_clock.load(std::memory_order_relaxed) >= h.start_clock;
      found = true;
      break;
    }
  }
  info.mu.unlock();
  return found;
}

void slot_rename(u32 slot, const Identity& who) {
  SlotInfo& info = table().info(slot);
  info.mu.lock();
  if (!info.holders.empty()) info.latest(0).who = who;
  info.mu.unlock();
}

u32 slots_used() {
  Table& t = table();
  t.mu.lock();
  const u32 n = t.next_fresh - 1;
  t.mu.unlock();
  return n;
}

}  // namespace weave::detail::race
