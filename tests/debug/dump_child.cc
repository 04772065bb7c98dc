// Programs for dump_test.cc, which runs each (`weave_dump_child <name>`) against the debug
// runtime and reads what it prints and writes.
#include <weave/weave.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "absl/time/time.h"

namespace {

// Waits (yielding) until `n` fibers are blocked, so that the dump finds them parked.
void wait_blocked(int n) {
  for (;;) {
    std::string dump;
    {
      std::ostringstream out;
      weave::dump_fibers(out);
      dump = out.str();
    }
    int blocked = 0;
    for (auto p = dump.find("blocked at"); p != std::string::npos;
         p = dump.find("blocked at", p + 1)) {
      ++blocked;
    }
    if (blocked >= n) return;
    weave::yield();
  }
}

int main_holds_a_mutex() {
  static weave::Mutex mu;
  mu.lock();
  weave::go([] {
    mu.lock();
    mu.unlock();
  });
  wait_blocked(1);
  return 0;  // main still holds mu: the exit dump names it (the fiber's parent) as the holder
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what == "main-holds-mutex") return main_holds_a_mutex();
  std::fprintf(stderr, "dump_child: unknown program '%s'\n", what.c_str());
  return 64;
}
