// The operations of the semaphore under Mutex, RWMutex and WaitGroup (the layout is public, in
// weave/detail/sema.h, because those types embed it).
#pragma once

#include <cstdint>

#include "task.h"
#include "weave/base.h"
#include "weave/detail/sema.h"

namespace weave::detail {

// Go's semacquire1: waits until count > 0 and decrements it. lifo puts the waiter at the front
// (a waiter that has waited before, as Go's Mutex does). why and obj are what a dump shows;
// since_ns is when the caller began to wait (monotonic_now_ns; 0: now).
void sema_acquire(Sema* s, bool lifo, WaitReason why, const void* obj, const Location& loc,
                  std::int64_t since_ns = 0);
// Go's semrelease1: increments count and wakes one waiter; with handoff the woken waiter gets the
// count directly and runs next, so a newcomer cannot take it. A waiter that has waited 1 ms runs
// next too (see sema.cc).
void sema_release(Sema* s, bool handoff);

}  // namespace weave::detail
