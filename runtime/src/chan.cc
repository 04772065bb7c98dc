// Channels: send, receive, close (see chan.h for the invariants).
//
// A value moves at most once between tasks: straight from a blocked sender's frame into the
// receiver's destination, or through the ring buffer. The task that completes an operation for a
// parked partner does the partner's half too (moves its value, sets `success`), so the woken
// partner only has to return: one lock acquisition per operation on the fast path.
#include "chan.h"

#include <cstdlib>
#include <new>

#include "hooks.h"
#include "registry.h"

namespace weave::detail {
namespace {

Unlocker unlock_chan(ChanCore* c) {
  return Unlocker{[](void* p) { static_cast<ChanCore*>(p)->lock.unlock(); }, c};
}

// A value handed between the current task and a parked partner (Go's racesync): each side's past
// happens before the other's operation completes, the partner's half done on its behalf.
void hand_off(Task* parked, ChanCore* c) { hook::exchange(parked, c); }

[[noreturn]] void block_forever(WaitReason why, const Location& loc) {
  park(current(), why, WaitObject::named("nil chan"), loc, Unlocker{});
  std::abort();  // nothing can ready a task parked on a nil channel
}

}  // namespace

WaitObject chan_wait_object(const ChanCore* c) {
  WaitObject o;
  o.kind = "chan";
  o.addr = c;
  o.id = c->id;
  o.created_at = c->created_at;
  o.has_created_at = true;
  o.cap = c->cap;
  o.len = c->count;
  o.closed = c->closed;
  return o;
}

void throw_panic(const char* what) { throw Panic(what); }

ChanCore* chan_make(const ElemOps* ops, std::size_t cap, const Location& loc) {
  auto* c = new ChanCore();
  c->ops = ops;
  c->cap = cap;
  c->id = next_task_id();
  c->created_at = loc;
  if (cap > 0) {
    c->buffer = static_cast<char*>(::operator new(cap * ops->size, std::align_val_t(ops->align)));
  }
  return c;
}

void chan_retain(ChanCore* c) noexcept { c->refs.fetch_add(1, std::memory_order_relaxed); }

void chan_release(ChanCore* c) noexcept {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // No handle is left, so no task can be queued on it.
  {
    IgnoredAccesses moving;
    for (std::size_t i = 0; i < c->count; ++i) c->ops->destroy(c->slot(i));
  }
  if (c->buffer) {
    hook::object_gone(c->buffer, c->cap * c->ops->size);
    ::operator delete(c->buffer, std::align_val_t(c->ops->align));
  }
  hook::object_gone(c, sizeof(ChanCore));
  delete c;
}

bool chan_try_send_locked(ChanCore* c, void* src, Task** wake) {
  if (Waiter* r = wl_pop_claimed(c->recvq)) {
    if (c->cap == 0) {
      hand_off(r->task, c);
    } else {
      // A buffered channel whose receiver waits (its buffer is empty): the value passes as if
      // through the next slot, with that slot's edges (the send's, then the receive's on the
      // receiver's behalf) and none from the receive to the send, which only an unbuffered
      // channel has (Go's racenotify on recvx).
      void* s = c->slot(0);
      hook::acquire_release(s);
      hook::acquire_release_for(r->task, s);
      c->advance_head();
    }
    {
      IgnoredAccesses moving;
      r->dst.put(r->dst.dst, src);
    }
    r->success = true;
    *wake = r->task;
    return true;
  }
  if (c->count < c->cap) {
    void* s = c->slot(c->count);
    // The receive that emptied this slot happens before this send completes.
    hook::acquire_release(s);
    {
      IgnoredAccesses moving;
      c->ops->move_construct(s, src);
    }
    ++c->count;
    return true;
  }
  return false;
}

int chan_try_recv_locked(ChanCore* c, RecvDst dst, Task** wake) {
  if (c->count > 0) {
    void* s = c->slot(0);
    hook::acquire_release(s);
    {
      IgnoredAccesses moving;
      dst.put(dst.dst, s);
      c->ops->destroy(s);
    }
    c->advance_head();
    --c->count;
    // The buffer has room now: the longest-waiting sender moves its value in at the tail (the
    // slot just emptied), and its send completes on its behalf.
    if (Waiter* w = wl_pop_claimed(c->sendq)) {
      void* tail = c->slot(c->count);
      hook::acquire_release_for(w->task, tail);
      {
        IgnoredAccesses moving;
        c->ops->move_construct(tail, w->elem);
      }
      ++c->count;
      w->success = true;
      *wake = w->task;
    }
    return 1;
  }
  if (Waiter* w = wl_pop_claimed(c->sendq)) {  // unbuffered: take it from the sender's frame
    hand_off(w->task, c);
    {
      IgnoredAccesses moving;
      dst.put(dst.dst, w->elem);
    }
    w->success = true;
    *wake = w->task;
    return 1;
  }
  if (c->closed) {
    hook::acquire(c);
    return 0;
  }
  return -1;
}

void chan_send(ChanCore* c, void* src, const Location& loc) {
  if (!c) block_forever(WaitReason::kChanSendNil, loc);
  hook::object_read(c);
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throw_panic("send on closed channel");
  }
  Task* wake = nullptr;
  if (chan_try_send_locked(c, src, &wake)) {
    c->lock.unlock();
    if (wake) ready(wake);
    return;
  }
  Waiter w;
  w.task = current();
  w.on = c;
  w.elem = src;
  wl_push_back(c->sendq, &w);
  park(w.task, WaitReason::kChanSend, chan_wait_object(c), loc, unlock_chan(c), &w, 1);
  if (!w.success) throw_panic("send on closed channel");
}

