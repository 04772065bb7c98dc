// fork() after the scheduler started.
//
// fork copies only the calling thread: the child has none of the workers, nor the timer thread,
// and the fibers that were running on them are gone midway. A child that started, woke or waited
// for a fiber would hang at its first hand-off (the fiber goes to a queue that no worker takes
// from). As in Go, whose runtime forks only to exec (syscall.ForkExec), the child of a program
// that has started the scheduler may exec, _exit, or do what needs no scheduler; its first
// attempt to start a fiber, wake one or block in weave is a fatal error that says why
// (pthread_atfork's child handler marks the child). Non-blocking operations that wake nobody (a
// send into a buffered channel with room) still work. A fork before the first go() is not
// affected: the scheduler starts in the child when it is first used, as in any process.
#include "fork.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

namespace weave::detail {

std::atomic<bool> g_forked_child{false};

namespace {

void in_child() { g_forked_child.store(true, std::memory_order_relaxed); }

void say(const char* s) {
  for (std::size_t n = strlen(s); n > 0;) {
    const ssize_t w = write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

void install_fork_handler() { pthread_atfork(nullptr, nullptr, &in_child); }

// write(2) only: the child's stdio and malloc may hold locks of threads that no longer exist.
void forked_child_fatal(const char* what) {
  say("fatal error: weave: ");
  say(what);
  say(" in the child of a fork() made after the scheduler started: the child has none of its "
      "threads (only exec or _exit is supported there, as in Go)\n");
  _exit(2);
}

}  // namespace weave::detail
