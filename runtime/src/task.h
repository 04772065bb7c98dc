// A Task is anything that can block: a fiber, or a plain thread (main, a std::thread) that calls a
// weave operation. Everything that waits does so through park() and is woken by ready().
//
// The parking protocol (Go's gopark/goready): a task that is about to wait publishes itself in a
// wait queue under that queue's lock, then calls park(unlock). For a fiber, `unlock` runs only
// after the fiber has switched off its stack, so a waker — which must take the same lock to find
// the task — can never resume a fiber that is still running. For a thread, park is a permit: a
// ready() that comes before the wait is not lost. Each park is matched by exactly one ready().
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

#include "absl/time/time.h"
#include "weave/base.h"
#if WEAVE_DEBUG_RUNTIME
#include "debug/task_state.h"
#endif

namespace weave::detail {

enum class TaskKind : std::uint8_t { kFiber, kThread };

// What a parked task is waiting for, as dumps name it (wait_reason_name in dump.h).
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
};

// What a parked task waits on, copied into the task when it parks: a dump must never dereference
// the object itself, which may be freed the moment the task is woken.
//
// No implicit padding: a WaitObject is copied whole, and a plain thread's Task lies in memory the
// debug runtime's leak analysis reads word by word; padding would carry stale bytes of the stack
// the copy came from, which can read as a pointer into a blocked fiber's frames.
struct WaitObject {
  const char* kind = nullptr;  // "chan", "mutex", "waitgroup", …; null: nothing
  const void* addr = nullptr;
  std::uint64_t id = 0;  // channels: their id
  Location created_at;   // channels: where made
  std::size_t cap = 0;
  std::size_t len = 0;
  bool has_created_at = false;
  bool closed = false;
  char zero_[6] = {};

  static WaitObject named(const char* kind, const void* addr = nullptr) {
    WaitObject o;
    o.kind = kind;
    o.addr = addr;
    return o;
  }
};
static_assert(std::has_unique_object_representations_v<WaitObject>, "WaitObject has padding");

struct Task {
  explicit Task(TaskKind k) : kind(k) {}
  const TaskKind kind;
  std::uint64_t id = 0;

  // What the task waits for while parked; written by the task itself before it parks, read by
  // dumps (racy reads are fine there: a dump is a snapshot).
  std::atomic<WaitReason> wait_reason{WaitReason::kNone};
  WaitObject wait_object;
  Location wait_location;
  std::int64_t wait_since_ns = 0;

#if WEAVE_DEBUG_RUNTIME
  debug::TaskState dbg;  // the debug runtime's own (runtime/src/debug/task_state.h)
#endif
};

// The running fiber, or this thread's Task (made on first use).
Task* current();
// The running fiber; null on a plain thread.
struct Fiber;
Fiber* current_fiber();
// This plain thread's Task, made on first use (current() on a plain thread).
Task* current_thread_task();

// A function run once the current task can no longer be resumed by mistake (see the top).
struct Unlocker {
  void (*fn)(void*) = nullptr;
  void* arg = nullptr;
  void operator()() const {
    if (fn) fn(arg);
  }
};

struct Waiter;

// Blocks `self`, the current task (current(), which the caller has already looked up to queue
// it), until ready(self) is called; records why for dumps. `waiters` are the nwaiters wait-queue
// entries it has published (a select has one per case), for the debug runtime.
void park(Task* self, WaitReason why, const WaitObject& obj, const Location& loc, Unlocker unlock,
          const Waiter* waiters = nullptr, int nwaiters = 0);
// Makes a parked task runnable (a fiber joins a run queue; a thread returns from park).
void ready(Task* t);

std::int64_t monotonic_now_ns();

}  // namespace weave::detail
