// How a program linked with the debug runtime ends, and what it prints then: the leak dump at
// exit, the deadlock verdict, a panic. Each prints the report (report.h) with its reason and
// writes the JSON dump when WEAVE_DUMP asks for it.
#pragma once

namespace weave::detail::debug {

// The exit dump: every fiber still blocked. WEAVE_LEAK_EXITCODE=<n> makes a run that leaked
// exit with n. Runs once (main's return, exit(), or the runtime's exit mechanism).
void report_exit();
// Before exit stops the world: fibers that can run get a moment to block or end (the dump then
// shows where they wait, instead of a runnable fiber that was about to).
void settle_before_exit();
[[noreturn]] void report_deadlock();
void report_panic();

}  // namespace weave::detail::debug
