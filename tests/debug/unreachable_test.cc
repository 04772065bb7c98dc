// weave::debug::find_leaks: a blocked fiber is unreachable exactly when nothing that can still run
// holds a handle to what it waits on. Zero false positives is the rule, so most cases here are
// the other side: a handle held in each way a program can hold one must keep its waiter off the
// list. The fibers these tests leave blocked are left on purpose (they can never end); the leak
// check ignores them (main.cc). The others are woken and waited for before each test ends.
#include <sys/mman.h>
#include <weave/debug.h>
#include <weave/weave.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

using weave::debug::FiberInfo;

// Under the address sanitizer the heap is the sanitizer's, which the analysis cannot read: it
// does not run, and says so (UnderAsanTheDumpSaysWhyNothingIsMarked). The tests that a fiber is
// found have nothing to check then.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAnalysed = false;
#define SKIP_WHERE_NOT_ANALYSED() \
  GTEST_SKIP() << "the address sanitizer owns the heap: the unreachable analysis does not run"
#else
constexpr bool kAnalysed = true;
#define SKIP_WHERE_NOT_ANALYSED() static_cast<void>(0)
#endif

std::set<std::uint64_t> Ids(const std::vector<FiberInfo>& fs) {
  std::set<std::uint64_t> ids;
  for (const FiberInfo& f : fs) ids.insert(f.id);
  return ids;
}

testing::AssertionResult IsUnreachable(std::uint64_t id) {
  for (const FiberInfo& f : weave::debug::find_leaks()) {
    if (f.id == id) return testing::AssertionSuccess();
  }
  std::ostringstream dump;
  weave::debug::print_blocked(dump, {id});
  return testing::AssertionFailure() << "fiber " << id << " is not marked unreachable:\n"
                                     << dump.str();
}

// The fibers started since `before` (the ids of fibers() then), once every one of them is
// blocked; spins (yielding) until then.
std::vector<std::uint64_t> BlockedSince(const std::set<std::uint64_t>& before, std::size_t n) {
  for (;;) {
    std::vector<std::uint64_t> fresh;
    bool all_blocked = true;
    for (const FiberInfo& f : weave::debug::fibers()) {
      if (before.count(f.id)) continue;
      fresh.push_back(f.id);
      all_blocked = all_blocked && f.blocked;
    }
    if (all_blocked && fresh.size() == n) return fresh;
    weave::yield();
  }
}

// Runs `make` on a fiber of its own and waits until it has ended and the `n` fibers it started
// are blocked: what `make` held is then gone with its stack (no stale copy on a live stack or in
// saved registers can keep anything alive). Returns the ids of those fibers.
std::vector<std::uint64_t> LeaveBehind(void (*make)(), std::size_t n) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go(make);
  return BlockedSince(before, n);
}

// The one fiber started since `before`, once it is blocked.
std::uint64_t OnlyNewOnceBlocked(const std::set<std::uint64_t>& before) {
  return BlockedSince(before, 1).front();
}

testing::AssertionResult NoneUnreachable(const std::vector<std::uint64_t>& ids) {
  const std::set<std::uint64_t> lost = Ids(weave::debug::find_leaks());
  for (std::uint64_t id : ids) {
    if (lost.count(id)) {
      std::ostringstream dump;
      weave::debug::print_blocked(dump, {id});
      return testing::AssertionFailure() << "fiber " << id << " is marked unreachable:\n"
                                         << dump.str();
    }
  }
  return testing::AssertionSuccess();
}

// --- fibers that can never wake --------------------------------------------------------------

TEST(Unreachable, NilChannelCanNeverWake) {
  SKIP_WHERE_NOT_ANALYSED();
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([] { weave::Chan<int>().recv(); });
  EXPECT_TRUE(IsUnreachable(OnlyNewOnceBlocked(before)));
}

// The most common leak: a function starts a fiber on a channel of its own and returns.
TEST(Unreachable, ChannelOnlyItsWaiterHoldsIsFound) {
  SKIP_WHERE_NOT_ANALYSED();
  for (std::uint64_t id : LeaveBehind(
           [] {
             auto ch = weave::make_chan<int>();
             weave::go([ch] { ch.recv(); });
           },
           1)) {
    EXPECT_TRUE(IsUnreachable(id));
  }
}

