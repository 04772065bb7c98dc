// Memory that is gone is forgotten: its shadow cells and the clocks of sync objects in it, so
// that whatever the address holds next starts with no past — no stale race between an object's
// old owner and the next one, whose hand-over through the allocator the engine cannot see. Freed
// heap chunks come from the debug runtime's malloc interposer (debug/heap.cc, through
// hook::memory_freed; operator delete reaches it through free), objects of the runtime's own
// (channels, mutexes) through hook::object_gone, ended fiber stacks from race_task.cc.
#include "engine.h"
#include "shadow.h"
#include "sync.h"

namespace weave::detail::race {

void forget_range(uptr lo, uptr hi) {
  if (!enabled()) return;
  shadow_clear(lo, hi);
  sync_forget(lo, hi);
}

}  // namespace weave::detail::race
