// Call stacks (see stack_trace.h).
#include "stack_trace.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "absl/debugging/symbolize.h"

namespace weave::detail {

// Starts at the caller's frame, wherever backtrace itself starts: under a sanitizer, which
// intercepts backtrace, its interceptor's frame comes first.
[[gnu::noinline]] int capture_stack(void** pcs, int max) {
  const int n = backtrace(pcs, max);
  void* const caller = __builtin_return_address(0);
  for (int i = 0; i < n; ++i) {
    if (pcs[i] != caller) continue;
    std::memmove(pcs, pcs + i, static_cast<std::size_t>(n - i) * sizeof(void*));
    return n - i;
  }
  return n;
}

namespace {

// Reads two words at p through the kernel: false instead of a fault where nothing is mapped.
bool read_frame(const void* p, void* out[2]) {
  iovec local{out, 2 * sizeof(void*)};
  iovec remote{const_cast<void*>(p), 2 * sizeof(void*)};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 2 * sizeof(void*);
}

}  // namespace

int walk_frames(const void* fp, const void* lo, const void* hi, void** pcs, int max, bool careful) {
  int n = 0;
  auto in = [&](const void* p) {
    return p >= lo && static_cast<const char*>(p) + 2 * sizeof(void*) <= hi &&
           reinterpret_cast<std::uintptr_t>(p) % sizeof(void*) == 0;
  };
  while (n < max && fp && in(fp)) {
    void* frame[2];
    if (careful) {
      if (!read_frame(fp, frame)) break;
    } else {
      frame[0] = static_cast<void* const*>(fp)[0];
      frame[1] = static_cast<void* const*>(fp)[1];
    }
    if (!frame[1]) break;
    pcs[n++] = frame[1];
    if (frame[0] <= fp) break;
    fp = frame[0];
  }
  return n;
}

std::string symbolize(const void* pc) {
  char buf[1024];
  // A return address points after the call: look up the call itself.
  if (absl::Symbolize(static_cast<const char*>(pc) - 1, buf, sizeof buf)) return buf;
  return "??";
}

CodeAddress code_address(const void* pc) {
  CodeAddress a;
  Dl_info info;
  if (dladdr(pc, &info) && info.dli_fname) {
    a.module = info.dli_fname;
    a.offset =
        reinterpret_cast<std::uintptr_t>(pc) - reinterpret_cast<std::uintptr_t>(info.dli_fbase);
  }
  return a;
}

namespace {

bool starts_with(const std::string& s, const char* p) {
  return s.compare(0, std::strlen(p), p) == 0;
}

}  // namespace

bool is_top_machinery(const Frame& f) {
  // A fiber's callable, called through this template, is the user's code (often inlined in it).
  if (starts_with(f.function, "weave::detail::FiberFnFor")) return false;
  static const char* const kPrefixes[] = {"weave::detail::", "weave_",   "__cxa_",   "__cxxabiv1::",
                                          "std::terminate",  "_Unwind_", "backtrace"};
  for (const char* p : kPrefixes) {
    if (starts_with(f.function, p)) return true;
  }
  // The C++ runtime's libraries carry no symbols here: their frames are the throw's.
  return f.function == "??" && (f.where.module.find("libstdc++") != std::string::npos ||
                                f.where.module.find("libgcc") != std::string::npos);
}

namespace {

// Where the user's part of a stack begins, from below.
bool is_bottom_machinery(const Frame& f) {
  if (f.function == "??" && f.where.module.find("/libc.so") != std::string::npos) return true;
  return starts_with(f.function, "weave::detail::run_fiber_body") ||
         starts_with(f.function, "__libc_start") || f.function == "_start" ||
         starts_with(f.function, "start_thread") || starts_with(f.function, "clone");
}

}  // namespace

std::vector<Frame> user_frames(void* const* pcs, int n) {
  std::vector<Frame> frames;
  bool top = true;
  for (int i = 0; i < n; ++i) {
    Frame f{pcs[i], symbolize(pcs[i]), code_address(pcs[i])};
    if (top && is_top_machinery(f)) continue;
    top = false;
    if (is_bottom_machinery(f)) break;
    frames.push_back(std::move(f));
  }
  return frames;
}

void print_frames(std::FILE* out, const std::vector<Frame>& frames, int indent) {
  for (const Frame& f : frames) {
    std::fprintf(out, "%*s%s\n%*s%s+0x%zx\n", indent, "", f.function.c_str(), indent + 4, "",
                 f.where.module.c_str(), static_cast<std::size_t>(f.where.offset));
  }
}

}  // namespace weave::detail
