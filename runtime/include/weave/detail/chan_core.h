// The type-erased channel that every Chan<T> is a typed handle to. The algorithm lives in
// runtime/src/chan.cc; this header only says how elements move in and out of it.
#pragma once

#include <cstddef>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "weave/base.h"

namespace weave::detail {

struct ChanCore;

// How the core moves values of the channel's element type.
struct ElemOps {
  std::size_t size;
  std::size_t align;
  void (*move_construct)(void* dst, void* src);  // into raw storage (the buffer)
  void (*destroy)(void* p);
  const char* type_name;  // for dumps
};

// The runtime moves and destroys a channel's elements only while the race detector checks
// nothing (its copies are not the program's accesses: hooks.h); code compiled with weave's
// instrumentation plugin leaves these functions as they are, which would only cost there.
#if defined(__clang__)
#define WEAVE_DETAIL_UNCHECKED __attribute__((annotate("weave.unchecked")))
#else
#define WEAVE_DETAIL_UNCHECKED
#endif

template <class T>
struct ElemOpsFor {
  WEAVE_DETAIL_UNCHECKED static void move_construct(void* dst, void* src) {
    ::new (dst) T(std::move(*static_cast<T*>(src)));
  }
  WEAVE_DETAIL_UNCHECKED static void destroy(void* p) { static_cast<T*>(p)->~T(); }
  static constexpr ElemOps kOps{sizeof(T), alignof(T), &move_construct, &destroy, nullptr};
};

// Where a receive puts the value it takes: `put` moves the element at `src` into `dst`, whatever
// `dst` is (an optional, a T&, nothing).
struct RecvDst {
  void* dst;
  void (*put)(void* dst, void* src);
};

template <class T>
struct PutInto {
  WEAVE_DETAIL_UNCHECKED static void optional(void* dst, void* src) {
    static_cast<std::optional<T>*>(dst)->emplace(std::move(*static_cast<T*>(src)));
  }
  WEAVE_DETAIL_UNCHECKED static void assign(void* dst, void* src) {
    *static_cast<T*>(dst) = std::move(*static_cast<T*>(src));
  }
  WEAVE_DETAIL_UNCHECKED static void discard(void*, void* src) {
    [[maybe_unused]] T dropped(std::move(*static_cast<T*>(src)));
  }
};

ChanCore* chan_make(const ElemOps* ops, std::size_t cap, const Location& loc);
void chan_retain(ChanCore* c) noexcept;
void chan_release(ChanCore* c) noexcept;

// send moves from *src only when the value is delivered; it throws Panic on a closed channel.
// A null channel blocks forever.
void chan_send(ChanCore* c, void* src, const Location& loc);
// recv returns false when the channel is closed and drained (dst untouched).
bool chan_recv(ChanCore* c, RecvDst dst, const Location& loc);
void chan_close(ChanCore* c, const Location& loc);
std::size_t chan_len(const ChanCore* c) noexcept;
std::size_t chan_cap(const ChanCore* c) noexcept;

}  // namespace weave::detail
