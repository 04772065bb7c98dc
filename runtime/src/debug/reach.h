// Unreachable fibers: blocked fibers that can never wake, found as a garbage collector's mark
// phase finds garbage (Go 1.26's goroutine leak profile does it with Go's collector).
//
// Roots: every writable private mapping (globals, thread-locals, whatever the program mapped
// itself) but the heap, the fiber stacks and the debug runtime's own tables; the stacks of the
// process's threads from their stack pointers up, with their registers (the world is stopped by
// signals, world.h, which records them), those of the runtime's threads from their loops up; and
// the fibers that can run: the running (their stack from the stack pointer the signal found, and
// their registers), the runnable and the sleeping, each from its saved stack pointer up to its
// control block, its callable included. From the roots, marking follows every word that points
// into a live heap chunk (debug/heap.h: only allocated chunks, each read whole, conservatively,
// once marked) or into a fiber's stack (then that stack is read from its saved stack pointer up:
// what it holds is reachable through the pointer). A blocked fiber is live when the object it
// waits on is live, and then its own stack is read too; marking repeats until nothing changes.
// The blocked fibers left unmarked can never wake.
//
// An object waited on is live when: a channel, its core's chunk is marked (every handle points
// to it); a Mutex, RWMutex, WaitGroup, Cond or Semaphore, the memory holding it is: a marked
// chunk, a fiber's stack that is live or pointed into, or anything else (a global, a thread's
// stack, memory weave does not know); a mutex also while a task that can run holds it. A nil
// channel or a select without cases: never.
//
// Not handles: the runtime's own pointers. Wait queues point at the waiters on parked fibers'
// stacks, the stack table and run queues at fibers' control blocks (neither counts), and the
// analysis's tables are mapped apart and never read.
//
// Zero false positives is the rule: it marks nothing unless it sees everything, and says why not.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weave::detail::debug {

// The blocked fibers found unreachable, by id; kept outside the heap (it allocates nothing there,
// as the analysis runs with every thread stopped wherever it was, maybe inside malloc).
class Unreachable {
 public:
  Unreachable() = default;
  Unreachable(Unreachable&& o) noexcept;
  Unreachable& operator=(Unreachable&& o) noexcept;
  ~Unreachable();

  bool analysed() const { return why_not_ == nullptr; }
  const char* why_not() const { return why_not_ ? why_not_ : ""; }  // a sentence, when not
  bool contains(std::uint64_t id) const;
  std::size_t size() const { return n_; }

 private:
  friend Unreachable find_unreachable(bool exiting);
  const char* why_not_ = "not analysed";
  std::uint64_t* ids_ = nullptr;  // sorted
  std::size_t n_ = 0, bytes_ = 0;
};

// Stops the world (world.h), marks, resumes it. `exiting`: the caller is ending the process
// (exit() or main's return), so its own frames will never run again and hold nothing live.
Unreachable find_unreachable(bool exiting);

}  // namespace weave::detail::debug
