#include "race_task.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <new>

#include "alloc.h"
#include "engine.h"
#include "report.h"
#include "shadow.h"
#include "spinlock.h"
#include "sync.h"

extern "C" {
// Set by instrumented code before each call (abi.h); read by the callee's frame entry.
__attribute__((
    tls_model("initial-exec"))) thread_local const weave::race_abi::Loc* __weave_callsite = nullptr;
}

namespace weave::detail::race {

std::atomic<bool> g_enabled{false};
constinit __attribute__((tls_model("initial-exec"))) thread_local RaceTask* tls_cur = nullptr;
constinit __attribute__((tls_model("initial-exec"))) thread_local RaceTask* tls_task = nullptr;

namespace {

constexpr u32 kMaxFrames = 1024;
// The top of a stack whose shadow is backed page by page (shadow_make_sparse): most stacks never
// go deeper.
constexpr uptr kSparseStackBytes = uptr{1} << 20;

// This thread's own task, and whether the thread is past its exit (no state is made then).
__attribute__((tls_model("initial-exec"))) thread_local RaceTask* tls_thread = nullptr;
__attribute__((tls_model("initial-exec"))) thread_local bool tls_thread_gone = false;

std::atomic<std::uint64_t> g_thread_ids{1};

// Freed tasks' states, kept for the next start: a fiber's state is made where it is spawned and
// freed where it ends, often on another thread (with malloc, each paid for the allocator's
// cross-thread free under its arena's lock). Each thread reuses the states it freed; they pass
// between threads a batch at a time, as stack.cc's stacks do, so that the shared pool's lock and
// its cache line move once per batch rather than at every spawn.
constexpr int kTaskBatch = 32;

SpinLock g_pool_lock;
RaceTask* g_pool = nullptr;  // batches (linked by next_batch) of states (by next_free); guarded

void pool_put(RaceTask* batch) {
  g_pool_lock.lock();
  batch->next_batch = g_pool;
  g_pool = batch;
  g_pool_lock.unlock();
}

RaceTask* pool_take() {
  g_pool_lock.lock();
  RaceTask* batch = g_pool;
  if (batch) g_pool = batch->next_batch;
  g_pool_lock.unlock();
  return batch;
}

struct TaskCache {
  RaceTask* cur = nullptr;    // linked by next_free
  int n = 0;                  // about how many cur holds (a batch from the pool counts as full)
  RaceTask* spare = nullptr;  // a full batch, kept back before it goes to the pool
  bool gone = false;          // the thread is past this cache's end (its exit frees states after)

  ~TaskCache() {
    if (cur) pool_put(cur);
    if (spare) pool_put(spare);
    cur = spare = nullptr;
    gone = true;
  }
};
thread_local TaskCache tls_tasks;

RaceTask* take_free() {
  TaskCache& c = tls_tasks;
  if (c.gone) return nullptr;
  if (!c.cur) {
    c.cur = c.spare ? c.spare : pool_take();
    c.spare = nullptr;
    c.n = kTaskBatch;
    if (!c.cur) return nullptr;
  }
  RaceTask* t = c.cur;
  c.cur = t->next_free;
  if (c.n > 0) --c.n;
  return t;
}

RaceTask* new_task() {
  RaceTask* t = take_free();
  if (!t) return raw_new<RaceTask>();
  // Made fresh, but for the room of its frames and its clock, which the next task will need as
  // well (a spawner's clock is as long as the slots it knows of, and the child's copy of it would
  // otherwise allocate).
  Frame* frames = t->frames;
  const u32 capacity = t->frames_capacity;
  const VectorClock::Storage clock = t->vc.release_storage();
  t->~RaceTask();
  new (t) RaceTask();
  t->frames = frames;
  t->frames_capacity = capacity;
  t->vc.adopt_storage(clock);
  return t;
}

void recycle_task(RaceTask* t) {
  TaskCache& c = tls_tasks;
  if (c.gone) {
    t->next_free = nullptr;
    return pool_put(t);
  }
  t->next_free = c.cur;
  c.cur = t;
  if (++c.n < kTaskBatch) return;
  if (c.spare) pool_put(c.spare);
  c.spare = c.cur;
  c.cur = nullptr;
  c.n = 0;
}

void set_current(RaceTask* t) {
  tls_task = t;
  tls_cur = t && t->ignore == 0 && !t->finished ? t : nullptr;
}

// Ends the thread's task when the thread exits (returns from its start routine or calls
// pthread_exit); after that, accesses on the thread (other thread-locals' destructors, static
// destructors on the main thread) go unchecked.
struct ThreadExit {
  ~ThreadExit() {
    tls_thread_gone = true;
    RaceTask* t = tls_thread;
    tls_thread = nullptr;
    set_current(nullptr);
    if (t) {
      if (!t->finished) sync_release(reinterpret_cast<const void*>(pthread_self()), t);
      task_end(t);
      // Not freed: a report may still name it through its slot's holders, which copy what they
      // need; the state itself is small and threads are few.
    }
  }
};
thread_local ThreadExit tls_thread_exit;

}  // namespace

Identity new_thread_identity() {
  Identity who;
  who.id = g_thread_ids.fetch_add(1, std::memory_order_relaxed);
  return who;
}

std::atomic<bool> g_acquire_fences{false};

void enable(u32 features) {
  static std::once_flag once;
  std::call_once(once, [] {
    shadow_init();
    install_exit_status();  // for a program that never starts weave's exit (exit.cc)
  });
  if (features & race_abi::kFeatureAcquireFence) g_acquire_fences.store(true);
  g_enabled.store(true, std::memory_order_release);
}

RaceTask* running_task_slow() {
  if (!g_enabled.load(std::memory_order_acquire) || tls_thread_gone) return nullptr;
  if (!tls_thread) {
    // A thread the engine has not seen start (main, or one started before the engine was on):
    // it knows nobody's past.
    (void)&tls_thread_exit;  // makes the thread-local, so its destructor runs at thread exit
    Identity who = new_thread_identity();
    who.main_thread = static_cast<pid_t>(syscall(SYS_gettid)) == getpid();
    RaceTask* t = task_start(nullptr, who, 0, 0);
    tls_thread = t;
  }
  set_current(tls_thread);
  return tls_thread;
}

void thread_started(RaceTask* t) {
  (void)&tls_thread_exit;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* lo = nullptr;
    std::size_t size = 0;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
      t->stack_lo = reinterpret_cast<uptr>(lo);
      t->stack_hi = t->stack_lo + size;
      stack_in_use(t->stack_lo, t->stack_hi);
    }
    pthread_attr_destroy(&attr);
  }
  tls_thread = t;
  set_current(t);
}

