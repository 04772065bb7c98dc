// Global deadlock detection, as Go's checkdead: when no fiber can run, no timer is pending and
// every thread of the process is blocked in a weave operation, nothing can ever wake anyone:
// `fatal error: all fibers are asleep - deadlock!`, the report (reason "deadlock"), exit 2.
//
// Whoever goes idle last finds it: a worker about to sleep, the timer thread between fires, a
// thread about to block (hooks.h). The check reads the scheduler, the timers and the threads one
// after another, so it reads them twice and believes them only if nothing ran in between: a
// worker's pick, a timer queued and a thread woken each change a count it compares.
#pragma once

namespace weave::detail::debug {

void note_runtime_thread();  // a thread of weave's own started (it never blocks in weave)
void note_thread_woken();    // a plain thread blocked in weave was made runnable
void check_deadlock();

}  // namespace weave::detail::debug
