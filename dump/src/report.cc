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

std::string Report::fiber_phrase(std::int64_t id, std::int64_t waiter) const {
  if (id == waiter) return cat("fiber ", id, " (itself)");
  const std::optional<FiberPlace> p = find(id);
  if (!p) return cat("fiber ", id, " (not blocked)");
  const Fiber& f = dump.fibers[p->fiber];
  return cat("fiber ", id, " (", f.state, " at ", location(dump, f.blocked_at), ")");
}

std::string Report::handles_phrase(const WaitObject& o, std::int64_t waiter) const {
  constexpr std::size_t kShown = 3;
  const auto ids = dump.id_list(o.holders);
  if (ids.empty()) return "no fiber";
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) {
    append(out, i ? ", " : "", fiber_phrase(ids[i], waiter));
  }
  if (ids.size() > kShown) append(out, " and ", ids.size() - kShown, " more");
  return out;
}

std::size_t Report::unreachable() const {
  std::size_t n = 0;
  for (const Group& g : groups) n += g.unreachable;
  return n;
}

std::string Report::fiber_totals() const {
  if (dump.fibers.empty()) return "no blocked fiber";
  std::string out =
      cat(count(dump.fibers.size(), "blocked fiber"), " in ", count(groups.size(), "group"));
  if (const std::size_t n = unreachable()) append(out, " (", n, " unreachable)");
  return out;
}

std::string Report::totals() const {
  return cat(fiber_totals(), ", ", count(dump.races.size(), "data race"), ", ",
             count(dump.locks.size(), "lock warning"));
}

std::string Report::headline(const Group& g) const {
  std::string head =
      g.size() == 1 ? cat("fiber ", dump.fibers[g.members.front()].id) : cat(g.size(), " fibers");
  append(head, " [", g.key.state, ", ", wait_range(g));
  if (g.unreachable == g.size()) {
    append(head, ", unreachable");
  } else if (g.unreachable > 0) {
    append(head, ", ", g.unreachable, " unreachable");
  }
  return head + "]";
}

std::string Report::stack_title(const Group& g) const {
  if (g.size() == 1) return "stack";
  return cat("stack of one of them, fiber ", dump.fibers[g.members.front()].id);
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
    const std::int64_t waiter = dump.fibers[g.members.front()].id;
    if (o->holder) out.push_back({"held by", fiber_phrase(*o->holder, waiter)});
    if (o->has_holders) out.push_back({"handles held by", handles_phrase(*o, waiter)});
  }
  std::string created = location(dump, g.key.created_at);
  if (const std::string by = parents_phrase(g); !by.empty()) append(created, " by ", by);
  out.push_back({"created at", created});
  return out;
}

}  // namespace weave::dump
