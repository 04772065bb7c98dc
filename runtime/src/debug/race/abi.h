// The interface between code compiled with libweave_instrument.so (instrument/) and the race
// engine: the records the plugin emits and the calls it inserts. Both sides include this header,
// so the encodings below have one definition.
//
// Calls inserted into instrumented code (all extern "C", all in weave_debug):
// - __weave_read{1,2,4,8,16}(addr, loc) before a plain load of that many bytes, and
//   __weave_write{1,2,4,8,16}(addr, loc) before a plain store;
// - __weave_read_range / __weave_write_range(addr, size, loc) for any other size or alignment,
//   and for memcpy, memmove and memset;
// - __weave_atomic(addr, size, flags, loc) before an atomic load, store, rmw or cmpxchg, and
//   __weave_atomic_after(addr, flags, ok) after each of them but a store (ok: the cmpxchg
//   succeeded; flags with the size); __weave_fence(order) at an atomic fence;
// - __weave_func_entry(fn) and __weave_func_exit(), the shadow call stack (exit also on
//   unwinding);
// - __weave_callsite, a thread-local the caller sets to the call's record just before each call,
//   read by the callee's func_entry and cleared by func_exit (a value left by a call to code not
//   instrumented must not reach a later entry);
// - __weave_<name> instead of a call to a name of kRedirected (same signature): the program's
//   pthread locks and onces, POSIX semaphores and its function-local statics' guards, so that the
//   engine sees the program's and never the runtime's own;
// - __weave_module_init(features) from a constructor of every instrumented module, which turns the
//   engine on (features: kFeature* below).
#pragma once

#include <cstdint>

namespace weave::race_abi {

// A source location, static in the instrumented module (the plugin makes one per distinct debug
// location). Code inlined from elsewhere points at the location it was inlined at, so a record is
// the innermost frame of a chain that ends in the function the code was compiled into.
struct Loc {
  const char* file;      // the path as the compiler saw it (directory joined)
  const char* function;  // demangled
  std::uint32_t line;    // 0: unknown (compiled without -g)
  std::uint32_t column;
  const Loc* inlined_at;  // null in the outermost frame
  std::uint32_t id;       // 0 until the engine numbers the record on first use (it writes it)
  std::uint32_t reserved;
};

// __weave_atomic's flags: the operation in the low bits, then the C++ memory orders.
enum AtomicOp : std::uint32_t { kLoad = 0, kStore = 1, kRmw = 2, kCas = 3 };
// std::memory_order's values (and __ATOMIC_*'s).
enum Order : std::uint32_t {
  kRelaxed = 0,
  kConsume = 1,
  kAcquire = 2,
  kRelease = 3,
  kAcqRel = 4,
  kSeqCst = 5
};
constexpr std::uint32_t kOpMask = 0xf;
constexpr int kOrderShift = 4;      // the order (a cmpxchg's success order)
constexpr int kFailOrderShift = 8;  // a cmpxchg's failure order

constexpr std::uint32_t atomic_flags(AtomicOp op, Order order, Order fail = kRelaxed) {
  return op | (order << kOrderShift) | (fail << kFailOrderShift);
}
// __weave_atomic_after's flags say the access's size too: an atomic of one size may read what
// atomics of another wrote (libstdc++'s shared_ptr reads its two 4-byte counts with one 8-byte
// load).
constexpr int kSizeShift = 12;
constexpr std::uint32_t with_size(std::uint32_t flags, std::uint32_t size) {
  return flags | (size << kSizeShift);
}
constexpr std::uint32_t flags_size(std::uint32_t f) { return f >> kSizeShift; }
constexpr AtomicOp flags_op(std::uint32_t f) { return static_cast<AtomicOp>(f & kOpMask); }
constexpr Order flags_order(std::uint32_t f) {
  return static_cast<Order>((f >> kOrderShift) & 0xf);
}
constexpr Order flags_fail_order(std::uint32_t f) {
  return static_cast<Order>((f >> kFailOrderShift) & 0xf);
}
constexpr bool acquires(Order o) {
  return o == kAcquire || o == kConsume || o == kAcqRel || o == kSeqCst;
}
constexpr bool releases(Order o) { return o == kRelease || o == kAcqRel || o == kSeqCst; }

// __weave_module_init's features: what the module contains that costs the engine elsewhere.
constexpr std::uint32_t kFeatureAcquireFence = 1;  // an acquire (or stronger) atomic fence

// The functions whose calls the plugin redirects to __weave_<name>.
inline constexpr const char* kRedirected[] = {
    "pthread_mutex_lock",
    "pthread_mutex_trylock",
    "pthread_mutex_timedlock",
    "pthread_mutex_clocklock",
    "pthread_mutex_unlock",
    "pthread_mutex_destroy",
    "pthread_rwlock_rdlock",
    "pthread_rwlock_tryrdlock",
    "pthread_rwlock_timedrdlock",
    "pthread_rwlock_clockrdlock",
    "pthread_rwlock_wrlock",
    "pthread_rwlock_trywrlock",
    "pthread_rwlock_timedwrlock",
    "pthread_rwlock_clockwrlock",
    "pthread_rwlock_unlock",
    "pthread_rwlock_destroy",
    "pthread_spin_lock",
    "pthread_spin_trylock",
    "pthread_spin_unlock",
    "pthread_once",
    "sem_post",
    "sem_wait",
    "sem_trywait",
    "sem_timedwait",
    "sem_clockwait",
    "sem_destroy",
    "__cxa_guard_acquire",
    "__cxa_guard_release",
};

}  // namespace weave::race_abi
