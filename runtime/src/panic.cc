// Panics and fatal errors (see panic.h).
#include "panic.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

#include "fiber.h"
#include "hooks.h"
#include "stack_trace.h"
#include "task.h"

namespace weave::detail {
namespace {

// The calling task's stack as Go prints a goroutine's (`fiber N [running]:`, its frames, where it
// was created), then a blank line. Called where the failure happened, so the frames are those of
// the code that failed.
void print_running_task() {
  void* pcs[64];
  const int n = capture_stack(pcs, 64);
  Task* t = current();
  std::fprintf(stderr, "%s %llu [running]:\n", t->kind == TaskKind::kFiber ? "fiber" : "thread",
               static_cast<unsigned long long>(t->id));
  if (!hook::print_panic_stack(pcs, n)) print_frames(stderr, user_frames(pcs, n));
  if (t->kind == TaskKind::kFiber) {
    auto* f = static_cast<Fiber*>(t);
    std::fprintf(stderr, "created by %s %llu at %s:%u (%s)\n",
                 f->parent_is_thread ? "thread" : "fiber",
                 static_cast<unsigned long long>(f->parent_id), f->created_at.file_name(),
                 f->created_at.line(), f->created_at.function_name());
  }
  std::fputs("\n", stderr);
  std::fflush(stderr);
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
  std::fprintf(stderr, "panic: %s\n\n", what);
  print_running_task();
  hook::panic(what);
  std::abort();
}

}  // namespace

void install_panic_handler() {
  static std::once_flag once;
  std::call_once(once, [] { std::set_terminate(&on_terminate); });
}

void fatal_error(const char* what) {
  std::fprintf(stderr, "fatal error: %s\n\n", what);
  print_running_task();
  std::abort();
}

}  // namespace weave::detail
