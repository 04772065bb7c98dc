// What inline code in the public headers reports to the debug runtime. weave::weave_debug adds
// WEAVE_DEBUG=1 to its users' compile definitions, so that fast paths compiled into the user's
// code (Once::call's) and the end of a sync object's life are seen too; the functions exist only in
// the debug library.
#pragma once

#include <cstddef>

#if WEAVE_DEBUG
namespace weave::detail {

// Happens-before through obj, as the runtime's own release/acquire (runtime/src/hooks.h).
void debug_release(const void* obj) noexcept;
void debug_acquire(const void* obj) noexcept;
// Every synchronization object in [obj, obj + size) is gone: one made later at the same address
// starts fresh.
void debug_object_gone(const void* obj, std::size_t size) noexcept;
// The running task wrote [obj, obj + size): what the runtime wrote for it (a received value, put in
// place by whichever thread completed the receive) is checked for races as the receiver's own
// write.
void debug_wrote(const void* obj, std::size_t size) noexcept;

}  // namespace weave::detail
#endif
