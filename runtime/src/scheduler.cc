// The scheduler: workers, run queues, stealing, idling.
//
// Each worker owns a run queue: `runnext` (one slot, the fiber it should run next) and a ring of
// 256 fibers that only the owner pushes to (at tail). The owner takes its newest fiber first
// (runnext, then the ring's tail under the ring's steal lock); every 61st pick it first gives the
// global queue a turn, and the ring's oldest fiber too once it has waited 10 ms (find_local).
// Thieves take the oldest half (at head, by CAS, under the steal lock). A ring that fills spills
// half of itself to the global queue, which also takes fibers made runnable by plain threads and
// the timer thread.
//
// runnext: a fiber that wakes another and then blocks switches to it on the same worker (a
// channel hand-off), so the owner uses runnext on every hand-off and must not pay an atomic
// read-modify-write or a fence there. A woken fiber whose waker runs on without blocking must
// still run, so a thief may take runnext once the owner has run one fiber for kRunnextGraceNs
// (steal_runnext; Go's runqgrab takes runnext after 3 us, for the same reason). The two agree
// through an asymmetric handshake (asym_fence.h): the owner announces itself (runnext_owner),
// light-fences and reads runnext_thief; the thief sets runnext_thief, heavy-fences and reads
// runnext_owner. Whichever sees the other waits. The owner pays plain loads and stores; the rare
// thief pays a system call.
//
// An idle worker looks at its queue, the global queue, then steals half of another worker's ring;
// while it does so it counts as `spinning` (at most half the workers not asleep spin, as in Go).
// Finding nothing for a while it sleeps. One sleeper at a time, the watcher (Go's sysmon), wakes
// now and then to look for a worker stuck in one fiber while others wait in its ring; the others
// sleep until woken, so that the look-ins cost the same with thousands of workers as with two
// (every sleeper looking at every worker made idle workers' cost grow with the square of their
// number). A watcher woken for work passes the role to another sleeper. Whoever adds work
// wakes a sleeper only if nobody is spinning (Go's wakep), and a fiber woken by a running one
// only when its ring holds a backlog (ready()): a spinner will find the work, and waking threads
// costs a syscall. A thief judges each steal when it has run dry (judge_steal): fibers that ran
// too briefly to pay for their move make it leave busy rings to their owners for a while.
//
// A fiber that blocks or ends switches to the next fiber itself when its worker has one at hand,
// and through the worker's scheduler loop otherwise (see switch_out).
//
// Guests: a plain thread blocked in weave runs the fibers it woke, as the thread of Go's main
// goroutine runs the goroutines main woke. A fiber woken by a plain thread goes into the runnext
// of the thread's guest, a Worker that the thread claims the first time it blocks and that only
// it runs: it runs it (and whatever that fiber wakes) while it waits (run_guest), so a consumer
// thread's hand-offs stay on its core instead of each crossing to a worker and back. A guest is
// never a thief, but always a victim: while its thread runs on without blocking, thieves and the
// watcher take its queue as they take a worker's, so a fiber woken by a thread that then blocks
// outside weave still runs. New fibers from a plain thread, and from fibers its guest runs, go to
// the global queue as before: they are work for every worker. A guest switches every fiber back
// to its loop (never fiber to fiber), which gives the thread back as soon as its wait is over.
// Guests are left out of the debug runtime, which must stop and read every fiber at a safe point
// of a runtime thread.
//
// When the world stops (world.h: exit, or the debug runtime reading every fiber), a worker stops
// in its loop, between two fibers, or asleep: a fiber that blocks or ends then goes back to the
// loop instead of switching to the next.
//
// Lost-wakeup freedom: a sleeper announces itself (nidle_) before re-checking every queue; a
// producer publishes its work before reading nidle_. Both sides use seq_cst, so one of them sees
// the other.
//
// Lock order: a ring's steal_lock (held by a thief for its whole read-and-claim, and by the
// owner taking its newest fiber) before the global queue's spin lock (a thief's ring that fills
// spills into it); idle_mu_ and the global queue's lock are leaves. Ring slots, head and tail are
// atomics: the owner pushes without a lock, and a head moves by CAS.
#include "scheduler.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "asan.h"
#include "asym_fence.h"
#include "context_switch.h"
#include "dump.h"
#include "env.h"
#include "exit.h"
#include "fork.h"
#include "futex.h"
#include "guard.h"
#include "hooks.h"
#include "panic.h"
#include "registry.h"
#include "sched_debug.h"
#include "spinlock.h"
#include "stack.h"
#include "tsan.h"
#include "world.h"

namespace weave::detail {
namespace {

constexpr unsigned kRingSize = 256;
constexpr unsigned kFairnessTick = 61;              // Go's constant for the same purpose
constexpr std::int64_t kStarvationNs = 10'000'000;  // Go's forcePreemptNS
// steal_runnext: how long a worker must have run the same fiber before a thief takes its runnext.
// A hand-off (the waker blocks right after the wake) takes well under a microsecond.
constexpr std::int64_t kRunnextGraceNs = 3'000;
// find_runnable: how long an idle worker looks for work before it sleeps, in rounds of a steal
// attempt and 32 pauses (about 10 µs in all). Long enough to catch work that a busy worker
// makes at channel speed; short enough not to keep stealing from a group of fibers that
// communicate on one worker, whose members it would then pull onto another core (the figures
// behind the number: bench/README.md). Go's spinning thread gives up after four rounds over all
// Ps.
constexpr int kSpinRounds = 16;
constexpr unsigned kWakeBacklog = 4;            // ready(): a ring this long is worth another core
constexpr std::int64_t kPollMinNs = 1'000'000;  // sleep(): how often the watcher looks in
constexpr std::int64_t kPollMaxNs = 8'000'000;
// judge_steal(): a steal pays when the fibers it took ran at least this long each on average.
// Moving a fiber costs the thief cache misses on its stack and control block, and its owner the
// misses on the stack and queue lines the thief wrote; stealing fibers that run for less makes
// both workers slower than one (bench/README.md).
constexpr std::int64_t kStealWorthNs = 1'000;
constexpr std::int64_t kStealBackoffMinNs = 100'000;    // then stealing from busy rings stops
constexpr std::int64_t kStealBackoffMaxNs = 4'000'000;  // for this long, doubling

std::atomic<int> g_steal_backoffs{0};  // for steal_backoffs_for_testing

// Worker::wake, the word a sleeping worker waits on.
constexpr std::uint32_t kAsleep = 0;
constexpr std::uint32_t kWoken = 1;          // by a waker, who took it off the idle list
constexpr std::uint32_t kNudged = 2;         // to look at stop_requested(); it stays idle
constexpr std::uint32_t kBecomeWatcher = 3;  // to take over as the watcher; it stays asleep

struct alignas(64) Worker {
  int index = 0;
  void* sched_ctx = nullptr;  // the scheduler loop, while a fiber runs
  // The running fiber; null while the scheduler loop runs. Read by others only to tell whether a
  // stack runs (stack_running), hence atomic; relaxed loads and stores are plain moves.
  std::atomic<Fiber*> current{nullptr};
  PostSwitch post;  // set by the fiber switching out, done by whoever it switched to

