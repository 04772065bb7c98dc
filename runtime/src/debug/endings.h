// How a program linked with the debug runtime ends, and what it prints then: the leak dump at
// exit, the deadlock verdict, a panic. Each prints the report (report.h) with its reason and
// writes the JSON dump when WEAVE_DUMP asks for it.
#pragma once

namespace weave::detail::debug {

// The exit dump: every fiber still blocked. WEAVE_LEAK_EXITCODE=<n> makes a run that leaked
// exit with n. Runs once (main's return, exit(), or the runtime's exit mechanism).
void report_exit();
// Installs report_exit to run at exit, before the destructors of static objects made so far.
void install_exit_report();
[[noreturn]] void report_deadlock();
void report_panic();

}  // namespace weave::detail::debug
