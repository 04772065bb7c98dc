// Stopping the world (see world.h).
//
// Safe points. The stopper raises g_world_stop, nudges every runtime thread and waits, for
// kSafePointGrace, until each has parked in stop_here() (bumping g_stopped_seq as it does).
// Parked threads wait on g_resume_seq, which resume_world() bumps; after exit's stop they wait
// for good, every signal blocked (the process's signals then go to threads that run).
//
// Signals. The threads still to stop get a slot in the slot table and SIGURG (Go's preemption
// signal), again every kSignalEvery until each has stopped. The handler finds its slot by thread
// id; where its thread may stop (see world.h) it copies the interrupted registers and stack
// pointer into the slot, marks it stopped and waits on g_resume_seq (or for good); elsewhere it
// returns, on x86-64 with the trap flag set so that the thread steps on, one SIGTRAP per
// instruction, to where it may stop. It does not step into a system call (which may block,
// change the signal mask or start a thread) nor through a repeated string instruction (one trap
// per repetition): the next SIGURG looks again. A runtime thread whose program counter has not
// moved for kStuckFor is blocked in a system call and is stopped where it is (it holds nothing a
// short call would release), as is any after kForceAfter; exit gives up on a thread after
// kGiveUpAfter (it blocks the signal), a pause after its timeout, resuming what it stopped.
// A pause stops the runtime's threads before the program's: a fiber spinning on a lock that a
// plain thread holds would otherwise never reach a place where it may stop.
//
// The slot table is mapped once and never unmapped (a late signal's handler may still read it);
// it is reused by each stop. A slot's state moves kAsked -> kStopped -> kLeft (or kAsked ->
// kCancelled, kAsked -> kAtSafePoint), each by CAS, so a late handler finds nothing to do.
#include "world.h"

#include <dlfcn.h>
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
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "futex.h"
#include "task.h"

