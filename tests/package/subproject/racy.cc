// Two fibers write one int with nothing ordering them: built with weave_instrument(), the run
// reports the race and exits with status 66.
#include <weave/weave.h>

#include <cstdio>

int main() {
  int hits = 0;
  weave::WaitGroup wg;
  for (int i = 0; i < 2; ++i) {
    wg.add(1);
    weave::go([&] {
      ++hits;
      wg.done();
    });
  }
  wg.wait();
  std::printf("hits %d\n", hits);
}