RaceTask* access_task_slow() {
  RaceTask* t = running_task();
  return t && t->ignore == 0 && !t->finished ? t : nullptr;
}

namespace {
// t holds the slot it was granted from now on, at its first clock: its own releases count from
// here (tenure), and so does what it knows.
void hold(RaceTask* t, const SlotGrant& g) {
  t->slot = g.slot;
  t->clock = g.start_clock;
  t->tenure = t->vc_changed = t->clock;
  t->last_access_clock = g.last_access;
  t->epoch = make_epoch(t->slot, t->clock);
}

// A clock shorter than this is copied into a child: cheaper than counting references to it.
constexpr u32 kShareFrom = 8;

SharedClock* ref(SharedClock* c) {
  c->refs.fetch_add(1, std::memory_order_relaxed);
  return c;
}

void unref(SharedClock*& c) {
  if (c && c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) raw_delete(c);
  c = nullptr;
}

// What parent's children inherit: its clock as it is now, made once for every child started
// until the clock changes.
SharedClock* shared_clock(RaceTask* parent) {
  if (!parent->shared || parent->shared_version != parent->vc.version()) {
    unref(parent->shared);
    auto* c = raw_new<SharedClock>();
    c->refs.store(1, std::memory_order_relaxed);
    c->id = new_frames_gen();
    c->vc.assign(parent->vc);
    parent->shared = c;
    parent->shared_version = parent->vc.version();
  }
  return ref(parent->shared);
}

}  // namespace

void fold(RaceTask* t) {
  if (!t->inherited) return;
  t->vc.join(t->inherited->vc);
  if (t->parent_slot) t->vc.raise(t->parent_slot, t->parent_clock);
  t->parent_slot = t->parent_clock = 0;
  t->vc_changed = t->clock;
  unref(t->inherited);
}

RaceTask* task_start(RaceTask* parent, const Identity& who, uptr stack_lo, uptr stack_hi) {
  RaceTask* t = new_task();
  t->who = who;
  t->stack_lo = stack_lo;
  t->stack_hi = stack_hi;
  if (parent) {
    // A parent that still shares what it inherited makes a clock of its own first (once), which
    // its children then share.
    fold(parent);
    if (parent->vc.size() >= kShareFrom || parent->slot >= kShareFrom) {
      t->inherited = shared_clock(parent);
      if (!parent->finished) {
        t->parent_slot = parent->slot;
        t->parent_clock = parent->clock;
      }
    } else {
      t->vc.assign(parent->vc);
      if (!parent->finished) t->vc.raise(parent->slot, parent->clock);
    }
  }
  SlotGrant g = slot_acquire(knowledge(t), who);
  if (g.slot == 0) {
    t->finished = true;  // no slot left at all: the task runs unchecked
    return t;
  }
  hold(t, g);
  if (parent) tick(parent);
  return t;
}

void stack_in_use(uptr lo, uptr hi) {
  if (hi - lo > kSparseStackBytes) lo = hi - kSparseStackBytes;
  shadow_make_sparse(lo, hi);
}

void tick(RaceTask* t) {
  if (t->finished) return;
  if (t->clock == kMaxClock) {
    // The slot's clocks are used up: go on in another slot, knowing our own past in the old one.
    slot_release(t->slot, t->clock, t->last_access_clock);
    t->vc.raise(t->slot, t->clock);  // our own past in the old slot stays known
    SlotGrant g = slot_acquire(knowledge(t), t->who);
    if (g.slot == 0) {
      t->finished = true;
      if (tls_task == t) set_current(t);
      return;
    }
    hold(t, g);
    return;
  }
  ++t->clock;
  t->epoch = make_epoch(t->slot, t->clock);
}

