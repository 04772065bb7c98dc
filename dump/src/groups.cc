// Grouping: one hash lookup per task, then one pass per group for the facts a reader wants
// (wait range, parents, objects), then the sort by size.
#include "groups.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"

namespace weave::dump {

namespace {

auto location_tuple(const Location& l) { return std::tie(l.file, l.line, l.function); }

template <typename T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

GroupKey group_key(const Task& t) { return {t.state, t.blocked_at, t.created_at, t.thread}; }

ContentKey content_key(const Dump& d, const GroupKey& k) {
  return {k.state, d.loc(k.blocked_at), d.loc(k.created_at), k.thread};
}

bool content_less(const ContentKey& a, const ContentKey& b) {
  return std::tuple(a.thread, a.state, location_tuple(a.blocked_at), location_tuple(a.created_at)) <
         std::tuple(b.thread, b.state, location_tuple(b.blocked_at), location_tuple(b.created_at));
}

std::vector<Group> group_tasks(const Dump& d, std::vector<std::uint32_t>& group_of) {
  std::vector<Group> groups;
  absl::flat_hash_map<GroupKey, std::size_t> index;
  for (std::uint32_t i = 0; i < d.tasks.size(); ++i) {
    auto [it, inserted] = index.try_emplace(group_key(d.tasks[i]), groups.size());
    if (inserted) {
      Group& g = groups.emplace_back();
      g.key = it->first;
      g.min_wait_ns = g.max_wait_ns = d.tasks[i].wait_ns;
    }
    groups[it->second].members.push_back(i);
  }
  for (Group& g : groups) {
    for (std::uint32_t i : g.members) {
      const Task& t = d.tasks[i];
      g.min_wait_ns = std::min(g.min_wait_ns, t.wait_ns);
      g.max_wait_ns = std::max(g.max_wait_ns, t.wait_ns);
      g.unreachable += t.unreachable;
      if (t.parent) {
        g.parents.push_back(*t.parent);
      } else if (!t.thread) {
        ++g.unknown_parents;
      }
      if (!t.object && t.objects.size == 0) ++g.waits_on_nothing;
      if (t.object && t.object->id) g.object_ids.push_back(*t.object->id);
      for (const WaitObject& o : d.object_list(t.objects)) {
        if (o.id) g.object_ids.push_back(*o.id);
      }
    }
    sort_unique(g.parents);
    sort_unique(g.object_ids);
  }
  std::sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
    if (a.key.thread != b.key.thread) return b.key.thread;
    if (a.size() != b.size()) return a.size() > b.size();
    return content_less(content_key(d, a.key), content_key(d, b.key));
  });
  group_of.assign(d.tasks.size(), 0);
  for (std::uint32_t g = 0; g < groups.size(); ++g) {
    for (std::uint32_t i : groups[g].members) group_of[i] = g;
  }
  return groups;
}

}  // namespace weave::dump
