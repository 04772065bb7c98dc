// Fiber stacks: reserved with mmap, committed lazily by the kernel as the fiber touches them, and
// recycled through a pool. Below each stack's lowest usable byte lies its guard region, which is
// PROT_NONE whenever a fiber runs on the stack (guard.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace weave::detail {

struct Fiber;

// Large enough that a frame of up to this size cannot step over it (the compiler does not probe
// the pages of a large frame unless told to: -fstack-clash-protection); address space is cheap.
inline constexpr std::size_t kGuardBytes = 64 * 1024;

struct Stack {
  char* base = nullptr;  // lowest usable address; the guard region is the kGuardBytes below it
  std::size_t size = 0;  // usable bytes; the stack grows down from base + size
  std::atomic<bool> guarded{false};  // the guard region is PROT_NONE (guard.h)

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

// How many mappings the stacks use (one per slab; guards add theirs: guard.cc).
std::size_t stack_mappings();

}  // namespace weave::detail
