// Source lines for the return addresses of a dump's stacks: Abseil's symbolizer names functions
// only, and a dump shows file:line for every frame, as Go's does.
//
// The debug information is read by the tools Debian offers, run as child processes:
// llvm-symbolizer where it is installed, else GNU addr2line; one process per object file, given
// every address of that file at once, so a dump of many fibers costs a few processes whatever
// their number. Without either tool (or when one fails or takes too long), frames keep their
// function name and object file offset.
#pragma once

#include <string>
#include <vector>

namespace weave::detail::debug {

struct SourceFrame {
  std::string function;  // demangled, without a return type; empty if unknown
  std::string file;      // empty if unknown
  unsigned line = 0;
};

// For each return address (the call just before it is what is looked up), its frames, the
// innermost (an inlined call) first; empty when nothing is known.
std::vector<std::vector<SourceFrame>> source_lines(const std::vector<const void*>& pcs);

}  // namespace weave::detail::debug
