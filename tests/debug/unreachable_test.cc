// weave::debug::find_leaks: a blocked fiber is unreachable exactly when nothing that can still run
// holds a handle to what it waits on. (Channels held only by stuck fibers are not yet found in
// this process: stale copies of their addresses in freed heap memory, which the analysis reads
// whole, keep them live; see docs/debug.md.) The fibers these tests leave blocked are left on
// purpose (some can never end); the leak check ignores them (main.cc).
#include <weave/debug.h>
#include <weave/weave.h>

#include <algorithm>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include "gtest/gtest.h"

namespace {

testing::AssertionResult IsUnreachable(std::uint64_t id) {
  for (const weave::debug::FiberInfo& f : weave::debug::find_leaks()) {
    if (f.id == id) return testing::AssertionSuccess();
  }
  std::ostringstream dump;
  weave::debug::print_blocked(dump, {id});
  return testing::AssertionFailure() << "fiber " << id << " is not marked unreachable:\n"
                                     << dump.str();
}

// Waits (yielding) until the n newest fibers are all blocked; returns the newest's id.
std::uint64_t NewestOnceBlocked(std::size_t n = 1) {
  for (;;) {
    std::vector<weave::debug::FiberInfo> all = weave::debug::fibers();
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
    if (all.size() >= n &&
        std::all_of(all.begin(), all.begin() + n, [](const auto& f) { return f.blocked; })) {
      return all.front().id;
    }
    weave::yield();
  }
}

weave::Chan<int> g_global = weave::make_chan<int>();

TEST(Unreachable, NilChannelCanNeverWake) {
  weave::go([] { weave::Chan<int>().recv(); });
  EXPECT_TRUE(IsUnreachable(NewestOnceBlocked()));
}

TEST(Unreachable, ChannelMainHoldsIsNotUnreachable) {
  auto ch = weave::make_chan<int>();
  weave::go([ch] { ch.recv(); });
  const std::uint64_t id = NewestOnceBlocked();
  EXPECT_FALSE(IsUnreachable(id));
  ch.send(1);  // main could, and does, wake it
}

TEST(Unreachable, GlobalChannelIsNotUnreachable) {
  weave::go([] { g_global.recv(); });
  EXPECT_FALSE(IsUnreachable(NewestOnceBlocked()));
  g_global.send(1);
}

TEST(Unreachable, ChannelOnTheHeapIsNotUnreachable) {
  auto holder = std::make_unique<std::vector<weave::Chan<int>>>();
  holder->push_back(weave::make_chan<int>());
  weave::go([ch = holder->back()] { ch.recv(); });
  EXPECT_FALSE(IsUnreachable(NewestOnceBlocked()));
  holder->back().send(1);
}

TEST(Unreachable, ChannelARunnableFiberHoldsIsNotUnreachable) {
  auto ch = weave::make_chan<int>();
  auto go_on = weave::make_chan<weave::Unit>(1);
  weave::go([ch] { ch.recv(); });
  const std::uint64_t id = NewestOnceBlocked();
  weave::go([ch, go_on] {  // sleeps, then wakes the receiver: live while it sleeps
    weave::sleep(absl::Milliseconds(30));
    ch.send(1);
    go_on.send(weave::Unit{});
  });
  EXPECT_FALSE(IsUnreachable(id));
  go_on.recv();
}

TEST(Unreachable, MutexHeldByALiveThreadIsNotUnreachable) {
  auto mu = std::make_unique<weave::Mutex>();
  mu->lock();
  weave::go([m = mu.get()] {
    m->lock();
    m->unlock();
  });
  EXPECT_FALSE(IsUnreachable(NewestOnceBlocked()));
  mu->unlock();
}

}  // namespace
