// A weave debug-runtime dump in memory: the fibers and threads still blocked, the data races and
// the lock warnings of one run, as the JSON dump states them (docs/weave-dump.md lists the fields).
//
// Invariants: every string_view points into the text the dump was read from or into its own
// arena, so the text must outlive the Dump; locations are interned (equal locations have equal
// ids, so comparing and hashing them is comparing ids), and so are fiber states (equal states
// point to the same bytes); stacks and id lists are spans of the
// Dump's flat arrays, and fibers with the same stack may share one span; an optional field is
// empty exactly when the dump left it out or wrote null.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "json_reader.h"

namespace weave::dump {

// Where something is in the source (file, line, function), or, for a stack frame the runtime
// symbolized, the function and where the return address is in which object file.
struct Location {
  std::string_view file;
  std::string_view function;
  std::int64_t line = 0;
  std::string_view module;
  std::int64_t offset = 0;

  friend bool operator==(const Location&, const Location&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Location& l) {
    return H::combine(static_cast<H&&>(h), l.file, l.function, l.line, l.module, l.offset);
  }
};

// An index into Dump::locations.
using LocId = std::uint32_t;

// A range of one of the Dump's flat arrays (frames or ids).
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t size = 0;
};

// A fiber or a plain thread, as the dump names one (their ids never collide within a dump).
struct TaskRef {
  std::int64_t id = 0;
  bool thread = false;
  friend bool operator==(const TaskRef&, const TaskRef&) = default;
  friend auto operator<=>(const TaskRef&, const TaskRef&) = default;
};

// An object a task waits on.
struct WaitObject {
  std::string_view kind;  // "chan", "nil chan", "mutex", "rwmutex", "waitgroup", "cond", …
  std::optional<std::int64_t> id;
  std::optional<LocId> created_at;
  std::optional<std::int64_t> cap;
  std::optional<std::int64_t> len;
  std::optional<bool> closed;
  // The tasks that could release its waiters (ids): a mutex's holders, or for other objects the
  // tasks holding a handle to it. has_holders is false when the dump does not say.
  Span holders;
  bool has_holders = false;

  bool is_lock() const { return kind == "mutex" || kind == "rwmutex"; }
};

// A task blocked in a weave operation: a fiber, or a plain thread (from the dump's "threads").
struct Task {
  std::int64_t id = 0;
  bool thread = false;
  std::string_view state;  // "chan send", "mutex lock", …; interned: one pointer per state
  std::int64_t wait_ns = 0;
  bool unreachable = false;
  LocId blocked_at = 0;
  LocId created_at = 0;              // for a thread, the empty location
  std::optional<TaskRef> parent;     // who started a fiber
  Span stack;                        // frames, innermost first
  std::optional<WaitObject> object;  // what it waits on (a select: its first channel)
  Span objects;                      // a select: every channel it waits on (Dump::objects)
};

struct Access {
  std::string_view kind;  // "read", "write"
  std::int64_t size = 0;
  std::string_view addr;
  LocId at = 0;
  std::optional<TaskRef> task;
  Span stack;
};

struct RaceTask {
  TaskRef task;
  std::optional<LocId> created_at;
};

struct Race {
  Access access;
  Access previous;
  std::vector<RaceTask> tasks;
};

struct LockSite {
  LocId at = 0;
  std::optional<TaskRef> task;
  Span stack;
};

struct LockWarning {
  std::string_view kind;  // "lock-order-inversion", "double-lock", "recursive-rlock"
  std::vector<LockSite> sites;
};

enum class Reason { kExit, kDeadlock, kPanic, kSignal };
const char* reason_name(Reason r);

struct Dump {
  std::int64_t version = 0;
  Reason reason = Reason::kExit;
  bool unreachable_analysed = true;  // false: no task is marked unreachable, whatever it is
  std::vector<Task> tasks;           // the fibers, then the threads
  std::size_t threads = 0;           // how many of the tasks are threads
  std::vector<Race> races;
  std::vector<LockWarning> locks;

  std::vector<Location> locations;  // every distinct location, by LocId
  std::vector<LocId> frames;        // the stacks' frames, one stack after another
  std::vector<std::int64_t> ids;    // every holder list, one after another
  std::vector<WaitObject> objects;  // every select's channels, one select after another
  std::unique_ptr<StringArena> arena = std::make_unique<StringArena>();

  const Location& loc(LocId id) const { return locations[id]; }
  std::span<const LocId> stack(Span s) const { return {frames.data() + s.begin, s.size}; }
  std::span<const std::int64_t> id_list(Span s) const { return {ids.data() + s.begin, s.size}; }
  std::span<const WaitObject> object_list(Span s) const {
    return {objects.data() + s.begin, s.size};
  }
  std::size_t fibers() const { return tasks.size() - threads; }
};

// Whether the dump reports a problem: a blocked fiber or thread, a race, a lock warning, or a run
// that ended in a deadlock or a panic. Decides the exit status 1.
bool has_findings(const Dump& d);

}  // namespace weave::dump
