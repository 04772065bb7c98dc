// Exit with fibers still running: the world stops before any static destructor runs.
//
// Go's exit ends the process with its goroutines wherever they are, and nothing of the program
// runs after it. A C++ exit first runs static destructors and atexit handlers, and a fiber still
// running then uses what they destroy (a global channel freed under its senders). So exit first
// stops the world: the workers pick no more fibers, the timer thread fires no more timers, and a
// worker still running a fiber is frozen where it is. Frozen fibers never run again. Then comes
// hook::program_exit() (the debug runtime's leak dump), then the rest of exit. Plain threads are
// the program's own: they run on, as in any C++ program.
//
// The rest of exit depends on where the fibers stopped. When each stopped at a safe point
// (blocked, yielding or ending: stage 1 below), the program's objects are as its fibers left them
// between two operations, and the destructors and atexit handlers run as in any C++ program (one
// that waits for a fiber or a timer waits for good). When a fiber had to be stopped in the middle
// of the program's code (stage 2), it may have left an object half-updated (a string between
// freeing its old buffer and taking its new one), and destroying that object would crash: then
// exit ends the process as Go's does, with the status it was given, once stdout (and std::cout)
// is flushed: no destructor or atexit handler runs (end_as_go).
//
// When. exit runs the calling thread's thread_local destructors before anything else (glibc's
// __run_exit_handlers), then the atexit handlers and static destructors in reverse order of
// registration. A handler registered as the scheduler starts would run only after the
// destructors of statics constructed later (a function-local static first used by a fiber), so
// the world is stopped by the destructor of a thread_local instead (arm_this_thread), on every
// thread that only ends through exit: the main thread, armed before main (a main that calls
// pthread_exit does not run its thread_local destructors), and the runtime's threads (a fiber
// that calls exit runs it on its worker). exit from another thread reaches the atexit handler
// that the scheduler installs as it starts (install_exit_handler).
//
// How. Stage 1, at safe points: g_world_stopping is set and each runtime thread nudged; each
// freezes itself at its next safe point, where it holds no lock: a worker between two fibers
// (scheduler.cc), the timer thread between two fires (timer.cc). A fiber that blocks, yields or
// ends gets its worker there within microseconds. Stage 2, for a worker still running a fiber
// after kSafePointGrace (a fiber that computes, or blocks in a system call): a signal (SIGURG, as
// Go's preemption uses) freezes the thread in its handler, but not while it runs code that may
// hold a lock that exit needs: a shared library (malloc's arena locks, stdio's, the dynamic
// loader's, libstdc++'s) or the runtime itself (a channel's lock, the timer heap's). The
// interrupted program counter tells: the loaded libraries' code segments (dl_iterate_phdr) and
// the runtime's functions in the executable's symbol table. There the handler sets the trap flag
// (x86-64) and the thread steps on, one SIGTRAP per instruction, until it reaches the program's
// own code and freezes: a fiber that spends nearly all its time in malloc still leaves it within
// microseconds, where sampling by signals could miss the moments it is out for a long time. It
// does not step into a system call (which may block, change the signal mask or start a thread)
// nor through a repeated string instruction (one trap per repetition): the next SIGURG, sent
// every kSignalEvery, looks again (and elsewhere than on x86-64, SIGURG is all there is). A
// thread whose program counter has not moved for kStuckFor is blocked in a system call, and is
// frozen where it is: it holds nothing that a short call would release. So is any thread after
// kForceAfter. A thread that blocks the signals cannot be frozen: after kGiveUpAfter exit goes
// on, and says so.
//
// Limits. A fiber blocked at exit may hold one of the program's locks (a std::mutex held across
// a receive): a destructor that takes it waits for good. In a stripped executable the runtime's
// functions look like the program's, so a computing fiber may be frozen inside the runtime,
// holding the lock of the channel it was using (which only the debug runtime's dump could then
// wait for). A fiber whose body the compiler inlined into a function of the runtime computes in
// the runtime's code, and is frozen only at kForceAfter. Without glibc's on_exit, which tells the
// status, exit after stage 2 runs the destructors.
#include "exit.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cxxabi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string_view>
#include <vector>

#include "fork.h"
#include "futex.h"
#include "hooks.h"
#include "task.h"

