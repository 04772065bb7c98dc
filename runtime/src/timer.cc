// The timer heap and its thread (see timer.h).
//
// Lock order: the heap lock is taken before nothing else; `fire` runs without it. When the world
// stops (world.h) the thread stops between two fires, holding no lock.
#include "timer.h"

#include <atomic>
#include <condition_variable>
#include <thread>
#include <vector>

#include "exit.h"
#include "hooks.h"
#include "task.h"
#include "world.h"

namespace weave::detail {
namespace {

class Timers {
 public:
  Timers() {
    std::thread([this] { loop(); }).detach();
  }

  std::mutex mu;

  void push_locked(TimerNode* t) {
    t->heap_index = static_cast<int>(heap_.size());
    heap_.push_back(t);
    busy_.fetch_add(1, std::memory_order_seq_cst);
    pushes_.fetch_add(1, std::memory_order_seq_cst);
    up(t->heap_index);
    if (heap_[0] == t) cv_.notify_one();  // the earliest deadline changed
  }

  bool remove_locked(TimerNode* t) {
    const int i = t->heap_index;
    if (i < 0) return false;
    const int last = static_cast<int>(heap_.size()) - 1;
    swap(i, last);
    // Cleared, not just dropped: the debug runtime's leak analysis reads the vector's spare room
    // like any heap memory, and a stale pointer to a node in a blocked fiber's frame would keep
    // everything that frame holds alive.
    heap_[last] = nullptr;
    heap_.pop_back();
    busy_.fetch_sub(1, std::memory_order_seq_cst);
    t->heap_index = -1;
    if (i < last) {
      down(i);
      up(i);
    }
    return true;
  }

  bool stop(TimerNode* t) {
    std::unique_lock<std::mutex> lock(mu);
    bool removed = remove_locked(t);
    if (running_ == t) {
      // A fire is in progress; a periodic node would re-arm after it unless told not to.
      stop_running_ = true;
      done_cv_.wait(lock, [&] { return running_ != t; });
      removed = remove_locked(t) || removed;
    }
    if (removed && heap_.empty()) cv_.notify_one();  // the loop reports timers_idle at once
    return removed;
  }

  // No timer queued and no fire in progress; `activity` changes with every timer queued.
  bool quiescent(std::uint64_t* activity) const {
    *activity = pushes_.load(std::memory_order_seq_cst);
    return busy_.load(std::memory_order_seq_cst) == 0;
  }

 private:
  // The world is stopping: the loop wakes and stops. Taking the lock orders this after the loop's
  // test of the flag, or before its wait.
  static void nudge(void* timers) {
    auto* t = static_cast<Timers*>(timers);
    { std::lock_guard<std::mutex> hold(t->mu); }
    t->cv_.notify_all();
  }

  void loop() {
    RuntimeThread* rt = register_runtime_thread(&nudge, this, __builtin_frame_address(0));
    arm_exit_on_this_thread();
    hook::runtime_thread();
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      if (stop_requested()) {  // between two fires: the heap lock is the only one held
        lock.unlock();
        stop_here(rt);
        lock.lock();
        continue;
      }
      if (heap_.empty()) {
        lock.unlock();
        hook::runtime_idle();
        lock.lock();
        if (heap_.empty()) cv_.wait(lock);
        continue;
      }
      TimerNode* t = heap_[0];
      const std::int64_t now = monotonic_now_ns();
      if (t->when_ns > now) {
        cv_.wait_for(lock, std::chrono::nanoseconds(t->when_ns - now));
        continue;
      }
      busy_.fetch_add(1, std::memory_order_seq_cst);  // the fire counts as pending until done
      remove_locked(t);
      const std::int64_t period = t->period_ns;
      running_ = t;
      stop_running_ = false;
      lock.unlock();
      hook::fire_begins(t);  // the fire knows what its arming knew (timer_start)
      t->fire(t);            // a one-shot node may be gone once this returns
      hook::fire_ends();
      hook::runtime_idle();
      lock.lock();
      if (period > 0 && !stop_running_ && t->heap_index < 0) {
        // Skip the ticks a slow fire missed, as Go's tickers do.
        std::int64_t when = t->when_ns + period;
        const std::int64_t n = monotonic_now_ns();
        if (when <= n) when += (n - when) / period * period + period;
        t->when_ns = when;
        push_locked(t);
      }
      running_ = nullptr;
      busy_.fetch_sub(1, std::memory_order_seq_cst);
      done_cv_.notify_all();
    }
  }

  void swap(int i, int j) {
    std::swap(heap_[i], heap_[j]);
    heap_[i]->heap_index = i;
    heap_[j]->heap_index = j;
  }
  void up(int i) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (heap_[parent]->when_ns <= heap_[i]->when_ns) break;
      swap(i, parent);
      i = parent;
    }
  }
  void down(int i) {
    const int n = static_cast<int>(heap_.size());
    for (;;) {
      int l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && heap_[l]->when_ns < heap_[m]->when_ns) m = l;
      if (r < n && heap_[r]->when_ns < heap_[m]->when_ns) m = r;
      if (m == i) return;
      swap(i, m);
      i = m;
    }
  }

  std::vector<TimerNode*> heap_;  // guarded by mu
  TimerNode* running_ = nullptr;  // guarded by mu: the node whose fire is in progress
  std::atomic<int> busy_{0};      // queued timers, plus one while a fire is in progress
  std::atomic<std::uint64_t> pushes_{0};
  bool stop_running_ = false;  // guarded by mu
  std::condition_variable cv_;
  std::condition_variable done_cv_;
};

std::atomic<Timers*> g_timers{nullptr};

Timers& timers() {
  static Timers* t = [] {
    auto* made = new Timers();  // never destroyed: timers may fire during exit
    g_timers.store(made, std::memory_order_release);
    return made;
  }();
  return *t;
}

}  // namespace

bool timers_quiescent(std::uint64_t* activity) {
  const Timers* t = g_timers.load(std::memory_order_acquire);
  if (!t) {
    *activity = 0;
    return true;
  }
  return t->quiescent(activity);
}

std::mutex& timer_heap_lock() { return timers().mu; }

void timer_start_locked(TimerNode* t) { timers().push_locked(t); }

void timer_start(TimerNode* t) {
  hook::release(t);  // the arming task's past, for the fire (SPEC.md: timers)
  std::lock_guard<std::mutex> hold(timers().mu);
  timers().remove_locked(t);
  timers().push_locked(t);
}

bool timer_stop(TimerNode* t) { return timers().stop(t); }

}  // namespace weave::detail
