// The fiber dump, in the style of Go's goroutine dump: one paragraph per fiber, its state and how
// long it has waited, where it waits, what it waits on, and where it was created. SIGQUIT prints
// it to stderr and exits with status 2, as Go does.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string_view>
#include <thread>

#include "dump.h"

#include "fiber.h"
#include "hooks.h"
#include "registry.h"
#include "task.h"
#include "weave/fiber.h"

namespace weave::detail {

const char* wait_reason_name(WaitReason r) {
  switch (r) {
    case WaitReason::kNone:
      return "runnable";
    case WaitReason::kChanSend:
      return "chan send";
    case WaitReason::kChanRecv:
      return "chan receive";
    case WaitReason::kSelect:
      return "select";
    case WaitReason::kSelectNoCases:
      return "select (no cases)";
    case WaitReason::kChanSendNil:
      return "chan send (nil chan)";
    case WaitReason::kChanRecvNil:
      return "chan receive (nil chan)";
    case WaitReason::kMutexLock:
      return "mutex lock";
    case WaitReason::kRWMutexLock:
      return "rwmutex lock";
    case WaitReason::kRWMutexRLock:
      return "rwmutex rlock";
    case WaitReason::kWaitGroupWait:
      return "waitgroup wait";
    case WaitReason::kCondWait:
      return "cond wait";
    case WaitReason::kSleep:
      return "sleep";
    case WaitReason::kSemaphoreAcquire:
      return "semaphore acquire";
  }
  return "unknown";
}

namespace {

void print_location(std::ostream& out, const Location& l) {
  out << l.file_name() << ":" << l.line() << " (" << l.function_name() << ")";
}

void print_task(std::ostream& out, const TaskView& t, std::int64_t now, const Task* self) {
  const WaitReason why = t.wait_reason;
  out << (t.kind == TaskKind::kFiber ? "fiber " : "thread ") << t.id << " ["
      << (t.task == self ? "running" : wait_reason_name(why));
  if (why != WaitReason::kNone) {
    const std::int64_t minutes = (now - t.wait_since_ns) / 60000000000;
    if (minutes > 0) out << ", " << minutes << " minutes";
  }
  out << "]:\n";
  if (why != WaitReason::kNone) {
    out << "  blocked at ";
    print_location(out, t.wait_location);
    out << "\n";
    const WaitObject& o = t.wait_object;
    if (o.has_created_at) {
      out << "  waiting on " << o.kind << " " << o.id << " (cap " << o.cap << ", len " << o.len
          << (o.closed ? ", closed" : "") << ") made at ";
      print_location(out, o.created_at);
      out << "\n";
    } else if (o.kind) {
      out << "  waiting on " << o.kind;
      if (o.addr) out << " " << o.addr;
      out << "\n";
    }
  }
  if (t.kind == TaskKind::kFiber) {
    out << "created by " << (t.parent_is_thread ? "thread " : "fiber ") << t.parent_id << " at ";
    print_location(out, t.created_at);
    out << "\n";
  }
  out << "\n";
}

int g_quit_pipe[2] = {-1, -1};

void on_sigquit(int) {
  char c = 'q';
  (void)!write(g_quit_pipe[1], &c, 1);
}

}  // namespace

void start_dump_signal_watcher() {
  if (pipe2(g_quit_pipe, O_CLOEXEC) != 0) return;
  std::thread([] {
    hook::runtime_thread();
    char c;
    while (read(g_quit_pipe[0], &c, 1) != 1) {
    }
    std::ostringstream out;
    out << "SIGQUIT: quit\n\n";
    weave::dump_fibers(out);
    std::string s = out.str();
    (void)!write(2, s.data(), s.size());
    _exit(2);
  }).detach();
  struct sigaction sa {};
  sa.sa_handler = &on_sigquit;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGQUIT, &sa, nullptr);
}

}  // namespace weave::detail

namespace weave {

void dump_fibers(std::ostream& out) {
  const std::int64_t now = detail::monotonic_now_ns();
  const detail::Task* self = detail::current();
  for (const detail::TaskView& t : detail::registry_snapshot()) {
    detail::print_task(out, t, now, self);
  }
}

}  // namespace weave
