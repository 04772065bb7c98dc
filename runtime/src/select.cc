// select: Go's selectgo.
//
//   1. Lock every channel of the select, in address order (so two selects over the same channels
//      cannot deadlock), each once.
//   2. Visit the cases in a random order; the first that can proceed runs. Random order is what
//      makes the choice among ready cases uniform.
//   3. None ready and a default case: unlock, return it.
//   4. Otherwise queue a waiter on every channel, all sharing one SelectSync, and park. The first
//      waker to claim the SelectSync (waiter.h) completes that case for us; the others skip our
//      stale waiters.
//   5. Woken: lock everything again and unlink the waiters that did not fire.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "chan.h"
#include "hooks.h"
#include "task.h"
#include "weave/select.h"

namespace weave::detail {
namespace {

constexpr int kInline = 8;  // selects up to this size allocate nothing

std::uint64_t fast_rand() {
  static thread_local std::uint64_t s =
      0x2545F4914F6CDD1Dull ^ reinterpret_cast<std::uintptr_t>(&s);
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

template <class T>
struct SmallVec {
  explicit SmallVec(int n) {
    if (n > kInline) {
      heap.resize(n);
      data = heap.data();
    } else {
      data = inline_data;
    }
  }
  T& operator[](int i) { return data[i]; }
  T inline_data[kInline];
  std::vector<T> heap;
  T* data;
};

void lock_all(ChanCore** order, int n) {
  for (int i = 0; i < n; ++i) {
    if (i == 0 || order[i] != order[i - 1]) order[i]->lock.lock();
  }
}

void unlock_all(ChanCore** order, int n) {
  for (int i = n - 1; i >= 0; --i) {
    if (i == 0 || order[i] != order[i - 1]) order[i]->lock.unlock();
  }
}

struct UnlockAll {
  ChanCore** order;
  int n;
};

}  // namespace

int select_impl(SelectCase* cases, int n, const Location& loc) {
  SmallVec<int> poll(n);
  SmallVec<ChanCore*> order(n);
  int npoll = 0;
  int nlock = 0;
  int default_case = -1;
  for (int i = 0; i < n; ++i) {
    if (cases[i].dir == CaseDir::kDefault) {
      default_case = i;
      continue;
    }
    if (!cases[i].core) continue;  // a nil channel is never ready
    hook::object_read(cases[i].core);
    // Insert at a random position: a uniform permutation (inside-out Fisher-Yates).
    const int j = static_cast<int>(fast_rand() % static_cast<std::uint64_t>(npoll + 1));
    poll[npoll] = poll[j];
    poll[j] = i;
    ++npoll;
    order[nlock++] = cases[i].core;
  }
  std::sort(&order[0], &order[0] + nlock);

  if (npoll == 0) {
    if (default_case >= 0) return default_case;
    park(current(), WaitReason::kSelectNoCases, WaitObject{}, loc, Unlocker{});
    std::abort();  // a select of nil channels only blocks forever
  }

  lock_all(&order[0], nlock);
  for (int k = 0; k < npoll; ++k) {
    SelectCase& sc = cases[poll[k]];
    ChanCore* c = sc.core;
    Task* wake = nullptr;
    if (sc.dir == CaseDir::kSend) {
      if (c->closed) {
        unlock_all(&order[0], nlock);
        throw_panic("send on closed channel");
      }
      if (!chan_try_send_locked(c, sc.src, &wake)) continue;
    } else {
      const int r = chan_try_recv_locked(c, sc.dst, &wake);
      if (r < 0) continue;
      sc.received = r == 1;
    }
    unlock_all(&order[0], nlock);
    if (wake) ready(wake);
    return poll[k];
  }
  if (default_case >= 0) {
    unlock_all(&order[0], nlock);
    return default_case;
  }

  SelectSync sync;
  SmallVec<Waiter> waiters(n);
  Task* self = current();
  for (int i = 0; i < n; ++i) {
    SelectCase& sc = cases[i];
    if (sc.dir == CaseDir::kDefault || !sc.core) continue;
    Waiter& w = waiters[i];
    w.task = self;
    w.on = sc.core;
    w.select = &sync;
    w.case_index = i;
    if (sc.dir == CaseDir::kSend) {
      w.elem = sc.src;
      wl_push_back(sc.core->sendq, &w);
    } else {
      w.dst = sc.dst;
      wl_push_back(sc.core->recvq, &w);
    }
  }
  UnlockAll ua{&order[0], nlock};
  // The dump names the first channel; a select's other channels are in its source line.
  park(self, WaitReason::kSelect, chan_wait_object(order[0]), loc,
       Unlocker{[](void* p) {
                  auto* u = static_cast<UnlockAll*>(p);
                  unlock_all(u->order, u->n);
                },
                &ua},
       &waiters[0], n);

  const int fired = sync.fired.load(std::memory_order_acquire);
  lock_all(&order[0], nlock);
  for (int i = 0; i < n; ++i) {
    SelectCase& sc = cases[i];
    if (sc.dir == CaseDir::kDefault || !sc.core || i == fired) continue;
    wl_remove(sc.dir == CaseDir::kSend ? sc.core->sendq : sc.core->recvq, &waiters[i]);
  }
  unlock_all(&order[0], nlock);

  const Waiter& w = waiters[fired];
  if (cases[fired].dir == CaseDir::kSend) {
    if (!w.success) throw_panic("send on closed channel");
  } else {
    cases[fired].received = w.success;
  }
  return fired;
}

}  // namespace weave::detail
