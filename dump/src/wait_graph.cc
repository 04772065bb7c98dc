// Building the wait-for graph: group nodes, then object nodes per group, then each object's
// releasers; cycles by Tarjan's algorithm with an explicit stack (a graph of any depth).
#include "wait_graph.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "concat.h"
#include "text.h"

namespace weave::dump {

const char* edge_label(GraphEdge::Kind k) {
  switch (k) {
    case GraphEdge::Kind::kWaitsOn:
      return "waits on";
    case GraphEdge::Kind::kHeldBy:
      return "held by";
    case GraphEdge::Kind::kHandle:
      return "has a handle";
    case GraphEdge::Kind::kUnknown:
      return "who else?";
  }
  return "";
}

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// One object node and the objects it stands for.
struct ObjectNode {
  std::size_t node;
  std::vector<const WaitObject*> objects;
};

class Builder {
 public:
  Builder(const Report& r, std::size_t max_groups) : r_(r), d_(r.dump), max_groups_(max_groups) {}

  WaitGraph build() {
    const std::size_t drawn = std::min(max_groups_, r_.groups.size());
    group_node_.assign(r_.groups.size(), kNone);
    for (std::size_t g = 0; g < drawn; ++g) add_group(g);
    for (std::size_t g = drawn; g < r_.groups.size(); ++g) {
      ++graph_.groups_left_out;
      graph_.fibers_left_out += r_.groups[g].size();
    }
    for (std::size_t g = 0; g < drawn; ++g) add_objects(g);
    for (ObjectNode& o : object_nodes_) add_releasers(o);
    mark_cycles();
    return std::move(graph_);
  }

 private:
  std::size_t add_node(GraphNode::Kind kind, std::vector<std::string> lines) {
    graph_.nodes.push_back(GraphNode{kind, std::move(lines)});
    return graph_.nodes.size() - 1;
  }

  void add_edge(std::size_t from, std::size_t to, GraphEdge::Kind kind) {
    if (edge_set_.insert({from, to, static_cast<int>(kind)}).second) {
      graph_.edges.push_back(GraphEdge{from, to, kind});
    }
  }

  void add_group(std::size_t g) {
    const Group& group = r_.groups[g];
    const char* noun = group.threads() ? "thread" : "fiber";
    const std::string who = group.size() == 1 ? cat(noun, " ", d_.tasks[group.members[0]].id)
                                              : cat(group.size(), " ", noun, "s");
    std::vector<std::string> lines = {cat(who, " [", group.key.state, "]"),
                                      cat("blocked at ", location(d_, group.key.blocked_at))};
    if (!group.threads()) lines.push_back(cat("created at ", location(d_, group.key.created_at)));
    if (group.unreachable > 0) {
      lines.push_back(group.unreachable == group.size() ? std::string("unreachable")
                                                        : cat(group.unreachable, " unreachable"));
    }
    const std::size_t n = add_node(GraphNode::Kind::kGroup, std::move(lines));
    graph_.nodes[n].group = g;
    graph_.nodes[n].unreachable = group.unreachable == group.size();
    group_node_[g] = n;
  }

  // The object nodes of group g: one per object it waits on, or one for all of them.
  void add_objects(std::size_t g) {
    const Group& group = r_.groups[g];
    std::vector<const WaitObject*> with_id, without_id;
    absl::flat_hash_set<std::pair<std::string_view, std::int64_t>> seen;
    auto waits_on = [&](const WaitObject& o) {
      if (!o.id) {
        without_id.push_back(&o);
      } else if (seen.insert({o.kind, *o.id}).second) {
        with_id.push_back(&o);
      }
    };
    for (std::uint32_t i : group.members) {
      const Task& t = d_.tasks[i];
      // A select's objects include its first, which is also its object.
      if (t.objects.size > 0) {
        for (const WaitObject& o : d_.object_list(t.objects)) waits_on(o);
      } else if (t.object) {
        waits_on(*t.object);
      }
    }
    if (with_id.size() + (without_id.empty() ? 0 : 1) <= kMaxObjectNodes) {
      for (const WaitObject* o : with_id) {
        auto [it, inserted] = shared_objects_.try_emplace({o->kind, *o->id}, object_nodes_.size());
        if (inserted)
          object_nodes_.push_back({add_node(GraphNode::Kind::kObject, object_lines(*o)), {o}});
        add_edge(group_node_[g], object_nodes_[it->second].node, GraphEdge::Kind::kWaitsOn);
      }
      if (!without_id.empty()) add_collective(g, without_id);
    } else {
      with_id.insert(with_id.end(), without_id.begin(), without_id.end());
      add_collective(g, with_id);
    }
  }

