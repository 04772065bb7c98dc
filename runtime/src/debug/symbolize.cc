// Source lines (see symbolize.h).
//
// A child reads addresses on stdin and writes their frames on stdout; both pipes are served by one
// poll loop, so that neither side waits for the other with a full pipe. A child that has not
// answered within kToolTimeoutMs is killed, and its addresses keep no line.
#include "debug/symbolize.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include "absl/strings/string_view.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace weave::detail::debug {
namespace {

constexpr int kToolTimeoutMs = 20000;

enum class Tool { kLlvmSymbolizer, kAddr2line };

// Runs argv with `input` on its stdin; its stdout, or false if it could not run or did not finish
// in time.
bool run_tool(const std::vector<std::string>& argv, const std::string& input, std::string* out) {
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return false;
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return false;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    return false;
  }
  // The child may die before reading everything: the write then fails, and the SIGPIPE it raises
  // is held for this thread alone and dropped, never delivered to the program.
  sigset_t pipe_sig, old_mask;
  sigemptyset(&pipe_sig);
  sigaddset(&pipe_sig, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_sig, &old_mask);
  int in_fd = in_pipe[1], out_fd = out_pipe[0];
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kToolTimeoutMs);
  bool timed_out = false;
  char buf[65536];
  while (out_fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    fds[n++] = {out_fd, POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, static_cast<nfds_t>(n), static_cast<int>(left)) < 0 && errno != EINTR) break;
    if (in_fd >= 0 && fds[1].revents != 0) {
      const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    if (fds[0].revents != 0) {
      const ssize_t r = read(out_fd, buf, sizeof buf);
      if (r > 0) {
        out->append(buf, static_cast<std::size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(out_fd);
        out_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  if (out_fd >= 0) close(out_fd);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const timespec now{0, 0};
  while (sigtimedwait(&pipe_sig, nullptr, &now) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// "a/b/../c" -> "a/c": compilers name files relative to their build directory.
std::string tidy_path(absl::string_view p) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(p, '/')) {
    if (part == "." || (part.empty() && !parts.empty())) continue;
    if (part == ".." && !parts.empty() && parts.back() != ".." && !parts.back().empty()) {
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

// "file:line[:column]" (llvm-symbolizer) or "file:line[ (discriminator n)]" (addr2line).
void parse_location(absl::string_view s, SourceFrame* f) {
  if (const auto paren = s.find(" ("); paren != absl::string_view::npos) s = s.substr(0, paren);
  // The line is the last all-digit field but one (a column) or the last.
  std::vector<absl::string_view> fields = absl::StrSplit(s, ':');
  unsigned line = 0, column = 0;
  std::size_t file_fields = fields.size();
  if (fields.size() >= 3 && absl::SimpleAtoi(fields.back(), &column) &&
      absl::SimpleAtoi(fields[fields.size() - 2], &line)) {
    file_fields -= 2;
  } else if (fields.size() >= 2 && absl::SimpleAtoi(fields.back(), &line)) {
    file_fields -= 1;
  } else {
    return;
  }
  const std::string file = absl::StrJoin(fields.begin(), fields.begin() + file_fields, ":");
  if (file.empty() || file == "??" || line == 0) return;
  f->file = tidy_path(file);
  f->line = line;
}

// A function template's demangled name begins with its return type ("int ns::f<int>(int)"); the
// names Abseil gives, and the runtime's tests of them, begin with the qualified name.
absl::string_view without_return_type(absl::string_view name) {
  const std::size_t args = name.find_first_of("<(");
  const std::size_t space = name.substr(0, args).rfind(' ');
  if (space == absl::string_view::npos || absl::StartsWith(name, "operator")) return name;
  return name.substr(space + 1);
}

void add_frame(std::vector<SourceFrame>* frames, absl::string_view function,
               absl::string_view location) {
  SourceFrame f;
  if (function != "??") f.function = std::string(without_return_type(function));
  parse_location(location, &f);
  if (!f.function.empty() || !f.file.empty()) frames->push_back(std::move(f));
}

// The frames of each of `n` addresses from a tool's output; false if it does not parse.
bool parse_output(Tool tool, const std::string& out, std::size_t n,
                  std::vector<std::vector<SourceFrame>>* frames) {
  std::vector<absl::string_view> lines = absl::StrSplit(out, '\n');
  frames->assign(n, {});
  std::size_t i = 0;
  if (tool == Tool::kLlvmSymbolizer) {
    // Per address: pairs of lines (function, file:line:column), then an empty line.
    for (std::size_t k = 0; k < lines.size() && i < n;) {
      if (lines[k].empty()) {
        ++i;
        ++k;
        continue;
      }
      if (k + 1 >= lines.size()) return false;
      add_frame(&(*frames)[i], lines[k], lines[k + 1]);
      k += 2;
    }
    return i == n;
  }
  // addr2line -a: the address on a line of its own, then pairs (function, file:line).
  bool started = false;
  for (std::size_t k = 0; k < lines.size();) {
    if (absl::StartsWith(lines[k], "0x")) {
      if (started) ++i;
      started = true;
      ++k;
      continue;
    }
    if (lines[k].empty()) {
      ++k;
      continue;
    }
    if (!started || i >= n || k + 1 >= lines.size()) return false;
    add_frame(&(*frames)[i], lines[k], lines[k + 1]);
    k += 2;
  }
  return started && i + 1 == n;
}

// The frames of `offsets` (addresses in the object file at `path`), or empty lists.
std::vector<std::vector<SourceFrame>> symbolize_module(const std::string& path,
                                                       const std::vector<std::uintptr_t>& offsets) {
  std::string input;
  for (std::uintptr_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "0x%lx\n", static_cast<unsigned long>(off));
    input += line;
  }
  std::vector<std::vector<SourceFrame>> frames(offsets.size());
  const std::pair<Tool, std::vector<std::string>> tools[] = {
      {Tool::kLlvmSymbolizer, {"llvm-symbolizer", "--obj=" + path, "-i", "-f", "-C"}},
      {Tool::kAddr2line, {"addr2line", "-a", "-C", "-f", "-i", "-e", path}},
  };
  for (const auto& [tool, argv] : tools) {
    std::string out;
    if (run_tool(argv, input, &out) && parse_output(tool, out, offsets.size(), &frames)) break;
    frames.assign(offsets.size(), {});
  }
  return frames;
}

// The program's own file (the tool's /proc/self/exe would be the tool).
std::string executable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

std::vector<std::vector<SourceFrame>> source_lines(const std::vector<const void*>& pcs) {
  std::vector<std::vector<SourceFrame>> out(pcs.size());
  // By object file: the addresses to look up there, and where each answer goes.
  struct Module {
    std::vector<std::uintptr_t> offsets;
    std::vector<std::size_t> slots;
  };
  std::map<std::string, Module> modules;
  for (std::size_t i = 0; i < pcs.size(); ++i) {
    Dl_info info{};
    link_map* lm = nullptr;
    if (!dladdr1(pcs[i], &info, reinterpret_cast<void**>(&lm), RTLD_DL_LINKMAP) || !lm) continue;
    const std::string path = lm->l_name && lm->l_name[0] ? std::string(lm->l_name) : executable();
    // The call before the return address: its line is the one that made the call.
    const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(pcs[i]) - 1 - lm->l_addr;
    Module& m = modules[path];
    m.offsets.push_back(at);
    m.slots.push_back(i);
  }
  for (auto& [path, m] : modules) {
    std::vector<std::vector<SourceFrame>> frames = symbolize_module(path, m.offsets);
    for (std::size_t k = 0; k < m.slots.size(); ++k) out[m.slots[k]] = std::move(frames[k]);
  }
  return out;
}

}  // namespace weave::detail::debug
