// The kinds of the lock-check warnings given so far, in order (what the tests compare).
#pragma once

#include <string>
#include <vector>

#include "debug/lockcheck.h"

inline std::vector<std::string> warning_kinds() {
  std::vector<std::string> out;
  for (const weave::detail::lockcheck::Warning& w : weave::detail::lockcheck::warnings()) {
    out.push_back(w.kind);
  }
  return out;
}
