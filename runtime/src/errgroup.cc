// weave::ErrGroup: errgroup.Group. The limit is a buffered channel of tokens, as in Go's
// implementation: go() sends one (blocking while full), a finished task receives one.
#include <mutex>

#include "weave/errgroup.h"
#include "weave/select.h"

namespace weave {

ErrGroup::ErrGroup() = default;

ErrGroup::ErrGroup(const Context& parent) {
  auto [ctx, cancel] = with_cancel_cause(parent);
  ctx_ = std::move(ctx);
  cancel_ = std::move(cancel);
}

ErrGroup::~ErrGroup() = default;

void ErrGroup::set_limit(int n) {
  if (n < 0) {
    sem_ = Chan<Unit>();
    return;
  }
  if (sem_ && sem_.len() != 0) {
    throw Panic("errgroup: modify limit while " + std::to_string(sem_.len()) +
                " goroutines in the group are still active");
  }
  sem_ = make_chan<Unit>(static_cast<std::size_t>(n));
}

void ErrGroup::acquire_slot(const Location& loc) {
  if (sem_) sem_.send(Unit{}, loc);
}

bool ErrGroup::try_acquire_slot() {
  if (!sem_) return true;
  return select(send(sem_, Unit{}), otherwise()) == 0;
}

void ErrGroup::finish(absl::Status s) {
  if (!s.ok()) {
    bool first = false;
    {
      std::lock_guard<Mutex> hold(mu_);
      if (err_.ok()) {
        err_ = s;
        first = true;
      }
    }
    if (first && cancel_) cancel_(s);
  }
  if (sem_) sem_.recv();
  wg_.done();
}

absl::Status ErrGroup::wait(Location loc) {
  wg_.wait(loc);
  std::lock_guard<Mutex> hold(mu_);
  if (cancel_) cancel_(err_);
  return err_;
}

}  // namespace weave