namespace weave::detail {

std::atomic<std::uint32_t> g_world_stop{0};

struct RuntimeThread {
  RuntimeThread(void (*n)(void*), void* a, const void* frame)
      : thread(pthread_self()),
        tid(static_cast<pid_t>(syscall(SYS_gettid))),
        nudge(n),
        arg(a),
        loop_frame(frame) {}
  const pthread_t thread;
  const pid_t tid;
  void (*const nudge)(void*);
  void* const arg;
  const void* const loop_frame;
  std::atomic<bool> parked{false};  // in stop_here()
  RuntimeThread* next = nullptr;
};

namespace {

enum : std::uint32_t { kRunning = 0, kPausing = 1, kExiting = 2 };

constexpr std::int64_t kSafePointGrace = 10'000'000;
constexpr std::int64_t kSignalEvery = 100'000;
constexpr std::int64_t kStuckFor = 50'000'000;
constexpr std::int64_t kForceAfter = 500'000'000;
constexpr std::int64_t kGiveUpAfter = 2'000'000'000;

std::atomic<RuntimeThread*> g_threads{nullptr};  // a list that only grows: threads never end
std::atomic<int> g_nthreads{0};
std::atomic<std::uint32_t> g_stopped_seq{0};  // bumped by each thread that stops
std::atomic<std::uint32_t> g_resume_seq{0};   // bumped by resume_world()

std::recursive_mutex& stop_mutex() {
  static auto* m = new std::recursive_mutex();  // never destroyed: exit holds it to the end
  return *m;
}
int g_pause_depth = 0;        // nested pauses of the stopper; guarded by stop_mutex
bool g_exit_stopped = false;  // exit's stop is in force; guarded by stop_mutex

pid_t gettid_now() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// --- the slot table ----------------------------------------------------------------------------

enum SlotState : int { kFree, kAsked, kStopped, kLeft, kCancelled, kAtSafePoint, kGone };

struct Slot {
  pid_t tid = 0;
  RuntimeThread* rt = nullptr;  // null: one of the program's threads
  std::atomic<int> state{kFree};
  // Where the handler last found the thread, how often it found it elsewhere than the time
  // before, and whether it must stop wherever it is.
  std::atomic<std::uintptr_t> last_pc{0};
  std::atomic<std::uint32_t> moves{0};
  std::atomic<bool> force{false};
  std::uint32_t moves_seen = 0;  // the stopper's: moves at its last look, and when
  std::int64_t seen_at_ns = 0;
  StoppedThread stopped;  // filled by the handler
};

constexpr int kMaxSlots = 4096;

struct SlotTable {
  std::atomic<int> n{0};
  std::atomic<std::uint32_t> mode{kRunning};  // kPausing or kExiting while in use
  Slot slots[kMaxSlots];
};

std::atomic<SlotTable*> g_slots{nullptr};

SlotTable* slot_table() {
  if (SlotTable* t = g_slots.load(std::memory_order_acquire)) return t;
  void* m =
      mmap(nullptr, sizeof(SlotTable), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  // Zeroed pages are an empty table (kFree is 0): constructing it would touch every page.
  auto* t = std::launder(static_cast<SlotTable*>(m));
  g_slots.store(t, std::memory_order_release);  // the stopper holds stop_mutex: no race
  return t;
}

Slot* add_slot(SlotTable* t, pid_t tid, RuntimeThread* rt) {
  const int i = t->n.load(std::memory_order_relaxed);
  if (i >= kMaxSlots) return nullptr;
  Slot& s = t->slots[i];
  s.tid = tid;
  s.rt = rt;
  s.last_pc.store(0, std::memory_order_relaxed);
  s.moves.store(0, std::memory_order_relaxed);
  s.force.store(false, std::memory_order_relaxed);
  s.moves_seen = 0;
  s.seen_at_ns = 0;
  s.stopped.tid = tid;
  s.stopped.by_signal = false;
  s.stopped.sp = 0;
  s.stopped.nwords = 0;
  s.stopped.runtime = rt != nullptr;
  s.stopped.loop_frame = rt ? rt->loop_frame : nullptr;
  s.state.store(kAsked, std::memory_order_release);
  t->n.store(i + 1, std::memory_order_release);
  return &s;
}

Slot* find_slot(SlotTable* t, pid_t tid) {
  if (!t) return nullptr;
  const int n = t->n.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    if (t->slots[i].tid == tid) return &t->slots[i];
  }
  return nullptr;
}

// --- telling the runtime's and the libraries' code from the program's ------------------------

struct Range {
  std::uintptr_t lo, hi;
};

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

struct CodeRanges {
  std::uintptr_t runtime_at = 0;  // an address of the runtime's code
  std::string runtime_module;     // the module holding it: "" for the executable
  std::uintptr_t runtime_bias = 0;
  std::vector<Range> libraries;  // code of every shared library but the runtime's
  std::vector<Range> runtime;    // the runtime's functions
};

bool holds(const dl_phdr_info* info, std::uintptr_t addr) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && addr >= lo && addr < lo + ph.p_memsz) return true;
  }
  return false;
}

int add_module_code(dl_phdr_info* info, std::size_t, void* data) {
  auto* code = static_cast<CodeRanges*>(data);
  const char* name = info->dlpi_name ? info->dlpi_name : "";
  if (holds(info, code->runtime_at)) {
    code->runtime_module = name;
    code->runtime_bias = info->dlpi_addr;
    return 0;
  }
  if (name[0] == '\0') return 0;  // the executable: the program's own code
  if (std::strstr(name, "linux-vdso") || std::strstr(name, "linux-gate")) return 0;  // no locks
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
      const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
      code->libraries.push_back({lo, lo + ph.p_memsz});
    }
  }
  return 0;
}

// The runtime's functions, from the symbol tables of the module that holds them (the executable,
// or a shared library built with the runtime); none if it is stripped.
void add_runtime_code(const char* path, std::uintptr_t bias, std::vector<Range>* out) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
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
        const std::uintptr_t lo = bias + s.st_value;
        out->push_back({lo, lo + s.st_size});
      }
    }
  }
  munmap(map, size);
}

