// The program's threads, pthread locks and POSIX semaphores: what std::thread, std::jthread,
// std::mutex, std::shared_mutex, std::condition_variable, std::call_once and sem_t order.
//
// Two mechanisms, so that the engine sees the program's locks and never the runtime's own:
//   - the lock functions (pthread_mutex_*, pthread_rwlock_*, pthread_spin_*, pthread_once, sem_*)
//     are wrapped: the plugin sends the program's calls to __weave_<name> (abi.h), which calls the
//     real function and records the edge; the runtime, not instrumented, calls glibc's directly;
//   - thread start and join, and condition-variable waits, happen inside the C++ library, so
//     pthread_create, pthread_join and pthread_cond_*wait are interposed (defined here, forwarding
//     to glibc's through dlsym). A condition-variable wait releases and re-acquires its mutex only
//     when the program locked that mutex through a wrapper.
//
// A function-local static's guard (__cxa_guard_*, the C++ library's once) is wrapped the same way:
// the initialization's release publishes it to every caller that finds it done.
//
// Edges: unlock -> the next lock of the mutex; a writer's unlock -> every later lock of an rwlock;
// readers' unlocks -> the next writer (through a second clock, at the rwlock's address + 1); the
// once routine's return -> every pthread_once that returns; a sem_post -> every later sem_wait
// that takes a count (as TSan: not only the wait its count let through); pthread_create -> the
// thread's start; the thread's end -> pthread_join.
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>

#include <cstdint>

#include "alloc.h"
#include "engine.h"
#include "sync.h"

extern "C" thread_local const weave::race_abi::Loc* __weave_callsite;

namespace weave::detail::race {
namespace {

const void* readers_clock(const void* rw) { return static_cast<const char*>(rw) + 1; }

void note_lock_here(RaceTask* t, const void* m, bool shared) {
  const Loc* at = user_frame(t, __weave_callsite);
  note_locked(m, shared, at ? at->file : nullptr, at ? at->line : 0);
}

enum LockKind { kPlain, kReader, kWriter };  // a mutex or spin lock; an rwlock's two sides

void locked(const void* m, LockKind kind) {
  RaceTask* t = running_task();
  if (!t) return;
  acquire(t, m);
  if (kind == kWriter) acquire(t, readers_clock(m));
  note_lock_here(t, m, kind == kReader);
}

void unlocking(const void* m, bool rwlock) {
  RaceTask* t = running_task();
  if (!t) return;
  const HeldLock* held = held_lock(t, m);
  const bool shared = held && held->shared;
  release(t, rwlock && shared ? readers_clock(m) : m);
  note_unlocked(m);
}

bool ok(int r) { return r == 0 || r == EOWNERDEAD; }

// A wrapper of a lock function: the real one, then the edge in if it took the lock.
template <auto Real, LockKind kKind, class M, class... Rest>
int lock(M* m, Rest... rest) {
  const int r = Real(m, rest...);
  if (ok(r)) locked(const_cast<const void*>(static_cast<const volatile void*>(m)), kKind);
  return r;
}

// A wrapper of a destroy function: what was published at the lock is forgotten.
template <auto Real, class M>
int destroy(M* m) {
  const uptr a = reinterpret_cast<uptr>(m);
  sync_forget(a, a + sizeof(*m));
  return Real(m);
}

// A wrapper of a semaphore wait: the real one, then, if it took a count, the posts' edges in.
template <auto Real, class... Rest>
int sem_take(sem_t* s, Rest... rest) {
  const int r = Real(s, rest...);
  if (r == 0) {
    if (RaceTask* t = running_task()) acquire(t, s);
  }
  return r;
}

template <class F>
F real(const char* name, const char* version = nullptr) {
  void* f = version ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
  return reinterpret_cast<F>(f);
}

struct ThreadStart {
  void* (*fn)(void*);
  void* arg;
  RaceTask* task;
};

void* thread_main(void* p) {
  ThreadStart s = *static_cast<ThreadStart*>(p);
  raw_free(p);
  thread_started(s.task);
  return s.fn(s.arg);
}

// A wait on a condition variable unlocks its mutex and locks it again: an edge out and one in,
// when the program locked the mutex through a wrapper (not one of the runtime's). The mutex stays
// in the task's held locks meanwhile (the task reports nothing while it waits).
template <class Wait, class... Rest>
int cond_wait(Wait wait, pthread_cond_t* c, pthread_mutex_t* m, Rest... rest) {
  RaceTask* t = running_task();
  const bool program_lock = t && held_lock(t, m);
  if (program_lock) release(t, m);
  const int r = wait(c, m, rest...);
  if (program_lock) acquire(t, m);
  return r;
}

struct OnceCall {
  void (*fn)();
  pthread_once_t* once;
};
__attribute__((tls_model("initial-exec"))) thread_local OnceCall tls_once{};

void once_trampoline() {
  const OnceCall call = tls_once;
  call.fn();
  if (RaceTask* t = running_task()) release(t, call.once);
}

}  // namespace
}  // namespace weave::detail::race

