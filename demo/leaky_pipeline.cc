// The demo: a pipeline with fan-out and fan-in (the seed guides' favourite), followed by the
// guides' classic leak — a request handler that gives up on a slow backend after a timeout and
// leaves the backend's fiber blocked forever on an unbuffered send. The program does not ask for a
// dump: it is linked with the debug runtime, whose leak dump at exit lists the leaked fibers, where
// they block and where they were created (and, with WEAVE_DUMP set, writes it as JSON).
#include <weave/weave.h>

#include <cstdio>
#include <vector>

namespace {

weave::RecvChan<int> generate(std::vector<int> nums) {
  auto out = weave::make_chan<int>();
  weave::go([=] {
    for (int n : nums) out.send(n);
    out.close();
  });
  return out;
}

weave::RecvChan<int> square(weave::RecvChan<int> in) {
  auto out = weave::make_chan<int>();
  weave::go([=] {
    for (int n : in) out.send(n * n);
    out.close();
  });
  return out;
}

weave::RecvChan<int> merge(std::vector<weave::RecvChan<int>> ins) {
  auto out = weave::make_chan<int>();
  auto wg = std::make_shared<weave::WaitGroup>();
  for (auto& in : ins) {
    wg->go([=] {
      for (int n : in) out.send(n);
    });
  }
  weave::go([=] {
    wg->wait();
    out.close();
  });
  return out;
}

// The bug: `result` is unbuffered, so when the timeout wins nobody ever receives and the
// backend's fiber blocks on its send forever. (Capacity 1 fixes it.)
int handle_request(int id) {
  auto result = weave::make_chan<int>();
  weave::go([=] {
    weave::sleep(absl::Milliseconds(50));  // a slow backend
    result.send(id * 10);
  });
  int v = 0;
  switch (
      weave::select(weave::recv(result, v), weave::recv(weave::after(absl::Milliseconds(10))))) {
    case 0:
      return v;
    default:
      return -1;  // timed out; the backend fiber leaks
  }
}

}  // namespace

int main() {
  auto in = generate({1, 2, 3, 4, 5, 6});
  int sum = 0;
  for (int v : merge({square(in), square(in), square(in)})) sum += v;
  std::printf("pipeline: sum of squares 1..6 = %d\n", sum);

  for (int id = 1; id <= 3; ++id) std::printf("request %d -> %d\n", id, handle_request(id));

  weave::sleep(absl::Milliseconds(100));  // the slow backends reach their sends meanwhile
  std::printf("fibers still alive at exit: %d\n", weave::num_fibers());
}