  // The owner's accesses are bracketed by runnext_enter/exit, a thief's by steal_runnext (see the
  // top). Relaxed loads and stores: plain moves.
  std::atomic<Fiber*> runnext{nullptr};
  std::atomic<bool> runnext_owner{false};  // the owner is reading or writing runnext
  std::atomic<bool> runnext_thief{false};  // a thief is: the owner waits
  std::atomic<std::uint32_t> head{0};      // consumers CAS it
  std::atomic<std::uint32_t> tail{0};      // only the owner writes it
  std::atomic<Fiber*> ring[kRingSize];
  SpinLock steal_lock;  // held by thieves, and by the owner taking from the tail (ring_pop_newest)

  std::atomic<std::uint32_t> wake{0};  // kWoken by a waker, kNudged to stop; then notified
  std::uint64_t rng = 0;
  // Picks, for the fairness tick; other workers read it to tell a worker stuck in one fiber.
  std::atomic<std::uint32_t> schedtick{0};
  std::uint32_t watch_head = 0;  // ring_head_starving: the head index watched, and since when
  std::int64_t watch_since_ns = 0;

  // The last steal, while it is being judged (judge_steal), and the back-off it earned.
  std::int64_t stole_at_ns = 0;         // 0: none being judged
  std::uint32_t stole_tick = 0;         // schedtick when it stole
  std::uint32_t stole_n = 0;            // how many fibers it took
  std::int64_t steal_backoff_ns = 0;    // the last back-off; 0 after a steal that paid
  std::int64_t steal_off_until_ns = 0;  // no stealing from busy rings before this
  bool ring_wakeable = true;  // on idle_: ready() may wake it for ring work; guarded by idle_mu_
  int idle_pos = -1;          // its index in idle_, -1 when not there; guarded by idle_mu_
  std::atomic<std::uint64_t> look_ins{0};  // as the watcher, for look_ins_for_testing

  // The watcher's: schedtick at its last look (rings_stuck).
  std::uint32_t seen_tick = 0;

  // Guests (see the top): a plain thread's, claimed by it (`claimed`) and listed in guests_.
  bool guest = false;
  std::atomic<bool> claimed{false};
  Worker* next_guest = nullptr;  // set once, before the guest is listed
  void* alt_stack = nullptr;     // the overflow handler's stack that its thread was given

  RuntimeThread* rt = nullptr;   // for stopping the world (world.h)
  AsanThreadStack native_stack;  // for ASan's fiber-switch annotations
  void* asan_fake_stack = nullptr;
  void* tsan_fiber = nullptr;  // TSan's state of the worker thread itself (tsan.h)
};

class Scheduler {
 public:
  explicit Scheduler(int n) : workers_(n) {
    for (int i = 0; i < n; ++i) {
      workers_[i].index = i;
      workers_[i].rng = 0x9E3779B97F4A7C15ull * (i + 1);
    }
  }

  // A worker that cannot be started (WEAVE_PROCS beyond what the system allows) is fatal.
  void start() {
    for (auto& w : workers_) {
      try {
        std::thread([this, &w] { run(&w); }).detach();
      } catch (const std::system_error& e) {
        std::fprintf(stderr, "fatal error: cannot start worker %d of %d (WEAVE_PROCS): %s\n",
                     w.index + 1, size(), e.what());
        _exit(2);
      }
    }
  }

  int size() const { return static_cast<int>(workers_.size()); }

  // Whether a worker's current fiber lives on s (a fiber sits at the top of its stack).
  bool runs_on(const Stack* s) const {
    auto on_s = [s](const Worker& w) {
      const auto* f = reinterpret_cast<const char*>(w.current.load(std::memory_order_relaxed));
      return f >= s->base && f < s->base + s->size;
    };
    for (const auto& w : workers_) {
      if (on_s(w)) return true;
    }
    for (const Worker* g = guests_.load(std::memory_order_acquire); g; g = g->next_guest) {
      if (on_s(*g)) return true;
    }
    return false;
  }
  int sleeping() const { return nidle_.load(std::memory_order_acquire); }
  std::vector<std::uint64_t> look_ins() const {
    std::vector<std::uint64_t> n;
    for (const auto& w : workers_) n.push_back(w.look_ins.load(std::memory_order_relaxed));
    return n;
  }

  // Every worker asleep and the global queue empty: no fiber runs or can run (a sleeping worker's
  // ring and runnext are empty; only it fills them). `activity` sums the workers' picks.
  bool quiescent(std::uint64_t* activity) const {
    std::uint64_t picks = 0;
    for (const auto& w : workers_) picks += w.schedtick.load(std::memory_order_seq_cst);
    *activity = picks;
    return nidle_.load(std::memory_order_seq_cst) == size() &&
           global_size_.load(std::memory_order_seq_cst) == 0;
  }

  // --- queues ---------------------------------------------------------------------------------

  // Owner only. Puts f at the tail; a full ring spills half of itself to the global queue.
  void ring_put(Worker* w, Fiber* f) {
    for (;;) {
      std::uint32_t h = w->head.load(std::memory_order_acquire);
      std::uint32_t t = w->tail.load(std::memory_order_relaxed);
      if (t - h < kRingSize) {
        w->ring[t % kRingSize].store(f, std::memory_order_relaxed);
        w->tail.store(t + 1, std::memory_order_release);
        return;
      }
      if (ring_spill(w, h, t, f)) return;
    }
  }

  bool ring_spill(Worker* w, std::uint32_t h, std::uint32_t t, Fiber* f) {
    const std::uint32_t n = (t - h) / 2;
    Fiber* batch[kRingSize / 2 + 1];
    for (std::uint32_t i = 0; i < n; ++i) {
      batch[i] = w->ring[(h + i) % kRingSize].load(std::memory_order_relaxed);
    }
    if (!w->head.compare_exchange_strong(h, h + n, std::memory_order_acq_rel)) return false;
    batch[n] = f;
    global_put_batch(batch, n + 1);
    return true;
  }

