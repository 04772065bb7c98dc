// Freed memory is forgotten: free() and realloc() are interposed (weave_debug defines them and
// forwards to glibc's), so that memory the allocator hands out again starts with no past — no
// stale race between an object's old owner and the next one, whose hand-over through the
// allocator the engine cannot see. operator delete comes here through free().
#include <malloc.h>

#include "alloc.h"
#include "engine.h"
#include "shadow.h"
#include "sync.h"

namespace weave::detail::race {

void forget_range(uptr lo, uptr hi) {
  shadow_clear(lo, hi);
  sync_forget(lo, hi);
}

namespace {
// The engine's own frees (a report's strings) must not re-enter it.
__attribute__((tls_model("initial-exec"))) thread_local bool tls_inside = false;

void forget_block(void* p) {
  if (!p || !enabled() || tls_inside) return;
  tls_inside = true;
  const uptr lo = reinterpret_cast<uptr>(p);
  forget_range(lo, lo + malloc_usable_size(p));
  tls_inside = false;
}
}  // namespace

}  // namespace weave::detail::race

extern "C" {

void free(void* p) {
  weave::detail::race::forget_block(p);
  __libc_free(p);
}

void* realloc(void* p, std::size_t n) {
  using namespace weave::detail::race;
  if (!p || !enabled()) return __libc_realloc(p, n);
  const std::size_t old = malloc_usable_size(p);
  void* q = __libc_realloc(p, n);
  if (q && q != p && !tls_inside) {
    tls_inside = true;
    const uptr lo = reinterpret_cast<uptr>(p);
    forget_range(lo, lo + old);
    tls_inside = false;
  }
  return q;
}

}  // extern "C"
