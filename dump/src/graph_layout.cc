// The layered layout (a small Sugiyama): cycles broken by reversing the back edges of a
// depth-first search, columns by longest path, order within a column by barycentres over a few
// sweeps, then coordinates (each node level with its predecessors where there is room). Text width
// is estimated from character counts (the page uses a monospace font, so the estimate holds).
#include "graph_layout.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_format.h"
#include "concat.h"

namespace weave::dump {

namespace {

constexpr double kCharWidth = 7.3;  // a 12px monospace glyph's advance, rounded up
constexpr double kPadX = 10, kPadY = 8;
constexpr double kColumnGap = 110, kRowGap = 24, kMargin = 20;
constexpr int kSweeps = 6;

// The number of characters (UTF-8 code points) of s.
std::size_t chars(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// s cut to at most kMaxLabelChars characters, an ellipsis marking the cut.
std::string fit(const std::string& s) {
  if (chars(s) <= kMaxLabelChars) return s;
  std::size_t n = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((s[i] & 0xC0) != 0x80 && ++n == kMaxLabelChars) break;
  }
  return s.substr(0, i) + "\xE2\x80\xA6";
}

// Edges of a DFS that close a cycle, by index; reversing them leaves a DAG.
std::vector<bool> back_edges(const WaitGraph& g) {
  const std::size_t n = g.nodes.size();
  std::vector<std::vector<std::size_t>> out(n);
  for (std::size_t i = 0; i < g.edges.size(); ++i) out[g.edges[i].from].push_back(i);
  std::vector<bool> back(g.edges.size(), false);
  std::vector<char> state(n, 0);  // 0 new, 1 on the DFS stack, 2 done
  for (std::size_t root = 0; root < n; ++root) {
    if (state[root]) continue;
    std::vector<std::pair<std::size_t, std::size_t>> calls = {{root, 0}};
    state[root] = 1;
    while (!calls.empty()) {
      auto& [v, next] = calls.back();
      if (next == out[v].size()) {
        state[v] = 2;
        calls.pop_back();
        continue;
      }
      const std::size_t e = out[v][next++];
      const std::size_t w = g.edges[e].to;
      if (state[w] == 1) {
        back[e] = true;
      } else if (state[w] == 0) {
        state[w] = 1;
        calls.push_back({w, 0});
      }
    }
  }
  return back;
}

std::string fmt(double v) { return absl::StrFormat("%.1f", v); }

}  // namespace

GraphLayout lay_out(const WaitGraph& g) {
  const std::size_t n = g.nodes.size();
  GraphLayout l;
  l.nodes.resize(n);
  l.edges.resize(g.edges.size());
  if (n == 0) return l;

  // Columns: the longest path to each node over the acyclic edges (Kahn's order).
  const std::vector<bool> back = back_edges(g);
  std::vector<std::vector<std::size_t>> succ(n), pred(n);
  std::vector<std::size_t> indegree(n, 0);
  for (std::size_t i = 0; i < g.edges.size(); ++i) {
    std::size_t a = g.edges[i].from, b = g.edges[i].to;
    if (a == b) continue;
    if (back[i]) std::swap(a, b);
    succ[a].push_back(b);
    pred[b].push_back(a);
    ++indegree[b];
  }
  std::vector<std::size_t> column(n, 0), ready;
  for (std::size_t v = 0; v < n; ++v) {
    if (indegree[v] == 0) ready.push_back(v);
  }
  while (!ready.empty()) {
    const std::size_t v = ready.back();
    ready.pop_back();
    for (std::size_t w : succ[v]) {
      column[w] = std::max(column[w], column[v] + 1);
      if (--indegree[w] == 0) ready.push_back(w);
    }
  }
  const std::size_t columns = *std::max_element(column.begin(), column.end()) + 1;
  std::vector<std::vector<std::size_t>> order(columns);
  for (std::size_t v = 0; v < n; ++v) order[column[v]].push_back(v);

  // Order within columns: each node moves to the mean position of its neighbours in the column
  // swept from, alternately left to right and right to left.
  std::vector<double> position(n, 0);
  auto number = [&](const std::vector<std::size_t>& col) {
    for (std::size_t i = 0; i < col.size(); ++i) position[col[i]] = static_cast<double>(i);
  };
  for (const auto& col : order) number(col);
  for (int sweep = 0; sweep < kSweeps; ++sweep) {
    const bool rightwards = sweep % 2 == 0;
    for (std::size_t k = 1; k < columns; ++k) {
      auto& col = order[rightwards ? k : columns - 1 - k];
      std::vector<double> centre(n, 0);
      for (std::size_t v : col) {
        const auto& nb = rightwards ? pred[v] : succ[v];
        centre[v] = nb.empty()
                        ? position[v]
                        : std::accumulate(nb.begin(), nb.end(), 0.0, [&](double s, std::size_t w) {
                            return s + position[w];
                          }) / static_cast<double>(nb.size());
      }
      std::stable_sort(col.begin(), col.end(),
                       [&](std::size_t a, std::size_t b) { return centre[a] < centre[b]; });
      number(col);
    }
  }

  // Sizes, then coordinates: columns side by side, each centred on the tallest.
  for (std::size_t v = 0; v < n; ++v) {
    NodeBox& b = l.nodes[v];
    std::size_t widest = 0;
    for (const std::string& line : g.nodes[v].lines) {
      b.lines.push_back(fit(line));
      widest = std::max(widest, chars(b.lines.back()));
    }
    b.width = static_cast<double>(widest) * kCharWidth + 2 * kPadX;
    b.height = static_cast<double>(b.lines.size()) * kLineHeight + 2 * kPadY;
  }
  // The first column is stacked from the top; each later node goes level with the middle of its
  // predecessors, or as close below as the node above it in its column allows.
  std::vector<double> column_width(columns, 0);
  for (std::size_t c = 0; c < columns; ++c) {
    for (std::size_t v : order[c]) column_width[c] = std::max(column_width[c], l.nodes[v].width);
  }
  double x = kMargin;
  double tallest = 0;
  for (std::size_t c = 0; c < columns; ++c) {
    double free_from = kMargin;  // the top of the next free space in this column
    for (std::size_t v : order[c]) {
      NodeBox& b = l.nodes[v];
      double want = free_from;
      double centres = 0;
      std::size_t placed = 0;
      for (std::size_t w : pred[v]) {
        if (column[w] < c) {
          centres += l.nodes[w].y + l.nodes[w].height / 2;
          ++placed;
        }
      }
      if (placed > 0) want = centres / static_cast<double>(placed) - b.height / 2;
      b.x = x + (column_width[c] - b.width) / 2;
      b.y = std::max(want, free_from);
      free_from = b.y + b.height + kRowGap;
    }
    tallest = std::max(tallest, free_from - kRowGap - kMargin);
    x += column_width[c] + kColumnGap;
  }
  l.width = x - kColumnGap + kMargin;
  double bottom = kMargin + tallest;
  std::vector<double> column_bottom(columns, 0);
  for (std::size_t v = 0; v < n; ++v) {
    column_bottom[column[v]] = std::max(column_bottom[column[v]], l.nodes[v].y + l.nodes[v].height);
  }
  double right_edge = 0;

  // Edges: forward ones from the right side of one box to the left side of the other; backward
  // ones (closing a cycle) from the left side back to the right side, bowed below the forward
  // edge they usually pair with; edges within a column and loops bulge out to the right.
  constexpr double kLift = 22, kBulge = 48;
  for (std::size_t i = 0; i < g.edges.size(); ++i) {
    const NodeBox& a = l.nodes[g.edges[i].from];
    const NodeBox& b = l.nodes[g.edges[i].to];
    const std::size_t from = column[g.edges[i].from], to = column[g.edges[i].to];
    EdgePath& p = l.edges[i];
    double x0, y0, x1, y1, c0x, c0y, c1x, c1y;
    if (to > from) {
      x0 = a.x + a.width, y0 = a.y + a.height / 2;
      x1 = b.x, y1 = b.y + b.height / 2;
      const double bend = std::max(40.0, (x1 - x0) / 2);
      c0x = x0 + bend, c0y = y0, c1x = x1 - bend, c1y = y1;
    } else if (to < from) {
      x0 = a.x, y0 = a.y + a.height * 0.75;
      x1 = b.x + b.width, y1 = b.y + b.height * 0.75;
      const double bend = std::max(40.0, (x0 - x1) / 2);
      c0x = x0 - bend, c0y = y0 + kLift, c1x = x1 + bend, c1y = y1 + kLift;
      // Across columns in between, under their lowest box: the curve's lowest point, its middle,
      // is (y0 + 3 c0y + 3 c1y + y1) / 8, so both control points go where that clears the box.
      double under = 0;
      for (std::size_t c = to + 1; c < from; ++c) under = std::max(under, column_bottom[c]);
      if (under > 0) {
        const double control = (under + kLift - (y0 + y1) / 8) * 8 / 6;
        c0y = c1y = std::max({c0y, c1y, control});
      }
    } else {
      const bool loop = g.edges[i].from == g.edges[i].to;
      x0 = a.x + a.width, y0 = a.y + a.height * (loop ? 0.3 : 0.5);
      x1 = b.x + b.width, y1 = b.y + b.height * (loop ? 0.7 : 0.5);
      const double right = std::max(x0, x1) + kBulge;
      c0x = right, c0y = y0, c1x = right, c1y = y1;
    }
    // Below the boxes a curve reaches no lower than its middle (plus its label's descent).
    bottom = std::max({bottom, y0, y1, (y0 + 3 * c0y + 3 * c1y + y1) / 8 + 12});
    right_edge = std::max({right_edge, c0x, c1x});
    p.path = cat("M", fmt(x0), ",", fmt(y0), " C", fmt(c0x), ",", fmt(c0y), " ", fmt(c1x), ",",
                 fmt(c1y), " ", fmt(x1), ",", fmt(y1));
    p.label_x = (x0 + 3 * c0x + 3 * c1x + x1) / 8;
    p.label_y = (y0 + 3 * c0y + 3 * c1y + y1) / 8;
  }
  l.height = bottom + kMargin;
  l.width = std::max(l.width, right_edge + kMargin);
  return l;
}

}  // namespace weave::dump
