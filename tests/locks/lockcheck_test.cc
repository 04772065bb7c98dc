// The lock-check engine driven directly: each Task below stands for a fiber with its own held-lock
// list, and the calls a Mutex or RWMutex makes (attempt before a lock call that may wait, acquired
// after it, released before an unlock) are made in the order a test wants, so every interleaving
// is exact and nothing depends on scheduling.
#include "debug/lockcheck.h"
#include "warning_kinds.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

// Outside weave::detail, whose frames a warning's stack leaves out.
namespace {

using namespace weave::detail::lockcheck;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using weave::Location;
using weave::detail::Frame;
using weave::detail::LockKind;

// A lock: only its address matters to the engine.
struct alignas(8) Lock {
  char byte = 0;
};

// Calls in the order the debug runtime makes them for a Mutex or RWMutex: `blocks` when a lock
// call is about to wait, `acquired` once it has the lock; the task keeps its own held locks.
class Task {
 public:
  explicit Task(std::uint64_t id) : who_{id, false} {}
  // A lock call that takes the lock without waiting.
  void lock(const Lock& m, LockKind k = LockKind::kMutex, Location loc = Location::current()) {
    take(m, k, loc, __builtin_return_address(0));
  }
  // A lock call that waits, then takes the lock.
  void lock_after_wait(const Lock& m, LockKind k = LockKind::kMutex,
                       Location loc = Location::current()) {
    const void* caller = __builtin_return_address(0);
    blocks(held_, who_, &m, k, loc, caller);
    take(m, k, loc, caller);
  }
  // A lock call that waits and never returns.
  void block_on(const Lock& m, LockKind k = LockKind::kMutex, Location loc = Location::current()) {
    blocks(held_, who_, &m, k, loc, __builtin_return_address(0));
  }
  void try_lock(const Lock& m, LockKind k = LockKind::kMutex, Location loc = Location::current()) {
    held_.push_back(Held{&m, k, loc, __builtin_return_address(0)});
  }
  void unlock(const Lock& m, LockKind k = LockKind::kMutex) {
    auto it = std::find_if(held_.rbegin(), held_.rend(),
                           [&](const Held& h) { return h.addr == &m && h.kind == k; });
    ASSERT_NE(it, held_.rend());
    held_.erase(std::next(it).base());
  }
  // Locks each Mutex in turn, then unlocks them in the reverse order.
  void nest(std::initializer_list<const Lock*> locks, Location loc = Location::current()) {
    for (const Lock* m : locks) lock(*m, LockKind::kMutex, loc);
    for (auto it = std::rbegin(locks); it != std::rend(locks); ++it) unlock(**it);
  }

 private:
  void take(const Lock& m, LockKind k, const Location& loc, const void* caller) {
    acquired(held_, who_, &m, k, loc, caller);
    held_.push_back(Held{&m, k, loc, caller});
  }

  Taker who_;
  std::vector<Held> held_;
};

class LockCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { reset_for_testing(/*quiet=*/getenv("LOUD") == nullptr); }
};

std::vector<std::string> kinds() { return warning_kinds(); }

TEST_F(LockCheckTest, AbbaIsReportedWithBothSitesOfEachEdge) {
  Lock a, b;
  Task t1(1), t2(2);
  const int line = __LINE__;
  t1.lock(a);
  t1.lock(b);
  t1.unlock(b);
  t1.unlock(a);
  t2.lock(b);
  t2.lock(a);
  ASSERT_THAT(warnings(), SizeIs(1));
  const Warning w = warnings()[0];
  EXPECT_EQ(w.kind, "lock-order-inversion");
  EXPECT_EQ(w.summary, "lock-order-inversion (potential deadlock): M1 => M2 => M1");
  // The new edge b -> a first (a acquired by fiber 2 while holding b), then a -> b.
  ASSERT_THAT(w.sites, SizeIs(4));
  EXPECT_THAT(w.sites[0], AllOf(Field(&Site::role, "acquiring"), Field(&Site::lock, "M2"),
                                Field(&Site::addr, &a), Field(&Site::line, line + 6)));
  EXPECT_EQ(w.sites[0].taker.id, 2u);
  EXPECT_THAT(w.sites[1], AllOf(Field(&Site::role, "holding"), Field(&Site::lock, "M1"),
                                Field(&Site::addr, &b), Field(&Site::line, line + 5)));
  EXPECT_THAT(w.sites[2], AllOf(Field(&Site::role, "acquiring"), Field(&Site::addr, &b),
                                Field(&Site::line, line + 2)));
  EXPECT_EQ(w.sites[2].taker.id, 1u);
  EXPECT_THAT(w.sites[3], AllOf(Field(&Site::role, "holding"), Field(&Site::addr, &a),
                                Field(&Site::line, line + 1)));
  EXPECT_THAT(w.sites[0].file, HasSubstr("lockcheck_test.cc"));
  EXPECT_THAT(w.sites[0].function, HasSubstr("AbbaIsReported"));
  // The acquiring site's stack starts at the lock call (the engine's own frames are dropped).
  ASSERT_FALSE(w.sites[0].stack.empty());
  EXPECT_THAT(w.sites[0].stack[0].function, Not(HasSubstr("weave::detail::")));
  EXPECT_THAT(w.sites[0].stack, Contains(Field(&Frame::function, HasSubstr("AbbaIsReported"))));
}

