// Fiber look-ups and the phrases that need them.
#include "report.h"

#include <algorithm>

#include "concat.h"
#include "text.h"

namespace weave::dump {

std::optional<Report::FiberPlace> Report::find(std::int64_t id) const {
  const std::vector<Fiber>& fibers = dump.fibers;
  if (lookup_ == Lookup::kNotYet) {
    lookup_ = Lookup::kSorted;
    for (std::size_t i = 1; i < fibers.size(); ++i) {
      if (fibers[i - 1].id >= fibers[i].id) lookup_ = Lookup::kHashed;
    }
    if (lookup_ == Lookup::kHashed) {
      by_id_.reserve(fibers.size());
      for (std::uint32_t i = 0; i < fibers.size(); ++i) by_id_.try_emplace(fibers[i].id, i);
    }
  }
  std::uint32_t i;
  if (lookup_ == Lookup::kSorted) {
    auto it = std::lower_bound(fibers.begin(), fibers.end(), id,
                               [](const Fiber& f, std::int64_t v) { return f.id < v; });
    if (it == fibers.end() || it->id != id) return std::nullopt;
    i = static_cast<std::uint32_t>(it - fibers.begin());
  } else {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    i = it->second;
  }
  return FiberPlace{i, group_of_[i]};
}

std::string Report::fiber_phrase(std::int64_t id) const {
  const std::optional<FiberPlace> p = find(id);
  if (!p) return cat("fiber ", id, " (not blocked)");
  const Fiber& f = dump.fibers[p->fiber];
  return cat("fiber ", id, " (", f.state, " at ", location(dump, f.blocked_at), ")");
}

std::string Report::releasers_phrase(const WaitObject& o) const {
  std::string out;
  if (o.holder) out = cat("its holder, ", fiber_phrase(*o.holder));
  if (o.has_holders) {
    constexpr std::size_t kShown = 3;
    const auto ids = dump.id_list(o.holders);
    std::string list;
    if (ids.empty()) {
      list = "no fiber: none holds a handle";
    } else {
      list = ids.size() == 1 ? "fiber " : "fibers ";
      for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) {
        append(list, i ? ", " : "", ids[i]);
      }
      if (ids.size() > kShown) append(list, " and ", ids.size() - kShown, " more");
    }
    if (!ids.empty()) append(list, " (", ids.size() == 1 ? "holds" : "hold", " a handle)");
    out = out.empty() ? list : cat(out, "; ", list);
  }
  return out;
}

std::size_t Report::unreachable() const {
  std::size_t n = 0;
  for (const Group& g : groups) n += g.unreachable;
  return n;
}

std::string Report::headline(const Group& g) const {
  std::string head = cat(count(g.size(), "fiber"), " [", g.key.state, ", ", wait_range(g));
  if (g.unreachable == g.size()) {
    append(head, ", unreachable");
  } else if (g.unreachable > 0) {
    append(head, ", ", g.unreachable, " unreachable");
  }
  return head + "]";
}

std::vector<Report::Fact> Report::facts(const Group& g) const {
  std::vector<Fact> out = {{"blocked at", location(dump, g.key.blocked_at)}};
  if (const std::optional<WaitObject>& o = dump.fibers[g.members.front()].object) {
    std::string text;
    if (g.object_ids.size() > 1) {
      append(text, g.object_ids.size(), " different ", o->kind, "s, the first ");
    }
    append(text, object_name(*o));
    if (o->created_at) append(text, " made at ", location(dump, *o->created_at));
    out.push_back({"waiting on", text});
    if (std::string rel = releasers_phrase(*o); !rel.empty()) {
      out.push_back({"released by", std::move(rel)});
    }
  }
  std::string created = location(dump, g.key.created_at);
  if (const std::string by = parents_phrase(g); !by.empty()) append(created, " by ", by);
  out.push_back({"created at", created});
  return out;
}

}  // namespace weave::dump
