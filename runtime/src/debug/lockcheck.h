// The debug runtime's lock checks (SPEC.md, docs/debug.md "Lock checks"): a task locking a lock it
// already holds (double lock), a cycle in the order in which locks are taken anywhere in the run
// (lock-order inversion), and a read lock taken again by a task that holds it for reading
// (recursive read lock). Each is printed to stderr as `WARNING: …` once per set of lock calls (a
// call: its Location, return address and, where captured, the stack beyond) and kept for the JSON
// dump; the program goes on.
//
// The calling task's held locks come with every call (the debug runtime keeps them per task), so
// the checks of a lock call start from the task and share nothing with other tasks. The order
// graph is global: a node is a lock instance (an address between its first use and its
// destruction, so a reused address starts fresh), an edge A -> B says that B was taken while A
// was held. An edge is added when a task is about to wait for B (before it blocks, so a deadlock
// that does happen is reported too), or when it takes B without waiting; a try_lock adds no edge
// into the lock it takes, since it never waits (as TSan), but what it holds is the source of later
// edges. A per-thread cache of edges already in the graph keeps repeated lock patterns off the
// graph's lock.
//
// Gate locks: each edge keeps the set of locks held exclusively at every occurrence of it. Two
// edges whose sets share a lock were never waited on at the same time, so a cycle in which two
// edges share one cannot deadlock and is not reported (A -> B and B -> A both taken under G).
//
// Lock order: Graph::mu (lockcheck.cc) is the only lock here; nothing under it blocks or calls a
// weave operation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hooks.h"
#include "stack_trace.h"
#include "weave/base.h"

namespace weave::detail::lockcheck {

// Who takes a lock, as reports name it.
struct Taker {
  std::uint64_t id = 0;
  bool is_thread = false;
};

// A lock the calling task holds: where it took it (its lock call's Location and return address).
// A lock call is described the same way: `loc` and `caller`, its return address.
struct Held {
  const void* addr = nullptr;
  LockKind kind = LockKind::kMutex;
  Location loc;
  const void* pc = nullptr;
};

// The lock calls of the calling task, which holds `held` (in any order). `blocks`: a lock call is
// about to wait for m (again, if it woke and must wait again). `acquired`: a lock call took m,
// having waited or not (not a try_lock, which is checked for nothing). With nothing held there is
// nothing to check, and callers need not call.
void blocks(std::span<const Held> held, Taker who, const void* m, LockKind kind,
            const Location& loc, const void* caller);
void acquired(std::span<const Held> held, Taker who, const void* m, LockKind kind,
              const Location& loc, const void* caller);
// The lock at m is destroyed: its node and edges go, so a lock made at the same address later
// starts with no order.
void destroyed(const void* m);

// One place a warning points at.
struct Site {
  std::string role;  // "acquiring" (the lock call that was about to wait), "holding"
  std::string lock;  // "M1", "M2", … within the warning
  std::string kind;  // "Mutex", "RWMutex", "RWMutex (read)"
  const void* addr = nullptr;
  std::string file;  // of the lock call (its Location)
  int line = 0;
  std::string function;
  std::string caller;        // the function the lock call returns to (symbolized), if known
  std::vector<Frame> stack;  // "acquiring" sites only: innermost first, from the lock call
  Taker taker;
};
struct Warning {
  std::string kind;     // "lock-order-inversion", "double-lock", "recursive-rlock"
  std::string summary;  // the text after "WARNING: "
  std::vector<Site> sites;
};

// Every warning reported so far, in order.
std::vector<Warning> warnings();
// The text printed for w: its `WARNING: ` line, then the sites and stacks.
std::string format(const Warning& w);

// Tests only: forgets the graph, the warnings and what was reported; stops printing to stderr
// when `quiet`.
void reset_for_testing(bool quiet = false);
std::size_t node_count_for_testing();
std::size_t edge_count_for_testing();

}  // namespace weave::detail::lockcheck
