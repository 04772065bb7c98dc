// The parking primitive under weave's sync types, after Go's runtime semaphore (sema.go): a count
// and a FIFO of parked waiters, all inside the object that owns it, so a Mutex needs no global
// table.
#pragma once

#include <atomic>
#include <cstdint>

#include "weave/base.h"

namespace weave::detail {

struct Waiter;

// What a parked fiber is waiting for, as the dump names it.
enum class WaitReason : std::uint8_t {
  kNone,
  kChanSend,
  kChanRecv,
  kSelect,
  kSelectNoCases,
  kChanSendNil,
  kChanRecvNil,
  kMutexLock,
  kRWMutexLock,
  kRWMutexRLock,
  kWaitGroupWait,
  kCondWait,
  kSleep,
  kSemaphoreAcquire,
  kJoin,
};
const char* wait_reason_name(WaitReason r);

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

// Go's semacquire1: waits until count > 0 and decrements it. lifo puts the waiter at the front
// (a waiter that has waited before, as Go's Mutex does); since_ns is when the caller began to
// wait (monotonic_now_ns; 0: now).
void sema_acquire(Sema* s, bool lifo, WaitReason why, const void* obj, const Location& loc,
                  std::int64_t since_ns = 0);
// Go's semrelease1: increments count and wakes one waiter; with handoff the woken waiter gets the
// count directly and runs next, so a newcomer cannot take it. A waiter that has waited 1 ms runs
// next too (see sema.cc).
void sema_release(Sema* s, bool handoff);

}  // namespace weave::detail
