// The lock-order graph and its cycles (see LockOrder.h).
#include "lib/LockOrder.h"

#include <algorithm>
#include <deque>
#include <functional>

namespace weave::lint {
using namespace clang;

unsigned LockOrderGraph::node(const ValueDecl* d) {
  auto [it, fresh] = index_.try_emplace(d, static_cast<unsigned>(nodes_.size()));
  if (fresh) {
    nodes_.push_back(d);
    out_.emplace_back();
  }
  return it->second;
}

void LockOrderGraph::add(const LockEvent& e) {
  const ValueDecl* to = e.path.decl();
  if (!isMutexObject(to)) return;
  for (const HeldLock& h : e.held) {
    const ValueDecl* from = h.path.decl();
    if (!isMutexObject(from) || from == to || (h.shared && e.shared)) continue;
    unsigned f = node(from);
    node(to);
    std::vector<OrderEdge>& edges = out_[f];
    auto it =
        std::find_if(edges.begin(), edges.end(), [&](const OrderEdge& x) { return x.to == to; });
    OrderEdge edge{from, to, h, &e};
    if (it == edges.end())
      edges.push_back(edge);
    else if (it->taken->chain.size() > 1 && e.chain.size() == 1)
      *it = edge;
  }
}

std::vector<std::vector<OrderEdge>> LockOrderGraph::cycles() const {
  // Tarjan's strongly connected components.
  unsigned n = static_cast<unsigned>(nodes_.size());
  std::vector<int> idx(n, -1), low(n, 0), comp(n, -1);
  std::vector<bool> onStack(n, false);
  std::vector<unsigned> stack;
  int counter = 0, comps = 0;
  std::function<void(unsigned)> strong = [&](unsigned v) {
    idx[v] = low[v] = counter++;
    stack.push_back(v);
    onStack[v] = true;
    for (const OrderEdge& e : out_[v]) {
      unsigned w = index_.lookup(e.to);
      if (idx[w] < 0) {
        strong(w);
        low[v] = std::min(low[v], low[w]);
      } else if (onStack[w]) {
        low[v] = std::min(low[v], idx[w]);
      }
    }
    if (low[v] == idx[v]) {
      unsigned w;
      do {
        w = stack.back();
        stack.pop_back();
        onStack[w] = false;
        comp[w] = comps;
      } while (w != v);
      ++comps;
    }
  };
  for (unsigned v = 0; v < n; ++v)
    if (idx[v] < 0) strong(v);

  // In each component of two or more, the shortest cycle through its first node.
  std::vector<std::vector<OrderEdge>> result;
  std::vector<bool> done(comps, false);
  for (unsigned start = 0; start < n; ++start) {
    int c = comp[start];
    if (done[c]) continue;
    done[c] = true;
    std::vector<const OrderEdge*> via(n, nullptr);
    std::deque<unsigned> work{start};
    std::vector<bool> seen(n, false);
    seen[start] = true;
    const OrderEdge* closing = nullptr;
    while (!work.empty() && !closing) {
      unsigned v = work.front();
      work.pop_front();
      for (const OrderEdge& e : out_[v]) {
        unsigned w = index_.lookup(e.to);
        if (comp[w] != c) continue;
        if (w == start) {
          closing = &e;
          break;
        }
        if (!seen[w]) {
          seen[w] = true;
          via[w] = &e;
          work.push_back(w);
        }
      }
    }
    if (!closing) continue;  // a component of one lock
    std::vector<OrderEdge> cycle{*closing};
    for (unsigned v = index_.lookup(closing->from); v != start;) {
      const OrderEdge* e = via[v];
      cycle.push_back(*e);
      v = index_.lookup(e->from);
    }
    std::reverse(cycle.begin(), cycle.end());
    result.push_back(std::move(cycle));
  }
  return result;
}

}  // namespace weave::lint
