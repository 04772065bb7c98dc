// Go's sync.Once: call(f) runs f the first time only; every caller returns after f has returned.
#pragma once

#include <atomic>
#include <cstdint>

#include <mutex>

#include "weave/detail/debug_hooks.h"
#include "weave/mutex.h"

namespace weave {

class Once {
 public:
  Once() = default;
  Once(const Once&) = delete;
  Once& operator=(const Once&) = delete;
#if WEAVE_DEBUG
  ~Once() { detail::debug_object_gone(this, sizeof(*this)); }
#endif

  template <class F>
  void call(F&& f) {
    if (done_.load(std::memory_order_acquire)) {  // fast path, as Go's Do
#if WEAVE_DEBUG
      detail::debug_acquire(&done_);  // f's effects happen before every return
#endif
      return;
    }
    std::lock_guard<Mutex> hold(mu_);
    if (!done_.load(std::memory_order_relaxed)) {
      struct SetDone {  // f may throw (a panic): it still counts as done, as in Go
        std::atomic<std::uint32_t>* d;
        ~SetDone() {
#if WEAVE_DEBUG
          detail::debug_release(d);
#endif
          d->store(1, std::memory_order_release);
        }
      } set{&done_};
      f();
    }
  }

 private:
  std::atomic<std::uint32_t> done_{0};
  Mutex mu_;
};

}  // namespace weave
