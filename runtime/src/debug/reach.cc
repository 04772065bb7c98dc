// Unreachable fibers (see reach.h).
//
// The analysis keeps its own tables in memory it maps itself (the Arena), outside every region
// it reads: tables that list channel addresses, read as roots, would make every channel live.
// For the same reason the calling thread's stack is read only above the frame that entered the
// analysis.
#include "debug/reach.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "chan.h"
#include "debug/deadlock.h"
#include "debug/held.h"
#include "fiber.h"
#include "registry.h"
#include "stack.h"
#include "task.h"
#include "waiter.h"
#include "world.h"

namespace weave::detail::debug {
namespace {

using Addr = std::uintptr_t;

// Threads whose stacks are read only above their stack pointer; more are read whole.
constexpr int kMaxThreads = 4096;

Addr addr(const void* p) { return reinterpret_cast<Addr>(p); }

struct Range {
  Addr lo = 0, hi = 0;
};

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
  bool ok() const { return base_ != nullptr; }
  Range range() const { return {addr(base_), addr(base_) + size_}; }
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

// One fiber stack region, with its fiber if one lives there.
struct StackRec {
  Range region;  // the whole region: usable stack, control block, descriptor
  const Fiber* fiber = nullptr;
  Range internal;          // its control block and descriptor: the runtime's pointers aim there
  Range waiters;           // its published waiters, while parked
  Addr source_lo = 0;      // where its live part begins (the saved stack pointer)
  bool candidate = false;  // blocked in a way only another task can end
  bool live = false;
  bool referenced = false;      // something live points into it (or it is live): read it
  int first_obj = 0, nobj = 0;  // its wait objects, in objs
};

enum class ObjKind : unsigned char { kChan, kMutex, kOther };

struct ObjRec {
  Addr addr = 0;
  ObjKind kind = ObjKind::kOther;
  int on_stack = -1;  // the stack region it lies in, or -1
  bool live = false;
};

struct ChanRef {  // the channels waited on, sorted by address, for the scan
  Range core;
  int obj = 0;
};

class Marker {
 public:
  Marker(StackRec* stacks, int nstacks, ObjRec* objs, int nobjs, ChanRef* chans, int nchans,
         int* work)
      : stacks_(stacks),
        nstacks_(nstacks),
        objs_(objs),
        nobjs_(nobjs),
        chans_(chans),
        nchans_(nchans),
        work_(work) {}

  // Reads every word of [lo, hi) as a possible pointer.
  [[gnu::no_sanitize_address]] void scan(Addr lo, Addr hi) {
    lo = (lo + sizeof(Addr) - 1) & ~(sizeof(Addr) - 1);
    for (Addr p = lo; p + sizeof(Addr) <= hi; p += sizeof(Addr)) {
      const Addr w = *reinterpret_cast<const Addr*>(p);
      if (w < min_ || w >= max_) continue;
      hit(w);
    }
  }

  void set_bounds() {
    min_ = ~Addr{0};
    max_ = 0;
    if (nchans_ > 0) {
      min_ = std::min(min_, chans_[0].core.lo);
      max_ = std::max(max_, chans_[nchans_ - 1].core.hi);
    }
    if (nstacks_ > 0) {
      min_ = std::min(min_, stacks_[0].region.lo);
      max_ = std::max(max_, stacks_[nstacks_ - 1].region.hi);
    }
  }

  // Marks stack i as referenced and queues its live part to be read.
  void reference(int i) {
    StackRec& s = stacks_[i];
    if (s.referenced) return;
    s.referenced = true;
    if (s.fiber) work_[nwork_++] = i;
  }

  void make_live(int i) {
    stacks_[i].live = true;
    reference(i);
  }

  void drain() {
    while (nwork_ > 0) {
      const StackRec& s = stacks_[work_[--nwork_]];
      scan(s.source_lo, s.internal.hi);
    }
  }