namespace weave::detail {

std::atomic<bool> g_world_stopping{false};

struct RuntimeThread {
  RuntimeThread(void (*n)(void*), void* a) : thread(pthread_self()), nudge(n), arg(a) {}
  const pthread_t thread;
  void (*const nudge)(void*);
  void* const arg;
  std::atomic<bool> frozen{false};
  RuntimeThread* next = nullptr;
  // Stage 2: where the signal handler last found the thread, how often it found it elsewhere
  // than the time before, and whether it must freeze wherever it is.
  std::atomic<std::uintptr_t> last_pc{0};
  std::atomic<std::uint32_t> moves{0};
  std::atomic<bool> force{false};
  std::atomic<bool> interrupted{false};  // frozen by the signal, not at a safe point
  std::uint32_t moves_seen = 0;          // the exiting thread's: moves at its last look, and when
  std::int64_t seen_at_ns = 0;
};

namespace {

constexpr std::int64_t kSafePointGrace = 10'000'000;
constexpr std::int64_t kSignalEvery = 100'000;
constexpr std::int64_t kStuckFor = 50'000'000;
constexpr std::int64_t kForceAfter = 500'000'000;
constexpr std::int64_t kGiveUpAfter = 2'000'000'000;

std::atomic<RuntimeThread*> g_threads{nullptr};  // a list that only grows: threads never end
std::atomic<std::uint32_t> g_frozen{0};          // bumped by each thread that freezes
std::atomic<pthread_t> g_exiting_thread{};       // the thread that stops the world

// Code a thread must not be frozen in (see the top), as sorted disjoint ranges; published before
// the first signal and never freed.
struct Range {
  std::uintptr_t lo, hi;
};
std::atomic<const std::vector<Range>*> g_unsafe{nullptr};

RuntimeThread* find_self() {
  const pthread_t me = pthread_self();
  for (RuntimeThread* t = g_threads.load(std::memory_order_acquire); t; t = t->next) {
    if (pthread_equal(t->thread, me)) return t;
  }
  return nullptr;
}

bool all_frozen(const RuntimeThread* self) {
  for (RuntimeThread* t = g_threads.load(std::memory_order_seq_cst); t; t = t->next) {
    if (t != self && !t->frozen.load(std::memory_order_acquire)) return false;
  }
  return true;
}

// Whether every runtime thread but self has frozen, waiting for that until `deadline`.
bool wait_frozen(const RuntimeThread* self, std::int64_t deadline) {
  for (;;) {
    const std::uint32_t seen = g_frozen.load(std::memory_order_acquire);
    if (all_frozen(self)) return true;
    const std::int64_t left = deadline - monotonic_now_ns();
    if (left <= 0) return false;
    futex_wait_for(&g_frozen, seen, left);
  }
}

// --- telling the runtime's and the libraries' code from the program's ------------------------

// The runtime's code: the context switch, weave::detail (but for FiberFnFor, which runs a
// fiber's body), and the rest of namespace weave but for templates (the public headers' inline
// wrappers, which hold no lock, and WaitGroup::go's and ErrGroup::go's, which run the program's
// callables).
bool is_runtime_symbol(const char* mangled) {
  if (std::strncmp(mangled, "weave_", 6) == 0) return true;
  if (std::strstr(mangled, "5weave") == nullptr) return false;  // no need to demangle
  int status = -1;
  char* name = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || name == nullptr) return false;
  const std::string_view n = name;
  const std::string_view function = n.substr(0, n.find('('));
  const bool runtime = n.starts_with("weave::detail::")
                           ? n.find("FiberFnFor") == std::string_view::npos
                       : n.starts_with("weave::") ? function.find('<') == std::string_view::npos
                                                  : false;
  std::free(name);
  return runtime;
}

struct LoadedCode {
  std::vector<Range> ranges;
  std::uintptr_t exe_bias = 0;
};

int add_library_code(dl_phdr_info* info, std::size_t, void* data) {
  auto* code = static_cast<LoadedCode*>(data);
  const char* name = info->dlpi_name;
  if (name == nullptr || name[0] == '\0') {  // the executable
    code->exe_bias = info->dlpi_addr;
    return 0;
  }
  if (std::strstr(name, "linux-vdso") || std::strstr(name, "linux-gate")) return 0;  // no locks
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
      const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
      code->ranges.push_back({lo, lo + ph.p_memsz});
    }
  }
  return 0;
}

