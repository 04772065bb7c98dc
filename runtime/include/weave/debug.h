// The debug runtime's view of the fibers, for tests and tools (weave::weave_debug only: these
// functions do not exist in the release library).
//
// A fiber is *unreachable* when it is blocked on objects that nothing able to run can still reach
// a handle to: no thread, no running, runnable or sleeping fiber, no global, through any chain of
// live heap objects. It can never wake. The analysis marks as a garbage collector does, with
// every thread of the process stopped, and never guesses: when it cannot see everything (a thread
// blocks the signal that stops it), it marks nothing. docs/debug.md says what it cannot see.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "weave/base.h"

namespace weave::debug {

struct FiberInfo {
  std::uint64_t id = 0;
  std::string state;  // "running" or "runnable" when not blocked; else as in the dump
  bool blocked = false;
  bool unreachable = false;
  std::int64_t wait_ns = 0;  // blocked: how long so far
  Location blocked_at;       // blocked: where
  Location created_at;
  std::uint64_t parent_id = 0;
};

// Every live fiber now, by id; the blocked ones marked unreachable where the analysis proves it.
std::vector<FiberInfo> fibers();

// The fibers that can never wake, now.
std::vector<FiberInfo> find_leaks();

// The grouped dump (as at exit) of those of `ids` that are blocked now.
void print_blocked(std::ostream& out, const std::vector<std::uint64_t>& ids);

}  // namespace weave::debug
