// ThreadSanitizer must be told about fibers, or it sees one thread's stack jump around and mixes
// up what the fibers on a thread did. Built with -fsanitize=thread (the `tsan` preset), every
// fiber gets TSan state of its own (create/destroy), every switch is announced just before the
// jump, and the runtime's hand-offs are edges TSan sees: a spawn orders the parent before the
// child's first step, a ready() the waker before the woken task's return from park. Elsewhere
// these are empty.
//
// A switch synchronizes (TSan's default): whatever ran before on the worker happens before what
// runs next there, which is how the runtime's own per-worker state passes between fibers. The
// price: two fibers that run one after the other on the same worker look ordered to TSan, so it
// finds a race between them only when they run on different workers.
//
// Dumps read parked tasks' fields as they change, by design (task.h: a dump is a snapshot): they
// do so inside a TsanIgnoreReads, so that TSan reports none of weave's own races.
#pragma once

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEAVE_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WEAVE_TSAN 1
#endif

#include <mutex>

namespace weave::detail {

#if WEAVE_TSAN
void* tsan_current_fiber();
void* tsan_create_fiber();
void tsan_destroy_fiber(void* fiber);
// Just before jumping to the context whose TSan state is `fiber`.
void tsan_switch_to(void* fiber);
void tsan_release(const void* addr);
void tsan_acquire(const void* addr);
void tsan_ignore_reads_begin();
void tsan_ignore_reads_end();
#else
inline void* tsan_current_fiber() { return nullptr; }
inline void* tsan_create_fiber() { return nullptr; }
inline void tsan_destroy_fiber(void*) {}
inline void tsan_switch_to(void*) {}
inline void tsan_release(const void*) {}
inline void tsan_acquire(const void*) {}
inline void tsan_ignore_reads_begin() {}
inline void tsan_ignore_reads_end() {}
#endif

// A std::mutex whose unlock the park protocol leaves to whoever runs after the parking fiber
// (time.cc's timer heap lock): TSan, which checks that a mutex's owner unlocks it, is told of the
// unlock by the owner before it parks (tsan_mutex_handoff), and the real unlock, wherever it runs,
// is shown to it only as a release (unlock_handed_off).
#if WEAVE_TSAN
void tsan_mutex_handoff(std::mutex& m);
void unlock_handed_off(std::mutex& m);
#else
inline void tsan_mutex_handoff(std::mutex&) {}
inline void unlock_handed_off(std::mutex& m) { m.unlock(); }
#endif

// Reads in its scope are racy by design, and not TSan's to report.
struct TsanIgnoreReads {
  TsanIgnoreReads() { tsan_ignore_reads_begin(); }
  ~TsanIgnoreReads() { tsan_ignore_reads_end(); }
  TsanIgnoreReads(const TsanIgnoreReads&) = delete;
  TsanIgnoreReads& operator=(const TsanIgnoreReads&) = delete;
};

}  // namespace weave::detail
