// A layered drawing of the wait-for graph for the HTML page (no Graphviz there): nodes in columns
// left to right along the wait-for edges, ordered and placed within a column to keep edges short,
// edges as curves.
//
// Invariants: the layout is a pure function of the graph (the same page for the same dump);
// every node gets a box that overlaps no other; coordinates are in CSS pixels from the top left.
#pragma once

#include <string>
#include <vector>

#include "wait_graph.h"

namespace weave::dump {

struct NodeBox {
  double x = 0, y = 0, width = 0, height = 0;
  std::vector<std::string> lines;  // the node's lines, cut to fit
};

struct EdgePath {
  std::string path;  // an SVG path ("M … C …")
  double label_x = 0, label_y = 0;
};

struct GraphLayout {
  std::vector<NodeBox> nodes;   // as WaitGraph::nodes
  std::vector<EdgePath> edges;  // as WaitGraph::edges
  double width = 0, height = 0;
};

inline constexpr double kFontSize = 12;
inline constexpr double kLineHeight = 16;
inline constexpr std::size_t kMaxLabelChars = 56;

GraphLayout lay_out(const WaitGraph& g);

}  // namespace weave::dump
