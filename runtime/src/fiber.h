// The fiber control block. It sits at the top of the fiber's own stack, so a parked fiber costs
// the pages its stack has touched and nothing else.
#pragma once

#include <atomic>
#include <cstdint>

#include "stack.h"
#include "task.h"
#include "weave/base.h"
#include "weave/fiber.h"

namespace weave::detail {

struct Fiber : Task {
  Fiber() : Task(TaskKind::kFiber) {}

  void* context = nullptr;  // the saved machine context while not running
  Stack* stack = nullptr;
  const FiberFn* fn = nullptr;
  void* closure = nullptr;  // the callable, in this fiber's stack

  Location created_at;
  std::uint64_t parent_id = 0;
  bool parent_is_thread = false;

  // Fibers this one has started since it last yielded to its backlog (spawn() in fiber.cc).
  std::uint32_t spawned_since_yield = 0;

  // Run-queue link for the global queue (scheduler.cc), guarded by its lock.
  Fiber* runq_next = nullptr;

  // ASan's fake-stack handle across switches.
  void* asan_fake_stack = nullptr;
};

}  // namespace weave::detail

namespace weave::detail {
// fiber.cc: runs the fiber's callable (an exception escaping it is a panic).
void run_fiber_body(Fiber* f);
// fiber.cc: the fiber's end: registry, hooks, stack back to the pool. Runs once the fiber is off
// its stack: on the stack of whatever its worker switched to (after_switch in scheduler.cc).
void finish_fiber(Fiber* f);
}  // namespace weave::detail
