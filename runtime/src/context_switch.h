// Switching machine contexts: the one primitive under every fiber switch.
//
// jump_context(to, data) saves the caller's callee-saved registers on its own stack, switches to
// the stack `to` names and restores that context's registers from it. The context resumed gets
// {where the jumper can be resumed, data}: as the return value of its own jump_context, or, for a
// context fresh from make_context, as its entry function's argument. A context can be resumed
// once: the next jump out of it names it anew.
//
// On x86-64 this is our own (context_switch.cc): six pushes, a stack swap, six pops and a `ret`,
// which keeps the CPU's return-address predictions paired (a `jmp` leaves an unmatched call
// behind, and every return after it is mispredicted). Unlike Boost.Context's it does not carry
// the floating-point control words (MXCSR, x87) from fiber to fiber: they stay the thread's, as
// in Go; a fiber that changes the rounding mode must restore it before it blocks. Elsewhere,
// Boost.Context's fcontext.
#pragma once

#if !defined(__x86_64__)
#include <boost/context/detail/fcontext.hpp>
#endif

#include <cstddef>

namespace weave::detail {

struct Transfer {
  void* from;  // where the context that jumped can be resumed
  void* data;  // what it passed
};

using ContextEntry = void (*)(Transfer);

#if defined(__x86_64__)
extern "C" Transfer weave_jump_context(void* to, void* data);

inline Transfer jump_context(void* to, void* data) { return weave_jump_context(to, data); }

#else
namespace bctx = boost::context::detail;

inline Transfer jump_context(void* to, void* data) {
  bctx::transfer_t t = bctx::jump_fcontext(to, data);
  return Transfer{t.fctx, t.data};
}

#endif

// A context that, resumed, calls entry({jumper, data}) on the `size` bytes of stack below `top`.
// entry must never return.
void* make_context(void* top, std::size_t size, ContextEntry entry);

// The frame pointer a saved context resumes with (the start of a walk over a parked fiber's
// frames), or null where it is not known (Boost.Context's layout).
const void* context_frame_pointer(const void* context);

}  // namespace weave::detail
