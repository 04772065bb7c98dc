// Starting fibers: weave::go is Go's `go` statement.
//
// A fiber is a stackful coroutine multiplexed over WEAVE_PROCS worker threads. The callable is
// constructed directly in the new fiber's stack (no heap allocation), and the call site is recorded
// so that dumps can say where every fiber was created.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <new>
#include <type_traits>
#include <utility>

#include "weave/base.h"

namespace weave {
namespace detail {

// The type-erased closure of a fiber: how to construct it in the fiber's stack, run it, destroy it.
struct FiberFn {
  std::size_t size;
  std::size_t align;
  void (*construct)(void* dst, void* src);
  void (*run)(void* closure);
  void (*destroy)(void* closure);
};

template <class F>
struct FiberFnFor {
  using Fn = std::decay_t<F>;
  static void construct(void* dst, void* src) {
    ::new (dst) Fn(std::forward<F>(*static_cast<std::remove_reference_t<F>*>(src)));
  }
  static void run(void* p) { (*static_cast<Fn*>(p))(); }
  static void destroy(void* p) { static_cast<Fn*>(p)->~Fn(); }
  static constexpr FiberFn kFn{sizeof(Fn), alignof(Fn), &construct, &run, &destroy};
};

void spawn(const FiberFn& fn, void* callable, const Location& loc);

}  // namespace detail

// Go's `go f()`: runs f on a new fiber. Starts the scheduler on first use. An exception escaping f
// is a panic: it is printed with the fiber's id and creation site and the process aborts, as Go
// does.
template <class F>
void go(F&& f, Location loc = Location::current()) {
  static_assert(std::is_invocable_v<std::decay_t<F>&>, "weave::go takes a nullary callable");
  if constexpr (std::is_function_v<std::remove_reference_t<F>>) {
    auto* fp = &f;  // a plain function: run it through its pointer
    detail::spawn(detail::FiberFnFor<decltype(fp)&>::kFn, &fp, loc);
  } else {
    detail::spawn(detail::FiberFnFor<F&&>::kFn, const_cast<void*>(static_cast<const void*>(&f)),
                  loc);
  }
}

// Go's runtime.Gosched(): lets other fibers run. From a plain thread it yields the thread.
void yield();

// Go's runtime.NumGoroutine(): fibers started and not yet finished.
int num_fibers();

// The number of worker threads (WEAVE_PROCS, default: the number of cores).
int procs();

// A Go-style dump of every fiber: id, state, how long it has waited, where it waits, where it was
// created. SIGQUIT prints the same to stderr and exits with status 2, as Go does.
void dump_fibers(std::ostream& out);

}  // namespace weave
