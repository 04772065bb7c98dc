// Contexts: a tree of nodes. A node either can be cancelled (with_cancel, with_timeout,
// with_deadline, with_cancel_cause: it owns a done channel, an error and a set of children), or
// only carries a value (with_value) or cuts cancellation (without_cancel). Every node knows its
// nearest cancellable ancestor-or-self, `canceler`, which answers done(), err() and deadline().
//
// Cancelling a node: under its lock, record the error and take its children and after-funcs;
// then, without the lock, close done, cancel the children and start the after-funcs, and leave
// the parent's child set. A node whose last handle goes away leaves its parent's set too: long-
// lived parents do not grow.
//
// Lock order: a parent's mu before a child's is never needed; each mu is held alone.
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "context_debug.h"
#include "hooks.h"
#include "task.h"
#include "timer.h"
#include "weave/context.h"
#include "weave/fiber.h"

namespace weave {
namespace detail {

// The node whose deadline fire is running on this thread (the timer thread), if any. See
// ~CtxNode and arm_deadline.
thread_local const CtxNode* tl_firing = nullptr;

struct AfterFuncState {
  std::mutex mu;
  bool done = false;  // guarded by mu: ran or stopped
  std::function<void()> f;
  std::weak_ptr<CtxNode> ctx;
};

struct CtxNode {
  std::shared_ptr<CtxNode> parent;
  CtxNode* canceler = nullptr;  // self, an ancestor, or null: never cancelled

  const void* key = nullptr;  // with_value
  std::shared_ptr<const void> value;

  // The cancellable part (canceler == this).
  std::optional<absl::Time> deadline;  // effective: the earlier of own and ancestors'
  Chan<Unit> done;
  struct DeadlineTimer {
    TimerNode node;  // first: the fire gets &node
    CtxNode* owner;
  } timer{};
  std::mutex mu;
  absl::Status err;                                                // guarded by mu
  absl::Status cause;                                              // guarded by mu
  absl::flat_hash_map<CtxNode*, std::weak_ptr<CtxNode>> children;  // guarded by mu
  std::vector<std::shared_ptr<AfterFuncState>> after_funcs;        // guarded by mu
  std::weak_ptr<CtxNode> self;

