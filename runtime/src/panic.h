// Ending the process as Go does: a panic (an exception nothing catches) and a fatal error (misuse
// the runtime cannot recover from) print what happened and the stack of the task it happened on.
#pragma once

namespace weave::detail {

// Makes an exception that escapes a fiber, main or a thread print `panic: …` and the task's stack
// before aborting.
void install_panic_handler();

// `fatal error: <what>`, the calling task's stack, then abort.
[[noreturn]] void fatal_error(const char* what);

}  // namespace weave::detail
