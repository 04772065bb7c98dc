// Stopping the world when the process exits (see exit.cc): once exit has begun, no fiber runs and
// no timer fires, so no static destructor can race with them.
#pragma once

#include <atomic>

namespace weave::detail {

// Set once exit has begun. A runtime thread tests it where it holds no lock and then calls
// freeze(); the flag is read relaxed because exit waits for each thread to say it froze.
extern std::atomic<bool> g_world_stopping;
inline bool world_stopping() { return g_world_stopping.load(std::memory_order_relaxed); }

// A thread of the runtime (a worker, the timer thread), which exit must stop.
struct RuntimeThread;

// Called by a runtime thread as it starts. `nudge(arg)`, called from any thread, must make it
// reach its next test of world_stopping() soon (wake it if it sleeps).
RuntimeThread* register_runtime_thread(void (*nudge)(void*), void* arg);

// Blocks the calling runtime thread for good, at a point where it holds no lock.
[[noreturn]] void freeze(RuntimeThread* self);

// Called as the scheduler starts: makes exit stop the world even when it is called from a plain
// thread that has never used weave (the handler std::atexit runs).
void install_exit_handler();

}  // namespace weave::detail