  ~CtxNode() {
    hook::object_gone(this, sizeof(*this));
    if (canceler != this) return;
    // timer_stop waits for a fire in progress. If this destructor runs inside this node's own
    // deadline fire (the fire dropped the last reference: e.g. an after-func that captured the
    // context finished first, or a child's last holder let go of it), waiting would block the
    // timer thread on itself forever, and with it every timer in the process. The deadline timer
    // is one-shot, so the timer thread does not touch it once the fire has started: skip the stop.
    if (timer.owner && tl_firing != this) timer_stop(&timer.node);
    if (parent && parent->canceler) {
      CtxNode* p = parent->canceler;
      std::lock_guard<std::mutex> hold(p->mu);
      p->children.erase(this);
    }
  }
};

namespace {

absl::Status canceled() { return absl::CancelledError("context canceled"); }
absl::Status deadline_exceeded() {
  return absl::DeadlineExceededError("context deadline exceeded");
}

std::shared_ptr<CtxNode> root() {
  static auto* r = new std::shared_ptr<CtxNode>(std::make_shared<CtxNode>());
  return *r;
}

void run_after_func(const std::shared_ptr<AfterFuncState>& s) {
  {
    std::lock_guard<std::mutex> hold(s->mu);
    if (s->done) return;
    s->done = true;
  }
  weave::go([s] { s->f(); });
}

// Cancels n (a canceler) and its subtree. remove: also leave the parent's child set.
void cancel_node(CtxNode* n, const absl::Status& err, const absl::Status& cause, bool remove) {
  decltype(n->children) children;
  std::vector<std::shared_ptr<AfterFuncState>> funcs;
  {
    std::lock_guard<std::mutex> hold(n->mu);
    if (!n->err.ok()) return;
    n->err = err;
    n->cause = cause.ok() ? err : cause;
    children.swap(n->children);
    funcs.swap(n->after_funcs);
  }
  // Go's timerCtx stops its timer on cancel: a context cancelled early must not leave its
  // deadline in the timer heap until it would have fired. Inside this node's own fire the timer
  // is already out of the heap (and stopping would wait for the very fire that is running).
  if (n->timer.owner && tl_firing != n) timer_stop(&n->timer.node);
  hook::release(n);
  n->done.close();
  for (auto& [raw, weak] : children) {
    if (auto child = weak.lock()) cancel_node(child.get(), err, cause.ok() ? err : cause, false);
  }
  for (auto& f : funcs) run_after_func(f);
  if (remove && n->parent && n->parent->canceler) {
    CtxNode* p = n->parent->canceler;
    std::lock_guard<std::mutex> hold(p->mu);
    p->children.erase(n);
  }
}

// A new cancellable child of parent, registered with parent's canceler (or cancelled at once if
// that is already done).
std::shared_ptr<CtxNode> new_canceler(const Context& parent_ctx,
                                      std::optional<absl::Time> deadline) {
  std::shared_ptr<CtxNode> parent = parent_ctx.node() ? parent_ctx.node() : root();
  auto n = std::make_shared<CtxNode>();
  n->parent = parent;
  n->canceler = n.get();
  n->self = n;
  n->done = make_chan<Unit>();
  CtxNode* pc = parent->canceler;
  std::optional<absl::Time> inherited = pc ? pc->deadline : std::nullopt;
  n->deadline = inherited;
  if (deadline && (!inherited || *deadline < *inherited)) n->deadline = deadline;
  if (pc) {
    absl::Status perr, pcause;
    {
      std::lock_guard<std::mutex> hold(pc->mu);
      perr = pc->err;
      pcause = pc->cause;
      if (perr.ok()) pc->children.emplace(n.get(), n);
    }
    if (!perr.ok()) cancel_node(n.get(), perr, pcause, false);
  }
  return n;
}

void arm_deadline(const std::shared_ptr<CtxNode>& n, absl::Time t) {
  const absl::Duration left = t - absl::Now();
  if (left <= absl::ZeroDuration()) {
    cancel_node(n.get(), deadline_exceeded(), absl::OkStatus(), true);
    return;
  }
  n->timer.owner = n.get();
  n->timer.node.fire = [](TimerNode* tn) {
    // The node is alive while its destructor has not started: the destructor stops this timer,
    // waiting for a fire in progress. Hold a reference for the whole cancel, so that dropping the
    // last other one inside cancel_node (an after-func's closure, a child) cannot free the node
    // under it; if that reference turns out to be the last, ~CtxNode runs here with tl_firing
    // set and does not wait for this very fire.
    CtxNode* node = reinterpret_cast<CtxNode::DeadlineTimer*>(tn)->owner;
    std::shared_ptr<CtxNode> keep = node->self.lock();
    if (!keep) return;  // being destroyed on another thread, which waits for this fire
    tl_firing = node;
    cancel_node(node, deadline_exceeded(), absl::OkStatus(), true);
    keep.reset();
    tl_firing = nullptr;
  };
  n->timer.node.when_ns = monotonic_now_ns() + absl::ToInt64Nanoseconds(left);
  timer_start(&n->timer.node);
}

}  // namespace

Context with_value(const Context& parent, const void* key, std::shared_ptr<const void> value) {
  auto n = std::make_shared<CtxNode>();
  n->parent = parent.node() ? parent.node() : root();
  n->canceler = n->parent->canceler;
  n->key = key;
  n->value = std::move(value);
  return Context(std::move(n));
}

}  // namespace detail

Context::Context() : node_(detail::root()) {}

RecvChan<Unit> Context::done() const {
  detail::CtxNode* c = node_ ? node_->canceler : nullptr;
  if (!c) return {};
  return c->done;
}

absl::Status Context::err() const {
  detail::CtxNode* c = node_ ? node_->canceler : nullptr;
  if (!c) return absl::OkStatus();
  std::lock_guard<std::mutex> hold(c->mu);
  if (!c->err.ok()) detail::hook::acquire(c);
  return c->err;
}

std::optional<absl::Time> Context::deadline() const {
  detail::CtxNode* c = node_ ? node_->canceler : nullptr;
  return c ? c->deadline : std::nullopt;
}

const void* Context::lookup(const void* key) const {
  for (const detail::CtxNode* n = node_.get(); n; n = n->parent.get()) {
    if (n->key == key) return n->value.get();
  }
  return nullptr;
}

void CancelFunc::operator()() const {
  if (node_) detail::cancel_node(node_.get(), detail::canceled(), absl::OkStatus(), true);
}

void CancelCauseFunc::operator()(absl::Status cause) const {
  if (node_) detail::cancel_node(node_.get(), detail::canceled(), cause, true);
}

bool StopFunc::operator()() const {
  if (!state_) return false;
  {
    std::lock_guard<std::mutex> hold(state_->mu);
    if (state_->done) return false;
    state_->done = true;
  }
  if (auto ctx = state_->ctx.lock()) {
    std::lock_guard<std::mutex> hold(ctx->mu);
    auto& v = ctx->after_funcs;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (*it == state_) {
        v.erase(it);
        break;
      }
    }
  }
  return true;
}

