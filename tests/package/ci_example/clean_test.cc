// Every fiber it starts has finished at exit: a clean dump.
#include <weave/weave.h>

int main() {
  auto results = weave::make_chan<int>();
  weave::WaitGroup wg;
  for (int i = 0; i < 4; ++i) wg.go([=] { results.send(i); });
  int sum = 0;
  for (int i = 0; i < 4; ++i) sum += *results.recv();
  wg.wait();
  return sum == 6 ? 0 : 1;
}
