// ThreadSanitizer's side of tsan.h, compiled in -fsanitize=thread builds only. These functions
// are not instrumented themselves: tsan_switch_to's own exit would otherwise be recorded on the
// fiber it switches to.
#include "tsan.h"

#if WEAVE_TSAN
#include <dlfcn.h>
#include <pthread.h>
#include <sanitizer/tsan_interface.h>

// TSan's dynamic annotations (the runtime defines them; no header declares them).
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);

#define WEAVE_TSAN_HOOK __attribute__((disable_sanitizer_instrumentation))

namespace weave::detail {

WEAVE_TSAN_HOOK void* tsan_current_fiber() { return __tsan_get_current_fiber(); }
WEAVE_TSAN_HOOK void* tsan_create_fiber() { return __tsan_create_fiber(0); }
WEAVE_TSAN_HOOK void tsan_destroy_fiber(void* fiber) { __tsan_destroy_fiber(fiber); }
WEAVE_TSAN_HOOK void tsan_switch_to(void* fiber) { __tsan_switch_to_fiber(fiber, 0); }
WEAVE_TSAN_HOOK void tsan_release(const void* addr) { __tsan_release(const_cast<void*>(addr)); }
WEAVE_TSAN_HOOK void tsan_acquire(const void* addr) { __tsan_acquire(const_cast<void*>(addr)); }

WEAVE_TSAN_HOOK void tsan_mutex_handoff(std::mutex& m) {
  __tsan_mutex_pre_unlock(&m, 0);
  __tsan_mutex_post_unlock(&m, 0);
}

WEAVE_TSAN_HOOK void unlock_handed_off(std::mutex& m) {
  // What ran since the unlock TSan was told of (the parked fiber's context saved, in the switch
  // after its park) happens before the next lock, as the real unlock makes it.
  __tsan_release(&m);
  // glibc's own function, past TSan's interceptor.
  using Unlock = int (*)(pthread_mutex_t*);
  static const auto unlock = reinterpret_cast<Unlock>(dlsym(RTLD_NEXT, "pthread_mutex_unlock"));
  unlock(m.native_handle());
}

WEAVE_TSAN_HOOK void tsan_ignore_reads_begin() { AnnotateIgnoreReadsBegin(__FILE__, __LINE__); }
WEAVE_TSAN_HOOK void tsan_ignore_reads_end() { AnnotateIgnoreReadsEnd(__FILE__, __LINE__); }

}  // namespace weave::detail
#endif
