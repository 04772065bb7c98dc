// Unreachable fibers (see reach.h).
//
// The analysis runs with every other thread of the process stopped wherever it was, maybe inside
// malloc or holding a lock of the runtime's: it allocates nothing from the heap and takes no lock
// but the registry's thread list, which it takes before stopping the world. What it keeps lives
// in one mapping of its own (the Arena), which it never reads: tables that list channel
// addresses, read as roots, would make every channel live. For the same reason the calling
// thread's stack is read only above the frame that entered the analysis.
#include "debug/reach.h"

#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "chan.h"
#include "debug/heap.h"
#include "fiber.h"
#include "registry.h"
#include "stack.h"
#include "task.h"
#include "waiter.h"
#include "world.h"

namespace weave::detail::debug {
namespace {

using Addr = std::uintptr_t;

// How long the world may take to stop. Every thread stops within microseconds of its signal on
// an idle machine; a loaded one may not run a thread for a good part of a second. Only a thread
// that blocks the signal waits it out whole (then nothing is marked).
constexpr int kStopTimeoutMs = 1000;

// Below a stack pointer, where leaf functions keep data without moving it (x86-64's red zone).
constexpr Addr kRedZone = 128;
// A mapping this large is a reservation (a sanitizer's shadow, another runtime's heap) that
// cannot be read in time; the analysis does not run beside one.
constexpr Addr kTooLarge = Addr{16} << 30;

Addr addr(const void* p) { return reinterpret_cast<Addr>(p); }

struct Range {
  Addr lo = 0, hi = 0;
};

bool by_lo(const Range& a, const Range& b) { return a.lo < b.lo; }

// Bump allocation from one private mapping, freed whole.
class Arena {
 public:
  explicit Arena(std::size_t bytes) : size_((bytes + 4095) & ~std::size_t{4095}) {
    void* m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    base_ = m == MAP_FAILED ? nullptr : static_cast<char*>(m);
  }
  ~Arena() {
    if (base_) munmap(base_, size_);
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  bool ok() const { return base_ != nullptr; }
  Range range() const { return {addr(base_), addr(base_) + size_}; }
  // n objects of T, value-initialized (the mapping is zeroed); null if it does not fit.
  template <class T>
  T* take(std::size_t n) {
    used_ = (used_ + alignof(T) - 1) & ~(alignof(T) - 1);
    if (used_ + n * sizeof(T) > size_) return nullptr;
    T* p = reinterpret_cast<T*>(base_ + used_);
    used_ += n * sizeof(T);
    for (std::size_t i = 0; i < n; ++i) new (p + i) T();
    return p;
  }

 private:
  std::size_t size_;
  char* base_ = nullptr;
  std::size_t used_ = 0;
};

// --- the process's mappings --------------------------------------------------------------------

struct Mapping {
  Range r;
  bool readable = false;
  bool writable = false;
  bool priv = false;
  bool anon = false;
  bool special = false;     // [vvar], [vdso], [vsyscall]: not memory the program writes
  bool main_heap = false;   // [heap]: the main arena of malloc
  bool main_stack = false;  // [stack]: the main thread's
};

// Calls fn(mapping) for every line of /proc/self/maps; false if it cannot be read. Reads through
// a fixed buffer: no allocation.
template <class F>
bool for_each_mapping(F fn) {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[8192];
  std::size_t have = 0;
  bool eof = false;
  while (!eof || have > 0) {
    if (!eof) {
      const ssize_t n = read(fd, buf + have, sizeof buf - have);
      if (n <= 0) eof = true;
      if (n > 0) have += static_cast<std::size_t>(n);
    }
    char* nl = static_cast<char*>(std::memchr(buf, '\n', have));
    if (!nl) {
      if (eof || have == sizeof buf) break;
      continue;
    }
    *nl = 0;
    unsigned long lo = 0, hi = 0;
    char perms[5] = {};
    int path_at = 0;
    if (std::sscanf(buf, "%lx-%lx %4s %*s %*s %*s %n", &lo, &hi, perms, &path_at) >= 3) {
      const char* path = path_at > 0 ? buf + path_at : "";
      Mapping m;
      m.r = {Addr{lo}, Addr{hi}};
      m.readable = perms[0] == 'r';
      m.writable = perms[1] == 'w';
      m.priv = perms[3] == 'p';
      m.anon = path[0] == 0 || path[0] == '[';
      m.special = std::strncmp(path, "[vvar", 5) == 0 || std::strcmp(path, "[vdso]") == 0 ||
                  std::strcmp(path, "[vsyscall]") == 0;
      m.main_heap = std::strcmp(path, "[heap]") == 0;
      m.main_stack = std::strcmp(path, "[stack]") == 0;
      fn(m);
    }
    const std::size_t used = static_cast<std::size_t>(nl + 1 - buf);
    std::memmove(buf, nl + 1, have - used);
    have -= used;
  }
  close(fd);
  return true;
}

// The mapping holding a, in the sorted maps; null if none.
const Mapping* mapping_of(const Mapping* maps, int n, Addr a) {
  const Mapping* m =
      std::upper_bound(maps, maps + n, a, [](Addr v, const Mapping& x) { return v < x.r.lo; });
  if (m == maps || a >= (m - 1)->r.hi) return nullptr;
  return m - 1;
}

// --- fibers, objects, chunks -------------------------------------------------------------------

struct StackRec {
  Range region;  // the whole region: usable stack, control block, descriptor
  const Fiber* fiber = nullptr;
  Addr internal_lo = 0;    // its control block and descriptor: the runtime's pointers aim there
  Range waiters;           // its published waiters, while parked
  Addr source_lo = 0;      // where its live part begins (the saved or stopped stack pointer)
  bool candidate = false;  // blocked in a way only another task can end
  bool live = false;
  bool referenced = false;      // something live points into it (or it is live): read it
  Addr referenced_from = 0;     // the word that did (for WEAVE_REACH_TRACE); 0: live itself
  Addr live_because = 0;        // a candidate made live: the object it waits on that is live
  int first_obj = 0, nobj = 0;  // its wait objects, in objs
};

enum class ObjKind : unsigned char { kChan, kMutex, kOther };

struct ObjRec {
  Addr addr = 0;
  ObjKind kind = ObjKind::kOther;
  int on_stack = -1;  // the fiber stack it lies in, or -1
  Addr chunk = 0;     // the heap chunk it lies in, or 0
};

struct HeldRec {  // a lock some task holds
  Addr lock = 0;
  int holder_stack = -1;  // a fiber's stack; -1: a plain thread (always live)
};

struct LeafRec {
  Addr base = 0;
  const std::atomic<std::uint64_t>* bits = nullptr;
  std::uint64_t* marks = nullptr;
};

// Fibers whose wait only another task can end.
bool is_candidate(WaitReason r) { return r != WaitReason::kNone && r != WaitReason::kSleep; }

ObjKind kind_of(WaitReason r) {
  switch (r) {
    case WaitReason::kChanSend:
    case WaitReason::kChanRecv:
    case WaitReason::kSelect:
      return ObjKind::kChan;
    case WaitReason::kMutexLock:
    case WaitReason::kRWMutexLock:
    case WaitReason::kRWMutexRLock:
      return ObjKind::kMutex;
    default:
      return ObjKind::kOther;
  }
}

// Whether a waker has already taken the fiber off its queues (then it is about to run).
bool being_woken(const Task* t) {
  const Waiter* w = t->dbg.waiters;
  for (int i = 0; i < t->dbg.nwaiters; ++i) {
    if (w[i].task != t) continue;
    if (w[i].select && w[i].select->fired.load(std::memory_order_acquire) >= 0) return true;
    if (w[i].queued) return false;
  }
  return t->dbg.nwaiters > 0;
}

// --- marking -----------------------------------------------------------------------------------

class Marker {
 public:
  Marker(StackRec* stacks, int nstacks, LeafRec* leaves, int nleaves, Addr* starts,
         std::size_t* sizes, Addr* marked_from, std::size_t nchunks, Range* work,
         std::size_t work_cap)
      : stacks_(stacks),
        nstacks_(nstacks),
        leaves_(leaves),
        nleaves_(nleaves),
        starts_(starts),
        sizes_(sizes),
        marked_from_(marked_from),
        nchunks_(nchunks),
        work_(work),
        work_cap_(work_cap) {
    min_ = ~Addr{0};
    max_ = 0;
    if (nstacks_ > 0) {
      min_ = std::min(min_, stacks_[0].region.lo);
      max_ = std::max(max_, stacks_[nstacks_ - 1].region.hi);
    }
    if (nchunks_ > 0) {
      min_ = std::min(min_, starts_[0]);
      max_ = std::max(max_, starts_[nchunks_ - 1] + sizes_[nchunks_ - 1]);
    }
  }