std::vector<Range> sorted_merged(std::vector<Range> r) {
  std::sort(r.begin(), r.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  std::vector<Range> merged;
  for (const Range& x : r) {
    if (!merged.empty() && x.lo <= merged.back().hi) {
      merged.back().hi = std::max(merged.back().hi, x.hi);
    } else {
      merged.push_back(x);
    }
  }
  return merged;
}

// Published before the first signal and never freed: handlers may read them until the end.
std::atomic<const std::vector<Range>*> g_runtime_code{nullptr};
std::atomic<const std::vector<Range>*> g_unsafe_for_exit{nullptr};

void publish_code_ranges() {
  if (g_runtime_code.load(std::memory_order_acquire)) return;
  CodeRanges code;
  code.runtime_at = reinterpret_cast<std::uintptr_t>(&publish_code_ranges);
  dl_iterate_phdr(&add_module_code, &code);
  const std::string path =
      code.runtime_module.empty() ? std::string("/proc/self/exe") : code.runtime_module;
  add_runtime_code(path.c_str(), code.runtime_bias, &code.runtime);
  std::vector<Range> unsafe = code.libraries;
  unsafe.insert(unsafe.end(), code.runtime.begin(), code.runtime.end());
  g_unsafe_for_exit.store(new std::vector<Range>(sorted_merged(std::move(unsafe))),
                          std::memory_order_release);
  g_runtime_code.store(new std::vector<Range>(sorted_merged(std::move(code.runtime))),
                       std::memory_order_release);
}

bool in_ranges(const std::vector<Range>* r, std::uintptr_t pc) {
  if (r == nullptr) return true;
  auto it = std::upper_bound(r->begin(), r->end(), pc,
                             [](std::uintptr_t p, const Range& x) { return p < x.lo; });
  return it != r->begin() && pc < std::prev(it)->hi;
}

// Whether a thread interrupted at pc may stop there (see world.h).
bool may_stop_at(const Slot& s, std::uint32_t mode, std::uintptr_t pc) {
  if (s.rt == nullptr) return true;  // the program's threads: anywhere
  if (pc == 0) return false;
  return !in_ranges(
      (mode == kExiting ? g_unsafe_for_exit : g_runtime_code).load(std::memory_order_acquire), pc);
}

std::uintptr_t interrupted_pc(const void* uctx) {
  const auto* uc = static_cast<const ucontext_t*>(uctx);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return 0;  // unknown: stop only when forced
#endif
}

// Copies the interrupted registers (and, on x86-64, the whole vector state, where a copy in
// flight may be the only one) and stack pointer into t.
void save_registers(const void* uctx, StoppedThread* t) {
  const auto* uc = static_cast<const ucontext_t*>(uctx);
  int n = 0;
  auto put = [&](const void* p, std::size_t bytes) {
    const std::size_t words =
        std::min(bytes / sizeof(std::uintptr_t), static_cast<std::size_t>(t->kMaxWords - n));
    std::memcpy(&t->words[n], p, words * sizeof(std::uintptr_t));
    n += static_cast<int>(words);
  };
#if defined(__x86_64__)
  put(uc->uc_mcontext.gregs, sizeof(uc->uc_mcontext.gregs));
  t->sp = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
  if (const auto* fp = reinterpret_cast<const char*>(uc->uc_mcontext.fpregs)) {
    std::size_t bytes = 512;  // FXSAVE: x87 and SSE registers
    std::uint32_t magic = 0, xstate_size = 0;
    std::memcpy(&magic, fp + 464, sizeof magic);
    std::memcpy(&xstate_size, fp + 464 + 16, sizeof xstate_size);
    if (magic == 0x46505853U && xstate_size > bytes) bytes = xstate_size;  // FP_XSTATE_MAGIC1
    put(fp, bytes);
  }
#elif defined(__aarch64__)
  put(uc->uc_mcontext.regs, sizeof(uc->uc_mcontext.regs));
  t->sp = static_cast<std::uintptr_t>(uc->uc_mcontext.sp);
#else
  t->sp = 0;
#endif
  t->nwords = n;
}

#if defined(__x86_64__)
// Whether stepping on from pc is left to the next SIGURG (see the top).
bool no_step_at(std::uintptr_t pc) {
  const auto* op = reinterpret_cast<const unsigned char*>(pc);
  return (op[0] == 0x0f && op[1] == 0x05) || op[0] == 0xf3 || op[0] == 0xf2;
}
#endif

[[noreturn]] void wait_forever() {
  std::atomic<std::uint32_t> never{0};
  for (;;) futex_wait(&never, 0);
}

void announce_stopped() {
  g_stopped_seq.fetch_add(1, std::memory_order_release);
  futex_wake_all(&g_stopped_seq);
}

struct sigaction g_old_urg {};
bool g_old_urg_valid = false;

// SIGURG from the stopper, and on x86-64 SIGTRAP while a thread steps (see the top).
void on_stop_signal(int sig, siginfo_t* info, void* uctx) {
  const int saved_errno = errno;
  SlotTable* table = g_slots.load(std::memory_order_acquire);
  Slot* s = find_slot(table, gettid_now());
  const std::uint32_t mode = table ? table->mode.load(std::memory_order_acquire) : kRunning;
  if (s == nullptr || mode == kRunning || s->state.load(std::memory_order_acquire) != kAsked) {
    if (sig == SIGTRAP) {  // not ours: what it would have done
      signal(SIGTRAP, SIG_DFL);
      raise(SIGTRAP);
    } else if (g_old_urg_valid && (g_old_urg.sa_flags & SA_SIGINFO) && g_old_urg.sa_sigaction) {
      g_old_urg.sa_sigaction(sig, info, uctx);
    } else if (g_old_urg_valid && g_old_urg.sa_handler != SIG_DFL &&
               g_old_urg.sa_handler != SIG_IGN) {
      g_old_urg.sa_handler(sig);
    }
    errno = saved_errno;
    return;
  }
  if (s->rt && s->rt->parked.load(std::memory_order_acquire)) {
    // It reached a safe point after all: stopped there.
    int asked = kAsked;
    if (s->state.compare_exchange_strong(asked, kAtSafePoint)) announce_stopped();
    errno = saved_errno;
    return;
  }
  const std::uintptr_t pc = interrupted_pc(uctx);
  if (pc != s->last_pc.load(std::memory_order_relaxed)) {
    s->last_pc.store(pc, std::memory_order_relaxed);
    s->moves.fetch_add(1, std::memory_order_relaxed);
  }
  if (!s->force.load(std::memory_order_acquire) && !may_stop_at(*s, mode, pc)) {
#if defined(__x86_64__)
    // Step on, one instruction at a time, to where it may stop (unless the code interrupted
    // blocks SIGTRAP, which a trap would then kill).
    auto* uc = static_cast<ucontext_t*>(uctx);
    greg_t& flags = uc->uc_mcontext.gregs[REG_EFL];
    constexpr greg_t kTrapFlag = 0x100;
    const bool step = pc != 0 && !no_step_at(pc) && !sigismember(&uc->uc_sigmask, SIGTRAP);
    flags = step ? flags | kTrapFlag : flags & ~kTrapFlag;
#endif
    errno = saved_errno;
    return;
  }
#if defined(__x86_64__)
  static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_EFL] &= ~greg_t{0x100};
#endif
  save_registers(uctx, &s->stopped);
  s->stopped.by_signal = true;
  const std::uint32_t resume = g_resume_seq.load(std::memory_order_acquire);
  int asked = kAsked;
  if (!s->state.compare_exchange_strong(asked, kStopped, std::memory_order_acq_rel)) {
    errno = saved_errno;
    return;  // cancelled meanwhile
  }
  if (mode == kExiting) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    announce_stopped();
    wait_forever();
  }
  announce_stopped();
  while (g_resume_seq.load(std::memory_order_acquire) == resume) futex_wait(&g_resume_seq, resume);
  s->state.store(kLeft, std::memory_order_release);
  announce_stopped();  // the stopper waits for every handler to leave the table
  errno = saved_errno;
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    publish_code_ranges();
    struct sigaction sa {};
    sa.sa_sigaction = &on_stop_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;  // workers have an alternate stack
    sigemptyset(&sa.sa_mask);                            // neither interrupts the other's handler
    sigaddset(&sa.sa_mask, SIGURG);
    sigaddset(&sa.sa_mask, SIGTRAP);
    g_old_urg_valid =
        sigaction(SIGURG, &sa, &g_old_urg) == 0 && g_old_urg.sa_sigaction != sa.sa_sigaction;
    sigaction(SIGTRAP, &sa, nullptr);
  });
}

