// The fiber dump of weave::dump_fibers and SIGQUIT (dump.cc).
#pragma once

#include "task.h"

namespace weave::detail {

// The state a dump shows for a task waiting for `r` ("chan send", "mutex lock", …).
const char* wait_reason_name(WaitReason r);

// SIGQUIT prints the dump and exits with status 2, as Go does.
void start_dump_signal_watcher();

}  // namespace weave::detail
