// Fiber stacks: reserved with mmap, committed lazily by the kernel as the fiber touches them,
// guarded by a PROT_NONE page below the lowest usable byte, and recycled through a pool.
//
// A guard page costs the kernel a mapping of its own, and vm.max_map_count (65530 by default)
// caps mappings per process; so once guarded stacks would use half of that budget, new stacks come
// unguarded from slabs (one mapping for many), and their overflow is caught after the fact: the
// scheduler checks the saved stack pointer whenever the fiber switches out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weave::detail {

struct Stack {
  char* base = nullptr;  // lowest usable address
  std::size_t size = 0;  // usable bytes; the stack grows down from base + size
  bool guarded = false;  // a PROT_NONE page lies just below base
  Stack* next_free = nullptr;
};

Stack* stack_acquire();
void stack_release(Stack* s);
std::size_t stack_size();

// False if a fiber switched out with its stack pointer below its stack (an unguarded overflow).
bool stack_pointer_ok(const Stack* s, const void* sp);

// If addr falls in the guard page of a stack in use, that stack; else null. Used by the SIGSEGV
// handler to tell a stack overflow from any other fault.
bool stack_is_guard_address(const Stack* s, const void* addr);

// Installs the SIGSEGV handler (on an alternate signal stack of the calling thread).
void install_overflow_handler_for_thread();

}  // namespace weave::detail
