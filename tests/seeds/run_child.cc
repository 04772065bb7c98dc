#include "run_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace weave_seeds {
namespace {

// A pidfd becomes readable when the process exits: poll() can wait for the exit and the pipes
// together, with a time limit, and nothing sleeps.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

void Drain(int& fd, std::string& into) {
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    into.append(buf, static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    close(fd);
    fd = -1;
  }
}

}  // namespace

ChildResult RunChild(const std::vector<std::string>& argv, int timeout_ms) {
  ChildResult r;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    r.error = std::string("posix_spawn ") + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  r.started = true;

  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  int pid_fd = PidfdOpen(pid);
  bool reaped = false;
  int wstatus = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!reaped || out_fd >= 0 || err_fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0 && !r.timed_out) {
      r.timed_out = true;
      kill(pid, SIGKILL);  // its pipes close as it dies: the loop ends
    }
    pollfd fds[3];
    int n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (!reaped && pid_fd >= 0) fds[n++] = {pid_fd, POLLIN, 0};
    if (!reaped && pid_fd < 0) {
      // No pidfd (old kernel): check for the exit each time the pipes wake us.
      if (waitpid(pid, &wstatus, WNOHANG) == pid) reaped = true;
    }
    if (n == 0) {
      if (!reaped && waitpid(pid, &wstatus, 0) == pid) reaped = true;
      continue;
    }
    int timeout = r.timed_out ? -1 : static_cast<int>(left > 0 ? left : 0);
    if (poll(fds, static_cast<nfds_t>(n), timeout) < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_fd) {
        Drain(out_fd, r.out);
      } else if (fds[i].fd == err_fd) {
        Drain(err_fd, r.err);
      } else if (waitpid(pid, &wstatus, 0) == pid) {
        reaped = true;
      }
    }
  }
  if (!reaped) waitpid(pid, &wstatus, 0);
  if (pid_fd >= 0) close(pid_fd);
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  if (WIFEXITED(wstatus)) {
    r.exited = true;
    r.status = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus) && !(r.timed_out && WTERMSIG(wstatus) == SIGKILL)) {
    r.signaled = true;
    r.signal = WTERMSIG(wstatus);
  }
  return r;
}

}  // namespace weave_seeds
