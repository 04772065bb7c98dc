// Stopping the world: while the debug runtime reads every task's memory (the leak analysis, the
// dumps), no fiber and no timer fire may run.
//
// Weave's own threads run user code only between a safe point and going idle (hooks.h): a worker
// from safe_point() before it resumes a fiber until runtime_idle() when it sleeps, the timer
// thread around each fire. stop_world() raises a flag that safe points wait on and waits until no
// such thread is between the two. Plain threads are not stopped: the callers check that none
// runs (see threads.h).
//
// Order: a thread marks itself running, then reads the flag; the stopper raises the flag, then
// reads the marks (both seq_cst): one of them sees the other.
#pragma once

namespace weave::detail::debug {

bool stop_requested();
void safe_point();
void runtime_idle_mark();

// True when the world is stopped; false if a thread was still running user code after
// timeout_ms (a fiber that never blocks), and then nothing is stopped. The calling thread itself
// is not waited for. Nests: each successful call needs one resume_world().
bool stop_world(int timeout_ms);
void resume_world();

}  // namespace weave::detail::debug
