// The wait-for graph of a dump, for drawing (dot for `graph`, inline SVG for `html`): each group
// of fibers (or threads) points at the objects they wait on, and each object at the tasks that
// could release its waiters, as far as the dump tells: a mutex's holders, the tasks holding a
// handle.
// Where the dump names nobody, the object points at one shared "unknown" node that says so.
//
// Invariants: a group is one node whatever its size, so the graph has at most max_groups group
// nodes however many fibers there are; an object with an id is one node shared by every group
// waiting on it; a group waiting on more than kMaxObjectNodes objects gets one node standing for
// all of them; edges are unique per (from, to, kind); nodes and edges of a stuck cycle (one that
// no edge leaves: the fibers that could release its objects all wait in it) are marked.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "report.h"

namespace weave::dump {

struct GraphNode {
  enum class Kind {
    kGroup,    // a group of blocked fibers
    kObject,   // an object (or a set of objects) waited on
    kFibers,   // releasers the graph does not draw as groups: fibers not blocked, or in groups left
               // out
    kUnknown,  // who could release: the dump does not say
  };
  Kind kind;
  std::vector<std::string> lines;  // raw text, the first is the title
  bool unreachable = false;        // a group whose every fiber can never wake
  bool in_cycle = false;           // in a stuck cycle
  std::size_t group = 0;           // for kGroup: its index in Report::groups
};

struct GraphEdge {
  enum class Kind { kWaitsOn, kHeldBy, kHandle, kUnknown };
  std::size_t from;
  std::size_t to;
  Kind kind;
  bool in_cycle = false;
};

struct WaitGraph {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  std::size_t groups_left_out = 0;
  std::size_t fibers_left_out = 0;
};

inline constexpr std::size_t kMaxGraphGroups = 100;
inline constexpr std::size_t kMaxObjectNodes = 4;

WaitGraph build_wait_graph(const Report& r, std::size_t max_groups = kMaxGraphGroups);

// "waits on", "held by", "has a handle", "who else?"
const char* edge_label(GraphEdge::Kind k);

}  // namespace weave::dump
