// Every live fiber and every thread that has used weave, for dumps and num_fibers().
//
// There is no list of fibers to maintain: a fiber lives at the top of its stack, the stack pool
// records every stack it ever made (stack.h), and a stack names its fiber while one runs on it —
// Go's allgs, with the stack as the g. So spawning and finishing touch no shared list and take no
// lock; only a dump pays, walking every stack. Counting is per thread for the same reason.
#pragma once

#include <cstdint>
#include <vector>

#include "fiber.h"
#include "task.h"

namespace weave::detail {

// Ids for fibers, threads and channels: unique, increasing within a thread, handed out to each
// thread in blocks (Go's goidcache), so spawning fibers on several workers does not contend.
std::uint64_t next_task_id();

// Publishes a fully made fiber (spawn), and withdraws it before it is destroyed (finish_fiber).
void registry_add(Fiber* f);
void registry_remove(Fiber* f);
void registry_add_thread(Task* t);
void registry_remove_thread(Task* t);
int registry_fiber_count();

// What a dump prints of one task, copied out of it.
struct TaskView {
  const Task* task = nullptr;  // for identity only: the task may be gone by now
  TaskKind kind = TaskKind::kThread;
  std::uint64_t id = 0;
  WaitReason wait_reason = WaitReason::kNone;
  WaitObject wait_object;
  Location wait_location;
  std::int64_t wait_since_ns = 0;
  // Fibers only.
  Location created_at;
  std::uint64_t parent_id = 0;
  bool parent_is_thread = false;
};

// Every live fiber, by id, then every registered thread. A fiber that starts or finishes during
// the call may be missed; none is seen half-made or half-destroyed.
std::vector<TaskView> registry_snapshot();

// Calls fn for every live fiber and every registered thread (the debug runtime's walks over
// tasks). A fiber may start or finish during the call: fn must read a fiber's memory as possibly
// stale (it is never unmapped), unless the world is stopped.
void registry_visit(void (*fn)(Task* t, void* arg), void* arg);
// The same for the registered threads only.
void registry_visit_threads(void (*fn)(Task* t, void* arg), void* arg);

}  // namespace weave::detail
