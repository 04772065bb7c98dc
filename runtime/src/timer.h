// One timer heap for the whole process, served by a single timer thread — no thread per timer.
//
// A node fires by calling its `fire` function on the timer thread, outside the heap lock. A
// one-shot node is not touched after `fire` starts, so a sleeper may return (and free the node)
// as soon as it is woken; a periodic node's owner must timer_stop() it before freeing it, which
// waits for a fire in progress.
#pragma once

#include <cstdint>
#include <mutex>

namespace weave::detail {

struct TimerNode {
  std::int64_t when_ns = 0;    // CLOCK_MONOTONIC
  std::int64_t period_ns = 0;  // > 0: re-arms after each fire
  void (*fire)(TimerNode*) = nullptr;
  int heap_index = -1;  // -1 while not queued; guarded by the heap lock
};

void timer_start(TimerNode* t);
// True if the call removed t before it fired (or, for a periodic node, stopped it).
bool timer_stop(TimerNode* t);

// For sleep's park protocol: queue a node while holding the heap lock, and release that lock
// only after the sleeper has parked (task.h), so the fire cannot come first.
std::mutex& timer_heap_lock();
void timer_start_locked(TimerNode* t);

// For deadlock detection: true when no timer is queued and no fire is in progress; `activity`
// changes whenever a timer is queued, so that two calls can tell whether any was in between.
bool timers_quiescent(std::uint64_t* activity);

}  // namespace weave::detail
