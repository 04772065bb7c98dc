// weave-seeds: every seed translation of fixtures/seeds/ in one program.
//
//   weave-seeds NAME [ARGS...]   runs the seed NAME (its file name without .cc) as this process's
//                                main and exits with its status
//   weave-seeds --list           prints the names, one a line
//
// stdout is line-buffered, so that what a seed printed before a panic (abort) or before the
// test kills a hanging seed is not lost in a buffer: Go writes its output unbuffered.
#include <cstdio>
#include <cstring>

#include "seed_main.h"

int main(int argc, char** argv) {
  using weave_seeds::kSeedCount;
  using weave_seeds::kSeeds;
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (int i = 0; i < kSeedCount; i++) std::printf("%s\n", kSeeds[i].name);
    return 0;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: weave-seeds NAME [ARGS...] | --list\n");
    return 64;
  }
  for (int i = 0; i < kSeedCount; i++) {
    if (std::strcmp(kSeeds[i].name, argv[1]) == 0) {
      std::setvbuf(stdout, nullptr, _IOLBF, 0);
      return kSeeds[i].main(argc - 1, argv + 1);
    }
  }
  std::fprintf(stderr, "weave-seeds: no seed named '%s' (see weave-seeds --list)\n", argv[1]);
  return 64;
}