bool all_runtime_parked(const RuntimeThread* self) {
  for (RuntimeThread* t = g_threads.load(std::memory_order_seq_cst); t; t = t->next) {
    if (t != self && !t->parked.load(std::memory_order_acquire)) return false;
  }
  return true;
}

// Waits until every runtime thread but self has parked, until `deadline`.
bool wait_parked(const RuntimeThread* self, std::int64_t deadline) {
  for (;;) {
    const std::uint32_t seen = g_stopped_seq.load(std::memory_order_acquire);
    if (all_runtime_parked(self)) return true;
    const std::int64_t left = deadline - monotonic_now_ns();
    if (left <= 0) return false;
    futex_wait_for(&g_stopped_seq, seen, left);
  }
}

RuntimeThread* find_self() {
  const pthread_t me = pthread_self();
  for (RuntimeThread* t = g_threads.load(std::memory_order_acquire); t; t = t->next) {
    if (pthread_equal(t->thread, me)) return t;
  }
  return nullptr;
}

bool is_runtime_tid(pid_t tid) {
  for (RuntimeThread* t = g_threads.load(std::memory_order_acquire); t; t = t->next) {
    if (t->tid == tid) return true;
  }
  return false;
}

// Adds a slot for every thread of the process not yet in the table, but the caller and the
// runtime's; how many it added, or -1 if the table is full or the threads cannot be listed.
int add_program_threads(SlotTable* table, pid_t me) {
  const int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int added = 0;
  char buf[4096];
  for (;;) {
    const long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      struct Dirent {
        ino64_t ino;
        off64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[];
      };
      const auto* d = reinterpret_cast<const Dirent*>(buf + off);
      off += d->reclen;
      if (d->name[0] < '0' || d->name[0] > '9') continue;
      const auto tid = static_cast<pid_t>(std::atoi(d->name));
      if (tid == me || is_runtime_tid(tid) || find_slot(table, tid)) continue;
      if (!add_slot(table, tid, nullptr)) {
        close(fd);
        return -1;
      }
      ++added;
    }
  }
  close(fd);
  return added;
}

