// Fiber stacks: reserved with mmap, committed lazily by the kernel as the fiber touches them,
// guarded by a PROT_NONE page below the lowest usable byte, and recycled through a pool.
//
// A guard page costs the kernel a mapping of its own, and vm.max_map_count (65530 by default)
// caps mappings per process; so once guarded stacks would use half of that budget, new stacks come
// unguarded from slabs (one mapping for many), and their overflow is caught after the fact: the
// scheduler checks the saved stack pointer whenever the fiber switches out.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace weave::detail {

struct Fiber;

struct Stack {
  char* base = nullptr;  // lowest usable address
  std::size_t size = 0;  // usable bytes; the stack grows down from base + size
  bool guarded = false;  // a PROT_NONE page lies just below base

  // The fiber running on this stack, published once it is fully made and cleared before it is
  // destroyed: the registry (registry.cc) walks every stack and reads this to find live fibers.
  std::atomic<Fiber*> fiber{nullptr};

  // Free lists (stack.cc), owned by whoever holds the stack while it is free: the next stack of
  // a batch, and in a batch's first stack the next batch of the pool and the batch's length.
  Stack* next_free = nullptr;
  Stack* next_batch = nullptr;
  int batch_len = 0;
};

Stack* stack_acquire();
void stack_release(Stack* s);
std::size_t stack_size();

// Every stack ever made, in the order they were made. Stacks are never unmapped, so a caller may
// read any stack's descriptor (and the Fiber above it) while other threads spawn and finish.
std::size_t stacks_made();
Stack* stack_at(std::size_t i);  // i < stacks_made()

// False if a fiber switched out with its stack pointer below its stack (an unguarded overflow).
bool stack_pointer_ok(const Stack* s, const void* sp);

// If addr falls in the guard page of a stack in use, that stack; else null. Used by the SIGSEGV
// handler to tell a stack overflow from any other fault.
bool stack_is_guard_address(const Stack* s, const void* addr);

// Installs the SIGSEGV handler (on an alternate signal stack of the calling thread).
void install_overflow_handler_for_thread();

}  // namespace weave::detail
