// The runtime's settings from the environment: WEAVE_PROCS and WEAVE_STACK_SIZE. A value that is
// not usable is never taken as it is and never ignored in silence: one line on stderr names the
// variable, what was wrong and what is used instead.
#pragma once

#include <cstddef>

namespace weave::detail {

// WEAVE_PROCS: a whole number of workers from 1 to kMaxProcs; unset or empty: fallback.
inline constexpr int kMaxProcs = 16384;
int env_procs(int fallback);

// WEAVE_STACK_SIZE: bytes, or a number followed by k, m or g (powers of 1024), from kMinStack to
// kMaxStack; unset or empty: fallback.
inline constexpr std::size_t kMinStack = 16 * 1024;
inline constexpr std::size_t kMaxStack = std::size_t{1} << 30;
std::size_t env_stack_size(std::size_t fallback);

}  // namespace weave::detail
