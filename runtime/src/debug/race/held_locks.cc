// The locks each task holds, as its race reports list them: weave's (through the seam) and the
// program's pthread locks (through the wrappers in pthread.cc). A task holding more than
// RaceTask::kMaxLocks at once has the extra ones left out of its reports.
#include "engine.h"

namespace weave::detail::race {

void note_locked(const void* m, bool shared, const char* file, u32 line) {
  RaceTask* t = running_task();
  if (!t || t->nlocks == RaceTask::kMaxLocks) return;
  t->locks[t->nlocks++] = HeldLock{m, shared, file, line};
}

void note_unlocked(const void* m) {
  RaceTask* t = running_task();
  if (!t) return;
  for (int i = t->nlocks - 1; i >= 0; --i) {
    if (t->locks[i].addr == m) {
      t->locks[i] = t->locks[--t->nlocks];
      return;
    }
  }
}

const HeldLock* held_lock(const RaceTask* t, const void* m) {
  for (int i = 0; i < t->nlocks; ++i) {
    if (t->locks[i].addr == m) return &t->locks[i];
  }
  return nullptr;
}

}  // namespace weave::detail::race