  // Reads every word of [lo, hi) as a possible pointer.
  [[gnu::no_sanitize_address]] void scan(Addr lo, Addr hi) {
    lo = (lo + sizeof(Addr) - 1) & ~(sizeof(Addr) - 1);
    for (Addr p = lo; p + sizeof(Addr) <= hi; p += sizeof(Addr)) {
      const Addr w = *reinterpret_cast<const Addr*>(p);
      if (w < min_ || w >= max_) continue;
      hit(w, p);
    }
  }

  // Marks stack i as pointed into, and queues its live part to be read.
  void reference(int i, Addr from = 0) {
    StackRec& s = stacks_[i];
    if (s.referenced) return;
    s.referenced = true;
    s.referenced_from = from;
    if (s.fiber) push({s.source_lo, s.internal_lo});
  }

  void make_live(int i) {
    stacks_[i].live = true;
    reference(i);
  }

  void drain() {
    while (nwork_ > 0) {
      const Range r = work_[--nwork_];
      scan(r.lo, r.hi);
    }
  }

  bool overflowed() const { return overflow_; }

  int stack_of(Addr a) const {
    const StackRec* s = std::upper_bound(stacks_, stacks_ + nstacks_, a,
                                         [](Addr v, const StackRec& r) { return v < r.region.lo; });
    if (s == stacks_ || a >= (s - 1)->region.hi) return -1;
    return static_cast<int>(s - 1 - stacks_);
  }

