// Test-only observers of the scheduler, for the tests in tests/runtime (not installed; not part of
// the API of SPEC.md).
#pragma once

namespace weave::detail {

// How many workers are asleep (idle, on the idle list). Tests that must start from sleeping
// workers wait for this instead of sleeping and hoping.
int sleeping_workers_for_testing();

// How many steals a worker has judged not worth their cost, so far (each starts a back-off from
// stealing; see judge_steal in scheduler.cc).
int steal_backoffs_for_testing();

// How many fiber stacks the pool has mapped so far (it never unmaps one).
int stacks_made_for_testing();

// How many stacks may have their guard at once (guard.h): parking more fibers than this tests that
// a stack gets its guard when it runs.
int stack_guard_budget_for_testing();

}  // namespace weave::detail
