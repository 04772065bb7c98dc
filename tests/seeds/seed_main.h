// How the driver calls a seed's main, whatever it returns. A seed's `int main()` is compiled as
// `auto <seed>_main()` (seed_wrapper.cc.in), so a main that never says `return` (valid for the
// real main, undefined behaviour for any other int function) deduces void and means 0.
#pragma once

#include <type_traits>

namespace weave_seeds {

// The entry of one seed in the registry (registry.cc, generated).
struct SeedEntry {
  const char* name;
  int (*main)(int argc, char** argv);
};
extern const SeedEntry kSeeds[];
extern const int kSeedCount;

template <class F>
int run_main(F& f, int argc, char** argv) {
  if constexpr (std::is_invocable_v<F&>) {
    (void)argc;
    (void)argv;
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      f();
      return 0;
    } else {
      return static_cast<int>(f());
    }
  } else {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, int, char**>>) {
      f(argc, argv);
      return 0;
    } else {
      return static_cast<int>(f(argc, argv));
    }
  }
}

}  // namespace weave_seeds