  bool object_live(const ObjRec& o) const {
    if (o.live) return true;
    if (o.kind == ObjKind::kChan) return false;
    if (o.on_stack < 0) return true;  // a global or the heap: its enclosing object is unknown
    return stacks_[o.on_stack].referenced;
  }

 private:
  void hit(Addr w) {
    // A channel's core?
    const ChanRef* c = std::upper_bound(chans_, chans_ + nchans_, w,
                                        [](Addr v, const ChanRef& r) { return v < r.core.lo; });
    if (c != chans_ && w < (c - 1)->core.hi) objs_[(c - 1)->obj].live = true;
    // A fiber's stack, outside what the runtime itself points at?
    const StackRec* s = std::upper_bound(stacks_, stacks_ + nstacks_, w,
                                         [](Addr v, const StackRec& r) { return v < r.region.lo; });
    if (s == stacks_ || w >= (s - 1)->region.hi) return;
    const StackRec& r = *(s - 1);
    if (w >= r.internal.lo && w < r.internal.hi) return;
    if (w >= r.waiters.lo && w < r.waiters.hi) return;
    reference(static_cast<int>(s - 1 - stacks_));
  }

  StackRec* stacks_;
  int nstacks_;
  ObjRec* objs_;
  [[maybe_unused]] int nobjs_;
  ChanRef* chans_;
  int nchans_;
  int* work_;
  int nwork_ = 0;
  Addr min_ = 0, max_ = 0;
};

// Fibers whose wait only another task can end, and what they wait on.
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

// Calls fn(lo, hi) for every mapping that may hold a pointer: readable, and private (writable,
// or anonymous). Reads /proc/self/maps through a fixed buffer: no allocation.
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
      const bool readable = perms[0] == 'r';
      const bool priv = perms[3] == 'p';
      const bool anon = path[0] == 0 || path[0] == '[';
      const bool special = std::strncmp(path, "[vvar", 5) == 0 ||
                           std::strcmp(path, "[vdso]") == 0 || std::strcmp(path, "[vsyscall]") == 0;
      if (readable && priv && !special && (perms[1] == 'w' || anon)) {
        if (!fn(Addr{lo}, Addr{hi})) break;
      }
    }
    const std::size_t used = static_cast<std::size_t>(nl + 1 - buf);
    std::memmove(buf, nl + 1, have - used);
    have -= used;
  }
  close(fd);
  return true;
}

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

