// Unreachable fibers: blocked fibers that can never wake, found as a garbage collector marks.
//
// Live: the calling task, runnable and sleeping fibers, threads, and every fiber blocked on an
// object that is live. An object is live when a live word points into it: a word of a global, of
// the heap, of a thread's stack (from its stack pointer up), or of a live fiber's stack and
// closure (from its saved stack pointer up, its registers saved there). A blocked fiber's stack
// is read only once something live points into it (then what it holds is reachable through that
// pointer) or once it is live itself. Marking repeats until nothing changes; the blocked fibers
// left unmarked can never wake.
//
// What is a handle to what:
//   - a channel: its core is an allocation of its own that every handle points to; any word
//     into it counts.
//   - a Mutex, RWMutex, WaitGroup or Cond on a fiber's stack: any word into that stack (its
//     callers reach it through a pointer to some enclosing object); for a mutex, also a live
//     holder. Anywhere else (a global, the heap) it is always live: its enclosing object's
//     extent is not known.
//   - a nil channel, a select without cases: nothing; such a fiber is always unreachable.
// The runtime's own pointers into a fiber's stack are not handles: wait queues point at its
// waiters, the stack table and run queues at its control block.
//
// Zero false positives is the rule, so it marks nothing unless it sees everything: the world
// must be stopped (world.h), and no thread of the process may be running outside a blocked weave
// operation besides the caller, whose registers it spills itself. docs/debug.md lists what it
// cannot see.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace weave::detail::debug {

// The ids of the blocked fibers that can never wake. Without the world stopped, or with another
// thread running, none, and *why_not (if given) says why. `exiting`: the caller is ending the
// process (exit() or main's return), so its own frames will never run again and hold nothing
// live (on the heap and in globals, what the program's last destructors use still counts).
std::set<std::uint64_t> unreachable_fibers(bool world_stopped, std::string* why_not,
                                           bool exiting = false);

}  // namespace weave::detail::debug
