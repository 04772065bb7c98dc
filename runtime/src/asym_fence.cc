// Asymmetric fences (see asym_fence.h).
#include "asym_fence.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace weave::detail {

bool g_membarrier = false;

void asym_fence_init() {
  g_membarrier = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void heavy_fence() {
  if (!g_membarrier) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  } else if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
    std::perror("fatal error: membarrier");  // registered, so it cannot fail
    std::abort();
  }
}

}  // namespace weave::detail
