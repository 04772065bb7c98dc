// Terminal paragraphs.
#include "terminal.h"

#include "concat.h"
#include "text.h"

namespace weave::dump {

void TerminalWriter::line(int indent, std::string_view text) {
  out_ << std::string(static_cast<std::size_t>(indent), ' ') << printable(text) << '\n';
}

void TerminalWriter::stack(int indent, Span s) {
  for (LocId frame : d_.stack(s)) line(indent, location(d_, frame));
}

void TerminalWriter::group(const Group& g, std::string_view prefix) {
  const Task& first = d_.tasks[g.members.front()];
  line(0, "");
  line(0, cat(prefix, r_.headline(g), ":"));
  for (const Report::Fact& f : r_.facts(g)) line(2, cat(f.label, " ", f.value));
  line(2, r_.stack_title(g) + ":");
  if (first.stack.size == 0) line(4, "(no frames recorded)");
  stack(4, first.stack);
}

void TerminalWriter::access(const Access& a, std::string_view what) {
  line(2, cat(what, access_phrase(a), ":"));
  line(4, location(d_, a.at));
  const auto frames = d_.stack(a.stack);
  // The access site usually opens its own stack; it is not printed twice.
  const std::size_t skip = !frames.empty() && frames.front() == a.at ? 1 : 0;
  for (std::size_t i = skip; i < frames.size(); ++i) line(4, location(d_, frames[i]));
}

void TerminalWriter::race(const Race& race, std::string_view title) {
  line(0, "");
  line(0, cat("WARNING: DATA RACE", title));
  access(race.access, "");
  access(race.previous, "previous ");
  for (const RaceTask& t : race.tasks) line(2, race_task_phrase(d_, t));
}

void TerminalWriter::lock(const LockWarning& w) {
  std::string head = cat("WARNING: ", w.kind);
  if (const std::string_view meaning = lock_kind_phrase(w.kind); !meaning.empty()) {
    append(head, " (", meaning, ")");
  }
  line(0, "");
  line(0, head);
  for (std::size_t i = 0; i < w.sites.size(); ++i) {
    const LockSite& s = w.sites[i];
    std::string text = cat("site ", i + 1);
    if (s.task) append(text, ", ", task_name(*s.task));
    line(2, cat(text, ": ", location(d_, s.at)));
    stack(4, s.stack);
  }
}

}  // namespace weave::dump
