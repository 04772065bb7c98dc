// fork() after the scheduler started: the child may exec or exit, and its first attempt to start,
// wake or wait for a fiber is a fatal error (status 2) with a message, never a hang.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <weave/weave.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

namespace {

struct Child {
  int status = -1;  // waitpid's; -1: it hung and was killed
  std::string err;  // its stderr
};

// Forks; the child runs `body` with stderr into a pipe, then _exit(0)s. The parent waits up to
// 20 s for it (a child that hangs, as on the old runtime, is killed) and returns what it said.
Child fork_and_run(const std::function<void()>& body) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    body();
    _exit(0);
  }
  close(fds[1]);
  Child c;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (waitpid(pid, &c.status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      c.status = -1;
      break;
    }
    const timespec tick{0, 1'000'000};
    nanosleep(&tick, nullptr);
  }
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) c.err.append(buf, n);
  close(fds[0]);
  return c;
}

void expect_fatal(const Child& c, const std::string& what) {
  ASSERT_NE(c.status, -1) << "the child hung";
  ASSERT_TRUE(WIFEXITED(c.status)) << c.status;
  EXPECT_EQ(WEXITSTATUS(c.status), 2);
  EXPECT_EQ(c.err.rfind("fatal error: weave: " + what +
                            " in the child of a fork() made after the scheduler started",
                        0),
            0u)
      << c.err;
}

void start_scheduler() {
  auto done = weave::make_chan<int>(1);
  weave::go([=] { done.send(1); });
  done.recv();
}

TEST(Fork, ChildThatStartsAFiberFailsLoudly) {
  start_scheduler();
  expect_fatal(fork_and_run([] { weave::go([] {}); }), "go() started a fiber");
}

TEST(Fork, ChildThatWaitsOnAChannelFailsLoudly) {
  start_scheduler();
  auto ch = weave::make_chan<int>();
  expect_fatal(fork_and_run([ch] { ch.recv(); }), "a thread blocked");
}

TEST(Fork, ChildOfAFiberThatBlocksFailsLoudly) {
  start_scheduler();
  auto ch = weave::make_chan<int>();
  auto result = weave::make_chan<Child>(1);
  weave::go([=] { result.send(fork_and_run([ch] { ch.recv(); })); });
  expect_fatal(*result.recv(), "a fiber blocked");
}

TEST(Fork, ChildThatExitsOrExecsIsUnaffected) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's exit in the forked child is not the runtime's";
#endif
  start_scheduler();
  Child c = fork_and_run([] { std::exit(7); });
  ASSERT_TRUE(WIFEXITED(c.status)) << c.status;
  EXPECT_EQ(WEXITSTATUS(c.status), 7);
  EXPECT_EQ(c.err, "");
  c = fork_and_run([] { execl("/bin/sh", "sh", "-c", "echo ran >&2; exit 3", nullptr); });
  ASSERT_TRUE(WIFEXITED(c.status)) << c.status;
  EXPECT_EQ(WEXITSTATUS(c.status), 3);
  EXPECT_EQ(c.err, "ran\n");
}

TEST(Fork, ChildOfAProgramThatNeverStartedTheSchedulerUsesWeave) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // In a fresh process (a death test), so that no scheduler has started before the fork.
  EXPECT_EXIT(
      {
        Child c = fork_and_run([] {
          auto ch = weave::make_chan<int>();
          weave::go([=] { ch.send(41); });
          if (*ch.recv() != 41) std::abort();
        });
        std::exit(c.status == 0 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