Context background() { return Context(); }
Context todo() { return Context(); }

std::pair<Context, CancelFunc> with_cancel(const Context& parent) {
  auto n = detail::new_canceler(parent, std::nullopt);
  return {Context(n), CancelFunc(n)};
}

std::pair<Context, CancelFunc> with_deadline(const Context& parent, absl::Time t) {
  std::optional<absl::Time> pd = parent.deadline();
  if (pd && *pd <= t) return with_cancel(parent);  // the parent's deadline comes first anyway
  auto n = detail::new_canceler(parent, t);
  detail::arm_deadline(n, t);
  return {Context(n), CancelFunc(n)};
}

std::pair<Context, CancelFunc> with_timeout(const Context& parent, absl::Duration d) {
  return with_deadline(parent, absl::Now() + d);
}

std::pair<Context, CancelCauseFunc> with_cancel_cause(const Context& parent) {
  auto n = detail::new_canceler(parent, std::nullopt);
  return {Context(n), CancelCauseFunc(n)};
}

absl::Status cause(const Context& ctx) {
  detail::CtxNode* c = ctx.node() ? ctx.node()->canceler : nullptr;
  if (!c) return absl::OkStatus();
  std::lock_guard<std::mutex> hold(c->mu);
  return c->cause;
}

StopFunc after_func(const Context& ctx, std::function<void()> f) {
  auto s = std::make_shared<detail::AfterFuncState>();
  s->f = std::move(f);
  detail::CtxNode* c = ctx.node() ? ctx.node()->canceler : nullptr;
  if (c) {
    s->ctx = c->self;
    bool already;
    {
      std::lock_guard<std::mutex> hold(c->mu);
      already = !c->err.ok();
      if (!already) c->after_funcs.push_back(s);
    }
    if (already) detail::run_after_func(s);
  }
  return StopFunc(s);
}

Context without_cancel(const Context& parent) {
  auto n = std::make_shared<detail::CtxNode>();
  n->parent = parent.node() ? parent.node() : detail::root();
  n->canceler = nullptr;
  return Context(std::move(n));
}

absl::Status canceled_error() { return detail::canceled(); }
absl::Status deadline_exceeded_error() { return detail::deadline_exceeded(); }

}  // namespace weave

namespace weave::detail {

std::size_t context_child_count_for_testing(const Context& ctx) {
  CtxNode* c = ctx.node() ? ctx.node()->canceler : nullptr;
  if (!c) return 0;
  std::lock_guard<std::mutex> hold(c->mu);
  return c->children.size();
}

bool context_deadline_queued_for_testing(const Context& ctx) {
  CtxNode* c = ctx.node() ? ctx.node()->canceler : nullptr;
  if (!c || !c->timer.owner) return false;
  std::lock_guard<std::mutex> hold(timer_heap_lock());
  return c->timer.node.heap_index >= 0;
}

}  // namespace weave::detail