TEST_F(LockCheckTest, AWaitThenTheAcquisitionCountOnce) {
  Lock a, b;
  Task t1(1), t2(2);
  t1.lock(a);
  t1.lock_after_wait(b);
  t1.unlock(b);
  t1.unlock(a);
  EXPECT_EQ(edge_count_for_testing(), 1u);
  t2.lock(b);
  t2.lock_after_wait(a);
  EXPECT_THAT(kinds(), ElementsAre("lock-order-inversion"));
}

TEST_F(LockCheckTest, TheSameOrderEverywhereIsClean) {
  Lock a, b, c;
  Task t1(1), t2(2);
  t1.lock(a);
  t1.lock(b);
  t1.lock(c);
  t2.block_on(a);  // waits for t1 (a fiber blocked behind a lock is no warning)
  t1.unlock(c);
  t1.unlock(b);
  t1.unlock(a);
  t2.try_lock(a);
  t2.lock(c);
  EXPECT_THAT(warnings(), IsEmpty());
  EXPECT_EQ(edge_count_for_testing(), 3u);  // a->b, a->c, b->c
}

TEST_F(LockCheckTest, AnInversionThatDeadlocksIsReportedBeforeTheSecondWaiterBlocks) {
  Lock a, b;
  Task t1(1), t2(2);
  t1.lock(a);
  t2.lock(b);
  t1.block_on(b);
  EXPECT_THAT(warnings(), IsEmpty());
  t2.block_on(a);  // now both wait forever
  EXPECT_THAT(kinds(), ElementsAre("lock-order-inversion"));
}

TEST_F(LockCheckTest, ThreeLockCycleAcrossThreeTasks) {
  Lock a, b, c;
  Task t1(1), t2(2), t3(3);
  t1.lock(a);
  t1.lock(b);
  t2.lock(b);  // (a real run would wait here; the engine only sees the order)
  t2.lock(c);
  EXPECT_THAT(warnings(), IsEmpty());
  t3.lock(c);
  t3.lock(a);
  ASSERT_THAT(warnings(), SizeIs(1));
  const Warning w = warnings()[0];
  EXPECT_EQ(w.summary, "lock-order-inversion (potential deadlock): M1 => M2 => M3 => M1");
  ASSERT_THAT(w.sites, SizeIs(6));
  // c -> a (new), then a -> b, then b -> c: each edge's acquiring lock is the next one's holder.
  EXPECT_EQ(w.sites[0].addr, &a);
  EXPECT_EQ(w.sites[1].addr, &c);
  EXPECT_EQ(w.sites[2].addr, &b);
  EXPECT_EQ(w.sites[3].addr, &a);
  EXPECT_EQ(w.sites[4].addr, &c);
  EXPECT_EQ(w.sites[5].addr, &b);
  EXPECT_EQ(w.sites[4].taker.id, 2u);
}

TEST_F(LockCheckTest, ACycleOfFourWithAShortcutIsFound) {
  Lock a, b, c, d;
  Task t(1);
  t.nest({&a, &b});
  t.nest({&b, &c});
  t.nest({&a, &c});
  t.nest({&c, &d});
  EXPECT_THAT(warnings(), IsEmpty());
  t.nest({&d, &a});
  ASSERT_THAT(kinds(), ElementsAre("lock-order-inversion"));
  EXPECT_THAT(warnings()[0].summary, HasSubstr("M1 =>"));
}

