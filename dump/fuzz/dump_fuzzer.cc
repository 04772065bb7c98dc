// libFuzzer target over weave-dump: any bytes are read as a dump; an input that is not one must
// give an InputError inside the input with a "byte offset" message, and one that is must render
// through every subcommand. Besides the sanitizers' findings, it checks what must hold for any
// dump: a summary holds no control character but newlines, a page no markup from the dump, and a
// dump compared with itself grew nothing.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "json_reader.h"
#include "read_dump.h"
#include "render.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weave::dump;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Dump dump;
  try {
    dump = read_dump(text);
  } catch (const InputError& e) {
    check(e.offset() <= size);
    check(describe_error(text, e).rfind("byte offset ", 0) == 0);
    return 0;
  }
  const Report report(dump);
  std::ostringstream summary, graph, html, diff;
  render_summary(report, summary);
  for (char c : summary.str()) check(c == '\n' || static_cast<unsigned char>(c) >= 0x20);
  render_graph(report, graph);
  check(graph.str().rfind("}\n") == graph.str().size() - 2);
  render_html(report, "<fuzz>", html);
  check(html.str().find("<script") == std::string::npos);
  check(html.str().find("<fuzz>") == std::string::npos);
  check(!render_diff(report, report, diff));
  return 0;
}
