// Fiber creation and the fiber's life: spawn, run, finish (a panic: panic.cc).
//
// A fiber's stack top holds, from the top down: the Fiber control block, the callable, then the
// frames. Nothing about a fiber lives on the heap.
#include "fiber.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#include "asan.h"
#include "fork.h"
#include "hooks.h"
#include "panic.h"
#include "registry.h"
#include "scheduler.h"
#include "stack.h"
#include "stack_trace.h"
#include "tsan.h"
#include "weave/fiber.h"

namespace weave::detail {
namespace {

// spawn(): how many fibers a fiber may start into a backlogged run queue before it yields.
constexpr std::uint32_t kSpawnBurst = 64;

char* align_down(char* p, std::size_t align) {
  return reinterpret_cast<char*>(reinterpret_cast<std::uintptr_t>(p) & ~(align - 1));
}

}  // namespace

void spawn(const FiberFn& fn, void* callable, const Location& loc) {
  check_not_forked_child("go() started a fiber");  // before the stack pool, whose lock may be held
  ensure_started();
  Stack* s = stack_acquire();
  asan_unpoison_stack(s->base, s->size);
  hook::stack_in_use(s->base, s->size);
  char* top = s->base + s->size;
  auto* f = new (align_down(top - sizeof(Fiber), alignof(Fiber))) Fiber();
  std::size_t align = fn.align < 16 ? 16 : fn.align;
  char* closure = align_down(reinterpret_cast<char*>(f) - fn.size, align);
  try {
    fn.construct(closure, callable);
  } catch (...) {
    f->~Fiber();
    stack_release(s);
    throw;
  }
  f->stack = s;
  f->tsan_fiber = tsan_create_fiber();
  f->fn = &fn;
  f->closure = closure;
  f->created_at = loc;
  Task* parent = current();
  f->parent_id = parent->id;
  f->parent_is_thread = parent->kind == TaskKind::kThread;
  f->id = next_task_id();
  char* sp = align_down(closure, 64);
  make_fiber_context(f, sp, static_cast<std::size_t>(sp - s->base));
  registry_add(f);
  hook::spawn(parent, f);
  tsan_release(f);  // the parent's past, for the child's first step
  schedule_new(f);
  // Backpressure: a spawner in a loop would otherwise run ahead of every fiber it starts, each
  // holding a fresh stack; yielding once there is a backlog lets them run (and give their stacks
  // back) first. Go can count on preemption for this. A fiber yields once per kSpawnBurst fibers
  // it starts (its worker then runs the backlog): the backlog may be other fibers' making, and a
  // fork-join fiber that starts a few children into a busy ring must not be sent to the back of
  // the global queue for each, each yield opening more of the tree at once (bench/README.md has
  // what that cost skynet). A plain thread waits
  // until the workers have drained the global queue below the mark.
  if (parent->kind == TaskKind::kFiber) {
    auto* spawner = static_cast<Fiber*>(parent);
    if (++spawner->spawned_since_yield >= kSpawnBurst && spawner_should_yield()) {
      spawner->spawned_since_yield = 0;
      weave::yield();
    }
  } else {
    while (spawner_should_yield()) std::this_thread::yield();
  }
}

void run_fiber_body(Fiber* f) {
  tsan_acquire(f);
  f->fn->run(f->closure);  // an exception escaping it is a panic: on_terminate, with its stack
  f->fn->destroy(f->closure);
  hook::fiber_exit(f);
}

void finish_fiber(Fiber* f) {
  hook::task_gone(f);
  registry_remove(f);
  Stack* s = f->stack;
  tsan_destroy_fiber(f->tsan_fiber);
  f->~Fiber();
  stack_release(s);
}

}  // namespace weave::detail

namespace weave {

Panic::Panic(const std::string& what) : std::logic_error(what) {
  detail::install_panic_handler();  // so that one escaping main reads as Go's panic
}

void yield() {
  if (detail::Fiber* f = detail::current_fiber()) {
    detail::switch_out(f, detail::PostSwitch{detail::PostSwitch::kYield, {}});
  } else {
    std::this_thread::yield();
  }
}

int num_fibers() { return detail::registry_fiber_count(); }

int procs() { return detail::scheduler_procs(); }

}  // namespace weave
