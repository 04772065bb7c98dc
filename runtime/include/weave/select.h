// Go's select statement.
//
//   switch (weave::select(weave::recv(a, v), weave::send(b, x), weave::recv(ctx.done()),
//                         weave::otherwise())) {
//     case 0: ... case 1: ... case 2: ... case 3: ...
//   }
//
// select returns the index of the case that ran. Among ready cases one is chosen uniformly at
// random; with otherwise() it never blocks; without, it waits until a case can proceed. A case on a
// nil channel is never ready. A case either completes whole or not at all: a value is taken by
// exactly one case. Cases hold references to their arguments: write them inside the select call.
#pragma once

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "weave/base.h"
#include "weave/chan.h"
#include "weave/detail/debug_hooks.h"

namespace weave {
namespace detail {

enum class CaseDir : unsigned char { kRecv, kSend, kDefault };

// One case as the select algorithm (runtime/src/select.cc) sees it.
struct SelectCase {
  ChanCore* core;
  CaseDir dir;
  void* src;      // send: the value, moved from only if this case runs
  RecvDst dst;    // recv: where the value goes
  bool received;  // recv: set by select_impl; false when the case ran because of close
};

// What a select that blocks stands for in dumps when it implements another operation (a
// Semaphore's acquire waits in one); null for a plain select. Defined by the runtime.
struct SelectAs;

int select_impl(SelectCase* cases, int n, const Location& loc, const SelectAs* as = nullptr);

template <class C>
concept Receivable = requires(const C& c) {
  typename C::value_type;
  {c.recv()};
};
template <class C>
concept Sendable = requires(const C& c) {
  typename C::value_type;
  {c.close()};
};

template <class T, class Dst>
class RecvCase {
 public:
  RecvCase(ChanCore* core, Dst* dst, bool* ok, Location loc)
      : core_(core), dst_(dst), ok_(ok), loc_(loc) {}
  RecvCase(const RecvCase&) = delete;
  [[gnu::always_inline]] SelectCase desc() {
    void (*put)(void*, void*);
    if constexpr (std::is_same_v<Dst, void>) {
      put = &PutInto<T>::discard;
    } else if constexpr (std::is_same_v<Dst, std::optional<T>>) {
      put = &PutInto<T>::optional;
    } else {
      put = &PutInto<T>::assign;
    }
    return SelectCase{core_, CaseDir::kRecv, nullptr, RecvDst{dst_, put}, false};
  }
  [[gnu::always_inline]] void complete(bool received) {
    if (ok_) *ok_ = received;
    if (received) {
#if WEAVE_DEBUG
      // The runtime put the value in place, unchecked: the receive writes it (as Go's
      // `case v = <-ch:` does), and a task that touches it unordered races with this one.
      if constexpr (!std::is_same_v<Dst, void>) debug_wrote(dst_, sizeof(Dst));
#endif
      return;
    }
    if constexpr (std::is_same_v<Dst, std::optional<T>>) {
      dst_->reset();
    } else if constexpr (!std::is_same_v<Dst, void>) {
      *dst_ = T{};  // Go's zero value from a closed channel
    }
  }
  const Location& loc() const { return loc_; }

 private:
  ChanCore* core_;
  Dst* dst_;
  bool* ok_;
  Location loc_;
};

template <class T>
class SendCase {
 public:
  // A value of another type or an lvalue is copied now (Go evaluates the operand before select);
  // an rvalue T is moved from only if this case runs.
  template <class U>
  SendCase(ChanCore* core, U&& v, Location loc) : core_(core), loc_(loc) {
    if constexpr (std::is_same_v<U, T>) {
      src_ = &v;
    } else {
      copy_.emplace(std::forward<U>(v));
      src_ = &*copy_;
    }
  }
  SendCase(const SendCase&) = delete;
  [[gnu::always_inline]] SelectCase desc() {
    return SelectCase{core_, CaseDir::kSend, src_, RecvDst{}, false};
  }
  [[gnu::always_inline]] void complete(bool) {}
  const Location& loc() const { return loc_; }

 private:
  ChanCore* core_;
  std::optional<T> copy_;
  T* src_ = nullptr;
  Location loc_;
};

class DefaultCase {
 public:
  SelectCase desc() { return SelectCase{nullptr, CaseDir::kDefault, nullptr, RecvDst{}, false}; }
  void complete(bool) {}
};

template <class C, class... Cs>
const Location& first_loc(const C& c, const Cs&... cs) {
  if constexpr (requires { c.loc(); }) {
    return c.loc();
  } else {
    return first_loc(cs...);
  }
}
inline const Location& first_loc() {
  static const Location unknown;
  return unknown;
}

}  // namespace detail

// A receive case: `case <-ch:`.
template <detail::Receivable C>
[[nodiscard]] auto recv(const C& ch, Location loc = Location::current()) {
  return detail::RecvCase<typename C::value_type, void>(ch.core(), nullptr, nullptr, loc);
}
// `case v = <-ch:` — v becomes T{} (Go's zero value) if the channel is closed.
template <detail::Receivable C>
[[nodiscard]] auto recv(const C& ch, std::type_identity_t<typename C::value_type>& v,
                        Location loc = Location::current()) {
  using T = typename C::value_type;
  return detail::RecvCase<T, T>(ch.core(), &v, nullptr, loc);
}
// `case v, ok = <-ch:`
template <detail::Receivable C>
[[nodiscard]] auto recv(const C& ch, std::type_identity_t<typename C::value_type>& v, bool& ok,
                        Location loc = Location::current()) {
  using T = typename C::value_type;
  return detail::RecvCase<T, T>(ch.core(), &v, &ok, loc);
}
// `case v, ok = <-ch:` with the value and ok in one: nullopt if the channel is closed.
template <detail::Receivable C>
[[nodiscard]] auto recv(const C& ch, std::optional<typename C::value_type>& v,
                        Location loc = Location::current()) {
  using T = typename C::value_type;
  return detail::RecvCase<T, std::optional<T>>(ch.core(), &v, nullptr, loc);
}

// A send case: `case ch <- v:`.
template <detail::Sendable C, class U>
[[nodiscard]] auto send(const C& ch, U&& v, Location loc = Location::current()) {
  using T = typename C::value_type;
  return detail::SendCase<T>(ch.core(), std::forward<U>(v), loc);
}

// Go's `default:` case: select does not block.
[[nodiscard]] inline detail::DefaultCase otherwise() { return {}; }

namespace detail {
// Inlined into the caller, with the cases' desc and complete: the case objects are then locals
// of the caller that nothing else can reach, and weave's race detector does not check them (only
// the values they name, a received value's destination and the channel handles).
template <class... Cs>
[[gnu::always_inline]] inline int select_as(const SelectAs* as, Cs&&... cs) {
  static_assert(sizeof...(Cs) > 0, "select needs at least one case; use a nil channel to block");
  SelectCase descs[] = {cs.desc()...};
  const int chosen = select_impl(descs, static_cast<int>(sizeof...(Cs)), first_loc(cs...), as);
  int k = 0;
  ((k++ == chosen ? cs.complete(descs[chosen].received) : void()), ...);
  return chosen;
}
}  // namespace detail

// Runs one ready case (see the top of this file) and returns its index.
template <class... Cs>
[[gnu::always_inline]] inline int select(Cs&&... cs) {
  return detail::select_as(nullptr, std::forward<Cs>(cs)...);
}

}  // namespace weave
