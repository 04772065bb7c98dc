// The debug runtime's lock checks (SPEC.md, docs/debug.md "Lock checks"): a task locking a lock it
// already holds (double lock), a cycle in the order in which locks are taken anywhere in the run
// (lock-order inversion), and a read lock taken again by a task that holds it for reading
// (recursive read lock). Each is printed to stderr as `WARNING: …` once per set of source sites and
// kept for the JSON dump; the program goes on.
//
// Per task, HeldLocks (a field of Task) lists the locks the task holds, in the order taken: the
// hot path reads and writes only the calling task's list. The order graph is global: a node is a
// lock instance (an address between its first use and its destruction, so a reused address
// starts fresh), an edge A -> B says that B was taken while A was held. An edge is added when a
// task is about to wait for B (before it blocks, so a deadlock that does happen is reported too),
// or when it takes B without waiting; a try_lock adds no edge into the lock it takes, since it
// never waits (as TSan), but what it holds is the source of later edges. A per-thread cache of
// edges already in the graph keeps repeated lock patterns off the graph's lock.
//
// Gate locks: each edge keeps the set of locks held exclusively at every occurrence of it. Two
// edges whose sets share a lock were never waited on at the same time, so a cycle in which two
// edges share one cannot deadlock and is not reported (A -> B and B -> A both taken under G).
//
// Lock order: Graph::mu (lockcheck.cc) is the only lock here; nothing under it blocks or calls a
// weave operation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hooks.h"
#include "weave/base.h"

namespace weave::detail::lockcheck {

// Who takes a lock, as reports name it.
struct Taker {
  std::uint64_t id = 0;
  bool is_thread = false;
};

// The locks one task holds, oldest first. Only its task writes it, except that a task unlocking a
// lock it does not hold (Go allows unlocking another's lock) clears the holder's slot with a CAS.
// A slot's address and kind share one atomic word, so such a task and the owner agree on every
// slot without a lock; a cleared slot (word 0) is skipped, and dropped once it is the newest.
class HeldLocks {
 public:
  // Deeper nesting than this is not tracked (its locks are in no check).
  static constexpr std::uint32_t kMax = 32;

  HeldLocks() {}
  HeldLocks(const HeldLocks&) = delete;
  HeldLocks& operator=(const HeldLocks&) = delete;

  bool empty() const { return n_.load(std::memory_order_relaxed) == 0; }
  // Whether the list has a slot for m (any kind); for any thread (dumps: a mutex's holder).
  bool holds(const void* m) const;

 private:
  friend struct Access;
  struct Slot {
    std::uintptr_t word;  // address | kind; 0: free. Read and written through std::atomic_ref.
    const void* pc;       // the lock call's return address
    Location loc;
  };
  union Raw {
    Raw() {}
    Slot s;
  };
  std::atomic<std::uint32_t> n_{0};  // slots in use, cleared ones included
  std::uint32_t untracked_ = 0;      // locks taken beyond kMax and not yet released
  const void* checked_ = nullptr;    // the lock `blocks` has checked for the call now waiting
  Raw slots_[kMax];
};

// The lock operations of the task that owns `held`, which must be the calling one. `blocks` comes
// when a lock call is about to wait for m (again, if it wakes and must wait again); `acquired`
// after any lock call that took the lock, `tried` for a try_lock; `released` before an unlock, and
// returns false when this task does not hold the lock (then the caller offers it to the other
// tasks through release_foreign until one takes it).
void blocks_slow(HeldLocks& held, Taker who, const void* m, LockKind kind, const Location& loc);
inline void blocks(HeldLocks& held, Taker who, const void* m, LockKind kind, const Location& loc) {
  if (!held.empty()) blocks_slow(held, who, m, kind, loc);  // nothing held: nothing to check
}
void acquired(HeldLocks& held, Taker who, const void* m, LockKind kind, const Location& loc,
              const void* pc, bool tried);
bool released(HeldLocks& held, const void* m, LockKind kind);
// From any thread: clears the slot of `holder` that holds m as `kind`; false if it has none.
bool release_foreign(HeldLocks& holder, const void* m, LockKind kind);
// The lock at m is destroyed: its node and edges go, so a lock made at the same address later
// starts with no order.
void destroyed(const void* m);

// One place a warning points at.
struct Frame {
  const void* pc = nullptr;
  std::string function;  // symbolized; empty if unknown
};
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