// Freed memory is not read: copies of the handle left in a vector that is gone keep nothing.
TEST(Unreachable, CopiesInFreedMemoryDoNotKeepItAlive) {
  SKIP_WHERE_NOT_ANALYSED();
  for (std::uint64_t id : LeaveBehind(
           [] {
             auto ch = weave::make_chan<int>();
             auto copies = std::make_unique<std::vector<weave::Chan<int>>>(64, ch);
             weave::go([ch] { ch.send(1); });
           },
           1)) {
    EXPECT_TRUE(IsUnreachable(id));
  }
}

// Fibers that slept before they blocked: the timers they armed are gone, and what the runtime
// kept of them (the timer heap's spare room) must not keep their frames alive. The demo's leak.
TEST(Unreachable, FibersThatSleptBeforeBlockingAreFound) {
  SKIP_WHERE_NOT_ANALYSED();
  for (std::uint64_t id : LeaveBehind(
           [] {
             for (int i = 0; i < 3; ++i) {
               auto ch = weave::make_chan<int>();
               weave::go([ch, i] {
                 weave::sleep(absl::Milliseconds(1 + i));
                 ch.send(i);
               });
             }
           },
           3)) {
    // Blocked includes asleep: wait for the send.
    for (;;) {
      bool sending = false;
      for (const FiberInfo& f : weave::debug::fibers())
        sending |= f.id == id && f.state == "chan send";
      if (sending) break;
      weave::yield();
    }
    EXPECT_TRUE(IsUnreachable(id));
  }
}

// Where the analysis cannot run, a dump says why instead of marking nothing silently.
TEST(Unreachable, UnderAsanTheDumpSaysWhyNothingIsMarked) {
  if (kAnalysed) GTEST_SKIP() << "the analysis runs in this build";
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([] { weave::Chan<int>().recv(); });
  const std::uint64_t id = OnlyNewOnceBlocked(before);
  EXPECT_TRUE(weave::debug::find_leaks().empty());
  std::ostringstream dump;
  weave::debug::print_blocked(dump, {id});
  EXPECT_NE(dump.str().find("(unreachable fibers not marked: the heap is a sanitizer's"),
            std::string::npos)
      << dump.str();
}

// Two fibers each waiting for the other: a cycle nothing outside reaches.
TEST(Unreachable, TwoFibersWaitingForEachOtherAreFound) {
  SKIP_WHERE_NOT_ANALYSED();
  for (std::uint64_t id : LeaveBehind(
           [] {
             auto a = weave::make_chan<int>();
             auto b = weave::make_chan<int>();
             weave::go([a, b] {
               a.recv();
               b.send(1);
             });
             weave::go([a, b] {
               b.recv();
               a.send(1);
             });
           },
           2)) {
    EXPECT_TRUE(IsUnreachable(id));
  }
}

// A heap object only the stuck fibers reach, holding the channel and a mutex: a fiber that holds
// the mutex while it waits for good, another that waits for the mutex.
TEST(Unreachable, HeapObjectOnlyStuckFibersReachIsNotARoot) {
  SKIP_WHERE_NOT_ANALYSED();
  struct Shared {
    weave::Mutex mu;
    weave::Chan<int> never = weave::make_chan<int>();
  };
  for (std::uint64_t id : LeaveBehind(
           [] {
             auto s = std::make_shared<Shared>();
             auto locked = weave::make_chan<int>(1);
             weave::go([s, locked] {
               s->mu.lock();
               locked.send(1);
               s->never.recv();
             });
             locked.recv();
             weave::go([s] { std::lock_guard<weave::Mutex> hold(s->mu); });
           },
           2)) {
    EXPECT_TRUE(IsUnreachable(id));
  }
}

// A WaitGroup on the waiter's own stack, whose only other user is stuck for good.
TEST(Unreachable, WaitGroupOfStuckFibersIsFound) {
  SKIP_WHERE_NOT_ANALYSED();
  for (std::uint64_t id : LeaveBehind(
           [] {
             weave::go([] {
               weave::WaitGroup wg;
               wg.add(1);
               weave::go([&wg] {
                 weave::Chan<int>().recv();
                 wg.done();
               });
               wg.wait();
             });
           },
           2)) {
    EXPECT_TRUE(IsUnreachable(id));
  }
}

