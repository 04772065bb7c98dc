// Test-only observers of the scheduler. Not part of the API of SPEC.md.
#pragma once

namespace weave::detail {

// How many workers are asleep (idle, on the idle list). Tests that must start from sleeping
// workers wait for this instead of sleeping and hoping.
int sleeping_workers_for_testing();

}  // namespace weave::detail