// Signals every slot still asked until each has stopped (see the top); false if one has not by
// `give_up` (exit: after kGiveUpAfter, with what it could stop; a pause: at its timeout). With
// `program`, threads started meanwhile are added as they appear.
bool signal_until_stopped(SlotTable* table, std::int64_t since, std::int64_t give_up, bool program,
                          pid_t me) {
  install_handlers();
  for (;;) {
    const std::int64_t now = monotonic_now_ns();
    if (now >= give_up) return false;
    bool waiting = false;
    const int n = table->n.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i) {
      Slot& s = table->slots[i];
      if (s.state.load(std::memory_order_acquire) != kAsked) continue;
      if (s.rt && s.rt->parked.load(std::memory_order_acquire)) {
        int asked = kAsked;
        s.state.compare_exchange_strong(asked, kAtSafePoint);
        continue;
      }
      const std::uint32_t moves = s.moves.load(std::memory_order_relaxed);
      if (s.seen_at_ns == 0 || moves != s.moves_seen) {
        s.moves_seen = moves;
        s.seen_at_ns = now;
      } else if (s.rt && now - s.seen_at_ns >= kStuckFor) {
        s.force.store(true, std::memory_order_release);
      }
      if (s.rt && now - since >= kForceAfter) s.force.store(true, std::memory_order_release);
      if (syscall(SYS_tgkill, getpid(), s.tid, SIGURG) != 0 && errno == ESRCH) {
        int asked = kAsked;
        s.state.compare_exchange_strong(asked, kGone);  // it has exited
        continue;
      }
      waiting = true;
    }
    if (!waiting) {
      if (!program) return true;
      const int added = add_program_threads(table, me);
      if (added < 0) return false;
      if (added == 0) return true;
      continue;
    }
    const std::uint32_t seen = g_stopped_seq.load(std::memory_order_acquire);
    futex_wait_for(&g_stopped_seq, seen, kSignalEvery);
  }
}

