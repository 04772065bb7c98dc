// The four renderings of weave-dump's subcommands, each a whole report written to `out`.
#pragma once

#include <ostream>
#include <string_view>

#include "dump_model.h"
#include "report.h"

namespace weave::dump {

// Text for a terminal: the reason, the groups largest first, races, lock warnings.
void render_summary(const Report& r, std::ostream& out);
// Graphviz dot of the wait-for graph.
void render_graph(const Report& r, std::ostream& out);
// One self-contained HTML page; `title` names the dump (its file name).
void render_html(const Report& r, std::string_view title, std::ostream& out);
// The groups that grew from `before` to `after` (and the new races and lock warnings); returns
// whether anything grew or is new.
bool render_diff(const Report& before, const Report& after, std::ostream& out);

}  // namespace weave::dump
