#include "sites.h"

#include <atomic>

namespace weave::detail::race {
namespace {

std::atomic<const race_abi::Loc*> g_sites[kMaxSite + 1];  // untouched pages cost nothing
std::atomic<u32> g_next{1};

}  // namespace

u32 site_number(const race_abi::Loc* loc) {
  auto* id = const_cast<std::uint32_t*>(&loc->id);  // the record lives in writable memory
  u32 fresh = g_next.load(std::memory_order_relaxed);
  if (fresh > kMaxSite) return 0;
  fresh = g_next.fetch_add(1, std::memory_order_relaxed);
  if (fresh > kMaxSite) return 0;
  g_sites[fresh].store(loc, std::memory_order_release);
  u32 expected = 0;
  // Two tasks numbering one record at once: the first number stays, the other is never used.
  if (!__atomic_compare_exchange_n(id, &expected, fresh, false, __ATOMIC_RELEASE,
                                   __ATOMIC_RELAXED)) {
    return expected;
  }
  return fresh;
}

const race_abi::Loc* site_loc(u32 id) {
  if (id == 0 || id > kMaxSite) return nullptr;
  return g_sites[id].load(std::memory_order_acquire);
}

}  // namespace weave::detail::race
