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
  w.line(0, r.totals());
  for (const Group& g : r.groups) w.group(g);
  for (std::size_t i = 0; i < d.races.size(); ++i) {
    w.race(d.races[i], cat(" (", i + 1, " of ", d.races.size(), ")"));
  }
  for (const LockWarning& lock : d.locks) w.lock(lock);
}

}  // namespace weave::dump
