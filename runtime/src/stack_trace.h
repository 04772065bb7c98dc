// Call stacks for panics and dumps: capturing the running task's, walking a parked fiber's, and
// turning return addresses into function names (Abseil's symbolizer: names, not lines).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace weave::detail {

// The return addresses of the calling thread's stack, innermost first, found with the unwind
// tables (so frames without frame pointers are not lost), from the caller's frame. Returns how
// many were stored.
int capture_stack(void** pcs, int max);

// The return addresses of a stack that is not running, from a saved frame pointer: each frame
// holds its caller's frame pointer and the return address above it. Stops at a frame outside
// [lo, hi) or not above the last one, so a frame built without a frame pointer ends the walk
// instead of misleading it.
// With `careful`, memory is read through the kernel, so that a frame pointer into unmapped
// memory ends the walk instead of faulting (a thread's stack, whose bounds are not known).
int walk_frames(const void* fp, const void* lo, const void* hi, void** pcs, int max,
                bool careful = false);

// The demangled name of the function holding the return address pc ("??" if unknown).
std::string symbolize(const void* pc);

// Where pc lies: the object file and the offset into it (for addr2line).
struct CodeAddress {
  std::string module;
  std::uintptr_t offset = 0;
};
CodeAddress code_address(const void* pc);

// One frame, symbolized.
struct Frame {
  const void* pc = nullptr;
  std::string function;  // "??" if unknown
  CodeAddress where;
};

// Whether a frame on top of a stack is the runtime's machinery between the user's call and the
// point where the stack was taken (weave's blocking or throwing code, the C++ runtime's).
bool is_top_machinery(const Frame& f);

// The frames of pcs that show the user's code: without the runtime's own frames on top (the
// blocking or throwing machinery of weave and of the C++ runtime) and below (a fiber's entry,
// libc's start of main).
std::vector<Frame> user_frames(void* const* pcs, int n);

// Prints frames one a line, indented, each with its object file and offset on the next.
void print_frames(std::FILE* out, const std::vector<Frame>& frames, int indent = 2);

}  // namespace weave::detail