  Fiber* ring_get(Worker* w) {
    for (;;) {
      std::uint32_t h = w->head.load(std::memory_order_acquire);
      std::uint32_t t = w->tail.load(std::memory_order_acquire);
      if (t == h) return nullptr;
      Fiber* f = w->ring[h % kRingSize].load(std::memory_order_relaxed);
      if (w->head.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel)) return f;
    }
  }

  // The owner runs its newest fiber first (LIFO; find_local has the fairness rules): a
  // fork-join tree (skynet, recursive splitting) then unfolds depth-first, so its live fibers —
  // and their stacks, a page each at least — number about its depth times its fan-out instead of
  // its widest level, and the fibers that run are the ones whose stacks are still in cache.
  // Thieves take the oldest.
  bool backlogged(Worker* w) const { return ring_len(w) >= kRingSize / 2; }

  static std::uint32_t ring_len(const Worker* w) {  // exact for the owner, a hint for others
    return w->tail.load(std::memory_order_relaxed) - w->head.load(std::memory_order_relaxed);
  }

  // Owner only. Thieves hold steal_lock for their whole read-and-claim, so taking from the tail
  // under it cannot race with a steal; owner pops from the head are the owner's own, not
  // concurrent with this.
  Fiber* ring_pop_newest(Worker* w) {
    std::lock_guard<SpinLock> hold(w->steal_lock);
    const std::uint32_t t = w->tail.load(std::memory_order_relaxed);
    const std::uint32_t h = w->head.load(std::memory_order_acquire);
    if (t == h) return nullptr;
    Fiber* f = w->ring[(t - 1) % kRingSize].load(std::memory_order_relaxed);
    w->tail.store(t - 1, std::memory_order_release);
    return f;
  }

  // Moves half of victim's ring into thief's (empty) ring and returns one of them; or, with
  // victim's ring empty and `runnext`, victim's runnext if it has waited long (steal_runnext).
  Fiber* steal(Worker* thief, Worker* victim, bool runnext) {
    if (victim->tail.load(std::memory_order_acquire) ==
        victim->head.load(std::memory_order_acquire)) {
      return runnext ? steal_runnext(victim) : nullptr;
    }
    std::lock_guard<SpinLock> hold(victim->steal_lock);
    for (;;) {
      std::uint32_t h = victim->head.load(std::memory_order_acquire);
      std::uint32_t t = victim->tail.load(std::memory_order_acquire);
      std::uint32_t n = t - h;
      if (n == 0 || n > kRingSize) return nullptr;  // empty, or a torn read: look elsewhere
      n -= n / 2;
      Fiber* batch[kRingSize];
      for (std::uint32_t i = 0; i < n; ++i) {
        batch[i] = victim->ring[(h + i) % kRingSize].load(std::memory_order_relaxed);
      }
      if (!victim->head.compare_exchange_weak(h, h + n, std::memory_order_acq_rel)) continue;
      for (std::uint32_t i = 1; i < n; ++i) ring_put(thief, batch[i]);
      thief->stole_at_ns = monotonic_now_ns();
      thief->stole_tick = thief->schedtick.load(std::memory_order_relaxed);
      thief->stole_n = n;
      return batch[0];
    }
  }

  void global_put_batch(Fiber** fs, std::uint32_t n) {
    for (std::uint32_t i = 0; i + 1 < n; ++i) fs[i]->runq_next = fs[i + 1];
    fs[n - 1]->runq_next = nullptr;
    global_lock_.lock();
    if (global_tail_) {
      global_tail_->runq_next = fs[0];
    } else {
      global_head_ = fs[0];
    }
    global_tail_ = fs[n - 1];
    global_size_.fetch_add(n, std::memory_order_seq_cst);
    global_lock_.unlock();
  }

  // Takes a fair share of the global queue, at most `max`: one to run, the rest into w's ring.
  Fiber* global_get(Worker* w, std::uint32_t max = kRingSize / 2) {
    if (global_size_.load(std::memory_order_acquire) == 0) return nullptr;
    global_lock_.lock();
    const std::uint32_t size = global_size_.load(std::memory_order_relaxed);
    if (size == 0) {
      global_lock_.unlock();
      return nullptr;
    }
    std::uint32_t n = size / workers_.size() + 1;
    if (n > size) n = size;
    if (n > max) n = max;
    Fiber* first = global_head_;
    Fiber* last = first;
    for (std::uint32_t i = 1; i < n; ++i) last = last->runq_next;
    global_head_ = last->runq_next;
    if (!global_head_) global_tail_ = nullptr;
    global_size_.fetch_sub(n, std::memory_order_relaxed);
    global_lock_.unlock();
    for (Fiber* f = first->runq_next; n > 1; --n) {
      Fiber* next = f->runq_next;
      ring_put(w, f);
      f = next;
    }
    return first;
  }

  // Whether a worker about to sleep has work to take: the global queue's, and any ring's unless
  // it is backing off from stealing.
  bool any_work(bool rings) const {
    if (global_size_.load(std::memory_order_seq_cst) != 0) return true;
    if (!rings) return false;
    for (const auto& v : workers_) {
      if (v.tail.load(std::memory_order_seq_cst) != v.head.load(std::memory_order_seq_cst))
        return true;
    }
    return false;
  }

  // --- making fibers runnable -----------------------------------------------------------------

  // True when the calling worker's ring is at least half full: a fiber that keeps spawning
  // should then let its worker run what it spawned, or it runs ahead by up to every fiber it
  // will ever start, each holding a fresh stack (see spawn() in fiber.cc).
  // A fiber's backlog is its worker's ring; a plain thread's is the global queue, which it feeds.
  bool spawner_backlog() {
    if (Worker* w = tls_worker(); w && !w->guest) return backlogged(w);
    return global_size_.load(std::memory_order_relaxed) >= kRingSize * workers_.size();
  }

