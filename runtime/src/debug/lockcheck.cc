// The lock checks (see lockcheck.h for what they report and the invariants).
//
// Hot path: blocks/acquired read the calling task's held locks and this thread's edge cache; the
// graph's lock is taken only for an edge the cache does not know (new, or a known one taken with
// fewer gate locks than before), for a report, and for the destruction of a lock that may be a
// node (a bit filter says which surely is not).
#include "debug/lockcheck.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <optional>
#include <span>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "stack_trace.h"

namespace weave::detail::lockcheck {

namespace {

using NodeId = std::uint64_t;

bool exclusive(LockKind k) { return k != LockKind::kRWMutexRead; }

// --- the order graph ---------------------------------------------------------------------------

struct Edge {
  NodeId from = 0, to = 0;
  std::vector<NodeId> held;  // sorted: locks held exclusively at every occurrence (with `from`)
  LockKind from_kind = LockKind::kMutex, to_kind = LockKind::kMutex;
  Location from_loc, to_loc;
  const void* from_pc = nullptr;  // return addresses of the two lock calls
  const void* to_pc = nullptr;
  std::vector<void*> to_stack;  // of the first occurrence, raw
  Taker taker;                  // of the first occurrence
};

struct Node {
  const void* addr = nullptr;
  std::vector<NodeId> out, in;
};

struct Graph {
  std::mutex mu;
  absl::flat_hash_map<const void*, NodeId> ids;
  absl::flat_hash_map<NodeId, Node> nodes;
  absl::flat_hash_map<std::pair<NodeId, NodeId>, Edge> edges;
  NodeId next_id = 1;
  absl::flat_hash_set<std::string> reported;  // signatures of the warnings given
  std::vector<Warning> warnings;
  bool quiet = false;
};

Graph& graph() {
  static Graph* g = new Graph();  // never destroyed: locks are destroyed during exit too
  return *g;
}

// Bumped whenever a node goes: cached edges name locks by address, which may now be another lock.
std::atomic<std::uint64_t> g_generation{1};

// One bit per hash of an address that has ever been a node: a lock whose bit is clear is surely
// not one, and its destruction takes no lock.
constexpr std::size_t kFilterBits = std::size_t{1} << 16;
std::atomic<std::uint64_t> g_maybe_node[kFilterBits / 64];

std::size_t filter_bit(const void* m) {
  return static_cast<std::size_t>(
      (reinterpret_cast<std::uintptr_t>(m) >> 3) * 0x9E3779B97F4A7C15ull >> 48);
}

NodeId node_id(Graph& g, const void* m) {
  auto [it, fresh] = g.ids.try_emplace(m, g.next_id);
  if (fresh) {
    g.nodes[g.next_id++].addr = m;
    const std::size_t b = filter_bit(m);
    g_maybe_node[b / 64].fetch_or(std::uint64_t{1} << (b % 64), std::memory_order_relaxed);
  }
  return it->second;
}

void erase_id(std::vector<NodeId>& v, NodeId id) {
  v.erase(std::remove(v.begin(), v.end(), id), v.end());
}

void remove_node(Graph& g, const void* m) {
  auto it = g.ids.find(m);
  if (it == g.ids.end()) return;
  const NodeId id = it->second;
  g.ids.erase(it);
  Node node = std::move(g.nodes[id]);
  g.nodes.erase(id);
  for (NodeId to : node.out) {
    g.edges.erase({id, to});
    erase_id(g.nodes[to].in, id);
  }
  for (NodeId from : node.in) {
    g.edges.erase({from, id});
    erase_id(g.nodes[from].out, id);
  }
  g_generation.fetch_add(1, std::memory_order_release);
}

bool intersects(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
    if (*i == *j) return true;
    *i < *j ? ++i : ++j;
  }
  return false;
}

bool subset(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  return std::includes(b.begin(), b.end(), a.begin(), a.end());
}

std::vector<NodeId> merged(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  std::vector<NodeId> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// A path from e.to back to e.from whose edges, with e, have pairwise disjoint gate sets: the
// cycle a deadlock needs, each edge waited on by a different task at the same time. Depth-first
// over simple paths; a node searched in vain with gate set U is not searched again with a superset
// of U. Returns the cycle's edges, e first; empty if there is none (or the search ran too long,
// where silence is the safe side).
std::vector<const Edge*> find_cycle(Graph& g, const Edge& e) {
  struct Step {
    NodeId node;
    std::vector<NodeId> used;  // union of the gate sets on the path so far
    std::size_t next = 0;      // next out-edge to try
  };
  int budget = 100000;
  absl::flat_hash_map<NodeId, std::vector<std::vector<NodeId>>> failed;
  absl::flat_hash_set<NodeId> on_path{e.to};
  std::vector<Step> stack{Step{e.to, e.held}};
  std::vector<const Edge*> path{&e};
  while (!stack.empty()) {
    if (--budget < 0) return {};
    Step& f = stack.back();
    const std::vector<NodeId>& out = g.nodes.at(f.node).out;
    if (f.next == out.size()) {
      failed[f.node].push_back(std::move(f.used));
      on_path.erase(f.node);
      stack.pop_back();
      path.pop_back();
      continue;
    }
    const NodeId to = out[f.next++];
    const Edge& next = g.edges.at({f.node, to});
    if (intersects(next.held, f.used)) continue;
    if (to == e.from) {
      path.push_back(&next);
      return path;
    }
    if (on_path.contains(to)) continue;
    std::vector<NodeId> used = merged(f.used, next.held);
    const auto seen = failed.find(to);
    if (seen != failed.end() &&
        std::any_of(seen->second.begin(), seen->second.end(),
                    [&](const std::vector<NodeId>& u) { return subset(u, used); })) {
      continue;
    }
    on_path.insert(to);
    path.push_back(&next);
    stack.push_back(Step{to, std::move(used)});
  }
  return {};
}

// --- this thread's cache of edges in the graph -------------------------------------------------

struct CachedEdge {
  const void* from;
  const void* to;
  std::uint64_t generation;  // 0: empty
  std::uint32_t ngates;
  const void* gates[4];  // the edge's gate set, by address
};

constexpr std::size_t kCacheSize = 64;
thread_local CachedEdge t_cache[kCacheSize];

CachedEdge& cache_slot(const void* from, const void* to) {
  const std::uintptr_t h = reinterpret_cast<std::uintptr_t>(from) * 0x9E3779B97F4A7C15ull ^
                           reinterpret_cast<std::uintptr_t>(to);
  return t_cache[(h * 0xC2B2AE3D27D4EB4Full >> 58) % kCacheSize];
}

// Whether the graph already has from -> to with a gate set that `excl` (the locks held
// exclusively now) contains: then this occurrence changes nothing.
bool cached(const void* from, const void* to, std::span<const void* const> excl) {
  const CachedEdge& c = cache_slot(from, to);
  if (c.from != from || c.to != to ||
      c.generation != g_generation.load(std::memory_order_acquire)) {
    return false;
  }
  for (std::uint32_t i = 0; i < c.ngates; ++i) {
    if (std::find(excl.begin(), excl.end(), c.gates[i]) == excl.end()) return false;
  }
  return true;
}

void remember(Graph& g, const Edge& e, const void* from, const void* to, std::uint64_t generation) {
  CachedEdge& c = cache_slot(from, to);
  if (e.held.size() > std::size(c.gates)) return;
  c = CachedEdge{from, to, generation, static_cast<std::uint32_t>(e.held.size()), {}};
  for (std::size_t i = 0; i < e.held.size(); ++i) c.gates[i] = g.nodes[e.held[i]].addr;
}

// --- reports -----------------------------------------------------------------------------------

std::vector<void*> capture() {
  std::vector<void*> pcs(64);
  pcs.resize(static_cast<std::size_t>(capture_stack(pcs.data(), static_cast<int>(pcs.size()))));
  return pcs;
}

const char* kind_name(LockKind k) {
  switch (k) {
    case LockKind::kMutex:
      return "Mutex";
    case LockKind::kRWMutex:
      return "RWMutex";
    case LockKind::kRWMutexRead:
      return "RWMutex (read)";
  }
  return "?";
}

// What a lock call of a Site's kind does.
const char* verb(const std::string& kind) {
  if (kind == kind_name(LockKind::kMutex)) return "locked";
  if (kind == kind_name(LockKind::kRWMutex)) return "write-locked";
  return "read-locked";
}

std::string taker_name(const Taker& t) {
  return absl::StrCat(t.is_thread ? "thread " : "fiber ", t.id);
}

Site make_site(const char* role, std::string lock, LockKind kind, const void* addr,
               const Location& loc, const Taker& taker) {
  Site s;
  s.role = role;
  s.lock = std::move(lock);
  s.kind = kind_name(kind);
  s.addr = addr;
  s.file = loc.file_name();
  s.line = static_cast<int>(loc.line());
  s.function = loc.function_name();
  s.taker = taker;
  return s;
}

Site acquiring_site(std::string lock, LockKind kind, const void* addr, const Location& loc,
                    const Taker& taker, const std::vector<void*>& stack) {
  Site s = make_site("acquiring", std::move(lock), kind, addr, loc, taker);
  s.stack = user_frames(stack.data(), static_cast<int>(stack.size()));
  return s;
}

Site holding_site(std::string lock, LockKind kind, const void* addr, const Location& loc,
                  const Taker& taker, const void* pc) {
  Site s = make_site("holding", std::move(lock), kind, addr, loc, taker);
  if (pc) s.caller = symbolize(pc);
  return s;
}

std::string where(const Location& loc) { return absl::StrCat(loc.file_name(), ":", loc.line()); }

// What identifies a lock call in a warning's signature. Its Location alone does not: every lock
// taken through std::lock_guard has the same one, in the standard header. A held lock's call adds
// its return address; a call whose stack was captured adds the stack from that address outwards
// (the code that called, and how it was reached), the lock's own frames left out.
std::string held_key(const Location& loc, const void* pc) {
  return absl::StrCat(where(loc), "@", absl::Hex(reinterpret_cast<std::uintptr_t>(pc)));
}

std::string call_key(const Location& loc, const void* caller, const std::vector<void*>& stack) {
  auto from = std::find(stack.begin(), stack.end(), caller);
  if (from == stack.end()) from = stack.begin();
  std::string key = held_key(loc, caller);
  for (auto it = from; it != stack.end(); ++it) {
    absl::StrAppend(&key, ",", absl::Hex(reinterpret_cast<std::uintptr_t>(*it)));
  }
  return key;
}

// Claims a warning's signature; false if a warning with it was given already.
bool claim(Graph& g, std::string signature) {
  return g.reported.insert(std::move(signature)).second;
}

// Keeps w (under g.mu) and returns what to print once g.mu is released.
std::string keep(Graph& g, Warning w) {
  std::string text = g.quiet ? "" : format(w);
  g.warnings.push_back(std::move(w));
  return text;
}

void print(const std::string& text) {
  if (!text.empty()) std::fputs(text.c_str(), stderr);
}

// A warning for a cycle, e first; claimed by the source sites of its edges, so the same code
// taking locks of other instances in the same orders is reported once.
std::optional<Warning> cycle_warning(Graph& g, const std::vector<const Edge*>& cycle) {
  std::vector<std::string> parts;
  for (const Edge* e : cycle) {
    parts.push_back(held_key(e->from_loc, e->from_pc) + ">" +
                    call_key(e->to_loc, e->to_pc, e->to_stack));
  }
  std::rotate(parts.begin(), std::min_element(parts.begin(), parts.end()), parts.end());
  if (!claim(g, "lock-order-inversion|" + absl::StrJoin(parts, "|"))) return std::nullopt;

  auto label = [](std::size_t i) { return absl::StrCat("M", i + 1); };
  Warning w;
  w.kind = "lock-order-inversion";
  std::vector<std::string> names;
  for (std::size_t i = 0; i < cycle.size(); ++i) names.push_back(label(i));
  names.push_back(label(0));
  w.summary = absl::StrCat(w.kind, " (potential deadlock): ", absl::StrJoin(names, " => "));
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    const Edge& e = *cycle[i];
    const std::string to = label((i + 1) % cycle.size());
    w.sites.push_back(
        acquiring_site(to, e.to_kind, g.nodes[e.to].addr, e.to_loc, e.taker, e.to_stack));
    w.sites.push_back(
        holding_site(label(i), e.from_kind, g.nodes[e.from].addr, e.from_loc, e.taker, e.from_pc));
  }
  return w;
}

// A task's lock call meets a hold of the same lock by the task itself: `first` is its hold,
// (kind, loc, caller) the new call, which waits when `blocks`. The stack is captured each time:
// with a std::lock_guard or std::shared_lock whose constructor is not inlined, it is all that
// tells two such calls apart (and this is the path of a bug, taken before a wait that never ends
// or a recursive read lock).
void report_self(const Taker& who, const Held& first, LockKind kind, const Location& loc,
                 const void* caller, bool blocks) {
  const bool recursive_read =
      first.kind == LockKind::kRWMutexRead && kind == LockKind::kRWMutexRead;
  Warning w;
  w.kind = recursive_read ? "recursive-rlock" : "double-lock";
  Graph& g = graph();
  const std::vector<void*> stack = capture();
  {
    std::lock_guard<std::mutex> hold(g.mu);
    const std::string signature =
        absl::StrCat(w.kind, "|", held_key(first.loc, first.pc), ">", call_key(loc, caller, stack));
    if (!claim(g, signature)) return;
  }
  const std::string me = taker_name(who);
  std::string what;
  if (recursive_read) {
    what = blocks ? absl::StrCat(me,
                                 " read-locks an RWMutex it already holds for reading while a "
                                 "writer waits: the writer waits for this ",
                                 who.is_thread ? "thread" : "fiber",
                                 " and it for the writer; neither can proceed")
                  : absl::StrCat(me,
                                 " read-locks an RWMutex it already holds for reading; no writer "
                                 "waits now, but one that comes between the two read locks would "
                                 "deadlock both");
  } else if (first.kind == LockKind::kRWMutexRead) {
    what = absl::StrCat(me,
                        " write-locks an RWMutex it holds for reading and waits for its own read "
                        "lock; it can never proceed");
  } else if (kind == LockKind::kRWMutexRead) {
    what = absl::StrCat(me, " read-locks an RWMutex it holds for writing; it can never proceed");
  } else {
    what =
        absl::StrCat(me, " ", kind == LockKind::kMutex ? "locks a Mutex" : "write-locks an RWMutex",
                     " it already holds; it can never proceed");
  }
  w.summary = absl::StrCat(w.kind, ": ", what);
  w.sites.push_back(acquiring_site("M1", kind, first.addr, loc, who, stack));
  w.sites.push_back(holding_site("M1", first.kind, first.addr, first.loc, who, first.pc));
  std::string text;
  {
    std::lock_guard<std::mutex> hold(g.mu);
    text = keep(g, std::move(w));
  }
  print(text);
}

// The graph learns that `to` is taken while `from` is held and `excl` held exclusively.
void add_edge(const Taker& who, const Held& from, const void* to, LockKind to_kind,
              const Location& to_loc, const void* to_pc, std::span<const void* const> excl) {
  Graph& g = graph();
  std::optional<std::vector<void*>> stack;  // captured, outside the lock, for a new edge only
  std::string text;
  for (;;) {
    std::unique_lock<std::mutex> hold(g.mu);
    const std::uint64_t generation = g_generation.load(std::memory_order_acquire);
    const NodeId a = node_id(g, from.addr), b = node_id(g, to);
    auto it = g.edges.find({a, b});
    if (it == g.edges.end() && !stack) {
      hold.unlock();
      stack = capture();
      continue;
    }
    std::vector<NodeId> held;
    for (const void* x : excl) held.push_back(node_id(g, x));
    std::sort(held.begin(), held.end());
    held.erase(std::unique(held.begin(), held.end()), held.end());
    bool changed = false;
    if (it == g.edges.end()) {
      g.edges[{a, b}] = Edge{.from = a,
                             .to = b,
                             .held = std::move(held),
                             .from_kind = from.kind,
                             .to_kind = to_kind,
                             .from_loc = from.loc,
                             .to_loc = to_loc,
                             .from_pc = from.pc,
                             .to_pc = to_pc,
                             .to_stack = std::move(*stack),
                             .taker = who};
      g.nodes[a].out.push_back(b);
      g.nodes[b].in.push_back(a);
      it = g.edges.find({a, b});
      changed = true;
    } else {
      std::vector<NodeId> both;
      std::set_intersection(it->second.held.begin(), it->second.held.end(), held.begin(),
                            held.end(), std::back_inserter(both));
      changed = both.size() != it->second.held.size();
      it->second.held = std::move(both);
    }
    const Edge& e = it->second;
    remember(g, e, from.addr, to, generation);
    if (changed) {
      std::vector<const Edge*> cycle = find_cycle(g, e);
      if (!cycle.empty()) {
        if (std::optional<Warning> w = cycle_warning(g, cycle)) text = keep(g, std::move(*w));
      }
    }
    break;
  }
  print(text);
}

// What a lock call of m checks, `waiting` or having taken m without waiting: a lock the task
// holds itself (a double lock when it waits; a read lock it holds for reading is a recursive read
// lock, with a writer waiting when it waits) and the order of m after every lock the task holds.
void check(std::span<const Held> held, const Taker& who, const void* m, LockKind kind,
           const Location& loc, const void* caller, bool waiting) {
  absl::InlinedVector<const void*, 16> excl;
  for (const Held& h : held) {
    if (exclusive(h.kind)) excl.push_back(h.addr);
  }
  for (const Held& h : held) {
    if (h.addr != m) continue;
    if (waiting || (kind == LockKind::kRWMutexRead && h.kind == LockKind::kRWMutexRead)) {
      report_self(who, h, kind, loc, caller, waiting);
    }
    break;
  }
  for (const Held& h : held) {
    if (h.addr == m || cached(h.addr, m, excl)) continue;
    add_edge(who, h, m, kind, loc, caller, excl);
  }
}

}  // namespace

