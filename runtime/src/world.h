// Stopping the world: the one mechanism behind exit's stop (exit.cc), which is for good, and the
// debug runtime's (the leak analysis and its dumps), which reads every task's memory and then
// lets the program go on.
//
// The runtime's own threads (the workers, the timer thread) stop at safe points, where they hold
// no lock and every fiber is on its own stack with its context saved: a worker between two
// fibers or asleep, the timer thread between two fires. The stopper raises a flag that each tests
// there (stop_requested(), one relaxed load on every path) and nudges each awake. One still
// running a fiber after a grace period is stopped by a signal wherever the mode allows; so, in
// the debug runtime's mode, is every other thread of the process (the program's own threads,
// those that never used weave too), and each records its registers and stack pointer there, so
// that the analysis reads them as roots.
//
// Where a thread may stop by signal: for exit, only in the program's own code, never in a shared
// library (malloc's and stdio's locks, which the static destructors that follow need) nor in the
// runtime (a channel's lock, the timer heap's); for the debug runtime, anywhere but the runtime's
// own code (a fiber between two stacks), since nothing it does while the world is stopped takes a
// lock or allocates. A runtime thread elsewhere steps on (x86-64's trap flag) to such a place;
// the program's threads stop wherever they are.
//
// Lock order: the stopper holds stop_mutex (recursive: exit's dump pauses the program's threads
// inside exit's stop) for as long as the world is stopped; nothing else is held by a thread
// stopped at a safe point.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace weave::detail {

// Nonzero while the world is stopping or stopped.
extern std::atomic<std::uint32_t> g_world_stop;
inline bool stop_requested() { return g_world_stop.load(std::memory_order_relaxed) != 0; }

// A thread of the runtime (a worker, the timer thread).
struct RuntimeThread;

// Called by a runtime thread as it starts. `nudge(arg)`, called from any thread, must make it
// reach its next safe point soon (wake it if it sleeps). `loop_frame`: the frame of its outermost
// loop; below it lie only frames that hold nothing across a safe point (the debug runtime reads a
// stopped thread's stack from there up).
RuntimeThread* register_runtime_thread(void (*nudge)(void*), void* arg, const void* loop_frame);

// At a safe point, once stop_requested(): waits there while the world is stopped (for good once
// exit stopped it), then returns.
void stop_here(RuntimeThread* self);

enum class StopMode {
  kExit,   // the runtime's threads, for good; the program's threads run on
  kPause,  // every thread of the process but the caller, until resume_world()
};

// Stops the world as `mode` says; returns with it stopped. kPause may fail: false when a thread
// did not stop within timeout_ms (it blocks the signal, or a fiber stays inside the runtime's
// code), and then nothing is stopped. kExit always returns true, after at most a couple of
// seconds (a thread that cannot be stopped runs on, and it says so on stderr). Nests: a kPause
// inside kExit (from the same thread) stops the program's threads only.
bool stop_world(StopMode mode, int timeout_ms);
// Ends a kPause: every thread it stopped runs on.
void resume_world();

// A thread stopped by the current kPause (or frozen by exit's stop), as the leak analysis needs
// it. Valid until resume_world().
struct StoppedThread {
  pid_t tid = 0;
  bool runtime = false;  // one of the runtime's threads
  // False: stopped at a safe point, where only its stack above loop_frame can hold anything the
  // program uses. True: stopped by the signal, its registers below.
  bool by_signal = false;
  const void* loop_frame = nullptr;      // runtime threads
  std::uintptr_t sp = 0;                 // by_signal: the stack pointer it was stopped at
  static constexpr int kMaxWords = 512;  // the x86-64 XSAVE area fits
  int nwords = 0;                        // by_signal: its general and vector registers, as words
  std::uintptr_t words[kMaxWords] = {};
};

// Calls fn for every thread the current stop holds, but the caller. While the world is stopped.
// `t` lives for the call only (a runtime thread at its safe point is described by a temporary).
void for_each_stopped_thread(void (*fn)(const StoppedThread& t, void* arg), void* arg);

// The mapping that holds the stopped threads' registers (the debug runtime reads them as roots,
// and not the rest of the mapping, which holds earlier stops' too).
const void* stop_table_mapping(std::size_t* size);

// Whether exit's stop had to stop a runtime thread by the signal, in the middle of the program's
// code (exit.cc).
bool exit_stopped_by_signal();

// Whether the calling thread is one of the runtime's.
bool is_runtime_thread();

// The number of runtime threads registered so far.
int runtime_thread_count();

}  // namespace weave::detail
