// jump_context and make_context (see context_switch.h).
#include "context_switch.h"

#include <cstddef>
#include <cstdint>

namespace weave::detail {

#if defined(__x86_64__)

// A saved context is the stack pointer after six pushes: r12, r13, r14, r15, rbx, rbp from the
// lowest address up, then the address to return to. A fresh context returns into
// weave_context_start with the entry function in r12 and the stack 16-byte aligned.
asm(R"(
  .text
  .globl weave_jump_context
  .hidden weave_jump_context
  .type weave_jump_context, @function
weave_jump_context:
  pushq %rbp
  pushq %rbx
  pushq %r15
  pushq %r14
  pushq %r13
  pushq %r12
  movq %rsp, %rax
  movq %rdi, %rsp
  popq %r12
  popq %r13
  popq %r14
  popq %r15
  popq %rbx
  popq %rbp
  movq %rsi, %rdx
  ret
  .size weave_jump_context, .-weave_jump_context

  .type weave_context_start, @function
weave_context_start:
  movq %rax, %rdi
  movq %rdx, %rsi
  pushq $0
  jmp *%r12
  .size weave_context_start, .-weave_context_start
)");

extern "C" void weave_context_start();

void* make_context(void* top, std::size_t /*size*/, ContextEntry entry) {
  auto sp = reinterpret_cast<std::uintptr_t>(top) & ~std::uintptr_t{15};
  auto** frame = reinterpret_cast<void**>(sp) - 7;
  frame[0] = reinterpret_cast<void*>(entry);       // r12
  for (int i = 1; i < 6; ++i) frame[i] = nullptr;  // r13, r14, r15, rbx, rbp (0 ends unwinding)
  frame[6] = reinterpret_cast<void*>(&weave_context_start);
  return frame;
}

const void* context_frame_pointer(const void* context) {
  return static_cast<void* const*>(context)[5];  // rbp, the last of the six pushes
}

#else

void* make_context(void* top, std::size_t size, ContextEntry entry) {
  // fcontext's entry takes its own transfer_t, which has the same layout as Transfer.
  static_assert(sizeof(bctx::transfer_t) == sizeof(Transfer));
  return bctx::make_fcontext(top, size, reinterpret_cast<void (*)(bctx::transfer_t)>(entry));
}

const void* context_frame_pointer(const void*) { return nullptr; }

#endif

}  // namespace weave::detail