void blocks(std::span<const Held> held, Taker who, const void* m, LockKind kind,
            const Location& loc, const void* caller) {
  check(held, who, m, kind, loc, caller, /*waiting=*/true);
}

void acquired(std::span<const Held> held, Taker who, const void* m, LockKind kind,
              const Location& loc, const void* caller) {
  check(held, who, m, kind, loc, caller, /*waiting=*/false);
}

void destroyed(const void* m) {
  const std::size_t b = filter_bit(m);
  if (!(g_maybe_node[b / 64].load(std::memory_order_relaxed) & (std::uint64_t{1} << (b % 64)))) {
    return;
  }
  Graph& g = graph();
  std::lock_guard<std::mutex> hold(g.mu);
  remove_node(g, m);
}

std::vector<Warning> warnings() {
  Graph& g = graph();
  std::lock_guard<std::mutex> hold(g.mu);
  return g.warnings;
}

std::string format(const Warning& w) {
  std::string out = absl::StrCat("WARNING: ", w.summary, "\n");
  // Sites come in pairs: a lock call that waits, then the hold of the same task it waits with.
  for (std::size_t i = 0; i + 1 < w.sites.size(); i += 2) {
    const Site& a = w.sites[i];
    const Site& h = w.sites[i + 1];
    absl::StrAppendFormat(&out, "  %s (%s %p) %s%s by %s", a.lock, a.kind, a.addr, verb(a.kind),
                          a.lock == h.lock ? " again" : "", taker_name(a.taker));
    if (a.lock != h.lock) absl::StrAppend(&out, " while it held ", h.lock);
    absl::StrAppendFormat(&out, ", at %s:%d (%s):\n", a.file, a.line, a.function);
    for (const Frame& f : a.stack) {
      absl::StrAppendFormat(&out, "    %s\n        %s+0x%x\n", f.function, f.where.module,
                            f.where.offset);
    }
    absl::StrAppendFormat(&out, "  %s (%s %p) held since the same %s took it at %s:%d (%s)", h.lock,
                          h.kind, h.addr, h.taker.is_thread ? "thread" : "fiber", h.file, h.line,
                          h.function);
    if (!h.caller.empty()) absl::StrAppend(&out, ", called from ", h.caller);
    absl::StrAppend(&out, "\n\n");
  }
  return out;
}

void reset_for_testing(bool quiet) {
  Graph& g = graph();
  std::lock_guard<std::mutex> hold(g.mu);
  g.ids.clear();
  g.nodes.clear();
  g.edges.clear();
  g.reported.clear();
  g.warnings.clear();
  g.quiet = quiet;
  g_generation.fetch_add(1, std::memory_order_release);
}

std::size_t node_count_for_testing() {
  Graph& g = graph();
  std::lock_guard<std::mutex> hold(g.mu);
  return g.nodes.size();
}

std::size_t edge_count_for_testing() {
  Graph& g = graph();
  std::lock_guard<std::mutex> hold(g.mu);
  return g.edges.size();
}

}  // namespace weave::detail::lockcheck
