// `weave-dump summary`: the reason, the totals, then every group largest first, the races and
// the lock warnings.
#include "concat.h"
#include "render.h"
#include "terminal.h"
#include "text.h"

namespace weave::dump {

void render_summary(const Report& r, std::ostream& out) {
  const Dump& d = r.dump;
  TerminalWriter w(r, out);
  w.line(0, cat("weave dump: ", reason_phrase(d.reason)));
  std::string totals =
      cat(count(d.fibers.size(), "blocked fiber"), " in ", count(r.groups.size(), "group"));
  if (const std::size_t n = r.unreachable()) append(totals, " (", n, " unreachable)");
  append(totals, ", ", count(d.races.size(), "data race"), ", ",
         count(d.locks.size(), "lock warning"));
  w.line(0, totals);
  for (const Group& g : r.groups) w.group(g);
  for (std::size_t i = 0; i < d.races.size(); ++i) {
    w.race(d.races[i], cat(" (", i + 1, " of ", d.races.size(), ")"));
  }
  for (const LockWarning& lock : d.locks) w.lock(lock);
}

}  // namespace weave::dump