using namespace weave::detail::race;

extern "C" {

// --- wrappers (the program's calls, redirected by the plugin) -----------------------------------

int __weave_pthread_mutex_lock(pthread_mutex_t* m) { return lock<pthread_mutex_lock, kPlain>(m); }
int __weave_pthread_mutex_trylock(pthread_mutex_t* m) {
  return lock<pthread_mutex_trylock, kPlain>(m);
}
int __weave_pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* abstime) {
  return lock<pthread_mutex_timedlock, kPlain>(m, abstime);
}
int __weave_pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const timespec* abstime) {
  return lock<pthread_mutex_clocklock, kPlain>(m, clock, abstime);
}
int __weave_pthread_mutex_unlock(pthread_mutex_t* m) {
  unlocking(m, false);
  return pthread_mutex_unlock(m);
}
int __weave_pthread_mutex_destroy(pthread_mutex_t* m) { return destroy<pthread_mutex_destroy>(m); }

int __weave_pthread_rwlock_rdlock(pthread_rwlock_t* m) {
  return lock<pthread_rwlock_rdlock, kReader>(m);
}
int __weave_pthread_rwlock_tryrdlock(pthread_rwlock_t* m) {
  return lock<pthread_rwlock_tryrdlock, kReader>(m);
}
int __weave_pthread_rwlock_timedrdlock(pthread_rwlock_t* m, const timespec* abstime) {
  return lock<pthread_rwlock_timedrdlock, kReader>(m, abstime);
}
int __weave_pthread_rwlock_clockrdlock(pthread_rwlock_t* m, clockid_t clock,
                                       const timespec* abstime) {
  return lock<pthread_rwlock_clockrdlock, kReader>(m, clock, abstime);
}
int __weave_pthread_rwlock_wrlock(pthread_rwlock_t* m) {
  return lock<pthread_rwlock_wrlock, kWriter>(m);
}
int __weave_pthread_rwlock_trywrlock(pthread_rwlock_t* m) {
  return lock<pthread_rwlock_trywrlock, kWriter>(m);
}
int __weave_pthread_rwlock_timedwrlock(pthread_rwlock_t* m, const timespec* abstime) {
  return lock<pthread_rwlock_timedwrlock, kWriter>(m, abstime);
}
int __weave_pthread_rwlock_clockwrlock(pthread_rwlock_t* m, clockid_t clock,
                                       const timespec* abstime) {
  return lock<pthread_rwlock_clockwrlock, kWriter>(m, clock, abstime);
}
int __weave_pthread_rwlock_unlock(pthread_rwlock_t* m) {
  unlocking(m, true);
  return pthread_rwlock_unlock(m);
}
int __weave_pthread_rwlock_destroy(pthread_rwlock_t* m) {
  return destroy<pthread_rwlock_destroy>(m);
}

int __weave_pthread_spin_lock(pthread_spinlock_t* m) { return lock<pthread_spin_lock, kPlain>(m); }
int __weave_pthread_spin_trylock(pthread_spinlock_t* m) {
  return lock<pthread_spin_trylock, kPlain>(m);
}
int __weave_pthread_spin_unlock(pthread_spinlock_t* m) {
  unlocking(const_cast<int*>(m), false);
  return pthread_spin_unlock(m);
}

