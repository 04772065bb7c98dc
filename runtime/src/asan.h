// AddressSanitizer must be told when a thread switches stacks, or it reports the fiber's frames
// as stack-buffer overflows. Outside ASan builds these are empty.
#pragma once

#include <pthread.h>

#include <cstddef>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WEAVE_ASAN 1
#endif

#if WEAVE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace weave::detail {

struct AsanThreadStack {
  const void* bottom = nullptr;
  std::size_t size = 0;
};

inline void asan_record_thread_stack([[maybe_unused]] AsanThreadStack* s) {
#if WEAVE_ASAN
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    pthread_attr_getstack(&attr, &addr, &s->size);
    s->bottom = addr;
    pthread_attr_destroy(&attr);
  }
#endif
}

inline void asan_start_switch([[maybe_unused]] void** fake_stack,
                              [[maybe_unused]] const void* bottom,
                              [[maybe_unused]] std::size_t size) {
#if WEAVE_ASAN
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#endif
}

inline void asan_finish_switch([[maybe_unused]] void* fake_stack) {
#if WEAVE_ASAN
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

// A fiber that ends never returns from its last frames, so their redzones stay poisoned; a
// recycled stack must be cleared of them before a new fiber runs on it.
inline void asan_unpoison_stack([[maybe_unused]] void* base, [[maybe_unused]] std::size_t size) {
#if WEAVE_ASAN
  ASAN_UNPOISON_MEMORY_REGION(base, size);
#endif
}

}  // namespace weave::detail
