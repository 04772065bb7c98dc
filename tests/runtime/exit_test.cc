// Exit while fibers run: each program of exit_child.cc is run many times and must exit with its
// status and print nothing, every time (no crash, no hang). Its own binary: it runs processes
// for seconds, and must not share a process with fibers of other tests.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

extern char** environ;

namespace {

struct Outcome {
  bool hung = false;
  int status = 0;  // as waitpid gives it
  std::string err;
};

// Runs exit_child `program`, killing it after `limit`.
Outcome run_child(const std::string& program, std::chrono::seconds limit) {
  int pipefd[2];
  if (pipe(pipefd) != 0) std::abort();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  std::string path = WEAVE_EXIT_CHILD;
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

void expect_clean_exits(const std::string& program, int runs, int code,
                        const std::string& err = "") {
  int bad = 0;
  std::string first;
  for (int i = 0; i < runs; ++i) {
    const Outcome o = run_child(program, std::chrono::seconds(20));
    const bool ok = !o.hung && WIFEXITED(o.status) && WEXITSTATUS(o.status) == code && o.err == err;
    if (ok) continue;
    if (++bad == 1) {
      first = "run " + std::to_string(i) + ": " +
              (o.hung                  ? std::string("hung")
               : WIFSIGNALED(o.status) ? "killed by signal " + std::to_string(WTERMSIG(o.status))
                                       : "exit status " + std::to_string(WEXITSTATUS(o.status))) +
              "; stderr: " + o.err;
    }
  }
  EXPECT_EQ(bad, 0) << program << ": " << bad << " of " << runs << " runs failed; first: " << first;
}

TEST(Exit, MainReturnsWhileFibersUseAGlobalChannel) { expect_clean_exits("chan", 100, 0); }

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
