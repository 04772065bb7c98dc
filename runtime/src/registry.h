// Every live fiber and every thread that has used weave, for dumps and num_fibers().
//
// Fibers are kept in sharded intrusive lists (shard = id mod kShards) so spawning and finishing
// rarely contend; a dump walks the shards one at a time.
#pragma once

#include <cstdint>
#include <functional>

#include "fiber.h"
#include "task.h"

namespace weave::detail {

std::uint64_t next_task_id();
void registry_add(Fiber* f);
void registry_remove(Fiber* f);
void registry_add_thread(Task* t);
void registry_remove_thread(Task* t);
int registry_fiber_count();
// Calls fn for every live fiber, then every registered thread, under the registry's locks: fn
// must not block or touch the registry.
void registry_for_each(const std::function<void(const Task&)>& fn);

// The fiber's end: registry, hooks, stack back to the pool. Runs on the scheduler's stack.
void finish_fiber(Fiber* f);

// SIGQUIT prints the dump and exits with status 2, as Go does.
void start_dump_signal_watcher();

}  // namespace weave::detail