void wake_parked() {
  g_resume_seq.fetch_add(1, std::memory_order_release);
  futex_wake_all(&g_resume_seq);
}

// Stops the runtime's threads (but the caller) at safe points, and by signal those that do not
// reach one within the grace period.
bool stop_runtime_threads(SlotTable* table, std::int64_t since, std::int64_t give_up) {
  RuntimeThread* self = find_self();
  for (RuntimeThread* t = g_threads.load(std::memory_order_seq_cst); t; t = t->next) {
    if (t != self) t->nudge(t->arg);
  }
  if (wait_parked(self, std::min(give_up, since + kSafePointGrace))) return true;
  for (RuntimeThread* t = g_threads.load(std::memory_order_acquire); t; t = t->next) {
    if (t != self && !t->parked.load(std::memory_order_acquire) && !add_slot(table, t->tid, t)) {
      return false;
    }
  }
  return signal_until_stopped(table, since, give_up, false, 0);
}

}  // namespace

RuntimeThread* register_runtime_thread(void (*nudge)(void*), void* arg, const void* loop_frame) {
  auto* t = new RuntimeThread(nudge, arg, loop_frame);  // never freed: runtime threads never end
  t->next = g_threads.load(std::memory_order_relaxed);
  while (!g_threads.compare_exchange_weak(t->next, t, std::memory_order_seq_cst)) {
  }
  g_nthreads.fetch_add(1, std::memory_order_seq_cst);
  // Registered while the world was stopping (the stopper may not have seen it): the caller's
  // first test of stop_requested() sees the flag, as this seq_cst load did.
  (void)g_world_stop.load(std::memory_order_seq_cst);
  return t;
}

void stop_here(RuntimeThread* self) {
  for (;;) {
    const std::uint32_t resume = g_resume_seq.load(std::memory_order_acquire);
    const std::uint32_t mode = g_world_stop.load(std::memory_order_seq_cst);
    if (mode == kRunning) return;
    if (mode == kExiting) {
      sigset_t all;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, nullptr);  // the process's signals go to threads that run
      self->parked.store(true, std::memory_order_release);
      announce_stopped();
      wait_forever();
    }
    self->parked.store(true, std::memory_order_release);
    announce_stopped();
    while (g_resume_seq.load(std::memory_order_acquire) == resume) {
      futex_wait(&g_resume_seq, resume);
    }
    self->parked.store(false, std::memory_order_release);
  }
}

bool stop_world(StopMode mode, int timeout_ms) {
  if (mode == StopMode::kExit && !stop_mutex().try_lock()) {
    // Another thread is exiting (then this runtime thread is part of its world), or pausing.
    RuntimeThread* self = find_self();
    if (self && g_world_stop.load(std::memory_order_seq_cst) == kExiting) stop_here(self);
    stop_mutex().lock();
  } else if (mode == StopMode::kPause) {
    stop_mutex().lock();
  }
  SlotTable* table = slot_table();
  const pid_t me = gettid_now();
  const std::int64_t since = monotonic_now_ns();
  if (mode == StopMode::kExit) {
    if (g_exit_stopped) return true;  // this thread's second way out (exit.cc)
    g_exit_stopped = true;
    g_world_stop.store(kExiting, std::memory_order_seq_cst);
    if (table) table->mode.store(kExiting, std::memory_order_release);
    if (g_pause_depth > 0) return true;  // exit from inside a pause: stopped, and stays so
    if (!table || !stop_runtime_threads(table, since, since + kGiveUpAfter)) {
      if (table) {
        const int n = table->n.load(std::memory_order_acquire);
        for (int i = 0; i < n; ++i) {
          int asked = kAsked;
          table->slots[i].state.compare_exchange_strong(asked, kCancelled);
        }
      }
      // Not through stdio: a thread that would not stop may hold its lock.
      static const char msg[] =
          "weave: exit could not stop a worker that blocks signals; its fiber may race with "
          "static destructors\n";
      (void)!write(2, msg, sizeof msg - 1);
    }
    return true;
  }
  if (g_pause_depth++ > 0) return true;  // nested in a pause of this thread's
  if (!table) {
    --g_pause_depth;
    stop_mutex().unlock();
    return false;
  }
  const std::int64_t give_up = since + static_cast<std::int64_t>(timeout_ms) * 1'000'000;
  bool ok = true;
  table->mode.store(kPausing, std::memory_order_release);
  if (!g_exit_stopped) {  // else the runtime's threads are frozen already, by exit's rules
    g_world_stop.store(kPausing, std::memory_order_seq_cst);
    ok = stop_runtime_threads(table, since, give_up);
  }
  // The program's threads, after the runtime's (see the top).
  if (ok) {
    ok = add_program_threads(table, me) >= 0 &&
         signal_until_stopped(table, since, give_up, true, me);
  }
  if (!ok) {
    resume_world();
    return false;
  }
  return true;
}

