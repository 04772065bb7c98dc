// `weave-dump graph`: the wait-for graph as Graphviz dot. Every label is a quoted dot string with
// quotes and backslashes escaped (a backslash would otherwise start one of dot's label escapes)
// and control characters spelled out, so any name in the dump gives valid dot.
#include <ostream>

#include "concat.h"
#include "render.h"
#include "text.h"
#include "wait_graph.h"

namespace weave::dump {

namespace {

std::string dot_string(std::string_view raw) {
  std::string out = "\"";
  for (char c : printable(raw)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string dot_label(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string s = dot_string(lines[i]);
    append(out, i ? "\\n" : "", std::string_view(s).substr(1, s.size() - 2));
  }
  return out + "\"";
}

const char* node_style(const GraphNode& n) {
  switch (n.kind) {
    case GraphNode::Kind::kGroup:
      return n.unreachable ? R"(shape=box, style="rounded,filled", fillcolor="#f8d7da")"
                           : R"(shape=box, style="rounded,filled", fillcolor="#fff3cd")";
    case GraphNode::Kind::kObject:
      return R"(shape=ellipse, style=filled, fillcolor="#d6eaf8")";
    case GraphNode::Kind::kFibers:
      return R"(shape=box, style=dashed)";
    case GraphNode::Kind::kUnknown:
      return R"(shape=note, style=filled, fillcolor="#eeeeee", fontcolor="#555555")";
  }
  return "";
}

}  // namespace

void render_graph(const Report& r, std::ostream& out) {
  const WaitGraph g = build_wait_graph(r);
  std::string title =
      cat("weave dump: ", reason_phrase(r.dump.reason), "\\n",
          count(r.dump.tasks.size(), "blocked fiber"), " in ", count(r.groups.size(), "group"));
  out << "// The wait-for graph of a weave dump: groups of blocked fibers -> the objects they "
         "wait\n"
         "// on -> the fibers that could release them. Render with: dot -Tsvg -o graph.svg\n"
         "digraph weave_wait_for {\n"
         "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\""
      << title << "\"];\n"
      << "  node [fontname=\"Helvetica\", fontsize=10];\n"
         "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const GraphNode& n = g.nodes[i];
    out << "  n" << i << " [" << node_style(n)
        << (n.in_cycle ? ", color=\"#c0392b\", penwidth=2" : "") << ", label=" << dot_label(n.lines)
        << "];\n";
  }
  if (g.groups_left_out > 0) {
    out << "  left_out [shape=plaintext, label="
        << dot_label({cat(count(g.groups_left_out, "smaller group"), " (",
                          count(g.fibers_left_out, "fiber"), ") not drawn")})
        << "];\n";
  }
  if (g.nodes.empty()) out << "  empty [shape=plaintext, label=\"no blocked fibers\"];\n";
  for (const GraphEdge& e : g.edges) {
    out << "  n" << e.from << " -> n" << e.to << " [label=" << dot_string(edge_label(e.kind));
    if (e.kind == GraphEdge::Kind::kUnknown) out << ", style=dashed, color=\"#888888\"";
    if (e.in_cycle) out << ", color=\"#c0392b\", penwidth=2";
    out << "];\n";
  }
  out << "}\n";
}

}  // namespace weave::dump
