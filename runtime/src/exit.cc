// Exit with fibers still running: the world stops before any static destructor runs.
//
// Go's exit ends the process with its goroutines wherever they are, and nothing of the program
// runs after it. A C++ exit first runs static destructors and atexit handlers, and a fiber still
// running then uses what they destroy (a global channel freed under its senders). So exit first
// stops the world: the workers pick no more fibers, the timer thread fires no more timers, and a
// worker still running a fiber is frozen where it is. Frozen fibers never run again. Then comes
// hook::program_exit() (the debug runtime's leak dump), then the rest of exit. Plain threads are
// the program's own: they run on, as in any C++ program.
//
// The rest of exit depends on where the fibers stopped. When each stopped at a safe point
// (blocked, yielding or ending: at a safe point), the program's objects are as its fibers left them
// between two operations, and the destructors and atexit handlers run as in any C++ program (one
// that waits for a fiber or a timer waits for good). When a fiber had to be stopped in the middle
// of the program's code (by the signal), it may have left an object half-updated (a string between
// freeing its old buffer and taking its new one), and destroying that object would crash: then
// exit ends the process as Go's does, with the status it was given, once stdout (and std::cout)
// is flushed: no destructor or atexit handler runs (end_as_go).
//
// When. exit runs the calling thread's thread_local destructors before anything else (glibc's
// __run_exit_handlers), then the atexit handlers and static destructors in reverse order of
// registration. A handler registered as the scheduler starts would run only after the
// destructors of statics constructed later (a function-local static first used by a fiber), so
// the world is stopped by the destructor of a thread_local instead (arm_this_thread), on every
// thread that only ends through exit: the main thread, armed before main (a main that calls
// pthread_exit does not run its thread_local destructors), and the runtime's threads (a fiber
// that calls exit runs it on its worker). exit from another thread reaches the atexit handler
// that the scheduler installs as it starts (install_exit_handler).
//
// How: the world stops as world.h says, in its exit mode: at safe points, and a worker still
// running a fiber after a grace period wherever it runs the program's own code (never in a shared
// library or the runtime, whose locks the destructors may need). Then comes
// hook::program_exit(), then the rest of exit.
//
// Limits. A fiber blocked at exit may hold one of the program's locks (a std::mutex held across
// a receive): a destructor that takes it waits for good. In a stripped executable the runtime's
// functions look like the program's, so a computing fiber may be frozen inside the runtime,
// holding the lock of the channel it was using (which only the debug runtime's dump could then
// wait for). A fiber whose body the compiler inlined into a function of the runtime computes in
// the runtime's code, and is frozen only after a while (world.cc). Without glibc's on_exit, which
// tells the status, exit after a stop by signal runs the destructors.
#include "exit.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "fork.h"
#include "hooks.h"
#include "scheduler.h"
#include "world.h"

namespace weave::detail {
namespace {

// How long exit waits for a plain thread to finish the fiber it runs (as world.cc waits for a
// worker).
constexpr std::int64_t kGuestsExitGraceNs = 2'000'000'000;

// Skips the destructors and atexit handlers still to run (see the top): a handler registered
// now runs next, and on_exit's is given the status exit was called with (glibc; elsewhere the
// rest of exit runs). Only stdout and std::cout are flushed: fflush(nullptr) would wait for every
// stream's lock, and a plain thread blocked reading stdin holds stdin's.
void end_as_go() {
#if defined(__GLIBC__)
  on_exit(
      [](int status, void*) {
        std::cout.flush();
        std::fflush(stdout);
        _exit(status);
      },
      nullptr);
#endif
}

// Runs once per exiting thread's way out (a thread_local's destructor, then the atexit
// handler): the second call finds the world stopped already.
void stop_the_world() {
  if (g_forked_child.load(std::memory_order_relaxed)) return;  // no other thread was copied
  static bool done = false;  // guarded by the world's stop (this thread holds it from here on)
  if (!done && !is_runtime_thread()) hook::exit_begins();
  stop_world(StopMode::kExit, 0);
  if (done) return;
  done = true;
  // A plain thread running a fiber it woke finishes it first (the fiber may use what the static
  // destructors destroy); it runs no other.
  if (!wait_for_guests(kGuestsExitGraceNs)) {
    static const char msg[] =
        "weave: exit could not wait for a fiber that a plain thread runs; it may race with "
        "static destructors\n";
    (void)!write(2, msg, sizeof msg - 1);
  }
  // end_as_go's handler first: one program_exit registers (the race detector's exit status) then
  // runs before it.
  if (exit_stopped_by_signal()) end_as_go();
  hook::program_exit();
}

struct ExitSentinel {
  ~ExitSentinel() { stop_the_world(); }
};

void arm_this_thread() {
  static thread_local ExitSentinel sentinel;
  (void)&sentinel;
}

[[maybe_unused]] const bool g_main_thread_armed = [] {
  if (getpid() == static_cast<pid_t>(syscall(SYS_gettid))) arm_this_thread();
  return true;
}();

}  // namespace

void arm_exit_on_this_thread() { arm_this_thread(); }

void arm_exit_again_on_main_thread() {
  if (getpid() != static_cast<pid_t>(syscall(SYS_gettid))) return;
  static thread_local ExitSentinel later;
  (void)&later;
}

void install_exit_handler() {
  std::atexit([] { stop_the_world(); });
}

}  // namespace weave::detail