TEST_F(LockCheckTest, ACommonGateLockSuppressesTheCycle) {
  Lock g, a, b;
  Task t1(1), t2(2);
  t1.nest({&g, &a, &b});
  t2.nest({&g, &b, &a});
  EXPECT_THAT(warnings(), IsEmpty());
}

TEST_F(LockCheckTest, TheGateMustGuardEveryOccurrenceOfAnEdge) {
  Lock g, a, b;
  Task t1(1), t2(2), t3(3);
  t1.nest({&g, &a, &b});
  t2.nest({&g, &b, &a});  // gated: no warning yet
  EXPECT_THAT(warnings(), IsEmpty());
  // The same edge a -> b, now without g: the cycle is no longer gated.
  t3.nest({&a, &b});
  EXPECT_THAT(kinds(), ElementsAre("lock-order-inversion"));
}

TEST_F(LockCheckTest, TwoEdgesSharingAGateSuppressALongerCycle) {
  Lock g, a, b, c;
  Task t(1);
  // a -> b and c -> a under g, b -> c without: the two gated edges can never wait together.
  t.nest({&g, &a, &b});
  t.nest({&b, &c});
  t.nest({&g, &c, &a});
  EXPECT_THAT(warnings(), IsEmpty());
}

TEST_F(LockCheckTest, AReadLockIsNoGate) {
  Lock g, a, b;
  Task t1(1), t2(2);
  t1.lock(g, LockKind::kRWMutexRead);
  t1.lock(a);
  t1.lock(b);
  t1.unlock(b);
  t1.unlock(a);
  t1.unlock(g, LockKind::kRWMutexRead);
  t2.lock(g, LockKind::kRWMutexRead);
  t2.lock(b);
  t2.lock(a);
  EXPECT_THAT(kinds(), ElementsAre("lock-order-inversion"));
}

TEST_F(LockCheckTest, ReadLocksTakePartInTheOrder) {
  // With Go's RWMutex a reader queued behind a writer waits, so RLock(a), Lock(b) in one task and
  // Lock(b), RLock(a) in another deadlock once a writer of a comes between.
  Lock a, b;
  Task t1(1), t2(2);
  t1.lock(a, LockKind::kRWMutexRead);
  t1.lock(b);
  t1.unlock(b);
  t1.unlock(a, LockKind::kRWMutexRead);
  t2.lock(b);
  t2.lock(a, LockKind::kRWMutexRead);
  ASSERT_THAT(kinds(), ElementsAre("lock-order-inversion"));
  EXPECT_EQ(warnings()[0].sites[0].kind, "RWMutex (read)");
}

TEST_F(LockCheckTest, TryLockAddsNoEdgeIntoTheLockItTakes) {
  Lock a, b;
  Task t1(1), t2(2);
  t1.lock(a);
  t1.try_lock(b);  // cannot wait, so cannot deadlock
  t1.unlock(b);
  t1.unlock(a);
  t2.lock(b);
  t2.lock(a);
  EXPECT_THAT(warnings(), IsEmpty());
}

TEST_F(LockCheckTest, ALockTakenWithTryLockIsTheSourceOfLaterEdges) {
  Lock a, b;
  Task t1(1), t2(2);
  t1.try_lock(a);
  t1.lock(b);
  t1.unlock(b);
  t1.unlock(a);
  t2.lock(b);
  t2.lock(a);
  EXPECT_THAT(kinds(), ElementsAre("lock-order-inversion"));
}

TEST_F(LockCheckTest, ADestroyedLocksEdgesGoAndItsAddressStartsFresh) {
  auto a = std::make_unique<Lock>();
  Lock b;
  Task t1(1), t2(2);
  t1.lock(*a);
  t1.lock(b);
  t1.unlock(b);
  t1.unlock(*a);
  EXPECT_EQ(edge_count_for_testing(), 1u);
  const Lock* old = a.get();
  destroyed(old);
  EXPECT_EQ(edge_count_for_testing(), 0u);
  EXPECT_EQ(node_count_for_testing(), 1u);
  // A new lock at the same address, taken in the other order: no cycle with the old one's edge.
  Lock* reused = new (a.get()) Lock();
  t2.lock(b);
  t2.lock(*reused);
  t2.unlock(*reused);
  t2.unlock(b);
  EXPECT_THAT(warnings(), IsEmpty());
  // t1's cache still remembers a -> b at this address; it must not keep the new edge out.
  t1.lock(*reused);
  t1.lock(b);
  EXPECT_THAT(kinds(), ElementsAre("lock-order-inversion"));
}

