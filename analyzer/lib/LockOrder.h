// The lock-order graph of a translation unit: an edge A -> B when some path takes B while it holds
// A — in one function or through the calls it makes (LockFlow.h's acquisitions). Locks are named
// by what they are (LockPaths.h): the two objects of one class share their locks' names, so the
// graph is the classes' order, and an object's own lock taken twice (two objects of one class) is
// no edge. A cycle means fibers can each hold one lock of it and wait for the next: a deadlock.
// Two read locks taken in either order do not block each other and make no edge.
#pragma once

#include <vector>

#include "clang/AST/Decl.h"
#include "lib/LockFlow.h"
#include "llvm/ADT/DenseMap.h"

namespace weave::lint {

struct OrderEdge {
  const clang::ValueDecl* from = nullptr;
  const clang::ValueDecl* to = nullptr;
  HeldLock held;                     // how `from` was held
  const LockEvent* taken = nullptr;  // the acquisition of `to`
};

class LockOrderGraph {
 public:
  // The edges one acquisition adds (the events must outlive the graph).
  void add(const LockEvent& e);
  // One cycle per strongly connected component of two or more locks: its edges, in order, each
  // the first seen for its pair of locks (one taken directly in preference to one through calls).
  std::vector<std::vector<OrderEdge>> cycles() const;

 private:
  std::vector<const clang::ValueDecl*> nodes_;  // in the order first seen
  llvm::DenseMap<const clang::ValueDecl*, unsigned> index_;
  std::vector<std::vector<OrderEdge>> out_;  // per node, its edges
  unsigned node(const clang::ValueDecl* d);
};

}  // namespace weave::lint
