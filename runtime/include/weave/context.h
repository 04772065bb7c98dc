// Go's context package: cancellation, deadlines and request-scoped values that flow down a tree.
//
// A Context is a cheap copyable handle to a node of that tree. Cancelling a node closes its done()
// channel and cancels every descendant, never an ancestor; a cancelled child leaves its parent's
// child set, so long-lived parents do not grow. Errors are Go's: ctx.err() is
// absl::CancelledError("context canceled") or absl::DeadlineExceededError("context deadline
// exceeded") once done, OK while live.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "weave/base.h"
#include "weave/chan.h"

namespace weave {
namespace detail {
struct CtxNode;
struct AfterFuncState;
}  // namespace detail

// A typed key for with_value/value. Its identity is its address:
//   inline const weave::ContextKey<std::string> kUser;
template <class V>
class ContextKey {
 public:
  constexpr ContextKey() {}
  ContextKey(const ContextKey&) = delete;
  ContextKey& operator=(const ContextKey&) = delete;
};

class Context {
 public:
  // The empty context, as background().
  Context();
  explicit Context(std::shared_ptr<detail::CtxNode> node) : node_(std::move(node)) {}

  // Closed when the context is cancelled or its deadline passes; nil (never ready) for contexts
  // that can never be cancelled.
  RecvChan<Unit> done() const;
  absl::Status err() const;
  std::optional<absl::Time> deadline() const;
  // The value stored under key by with_value in this context or an ancestor; null if none.
  template <class V>
  const V* value(const ContextKey<V>& key) const {
    return static_cast<const V*>(lookup(&key));
  }

  const std::shared_ptr<detail::CtxNode>& node() const { return node_; }

 private:
  const void* lookup(const void* key) const;
  std::shared_ptr<detail::CtxNode> node_;
};

// Go's CancelFunc: cancels its context; later calls do nothing; an empty one does nothing.
class CancelFunc {
 public:
  CancelFunc() = default;
  explicit CancelFunc(std::shared_ptr<detail::CtxNode> node) : node_(std::move(node)) {}
  void operator()() const;
  explicit operator bool() const { return node_ != nullptr; }

 private:
  std::shared_ptr<detail::CtxNode> node_;
};

// Go's CancelCauseFunc: cancels with a cause that cause(ctx) reports (OK means "context canceled").
class CancelCauseFunc {
 public:
  CancelCauseFunc() = default;
  explicit CancelCauseFunc(std::shared_ptr<detail::CtxNode> node) : node_(std::move(node)) {}
  void operator()(absl::Status cause) const;
  explicit operator bool() const { return node_ != nullptr; }

 private:
  std::shared_ptr<detail::CtxNode> node_;
};

// The stop function of after_func: true if it stopped f from being run.
class StopFunc {
 public:
  StopFunc() = default;
  explicit StopFunc(std::shared_ptr<detail::AfterFuncState> s) : state_(std::move(s)) {}
  bool operator()() const;

 private:
  std::shared_ptr<detail::AfterFuncState> state_;
};

Context background();
Context todo();

[[nodiscard]] std::pair<Context, CancelFunc> with_cancel(const Context& parent);
[[nodiscard]] std::pair<Context, CancelFunc> with_timeout(const Context& parent, absl::Duration d);
[[nodiscard]] std::pair<Context, CancelFunc> with_deadline(const Context& parent, absl::Time t);
[[nodiscard]] std::pair<Context, CancelCauseFunc> with_cancel_cause(const Context& parent);
// Go's context.Cause: the cause given to the cancel, else err(); OK while live.
absl::Status cause(const Context& ctx);
// Go's context.AfterFunc: runs f on its own fiber once ctx is done.
[[nodiscard]] StopFunc after_func(const Context& ctx, std::function<void()> f);
// Go's context.WithoutCancel: the parent's values, never done.
Context without_cancel(const Context& parent);

namespace detail {
Context with_value(const Context& parent, const void* key, std::shared_ptr<const void> value);
}
template <class V, class U>
Context with_value(const Context& parent, const ContextKey<V>& key, U&& value) {
  return detail::with_value(parent, &key, std::make_shared<const V>(std::forward<U>(value)));
}

// The errors of ctx.err(), for comparison: absl::IsCancelled / absl::IsDeadlineExceeded work too.
absl::Status canceled_error();
absl::Status deadline_exceeded_error();

}  // namespace weave
