// The race engine driven directly, as instrumented code and the runtime's hooks drive it: tasks
// are made and switched by hand on one thread, so every interleaving is the test's choice and
// every outcome is exact.
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "abi.h"
#include "engine.h"
#include "gtest/gtest.h"
#include "race_task.h"
#include "report.h"
#include "slots.h"

namespace race = weave::detail::race;
using race::Loc;
using race::RaceTask;

extern "C" {
void __weave_read1(const void*, const Loc*);
void __weave_read4(const void*, const Loc*);
void __weave_read8(const void*, const Loc*);
void __weave_write1(const void*, const Loc*);
void __weave_write4(const void*, const Loc*);
void __weave_write8(const void*, const Loc*);
void __weave_read_range(const void*, std::uint64_t, const Loc*);
void __weave_write_range(const void*, std::uint64_t, const Loc*);
void __weave_atomic(const void*, std::uint32_t, std::uint32_t, const Loc*);
void __weave_atomic_after(const void*, std::uint32_t, bool);
void __weave_fence(std::uint32_t);
void __weave_func_entry(const Loc*);
void __weave_func_exit();
int __weave_pthread_mutex_lock(pthread_mutex_t*);
int __weave_pthread_mutex_unlock(pthread_mutex_t*);
extern thread_local const Loc* __weave_callsite;
}

namespace {

namespace abi = weave::race_abi;

// Location records as the plugin would emit them: a user file, and a header inlined into it.
Loc kUserA{"/src/app/main.cc", "worker", 10, 3, nullptr, 0, 0};
Loc kUserB{"/src/app/main.cc", "main", 20, 5, nullptr, 0, 0};
Loc kUserCall{"/src/app/main.cc", "main", 30, 7, nullptr, 0, 0};
Loc kHeader{
    "/usr/include/c++/12/bits/stl_tree.h", "std::_Rb_tree::_M_insert", 700, 9, &kUserCall, 0, 0};
Loc kFn{"/src/app/main.cc", "main", 25, 0, nullptr, 0, 0};

race::Identity fiber(std::uint64_t id) {
  race::Identity who;
  who.id = id;
  who.fiber = true;
  who.file = "/src/app/main.cc";
  who.line = 99;
  who.function = "main";
  return who;
}

// The "Previous write" part of a report printed on stderr (empty if there is none).
std::string PreviousAccess(const std::string& err) {
  const std::size_t at = err.find("Previous write");
  return at == std::string::npos ? std::string() : err.substr(at, err.find("Fiber", at) - at);
}

class RaceEngine : public testing::Test {
 protected:
  void SetUp() override {
    race::enable(0);
    race::reset_reports_for_testing();
    main_ = race::running_task();
    ASSERT_NE(main_, nullptr);
  }
  void TearDown() override {
    race::task_switch_to_thread();
    for (RaceTask* t : tasks_) {
      race::task_end(t);
      race::task_free(t);
    }
    race::reset_reports_for_testing();
  }

  // A fiber started by `parent` (by the test's thread if null).
  RaceTask* Start(RaceTask* parent = nullptr) {
    RaceTask* t = race::task_start(parent ? parent : main_, fiber(next_id_++), 0, 0);
    tasks_.push_back(t);
    return t;
  }
  void Run(RaceTask* t) { race::task_switch(t); }
  // A new fiber that has written x (4 bytes) at kUserA.
  RaceTask* WroteIt(const void* x) {
    RaceTask* a = Start();
    Run(a);
    __weave_write4(x, &kUserA);
    return a;
  }
  std::size_t Races() const { return race::races_reported(); }

