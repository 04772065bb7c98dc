// Test-only observers of the context tree, for the tests in tests/runtime (not installed; not part
// of the API of SPEC.md).
#pragma once

#include <cstddef>

#include "weave/context.h"

namespace weave::detail {

// The number of children registered with ctx's nearest cancellable node (0 if it has none): what
// a long-lived parent keeps alive. Tests use it to check that cancelled children unregister.
std::size_t context_child_count_for_testing(const Context& ctx);

// Whether ctx's own deadline timer is waiting in the timer heap.
bool context_deadline_queued_for_testing(const Context& ctx);

}  // namespace weave::detail