TEST_F(LockCheckTest, DestroyingALockThatWasNeverInTheGraphChangesNothing) {
  Lock a, b, c;
  Task t(1);
  t.lock(a);
  t.lock(b);
  destroyed(&c);
  EXPECT_EQ(edge_count_for_testing(), 1u);
  EXPECT_EQ(node_count_for_testing(), 2u);
}

TEST_F(LockCheckTest, EachInversionIsReportedOncePerPairOfSites) {
  Task t1(1), t2(2);
  auto ab = [&](const Lock& x, const Lock& y) {
    t1.lock(x);
    t1.lock(y);
    t1.unlock(y);
    t1.unlock(x);
  };
  auto ba = [&](const Lock& x, const Lock& y) {
    t2.lock(y);
    t2.lock(x);
    t2.unlock(x);
    t2.unlock(y);
  };
  // Many instances, the same code: one warning.
  std::vector<std::unique_ptr<Lock>> locks;
  for (int i = 0; i < 10; ++i) {
    locks.push_back(std::make_unique<Lock>());
    locks.push_back(std::make_unique<Lock>());
    ab(*locks[2 * i], *locks[2 * i + 1]);
    ba(*locks[2 * i], *locks[2 * i + 1]);
    ba(*locks[2 * i], *locks[2 * i + 1]);
  }
  EXPECT_THAT(warnings(), SizeIs(1));
  // Other code (another site): another warning.
  Lock c, d;
  t1.lock(c);
  t1.lock(d);
  t1.unlock(d);
  t1.unlock(c);
  t2.lock(d);
  t2.lock(c);
  EXPECT_THAT(warnings(), SizeIs(2));
}

TEST_F(LockCheckTest, DoubleLockIsReportedAtTheAttemptOnceWithBothSites) {
  Lock a;
  Task t(7);
  const int line = __LINE__;
  t.lock(a);
  for (int i = 0; i < 3; ++i) t.block_on(a);
  ASSERT_THAT(warnings(), SizeIs(1));
  const Warning w = warnings()[0];
  EXPECT_EQ(w.kind, "double-lock");
  EXPECT_EQ(w.summary, "double-lock: fiber 7 locks a Mutex it already holds; it can never proceed");
  ASSERT_THAT(w.sites, SizeIs(2));
  EXPECT_THAT(w.sites[0], AllOf(Field(&Site::role, "acquiring"), Field(&Site::line, line + 2)));
  EXPECT_THAT(w.sites[1], AllOf(Field(&Site::role, "holding"), Field(&Site::line, line + 1)));
  EXPECT_EQ(edge_count_for_testing(), 0u);  // no edge from a lock to itself
}

// Locks m twice with one Location for both calls, as every std::lock_guard has (its lock call is
// in the standard header): only the callers tell the calls apart.
[[gnu::noinline]] void double_lock_through_a_guard(Task& t, const Lock& m) {
  static const Location guard_line = Location::current();
  t.lock(m, LockKind::kMutex, guard_line);
  t.block_on(m, LockKind::kMutex, guard_line);
  asm volatile("");  // keeps the calls above from being a tail call
}

TEST_F(LockCheckTest, DoubleLocksWithTheSameLocationFromDifferentCallersAreReportedApart) {
  Lock a, b;
  Task t1(1), t2(2);
  volatile int twice = 2;  // a loop the compiler keeps: one call path, taken twice
  for (int i = 0; i < twice; ++i) double_lock_through_a_guard(t1, a);
  ASSERT_THAT(kinds(), ElementsAre("double-lock"));
  double_lock_through_a_guard(t2, b);  // another call path
  EXPECT_THAT(kinds(), ElementsAre("double-lock", "double-lock"));
}