  void ready(Fiber* f, bool is_new) {
    check_not_forked_child("a fiber was woken");  // go() checks before this
    Worker* w = tls_worker();
    if (w == nullptr || (w->guest && is_new)) {
      global_put_batch(&f, 1);
      wake_if_needed(kGlobalWork);
      return;
    }
    // The newest runnable fiber runs next; the one it displaces keeps its turn in the ring. An
    // empty runnext needs no handshake: only the owner fills it, and a thief only empties it, in
    // one exchange (steal_runnext).
    Fiber* old = w->runnext.load(std::memory_order_relaxed);
    if (old != nullptr) {
      runnext_enter(w);
      old = w->runnext.load(std::memory_order_relaxed);
      w->runnext.store(f, std::memory_order_release);
      runnext_exit(w);
    } else {
      w->runnext.store(f, std::memory_order_release);
    }
    if (old) ring_put(w, old);
    // A new fiber is work for another core. A woken one usually is not: its waker is about to
    // block, and it and the few fibers it displaced run here within microseconds, their data
    // still in this core's cache, while waking a sleeping core costs microseconds (tens on a
    // VM) and moves the fibers' data across. So a wake-up wakes another worker only for a
    // backlog; a sleeping worker also looks in on the rings now and then (sleep()), in case the
    // current fiber runs long instead of blocking.
    if (is_new || (old && ring_len(w) >= kWakeBacklog)) {
      wake_if_needed(kRingWork);
    } else if (w->guest && w->current.load(std::memory_order_relaxed) == nullptr) {
      // Woken by the thread itself, which may now block outside weave: a spinner takes it from
      // runnext unless the thread runs it within the grace (steal_runnext).
      wake_if_needed(kRingWork);
    }
  }

  // Work in the global queue has no owner: unless a worker is awake to take it, it waits
  // forever, so the producer's fence pairs with the sleeper's (see the top). Work in a ring has
  // one, running: a sleeper that misses it costs parallelism for a while (until its next
  // look-in), never progress. There the fence is not worth its price: it waits for every store
  // before it to drain, and a spawn's stores (the new fiber, on a stack last used by the other
  // core) miss, and it dominated schedule_new. Ring work wakes only a sleeper that is not backing
  // off from stealing (judge_steal): one that is would find the work not worth taking.
  enum WorkAt { kRingWork, kGlobalWork };
  void wake_if_needed(WorkAt where) {
    if (where == kGlobalWork) std::atomic_thread_fence(std::memory_order_seq_cst);
    std::atomic<int>& sleepers = where == kGlobalWork ? nidle_ : nidle_ring_;
    if (sleepers.load(std::memory_order_relaxed) == 0) return;
    if (nspinning_.load(std::memory_order_relaxed) != 0) return;
    int expected = 0;
    if (!nspinning_.compare_exchange_strong(expected, 1, std::memory_order_seq_cst)) return;
    Worker* w = nullptr;
    {
      std::lock_guard<std::mutex> hold(idle_mu_);
      // The watcher last: waking it costs a second wake-up, to pass its role on.
      const Worker* watcher = watcher_.load(std::memory_order_relaxed);
      for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
        if (where == kGlobalWork || (*it)->ring_wakeable) {
          w = *it;
          if (w != watcher) break;
        }
      }
      if (w) idle_remove(w);
    }
    if (!w) {
      nspinning_.fetch_sub(1, std::memory_order_seq_cst);
      return;
    }
    w->wake.store(kWoken, std::memory_order_release);  // the woken worker starts as a spinner
    futex_wake_one(&w->wake);
  }

  // --- the worker loop ------------------------------------------------------------------------

  // The worker's thread-local is reached only through this, which computes its address afresh
  // on every call: a fiber may resume on another thread (even within one function: fiber_entry
  // begins on one and may end on another). Not inlined, and opaque to the optimiser (the asm):
  // without it GCC infers that a function returning a thread-local's address is constant and
  // folds calls to it — fiber_entry's last switch then made the next fiber current on its first
  // thread instead of its last. (The running fiber is the worker's, not a thread-local of its
  // own, for the same reason and one call less.)
  [[gnu::noinline]] static Worker*& tls_worker_slot() {
    Worker** p = &tls_worker_;
    asm volatile("" : "+r"(p));
    return *p;
  }
  // Read directly only by functions that are not inlined and cannot switch (current_fiber,
  // current): the address is computed afresh in each call.
  static inline thread_local Worker* tls_worker_ = nullptr;
  static Worker* tls_worker() { return tls_worker_slot(); }

  void run(Worker* w) {
    tls_worker_slot() = w;
    asan_record_thread_stack(&w->native_stack);
    w->tsan_fiber = tsan_current_fiber();
    install_overflow_handler_for_thread();
    w->rt = register_runtime_thread(&nudge, w, __builtin_frame_address(0));
    arm_exit_on_this_thread();
    hook::runtime_thread();
    bool spinning = false;
    for (;;) {
      Fiber* f = find_runnable(w, spinning);
      if (spinning) {
        spinning = false;
        // The last spinner found work: there may be more, so let another worker look.
        if (nspinning_.fetch_sub(1, std::memory_order_seq_cst) == 1) wake_if_needed(kGlobalWork);
      }
      if (stop_requested()) stop_here(w->rt);
      execute(w, f);
    }
  }

  // The world is stopping: a worker reaches its next safe point; one asleep wakes without
  // leaving sleep(), and stops there, still idle.
  static void nudge(void* worker) {
    auto* w = static_cast<Worker*>(worker);
    std::uint32_t asleep = kAsleep;
    if (w->wake.compare_exchange_strong(asleep, kNudged, std::memory_order_seq_cst)) {
      futex_wake_one(&w->wake);
    }
  }

  // Newest first: runnext, then the ring's tail. What that order could starve is looked after
  // every kFairnessTick picks, as Go does: the global queue gets a turn, and so does the ring's
  // oldest fiber once it has waited kStarvationNs (Go's time slice) at the head. A fairness rule
  // by count alone (the oldest every 61st pick) would undo the depth-first order: each such pick
  // starts another subtree of a fork-join program, which then holds a stack for each subtree
  // opened instead of about its depth times its fan-out. A pair of fibers that wake each other
  // through runnext would otherwise keep every other fiber of their worker waiting forever. A
  // backlogged ring gets no such turn: each turn may open another subtree, whose waiting siblings
  // fill the ring until it spills to the global queue, whose every-61st-pick turns then open a
  // subtree each. Its fibers are then the global queue's and the thieves' to look after.
  Fiber* find_local(Worker* w) {
    const bool turn = turn_due(w);
    count_pick(w);
    if (turn) {
      if (Fiber* f = global_get(w, 1)) return f;
      if (!backlogged(w) && ring_head_starving(w)) {
        if (Fiber* f = ring_get(w)) return f;
      }
    }
    if (Fiber* f = runnext_take(w)) return f;
    if (Fiber* f = ring_pop_newest(w)) return f;
    return ring_get(w);
  }

