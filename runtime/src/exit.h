// Stopping the world when the process exits (see exit.cc): once exit has begun, no fiber runs and
// no timer fires, so no static destructor can race with them.
#pragma once

namespace weave::detail {

// Called by a runtime thread as it starts: exit from it (a fiber calling exit runs it on its
// worker) stops the world first.
void arm_exit_on_this_thread();

// Called on the main thread after it has made a thread_local whose destructor must run after the
// world stops (its Task, which names the locks main holds in the exit dump): thread_local
// destructors run in reverse order of construction.
void arm_exit_again_on_main_thread();

// Called as the scheduler starts: makes exit stop the world even when it is called from a plain
// thread that has never used weave (the handler std::atexit runs).
void install_exit_handler();

}  // namespace weave::detail
