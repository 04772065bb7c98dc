// weave-dump: reads the weave debug runtime's JSON dumps (see cli.h and docs/weave-dump.md).
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  return weave::dump::run_cli(args, std::cout, std::cerr);
}