  // find_local's first choice, when no fairness turn is due: what a fiber that blocks switches to
  // directly (switch_out). Anything else it leaves to the scheduler loop, so that the rules stay
  // in one place.
  Fiber* take_runnext(Worker* w) {
    if (turn_due(w)) return nullptr;
    Fiber* f = runnext_take(w);
    if (f) count_pick(w);
    return f;
  }

  // --- runnext (see the top) ------------------------------------------------------------------

  static void runnext_enter(Worker* w) {
    for (;;) {
      w->runnext_owner.store(true, std::memory_order_relaxed);
      light_fence();
      if (!w->runnext_thief.load(std::memory_order_relaxed)) return;
      w->runnext_owner.store(false, std::memory_order_release);
      while (w->runnext_thief.load(std::memory_order_acquire)) cpu_relax();
    }
  }

  static void runnext_exit(Worker* w) { w->runnext_owner.store(false, std::memory_order_release); }

  // Owner only.
  static Fiber* runnext_take(Worker* w) {
    // Only the owner makes it non-null: null here stays null.
    if (w->runnext.load(std::memory_order_relaxed) == nullptr) return nullptr;
    runnext_enter(w);
    Fiber* f = w->runnext.load(std::memory_order_relaxed);
    w->runnext.store(nullptr, std::memory_order_relaxed);
    runnext_exit(w);
    return f;
  }

  // Takes victim's runnext if victim has run the same fiber for kRunnextGraceNs (no pick since):
  // then the fiber that woke it runs on instead of blocking, and it would wait for as long.
  // Waiting out the grace here, as Go's runqgrab does, keeps a hand-off on its worker.
  static Fiber* steal_runnext(Worker* victim) {
    if (victim->runnext.load(std::memory_order_relaxed) == nullptr) return nullptr;
    const std::uint32_t tick = victim->schedtick.load(std::memory_order_relaxed);
    const std::int64_t until = monotonic_now_ns() + kRunnextGraceNs;
    while (monotonic_now_ns() < until) cpu_relax();
    if (victim->schedtick.load(std::memory_order_relaxed) != tick) return nullptr;
    std::lock_guard<SpinLock> hold(victim->steal_lock);  // one thief at a time
    victim->runnext_thief.store(true, std::memory_order_relaxed);
    heavy_fence();
    while (victim->runnext_owner.load(std::memory_order_acquire)) cpu_relax();
    // One exchange, not a load and a store of null: runnext may have been emptied since the look
    // above, and the owner fills an empty runnext without the handshake (ready()), so a store of
    // null could erase a fiber it has just put there.
    Fiber* f = victim->runnext.exchange(nullptr, std::memory_order_acq_rel);
    victim->runnext_thief.store(false, std::memory_order_release);
    return f;
  }

