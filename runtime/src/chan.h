// The channel core shared by chan.cc and select.cc.
//
// Invariants (under `lock`):
//   - recvq is non-empty only while the buffer is empty; sendq only while it is full (an
//     unbuffered channel is always both empty and full);
//   - once `closed`, sendq is empty and stays empty (blocked senders were woken to panic), and
//     recvq is empty (receivers were woken to see the end);
//   - a waiter in a queue belongs to a parked task, or to a select that has not yet parked but
//     holds this lock (select.cc).
#pragma once

#include <atomic>
#include <cstddef>

#include "spinlock.h"
#include "waiter.h"
#include "weave/detail/chan_core.h"

namespace weave::detail {

struct ChanCore {
  std::atomic<long> refs{1};
  const ElemOps* ops;
  std::size_t cap;
  std::uint64_t id;
  Location created_at;

  SpinLock lock;
  std::size_t count = 0;   // buffered elements; guarded by lock
  std::size_t head = 0;    // index of the oldest; guarded by lock
  bool closed = false;     // guarded by lock
  WaitList recvq;          // guarded by lock (its own spin flag is unused)
  WaitList sendq;          // guarded by lock
  char* buffer = nullptr;  // cap slots of ops->size bytes

  // The i-th oldest slot, i <= count (a wrap by subtraction: a division costs more than the rest
  // of a buffered operation).
  void* slot(std::size_t i) const {
    std::size_t at = head + i;
    if (at >= cap) at -= cap;
    return buffer + at * ops->size;
  }
  void advance_head() {
    if (++head == cap) head = 0;
  }
};

// The operations on a locked channel, shared by plain and select operations. Each returns with
// the lock still held; the caller unlocks and then readies the returned task, if any.

// Tries to send *src without blocking; false if it would block. Throws nothing: the caller checks
// `closed` first.
bool chan_try_send_locked(ChanCore* c, void* src, Task** wake);
// Tries to receive without blocking: 1 received, 0 closed and drained, -1 would block.
int chan_try_recv_locked(ChanCore* c, RecvDst dst, Task** wake);

// A non-blocking send used by timers: false if the channel is full (the value is dropped).
bool chan_offer(ChanCore* c, void* src);

[[noreturn]] void throw_panic(const char* what);

// A select that implements another operation blocks as that operation (weave/select.h): its
// state and object in dumps.
struct SelectAs {
  WaitReason why;
  WaitObject object;
};

// The channel as a parked task's dump shows it; the caller holds c->lock.
WaitObject chan_wait_object(const ChanCore* c);

}  // namespace weave::detail