void task_end(RaceTask* t) {
  if (!t->finished) {
    t->finished = true;
    slot_release(t->slot, t->clock, t->last_access_clock);
  }
  // An ended task checks nothing and starts no children: what it inherited and shared goes.
  unref(t->inherited);
  unref(t->shared);
  if (tls_task == t) set_current(t);
  if (t->stack_hi) {
    // Other tasks record only where the task's frames handed out addresses, above its deepest
    // instrumented frame. Where no other task recorded (shadow_stack_private; the common case:
    // a fiber's locals are its own) only the task's own records need clearing.
    const uptr deepest = t->low_water < t->stack_lo ? t->stack_lo : t->low_water;
    uptr lo = t->stack_recorded;
    if (deepest < lo && !shadow_stack_private(deepest, t->stack_hi)) {
      lo = deepest;
    }
    if (lo < t->stack_hi) shadow_clear(lo & ~uptr{7}, t->stack_hi);
  }
}

void task_free(RaceTask* t) {
  if (!t) return;
  unref(t->inherited);
  unref(t->shared);
  raw_delete(t->fence_release);
  raw_delete(t->fence_acquire);
  t->fence_release = t->fence_acquire = nullptr;
  recycle_task(t);
}

void name_thread(RaceTask* t, std::uint64_t id) {
  if (t->who.fiber || (t->who.weave_id && t->who.id == id)) return;
  t->who.id = id;
  t->who.weave_id = true;
  if (!t->finished) slot_rename(t->slot, t->who);
}

void program_exit() { install_exit_status(); }

void task_switch(RaceTask* t) {
  // While the engine is off (no instrumented module), no task is current: nothing is recorded,
  // and a fiber spawned meanwhile gets no state.
  if (!g_enabled.load(std::memory_order_relaxed)) return;
  // A fiber spawned before the engine was on runs as a task that is never checked.
  static RaceTask* untracked = [] {
    auto* u = raw_new<RaceTask>();
    u->finished = true;
    return u;
  }();
  set_current(t ? t : untracked);
  __weave_callsite = nullptr;  // the call site belongs to the task switched out
}

void task_switch_to_thread() {
  if (!g_enabled.load(std::memory_order_relaxed)) return;
  set_current(tls_thread);
  __weave_callsite = nullptr;
}

void ignore_begin() {
  if (RaceTask* t = running_task()) {
    ++t->ignore;
    set_current(t);
  }
}

void ignore_end() {
  if (RaceTask* t = tls_task) {
    if (t->ignore > 0) --t->ignore;
    set_current(t);
  }
}

constinit __attribute__((tls_model("initial-exec"))) thread_local u64 tls_gens_next = 0;
constinit __attribute__((tls_model("initial-exec"))) thread_local u64 tls_gens_end = 0;

u64 new_frames_gen_slow() {
  constexpr u64 kBlock = u64{1} << 16;
  static std::atomic<u64> next_block{1};
  tls_gens_next = next_block.fetch_add(kBlock, std::memory_order_relaxed);
  tls_gens_end = tls_gens_next + kBlock;
  return tls_gens_next++;
}

void frames_grow(RaceTask* t) {
  if (t->frames_capacity >= kMaxFrames) return;
  const u32 cap = t->frames_capacity ? t->frames_capacity * 2 : 16;
  t->frames = static_cast<Frame*>(raw_realloc(t->frames, cap * sizeof(Frame)));
  t->frames_capacity = cap;
}

}  // namespace weave::detail::race

using namespace weave::detail::race;

extern "C" {

void __weave_module_init(std::uint32_t features) { enable(features); }

void __weave_func_entry(const Loc* fn) {
  RaceTask* t = tls_task;
  if (__builtin_expect(!t, 0)) {
    t = running_task();
    if (!t) return;
  }
  if (__builtin_expect(t->finished, 0)) return;
  const uptr sp = reinterpret_cast<uptr>(__builtin_frame_address(0));
  if (sp < t->low_water) t->low_water = sp;
  const u32 d = t->depth++;
  const u64 caller_gen = t->frames_gen;
  t->frames_gen = new_frames_gen();
  if (__builtin_expect(d >= t->frames_capacity, 0)) {
    frames_grow(t);
    if (d >= t->frames_capacity) return;  // deeper than we record
  }
  t->frames[d] = Frame{fn, __weave_callsite, kUnknownNode, caller_gen};
}

void __weave_func_exit() {
  __weave_callsite = nullptr;
  RaceTask* t = tls_task;
  if (t && t->depth) {
    const u32 d = --t->depth;
    // Back in the caller's frame, whose access sites are still cached (unless it was too deep to
    // be recorded).
    t->frames_gen = d < t->frames_capacity ? t->frames[d].caller_gen : new_frames_gen();
  }
}

}  // extern "C"