  // Whether the pick about to be made is a kFairnessTick-th one, and counting it (owner only).
  static bool turn_due(const Worker* w) {
    return (w->schedtick.load(std::memory_order_relaxed) + 1) % kFairnessTick == 0;
  }
  static void count_pick(Worker* w) {
    w->schedtick.store(w->schedtick.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Whether the fiber at the head of w's ring has been there for kStarvationNs. It watches the
  // head's index: thieves and FIFO picks move it, so an index that stays put is a fiber waiting.
  bool ring_head_starving(Worker* w) {
    const std::uint32_t h = w->head.load(std::memory_order_relaxed);
    if (w->tail.load(std::memory_order_relaxed) == h) {
      w->watch_since_ns = 0;
      return false;
    }
    const std::int64_t now = monotonic_now_ns();
    if (w->watch_since_ns == 0 || w->watch_head != h) {
      w->watch_head = h;
      w->watch_since_ns = now;
      return false;
    }
    return now - w->watch_since_ns >= kStarvationNs;
  }

  Fiber* find_runnable(Worker* w, bool& spinning) {
    for (;;) {
      if (stop_requested()) stop_here(w->rt);
      if (Fiber* f = find_local(w)) return f;
      judge_steal(w);
      if (Fiber* f = global_get(w)) return f;
      // Steal, as a spinner; at most half the workers that are not asleep spin at once (Go's
      // rule: more spinners than that only take turns at the same rings).
      if (!spinning && 2 * nspinning_.load(std::memory_order_relaxed) <
                           size() - nidle_.load(std::memory_order_relaxed)) {
        spinning = true;
        nspinning_.fetch_add(1, std::memory_order_seq_cst);
      }
      if (spinning) {
        const bool may_steal = !backing_off(w);
        for (int round = 0; round < kSpinRounds && !stop_requested(); ++round) {
          if (may_steal) {  // runnexts in the last round only, as Go's findRunnable
            if (Fiber* f = steal_any(w, round == kSpinRounds - 1)) return f;
          }
          if (Fiber* f = global_get(w)) return f;
          for (int i = 0; i < 32; ++i) cpu_relax();
        }
        spinning = false;
        nspinning_.fetch_sub(1, std::memory_order_seq_cst);
      }
      sleep(w);
      spinning = true;  // wake_if_needed counted us as a spinner
    }
  }

  // Called when w has run dry after a steal: did the steal pay? It did if the fibers taken ran
  // kStealWorthNs each on average, or made more work than they were (a fork-join subtree, whose
  // root is what a thief takes first, the oldest). If not, w stops stealing from rings that
  // their workers are getting through, for a back-off that doubles with each steal that did not
  // pay (Go has no such rule). A worker
  // stuck in one fiber is still robbed, at the next look-in (sleep()), and the back-off ends with
  // a steal that pays.
  void judge_steal(Worker* w) {
    if (w->stole_at_ns == 0) return;
    const std::int64_t now = monotonic_now_ns();
    const std::int64_t busy = now - w->stole_at_ns;
    const std::uint32_t ran = w->schedtick.load(std::memory_order_relaxed) - w->stole_tick;
    w->stole_at_ns = 0;
    if (ran >= 2 * w->stole_n || busy >= static_cast<std::int64_t>(ran) * kStealWorthNs) {
      w->steal_backoff_ns = 0;
      w->steal_off_until_ns = 0;
      return;
    }
    g_steal_backoffs.fetch_add(1, std::memory_order_relaxed);
    w->steal_backoff_ns =
        std::clamp(2 * w->steal_backoff_ns, kStealBackoffMinNs, kStealBackoffMaxNs);
    w->steal_off_until_ns = now + w->steal_backoff_ns;
  }

  bool backing_off(Worker* w) {
    if (w->steal_off_until_ns == 0) return false;
    if (monotonic_now_ns() < w->steal_off_until_ns) return true;
    w->steal_off_until_ns = 0;
    return false;
  }

  Fiber* steal_any(Worker* w, bool runnext) {
    const int n = size();
    if (n == 1 && guests_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    const int start = static_cast<int>(w->rng % n);
    for (int i = 0; i < n; ++i) {
      Worker* v = &workers_[(start + i) % n];
      if (v == w) continue;
      if (Fiber* f = steal(w, v, runnext)) return f;
    }
    for (Worker* g = guests_.load(std::memory_order_acquire); g; g = g->next_guest) {
      if (Fiber* f = steal(w, g, runnext)) return f;
    }
    return nullptr;
  }

  void sleep(Worker* w) {
    const bool off = backing_off(w);
    {
      std::lock_guard<std::mutex> hold(idle_mu_);
      w->ring_wakeable = !off;
      w->idle_pos = static_cast<int>(idle_.size());
      idle_.push_back(w);
      nidle_.fetch_add(1, std::memory_order_seq_cst);
      if (!off) nidle_ring_.fetch_add(1, std::memory_order_seq_cst);
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (any_work(!off) && leave_idle(w)) return;
    hook::runtime_idle();
    // Asleep. The watcher looks in on the other workers now and then: a fiber whose waker did not
    // wake us (see ready()) must not wait behind a fiber that runs long. A worker with fibers in
    // its run queue that has not switched fibers between two looks (rings_stuck) has kept them
    // waiting at least that long; then we steal (its runnext too). The interval doubles while
    // nothing is stuck, so an idle program wakes rarely. A worker backing off from stealing
    // sleeps no longer than its back-off, then looks again. Another sleeper sleeps until woken:
    // for work (kWoken), to stop (kNudged), or to take over as watcher (kBecomeWatcher).
    std::int64_t interval = kPollMinNs;
    bool watching = false;
    for (;;) {
      std::uint32_t wake = w->wake.load(std::memory_order_acquire);
      if (wake == kWoken) break;
      if (wake != kAsleep) {  // nudged, or made the watcher: either way still asleep
        w->wake.compare_exchange_strong(wake, kAsleep, std::memory_order_seq_cst);
        continue;
      }
      if (stop_requested()) {
        stop_here(w->rt);
        continue;
      }
      if (!watching) {
        Worker* none = nullptr;
        watching = watcher_.compare_exchange_strong(none, w, std::memory_order_acq_rel);
        if (watching) {
          interval = kPollMinNs;
          rings_stuck(w);  // the first look
        }
      }
      if (!watching && !off) {
        futex_wait(&w->wake, kAsleep);
        continue;
      }
      const std::int64_t left = off ? w->steal_off_until_ns - monotonic_now_ns() : interval;
      futex_wait_for(&w->wake, kAsleep,
                     std::max<std::int64_t>(watching ? std::min(interval, left) : left, 1));
      if (w->wake.load(std::memory_order_acquire) != kAsleep) continue;
      if (watching && rings_stuck(w) && leave_idle(w)) {
        w->steal_off_until_ns = 0;  // a stuck worker is robbed whatever the back-off
        stop_watching(w);
        return;
      }
      if (off && !backing_off(w) && leave_idle(w)) {
        if (watching) stop_watching(w);
        return;
      }
      interval = std::min(2 * interval, kPollMaxNs);
    }
    if (watching) stop_watching(w);
    w->wake.store(kAsleep, std::memory_order_relaxed);
  }

  // The watcher leaves sleep: another sleeper, if there is one, takes the role over.
  void stop_watching(Worker* w) {
    watcher_.store(nullptr, std::memory_order_release);
    std::lock_guard<std::mutex> hold(idle_mu_);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      std::uint32_t asleep = kAsleep;
      if (*it != w && (*it)->wake.compare_exchange_strong(asleep, kBecomeWatcher)) {
        futex_wake_one(&(*it)->wake);
        return;
      }
    }
  }

  // Guarded by idle_mu_.
  void idle_remove(Worker* w) {
    Worker* last = idle_.back();
    idle_[w->idle_pos] = last;
    last->idle_pos = w->idle_pos;
    idle_.pop_back();
    w->idle_pos = -1;
    nidle_.fetch_sub(1, std::memory_order_seq_cst);
    if (w->ring_wakeable) nidle_ring_.fetch_sub(1, std::memory_order_seq_cst);
  }

  // Takes w back off the idle list, as a spinner, unless a waker already did (then its wake is
  // on its way, and w must take it).
  bool leave_idle(Worker* w) {
    std::lock_guard<std::mutex> hold(idle_mu_);
    if (w->idle_pos < 0) return false;
    idle_remove(w);
    nspinning_.fetch_add(1, std::memory_order_seq_cst);
    return true;
  }

  // The watcher's look: whether some worker has fibers in its ring or runnext but has not switched
  // fibers since the last look: it is running one fiber for that long while the others wait (what
  // Go's sysmon looks for). A ring's head says nothing here: with newest-first picks old fibers sit
  // at the head while their worker busily runs newer ones; those are its own to run (see
  // find_local). The watcher is asleep, so its own ring is empty.
  bool rings_stuck(Worker* w) {
    w->look_ins.fetch_add(1, std::memory_order_relaxed);
    bool stuck = false;
    auto look = [&stuck](Worker* v) {
      const std::uint32_t tick = v->schedtick.load(std::memory_order_relaxed);
      const bool waiting =
          ring_len(v) != 0 || v->runnext.load(std::memory_order_relaxed) != nullptr;
      if (waiting && v->seen_tick == tick) stuck = true;
      v->seen_tick = waiting ? tick : tick - 1;  // an empty ring never matches next time
    };
    for (auto& v : workers_) look(&v);
    for (Worker* g = guests_.load(std::memory_order_acquire); g; g = g->next_guest) look(g);
    return stuck;
  }

  // --- switching ------------------------------------------------------------------------------
  //
  // Every switch is a jump_context(to, from): `from` is the fiber switching out, or null for the
  // worker's scheduler loop. A fiber that blocks switches straight to its worker's runnext (the
  // fiber it just woke, usually), as Go's park_m calls schedule() on the same thread, and a
  // fiber that ends to whatever find_local picks (it has no turn to keep; a run of short fibers
  // then goes from one to the next). Otherwise it goes through the scheduler loop, which looks
  // further (find_runnable). One jump per hand-off instead of two, and both sides of a
  // fiber-to-fiber switch at the same call site, which keeps the CPU's return predictions right
  // (see context_switch.h). A blocking fiber does not take from its ring here: that made
  // fibers that select over several channels slower (bench/README.md).
  //
  // Whoever is resumed — a fiber returning from switch_out, a new fiber in fiber_entry, the loop
  // in execute — first calls after_switch with what the jump returned: it stores where `from` is
  // to be resumed (its context) and only then does `from`'s PostSwitch (unlocking the queue it
  // waits in, queueing it, freeing it). So no other worker can find `from` before its context is
  // saved, and `from` is off its stack before anyone can resume it or give its stack away.

  void execute(Worker* w, Fiber* f) {
    w->current.store(f, std::memory_order_relaxed);
    light_fence();  // then guard.cc's handshake
    stack_guard_for_run(f->stack);
    asan_start_switch(&w->asan_fake_stack, f->stack->base, f->stack->size);
    tsan_switch_to(f->tsan_fiber);
    hook::switch_to(f);
    Transfer t = jump_context(f->context, nullptr);
    asan_finish_switch(w->asan_fake_stack);
    w->current.store(nullptr, std::memory_order_relaxed);
    after_switch(w, t);
  }

  void after_switch(Worker* w, Transfer t) {
    auto* from = static_cast<Fiber*>(t.data);
    if (from == nullptr) {  // resumed by the scheduler loop
      w->sched_ctx = t.from;
      return;
    }
    from->context = t.from;
    PostSwitch post = w->post;
    w->post = PostSwitch{};
    switch (post.kind) {
      case PostSwitch::kPark:
        post.unlock();
        break;
      case PostSwitch::kYield:
        global_put_batch(&from, 1);  // behind everything that waits, as Go's Gosched
        // A worker finds it in its loop; a guest's thread may leave its loop and sleep.
        if (w->guest) wake_if_needed(kGlobalWork);
        break;
      case PostSwitch::kYieldLocal:
        ring_put(w, from);  // runs right after runnext (the fiber just handed the mutex)
        break;
      case PostSwitch::kExit:
        finish_fiber(from);
        break;
      case PostSwitch::kNone:
        break;
    }
  }

  // Called on the fiber's stack; returns when the fiber is resumed, maybe on another worker.
  void switch_out(Fiber* self, PostSwitch post) {
    check_not_forked_child(post.kind == PostSwitch::kExit ? "a fiber ended" : "a fiber blocked");
    Worker* w = tls_worker();
    w->post = post;
    void** fake = post.kind == PostSwitch::kExit ? nullptr : &self->asan_fake_stack;
    Transfer t;
    // While the world stops, every switch goes through the loop, to stop at its safe point.
    Fiber* next = nullptr;
    if (!stop_requested() && !w->guest) {
      next = post.kind == PostSwitch::kExit ? find_local(w) : take_runnext(w);
    }
    if (next) {
      w->current.store(next, std::memory_order_relaxed);
      light_fence();  // then guard.cc's handshake
      stack_guard_for_run(next->stack);
      asan_start_switch(fake, next->stack->base, next->stack->size);
      tsan_switch_to(next->tsan_fiber);
      hook::switch_to(next);
      t = jump_context(next->context, self);
    } else {  // the loop, resumed in execute, clears w->current
      asan_start_switch(fake, w->native_stack.bottom, w->native_stack.size);
      tsan_switch_to(w->tsan_fiber);
      hook::switch_to(nullptr);
      t = jump_context(w->sched_ctx, self);
    }
    asan_finish_switch(self->asan_fake_stack);
    after_switch(tls_worker(), t);  // whoever resumed us made us the current fiber
  }

  static void fiber_entry(Transfer t) {
    asan_finish_switch(nullptr);
    Worker* w = tls_worker();
    Fiber* f = w->current.load(std::memory_order_relaxed);  // set by whoever switched to it
    instance().after_switch(w, t);
    run_fiber_body(f);  // returns when the callable does; a panic never returns
    instance().switch_out(f, PostSwitch{PostSwitch::kExit, {}});
    __builtin_unreachable();
  }

  // --- guests (see the top) ------------------------------------------------------------------

  // Called by a plain thread blocked in weave: runs its guest's queue until done(arg), the queue
  // is empty, or the world stops.
  void run_guest(bool (*done)(const void*), const void* arg) {
    Worker* g = claim_guest();
    while (!done(arg) && !stop_requested()) {
      Fiber* f = runnext_take(g);
      if (!f) f = ring_pop_newest(g);
      if (!f) break;
      // Exit waits until no guest runs a fiber (wait_for_guests): either it sees this fiber
      // current, or this sees the stop and gives it back.
      g->current.store(f, std::memory_order_relaxed);
      light_fence();
      if (stop_requested()) {
        g->current.store(nullptr, std::memory_order_relaxed);
        ring_put(g, f);
        break;
      }
      count_pick(g);
      execute(g, f);
    }
    // Left behind while the thread goes back to its own code: another worker's, as in ready().
    if (!stop_requested() &&
        (ring_len(g) != 0 || g->runnext.load(std::memory_order_relaxed) != nullptr)) {
      wake_if_needed(kRingWork);
    }
  }

  // Exit's stop: waits until no guest but the caller's runs a fiber, for at most `ns`. A guest
  // takes no fiber once the world is stopping.
  bool wait_for_guests(std::int64_t ns) {
    const std::int64_t until = monotonic_now_ns() + ns;
    const Worker* mine = tls_worker();
    for (;;) {
      heavy_fence();  // pairs with run_guest's light_fence
      bool idle = true;
      for (const Worker* g = guests_.load(std::memory_order_acquire); g; g = g->next_guest) {
        if (g != mine && g->current.load(std::memory_order_relaxed) != nullptr) idle = false;
      }
      if (idle) return true;
      if (monotonic_now_ns() >= until) return false;
      for (int i = 0; i < 1000; ++i) cpu_relax();
    }
  }

 private:
  // The calling plain thread's guest: a free one, or a new one, claimed until the thread ends.
  Worker* claim_guest() {
    Worker*& slot = tls_worker_slot();
    if (slot) return slot;
    Worker* g = nullptr;
    for (Worker* c = guests_.load(std::memory_order_acquire); c && !g; c = c->next_guest) {
      bool free = false;
      if (c->claimed.compare_exchange_strong(free, true, std::memory_order_acquire)) g = c;
    }
    if (!g) {
      g = new Worker();
      g->guest = true;
      g->index = -1;
      g->claimed.store(true, std::memory_order_relaxed);
      g->next_guest = guests_.load(std::memory_order_relaxed);
      while (!guests_.compare_exchange_weak(g->next_guest, g, std::memory_order_release,
                                            std::memory_order_relaxed)) {
      }
    }
    asan_record_thread_stack(&g->native_stack);
    g->tsan_fiber = tsan_current_fiber();
    g->alt_stack = add_overflow_stack();
    slot = g;
    static thread_local GuestRelease release;
    (void)&release;
    return g;
  }

  // As a guest's thread ends: what its queue holds goes to the global queue, and the guest to
  // the next thread that claims one.
  struct GuestRelease {
    ~GuestRelease() { instance().release_guest(); }
  };
  void release_guest() {
    Worker*& slot = tls_worker_slot();
    Worker* g = slot;
    slot = nullptr;
    Fiber* left[kRingSize + 1];
    std::uint32_t n = 0;
    if (Fiber* f = runnext_take(g)) left[n++] = f;
    while (Fiber* f = ring_get(g)) left[n++] = f;
    if (n > 0) {
      global_put_batch(left, n);
      if (!stop_requested()) wake_if_needed(kGlobalWork);
    }
    remove_overflow_stack(g->alt_stack);
    g->alt_stack = nullptr;
    g->claimed.store(false, std::memory_order_release);
  }

 public:
  static Scheduler& instance();

  static void make_context(Fiber* f, void* sp, std::size_t size) {
    f->context = detail::make_context(sp, size, &fiber_entry);
  }

 private:
  std::vector<Worker> workers_;
  // The global queue and the idle/spinning counts live on cache lines of their own: every spawn
  // reads nidle_ (wake_if_needed), and must not miss because a yield just wrote the queue.
  alignas(64) SpinLock global_lock_;
  Fiber* global_head_ = nullptr;  // guarded by global_lock_
  Fiber* global_tail_ = nullptr;  // guarded by global_lock_
  std::atomic<std::uint32_t> global_size_{0};
  alignas(64) std::atomic<int> nspinning_{0};
  alignas(64) std::atomic<int> nidle_{0};
  std::atomic<int> nidle_ring_{0};  // those of nidle_ that are ring_wakeable
  std::mutex idle_mu_;
  std::vector<Worker*> idle_;  // guarded by idle_mu_
  // The sleeper that looks in on the others (sleep()).
  std::atomic<Worker*> watcher_{nullptr};
  // Every guest ever made, claimed or free: a list that only grows (thieves walk it without a
  // lock, so a guest is never freed; a thread that ends frees its guest for the next).
  std::atomic<Worker*> guests_{nullptr};
};

// WEAVE_PROCS, or the number of CPUs this process may run on, as Go's GOMAXPROCS.
int procs_from_env() {
  int cpus = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
  return env_procs(std::clamp(cpus, 1, kMaxProcs));
}

Scheduler* g_sched = nullptr;
std::atomic<const Scheduler*> g_started{nullptr};  // g_sched, for threads that may race the start
std::once_flag g_start;

}  // namespace

Scheduler& Scheduler::instance() { return *g_sched; }

void ensure_started() {
  std::call_once(g_start, [] {
    // Never destroyed: workers may still be running parked programs' fibers while the process
    // exits, as goroutines do when main returns.
    g_sched = new Scheduler(procs_from_env());
    asym_fence_init();
    install_exit_handler();
    install_fork_handler();
    install_panic_handler();
    start_dump_signal_watcher();
    g_sched->start();
    g_started.store(g_sched, std::memory_order_release);
  });
}

bool scheduler_quiescent(std::uint64_t* activity) {
  const Scheduler* s = g_started.load(std::memory_order_acquire);
  if (!s) {
    *activity = 0;
    return true;
  }
  return s->quiescent(activity);
}

void switch_out(Fiber* self, PostSwitch post) { Scheduler::instance().switch_out(self, post); }

void run_woken_fibers([[maybe_unused]] bool (*done)(const void*),
                      [[maybe_unused]] const void* arg) {
#if !WEAVE_DEBUG_RUNTIME
  // Before the start no fiber was woken.
  if (g_started.load(std::memory_order_acquire)) Scheduler::instance().run_guest(done, arg);
#endif
}

bool wait_for_guests(std::int64_t ns) {
  return !g_started.load(std::memory_order_acquire) || Scheduler::instance().wait_for_guests(ns);
}
bool stack_running(const Stack* s) { return g_sched != nullptr && g_sched->runs_on(s); }
void schedule_ready(Fiber* f) { Scheduler::instance().ready(f, false); }
void schedule_new(Fiber* f) {
  ensure_started();
  Scheduler::instance().ready(f, true);
}
bool spawner_should_yield() { return Scheduler::instance().spawner_backlog(); }
void make_fiber_context(Fiber* f, void* sp, std::size_t size) {
  Scheduler::make_context(f, sp, size);
}

[[gnu::noinline]] Fiber* current_fiber() {
  Worker* w = Scheduler::tls_worker_;
  return w ? w->current.load(std::memory_order_relaxed) : nullptr;
}

// One call, not current_fiber's and then the thread's: it is asked on every park and spawn.
[[gnu::noinline]] Task* current() {
  if (Worker* w = Scheduler::tls_worker_) {
    if (Fiber* f = w->current.load(std::memory_order_relaxed)) return f;
  }
  return current_thread_task();
}

int current_worker_index() {
  Worker* w = Scheduler::tls_worker();
  return w ? w->index : -1;
}

int sleeping_workers_for_testing() {
  ensure_started();
  return Scheduler::instance().sleeping();
}

std::vector<std::uint64_t> look_ins_for_testing() {
  ensure_started();
  return Scheduler::instance().look_ins();
}

int steal_backoffs_for_testing() { return g_steal_backoffs.load(std::memory_order_relaxed); }

int stacks_made_for_testing() { return static_cast<int>(stacks_made()); }

int stack_guard_budget_for_testing() { return static_cast<int>(stack_guard_budget()); }

int scheduler_procs() {
  ensure_started();
  return Scheduler::instance().size();
}

}  // namespace weave::detail