// The caller's frames (and the registers unreachable_fibers spilled) lie above this frame; this
// frame's own locals, which list channel addresses, below its frame pointer.
[[gnu::noinline]] std::set<std::uint64_t> analyse(std::string* why_not, bool exiting) {
  const void* entry_sp = __builtin_frame_address(0);
  std::set<std::uint64_t> result;
  auto fail = [&](const char* why) {
    if (why_not) *why_not = why;
    return std::set<std::uint64_t>{};
  };
  const std::size_t nstacks = stacks_made();
  std::size_t nwaiters = 0;
  for (std::size_t i = 0; i < nstacks; ++i) {
    const Fiber* f = stack_at(i)->fiber.load(std::memory_order_acquire);
    if (f && is_candidate(f->wait_reason.load(std::memory_order_acquire))) {
      nwaiters += static_cast<std::size_t>(std::max(1, f->dbg.nwaiters));
    }
  }
  Arena arena(nstacks * (sizeof(StackRec) + sizeof(int) + sizeof(Range)) +
              nwaiters * (sizeof(ObjRec) + sizeof(ChanRef)) +
              (nstacks + 4 + kMaxThreads) * sizeof(Range) + kMaxThreads * sizeof(void*) + 65536);
  if (!arena.ok()) return fail("no memory for the analysis");
  auto* stacks = arena.take<StackRec>(nstacks);
  auto* work = arena.take<int>(nstacks + 1);
  auto* objs = arena.take<ObjRec>(nwaiters + 1);
  auto* chans = arena.take<ChanRef>(nwaiters + 1);
  auto* skip = arena.take<Range>(nstacks + 4 + kMaxThreads);

  const Fiber* self = current_fiber();
  int n = 0;
  for (std::size_t i = 0; i < nstacks; ++i) {
    const Stack* st = stack_at(i);
    StackRec& s = stacks[n++];
    s.region = {addr(st->base), addr(st) + sizeof(Stack)};
    const Fiber* f = st->fiber.load(std::memory_order_acquire);
    if (!f) continue;
    s.fiber = f;
    s.internal = {addr(f), s.region.hi};
    s.source_lo = f == self ? addr(entry_sp) : addr(f->context);
    if (s.source_lo < s.region.lo || s.source_lo > s.region.hi) s.source_lo = s.region.lo;
    const WaitReason why = f->wait_reason.load(std::memory_order_acquire);
    if (f == self && exiting) continue;  // never runs again: neither live nor a candidate
    if (f != self && is_candidate(why) && !being_woken(f)) {
      s.candidate = true;
      if (f->dbg.nwaiters > 0) {
        s.waiters = {addr(f->dbg.waiters), addr(f->dbg.waiters + f->dbg.nwaiters)};
      }
    }
  }
  std::sort(stacks, stacks + n,
            [](const StackRec& a, const StackRec& b) { return a.region.lo < b.region.lo; });
  auto stack_of = [&](Addr a) -> int {
    const StackRec* s = std::upper_bound(stacks, stacks + n, a,
                                         [](Addr v, const StackRec& r) { return v < r.region.lo; });
    if (s == stacks || a >= (s - 1)->region.hi) return -1;
    return static_cast<int>(s - 1 - stacks);
  };
  int nobjs = 0, nchans = 0;
  for (int i = 0; i < n; ++i) {
    StackRec& s = stacks[i];
    if (!s.candidate) continue;
    const WaitReason why = s.fiber->wait_reason.load(std::memory_order_acquire);
    s.first_obj = nobjs;
    const Waiter* w = s.fiber->dbg.waiters;
    for (int k = 0; k < s.fiber->dbg.nwaiters && static_cast<std::size_t>(nobjs) < nwaiters; ++k) {
      if (w[k].task != s.fiber || !w[k].on) continue;
      ObjRec& o = objs[nobjs];
      o.addr = addr(w[k].on);
      o.kind = kind_of(why);
      o.on_stack = stack_of(o.addr);
      if (o.kind == ObjKind::kChan) chans[nchans++] = {{o.addr, o.addr + sizeof(ChanCore)}, nobjs};
      ++nobjs;
    }
    s.nobj = nobjs - s.first_obj;  // none: a nil channel or an empty select, never live
  }
  std::sort(chans, chans + nchans,
            [](const ChanRef& a, const ChanRef& b) { return a.core.lo < b.core.lo; });

  Marker m(stacks, n, objs, nobjs, chans, nchans, work);
  m.set_bounds();
  for (int i = 0; i < n; ++i) {
    if (stacks[i].fiber && !stacks[i].candidate) m.make_live(i);
  }

  // Roots: every mapping but the fiber stacks, this analysis's tables, and the part of the
  // caller's stack below the frame that entered it.
  int nskip = 0;
  for (int i = 0; i < n; ++i) skip[nskip++] = stacks[i].region;
  skip[nskip++] = arena.range();
  const Addr sp = addr(entry_sp);
  if (!self) {
    // The caller is a plain thread: skip its stack below entry_sp (all of it when it is exiting),
    // down to its mapping's start.
    Range mine;
    for_each_mapping([&](Addr lo, Addr hi) {
      if (sp >= lo && sp < hi) mine = {lo, hi};
      return true;
    });
    if (mine.lo) skip[nskip++] = {mine.lo, exiting ? mine.hi : sp};
  }
  // Below the stack pointer of a stopped thread nothing is live (the stale slots there would only
  // keep dead channels alive); a thread stopped by the signal holds its registers too.
  const void** sps = arena.take<const void*>(kMaxThreads);
  struct Stopped {
    const void** sps;
    int n;
    Marker* m;
  } stopped{sps, 0, &m};
  for_each_stopped_thread(
      [](const StoppedThread& t, void* p) {
        auto* st = static_cast<Stopped*>(p);
        if (st->n >= kMaxThreads) return;
        if (t.by_signal) {
          st->sps[st->n++] = reinterpret_cast<const void*>(t.sp - 128);  // the red zone
          st->m->scan(addr(t.words), addr(t.words + t.nwords));
        } else if (t.loop_frame) {
          st->sps[st->n++] = t.loop_frame;
        }
      },
      &stopped);
  int nsps = stopped.n;
  std::sort(sps, sps + nsps);
  for_each_mapping([&](Addr lo, Addr hi) {
    const void** s = std::lower_bound(sps, sps + nsps, reinterpret_cast<const void*>(lo));
    if (s != sps + nsps && addr(*s) < hi && nskip < static_cast<int>(nstacks) + 4 + kMaxThreads) {
      skip[nskip++] = {lo, addr(*s)};
    }
    return true;
  });
  std::sort(skip, skip + nskip, [](const Range& a, const Range& b) { return a.lo < b.lo; });
  // Merge overlaps (a slab's stacks are adjacent; the arena may sit anywhere).
  int merged = 0;
  for (int i = 0; i < nskip; ++i) {
    if (merged > 0 && skip[i].lo <= skip[merged - 1].hi) {
      skip[merged - 1].hi = std::max(skip[merged - 1].hi, skip[i].hi);
    } else {
      skip[merged++] = skip[i];
    }
  }
  // A mapping this large is a reservation (a sanitizer's shadow, another runtime's heap) that
  // cannot be read in time; without it the analysis would not see everything.
  constexpr Addr kTooLarge = Addr{16} << 30;
  bool too_large = false;
  for_each_mapping([&](Addr lo, Addr hi) {
    too_large = too_large || hi - lo >= kTooLarge;
    return !too_large;
  });
  if (too_large) return fail("a memory mapping is too large to read");
  if (!for_each_mapping([&](Addr lo, Addr hi) {
        scan_except(m, lo, hi, skip, merged);
        return true;
      })) {
    return fail("cannot read /proc/self/maps");
  }

  for (bool changed = true; changed;) {
    m.drain();
    changed = false;
    for (int i = 0; i < n; ++i) {
      StackRec& s = stacks[i];
      if (!s.candidate || s.live) continue;
      bool wakeable = false;
      for (int k = 0; k < s.nobj && !wakeable; ++k) {
        const ObjRec& o = objs[s.first_obj + k];
        if (m.object_live(o)) wakeable = true;
        if (!wakeable && o.kind == ObjKind::kMutex) {
          for (const Task* h : holders_of(reinterpret_cast<const void*>(o.addr))) {
            const int hs = h->kind == TaskKind::kFiber ? stack_of(addr(h)) : -1;
            if (h->kind == TaskKind::kThread || (hs >= 0 && stacks[hs].live)) wakeable = true;
          }
        }
      }
      if (wakeable) {
        m.make_live(i);
        changed = true;
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    if (stacks[i].candidate && !stacks[i].live) result.insert(stacks[i].fiber->id);
  }
  return result;
}

}  // namespace

std::set<std::uint64_t> unreachable_fibers(bool world_stopped, std::string* why_not, bool exiting) {
  // The caller's registers may hold the only copy of a handle: into this frame with them.
  __builtin_unwind_init();
  if (!world_stopped) {
    if (why_not) *why_not = "a fiber kept running (the world could not be stopped)";
    return {};
  }
  return analyse(why_not, exiting);
}

}  // namespace weave::detail::debug
