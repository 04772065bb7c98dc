// Runs a program as a child process with a time limit, capturing stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace weave_seeds {

struct ChildResult {
  bool started = false;    // false: spawning failed (error says why)
  bool timed_out = false;  // still running at the limit; it was then killed with SIGKILL
  bool exited = false;     // ended by exit: status holds the exit status
  int status = 0;
  bool signaled = false;  // ended by a signal (other than the kill after a time-out): signal
  int signal = 0;
  std::string out, err, error;
};

// Runs argv[0] (a path) with argv, stdin from /dev/null. Waits for the child's exit and the end of
// its output, but no longer than timeout_ms.
ChildResult RunChild(const std::vector<std::string>& argv, int timeout_ms);

}  // namespace weave_seeds
