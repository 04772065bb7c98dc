// Asymmetric fences, for Dekker-style handshakes in which one side is hot and the other rare: the
// hot side pays a compiler barrier, the rare side membarrier(2), which runs a full memory barrier
// on every CPU that runs a thread of this process. Each side stores its flag, fences, then loads
// the other's: either the rare side sees the hot side's store, or the hot side sees the rare
// side's. Without membarrier both sides pay a full fence.
#pragma once

#include <atomic>

namespace weave::detail {

extern bool g_membarrier;  // set once by asym_fence_init, before any thread uses the fences

// Registers the process for membarrier; called as the scheduler starts, before the workers do.
void asym_fence_init();

inline void light_fence() {
  if (g_membarrier) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
}

void heavy_fence();

}  // namespace weave::detail
