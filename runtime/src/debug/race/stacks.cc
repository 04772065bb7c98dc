#include "stacks.h"

#include <atomic>

#include "race_task.h"

namespace weave::detail::race {
namespace {

constexpr u32 kMaxRecord = (1u << 24) - 1;
constexpr u32 kMaxNode = kMaxSite;
constexpr std::size_t kTable = std::size_t{1} << 20;  // twice the nodes: probes stay short
constexpr std::size_t kCache = 256;

std::atomic<const race_abi::Loc*> g_records[kMaxRecord + 1];  // untouched pages cost nothing
std::atomic<u32> g_next_record{1};

// The table: a key is (parent << 24 | record) + 1 (0: empty); a node's value is published after
// its key, so a reader that finds the key waits for the value.
std::atomic<u64> g_keys[kTable];
std::atomic<u32> g_values[kTable];
std::atomic<u64> g_nodes[kMaxNode + 1];  // node -> its key
std::atomic<u32> g_next_node{1};

struct CacheEntry {
  u64 key;
  u32 node;
};
__attribute__((tls_model("initial-exec"))) thread_local CacheEntry tls_cache[kCache];

u32 record_number(const race_abi::Loc* loc) {
  auto* id = const_cast<std::uint32_t*>(&loc->id);  // the record lives in writable memory
  u32 fresh = g_next_record.fetch_add(1, std::memory_order_relaxed);
  if (fresh > kMaxRecord) return 0;
  g_records[fresh].store(loc, std::memory_order_release);
  u32 expected = 0;
  // Two threads numbering one record at once: the first number stays, the other is never used.
  if (!__atomic_compare_exchange_n(id, &expected, fresh, false, __ATOMIC_RELEASE,
                                   __ATOMIC_RELAXED)) {
    return expected;
  }
  return fresh;
}

inline u32 record_id(const race_abi::Loc* loc) {
  if (!loc) return 0;
  const u32 id = __atomic_load_n(&loc->id, __ATOMIC_RELAXED);
  return __builtin_expect(id != 0, 1) ? id : record_number(loc);
}

u32 intern_slow(u64 key) {
  std::size_t h = (key * 0x9E3779B97F4A7C15ull) >> (64 - 20);
  for (std::size_t probes = 0; probes < kTable; ++probes, h = (h + 1) & (kTable - 1)) {
    u64 k = g_keys[h].load(std::memory_order_acquire);
    if (k == 0) {
      if (g_next_node.load(std::memory_order_relaxed) > kMaxNode) return 0;
      if (!g_keys[h].compare_exchange_strong(k, key, std::memory_order_acq_rel)) {
        if (k != key) continue;  // another key took the entry
      } else {
        const u32 node = g_next_node.fetch_add(1, std::memory_order_relaxed);
        if (node > kMaxNode) {
          g_values[h].store(~0u, std::memory_order_release);  // the entry stays, unusable
          return 0;
        }
        g_nodes[node].store(key, std::memory_order_release);
        g_values[h].store(node, std::memory_order_release);
        return node;
      }
    }
    if (k == key) {
      u32 v;
      while ((v = g_values[h].load(std::memory_order_acquire)) == 0) {
      }
      return v == ~0u ? 0 : v;
    }
  }
  return 0;
}

u32 intern(u32 parent, const race_abi::Loc* loc) {
  const u32 record = record_id(loc);
  if (record == 0) return parent;
  const u64 key = ((u64{parent} << 24) | record) + 1;
  CacheEntry& c = tls_cache[(key ^ (key >> 13)) & (kCache - 1)];
  if (c.key == key) return c.node;
  const u32 node = intern_slow(key);
  if (node) c = CacheEntry{key, node};
  return node;
}

}  // namespace

u32 frame_node(RaceTask* t, u32 i) {
  // Find the innermost frame at or below i whose node is known, then extend outward from it.
  u32 j = i;
  while (t->frames[j].node == kUnknownNode && j > 0) --j;
  u32 node = t->frames[j].node;
  if (node == kUnknownNode) {  // j == 0: the outermost frame, called from code not instrumented
    node = t->frames[0].callsite ? intern(0, t->frames[0].callsite) : 0;
    t->frames[0].node = node;
  }
  for (u32 k = j + 1; k <= i; ++k) {
    node = intern(node, called_from(t, k));
    t->frames[k].node = node;
  }
  return node;
}

constinit __attribute__((
    tls_model("initial-exec"))) thread_local SiteCacheEntry tls_sites[kSiteCache] = {};

u32 access_site_slow(RaceTask* t, const race_abi::Loc* loc) {
  const u32 stored = recorded_frames(t);
  const u32 frame = stored ? frame_node(t, stored - 1) : 0;
  SiteCacheEntry& c = site_entry(loc);
  if (c.loc != loc || c.frame != frame) c = SiteCacheEntry{loc, 0, frame, intern(frame, loc)};
  c.frames_gen = t->frames_gen;
  return c.node;
}

std::vector<const race_abi::Loc*> site_stack(u32 node) {
  std::vector<const race_abi::Loc*> out;
  while (node != 0 && node <= kMaxNode) {
    const u64 key = g_nodes[node].load(std::memory_order_acquire) - 1;
    const u32 record = static_cast<u32>(key & kMaxRecord);
    out.push_back(g_records[record].load(std::memory_order_acquire));
    node = static_cast<u32>(key >> 24);
  }
  return out;
}

}  // namespace weave::detail::race
