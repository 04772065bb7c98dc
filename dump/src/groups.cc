// Grouping: one hash lookup per fiber, then one pass per group for the facts a reader wants
// (wait range, parents, objects), then the sort by size.
#include "groups.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"

namespace weave::dump {

namespace {

auto location_tuple(const Location& l) { return std::tie(l.file, l.line, l.function); }

void sort_unique(std::vector<std::int64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

GroupKey group_key(const Fiber& f) { return {f.state, f.blocked_at, f.created_at}; }

ContentKey content_key(const Dump& d, const GroupKey& k) {
  return {k.state, d.loc(k.blocked_at), d.loc(k.created_at)};
}

bool content_less(const ContentKey& a, const ContentKey& b) {
  return std::tuple(a.state, location_tuple(a.blocked_at), location_tuple(a.created_at)) <
         std::tuple(b.state, location_tuple(b.blocked_at), location_tuple(b.created_at));
}

std::vector<Group> group_fibers(const Dump& d, std::vector<std::uint32_t>& group_of) {
  std::vector<Group> groups;
  absl::flat_hash_map<GroupKey, std::size_t> index;
  for (std::uint32_t i = 0; i < d.fibers.size(); ++i) {
    const Fiber& f = d.fibers[i];
    auto [it, inserted] = index.try_emplace(group_key(f), groups.size());
    if (inserted) {
      Group& g = groups.emplace_back();
      g.key = it->first;
      g.min_wait_ns = g.max_wait_ns = f.wait_ns;
    }
    groups[it->second].members.push_back(i);
  }
  for (Group& g : groups) {
    for (std::uint32_t i : g.members) {
      const Fiber& f = d.fibers[i];
      g.min_wait_ns = std::min(g.min_wait_ns, f.wait_ns);
      g.max_wait_ns = std::max(g.max_wait_ns, f.wait_ns);
      g.unreachable += f.unreachable;
      if (f.parent) {
        g.parents.push_back(*f.parent);
      } else {
        ++g.from_threads;
      }
      if (!f.object) {
        ++g.waits_on_nothing;
      } else if (f.object->id) {
        g.object_ids.push_back(*f.object->id);
      }
    }
    sort_unique(g.parents);
    sort_unique(g.object_ids);
  }
  std::sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
    if (a.size() != b.size()) return a.size() > b.size();
    return content_less(content_key(d, a.key), content_key(d, b.key));
  });
  group_of.assign(d.fibers.size(), 0);
  for (std::uint32_t g = 0; g < groups.size(); ++g) {
    for (std::uint32_t i : groups[g].members) group_of[i] = g;
  }
  return groups;
}

}  // namespace weave::dump