// The runtime's functions in the executable, from its symbol tables (none if it is stripped).
void add_runtime_code(LoadedCode* code) {
  const int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  void* map = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > static_cast<off_t>(sizeof(ElfW(Ehdr)))) {
    map = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  }
  close(fd);
  if (map == MAP_FAILED) return;
  const auto* base = static_cast<const char*>(map);
  const auto size = static_cast<std::size_t>(st.st_size);
  const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(base);
  auto fits = [&](std::size_t off, std::size_t len) { return off <= size && len <= size - off; };
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
      fits(eh->e_shoff, std::size_t{eh->e_shnum} * sizeof(ElfW(Shdr)))) {
    const auto* sh = reinterpret_cast<const ElfW(Shdr)*>(base + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; ++i) {
      if ((sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) ||
          sh[i].sh_link >= eh->e_shnum || !fits(sh[i].sh_offset, sh[i].sh_size)) {
        continue;
      }
      const ElfW(Shdr)& strtab = sh[sh[i].sh_link];
      if (!fits(strtab.sh_offset, strtab.sh_size)) continue;
      const auto* syms = reinterpret_cast<const ElfW(Sym)*>(base + sh[i].sh_offset);
      const std::size_t n = sh[i].sh_size / sizeof(ElfW(Sym));
      for (std::size_t k = 0; k < n; ++k) {
        const ElfW(Sym)& s = syms[k];
        if ((s.st_info & 0xf) != STT_FUNC || s.st_size == 0 || s.st_shndx == SHN_UNDEF ||
            s.st_name >= strtab.sh_size) {
          continue;
        }
        const char* name = base + strtab.sh_offset + s.st_name;
        if (std::memchr(name, '\0', strtab.sh_size - s.st_name) == nullptr) continue;
        if (!is_runtime_symbol(name)) continue;
        const std::uintptr_t lo = code->exe_bias + s.st_value;
        code->ranges.push_back({lo, lo + s.st_size});
      }
    }
  }
  munmap(map, size);
}

