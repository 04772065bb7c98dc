// Writing a report for a terminal: the paragraphs summary and diff share (a group, a race, a lock
// warning), laid out like the runtime's own dump and Go's goroutine dump. Every string from the
// dump goes through printable.
#pragma once

#include <ostream>
#include <string_view>

#include "report.h"

namespace weave::dump {

class TerminalWriter {
 public:
  TerminalWriter(const Report& r, std::ostream& out) : r_(r), d_(r.dump), out_(out) {}

  void line(int indent, std::string_view text);
  // A group's paragraph, its first line preceded by `prefix`.
  void group(const Group& g, std::string_view prefix = "");
  void race(const Race& race, std::string_view title);
  void lock(const LockWarning& w);

 private:
  void stack(int indent, Span s);
  void access(const Access& a, std::string_view what);

  const Report& r_;
  const Dump& d_;
  std::ostream& out_;
};

}  // namespace weave::dump