  // The live heap chunk holding a, or 0.
  Addr chunk_of(Addr a) const {
    const Addr base = a & ~(heap::kLeafBytes - 1);
    const LeafRec* l = std::lower_bound(leaves_, leaves_ + nleaves_, base,
                                        [](const LeafRec& x, Addr v) { return x.base < v; });
    if (l != leaves_ + nleaves_ && l->base == base && (a & (heap::kGranule - 1)) == 0) {
      const std::size_t g = (a - base) / heap::kGranule;
      if (l->bits[g / 64].load(std::memory_order_relaxed) & (std::uint64_t{1} << (g % 64))) {
        return a;  // most pointers point at a chunk's start
      }
    }
    const Addr* s = std::upper_bound(starts_, starts_ + nchunks_, a);
    if (s == starts_) return 0;
    const std::size_t i = static_cast<std::size_t>(s - 1 - starts_);
    return a < starts_[i] + sizes_[i] ? starts_[i] : 0;
  }

  std::size_t chunk_index(Addr start) const {
    return static_cast<std::size_t>(std::lower_bound(starts_, starts_ + nchunks_, start) - starts_);
  }
  Addr marked_from(Addr start) const { return marked_from_[chunk_index(start)]; }

  bool chunk_marked(Addr start) const {
    const LeafRec* l = leaf_of(start);
    const std::size_t g = (start - l->base) / heap::kGranule;
    return (l->marks[g / 64] >> (g % 64)) & 1;
  }

 private:
  const LeafRec* leaf_of(Addr start) const {
    const Addr base = start & ~(heap::kLeafBytes - 1);
    return std::lower_bound(leaves_, leaves_ + nleaves_, base,
                            [](const LeafRec& x, Addr v) { return x.base < v; });
  }

  void push(Range r) {
    if (r.hi <= r.lo) return;
    if (nwork_ == work_cap_) {
      overflow_ = true;  // cannot happen: each stack and chunk is queued once
      return;
    }
    work_[nwork_++] = r;
  }

  void hit(Addr w, Addr from) {
    const int si = stack_of(w);
    if (si >= 0) {
      const StackRec& r = stacks_[si];
      if (r.fiber && w >= r.internal_lo) return;  // the runtime's pointers
      if (r.fiber && w < r.source_lo) return;     // below its stack pointer: dead frames
      if (w >= r.waiters.lo && w < r.waiters.hi) return;
      reference(si, from);
      return;
    }
    const Addr c = chunk_of(w);
    if (c == 0) return;
    const LeafRec* l = leaf_of(c);
    const std::size_t g = (c - l->base) / heap::kGranule;
    std::uint64_t& word = l->marks[g / 64];
    const std::uint64_t bit = std::uint64_t{1} << (g % 64);
    if (word & bit) return;
    word |= bit;
    marked_from_[chunk_index(c)] = from;
    push({c, c + heap::chunk_size(c)});
  }