void resume_world() {
  if (--g_pause_depth > 0) {
    stop_mutex().unlock();
    return;
  }
  SlotTable* table = g_slots.load(std::memory_order_acquire);
  if (!g_exit_stopped) g_world_stop.store(kRunning, std::memory_order_seq_cst);
  // Exit's slots (its runtime threads, frozen for good) come first and stay; the pause's go.
  const int n = table->n.load(std::memory_order_acquire);
  int keep = 0;
  if (g_exit_stopped) {
    while (keep < n && table->slots[keep].rt) ++keep;
  }
  for (int i = keep; i < n; ++i) {
    int asked = kAsked;
    table->slots[i].state.compare_exchange_strong(asked, kCancelled);
  }
  wake_parked();
  for (int i = keep; i < n; ++i) {  // the handlers leave the table before it is reused
    const Slot& s = table->slots[i];
    for (;;) {
      const std::uint32_t seen = g_stopped_seq.load(std::memory_order_acquire);
      if (s.state.load(std::memory_order_acquire) != kStopped) break;
      futex_wait_for(&g_stopped_seq, seen, kSignalEvery);
    }
  }
  table->n.store(keep, std::memory_order_release);
  table->mode.store(g_exit_stopped ? kExiting : kRunning, std::memory_order_release);
  stop_mutex().unlock();
}

void for_each_stopped_thread(void (*fn)(const StoppedThread& t, void* arg), void* arg) {
  const pid_t me = gettid_now();
  SlotTable* table = g_slots.load(std::memory_order_acquire);
  for (RuntimeThread* t = g_threads.load(std::memory_order_acquire); t; t = t->next) {
    const Slot* s = t->tid == me ? nullptr : find_slot(table, t->tid);
    if (s && s->state.load(std::memory_order_acquire) == kStopped) {
      fn(s->stopped, arg);
    } else {
      StoppedThread at_safe_point;
      at_safe_point.tid = t->tid;
      at_safe_point.runtime = true;
      at_safe_point.loop_frame = t->loop_frame;
      fn(at_safe_point, arg);
    }
  }
  const int n = table ? table->n.load(std::memory_order_acquire) : 0;
  for (int i = 0; i < n; ++i) {
    const Slot& s = table->slots[i];
    if (!s.rt && s.state.load(std::memory_order_acquire) == kStopped) fn(s.stopped, arg);
  }
}

const void* stop_table_mapping(std::size_t* size) {
  *size = sizeof(SlotTable);
  return g_slots.load(std::memory_order_acquire);
}

bool exit_stopped_by_signal() {
  const SlotTable* table = g_slots.load(std::memory_order_acquire);
  const int n = table ? table->n.load(std::memory_order_acquire) : 0;
  for (int i = 0; i < n; ++i) {
    const Slot& s = table->slots[i];
    if (s.rt && s.state.load(std::memory_order_acquire) == kStopped) return true;
  }
  return false;
}

bool is_runtime_thread() { return find_self() != nullptr; }

int runtime_thread_count() { return g_nthreads.load(std::memory_order_seq_cst); }

}  // namespace weave::detail
