// `weave-dump html`: one self-contained page — inline CSS, the wait-for graph as inline SVG laid
// out here, stacks in <details> so they fold without a script. Nothing is fetched: no script,
// no stylesheet, no font, no image from outside. Every string from the dump goes through html(),
// which escapes markup characters and spells out control characters.
#include <ostream>

#include "absl/strings/str_format.h"
#include "concat.h"
#include "graph_layout.h"
#include "render.h"
#include "text.h"
#include "wait_graph.h"

namespace weave::dump {

namespace {

std::string html(std::string_view raw) {
  std::string out;
  for (char c : printable(raw)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: .2em; }
h1 .file { font-family: monospace; font-weight: normal; color: #555; }
h2 { font-size: 1.15em; border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.6em; }
code, .mono, dd, ol.stack { font-family: ui-monospace, monospace; font-size: 13px; }
.reason { display: inline-block; padding: .3em .8em; border-radius: 4px; font-weight: 600; }
.reason-exit, .reason-signal { background: #fff3cd; }
.reason-deadlock, .reason-panic { background: #f8d7da; color: #721c24; }
.clean { background: #d4edda; color: #155724; }
nav a { margin-right: 1em; }
article { border: 1px solid #ddd; border-left: 4px solid #e0a800; border-radius: 4px; padding: .5em 1em; margin: .8em 0; }
article.unreachable, article.race, article.lock { border-left-color: #c0392b; }
article h3 { font-size: 1em; margin: .2em 0 .4em; }
.count { font-size: 1.2em; }
.badge { font-size: .8em; padding: .1em .5em; border-radius: 3px; background: #c0392b; color: #fff; margin-left: .5em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .1em 1em; margin: .3em 0; }
dt { color: #666; }
dd { margin: 0; overflow-wrap: anywhere; }
ol.stack { margin: .3em 0; padding-left: 2.5em; overflow-wrap: anywhere; }
summary { cursor: pointer; color: #0b5394; }
.graph { overflow: auto; border: 1px solid #ddd; border-radius: 4px; background: #fcfcfc; }
.graph text { font-family: ui-monospace, monospace; font-size: 12px; }
.node-group rect { fill: #fff3cd; stroke: #b8860b; }
.node-group.unreachable rect { fill: #f8d7da; stroke: #c0392b; }
.node-object rect { fill: #d6eaf8; stroke: #2e86c1; }
.node-fibers rect { fill: #fff; stroke: #777; stroke-dasharray: 4 3; }
.node-unknown rect { fill: #eee; stroke: #999; }
.node-unknown text { fill: #555; }
.cycle rect { stroke: #c0392b; stroke-width: 2.5; }
.edge path { fill: none; stroke: #555; stroke-width: 1.2; }
.edge.unknown path { stroke: #999; stroke-dasharray: 5 4; }
.edge.cycle path { stroke: #c0392b; stroke-width: 2.5; }
.edge text { font-size: 10px; fill: #555; }
.legend { color: #555; font-size: 13px; }
)";

class Page {
 public:
  Page(const Report& r, std::ostream& out) : r_(r), d_(r.dump), out_(out) {}

  void render(std::string_view title) {
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         << "<title>weave dump: " << html(title) << "</title>\n<style>" << kStyle
         << "</style>\n</head>\n<body>\n";
    header(title);
    graph();
    groups();
    races();
    locks();
    out_ << "<footer class=\"legend\"><p>Written by weave-dump from a weave debug-runtime dump.</p>"
            "</footer>\n</body>\n</html>\n";
  }

 private:
  void header(std::string_view title) {
    out_ << "<header>\n<h1>weave dump <span class=\"file\">" << html(title) << "</span></h1>\n";
    const char* cls = has_findings(d_) ? "" : " clean";
    out_ << "<p><span id=\"reason\" class=\"reason reason-" << reason_name(d_.reason) << cls
         << "\">" << html(reason_phrase(d_.reason)) << "</span></p>\n";
    out_ << "<p id=\"totals\">" << html(r_.totals()) << "</p>\n"
         << "<nav><a href=\"#graph\">wait-for graph</a><a href=\"#groups\">groups</a>"
         << "<a href=\"#races\">races</a><a href=\"#locks\">lock warnings</a></nav>\n</header>\n";
  }

  void stack(Span s, std::string_view what) {
    const auto frames = d_.stack(s);
    out_ << "<details><summary>" << html(what) << " (" << html(count(frames.size(), "frame"))
         << ")</summary>\n<ol class=\"stack\">\n";
    for (LocId f : frames) out_ << "<li>" << html(location(d_, f)) << "</li>\n";
    out_ << "</ol></details>\n";
  }

  void groups() {
    out_ << "<section id=\"groups\">\n<h2>Blocked: " << html(r_.task_totals()) << "</h2>\n";
    if (r_.groups.empty()) out_ << "<p>No fiber or thread was blocked.</p>\n";
    for (std::size_t i = 0; i < r_.groups.size(); ++i) {
      const Group& g = r_.groups[i];
      const Task& first = d_.tasks[g.members.front()];
      const bool unreachable = g.unreachable == g.size();
      out_ << "<article class=\"group" << (unreachable ? " unreachable" : "") << "\" id=\"group-"
           << i + 1 << "\">\n<h3>";
      const char* noun = g.threads() ? "thread" : "fiber";
      if (g.size() == 1) {
        out_ << noun << " " << first.id;
      } else {
        out_ << "<span class=\"count\">" << g.size() << "</span> " << noun << "s";
      }
      out_ << " <code class=\"state\">" << html(g.key.state) << "</code>, waited "
           << html(wait_range(g));
      if (g.unreachable > 0) {
        out_ << "<span class=\"badge\">"
             << (unreachable ? std::string("unreachable") : cat(g.unreachable, " unreachable"))
             << "</span>";
      }
      out_ << "</h3>\n<dl>\n";
      for (const Report::Fact& f : r_.facts(g)) {
        out_ << "<dt>" << html(f.label) << "</dt><dd>" << html(f.value) << "</dd>\n";
      }
      out_ << "</dl>\n";
      stack(first.stack, r_.stack_title(g));
      out_ << "</article>\n";
    }
    out_ << "</section>\n";
  }

  void access(const Access& a, std::string_view what) {
    out_ << "<dt>" << html(what) << "</dt><dd>" << html(access_phrase(a)) << " at "
         << html(location(d_, a.at)) << "</dd>\n";
  }

  void races() {
    out_ << "<section id=\"races\">\n<h2>Data races: " << d_.races.size() << "</h2>\n";
    if (d_.races.empty()) out_ << "<p>No data race was reported.</p>\n";
    for (std::size_t i = 0; i < d_.races.size(); ++i) {
      const Race& race = d_.races[i];
      out_ << "<article class=\"race\" id=\"race-" << i + 1
           << "\">\n<h3>WARNING: DATA RACE</h3>\n<dl>\n";
      access(race.access, "access");
      access(race.previous, "previous");
      for (const RaceTask& t : race.tasks) {
        out_ << "<dt>" << html(task_name(t.task)) << "</dt><dd>"
             << html(t.created_at ? cat("created at ", location(d_, *t.created_at))
                                  : std::string("where it was made is not known"))
             << "</dd>\n";
      }
      out_ << "</dl>\n";
      stack(race.access.stack, "stack of the access");
      stack(race.previous.stack, "stack of the previous access");
      out_ << "</article>\n";
    }
    out_ << "</section>\n";
  }

  void locks() {
    out_ << "<section id=\"locks\">\n<h2>Lock warnings: " << d_.locks.size() << "</h2>\n";
    if (d_.locks.empty()) out_ << "<p>No lock warning was reported.</p>\n";
    for (std::size_t i = 0; i < d_.locks.size(); ++i) {
      const LockWarning& w = d_.locks[i];
      out_ << "<article class=\"lock\" id=\"lock-" << i + 1 << "\">\n<h3>WARNING: <code>"
           << html(w.kind) << "</code>";
      if (const std::string_view meaning = lock_kind_phrase(w.kind); !meaning.empty()) {
        out_ << " &mdash; " << html(meaning);
      }
      out_ << "</h3>\n<dl>\n";
      for (std::size_t s = 0; s < w.sites.size(); ++s) {
        const LockSite& site = w.sites[s];
        out_ << "<dt>site " << s + 1 << "</dt><dd>" << html(location(d_, site.at));
        if (site.task) out_ << ", " << html(task_name(*site.task));
        out_ << "</dd>\n";
      }
      out_ << "</dl>\n";
      for (std::size_t s = 0; s < w.sites.size(); ++s) {
        stack(w.sites[s].stack, cat("stack at site ", s + 1));
      }
      out_ << "</article>\n";
    }
    out_ << "</section>\n";
  }

  void graph() {
    const WaitGraph g = build_wait_graph(r_);
    const GraphLayout l = lay_out(g);
    out_ << "<section id=\"graph\">\n<h2>Wait-for graph</h2>\n"
         << "<p class=\"legend\">Each box is a group of identical blocked fibers (or threads); it "
            "points at the objects they wait on, and each object at the tasks that could release "
            "its waiters "
            "(a mutex's holders, the tasks holding a handle), as far as the dump says. Red marks a "
            "stuck cycle: every task that could release its objects waits in it. Click a group "
            "to see it below.</p>\n";
    if (g.nodes.empty()) {
      out_ << "<p>No fiber was blocked: the graph is empty.</p>\n</section>\n";
      return;
    }
    if (g.groups_left_out > 0) {
      out_ << "<p class=\"legend\">" << html(count(g.groups_left_out, "smaller group")) << " ("
           << html(count(g.fibers_left_out, "fiber")) << ") not drawn.</p>\n";
    }
    out_ << absl::StrFormat(
        "<div class=\"graph\"><svg role=\"img\" aria-label=\"wait-for graph\" width=\"%.0f\" "
        "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
        l.width, l.height, l.width, l.height);
    out_ << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
            "markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" "
            "orient=\"auto\"><path d=\"M0,0 "
            "L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n";
    for (std::size_t i = 0; i < g.edges.size(); ++i) {
      const GraphEdge& e = g.edges[i];
      out_ << "<g class=\"edge" << (e.kind == GraphEdge::Kind::kUnknown ? " unknown" : "")
           << (e.in_cycle ? " cycle" : "") << "\"><path d=\"" << l.edges[i].path
           << "\" marker-end=\"url(#arrow)\"/>"
           << absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                              l.edges[i].label_x, l.edges[i].label_y - 3)
           << html(edge_label(e.kind)) << "</text></g>\n";
    }
    for (std::size_t i = 0; i < g.nodes.size(); ++i) node(g.nodes[i], l.nodes[i]);
    out_ << "</svg></div>\n</section>\n";
  }

  void node(const GraphNode& n, const NodeBox& b) {
    static constexpr const char* kClass[] = {"node-group", "node-object", "node-fibers",
                                             "node-unknown"};
    const bool group = n.kind == GraphNode::Kind::kGroup;
    if (group) out_ << "<a href=\"#group-" << n.group + 1 << "\">";
    out_ << "<g class=\"node " << kClass[static_cast<int>(n.kind)]
         << (n.unreachable ? " unreachable" : "") << (n.in_cycle ? " cycle" : "") << "\"><title>";
    for (std::size_t i = 0; i < n.lines.size(); ++i) out_ << (i ? "\n" : "") << html(n.lines[i]);
    out_ << "</title>"
         << absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"5\"/>",
                            b.x, b.y, b.width, b.height);
    for (std::size_t i = 0; i < b.lines.size(); ++i) {
      out_ << absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\"%s>", b.x + 10,
                              b.y + 8 + kFontSize + static_cast<double>(i) * kLineHeight,
                              i == 0 ? " font-weight=\"bold\"" : "")
           << html(b.lines[i]) << "</text>";
    }
    out_ << "</g>" << (group ? "</a>" : "") << "\n";
  }

  const Report& r_;
  const Dump& d_;
  std::ostream& out_;
};

}  // namespace

void render_html(const Report& r, std::string_view title, std::ostream& out) {
  Page(r, out).render(title);
}

}  // namespace weave::dump
