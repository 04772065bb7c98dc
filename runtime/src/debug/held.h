// Which task holds which lock, for dumps (a mutex's holder) and the leak analysis (a mutex whose
// holder can run can be unlocked). Each task records its own in its TaskState (task_state.h), so
// locking touches no shared state.
#pragma once

#include <vector>

#include "hooks.h"
#include "task.h"

namespace weave::detail::debug {

void note_locked(Task* self, const void* m, LockKind kind, const Location& at);
// Forgets m in self's slots, or, if another task locked it (Go lets any task unlock a mutex), in
// that task's.
void note_unlocked(Task* self, const void* m, LockKind kind);

// The tasks that hold m now (readers of an RWMutex may be several). Exact while the world is
// stopped, a snapshot otherwise.
std::vector<const Task*> holders_of(const void* m);

}  // namespace weave::detail::debug
