// Channels: Go's `chan T`, as a reference-counted handle.
//
//   Chan<T>      make(chan T) / make(chan T, n); a default-constructed Chan is Go's nil channel.
//   SendChan<T>  chan<- T: send, close, len, cap.
//   RecvChan<T>  <-chan T: recv, range-for, len, cap. No close, as in Go.
//
// Copying a handle shares the channel, as assigning a Go channel does. Element types may be
// move-only. Semantics are Go's: an unbuffered send completes only when a receiver takes the
// value; buffered channels are FIFO; close wakes every waiter (receivers drain what is buffered,
// then see the end; blocked senders throw Panic); nil channels block forever.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <utility>

#include "weave/base.h"
#include "weave/detail/chan_core.h"

namespace weave {

template <class T>
class Chan;
template <class T>
class SendChan;
template <class T>
class RecvChan;

namespace detail {

// The shared part of the three handles: ownership of the core.
class ChanHandle {
 public:
  ChanHandle() = default;
  explicit ChanHandle(ChanCore* c) : core_(c) {}
  ChanHandle(const ChanHandle& o) : core_(o.core_) {
    if (core_) chan_retain(core_);
  }
  ChanHandle(ChanHandle&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
  ChanHandle& operator=(ChanHandle o) noexcept {
    std::swap(core_, o.core_);
    return *this;
  }
  ~ChanHandle() {
    if (core_) chan_release(core_);
  }

  ChanCore* core() const { return core_; }
  // Go's `len(ch)`, `cap(ch)`: 0 for a nil channel.
  std::size_t len() const { return chan_len(core_); }
  std::size_t cap() const { return chan_cap(core_); }
  // False for a nil channel.
  explicit operator bool() const { return core_ != nullptr; }
  friend bool operator==(const ChanHandle& a, const ChanHandle& b) { return a.core_ == b.core_; }

 private:
  ChanCore* core_ = nullptr;
};

template <class T>
std::optional<T> recv_optional(ChanCore* c, const Location& loc) {
  std::optional<T> v;
  chan_recv(c, RecvDst{&v, &PutInto<T>::optional}, loc);
  return v;
}

// `for (T v : ch)`: receives until the channel is closed and drained.
template <class T>
class RangeIter {
 public:
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  RangeIter() = default;
  explicit RangeIter(ChanCore* c) : core_(c) { ++*this; }
  T& operator*() { return *cur_; }
  RangeIter& operator++() {
    cur_.reset();
    if (!chan_recv(core_, RecvDst{&cur_, &PutInto<T>::optional}, Location::current()))
      core_ = nullptr;
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const RangeIter& a, std::default_sentinel_t) { return a.core_ == nullptr; }

 private:
  ChanCore* core_ = nullptr;
  std::optional<T> cur_;
};

}  // namespace detail

template <class T>
class RecvChan : public detail::ChanHandle {
 public:
  using value_type = T;
  RecvChan() = default;
  explicit RecvChan(detail::ChanCore* c) : ChanHandle(c) {}
  // Go's `v, ok := <-ch`: nullopt once the channel is closed and drained.
  std::optional<T> recv(Location loc = Location::current()) const {
    return detail::recv_optional<T>(core(), loc);
  }
  detail::RangeIter<T> begin() const { return detail::RangeIter<T>(core()); }
  std::default_sentinel_t end() const { return {}; }
};

template <class T>
class SendChan : public detail::ChanHandle {
 public:
  using value_type = T;
  SendChan() = default;
  explicit SendChan(detail::ChanCore* c) : ChanHandle(c) {}
  // Go's `ch <- v`. Throws Panic if the channel is (or becomes, while waiting) closed.
  void send(T&& v, Location loc = Location::current()) const { detail::chan_send(core(), &v, loc); }
  void send(const T& v, Location loc = Location::current()) const {
    T copy(v);
    detail::chan_send(core(), &copy, loc);
  }
  // Go's `close(ch)`. Throws Panic on a closed or nil channel.
  void close(Location loc = Location::current()) const { detail::chan_close(core(), loc); }
};

template <class T>
class Chan : public detail::ChanHandle {
 public:
  using value_type = T;
  Chan() = default;  // Go's nil channel
  explicit Chan(detail::ChanCore* c) : ChanHandle(c) {}

  void send(T&& v, Location loc = Location::current()) const { detail::chan_send(core(), &v, loc); }
  void send(const T& v, Location loc = Location::current()) const {
    T copy(v);
    detail::chan_send(core(), &copy, loc);
  }
  std::optional<T> recv(Location loc = Location::current()) const {
    return detail::recv_optional<T>(core(), loc);
  }
  void close(Location loc = Location::current()) const { detail::chan_close(core(), loc); }
  detail::RangeIter<T> begin() const { return detail::RangeIter<T>(core()); }
  std::default_sentinel_t end() const { return {}; }

  operator SendChan<T>() const& { return SendChan<T>(share()); }
  operator RecvChan<T>() const& { return RecvChan<T>(share()); }

 private:
  detail::ChanCore* share() const {
    if (core()) detail::chan_retain(core());
    return core();
  }
};

// Go's make(chan T) and make(chan T, n).
template <class T>
[[nodiscard]] Chan<T> make_chan(std::size_t cap = 0, Location loc = Location::current()) {
  return Chan<T>(detail::chan_make(&detail::ElemOpsFor<T>::kOps, cap, loc));
}

}  // namespace weave
