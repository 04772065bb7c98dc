// The leak report: every task blocked in a weave operation, grouped by (state, where it blocks,
// where it was made), the largest group first, and the lock checks' warnings of the run, printed
// to stderr and, with WEAVE_DUMP=<file>, written as JSON (docs/debug.md, "The JSON dump"). The
// exit dump, the deadlock report and the panic report are this report with a different reason.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "task.h"
#include "weave/base.h"

namespace weave::detail::debug {

// A synchronization object as the report shows it, read when the report is taken.
struct ObjectView {
  std::string kind;  // "chan", "mutex", "rwmutex", "waitgroup", "cond", "nil chan"; empty: none
  const void* addr = nullptr;
  std::uint64_t id = 0;  // channels: their id; others get one per report (report.cc)
  bool has_created_at = false;
  Location created_at;
  std::size_t cap = 0, len = 0;
  bool closed = false;
  std::vector<std::uint64_t> holders;  // mutexes: the ids of the tasks that hold it
};

struct BlockedTask {
  const Task* task = nullptr;  // identity only
  bool fiber = true;
  std::uint64_t id = 0;
  WaitReason reason = WaitReason::kNone;
  std::int64_t wait_ns = 0;
  Location blocked_at;
  Location created_at;  // fibers
  std::uint64_t parent_id = 0;
  bool parent_is_thread = false;
  ObjectView object;                // what it waits on (a select: its first channel)
  std::vector<ObjectView> objects;  // a select: every channel it waits on
  std::vector<void*> stack;         // return addresses, innermost first
  bool unreachable = false;
};

// The frames shown for the tasks' stacks, symbolized once per report (report.cc).
class ShownStacks;

struct Report {
  std::string reason;  // "exit", "deadlock", "panic", "signal"
  std::vector<BlockedTask> fibers;
  std::vector<BlockedTask> threads;  // plain threads blocked in weave
  int running = 0;                   // fibers running or runnable
  // Why the unreachable marks are missing, if they are (the analysis could not stop the world).
  std::string unreachable_note;
  // Filled as the report is printed, shared by its text and JSON forms.
  mutable std::shared_ptr<ShownStacks> shown;
};

// Every task blocked now. Exact while the world is stopped; a snapshot otherwise.
Report collect(const std::string& reason);

// collect(), and the unreachable fibers marked (reach.h); when they could not be found,
// unreachable_note says why.
Report collect_marked(const std::string& reason);

// The text form, grouped (stderr in every case).
void print_report(std::FILE* out, const Report& r);
// A stack of return addresses, innermost first, as a report shows one (the user's frames, each
// with its source line), indented by `indent`: a panic's.
void print_stack(std::FILE* out, void* const* pcs, int n, int indent);
// The JSON form, to WEAVE_DUMP's file if it is set; false (with a line on stderr) if it cannot
// be written.
bool write_json_if_asked(const Report& r);

// The findings reported while the program ran, appended as the JSON arrays of the dump's "races"
// and "locks" members (SPEC.md): one definition each, by the race detector and the lock checks.
void append_races_json(std::string* out);
void append_locks_json(std::string* out);

// The state a dump shows for r, as SPEC.md names it.
std::string state_name(const BlockedTask& t);

}  // namespace weave::detail::debug
