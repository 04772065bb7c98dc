// The parking primitive under weave's sync types, after Go's runtime semaphore (sema.go): a count
// and a FIFO of parked waiters, all inside the object that owns it, so a Mutex needs no global
// table. Only the layout is public (the sync types embed it); the operations are
// runtime/src/sema.h.
#pragma once

#include <atomic>
#include <cstdint>

namespace weave::detail {

struct Waiter;

// A FIFO of parked waiters behind a tiny spin lock. Only runtime/src touches the fields.
struct WaitList {
  std::atomic<bool> locked{false};
  Waiter* head = nullptr;
  Waiter* tail = nullptr;
};

struct Sema {
  std::atomic<std::uint32_t> count{0};
  std::atomic<std::uint32_t> nwait{0};
  WaitList list;
};

}  // namespace weave::detail
