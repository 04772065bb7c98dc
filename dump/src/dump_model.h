// A weave debug-runtime dump in memory: the fibers still blocked, the data races and the lock
// warnings of one run, as the JSON dump states them (docs/weave-dump.md lists the fields).
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

struct Location {
  std::string_view file;
  std::string_view function;
  std::int64_t line = 0;

  friend bool operator==(const Location&, const Location&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Location& l) {
    return H::combine(static_cast<H&&>(h), l.file, l.function, l.line);
  }
};

// An index into Dump::locations.
using LocId = std::uint32_t;

// A range of one of the Dump's flat arrays (frames or ids).
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t size = 0;
};

// The object a fiber waits on.
struct WaitObject {
  std::string_view kind;  // "chan", "mutex", "rwmutex", "waitgroup", "cond", …
  std::optional<std::int64_t> id;
  std::optional<LocId> created_at;
  std::optional<std::int64_t> cap;
  std::optional<std::int64_t> len;
  std::optional<bool> closed;
  std::optional<std::int64_t> holder;  // the fiber that holds a mutex
  // The fibers that hold a handle to the object (ids): only those could ever release its
  // waiters. Empty with has_holders false when the dump does not say.
  Span holders;
  bool has_holders = false;
};

struct Fiber {
  std::int64_t id = 0;
  std::string_view state;  // "chan send", "mutex lock", …; interned: one pointer per state
  std::int64_t wait_ns = 0;
  bool unreachable = false;
  LocId blocked_at = 0;
  LocId created_at = 0;
  std::optional<std::int64_t> parent;  // the fiber that started it; empty: a plain thread
  Span stack;                          // frames, innermost first
  std::optional<WaitObject> object;
};

struct Access {
  std::string_view kind;  // "read", "write"
  std::int64_t size = 0;
  std::string_view addr;
  LocId at = 0;
  std::optional<std::int64_t> fiber;
  Span stack;
};

struct RaceFiber {
  std::int64_t id = 0;
  LocId created_at = 0;
};

struct Race {
  Access access;
  Access previous;
  std::vector<RaceFiber> fibers;
};

struct LockSite {
  LocId at = 0;
  std::optional<std::int64_t> fiber;
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
  std::vector<Fiber> fibers;
  std::vector<Race> races;
  std::vector<LockWarning> locks;

  std::vector<Location> locations;  // every distinct location, by LocId
  std::vector<LocId> frames;        // the stacks' frames, one stack after another
  std::vector<std::int64_t> ids;    // every holder list, one after another
  std::unique_ptr<StringArena> arena = std::make_unique<StringArena>();

  const Location& loc(LocId id) const { return locations[id]; }
  std::span<const LocId> stack(Span s) const { return {frames.data() + s.begin, s.size}; }
  std::span<const std::int64_t> id_list(Span s) const { return {ids.data() + s.begin, s.size}; }
};

// Whether the dump reports a problem: a blocked fiber, a race, a lock warning, or a run that
// ended in a deadlock or a panic. Decides the exit status 1.
bool has_findings(const Dump& d);

}  // namespace weave::dump
