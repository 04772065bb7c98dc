#include <weave/weave.h>

#include <cstdio>

int main() {
  auto ch = weave::make_chan<int>();
  weave::go([=] {
    for (int i = 1; i <= 3; ++i) ch.send(i);
    ch.close();
  });
  int sum = 0;
  for (int v : ch) sum += v;
  std::printf("consumer sum %d\n", sum);
  return sum == 6 ? 0 : 1;
}