int __weave_pthread_once(pthread_once_t* once, void (*fn)()) {
  const OnceCall outer = tls_once;  // a once routine may itself call pthread_once
  tls_once = OnceCall{fn, once};
  const int r = pthread_once(once, &once_trampoline);
  tls_once = outer;
  if (r == 0) {
    if (RaceTask* t = running_task()) acquire(t, once);
  }
  return r;
}

int __weave_sem_post(sem_t* s) {
  if (RaceTask* t = running_task()) release(t, s);  // before a waiter can take the count
  return sem_post(s);
}
int __weave_sem_wait(sem_t* s) { return sem_take<sem_wait>(s); }
int __weave_sem_trywait(sem_t* s) { return sem_take<sem_trywait>(s); }
int __weave_sem_timedwait(sem_t* s, const timespec* abstime) {
  return sem_take<sem_timedwait>(s, abstime);
}
int __weave_sem_clockwait(sem_t* s, clockid_t clock, const timespec* abstime) {
  return sem_take<sem_clockwait>(s, clock, abstime);
}
int __weave_sem_destroy(sem_t* s) { return destroy<sem_destroy>(s); }

int __cxa_guard_acquire(std::uint64_t* guard);
void __cxa_guard_release(std::uint64_t* guard);

int __weave___cxa_guard_acquire(std::uint64_t* guard) {
  const int first = __cxa_guard_acquire(guard);
  if (!first) {
    if (RaceTask* t = running_task()) acquire(t, guard);  // another call initialized it
  }
  return first;
}

void __weave___cxa_guard_release(std::uint64_t* guard) {
  if (RaceTask* t = running_task()) release(t, guard);
  __cxa_guard_release(guard);
}

// --- interposers (calls from anywhere, the C++ library's included) ------------------------------

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const Create create = real<Create>("pthread_create");
  RaceTask* parent = running_task();
  if (!parent) return create(thread, attr, fn, arg);
  Identity who = new_thread_identity();
  if (const Loc* at = user_frame(parent, __weave_callsite)) {
    who.file = at->file;
    who.line = at->line;
    who.function = at->function;
  }
  who.parent_id = parent->who.id;
  who.parent_fiber = parent->who.fiber;
  who.parent_weave_id = parent->who.weave_id;
  RaceTask* child = task_start(parent, who, 0, 0);
  auto* start = static_cast<ThreadStart*>(raw_alloc(sizeof(ThreadStart)));
  *start = ThreadStart{fn, arg, child};
  const int r = create(thread, attr, &thread_main, start);
  if (r != 0) {
    task_end(child);
    task_free(child);
    raw_free(start);
  }
  return r;
}

int pthread_join(pthread_t thread, void** result) {
  using Join = int (*)(pthread_t, void**);
  static const Join join = real<Join>("pthread_join");
  const int r = join(thread, result);
  if (r == 0) {
    if (RaceTask* t = running_task()) acquire(t, reinterpret_cast<const void*>(thread));
    const uptr a = static_cast<uptr>(thread);
    sync_forget(a, a + 1);
  }
  return r;
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  using Wait = int (*)(pthread_cond_t*, pthread_mutex_t*);
  static const Wait wait = real<Wait>("pthread_cond_wait", "GLIBC_2.3.2");
  return cond_wait(wait, c, m);
}

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abstime) {
  using Wait = int (*)(pthread_cond_t*, pthread_mutex_t*, const timespec*);
  static const Wait wait = real<Wait>("pthread_cond_timedwait", "GLIBC_2.3.2");
  return cond_wait(wait, c, m, abstime);
}

int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                           const timespec* abstime) {
  using Wait = int (*)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const timespec*);
  static const Wait wait = real<Wait>("pthread_cond_clockwait", "GLIBC_2.30");
  return cond_wait(wait, c, m, clock, abstime);
}

}  // extern "C"