TEST_F(LockCheckTest, RWMutexSelfDeadlocksAreDoubleLocks) {
  Lock r1, r2, r3;
  Task t(1);
  t.lock(r1, LockKind::kRWMutex);
  t.block_on(r1, LockKind::kRWMutex);
  t.lock(r2, LockKind::kRWMutexRead);
  t.block_on(r2, LockKind::kRWMutex);  // waits for its own read lock to go
  t.lock(r3, LockKind::kRWMutex);
  t.block_on(r3, LockKind::kRWMutexRead);
  ASSERT_THAT(kinds(), ElementsAre("double-lock", "double-lock", "double-lock"));
  EXPECT_THAT(warnings()[0].summary, HasSubstr("write-locks an RWMutex it already holds"));
  EXPECT_THAT(warnings()[1].summary, HasSubstr("holds for reading"));
  EXPECT_THAT(warnings()[2].summary, HasSubstr("holds for writing"));
}

TEST_F(LockCheckTest, RecursiveReadLockWhileAWriterWaits) {
  Lock r;
  Task t(1);
  t.lock(r, LockKind::kRWMutexRead);
  // A writer waits: the read lock queues behind it (in a real run forever; were the writer to
  // give up, the read lock would be taken, and that is the same warning).
  t.lock_after_wait(r, LockKind::kRWMutexRead);
  ASSERT_THAT(kinds(), ElementsAre("recursive-rlock"));
  EXPECT_THAT(warnings()[0].summary, HasSubstr("while a writer waits"));
}

TEST_F(LockCheckTest, RecursiveReadLockWithNoWriterIsReportedToo) {
  Lock r;
  Task t(1);
  t.lock(r, LockKind::kRWMutexRead);
  t.lock(r, LockKind::kRWMutexRead);  // no writer: it does not wait
  ASSERT_THAT(kinds(), ElementsAre("recursive-rlock"));
  EXPECT_THAT(warnings()[0].summary, HasSubstr("no writer waits now"));
}

TEST_F(LockCheckTest, ReadLocksByDifferentTasksAreNoWarning) {
  Lock r;
  Task t1(1), t2(2);
  t1.lock(r, LockKind::kRWMutexRead);
  t2.lock(r, LockKind::kRWMutexRead);
  EXPECT_THAT(warnings(), IsEmpty());
}

TEST_F(LockCheckTest, ThreadsTakingLocksInOneOrderConcurrentlyAreClean) {
  // Four threads at once, each nesting two or three of eight locks, always in index order: many
  // new edges race into the graph and through each thread's cache, and none closes a cycle.
  constexpr int kThreads = 4;
  std::vector<Lock> locks(8);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Task t(static_cast<std::uint64_t>(i + 1));
      start.arrive_and_wait();
      for (int n = 0; n < 2000; ++n) {
        const std::size_t a = (n + i) % 5, b = a + 1 + n % 2;
        t.nest({&locks[a], &locks[b], &locks[7]});
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_THAT(warnings(), IsEmpty());
  // One pair in the other order closes a cycle.
  Task t(9);
  t.nest({&locks[7], &locks[0]});
  EXPECT_THAT(kinds(), ElementsAre("lock-order-inversion"));
}

TEST_F(LockCheckTest, TheTextNamesEverySiteAndStack) {
  reset_for_testing(/*quiet=*/true);
  Lock a, b;
  Task t1(1), t2(2);
  t1.lock(a);
  t1.lock(b);
  t2.lock(b);
  t2.lock(a);
  ASSERT_THAT(warnings(), SizeIs(1));
  const std::string text = format(warnings()[0]);
  EXPECT_THAT(text,
              HasSubstr("WARNING: lock-order-inversion (potential deadlock): M1 => M2 => M1\n"));
  EXPECT_THAT(text, HasSubstr("M2 (Mutex 0x"));
  EXPECT_THAT(text, HasSubstr(") locked by fiber 2 while it held M1, at "));
  EXPECT_THAT(text, HasSubstr("TestBody()):\n    (anonymous namespace)::"));
  EXPECT_THAT(text, HasSubstr("\n        "));  // each frame's object file and offset
  EXPECT_THAT(text, HasSubstr("held since the same fiber took it at "));
  EXPECT_THAT(text, HasSubstr("lockcheck_test.cc:"));
}

}  // namespace
