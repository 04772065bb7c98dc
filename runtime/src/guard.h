// Stack guards: a running fiber's stack always has its guard region (the kGuardBytes below its
// lowest usable byte) PROT_NONE, so a fiber that overflows its stack faults there, and the
// SIGSEGV handler reports it, whatever the number of fibers. See guard.cc.
#pragma once

#include <atomic>
#include <cstddef>

#include "stack.h"

namespace weave::detail {

void stack_guard_slow(Stack* s);

// Called by a worker that is about to switch to a fiber on s, after it has made that fiber its
// current one (the order matters: see guard.cc).
inline void stack_guard_for_run(Stack* s) {
  if (!s->guarded.load(std::memory_order_relaxed)) stack_guard_slow(s);
}

// How many stacks may have their guard at once (they are evicted beyond that).
std::size_t stack_guard_budget();

// Installs the SIGSEGV handler that reports an overflow, on an alternate signal stack of the
// calling thread.
void install_overflow_handler_for_thread();
// For a plain thread that runs fibers (a guest, scheduler.cc): an alternate signal stack for the
// handler, unless the thread has one already (then null, and the thread's is used).
// remove_overflow_stack(stack) takes back what add_overflow_stack gave.
void* add_overflow_stack();
void remove_overflow_stack(void* stack);

}  // namespace weave::detail
