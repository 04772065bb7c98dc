// weave/testing.h: the GoogleTest leak check.
//
// A listener placed before GoogleTest's printer, so that a failure it adds at the end of a test is
// part of that test's result (and its line says FAILED). At the start of each test it notes the
// fibers alive; at the end, fibers started since that are still alive get a grace period, checked
// with a backoff, to end; an unreachable one fails at once, as it can never end.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "weave/debug.h"
#include "weave/testing.h"

namespace weave::testing {
namespace {

constexpr auto kGrace = std::chrono::milliseconds(1000);

std::mutex g_mu;
std::vector<std::string> g_ignored;  // guarded by g_mu

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool ignored(const debug::FiberInfo& f) {
  const std::string file = f.created_at.file_name();
  const std::string at = file + ":" + std::to_string(f.created_at.line());
  std::lock_guard<std::mutex> hold(g_mu);
  for (const std::string& p : g_ignored) {
    if (ends_with(at, p) || ends_with(file, p) ||
        std::string(f.created_at.function_name()).find(p) != std::string::npos) {
      return true;
    }
  }
  return false;
}

class LeakCheck : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo&) override {
    before_.clear();
    for (const debug::FiberInfo& f : debug::fibers()) before_.insert(f.id);
  }

  void OnTestEnd(const ::testing::TestInfo&) override {
    const auto deadline = std::chrono::steady_clock::now() + kGrace;
    auto pause = std::chrono::microseconds(100);
    for (;;) {
      std::vector<debug::FiberInfo> left = new_fibers();
      if (left.empty()) return;
      const bool lost = std::any_of(left.begin(), left.end(),
                                    [](const debug::FiberInfo& f) { return f.unreachable; });
      if (lost || std::chrono::steady_clock::now() >= deadline) {
        fail(left);
        return;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(100000));
    }
  }

 private:
  std::vector<debug::FiberInfo> new_fibers() const {
    std::vector<debug::FiberInfo> out;
    for (const debug::FiberInfo& f : debug::fibers()) {
      if (!before_.count(f.id) && !ignored(f)) out.push_back(f);
    }
    return out;
  }

  static void fail(const std::vector<debug::FiberInfo>& left) {
    std::vector<std::uint64_t> ids;
    int running = 0;
    for (const debug::FiberInfo& f : left) {
      ids.push_back(f.id);
      if (!f.blocked) ++running;
    }
    std::ostringstream dump;
    debug::print_blocked(dump, ids);
    ADD_FAILURE() << "weave: the test left " << left.size() << " fiber"
                  << (left.size() == 1 ? "" : "s") << " behind"
                  << (running ? " (" + std::to_string(running) + " not blocked, still running)"
                              : std::string())
                  << ":\n"
                  << dump.str();
  }

  std::set<std::uint64_t> before_;
};

}  // namespace

void InstallLeakCheck() {
  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  // Before the printer: the printer's end-of-test line then includes the leak failure.
  ::testing::TestEventListener* printer = listeners.Release(listeners.default_result_printer());
  listeners.Append(new LeakCheck());
  if (printer) listeners.Append(printer);
}

void IgnoreCreatedAt(const std::string& where) {
  std::lock_guard<std::mutex> hold(g_mu);
  g_ignored.push_back(where);
}

}  // namespace weave::testing
