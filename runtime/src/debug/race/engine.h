// The race engine's interface to the rest of weave_debug: the seam's hooks (debug/hooks.cc), the
// pthread wrappers and the allocator interposers call these. Instrumented code calls the entry
// points of abi.h instead.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "abi.h"
#include "cell.h"
#include "race_task.h"

namespace weave::detail::race {

// Turns the engine on: an instrumented module is in the process (abi.h's features).
void enable(u32 features);
inline bool enabled() { return g_enabled.load(std::memory_order_relaxed); }
extern std::atomic<bool> g_acquire_fences;

// Happens-before through addr: t's past is published there (and t moves to a new epoch), or t
// takes what was published there. size: the bytes from addr an atomic wrote or reads (sync.h).
void release(RaceTask* t, const void* addr, u32 size = 1);
void acquire(RaceTask* t, const void* addr, u32 size = 1);
// Both, in one step: t takes what was published at addr, then publishes its past there.
void acquire_release(RaceTask* t, const void* addr);
// a and b both publish their past at addr and take the other's, in one step.
void exchange(RaceTask* a, RaceTask* b, const void* addr);

// The timer thread fires `timer`: for the fire it knows what the timer's arming published there
// (a write before Timer's creation or reset happens before its value is received), and after it
// forgets that again, so that one timer's armer is not ordered before another timer's receiver.
void fire_begins(const void* timer);
void fire_ends();

// An access to a synchronization object checked like memory (Go's race.Read(&wg.sema)): a send
// racing with a close, an add from zero racing with a wait. Its location is the instrumented call
// that led here (__weave_callsite).
void check_object(const void* addr, bool write);
// A write of [addr, addr + size) by the running task, made for it by the runtime (a received value
// put in place, perhaps from the sender's thread), checked at the instrumented call that led here.
void check_written(const void* addr, std::size_t size);

// The thread behind t is weave's thread `id` (reports then name it as dumps do).
void name_thread(RaceTask* t, std::uint64_t id);

// The program ends (the world is stopped, static destructors are next): a run that reported a
// race ends with its exit status (report.h) even if exit is cut short from here on.
void program_exit();

// The races reported so far, as the JSON dump's "races" array (SPEC.md).
std::string races_json();

// The locks the running task holds, for its reports.
void note_locked(const void* m, bool shared, const char* file, u32 line);
void note_unlocked(const void* m);
// The entry of a lock t holds; null if it does not hold m.
const HeldLock* held_lock(const RaceTask* t, const void* m);

// The innermost frame in the program's own code (report.h) of t's stack at loc (loc's inlined
// chain, then the calls that led there); loc itself if there is none. What names where a thread
// was created or a lock taken: the call itself is often inside a standard header (std::thread's
// constructor, std::lock_guard's).
const Loc* user_frame(const RaceTask* t, const Loc* loc);

// [lo, hi) is a stack about to be used: the top of it is used sparsely (shadow_make_sparse).
void stack_in_use(uptr lo, uptr hi);

// Forgets everything about [lo, hi): its accesses and the clocks of objects in it (memory freed).
void forget_range(uptr lo, uptr hi);

}  // namespace weave::detail::race