  // One node for many objects: "1000 chans", where they were made if at one site.
  void add_collective(std::size_t g, const std::vector<const WaitObject*>& objects) {
    const WaitObject& first = *objects.front();
    std::vector<std::string> lines;
    if (objects.size() == 1) {
      lines = object_lines(first);
    } else {
      const bool one_kind = std::all_of(objects.begin(), objects.end(),
                                        [&](const WaitObject* o) { return o->kind == first.kind; });
      lines.push_back(cat(objects.size(), " ", one_kind ? cat(first.kind, "s") : "objects"));
      const bool one_site = std::all_of(objects.begin(), objects.end(), [&](const WaitObject* o) {
        return o->created_at == first.created_at;
      });
      if (one_site && first.created_at) {
        lines.push_back(cat("made at ", location(d_, *first.created_at)));
      } else if (!one_site) {
        lines.push_back("made at several sites");
      }
    }
    const std::size_t n = add_node(GraphNode::Kind::kObject, std::move(lines));
    object_nodes_.push_back({n, objects});
    add_edge(group_node_[g], n, GraphEdge::Kind::kWaitsOn);
  }

  std::vector<std::string> object_lines(const WaitObject& o) {
    std::vector<std::string> lines = {object_name(o)};
    if (o.created_at) lines.push_back(cat("made at ", location(d_, *o.created_at)));
    return lines;
  }

  void add_releasers(const ObjectNode& on) {
    // Releasers not drawn as a group, holders and handle holders apart.
    std::vector<std::int64_t> outside_holders, outside_handles;
    bool unknown = false;
    auto release_by = [&](std::int64_t id, GraphEdge::Kind kind) {
      const std::optional<Report::Place> p = r_.find(id);
      if (p && group_node_[p->group] != kNone) {
        add_edge(on.node, group_node_[p->group], kind);
      } else {
        (kind == GraphEdge::Kind::kHeldBy ? outside_holders : outside_handles).push_back(id);
      }
    };
    for (const WaitObject* o : on.objects) {
      if (!o->has_holders) {
        unknown = true;
        continue;
      }
      const GraphEdge::Kind kind =
          o->is_lock() ? GraphEdge::Kind::kHeldBy : GraphEdge::Kind::kHandle;
      for (std::int64_t id : d_.id_list(o->holders)) release_by(id, kind);
    }
    if (!outside_holders.empty()) add_outside(on.node, outside_holders, GraphEdge::Kind::kHeldBy);
    if (!outside_handles.empty()) add_outside(on.node, outside_handles, GraphEdge::Kind::kHandle);
    if (unknown) {
      if (unknown_node_ == kNone) {
        unknown_node_ =
            add_node(GraphNode::Kind::kUnknown, {"who else could release it?",
                                                 "the dump does not say: a thread, a running fiber",
                                                 "or a handle on the heap may"});
      }
      add_edge(on.node, unknown_node_, GraphEdge::Kind::kUnknown);
    }
  }

