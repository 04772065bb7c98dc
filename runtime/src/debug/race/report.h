// Race reports: what a person needs to fix the race, printed to stderr as Go and ThreadSanitizer
// print theirs, and kept for the JSON dump.
//
//   WARNING: DATA RACE
//   Write of size 4 at 0x… by fiber 12:          the access that found the race, with its stack
//     #0 file:line function …
//   Previous read of size 4 at 0x… by fiber 11:  the one it races with, with its stack
//     #0 file:line function …
//   Fiber 12 (running) created at:               both tasks, and where and by whom they were made
//   Fiber 11 (finished) created at:
//   Locks held by fiber 12: …                    the locks the reporting task holds
//
// A report names first, for each access, the innermost frame in the program's own code (not the
// standard library's or weave's headers): a race inside std::map is reported at the user's line.
// Each pair of such lines is reported once. A run that reported a race exits with status 66
// (WEAVE_RACE_EXITCODE overrides) instead of 0, after "Found N data race(s)".
#pragma once

#include <cstddef>
#include <string>

#include "cell.h"
#include "race_task.h"

namespace weave::detail::race {

struct AccessKind {
  bool write;
  bool atomic;
  u32 size;
};

// t's access (at addr, by the code at loc) races with the one recorded in cell prev.
void report_race(RaceTask* t, uptr addr, AccessKind now, const Loc* loc, u64 prev, bool prev_write);

std::size_t races_reported();

// Whether a file is the program's own (not the C++ library's, the system's or weave's headers).
bool is_user_file(const char* path);

// Makes a run that reported a race exit with status 66 (see the top): an exit handler, registered
// now, that runs before those registered earlier. More than one may be; the first to run acts.
void install_exit_status();

// Tests only: forget the reports (and the pairs already reported), and the exit status they set.
void reset_reports_for_testing();

}  // namespace weave::detail::race