bool chan_recv(ChanCore* c, RecvDst dst, const Location& loc) {
  if (!c) block_forever(WaitReason::kChanRecvNil, loc);
  c->lock.lock();
  Task* wake = nullptr;
  const int r = chan_try_recv_locked(c, dst, &wake);
  if (r >= 0) {
    c->lock.unlock();
    if (wake) ready(wake);
    return r == 1;
  }
  Waiter w;
  w.task = current();
  w.on = c;
  w.dst = dst;
  wl_push_back(c->recvq, &w);
  park(w.task, WaitReason::kChanRecv, chan_wait_object(c), loc, unlock_chan(c), &w, 1);
  return w.success;
}

void chan_close(ChanCore* c, const Location& loc) {
  (void)loc;
  if (!c) throw_panic("close of nil channel");
  hook::object_write(c);
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throw_panic("close of closed channel");
  }
  c->closed = true;
  hook::release(c);
  // Wake everyone: receivers see the end, senders panic. Collect first, ready after unlocking.
  Waiter* woken = nullptr;
  for (WaitList* q : {&c->recvq, &c->sendq}) {
    while (Waiter* w = wl_pop_claimed(*q)) {
      hook::acquire_for(w->task, c);  // the close happens before the woken operation returns
      w->success = false;
      w->next = woken;  // reuse the unlinked waiter's link for our list
      woken = w;
    }
  }
  c->lock.unlock();
  while (woken) {
    Waiter* next = woken->next;
    ready(woken->task);  // woken may be gone once its task runs: read next first
    woken = next;
  }
}

bool chan_offer(ChanCore* c, void* src) {
  c->lock.lock();
  Task* wake = nullptr;
  const bool sent = !c->closed && chan_try_send_locked(c, src, &wake);
  c->lock.unlock();
  if (wake) ready(wake);
  return sent;
}

std::size_t chan_len(const ChanCore* c) noexcept {
  if (!c) return 0;
  auto* m = const_cast<ChanCore*>(c);
  m->lock.lock();
  std::size_t n = c->count;
  m->lock.unlock();
  return n;
}

std::size_t chan_cap(const ChanCore* c) noexcept { return c ? c->cap : 0; }

}  // namespace weave::detail
