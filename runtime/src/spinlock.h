// The lock under every wait queue: a test-and-test-and-set spin lock that yields the thread after
// a while. Critical sections under it are a few pointer moves, never a park.
#pragma once

#include <atomic>
#include <thread>

namespace weave::detail {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

inline void spin_lock(std::atomic<bool>& l) {
  for (int i = 0; l.exchange(true, std::memory_order_acquire); ++i) {
    while (l.load(std::memory_order_relaxed)) {
      if (++i < 64) {
        cpu_relax();
      } else {
        std::this_thread::yield();  // the holder may have been preempted
      }
    }
  }
}

inline void spin_unlock(std::atomic<bool>& l) { l.store(false, std::memory_order_release); }

class SpinLock {
 public:
  void lock() { spin_lock(flag_); }
  void unlock() { spin_unlock(flag_); }
  std::atomic<bool>& flag() { return flag_; }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace weave::detail