void publish_unsafe_code() {
  LoadedCode code;
  dl_iterate_phdr(&add_library_code, &code);
  add_runtime_code(&code);
  std::vector<Range>& r = code.ranges;
  std::sort(r.begin(), r.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  auto* merged = new std::vector<Range>();  // never freed: handlers may read it until the end
  for (const Range& x : r) {
    if (!merged->empty() && x.lo <= merged->back().hi) {
      merged->back().hi = std::max(merged->back().hi, x.hi);
    } else {
      merged->push_back(x);
    }
  }
  g_unsafe.store(merged, std::memory_order_release);
}

bool in_unsafe_code(std::uintptr_t pc) {
  const std::vector<Range>* r = g_unsafe.load(std::memory_order_acquire);
  if (r == nullptr) return true;
  auto it = std::upper_bound(r->begin(), r->end(), pc,
                             [](std::uintptr_t p, const Range& x) { return p < x.lo; });
  return it != r->begin() && pc < std::prev(it)->hi;
}

std::uintptr_t interrupted_pc(void* uctx) {
  const auto* uc = static_cast<const ucontext_t*>(uctx);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return 0;  // unknown: freeze only when forced
#endif
}

// --- stage 2 -----------------------------------------------------------------------------------

#if defined(__x86_64__)
// Whether stepping on from pc is left to the next SIGURG: a system call may block, change the
// signal mask (a blocked SIGTRAP kills) or start a thread or process (which would inherit the
// trap flag), and a repeated string instruction traps at every repetition.
bool no_step_at(std::uintptr_t pc) {
  const auto* op = reinterpret_cast<const unsigned char*>(pc);
  return (op[0] == 0x0f && op[1] == 0x05) || op[0] == 0xf3 || op[0] == 0xf2;
}
#endif

// SIGURG from the exiting thread, and on x86-64 SIGTRAP while the thread steps (see the top).
void on_freeze_signal(int sig, siginfo_t*, void* uctx) {
  RuntimeThread* self = find_self();
  if (self == nullptr || !world_stopping()) {
    if (sig == SIGTRAP) {  // not ours: what it would have done
      signal(SIGTRAP, SIG_DFL);
      raise(SIGTRAP);
    }
    return;
  }
  const std::uintptr_t pc = interrupted_pc(uctx);
  if (pc != self->last_pc.load(std::memory_order_relaxed)) {
    self->last_pc.store(pc, std::memory_order_relaxed);
    self->moves.fetch_add(1, std::memory_order_relaxed);
  }
  if (!self->force.load(std::memory_order_acquire)) {
    if (pc == 0 || in_unsafe_code(pc)) {
#if defined(__x86_64__)
      // Step on, one instruction at a time, to the program's own code (unless the code
      // interrupted blocks SIGTRAP, which a trap would then kill).
      auto* uc = static_cast<ucontext_t*>(uctx);
      greg_t& flags = uc->uc_mcontext.gregs[REG_EFL];
      constexpr greg_t kTrapFlag = 0x100;
      const bool step = !no_step_at(pc) && !sigismember(&uc->uc_sigmask, SIGTRAP);
      flags = step ? flags | kTrapFlag : flags & ~kTrapFlag;
#endif
      return;
    }
  }
  self->interrupted.store(true, std::memory_order_relaxed);
  freeze(self);
}

void freeze_by_signal(const RuntimeThread* self, std::int64_t since) {
  publish_unsafe_code();
  struct sigaction sa {};
  sa.sa_sigaction = &on_freeze_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;  // workers have an alternate signal stack
  sigemptyset(&sa.sa_mask);  // neither interrupts the other's handler, which blocks SIGTRAP
  sigaddset(&sa.sa_mask, SIGURG);
  sigaddset(&sa.sa_mask, SIGTRAP);
  sigaction(SIGURG, &sa, nullptr);
  sigaction(SIGTRAP, &sa, nullptr);
  for (;;) {
    const std::int64_t now = monotonic_now_ns();
    if (now - since >= kGiveUpAfter) {
      // Not through stdio: a thread that would not stop may hold its lock.
      static const char msg[] =
          "weave: exit could not stop a worker that blocks signals; its fiber may race with "
          "static destructors\n";
      (void)!write(2, msg, sizeof msg - 1);
      return;
    }
    for (RuntimeThread* t = g_threads.load(std::memory_order_acquire); t; t = t->next) {
      if (t == self || t->frozen.load(std::memory_order_acquire)) continue;
      const std::uint32_t moves = t->moves.load(std::memory_order_relaxed);
      if (t->seen_at_ns == 0 || moves != t->moves_seen) {
        t->moves_seen = moves;
        t->seen_at_ns = now;
      } else if (now - t->seen_at_ns >= kStuckFor) {
        t->force.store(true, std::memory_order_release);
      }
      if (now - since >= kForceAfter) t->force.store(true, std::memory_order_release);
      pthread_kill(t->thread, SIGURG);
    }
    if (wait_frozen(self, now + kSignalEvery)) return;
  }
}

// Skips the destructors and atexit handlers still to run (see the top): a handler registered
// now runs next, and on_exit's is given the status exit was called with (glibc; elsewhere the
// rest of exit runs). Only stdout and std::cout are flushed: fflush(nullptr) would wait for every
// stream's lock, and a plain thread blocked reading stdin holds stdin's.
void end_as_go() {
#if defined(__GLIBC__)
  on_exit(
      [](int status, void*) {
        std::cout.flush();
        std::fflush(stdout);
        _exit(status);
      },
      nullptr);
#endif
}

void stop_the_world() {
  if (g_forked_child.load(std::memory_order_relaxed)) return;  // no other thread was copied
  const pthread_t me = pthread_self();
  bool expected = false;
  if (!g_world_stopping.compare_exchange_strong(expected, true, std::memory_order_seq_cst)) {
    // Stopped already: by this thread (its other handler), or by a thread that called exit at
    // the same time, whose world this runtime thread is part of.
    if (!pthread_equal(g_exiting_thread.load(), me)) {
      if (RuntimeThread* self = find_self()) freeze(self);
    }
    return;
  }
  g_exiting_thread.store(me);
  RuntimeThread* self = find_self();
  for (RuntimeThread* t = g_threads.load(std::memory_order_seq_cst); t; t = t->next) {
    if (t != self) t->nudge(t->arg);
  }
  const std::int64_t start = monotonic_now_ns();
  if (!wait_frozen(self, start + kSafePointGrace)) freeze_by_signal(self, start);
  hook::program_exit();
  for (RuntimeThread* t = g_threads.load(std::memory_order_acquire); t; t = t->next) {
    if (t->frozen.load(std::memory_order_acquire) &&
        t->interrupted.load(std::memory_order_relaxed)) {
      end_as_go();
      break;
    }
  }
}

struct ExitSentinel {
  ~ExitSentinel() { stop_the_world(); }
};

void arm_this_thread() {
  static thread_local ExitSentinel sentinel;
  (void)&sentinel;
}

[[maybe_unused]] const bool g_main_thread_armed = [] {
  if (getpid() == static_cast<pid_t>(syscall(SYS_gettid))) arm_this_thread();
  return true;
}();

}  // namespace

RuntimeThread* register_runtime_thread(void (*nudge)(void*), void* arg) {
  auto* t = new RuntimeThread(nudge, arg);  // never freed: runtime threads never end
  t->next = g_threads.load(std::memory_order_relaxed);
  while (!g_threads.compare_exchange_weak(t->next, t, std::memory_order_seq_cst)) {
  }
  arm_this_thread();
  // Registered after the world stopped (the exiting thread did not see it): the caller's first
  // test of world_stopping() sees the flag, as this seq_cst load did.
  (void)g_world_stopping.load(std::memory_order_seq_cst);
  return t;
}

[[noreturn]] void freeze(RuntimeThread* self) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);  // the process's signals go to threads that run
  self->frozen.store(true, std::memory_order_release);
  g_frozen.fetch_add(1, std::memory_order_release);
  futex_wake_one(&g_frozen);
  std::atomic<std::uint32_t> never{0};
  for (;;) futex_wait(&never, 0);
}

void install_exit_handler() {
  std::atexit([] { stop_the_world(); });
}

}  // namespace weave::detail