  RaceTask* main_ = nullptr;
  std::vector<RaceTask*> tasks_;
  std::uint64_t next_id_ = 100;
};

TEST_F(RaceEngine, UnorderedWritesRace) {
  alignas(8) static int x;
  WroteIt(&x);
  RaceTask* b = Start();
  Run(b);
  __weave_write4(&x, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, ReleaseAcquireOrders) {
  alignas(8) static int x;
  static int m;
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_write4(&x, &kUserA);
  race::release(a, &m);
  Run(b);
  race::acquire(b, &m);
  __weave_write4(&x, &kUserB);
  __weave_read4(&x, &kUserB);
  EXPECT_EQ(Races(), 0u);
}

// A lock taken again by the task that released it last walks no vector clock (sync.cc); the
// three tests below are where it must. t releases m, takes it again and releases it: m's clock is
// then what t knew at that release, and known to be.
void ReleaseTwice(RaceTask* t, const void* m) {
  race::release(t, m);
  race::acquire(t, m);
  race::release(t, m);
}

// The releaser learnt something since its last release: the next one publishes it.
TEST_F(RaceEngine, ASecondReleasePublishesWhatTheReleaserLearntSince) {
  alignas(8) static int x;
  static int m, n;
  RaceTask* a = Start();
  RaceTask* b = Start();
  RaceTask* c = Start();
  Run(a);
  ReleaseTwice(a, &m);
  race::acquire(a, &m);
  Run(b);
  __weave_write4(&x, &kUserB);
  race::release(b, &n);
  Run(a);
  race::acquire(a, &n);  // a learns b's write
  race::release(a, &m);
  Run(c);
  race::acquire(c, &m);
  __weave_read4(&x, &kUserA);
  EXPECT_EQ(Races(), 0u);
}

// Another task released at the address after the releaser's acquire there (an atomic's, a
// channel slot's): the releaser's release keeps what that one published.
TEST_F(RaceEngine, AReleaseKeepsWhatAnotherPublishedSinceItsAcquire) {
  alignas(8) static int y;
  static int m;
  RaceTask* a = Start();
  RaceTask* v = Start();
  RaceTask* u = Start();
  Run(a);
  ReleaseTwice(a, &m);
  race::acquire(a, &m);
  Run(v);
  __weave_write4(&y, &kUserB);
  race::release(v, &m);
  Run(a);
  race::release(a, &m);
  Run(u);
  race::acquire(u, &m);
  __weave_read4(&y, &kUserA);
  EXPECT_EQ(Races(), 0u);
}

// The timer thread forgets at a fire's end what it learnt for the fire: a clock it released
// during the fire is no longer one it knows.
TEST_F(RaceEngine, AClockReleasedDuringAFireIsLearntAgainAfterIt) {
  alignas(8) static int x;
  static int timer, m;
  RaceTask* u = Start();
  Run(u);
  __weave_write4(&x, &kUserB);
  race::release(u, &timer);
  // A thread of its own fires the timer, started by a fiber that knows nothing of u (a thread
  // starts knowing what its creator knew), so that what it learns stays with it.
  Run(Start());
  std::thread timer_thread([] {
    RaceTask* t = race::running_task();
    race::fire_begins(&timer);
    ReleaseTwice(t, &m);
    race::fire_ends();
    race::acquire(t, &m);
    __weave_read4(&x, &kUserA);
  });
  timer_thread.join();
  EXPECT_EQ(Races(), 0u);
}

TEST_F(RaceEngine, AWriteAfterTheReleaseIsNotOrdered) {
  alignas(8) static int x;
  static int m;
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  race::release(a, &m);
  __weave_write4(&x, &kUserA);
  Run(b);
  race::acquire(b, &m);
  __weave_read4(&x, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, ReadsDoNotRaceButAnUnorderedWriteAfterThemDoes) {
  alignas(8) static int x;
  RaceTask* a = Start();
  RaceTask* b = Start();
  RaceTask* c = Start();
  Run(a);
  __weave_read4(&x, &kUserA);
  Run(b);
  __weave_read4(&x, &kUserA);
  EXPECT_EQ(Races(), 0u);
  Run(c);
  __weave_write4(&x, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, DisjointBytesOfAGranuleDoNotRace) {
  alignas(8) static int pair[2];
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_write4(&pair[0], &kUserA);
  Run(b);
  __weave_write4(&pair[1], &kUserB);
  Run(a);
  __weave_write4(&pair[0], &kUserA);
  EXPECT_EQ(Races(), 0u);
  Run(b);
  __weave_write1(reinterpret_cast<char*>(&pair[0]) + 3, &kUserB);  // overlaps a's int
  EXPECT_EQ(Races(), 1u);
}

// Two tasks write the two halves of one granule; a third that is ordered after neither races with
// both, the first writer included.
TEST_F(RaceEngine, TwoWritersOfOneGranuleAreBothRemembered) {
  alignas(8) static int pair[2];
  RaceTask* a = Start();
  RaceTask* b = Start();
  RaceTask* c = Start();
  Run(a);
  __weave_write4(&pair[0], &kUserA);
  Run(b);
  __weave_write4(&pair[1], &kUserB);
  Run(c);
  __weave_read4(&pair[0], &kUserCall);
  EXPECT_EQ(Races(), 1u);
  EXPECT_NE(race::races_json().find("\"line\": 10"), std::string::npos) << race::races_json();
}

// Two concurrent reads are both kept: a writer ordered after one of them races with the other.
TEST_F(RaceEngine, AWriterOrderedAfterOneReaderRacesWithTheOther) {
  alignas(8) static int x;
  static int m;
  RaceTask* a = Start();
  RaceTask* b = Start();
  RaceTask* w = Start();
  Run(a);
  __weave_read4(&x, &kUserA);
  Run(b);
  __weave_read4(&x, &kUserB);
  race::release(b, &m);
  Run(w);
  race::acquire(w, &m);
  __weave_write4(&x, &kUserCall);
  EXPECT_EQ(Races(), 1u);
  EXPECT_NE(race::races_json().find("\"line\": 10"), std::string::npos) << race::races_json();
}

// A task that wrote x, then started a reader, then reads x itself: the reader's read is kept over
// the task's own (both cells are taken), so the task's next write races with it.
TEST_F(RaceEngine, AConcurrentReadIsKeptOverTheTasksOwnRead) {
  alignas(8) static int x;
  RaceTask* a = Start();
  Run(a);
  __weave_write4(&x, &kUserA);
  RaceTask* b = Start(a);
  Run(b);
  __weave_read4(&x, &kUserB);
  Run(a);
  __weave_read4(&x, &kUserA);
  EXPECT_EQ(Races(), 0u);
  __weave_write4(&x, &kUserA);
  EXPECT_EQ(Races(), 1u);
}

// A read of one half of a granule by a task the writer of the other half cannot see is kept over
// the older, ordered write of both halves: a later write of the first half races with it.
TEST_F(RaceEngine, AConcurrentReadOfOneHalfOutlivesAnOrderedWrite) {
  alignas(8) static int pair[2];
  RaceTask* a = Start();
  Run(a);
  __weave_write8(&pair[0], &kUserA);
  RaceTask* b = Start(a);
  RaceTask* c = Start(a);
  Run(a);
  __weave_read4(&pair[0], &kUserA);
  Run(b);
  __weave_write4(&pair[1], &kUserB);
  EXPECT_EQ(Races(), 0u);
  Run(c);
  __weave_write4(&pair[0], &kUserCall);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, RangesCoverEveryGranuleTheyTouch) {
  alignas(8) static char buf[64];
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_write_range(buf + 3, 40, &kUserA);  // granules 0..5
  Run(b);
  __weave_read_range(buf + 48, 16, &kUserB);  // granules 6..7: untouched by a
  EXPECT_EQ(Races(), 0u);
  __weave_read1(buf + 42, &kUserB);  // the last byte a wrote
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, AtomicsDoNotRaceWithEachOtherButDoWithPlainAccesses) {
  alignas(8) static std::uint64_t x;
  RaceTask* a = Start();
  RaceTask* b = Start();
  const std::uint32_t relaxed_store = abi::atomic_flags(abi::kStore, abi::kRelaxed);
  const std::uint32_t relaxed_load = abi::atomic_flags(abi::kLoad, abi::kRelaxed);
  Run(a);
  __weave_atomic(&x, 8, relaxed_store, &kUserA);
  Run(b);
  __weave_atomic(&x, 8, relaxed_load, &kUserB);
  __weave_atomic(&x, 8, relaxed_store, &kUserB);
  EXPECT_EQ(Races(), 0u);
  Run(a);
  __weave_read8(&x, &kUserA);  // plain, unordered with b's atomic store
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, ReleaseAcquireAtomicsOrderButRelaxedOnesDoNot) {
  alignas(8) static int data;
  alignas(8) static int data2;
  alignas(8) static std::uint32_t flag;
  alignas(8) static std::uint32_t flag2;
  RaceTask* a = Start();
  RaceTask* b = Start();
  const std::uint32_t release = abi::atomic_flags(abi::kStore, abi::kRelease);
  const std::uint32_t acquire = abi::atomic_flags(abi::kLoad, abi::kAcquire);
  const std::uint32_t relaxed_store = abi::atomic_flags(abi::kStore, abi::kRelaxed);
  const std::uint32_t relaxed_load = abi::atomic_flags(abi::kLoad, abi::kRelaxed);
  Run(a);
  __weave_write4(&data, &kUserA);
  __weave_atomic(&flag, 4, release, &kUserA);
  __weave_write4(&data2, &kUserA);
  __weave_atomic(&flag2, 4, relaxed_store, &kUserA);
  Run(b);
  __weave_atomic(&flag, 4, acquire, &kUserB);
  __weave_atomic_after(&flag, acquire, true);
  __weave_read4(&data, &kUserB);
  EXPECT_EQ(Races(), 0u);
  __weave_atomic(&flag2, 4, relaxed_load, &kUserB);
  __weave_atomic_after(&flag2, relaxed_load, true);
  __weave_read4(&data2, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

// An atomic load reads what every atomic write to its bytes published, whatever their sizes:
// libstdc++'s shared_ptr reads its two 4-byte counts, each decremented by an acq_rel RMW, with one
// 8-byte acquire load, and then frees the block with plain stores. Atomics of other bytes, even
// in the same 8-byte word, order nothing.
TEST_F(RaceEngine, AtomicsOfDifferentSizesOrderWhereTheirBytesOverlap) {
  alignas(8) static int data[3];
  alignas(8) static std::uint32_t counts[2];
  alignas(8) static std::uint64_t word;
  RaceTask* a = Start();
  RaceTask* b = Start();
  const std::uint32_t rmw = abi::atomic_flags(abi::kRmw, abi::kAcqRel);
  const std::uint32_t release = abi::atomic_flags(abi::kStore, abi::kRelease);
  const std::uint32_t acquire = abi::atomic_flags(abi::kLoad, abi::kAcquire);
  Run(a);
  __weave_write4(&data[0], &kUserA);
  __weave_atomic(&counts[1], 4, rmw, &kUserA);  // the high count
  __weave_write4(&data[1], &kUserA);
  __weave_atomic(&word, 8, release, &kUserA);
  __weave_write4(&data[2], &kUserA);
  __weave_atomic(&counts[0], 4, abi::atomic_flags(abi::kStore, abi::kRelaxed), &kUserA);
  Run(b);
  __weave_atomic(&counts[0], 8, acquire, &kUserB);  // both counts at once
  __weave_atomic_after(&counts[0], abi::with_size(acquire, 8), true);
  __weave_read4(&data[0], &kUserB);
  EXPECT_EQ(Races(), 0u);
  const auto high = reinterpret_cast<const char*>(&word) + 4;
  __weave_atomic(high, 4, acquire, &kUserB);  // half of what an 8-byte store wrote
  __weave_atomic_after(high, abi::with_size(acquire, 4), true);
  __weave_read4(&data[1], &kUserB);
  EXPECT_EQ(Races(), 0u);
  __weave_atomic(&counts[1], 4, acquire, &kUserB);  // the other count, written relaxed after
  __weave_atomic_after(&counts[1], abi::with_size(acquire, 4), true);
  __weave_read4(&data[2], &kUserB);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, AFailedCompareExchangeAcquiresByItsFailureOrder) {
  alignas(8) static int data;
  alignas(8) static std::uint32_t flag;
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_write4(&data, &kUserA);
  __weave_atomic(&flag, 4, abi::atomic_flags(abi::kStore, abi::kRelease), &kUserA);
  Run(b);
  const std::uint32_t cas = abi::atomic_flags(abi::kCas, abi::kAcqRel, abi::kRelaxed);
  __weave_atomic(&flag, 4, cas, &kUserB);
  __weave_atomic_after(&flag, cas, false);  // failed: relaxed, nothing acquired
  __weave_read4(&data, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, FencesOrderRelaxedAtomics) {
  alignas(8) static int data;
  alignas(8) static std::uint32_t flag;
  race::enable(abi::kFeatureAcquireFence);
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_write4(&data, &kUserA);
  __weave_fence(abi::kRelease);
  __weave_atomic(&flag, 4, abi::atomic_flags(abi::kStore, abi::kRelaxed), &kUserA);
  Run(b);
  const std::uint32_t relaxed_load = abi::atomic_flags(abi::kLoad, abi::kRelaxed);
  __weave_atomic(&flag, 4, relaxed_load, &kUserB);
  __weave_atomic_after(&flag, relaxed_load, true);
  __weave_fence(abi::kAcquire);
  __weave_read4(&data, &kUserB);
  EXPECT_EQ(Races(), 0u);
}

// What a relaxed load read is what a later acquire fence takes, whatever was published when the
// load was checked: here the store it reads lands between its check and the read.
TEST_F(RaceEngine, AnAcquireFenceTakesWhatARelaxedLoadReadAfterItsCheck) {
  alignas(8) static int data;
  alignas(8) static std::uint32_t flag;
  race::enable(abi::kFeatureAcquireFence);
  RaceTask* a = Start();
  RaceTask* b = Start();
  const std::uint32_t relaxed_load = abi::atomic_flags(abi::kLoad, abi::kRelaxed);
  Run(b);
  __weave_atomic(&flag, 4, relaxed_load, &kUserB);
  Run(a);
  __weave_write4(&data, &kUserA);
  __weave_fence(abi::kRelease);
  __weave_atomic(&flag, 4, abi::atomic_flags(abi::kStore, abi::kRelaxed), &kUserA);
  Run(b);
  __weave_atomic_after(&flag, abi::with_size(relaxed_load, 4), true);
  __weave_fence(abi::kAcquire);
  __weave_read4(&data, &kUserB);
  EXPECT_EQ(Races(), 0u);
}

// A relaxed read-modify-write reads too: an acquire fence after it takes what it read.
TEST_F(RaceEngine, AnAcquireFenceTakesWhatARelaxedReadModifyWriteRead) {
  alignas(8) static int before_fence;
  alignas(8) static int after_fence;
  alignas(8) static std::uint32_t count;
  race::enable(abi::kFeatureAcquireFence);
  RaceTask* a = Start();
  RaceTask* b = Start();
  const std::uint32_t relaxed_rmw = abi::atomic_flags(abi::kRmw, abi::kRelaxed);
  Run(a);
  __weave_write4(&before_fence, &kUserA);
  __weave_write4(&after_fence, &kUserA);
  __weave_fence(abi::kRelease);
  __weave_atomic(&count, 4, abi::atomic_flags(abi::kStore, abi::kRelaxed), &kUserA);
  Run(b);
  __weave_atomic(&count, 4, relaxed_rmw, &kUserB);
  __weave_atomic_after(&count, abi::with_size(relaxed_rmw, 4), true);
  __weave_read4(&before_fence, &kUserB);  // the read alone orders nothing
  EXPECT_EQ(Races(), 1u);
  __weave_fence(abi::kAcquire);
  __weave_read4(&after_fence, &kUserCall);  // another pair of lines: it would be reported
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, TheParentsPastReachesTheChildButNotWhatItDoesAfterTheSpawn) {
  alignas(8) static int before;
  alignas(8) static int after;
  RaceTask* p = Start();
  Run(p);
  __weave_write4(&before, &kUserA);
  RaceTask* c = Start(p);
  __weave_write4(&after, &kUserA);
  Run(c);
  __weave_read4(&before, &kUserB);
  EXPECT_EQ(Races(), 0u);
  __weave_read4(&after, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, EachPairOfLinesIsReportedOnce) {
  alignas(8) static int x;
  auto race_again = [&] {
    WroteIt(&x);
    RaceTask* b = Start();
    Run(b);
    __weave_write4(&x, &kUserB);
  };
  race_again();
  race_again();
  // Lines 10 and 20 race with each other and each with itself (fibers of one line): three pairs.
  const std::size_t pairs = Races();
  EXPECT_EQ(pairs, 3u);
  for (int i = 0; i < 5; ++i) race_again();
  EXPECT_EQ(Races(), pairs);
}

TEST_F(RaceEngine, FreedMemoryIsForgotten) {
  alignas(8) static int x;
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_write4(&x, &kUserA);
  race::forget_range(reinterpret_cast<std::uintptr_t>(&x),
                     reinterpret_cast<std::uintptr_t>(&x) + 4);
  Run(b);
  __weave_write4(&x, &kUserB);
  EXPECT_EQ(Races(), 0u);
}

// A large freed range gives its shadow pages back to the kernel, and its chunk leaves the first
// level until next used: what was recorded around the range stays, what was in it is gone, and a
// range forgotten while the chunk is out is forgotten too.
TEST_F(RaceEngine, ALargeFreedRangeIsForgottenAndItsNeighboursAreNot) {
  constexpr std::size_t kChunk = std::size_t{1} << 16;  // the application bytes of one chunk
  alignas(kChunk) static std::int64_t block[kChunk / 8];
  std::int64_t* before = &block[0];
  std::int64_t* freed = &block[1024];               // 48 KiB from 8 KiB in
  std::int64_t* after = &block[kChunk / 8 - 1024];  // in the last 8 KiB
  std::int64_t* later = &block[kChunk / 8 - 1];     // forgotten while the chunk is out
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  for (std::int64_t* p : {before, freed, freed + 4000, after, later}) __weave_write8(p, &kUserA);
  const auto at = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p); };
  race::forget_range(at(freed), at(freed + 6144));
  race::forget_range(at(later), at(later + 1));
  Run(b);
  __weave_write8(freed, &kUserB);
  __weave_write8(freed + 4000, &kUserB);
  __weave_write8(later, &kUserB);
  EXPECT_EQ(Races(), 0u);
  __weave_write8(before, &kUserB);
  __weave_write8(after, &kUserCall);  // another line: each pair of lines is reported once
  EXPECT_EQ(Races(), 2u);
}

// Resident memory of the process, in bytes.
std::size_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  EXPECT_EQ(std::fscanf(f, "%lu %lu", &size, &resident), 2);
  std::fclose(f);
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Memory one task writes, epoch after epoch, costs one cell per granule; a granule that needs two
// (a write and a later read ordered after it) backs its chunk's second cells; and memory freed
// whole costs one cell again when it is used anew.
TEST_F(RaceEngine, ShadowTakesSecondCellsOnlyWhereTheyAreNeeded) {
  constexpr std::size_t kBytes = std::size_t{16} << 20;
  constexpr std::size_t kWords = kBytes / 8;
  // Never touched itself: the engine only ever reads the shadow of it.
  void* mem = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* words = static_cast<std::uint64_t*>(mem);
  static int m;
  RaceTask* a = Start();
  RaceTask* b = Start();
  RaceTask* c = Start();
  std::size_t before = ResidentBytes();
  Run(a);
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < kWords; ++i) __weave_write8(&words[i], &kUserA);
    race::release(a, &m);  // the next pass is a new epoch
  }
  const std::size_t one_cell = ResidentBytes() - before;
  EXPECT_GT(one_cell, kBytes * 9 / 10);
  EXPECT_LT(one_cell, kBytes * 3 / 2);
  before = ResidentBytes();
  Run(b);
  race::acquire(b, &m);
  for (std::size_t i = 0; i < kWords; ++i) __weave_read8(&words[i], &kUserB);
  EXPECT_GT(ResidentBytes() - before, kBytes * 9 / 10);
  EXPECT_EQ(Races(), 0u);
  const auto at = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p); };
  race::forget_range(at(words), at(words + kWords));
  before = ResidentBytes();
  Run(c);
  for (std::size_t i = 0; i < kWords; ++i) __weave_write8(&words[i], &kUserCall);
  EXPECT_LT(ResidentBytes() - before, kBytes * 3 / 2);
  EXPECT_EQ(Races(), 0u);
  race::forget_range(at(words), at(words + kWords));
  munmap(mem, kBytes);
}

TEST_F(RaceEngine, FreeForgetsTheBlock) {
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  auto* p = static_cast<int*>(std::malloc(64));
  volatile std::uintptr_t old =
      reinterpret_cast<std::uintptr_t>(p);  // only its value is used later
  __weave_write4(p, &kUserA);
  std::free(reinterpret_cast<void*>(old));
  Run(b);
  // Whatever malloc gives b, nothing of a's past remains in it.
  auto* q = static_cast<int*>(std::malloc(64));
  __weave_write4(q, &kUserB);
  __weave_write4(reinterpret_cast<int*>(old), &kUserB);
  std::free(q);
  EXPECT_EQ(Races(), 0u);
}

TEST_F(RaceEngine, AFiberStackIsResetWhenItsFiberEnds) {
  alignas(16) static char stack[4096];
  const auto lo = reinterpret_cast<std::uintptr_t>(stack);
  RaceTask* a = race::task_start(main_, fiber(1), lo, lo + sizeof(stack));
  RaceTask* b = Start();
  Run(a);
  a->low_water = lo + 1024;  // as if its deepest frame had been there
  __weave_write4(stack + 2048, &kUserA);
  race::task_end(a);
  race::task_free(a);
  Run(b);
  __weave_write4(stack + 2048, &kUserB);
  EXPECT_EQ(Races(), 0u);
}

// Fresh memory with its shadow made as the runtime makes a fiber stack's; unmapped at the end.
class FiberStack {
 public:
  static constexpr std::size_t kSize = std::size_t{64} << 10;
  FiberStack() {
    region_ = mmap(nullptr, 2 * kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    lo = (reinterpret_cast<std::uintptr_t>(region_) + kSize - 1) & ~(kSize - 1);
    hi = lo + kSize;
    race::stack_in_use(lo, hi);
  }
  ~FiberStack() { munmap(region_, 2 * kSize); }
  int* at(std::size_t below_top) const { return reinterpret_cast<int*>(hi - below_top); }

  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;

 private:
  void* region_;
};

// What other tasks recorded in a fiber's stack (a child writing a local the fiber lent it) is
// cleared at the fiber's end, below the fiber's own records.
TEST_F(RaceEngine, AFiberStackIsResetOfWhatOtherTasksRecordedInIt) {
  FiberStack stack;
  static int done;
  RaceTask* a = race::task_start(main_, fiber(1), stack.lo, stack.hi);
  Run(a);
  a->low_water = stack.hi - 4096;  // as if its deepest instrumented frame had been there
  __weave_write4(stack.at(64), &kUserA);
  RaceTask* child = Start(a);
  Run(child);
  __weave_write4(stack.at(2048), &kUserB);
  race::release(child, &done);
  Run(a);
  race::acquire(a, &done);
  race::task_end(a);
  race::task_free(a);
  RaceTask* b = Start();  // on the same stack, knowing neither a nor its child
  Run(b);
  __weave_write4(stack.at(2048), &kUserB);
  __weave_write4(stack.at(64), &kUserB);
  EXPECT_EQ(Races(), 0u);
}

// What a fiber recorded in its stack below its deepest instrumented frame (through a frame not
// instrumented) is cleared at its end.
TEST_F(RaceEngine, AFiberStackIsResetBelowItsDeepestInstrumentedFrame) {
  FiberStack stack;
  RaceTask* a = race::task_start(main_, fiber(1), stack.lo, stack.hi);
  Run(a);
  a->low_water = stack.hi - 4096;
  __weave_write4(stack.at(16384), &kUserA);
  race::task_end(a);
  race::task_free(a);
  RaceTask* b = Start();
  Run(b);
  __weave_write4(stack.at(16384), &kUserB);
  EXPECT_EQ(Races(), 0u);
}

TEST_F(RaceEngine, IgnoredAccessesAreNotChecked) {
  alignas(8) static int x;
  WroteIt(&x);
  RaceTask* b = Start();
  Run(b);
  race::ignore_begin();
  __weave_write4(&x, &kUserB);
  race::ignore_end();
  EXPECT_EQ(Races(), 0u);
  __weave_write4(&x, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

// A slot passes to a new task without losing a race: only to one that knows the old holder's
// whole past; a task that does not gets another slot and still sees the race.
TEST_F(RaceEngine, SlotsPassOnOnlyToTasksThatKnowTheirPast) {
  alignas(8) static int x;
  static int done;
  RaceTask* a = race::task_start(main_, fiber(1), 0, 0);
  Run(a);
  __weave_write4(&x, &kUserA);
  race::release(a, &done);
  const std::uint32_t a_slot = a->slot;
  race::task_end(a);
  race::task_free(a);

  // Does not know a's past: a fresh slot, and the race.
  RaceTask* stranger = Start();
  EXPECT_NE(stranger->slot, a_slot);
  Run(stranger);
  __weave_write4(&x, &kUserB);
  EXPECT_EQ(Races(), 1u);

  // Joins a, then starts a fiber: it takes a's slot, and a's write is ordered before it.
  race::reset_reports_for_testing();
  RaceTask* joiner = Start();
  Run(joiner);
  race::acquire(joiner, &done);
  RaceTask* heir = Start(joiner);
  EXPECT_EQ(heir->slot, a_slot);
  Run(heir);
  __weave_read4(&x, &kUserA);  // stranger's write is unordered with it: one race, with stranger
  EXPECT_EQ(Races(), 1u);
  std::string json = race::races_json();
  EXPECT_NE(json.find("\"line\": 20"), std::string::npos) << json;
}

// A slot's holder that records nothing still carries its predecessor's accesses: whoever takes
// the slot next must know those, or they would pass for the new holder's own.
TEST_F(RaceEngine, ASlotPassesOnOnlyWithWhatItsEarlierHoldersDid) {
  alignas(8) static int x;
  static int done;
  RaceTask* stranger = Start();  // never learns of a
  RaceTask* joiner = Start();
  RaceTask* a = Start();
  Run(a);
  __weave_write4(&x, &kUserA);
  race::release(a, &done);
  race::task_end(a);
  race::acquire(joiner, &done);
  RaceTask* quiet = Start(joiner);  // knows a: takes its slot, and records nothing
  ASSERT_EQ(quiet->slot, a->slot);
  race::task_end(quiet);
  Run(stranger);
  RaceTask* child = Start(stranger);
  EXPECT_NE(child->slot, a->slot);
  Run(child);
  __weave_read4(&x, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

// A spawner that joined a batch of fibers a while ago, while fibers it has not joined ended since
// (the next batch, already running), still passes the joined fibers' slots on: a program that
// spawns and joins in batches keeps using the same few slots, and clocks stay short.
TEST_F(RaceEngine, SlotsOfJoinedFibersPassOnWhileOthersEnd) {
  alignas(8) static int x[40];
  static int joined, other;
  RaceTask* spawner = Start();
  std::vector<std::uint32_t> batch;
  for (int i = 0; i < 20; ++i) {
    RaceTask* f = Start(spawner);
    Run(f);
    __weave_write4(&x[i], &kUserA);
    race::release(f, &joined);
    race::task_end(f);
    batch.push_back(f->slot);
  }
  race::acquire(spawner, &joined);
  // The next batch: each fiber ends, unjoined, before the next one starts, so that the slots
  // freed last are ones the spawner does not know.
  const std::uint32_t before = race::slots_used();
  for (int i = 0; i < 20; ++i) {
    RaceTask* f = Start(spawner);
    EXPECT_NE(std::find(batch.begin(), batch.end(), f->slot), batch.end()) << i;
    Run(f);
    __weave_write4(&x[20 + i], &kUserA);
    race::release(f, &other);
    race::task_end(f);
  }
  EXPECT_EQ(race::slots_used(), before);
  EXPECT_EQ(Races(), 0u);
}

// A fiber's own entry is kept apart from its vector clock: one that holds a high slot but knows
// only its parent copies a short clock into its children and the objects it releases, not one as
// long as its slot number.
TEST_F(RaceEngine, AFiberThatKnowsLittleHasAShortClockWhateverItsSlot) {
  alignas(8) static int x;
  static int done;
  std::vector<RaceTask*> running;  // never joined: each holds its slot, so slots climb
  for (int i = 0; i < 300; ++i) running.push_back(Start());
  RaceTask* late = running.back();
  ASSERT_GE(late->slot, 300u);
  // As long as what its parent knows (the test thread's task, which earlier tests may have taught
  // of a few other slots), not as its own slot number.
  EXPECT_LE(late->vc.size(), std::max(main_->vc.size(), main_->slot + 1));
  EXPECT_LT(std::max(main_->vc.size(), main_->slot + 1), 300u);
  Run(late);
  __weave_write4(&x, &kUserA);
  RaceTask* child = Start(late);
  EXPECT_LE(child->vc.size(), late->slot + 1);
  Run(child);
  __weave_read4(&x, &kUserB);  // its parent's write: ordered
  race::release(child, &done);
  RaceTask* reader = Start();
  Run(reader);
  race::acquire(reader, &done);
  __weave_read4(&x, &kUserB);  // ordered through child, which knew late's write
  EXPECT_EQ(Races(), 0u);
}

// A slot passes from holder to holder all through a program that spawns fibers all its life; the
// engine keeps only its latest holders, and a race with an access of an older one still is
// reported, its task no longer named.
TEST_F(RaceEngine, ASlotForgetsItsOldestHoldersButNotTheirRaces) {
  alignas(8) static int x;
  static int done;
  RaceTask* stranger = Start();  // knows nothing of what follows
  RaceTask* old = Start();
  Run(old);
  __weave_write4(&x, &kUserA);
  race::release(old, &done);
  race::task_end(old);
  const std::uint32_t slot = old->slot;
  RaceTask* spawner = Start();
  Run(spawner);
  race::acquire(spawner, &done);
  for (int i = 0; i < 40; ++i) {
    RaceTask* heir = Start(spawner);
    ASSERT_EQ(heir->slot, slot);
    Run(heir);
    race::release(heir, &done);
    race::task_end(heir);
    Run(spawner);
    race::acquire(spawner, &done);
  }
  Run(stranger);
  testing::internal::CaptureStderr();
  __weave_read4(&x, &kUserB);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Races(), 1u);
  EXPECT_NE(err.find("Previous write of size 4"), std::string::npos) << err;
  EXPECT_NE(err.find("by a task that ended long ago"), std::string::npos) << err;
  EXPECT_NE(err.find("main.cc:10"), std::string::npos) << err;
}

TEST_F(RaceEngine, AReportSaysWhetherTheEarlierTaskHasEnded) {
  alignas(8) static int x, y;
  alignas(8) static int done;
  RaceTask* stranger = Start();  // knows nothing of a's
  RaceTask* a = WroteIt(&x);     // fiber 101
  __weave_write4(&y, &kUserA);
  race::release(a, &done);
  race::task_end(a);
  const std::uint32_t slot = a->slot;

  Run(stranger);
  testing::internal::CaptureStderr();
  __weave_read4(&x, &kUserB);  // a ended; its slot is free
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Fiber 101 (finished) created at:"), std::string::npos) << err;
  EXPECT_NE(err.find("Fiber 100 (running) created at:"), std::string::npos) << err;

  // The slot passes on to a task started by one that knows a's past; a is still the one named.
  RaceTask* spawner = Start();
  Run(spawner);
  race::acquire(spawner, &done);
  RaceTask* heir = Start(spawner);
  ASSERT_EQ(heir->slot, slot);
  Run(heir);
  Run(stranger);
  testing::internal::CaptureStderr();
  __weave_read4(&y, &kUserCall);
  err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Races(), 2u);
  EXPECT_NE(err.find("Fiber 101 (finished) created at:"), std::string::npos) << err;
}

// A freed task's state is reused for the next task started on its thread, with its clock's
// room: the next task knows nothing of what the last one knew.
TEST_F(RaceEngine, AReusedTaskStateKnowsNothingOfItsLastTask) {
  alignas(8) static int x;
  static int done;
  RaceTask* writer = WroteIt(&x);
  race::release(writer, &done);
  for (int i = 0; i < 20; ++i) race::release(Start(), &done);
  RaceTask* knower = race::task_start(main_, fiber(next_id_++), 0, 0);
  Run(knower);
  race::acquire(knower, &done);
  ASSERT_GT(knower->vc.size(), 20u);  // past the clock's inline room
  race::task_switch_to_thread();
  race::task_end(knower);
  race::task_free(knower);
  RaceTask* next = race::task_start(nullptr, fiber(next_id_++), 0, 0);  // as a thread starts
  tasks_.push_back(next);
  ASSERT_EQ(next, knower);
  EXPECT_EQ(next->vc.size(), 0u);
  Run(next);
  __weave_read4(&x, &kUserB);  // nobody told it of the writer's write
  EXPECT_EQ(Races(), 1u);
}

// A spawner that knows many slots shares its clock with its children instead of copying it into
// each (race_task.h, SharedClock): they know all of it, and so does what they release.
class SharedClocks : public RaceEngine {
 protected:
  // A fiber that has learnt of `n` others (through `joined`) and of a write of `x` by one of them.
  RaceTask* Spawner(int n, const void* x) {
    static int joined;
    RaceTask* writer = WroteIt(x);
    race::release(writer, &joined);
    for (int i = 1; i < n; ++i) race::release(Start(), &joined);
    RaceTask* spawner = Start();
    Run(spawner);
    race::acquire(spawner, &joined);
    return spawner;
  }
};

TEST_F(SharedClocks, ChildrenShareTheSpawnersClockAndKnowAllOfIt) {
  alignas(8) static int x, y, z;
  WroteIt(&y);  // by a task the spawner knows nothing of
  RaceTask* spawner = Spawner(20, &x);
  __weave_write4(&z, &kUserA);  // its own, before the children start
  RaceTask* a = Start(spawner);
  RaceTask* b = Start(spawner);
  ASSERT_NE(a->inherited, nullptr);
  EXPECT_EQ(a->inherited, b->inherited);  // one clock for both
  EXPECT_EQ(a->vc.size(), 0u);            // nothing of their own yet
  Run(a);
  __weave_read4(&x, &kUserB);  // written by a task the spawner joined: ordered
  __weave_read4(&z, &kUserB);  // the spawner's own: ordered
  EXPECT_EQ(Races(), 0u);
  Run(b);
  __weave_read4(&y, &kUserB);  // the stranger's: a race
  EXPECT_EQ(Races(), 1u);
}

TEST_F(SharedClocks, WhatTheSpawnerLearnsLaterOnlyLaterChildrenKnow) {
  alignas(8) static int x, y;
  static int later;
  RaceTask* spawner = Spawner(20, &x);
  RaceTask* early = Start(spawner);
  RaceTask* writer = WroteIt(&y);
  race::release(writer, &later);
  Run(spawner);
  race::acquire(spawner, &later);
  RaceTask* late = Start(spawner);
  EXPECT_NE(early->inherited, late->inherited);
  Run(late);
  __weave_read4(&y, &kUserB);
  EXPECT_EQ(Races(), 0u);
  Run(early);
  __weave_read4(&y, &kUserCall);  // started before the spawner learnt of the write
  EXPECT_EQ(Races(), 1u);
}

TEST_F(SharedClocks, WhatChildrenReleaseOneAfterAnotherIncludesTheSharedClock) {
  alignas(8) static int x, z;
  static int done;
  RaceTask* spawner = Spawner(20, &x);
  __weave_write4(&z, &kUserA);
  std::vector<RaceTask*> children;
  for (int i = 0; i < 3; ++i) children.push_back(Start(spawner));
  for (RaceTask* c : children) {
    Run(c);
    race::release(c, &done);
  }
  RaceTask* waiter = Start();  // knows nothing of the spawner's past but through `done`
  Run(waiter);
  race::acquire(waiter, &done);
  __weave_write4(&x, &kUserB);  // after the spawner's joined write, through any child
  __weave_write4(&z, &kUserB);  // and after the spawner's own
  EXPECT_EQ(Races(), 0u);
}

TEST_F(SharedClocks, AChildThatAcquiresKeepsWhatItInherited) {
  alignas(8) static int x, z;
  static int other;
  RaceTask* spawner = Spawner(20, &x);
  __weave_write4(&z, &kUserA);
  RaceTask* child = Start(spawner);
  race::release(Start(), &other);
  Run(child);
  race::acquire(child, &other);
  EXPECT_EQ(child->inherited, nullptr);  // a clock of its own now
  __weave_read4(&x, &kUserB);            // still known: ordered
  __weave_read4(&z, &kUserB);
  EXPECT_EQ(Races(), 0u);
}

TEST_F(SharedClocks, AChildMakesAClockOfItsOwnBeforeItsChildrenShareIt) {
  alignas(8) static int x, y;
  RaceTask* spawner = Spawner(20, &x);
  RaceTask* child = Start(spawner);
  ASSERT_NE(child->inherited, nullptr);
  RaceTask* grandchild = Start(child);
  EXPECT_EQ(child->inherited, nullptr);
  ASSERT_NE(grandchild->inherited, nullptr);
  Run(child);
  __weave_write4(&y, &kUserA);  // after the grandchild's start
  Run(grandchild);
  __weave_read4(&x, &kUserB);  // what the spawner joined, through the child: ordered
  EXPECT_EQ(Races(), 0u);
  __weave_read4(&y, &kUserCall);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, AClockThatRunsOutMovesToAnotherSlot) {
  alignas(8) static int x;
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  const std::uint32_t first = a->slot;
  __weave_write4(&x, &kUserA);
  while (a->slot == first) race::tick(a);
  __weave_write4(&x, &kUserA);  // its own past, in the old slot: ordered
  EXPECT_EQ(Races(), 0u);
  Run(b);
  __weave_read4(&x, &kUserB);
  EXPECT_EQ(Races(), 1u);
}

TEST_F(RaceEngine, AReportNamesTheUsersLineAndTheFullStack) {
  alignas(8) static int x;
  WroteIt(&x);
  RaceTask* b = Start();
  Run(b);
  __weave_func_entry(&kFn);
  testing::internal::CaptureStderr();
  __weave_write4(&x, &kHeader);  // inside std::map, inlined at main.cc:30
  const std::string err = testing::internal::GetCapturedStderr();
  __weave_func_exit();
  EXPECT_NE(err.find("WARNING: DATA RACE"), std::string::npos) << err;
  EXPECT_NE(err.find("Write of size 4"), std::string::npos) << err;
  EXPECT_NE(err.find("#0 /usr/include/c++/12/bits/stl_tree.h:700"), std::string::npos) << err;
  EXPECT_NE(err.find("#1 /src/app/main.cc:30 main"), std::string::npos) << err;
  EXPECT_NE(err.find("Previous write of size 4"), std::string::npos) << err;
  EXPECT_NE(err.find("/src/app/main.cc:10 worker"), std::string::npos) << err;
  EXPECT_NE(err.find("Fiber 101 (running) created at:"), std::string::npos) << err;
  EXPECT_NE(err.find("Fiber 100 (running) created at:"), std::string::npos) << err;
  const std::string json = race::races_json();
  // The access is placed at the user's line, not the header's.
  EXPECT_NE(json.find("\"access\": {\"kind\": \"write\", \"size\": 4"), std::string::npos) << json;
  EXPECT_NE(json.find("\"file\": \"/src/app/main.cc\", \"line\": 30"), std::string::npos) << json;
  EXPECT_NE(json.find("\"previous\": {\"kind\": \"write\""), std::string::npos) << json;
}

// An access's site is its whole stack: the task's cache of sites must not hand out one made in
// another call of the same function, and must still hold after a call returns.
TEST_F(RaceEngine, APreviousAccessKeepsTheStackItWasMadeIn) {
  static Loc call_one{"/src/app/main.cc", "main", 40, 3, nullptr, 0, 0};
  static Loc call_two{"/src/app/main.cc", "main", 41, 3, nullptr, 0, 0};
  static Loc call_inner{"/src/app/main.cc", "worker", 12, 3, nullptr, 0, 0};
  alignas(8) static int x, y;
  RaceTask* a = Start();
  Run(a);
  __weave_callsite = &call_one;
  __weave_func_entry(&kFn);
  __weave_write4(&x, &kUserA);
  __weave_callsite = &call_inner;  // a call from this frame, which returns
  __weave_func_entry(&kFn);
  __weave_func_exit();
  race::tick(a);                // a new epoch: the next access is recorded again
  __weave_write4(&x, &kUserA);  // its site from the cache, as before the call
  __weave_func_exit();
  __weave_callsite = &call_two;  // the same function and line, called from elsewhere
  __weave_func_entry(&kFn);
  __weave_write4(&y, &kUserA);
  __weave_func_exit();

  RaceTask* b = Start();
  Run(b);
  testing::internal::CaptureStderr();
  __weave_write4(&x, &kUserB);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(PreviousAccess(err).find("main.cc:40"), std::string::npos) << err;
  EXPECT_EQ(PreviousAccess(err).find("main.cc:12"), std::string::npos) << err;
  testing::internal::CaptureStderr();
  __weave_write4(&y, &kUserCall);  // another pair of lines, so that it is reported too
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(PreviousAccess(err).find("main.cc:41"), std::string::npos) << err;
  EXPECT_EQ(PreviousAccess(err).find("main.cc:40"), std::string::npos) << err;
}

// Tasks that run on one thread share its cache of sites: one task's access in a frame must not
// take the site another made at the same line in a frame of its own.
TEST_F(RaceEngine, TasksOnOneThreadKeepTheirOwnStacks) {
  static Loc call_one{"/src/app/main.cc", "main", 40, 3, nullptr, 0, 0};
  static Loc call_two{"/src/app/main.cc", "main", 41, 3, nullptr, 0, 0};
  alignas(8) static int x, y;
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_callsite = &call_one;
  __weave_func_entry(&kFn);
  __weave_write4(&x, &kUserA);
  Run(b);  // a is still in its frame
  __weave_callsite = &call_two;
  __weave_func_entry(&kFn);
  __weave_write4(&y, &kUserA);
  __weave_func_exit();
  Run(a);
  __weave_func_exit();

  RaceTask* c = Start();
  Run(c);
  testing::internal::CaptureStderr();
  __weave_write4(&y, &kUserB);
  const std::string err = testing::internal::GetCapturedStderr();
  const std::string previous = PreviousAccess(err);
  ASSERT_FALSE(previous.empty()) << err;
  EXPECT_NE(previous.find("main.cc:41"), std::string::npos) << err;
  EXPECT_EQ(previous.find("main.cc:40"), std::string::npos) << err;
}

TEST_F(RaceEngine, LocksHeldAreReported) {
  alignas(8) static int x;
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  WroteIt(&x);
  RaceTask* b = Start();
  Run(b);
  __weave_callsite = &kUserCall;
  __weave_pthread_mutex_lock(&mu);
  testing::internal::CaptureStderr();
  __weave_write4(&x, &kUserB);
  const std::string err = testing::internal::GetCapturedStderr();
  __weave_pthread_mutex_unlock(&mu);
  EXPECT_NE(err.find("locked at /src/app/main.cc:30"), std::string::npos) << err;
}

// A lock taken inside a function of a standard header that was not inlined (std::lock_guard's
// constructor): the report names the line of the program's own code that called it.
TEST_F(RaceEngine, ALockTakenInAHeaderIsNamedByTheLineThatCalledIt) {
  static Loc guard_fn{
      "/usr/include/c++/12/bits/std_mutex.h", "std::lock_guard::lock_guard", 249, 0, nullptr, 0, 0};
  static Loc guard_lock{"/usr/include/c++/12/bits/std_mutex.h",
                        "std::lock_guard::lock_guard",
                        250,
                        19,
                        nullptr,
                        0,
                        0};
  alignas(8) static int x;
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  WroteIt(&x);
  RaceTask* b = Start();
  Run(b);
  __weave_callsite = nullptr;
  __weave_func_entry(&kFn);
  __weave_callsite = &kUserCall;
  __weave_func_entry(&guard_fn);
  __weave_callsite = &guard_lock;
  __weave_pthread_mutex_lock(&mu);
  __weave_func_exit();
  testing::internal::CaptureStderr();
  __weave_write4(&x, &kUserB);
  const std::string err = testing::internal::GetCapturedStderr();
  __weave_pthread_mutex_unlock(&mu);
  __weave_func_exit();
  EXPECT_NE(err.find("locked at /src/app/main.cc:30"), std::string::npos) << err;
}

TEST_F(RaceEngine, PthreadMutexesOrder) {
  alignas(8) static int x;
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  RaceTask* a = Start();
  RaceTask* b = Start();
  Run(a);
  __weave_pthread_mutex_lock(&mu);
  __weave_write4(&x, &kUserA);
  __weave_pthread_mutex_unlock(&mu);
  Run(b);
  __weave_pthread_mutex_lock(&mu);
  __weave_write4(&x, &kUserB);
  __weave_pthread_mutex_unlock(&mu);
  EXPECT_EQ(Races(), 0u);
}

// Real threads: pthread_create (interposed) orders the parent's past before the thread, and
// pthread_join the thread's whole life before what follows the join.
TEST_F(RaceEngine, ThreadStartAndJoinOrder) {
  alignas(8) static int x;
  __weave_write4(&x, &kUserB);
  std::thread t([] {
    __weave_read4(&x, &kUserA);
    __weave_write4(&x, &kUserA);
  });
  t.join();
  __weave_write4(&x, &kUserB);
  EXPECT_EQ(Races(), 0u);
}

TEST_F(RaceEngine, AThreadRacesWithItsParentAfterTheStart) {
  alignas(8) static int x;
  std::atomic<bool> written{false};
  __weave_callsite = &kUserCall;  // as the plugin sets it before the call that starts the thread
  std::thread t([&] {
    __weave_write4(&x, &kUserA);
    written.store(true);  // not instrumented: no edge
  });
  __weave_callsite = nullptr;
  while (!written.load()) std::this_thread::yield();
  testing::internal::CaptureStderr();
  __weave_read4(&x, &kUserB);
  const std::string err = testing::internal::GetCapturedStderr();
  t.join();
  EXPECT_EQ(Races(), 1u);
  // Both threads are the engine's (weave never saw them): the creator is named as the reader is.
  ASSERT_FALSE(main_->who.fiber || main_->who.weave_id);
  const std::string me = "thread T" + std::to_string(main_->who.id);
  EXPECT_NE(err.find("by " + me + ":"), std::string::npos) << err;
  EXPECT_NE(err.find("by " + me + "\n"), std::string::npos) << err;
}

}  // namespace