  StackRec* stacks_;
  int nstacks_;
  LeafRec* leaves_;
  int nleaves_;
  const Addr* starts_;
  const std::size_t* sizes_;
  Addr* marked_from_;
  std::size_t nchunks_;
  Range* work_;
  std::size_t work_cap_;
  std::size_t nwork_ = 0;
  bool overflow_ = false;
  Addr min_ = 0, max_ = 0;
};

// Reads [lo, hi) minus the sorted, disjoint ranges `skip`.
void scan_except(Marker& m, Addr lo, Addr hi, const Range* skip, int nskip) {
  const Range* s =
      std::lower_bound(skip, skip + nskip, lo, [](const Range& r, Addr v) { return r.hi <= v; });
  for (; lo < hi && s != skip + nskip && s->lo < hi; ++s) {
    if (s->lo > lo) m.scan(lo, s->lo);
    lo = std::max(lo, s->hi);
  }
  if (lo < hi) m.scan(lo, hi);
}

int sort_and_merge(Range* r, int n) {
  std::sort(r, r + n, by_lo);
  int merged = 0;
  for (int i = 0; i < n; ++i) {
    if (merged > 0 && r[i].lo <= r[merged - 1].hi) {
      r[merged - 1].hi = std::max(r[merged - 1].hi, r[i].hi);
    } else {
      r[merged++] = r[i];
    }
  }
  return merged;
}

// What the analysis found, in the caller's Unreachable.
struct Found {
  const char* why_not = nullptr;
  std::uint64_t* ids = nullptr;
  std::size_t n = 0, bytes = 0;
};

// WEAVE_REACH_TRACE: why each blocked fiber found live is live, as the chain of words that
// reached what it waits on; written into a buffer of its own while the world is stopped, printed
// after.
struct Trace {
  char* buf = nullptr;
  std::size_t len = 0, cap = 0;
  template <class... A>
  void add(const char* fmt, A... a) {
    if (!buf || len >= cap) return;
    const int n = std::snprintf(buf + len, cap - len, fmt, a...);
    if (n > 0) len = std::min(cap, len + static_cast<std::size_t>(n));
  }
};

// A stopped thread, as its roots: where its stack stops holding anything live, and the registers
// to read. Copied: for_each_stopped_thread passes a runtime thread parked at its safe point as a
// temporary.
struct ThreadRoot {
  pid_t tid = 0;
  bool runtime = false;
  bool by_signal = false;
  Addr loop_frame = 0;
  Addr sp = 0;
  const StoppedThread* regs = nullptr;  // by_signal: its slot, which outlives the analysis
};
struct ThreadRoots {
  ThreadRoot* threads;
  int n, cap;
};

// The caller's frames (and the registers find_unreachable spilled) lie above this frame; this
// frame's own locals, which list channel addresses, below its frame pointer.
[[gnu::noinline]] Found analyse(bool exiting, Trace* trace) {
  const void* entry_sp = __builtin_frame_address(0);
  Found found;
  auto fail = [&](const char* why) {
    found.why_not = why;
    return found;
  };
  if (!heap::complete()) {
    return fail(heap::interposed() ? "a heap chunk could not be recorded"
                                   : "the heap is a sanitizer's, which weave cannot read");
  }

  // Sizes first, for the arena.
  const std::size_t nstacks = stacks_made();
  std::size_t nwaiters = 0;
  for (std::size_t i = 0; i < nstacks; ++i) {
    const Fiber* f = stack_at(i)->fiber.load(std::memory_order_acquire);
    if (f && is_candidate(f->wait_reason.load(std::memory_order_acquire))) {
      nwaiters += static_cast<std::size_t>(std::max(1, f->dbg.nwaiters));
    }
  }
  const int nleaves_made = heap::leaf_count();
  std::size_t nchunks = 0;
  for (int i = 0; i < nleaves_made; ++i) {
    const heap::Leaf l = heap::leaf_at(i);
    if (!l.bits) continue;
    for (std::size_t k = 0; k < heap::kLeafWords; ++k) {
      nchunks += static_cast<std::size_t>(std::popcount(l.bits[k].load(std::memory_order_relaxed)));
    }
  }
  int nmaps = 0;
  if (!for_each_mapping([&](const Mapping&) { ++nmaps; }))
    return fail("cannot read /proc/self/maps");
  nmaps += 64;  // mappings made meanwhile (the arena)
  int nthreads = 0;
  for_each_stopped_thread([](const StoppedThread&, void* n) { ++*static_cast<int*>(n); },
                          &nthreads);
  std::size_t nheld = 0;
  registry_visit_threads_held(
      [](Task*, void* n) { *static_cast<std::size_t*>(n) += kMaxHeldLocks; }, &nheld);
  nheld += nstacks * kMaxHeldLocks;
  const std::size_t nskip_cap = nstacks + static_cast<std::size_t>(nmaps) + 2 * nthreads +
                                heap::kMaxPrivateMappings + nchunks + 16;
  Arena arena(nstacks * sizeof(StackRec) + nwaiters * sizeof(ObjRec) +
              nleaves_made * (sizeof(LeafRec) + heap::kLeafWords * sizeof(std::uint64_t)) +
              nchunks * (2 * sizeof(Addr) + sizeof(std::size_t)) +
              (nchunks + nstacks + 16) * sizeof(Range) + nmaps * sizeof(Mapping) +
              nskip_cap * sizeof(Range) + nthreads * sizeof(StoppedThread*) +
              nheld * sizeof(HeldRec) + nstacks * sizeof(std::uint64_t) + (1 << 16));
  if (!arena.ok()) return fail("no memory for the analysis");
  auto* stacks = arena.take<StackRec>(nstacks);
  auto* objs = arena.take<ObjRec>(nwaiters + 1);
  auto* leaves = arena.take<LeafRec>(static_cast<std::size_t>(nleaves_made) + 1);
  auto* starts = arena.take<Addr>(nchunks + 1);
  auto* sizes = arena.take<std::size_t>(nchunks + 1);
  auto* marked_from = arena.take<Addr>(nchunks + 1);
  auto* work = arena.take<Range>(nchunks + nstacks + 16);
  auto* maps = arena.take<Mapping>(static_cast<std::size_t>(nmaps));
  auto* skip = arena.take<Range>(nskip_cap);
  auto* threads = arena.take<ThreadRoot>(static_cast<std::size_t>(nthreads) + 1);
  auto* held = arena.take<HeldRec>(nheld + 1);
  if (!held) return fail("no memory for the analysis");
  int nskip = 0;
  auto add_skip = [&](Addr lo, Addr hi) {
    if (hi > lo && static_cast<std::size_t>(nskip) < nskip_cap) skip[nskip++] = {lo, hi};
  };

  // The mappings, sorted (the kernel lists them in order).
  int nm = 0;
  bool too_large = false;
  for_each_mapping([&](const Mapping& m) {
    if (nm < nmaps) maps[nm++] = m;
  });
  for (int i = 0; i < heap::private_mapping_count(); ++i) {
    Addr lo, hi;
    heap::private_mapping_at(i, &lo, &hi);
    add_skip(lo, hi);
  }
  {
    std::size_t size = 0;
    const void* table = stop_table_mapping(&size);
    add_skip(addr(table), addr(table) + size);
  }
  add_skip(arena.range().lo, arena.range().hi);
  for (int i = 0; i < nm; ++i) {
    const Mapping& m = maps[i];
    if (m.readable && m.r.hi - m.r.lo >= kTooLarge) {
      bool ours = false;
      for (int k = 0; k < nskip; ++k) ours = ours || (skip[k].lo <= m.r.lo && m.r.hi <= skip[k].hi);
      too_large = too_large || !ours;
    }
  }
  if (too_large) return fail("a memory mapping is too large to read");

  // The heap's live chunks, in address order, each checked to lie in memory it can read.
  int nleaves = 0;
  for (int i = 0; i < nleaves_made; ++i) {
    const heap::Leaf l = heap::leaf_at(i);
    if (l.bits) leaves[nleaves++] = {l.base, l.bits, nullptr};
  }
  std::sort(leaves, leaves + nleaves,
            [](const LeafRec& a, const LeafRec& b) { return a.base < b.base; });
  std::size_t nc = 0;
  Range arena_heap;  // the last thread arena's heap skipped
  for (int i = 0; i < nleaves; ++i) {
    leaves[i].marks = arena.take<std::uint64_t>(heap::kLeafWords);
    if (!leaves[i].marks) return fail("no memory for the analysis");
    for (std::size_t k = 0; k < heap::kLeafWords; ++k) {
      std::uint64_t bits = leaves[i].bits[k].load(std::memory_order_relaxed);
      while (bits != 0 && nc < nchunks) {
        const int b = std::countr_zero(bits);
        bits &= bits - 1;
        const Addr start = leaves[i].base + (k * 64 + static_cast<std::size_t>(b)) * heap::kGranule;
        const Mapping* m = mapping_of(maps, nm, start);
        if (!m || !m->readable) return fail("a heap chunk lies outside readable memory");
        const std::size_t size = heap::chunk_size(start);
        if (start + size > m->r.hi) return fail("a heap chunk's header is damaged");
        starts[nc] = start;
        sizes[nc] = size;
        ++nc;
        // malloc's own memory is not a root: a thread arena's heap, a chunk mapped alone.
        Addr lo, hi;
        if (heap::chunk_mmapped(start)) {
          add_skip((start - 2 * sizeof(std::size_t)) & ~Addr{4095},
                   (start + size + 4095) & ~Addr{4095});
        } else if (heap::chunk_in_thread_arena(start) &&
                   (start < arena_heap.lo || start >= arena_heap.hi) &&
                   heap::thread_arena_heap(start, &lo, &hi)) {
          arena_heap = {lo, hi};
          add_skip(lo, hi);
        }
      }
    }
  }
  nchunks = nc;

  // The fiber stacks.
  const Fiber* self = current_fiber();
  for (std::size_t i = 0; i < nstacks; ++i) {
    const Stack* st = stack_at(i);
    StackRec& s = stacks[i];
    s.region = {addr(st->base), addr(st) + sizeof(Stack)};
    const Fiber* f = st->fiber.load(std::memory_order_acquire);
    if (!f) continue;
    s.fiber = f;
    s.internal_lo = addr(f);
    s.source_lo = f == self ? addr(entry_sp) : addr(f->context);
    if (s.source_lo < s.region.lo || s.source_lo > s.internal_lo) s.source_lo = s.region.lo;
  }
  std::sort(stacks, stacks + nstacks,
            [](const StackRec& a, const StackRec& b) { return a.region.lo < b.region.lo; });
  for (std::size_t i = 0; i < nstacks; ++i) add_skip(stacks[i].region.lo, stacks[i].region.hi);

  Marker m(stacks, static_cast<int>(nstacks), leaves, nleaves, starts, sizes, marked_from, nchunks,
           work, nchunks + nstacks + 16);

  // The stopped threads: a fiber a worker was running when the signal stopped it reads from
  // there; each thread's stack, from its stack pointer (or its loop's frame) up, is a root.
  ThreadRoots tr{threads, 0, nthreads};
  for_each_stopped_thread(
      [](const StoppedThread& t, void* p) {
        auto* r = static_cast<ThreadRoots*>(p);
        if (r->n == r->cap) return;
        r->threads[r->n++] = ThreadRoot{
            t.tid, t.runtime, t.by_signal, addr(t.loop_frame), t.sp, t.by_signal ? &t : nullptr};
      },
      &tr);
  for (int i = 0; i < tr.n; ++i) {
    const ThreadRoot& t = threads[i];
    Addr cut = t.runtime ? t.loop_frame : 0;
    if (t.by_signal) {
      const Addr sp = t.sp > kRedZone ? t.sp - kRedZone : 0;
      const int si = m.stack_of(t.sp);
      if (si >= 0 && stacks[si].fiber) {
        stacks[si].source_lo = std::max(stacks[si].region.lo, sp);  // running it
        stacks[si].candidate = false;
        m.make_live(si);
      } else {
        cut = cut ? std::min(cut, sp) : sp;
      }
    }
    if (const Mapping* mp = cut ? mapping_of(maps, nm, cut) : nullptr) add_skip(mp->r.lo, cut);
  }
  // The caller: a fiber reads from this frame up; a plain thread's stack is cut here, or is
  // dead whole when it is main's and main is exiting (the thread-locals of main lie elsewhere).
  if (!self) {
    const Addr sp = addr(entry_sp);
    if (const Mapping* mp = mapping_of(maps, nm, sp)) {
      add_skip(mp->r.lo, exiting && mp->main_stack ? mp->r.hi : sp);
    }
  }

  // Candidates and what they wait on; the others can run.
  int nobjs = 0;
  for (std::size_t i = 0; i < nstacks; ++i) {
    StackRec& s = stacks[i];
    const Fiber* f = s.fiber;
    if (!f || s.live) continue;
    if (f == self) {
      if (!exiting) m.make_live(static_cast<int>(i));  // exiting: never runs again
      continue;
    }
    const WaitReason why = f->wait_reason.load(std::memory_order_acquire);
    if (!is_candidate(why) || being_woken(f)) {
      m.make_live(static_cast<int>(i));
      continue;
    }
    s.candidate = true;
    if (f->dbg.nwaiters > 0) {
      s.waiters = {addr(f->dbg.waiters), addr(f->dbg.waiters + f->dbg.nwaiters)};
    }
    s.first_obj = nobjs;
    const Waiter* w = f->dbg.waiters;
    for (int k = 0; k < f->dbg.nwaiters && static_cast<std::size_t>(nobjs) < nwaiters; ++k) {
      if (w[k].task != f || !w[k].on) continue;
      ObjRec& o = objs[nobjs++];
      o.addr = addr(w[k].on);
      o.kind = kind_of(why);
      o.on_stack = m.stack_of(o.addr);
      o.chunk = o.on_stack >= 0 ? 0 : m.chunk_of(o.addr);
    }
    s.nobj = nobjs - s.first_obj;  // none: a nil channel or an empty select, never live
  }

  // Who holds which lock: a mutex whose holder can run can be unlocked.
  std::size_t nh = 0;
  for (std::size_t i = 0; i < nstacks; ++i) {
    if (!stacks[i].fiber) continue;
    const TaskState& d = stacks[i].fiber->dbg;
    for (int k = 0, n = d.held_count(); k < n; ++k) {
      const void* l = d.held(k).lock.load(std::memory_order_acquire);
      if (l && nh < nheld) held[nh++] = {addr(l), static_cast<int>(i)};
    }
  }
  struct HeldArg {
    HeldRec* held;
    std::size_t* n;
    std::size_t cap;
  } ha{held, &nh, nheld};
  registry_visit_threads_held(
      [](Task* t, void* p) {
        auto* a = static_cast<HeldArg*>(p);
        for (int k = 0, n = t->dbg.held_count(); k < n; ++k) {
          const void* l = t->dbg.held(k).lock.load(std::memory_order_acquire);
          if (l && *a->n < a->cap) a->held[(*a->n)++] = {addr(l), -1};
        }
      },
      &ha);

  // The roots: the registers of the threads the signal stopped (once every candidate's waiters
  // are known), and every mapping that may hold a pointer, but what the skips say.
  for (int i = 0; i < tr.n; ++i) {
    if (const StoppedThread* r = threads[i].regs)
      m.scan(addr(r->words), addr(r->words + r->nwords));
  }
  nskip = sort_and_merge(skip, nskip);
  for (int i = 0; i < nm; ++i) {
    const Mapping& mp = maps[i];
    if (!mp.readable || !mp.priv || mp.special || mp.main_heap || !(mp.writable || mp.anon))
      continue;
    scan_except(m, mp.r.lo, mp.r.hi, skip, nskip);
  }

  auto object_live = [&](const ObjRec& o) {
    if (o.on_stack >= 0) return stacks[o.on_stack].referenced;
    if (o.chunk != 0) return m.chunk_marked(o.chunk);
    return true;  // a global, a thread's stack, memory weave does not know
  };
  auto holder_live = [&](Addr lock) {
    for (std::size_t k = 0; k < nh; ++k) {
      if (held[k].lock == lock && (held[k].holder_stack < 0 || stacks[held[k].holder_stack].live)) {
        return true;
      }
    }
    return false;
  };
  for (bool changed = true; changed;) {
    m.drain();
    changed = false;
    for (std::size_t i = 0; i < nstacks; ++i) {
      StackRec& s = stacks[i];
      if (!s.candidate || s.live) continue;
      bool wakeable = false;
      for (int k = 0; k < s.nobj && !wakeable; ++k) {
        const ObjRec& o = objs[s.first_obj + k];
        wakeable = object_live(o) || (o.kind == ObjKind::kMutex && holder_live(o.addr));
        if (wakeable) s.live_because = o.addr;
      }
      if (wakeable) {
        m.make_live(static_cast<int>(i));
        changed = true;
      }
    }
  }
  if (m.overflowed()) return fail("the analysis ran out of room");
  if (trace->buf) {
    // Follows a word back: the chunk or stack holding it, and what reached that.
    auto explain = [&](Addr a) {
      for (int depth = 0; a != 0 && depth < 24; ++depth) {
        const int si = m.stack_of(a);
        if (si >= 0 && stacks[si].fiber) {
          trace->add("    0x%lx in the stack of fiber %llu%s\n", a,
                     static_cast<unsigned long long>(stacks[si].fiber->id),
                     stacks[si].live ? " (live)" : "");
          if (stacks[si].live && stacks[si].referenced_from == 0) return;
          a = stacks[si].referenced_from;
          continue;
        }
        if (const Addr c = m.chunk_of(a)) {
          trace->add("    0x%lx in heap chunk 0x%lx (%zu bytes)\n", a, c, heap::chunk_size(c));
          a = m.marked_from(c);
          continue;
        }
        const Mapping* mp = mapping_of(maps, nm, a);
        trace->add("    0x%lx in a root: mapping %lx-%lx%s\n", a, mp ? mp->r.lo : 0,
                   mp ? mp->r.hi : 0, mp && mp->main_stack ? " [stack]" : "");
        for (int i = 0; mp && i < tr.n; ++i) {
          const ThreadRoot& t = threads[i];
          const Addr at = t.by_signal ? t.sp : t.loop_frame;
          if (at < mp->r.lo || at >= mp->r.hi) continue;
          trace->add("      the stack of thread %d (%s, stopped %s at 0x%lx)\n", t.tid,
                     t.runtime ? "the runtime's" : "the program's",
                     t.by_signal ? "by the signal" : "at a safe point", at);
        }
        return;
      }
    };
    for (std::size_t i = 0; i < nstacks; ++i) {
      const StackRec& st = stacks[i];
      if (!st.candidate || !st.live) continue;
      trace->add("fiber %llu is live: it waits on 0x%lx\n",
                 static_cast<unsigned long long>(st.fiber->id), st.live_because);
      const Addr c = m.chunk_of(st.live_because);
      explain(c ? m.marked_from(c) : st.live_because);
    }
  }

  std::size_t nlost = 0;
  for (std::size_t i = 0; i < nstacks; ++i) nlost += stacks[i].candidate && !stacks[i].live;
  found.bytes = ((nlost + 1) * sizeof(std::uint64_t) + 4095) & ~std::size_t{4095};
  void* ids =
      mmap(nullptr, found.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ids == MAP_FAILED) return fail("no memory for the analysis");
  found.ids = static_cast<std::uint64_t*>(ids);
  for (std::size_t i = 0; i < nstacks; ++i) {
    if (stacks[i].candidate && !stacks[i].live) found.ids[found.n++] = stacks[i].fiber->id;
  }
  std::sort(found.ids, found.ids + found.n);
  return found;
}

}  // namespace

Unreachable::Unreachable(Unreachable&& o) noexcept { *this = std::move(o); }

Unreachable& Unreachable::operator=(Unreachable&& o) noexcept {
  std::swap(why_not_, o.why_not_);
  std::swap(ids_, o.ids_);
  std::swap(n_, o.n_);
  std::swap(bytes_, o.bytes_);
  return *this;
}

Unreachable::~Unreachable() {
  if (ids_) munmap(ids_, bytes_);
}

bool Unreachable::contains(std::uint64_t id) const {
  return std::binary_search(ids_, ids_ + n_, id);
}

Unreachable find_unreachable(bool exiting) {
  // The caller's registers may hold the only copy of a handle: into this frame with them.
  __builtin_unwind_init();
  Unreachable out;
  // The registry's thread list is read while the world is stopped: taken first, so that no
  // stopped thread holds it.
  std::lock_guard<std::mutex> threads(registry_threads_mutex());
  if (!stop_world(StopMode::kPause, kStopTimeoutMs)) {
    out.why_not_ =
        "a thread of the program could not be stopped (it blocks SIGURG, or a fiber "
        "stayed in the runtime's code)";
    return out;
  }
  Trace trace;
  if (std::getenv("WEAVE_REACH_TRACE")) {
    trace.cap = 1 << 20;
    void* b = mmap(nullptr, trace.cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    trace.buf = b == MAP_FAILED ? nullptr : static_cast<char*>(b);
  }
  Found f = analyse(exiting, &trace);
  resume_world();
  if (trace.buf) {
    std::fwrite(trace.buf, 1, trace.len, stderr);
    if (f.why_not) std::fprintf(stderr, "not analysed: %s\n", f.why_not);
    munmap(trace.buf, trace.cap);
  }
  out.why_not_ = f.why_not;
  out.ids_ = f.ids;
  out.n_ = f.n;
  out.bytes_ = f.bytes;
  return out;
}

}  // namespace weave::detail::debug
