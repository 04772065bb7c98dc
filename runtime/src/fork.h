// fork() after the scheduler started (see fork.cc): the child may exec or _exit; any use of the
// scheduler there is a fatal error with a message, instead of a hang.
#pragma once

#include <atomic>

namespace weave::detail {

// Set in the child of a fork() made after the scheduler started; never cleared.
extern std::atomic<bool> g_forked_child;

// Called as the scheduler starts.
void install_fork_handler();

// Ends the process (status 2) with a message naming `what` the child tried.
[[noreturn]] void forked_child_fatal(const char* what);

// At the scheduler's entry points (start a fiber, wake one, block): relaxed, a plain load.
inline void check_not_forked_child(const char* what) {
  if (__builtin_expect(g_forked_child.load(std::memory_order_relaxed), false)) {
    forked_child_fatal(what);
  }
}

}  // namespace weave::detail
