// Fiber creation and the fiber's life: spawn, run, panic, finish.
//
// A fiber's stack top holds, from the top down: the Fiber control block, the callable, then the
// frames. Nothing about a fiber lives on the heap.
#include "fiber.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <typeinfo>

#include "asan.h"
#include "hooks.h"
#include "registry.h"
#include "scheduler.h"
#include "stack.h"
#include "stack_trace.h"
#include "weave/fiber.h"

namespace weave::detail {
namespace {

// spawn(): how many fibers a fiber may start into a backlogged run queue before it yields.
constexpr std::uint32_t kSpawnBurst = 64;

char* align_down(char* p, std::size_t align) {
  return reinterpret_cast<char*>(reinterpret_cast<std::uintptr_t>(p) & ~(align - 1));
}

// An exception that escapes a fiber's callable, main or a std::thread is a panic, as in Go:
// `panic: <what>`, the panicking task's stack as it was at the throw, where a fiber was created,
// then abort. Nothing catches it on the way (run_fiber_body does not), so the unwinder finds no
// handler and std::terminate runs here with the throwing frames still on the stack.
void on_terminate() {
  const char* what = "std::terminate called without an active exception";
  std::string text;
  if (std::exception_ptr e = std::current_exception()) {
    what = "exception of unknown type";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      text = ex.what();
      what = text.c_str();
    } catch (...) {
    }
  }
  void* pcs[64];
  const int n = capture_stack(pcs, 64);
  Task* t = current();
  std::fprintf(stderr, "panic: %s\n\n%s %llu [running]:\n", what,
               t->kind == TaskKind::kFiber ? "fiber" : "thread",
               static_cast<unsigned long long>(t->id));
  print_frames(stderr, user_frames(pcs, n));
  if (t->kind == TaskKind::kFiber) {
    auto* f = static_cast<Fiber*>(t);
    std::fprintf(stderr, "created by %s %llu at %s:%u (%s)\n",
                 f->parent_is_thread ? "thread" : "fiber",
                 static_cast<unsigned long long>(f->parent_id), f->created_at.file_name(),
                 f->created_at.line(), f->created_at.function_name());
  }
  std::fputs("\n", stderr);
  std::fflush(stderr);
  hook::panic(what);
  std::abort();
}

}  // namespace

void install_panic_handler() {
  static std::once_flag once;
  std::call_once(once, [] { std::set_terminate(&on_terminate); });
}

void spawn(const FiberFn& fn, void* callable, const Location& loc) {
  ensure_started();
  Stack* s = stack_acquire();
  asan_unpoison_stack(s->base, s->size);
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
  schedule_new(f);
  // Backpressure: a spawner in a loop would otherwise run ahead of every fiber it starts, each
  // holding a fresh stack; yielding once there is a backlog lets them run (and give their stacks
  // back) first. Go can count on preemption for this. A fiber yields once per kSpawnBurst fibers
  // it starts (its worker then runs the backlog): the backlog may be other fibers' making, and a
  // fork-join fiber that starts a few children into a busy ring must not be sent to the back of
  // the global queue for each (skynet on one worker did so 9,000 times per tree, each yield
  // opening more of the tree at once: 13,000 stacks instead of ~100). A plain thread waits
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
  f->fn->run(f->closure);  // an exception escaping it is a panic: on_terminate, with its stack
  f->fn->destroy(f->closure);
  hook::fiber_exit(f);
}

void finish_fiber(Fiber* f) {
  hook::task_gone(f);
  registry_remove(f);
  Stack* s = f->stack;
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
