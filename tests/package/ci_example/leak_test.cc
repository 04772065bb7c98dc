// The leak of the seed guides' HTTP handler: the caller gives up when its context is done and
// the fiber's send on the unbuffered channel then blocks forever. fetch also loses its context's
// cancel on that early return, which weave-lint reports (weave-lost-cancel).
#include <weave/weave.h>

#include <optional>

std::optional<int> fetch(const weave::Context& parent, weave::RecvChan<weave::Unit> go_ahead,
                         weave::WaitGroup& sending) {
  auto [ctx, cancel] = weave::with_cancel(parent);
  auto reply = weave::make_chan<int>();
  weave::go([=, &sending] {
    go_ahead.recv();
    sending.done();
    reply.send(42);
  });
  int v = 0;
  if (weave::select(weave::recv(reply, v), weave::recv(ctx.done())) == 1) return std::nullopt;
  cancel();
  return v;
}

int main() {
  auto [parent, stop] = weave::with_cancel(weave::background());
  stop();
  auto go_ahead = weave::make_chan<weave::Unit>();
  weave::WaitGroup sending;
  sending.add(1);
  auto v = fetch(parent, go_ahead, sending);
  go_ahead.close();
  sending.wait();
  return v ? 1 : 0;
}
