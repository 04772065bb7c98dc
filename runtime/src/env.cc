// Reading WEAVE_PROCS and WEAVE_STACK_SIZE (see env.h).
#include "env.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace weave::detail {
namespace {

// "256k" for 262144, "1g" for 2^30: sizes are said the way they are written.
std::string size_text(std::size_t n) {
  const char* units = "kmg";
  int u = -1;
  while (u < 2 && n >= 1024 && n % 1024 == 0) {
    n /= 1024;
    ++u;
  }
  return std::to_string(n) + (u >= 0 ? std::string(1, units[u]) : std::string());
}

void complain(const char* name, const char* value, const char* what, const std::string& used) {
  std::fprintf(stderr, "weave: %s=\"%s\" %s; using %s\n", name, value, what, used.c_str());
}

// The digits at the start of s as a number (saturating at UINT64_MAX); false if there are none.
bool leading_number(const char*& s, std::uint64_t* out) {
  if (*s < '0' || *s > '9') return false;
  std::uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) {
    const unsigned d = static_cast<unsigned>(*s - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

int env_procs(int fallback) {
  const char* value = std::getenv("WEAVE_PROCS");
  if (value == nullptr || *value == '\0') return fallback;
  const char* p = value;
  std::uint64_t n = 0;
  if (!leading_number(p, &n) || *p != '\0' || n == 0) {
    complain("WEAVE_PROCS", value, "is not a whole number of workers, at least 1",
             std::to_string(fallback) + " (the number of CPUs)");
    return fallback;
  }
  if (n > kMaxProcs) {
    complain("WEAVE_PROCS", value, "is above the maximum", std::to_string(kMaxProcs));
    return kMaxProcs;
  }
  return static_cast<int>(n);
}

std::size_t env_stack_size(std::size_t fallback) {
  const char* value = std::getenv("WEAVE_STACK_SIZE");
  if (value == nullptr || *value == '\0') return fallback;
  const char* p = value;
  std::uint64_t n = 0;
  int shift = 0;
  bool ok = leading_number(p, &n);
  if (ok && *p != '\0') {
    switch (*p++) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      default:
        ok = false;
    }
    ok = ok && *p == '\0';
  }
  if (!ok) {
    complain("WEAVE_STACK_SIZE", value, "is not a size (bytes, or a number and k, m or g)",
             "the default, " + size_text(fallback));
    return fallback;
  }
  const std::uint64_t bytes = n > (UINT64_MAX >> shift) ? UINT64_MAX : n << shift;
  if (bytes < kMinStack) {
    complain("WEAVE_STACK_SIZE", value, "is below the minimum", size_text(kMinStack));
    return kMinStack;
  }
  if (bytes > kMaxStack) {
    complain("WEAVE_STACK_SIZE", value, "is above the maximum", size_text(kMaxStack));
    return kMaxStack;
  }
  return static_cast<std::size_t>(bytes);
}

}  // namespace weave::detail