// A context nobody can cancel any more: its cancel function is gone, its parent never ends.
TEST(Unreachable, ContextNobodyCanCancelIsFound) {
  SKIP_WHERE_NOT_ANALYSED();
  for (std::uint64_t id : LeaveBehind(
           [] {
             auto [ctx, cancel] = weave::with_cancel(weave::background());
             weave::go([ctx] { ctx.done().recv(); });
           },
           1)) {
    EXPECT_TRUE(IsUnreachable(id));
  }
}

// --- fibers that can still wake: each way of holding a handle -------------------------------

TEST(Unreachable, ChannelMainHoldsIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto ch = weave::make_chan<int>();
  auto done = weave::make_chan<int>();
  weave::go([ch, done] {
    ch.recv();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  ch.send(1);  // main could, and does, wake it
  done.recv();
}

weave::Chan<int> g_global = weave::make_chan<int>();
weave::Chan<int>* g_global_pointer = nullptr;

TEST(Unreachable, GlobalChannelIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto done = weave::make_chan<int>();
  weave::go([done] {
    g_global.recv();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  g_global.send(1);
  done.recv();
}

TEST(Unreachable, ChannelInAHeapObjectAGlobalPointsToIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([] {
    g_global_pointer = new weave::Chan<int>(weave::make_chan<int>());
    weave::go([ch = *g_global_pointer] { ch.recv(); });
  });
  EXPECT_TRUE(NoneUnreachable(BlockedSince(before, 1)));
  g_global_pointer->send(1);
  delete g_global_pointer;
  g_global_pointer = nullptr;
}

TEST(Unreachable, ChannelOnTheHeapMainOwnsIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto holder = std::make_unique<std::vector<weave::Chan<int>>>();
  holder->push_back(weave::make_chan<int>());
  auto done = weave::make_chan<int>();
  weave::go([ch = holder->back(), done] {
    ch.recv();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  holder->back().send(1);
  done.recv();
}

TEST(Unreachable, ChannelARunnableFiberHoldsIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto ch = weave::make_chan<int>();
  auto go_on = weave::make_chan<weave::Unit>(1);
  auto done = weave::make_chan<int>();
  weave::go([ch, done] {
    ch.recv();
    done.send(1);
  });
  const std::uint64_t id = OnlyNewOnceBlocked(before);
  weave::go([ch, go_on] {  // sleeps, then wakes the receiver: live while it sleeps
    weave::sleep(absl::Milliseconds(30));
    ch.send(1);
    go_on.send(weave::Unit{});
  });
  EXPECT_TRUE(NoneUnreachable({id}));
  go_on.recv();
  done.recv();
}

// The live fiber holds no handle: only a reference to the handle on the waiter's own stack.
TEST(Unreachable, HandleALiveFiberHoldsByReferenceIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto done = weave::make_chan<int>();
  auto ready = weave::make_chan<weave::Chan<int>*>(1);
  weave::go([ready, done] {
    weave::Chan<int> mine = weave::make_chan<int>();
    ready.send(&mine);
    mine.recv();
    done.send(1);
  });
  weave::Chan<int>* ref = *ready.recv();
  const std::uint64_t id = OnlyNewOnceBlocked(before);
  weave::go([ref] {
    weave::sleep(absl::Milliseconds(20));
    ref->send(1);
  });
  EXPECT_TRUE(NoneUnreachable({id}));
  done.recv();
}

// A plain thread owns a heap object holding the handle, and waits outside weave.
TEST(Unreachable, HandleInAHeapObjectALiveThreadOwnsIsNotUnreachable) {
  struct Box {
    weave::Chan<int> ch = weave::make_chan<int>();
  };
  std::mutex mu;
  std::condition_variable cv;
  bool go_on = false;
  auto done = weave::make_chan<int>();
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  std::thread owner([&] {
    auto box = std::make_unique<Box>();
    weave::go([ch = box->ch, done] {
      ch.recv();
      done.send(1);
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return go_on; });
    box->ch.send(1);
  });
  EXPECT_TRUE(NoneUnreachable(BlockedSince(before, 1)));
  {
    std::lock_guard<std::mutex> hold(mu);
    go_on = true;
  }
  cv.notify_all();
  done.recv();
  owner.join();
}

// A std::function on the heap (its capture too large to be stored inline) that captures a
// pointer to a handle on the waiter's stack.
TEST(Unreachable, FunctionOnTheHeapPointingAtAStackHandleIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto done = weave::make_chan<int>();
  auto ready = weave::make_chan<std::function<void()>*>(1);
  weave::go([ready, done] {
    weave::Chan<int> mine = weave::make_chan<int>();
    char padding[64] = {};
    ready.send(new std::function<void()>([p = &mine, padding] { p->send(padding[0] + 1); }));
    mine.recv();
    done.send(1);
  });
  std::unique_ptr<std::function<void()>> wake(*ready.recv());
  const std::uint64_t id = OnlyNewOnceBlocked(before);
  EXPECT_TRUE(NoneUnreachable({id}));
  (*wake)();
  done.recv();
}

TEST(Unreachable, ChannelAPendingTimerWillFillIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto done = weave::make_chan<int>();
  weave::go([done] {
    weave::after(absl::Milliseconds(300)).recv();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  done.recv();
}

TEST(Unreachable, TimerOnTheWaitersStackIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto done = weave::make_chan<int>();
  weave::go([done] {
    weave::Timer t(absl::Milliseconds(300));
    t.c().recv();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  done.recv();
}

TEST(Unreachable, ContextWithADeadlineIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto done = weave::make_chan<int>();
  weave::go([done] {
    auto [ctx, cancel] = weave::with_timeout(weave::background(), absl::Milliseconds(300));
    auto never_called = std::move(cancel);
    weave::go([ctx, done] {
      ctx.done().recv();
      done.send(1);
    });
  });
  const std::uint64_t id = OnlyNewOnceBlocked(before);
  EXPECT_TRUE(NoneUnreachable({id}));
  done.recv();
}

TEST(Unreachable, ContextWhoseParentMainCanCancelIsNotUnreachable) {
  auto [parent, cancel] = weave::with_cancel(weave::background());
  auto done = weave::make_chan<int>();
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([parent, done] {
    auto [child, child_cancel] = weave::with_cancel(parent);
    weave::go([child, done] {
      child.done().recv();
      done.send(1);
    });
  });
  EXPECT_TRUE(NoneUnreachable(BlockedSince(before, 1)));
  cancel();
  done.recv();
}

TEST(Unreachable, MutexHeldByALiveThreadIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto mu = std::make_unique<weave::Mutex>();
  auto done = weave::make_chan<int>();
  mu->lock();
  weave::go([m = mu.get(), done] {
    m->lock();
    m->unlock();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  mu->unlock();
  done.recv();  // before the mutex goes
}

TEST(Unreachable, CondInAHeapObjectMainOwnsIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  struct State {
    weave::Mutex mu;
    weave::Cond cv{mu};
    bool ready = false;
  };
  auto s = std::make_unique<State>();
  auto done = weave::make_chan<int>();
  weave::go([st = s.get(), done] {
    std::unique_lock<weave::Mutex> lock(st->mu);
    while (!st->ready) st->cv.wait();
    lock.unlock();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  {
    std::lock_guard<weave::Mutex> hold(s->mu);
    s->ready = true;
  }
  s->cv.signal();
  done.recv();
}

TEST(Unreachable, SemaphoreMainHoldsIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto sem = std::make_unique<weave::Semaphore>(1);
  ASSERT_TRUE(sem->try_acquire());
  auto done = weave::make_chan<int>();
  weave::go([s = sem.get(), done] {
    EXPECT_TRUE(s->acquire(weave::background()).ok());
    s->release();
    done.send(1);
  });
  EXPECT_TRUE(NoneUnreachable({OnlyNewOnceBlocked(before)}));
  sem->release();
  done.recv();
}

// A channel held only in the buffer of another channel that main holds.
TEST(Unreachable, ChannelInsideABufferedChannelIsNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  auto outer = weave::make_chan<weave::Chan<int>>(1);
  auto done = weave::make_chan<int>();
  weave::go([outer, done] {
    auto inner = weave::make_chan<int>();
    outer.send(inner);
    weave::go([inner, done] {
      inner.recv();
      done.send(1);
    });
  });
  const std::uint64_t id = OnlyNewOnceBlocked(before);
  EXPECT_TRUE(NoneUnreachable({id}));
  outer.recv()->send(1);
  done.recv();
}

TEST(Unreachable, SelectWithOneLiveChannelIsNotUnreachable) {
  auto live = weave::make_chan<int>();
  auto done = weave::make_chan<int>();
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([live, done] {
    auto dead = weave::make_chan<int>();
    weave::go([live, dead, done] {
      weave::select(weave::recv(dead), weave::recv(live));
      done.send(1);
    });
  });
  EXPECT_TRUE(NoneUnreachable(BlockedSince(before, 1)));
  live.send(1);
  done.recv();
}

thread_local weave::Chan<int> t_worker_local;

// A fiber leaves a handle in its worker's thread-local and ends.
TEST(Unreachable, HandleInAWorkersThreadLocalIsNotUnreachable) {
  auto done = weave::make_chan<int>();
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([done] {
    t_worker_local = weave::make_chan<int>();
    weave::go([ch = t_worker_local, done] {
      ch.recv();
      done.send(1);
    });
  });
  EXPECT_TRUE(NoneUnreachable(BlockedSince(before, 1)));
  // Whichever worker's thread-local holds it: fibers try until one runs on that worker.
  while (weave::select(weave::recv(done), weave::otherwise()) != 0) {
    weave::go([] {
      if (t_worker_local != weave::Chan<int>()) {
        weave::select(weave::send(t_worker_local, 1), weave::otherwise());
      }
    });
    weave::sleep(absl::Milliseconds(1));
  }
}

// Memory the program maps itself is read too.
TEST(Unreachable, HandleInMemoryTheProgramMapsIsNotUnreachable) {
  void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  auto* slot = new (m) weave::Chan<int>();
  auto done = weave::make_chan<int>();
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([slot, done] {
    *slot = weave::make_chan<int>();
    weave::go([ch = *slot, done] {
      ch.recv();
      done.send(1);
    });
  });
  EXPECT_TRUE(NoneUnreachable(BlockedSince(before, 1)));
  slot->send(1);
  done.recv();
  slot->~Chan();
  munmap(m, 4096);
}

weave::Chan<int>** g_block = nullptr;

// Grown with realloc, as C code grows its arrays: the moved block, which only a global points to,
// still holds the pointer to the heap object that holds the handle.
TEST(Unreachable, PointersInAReallocatedBlockAreNotUnreachable) {
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  weave::go([] {
    auto** block = static_cast<weave::Chan<int>**>(std::malloc(sizeof(weave::Chan<int>*)));
    block[0] = new weave::Chan<int>(weave::make_chan<int>());
    weave::go([ch = *block[0]] { ch.recv(); });
    g_block = block;
  });
  const std::uint64_t id = OnlyNewOnceBlocked(before);
  auto grown = weave::make_chan<int>();
  weave::go([grown] {  // on a fiber that ends: no stale copy of the block's address is left
    g_block = static_cast<weave::Chan<int>**>(std::realloc(g_block, 64 * 1024));
    grown.send(1);
  });
  grown.recv();
  ASSERT_NE(g_block, nullptr);
  EXPECT_TRUE(NoneUnreachable({id}));
  g_block[0]->send(1);
  delete g_block[0];
  std::free(g_block);
  g_block = nullptr;
}

// A thread of the program computing outside weave no longer withholds the verdict: it is stopped
// by the signal, and its stack and registers read.
TEST(Unreachable, AThreadRunningOutsideWeaveIsStoppedAndRead) {
  SKIP_WHERE_NOT_ANALYSED();
  const std::set<std::uint64_t> before = Ids(weave::debug::fibers());
  std::atomic<bool> stop{false};
  std::atomic<long> spins{0};
  auto ch = std::make_unique<weave::Chan<int>>(weave::make_chan<int>());
  auto done = weave::make_chan<int>();
  std::thread spinner([&stop, &spins, held = *ch] {
    while (!stop.load(std::memory_order_relaxed)) spins.fetch_add(1, std::memory_order_relaxed);
    held.send(1);
  });
  weave::go([c = *ch, done] {
    c.recv();
    done.send(1);
  });
  const std::uint64_t waiter = OnlyNewOnceBlocked(before);
  const std::set<std::uint64_t> before_lost = Ids(weave::debug::fibers());
  weave::go([] { weave::Chan<int>().recv(); });  // one that is unreachable: the verdict is given
  const std::uint64_t lost = OnlyNewOnceBlocked(before_lost);
  ch.reset();  // from here on only the spinning thread holds the channel
  EXPECT_TRUE(IsUnreachable(lost));
  EXPECT_TRUE(NoneUnreachable({waiter}));
  stop = true;
  spinner.join();
  done.recv();
}

}  // namespace
