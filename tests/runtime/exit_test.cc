// Exit while fibers run: each program of exit_child.cc is run many times and must exit with its
// status and print nothing, every time (no crash, no hang). Its own binary: it runs processes
// for seconds, and must not share a process with fibers of other tests.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>

extern char** environ;

#if defined(__SANITIZE_THREAD__)
#define EXIT_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EXIT_TEST_TSAN 1
#endif
#endif

namespace {

struct Outcome {
  bool hung = false;
  int status = 0;  // as waitpid gives it
  std::string err;
};

// Runs `child` (exit_child built against one runtime) with `program`, killing it after `limit`.
Outcome run_child(const std::string& child, const std::string& program,
                  std::chrono::seconds limit) {
  int pipefd[2];
  if (pipe(pipefd) != 0) std::abort();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  std::string path = child;
  char* argv[] = {path.data(), const_cast<char*>(program.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  Outcome out;
  if (rc != 0) {
    close(pipefd[0]);
    out.err = "posix_spawn failed";
    out.status = -1;
    return out;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  for (;;) {  // read stderr until it closes (the child has exited) or the time is up
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.hung = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(pipefd[0], buf, sizeof buf);
    if (n <= 0) break;
    out.err.append(buf, static_cast<size_t>(n));
  }
  close(pipefd[0]);
  waitpid(pid, &out.status, 0);
  return out;
}

// Runs `program` `runs` times against the release runtime and a quarter as often (at least 5)
// against the debug runtime: it must exit with `code` every time, its
// stderr `err` with the release runtime, and ending with `err` with the debug runtime (whose exit
// dump, taken with the world stopped, comes first when fibers are left blocked).
void expect_clean_exits(const std::string& program, int runs, int code, const std::string& err = "",
                        bool debug_under_tsan = true) {
  for (const bool debug : {false, true}) {
#ifdef EXIT_TEST_TSAN
    if (debug && !debug_under_tsan) continue;
#endif
    const std::string child = debug ? WEAVE_EXIT_CHILD_DEBUG : WEAVE_EXIT_CHILD;
    int bad = 0;
    std::string first;
    const int n = debug ? std::max(5, runs / 4) : runs;
    for (int i = 0; i < n; ++i) {
      const Outcome o = run_child(child, program, std::chrono::seconds(20));
      const bool err_ok = debug ? o.err.ends_with(err) : o.err == err;
      const bool ok = !o.hung && WIFEXITED(o.status) && WEXITSTATUS(o.status) == code && err_ok;
      if (ok) continue;
      if (++bad == 1) {
        first = "run " + std::to_string(i) + ": " +
                (o.hung                  ? std::string("hung")
                 : WIFSIGNALED(o.status) ? "killed by signal " + std::to_string(WTERMSIG(o.status))
                                         : "exit status " + std::to_string(WEXITSTATUS(o.status))) +
                "; stderr: " + o.err;
      }
    }
    EXPECT_EQ(bad, 0) << program << (debug ? " (debug runtime)" : "") << ": " << bad << " of " << n
                      << " runs failed; first: " << first;
  }
}

TEST(Exit, MainReturnsWhileFibersUseAGlobalChannel) { expect_clean_exits("chan", 100, 0); }

// The plain threads run the fibers they woke while they wait (scheduler.cc's guests).
// (Not the debug runtime under ThreadSanitizer: its exit dump reads the blocked threads' state,
// and TSan does not see the stop by signal that orders those reads.)
TEST(Exit, MainReturnsWhilePlainThreadsConsumeWhatFibersSend) {
  expect_clean_exits("thread-consumers", 50, 0, "", /*debug_under_tsan=*/false);
}

TEST(Exit, MainReturnsWhileFibersAllocateAndFillAGlobalContainer) {
  expect_clean_exits("alloc", 20, 0);
}

TEST(Exit, MainReturnsWhileFibersUseAStaticMadeAfterTheSchedulerStarted) {
  expect_clean_exits("late-static", 20, 0);
}

// Every fiber blocked: the world stops at safe points, and static destructors run as in any C++
// program.
TEST(Exit, MainReturnsWithEveryFiberBlockedRunsStaticDestructors) {
  expect_clean_exits("parked", 20, 0, "static destructors ran\n");
}

// Fibers that never block are stopped in the middle of their code, which may have left an object
// half-updated: the process ends as Go's does, without running destructors.
TEST(Exit, MainReturnsWhileFibersComputeWithoutBlockingEndsAsGo) {
  expect_clean_exits("spin", 20, 0);
}

TEST(Exit, AFiberCallsExit) { expect_clean_exits("fiber-exit", 20, 3); }

TEST(Exit, APlainThreadCallsExit) { expect_clean_exits("thread-exit", 20, 4); }

}  // namespace