  // Releasers the graph has no group node for: fibers the dump does not list as blocked, and
  // fibers in groups left out of the drawing.
  void add_outside(std::size_t from, std::vector<std::int64_t>& ids, GraphEdge::Kind kind) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::size_t blocked = 0;
    std::vector<std::int64_t> running;
    for (std::int64_t id : ids) {
      if (r_.find(id)) {
        ++blocked;
      } else {
        running.push_back(id);
      }
    }
    std::vector<std::string> lines;
    if (!running.empty()) {
      constexpr std::size_t kShown = 4;
      // A holder the dump does not list may be a fiber or a thread: the dump does not say.
      std::string list = running.size() == 1 ? "task " : "tasks ";
      for (std::size_t i = 0; i < running.size() && i < kShown; ++i) {
        append(list, i ? ", " : "", running[i]);
      }
      if (running.size() > kShown) append(list, " and ", running.size() - kShown, " more");
      lines.push_back(list);
      lines.push_back("not blocked (running, runnable or ended)");
    }
    if (blocked > 0) lines.push_back(cat(count(blocked, "task"), " in groups not drawn"));
    add_edge(from, add_node(GraphNode::Kind::kFibers, std::move(lines)), kind);
  }

  // Tarjan's strongly connected components, iteratively.
  void mark_cycles() {
    const std::size_t n = graph_.nodes.size();
    std::vector<std::vector<std::size_t>> out(n);
    for (const GraphEdge& e : graph_.edges) out[e.from].push_back(e.to);
    std::vector<std::size_t> index(n, kNone), low(n, 0), component(n, kNone), stack;
    std::vector<bool> on_stack(n, false);
    std::size_t next_index = 0, components = 0;
    struct Frame {
      std::size_t node;
      std::size_t next_edge;
    };
    for (std::size_t root = 0; root < n; ++root) {
      if (index[root] != kNone) continue;
      std::vector<Frame> calls = {{root, 0}};
      index[root] = low[root] = next_index++;
      stack.push_back(root);
      on_stack[root] = true;
      while (!calls.empty()) {
        Frame& f = calls.back();
        if (f.next_edge < out[f.node].size()) {
          const std::size_t w = out[f.node][f.next_edge++];
          if (index[w] == kNone) {
            index[w] = low[w] = next_index++;
            stack.push_back(w);
            on_stack[w] = true;
            calls.push_back({w, 0});
          } else if (on_stack[w]) {
            low[f.node] = std::min(low[f.node], index[w]);
          }
          continue;
        }
        const std::size_t v = f.node;
        calls.pop_back();
        if (!calls.empty()) low[calls.back().node] = std::min(low[calls.back().node], low[v]);
        if (low[v] == index[v]) {
          std::size_t w;
          do {
            w = stack.back();
            stack.pop_back();
            on_stack[w] = false;
            component[w] = components;
          } while (w != v);
          ++components;
        }
      }
    }
    // A cycle is stuck when nothing leaves it: every fiber that could release its objects waits
    // in it (a knot). A cycle with a way out (a fiber not blocked, a releaser the dump does not
    // know) may still wake.
    std::vector<std::size_t> size(components, 0);
    std::vector<bool> way_out(components, false), loop(components, false);
    for (std::size_t v = 0; v < n; ++v) ++size[component[v]];
    for (const GraphEdge& e : graph_.edges) {
      if (component[e.from] != component[e.to]) way_out[component[e.from]] = true;
      if (e.from == e.to) loop[component[e.from]] = true;
    }
    for (GraphEdge& e : graph_.edges) {
      const std::size_t c = component[e.from];
      if (c == component[e.to] && (size[c] > 1 || loop[c]) && !way_out[c]) {
        e.in_cycle = true;
        graph_.nodes[e.from].in_cycle = graph_.nodes[e.to].in_cycle = true;
      }
    }
  }

  const Report& r_;
  const Dump& d_;
  const std::size_t max_groups_;
  WaitGraph graph_;
  std::vector<std::size_t> group_node_;
  std::vector<ObjectNode> object_nodes_;
  absl::flat_hash_map<std::pair<std::string_view, std::int64_t>, std::size_t> shared_objects_;
  absl::flat_hash_set<std::tuple<std::size_t, std::size_t, int>> edge_set_;
  std::size_t unknown_node_ = kNone;
};

}  // namespace

WaitGraph build_wait_graph(const Report& r, std::size_t max_groups) {
  return Builder(r, max_groups).build();
}

}  // namespace weave::dump
