// Task look-ups and the phrases that need them.
#include "report.h"

#include <algorithm>

#include "concat.h"
#include "text.h"

namespace weave::dump {

namespace {

bool ascending(std::span<const Task> tasks) {
  for (std::size_t i = 1; i < tasks.size(); ++i) {
    if (tasks[i - 1].id >= tasks[i].id) return false;
  }
  return true;
}

const Task* search(std::span<const Task> tasks, std::int64_t id) {
  auto it = std::lower_bound(tasks.begin(), tasks.end(), id,
                             [](const Task& t, std::int64_t v) { return t.id < v; });
  return it == tasks.end() || it->id != id ? nullptr : &*it;
}

}  // namespace

std::optional<Report::Place> Report::find(std::int64_t id) const {
  const std::span<const Task> all = dump.tasks;
  const std::span<const Task> fibers = all.first(dump.fibers()), threads = all.last(dump.threads);
  if (lookup_ == Lookup::kNotYet) {
    lookup_ = ascending(fibers) && ascending(threads) ? Lookup::kSorted : Lookup::kHashed;
    if (lookup_ == Lookup::kHashed) {
      by_id_.reserve(all.size());
      for (std::uint32_t i = 0; i < all.size(); ++i) by_id_.try_emplace(all[i].id, i);
    }
  }
  std::uint32_t i;
  if (lookup_ == Lookup::kSorted) {
    const Task* t = search(fibers, id);
    if (!t) t = search(threads, id);
    if (!t) return std::nullopt;
    i = static_cast<std::uint32_t>(t - all.data());
  } else {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    i = it->second;
  }
  return Place{i, group_of_[i]};
}

std::string Report::task_phrase(std::int64_t id, std::optional<bool> thread,
                                std::int64_t waiter) const {
  const std::optional<Place> p = find(id);
  if (p) thread = dump.tasks[p->task].thread;
  const std::string name = cat(!thread ? "task " : *thread ? "thread " : "fiber ", id);
  if (id == waiter) return name + " (itself)";
  if (!p) return name + " (not blocked)";
  const Task& t = dump.tasks[p->task];
  return cat(name, " (", t.state, " at ", location(dump, t.blocked_at), ")");
}

std::string Report::holders_phrase(const WaitObject& o, std::int64_t waiter) const {
  constexpr std::size_t kShown = 3;
  const auto ids = dump.id_list(o.holders);
  if (ids.empty()) return "no task";
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) {
    append(out, i ? ", " : "", task_phrase(ids[i], std::nullopt, waiter));
  }
  if (ids.size() > kShown) append(out, " and ", ids.size() - kShown, " more");
  return out;
}

std::size_t Report::unreachable() const {
  std::size_t n = 0;
  for (const Group& g : groups) n += g.unreachable;
  return n;
}

std::string Report::task_totals() const {
  const std::size_t fibers = dump.fibers();
  std::size_t fiber_groups = 0;
  for (const Group& g : groups) fiber_groups += !g.threads();
  std::string out = fibers == 0
                        ? "no blocked fiber"
                        : cat(count(fibers, "blocked fiber"), " in ", count(fiber_groups, "group"));
  if (!dump.unreachable_analysed) {
    if (fibers > 0) append(out, " (unreachable ones not analysed)");
  } else if (const std::size_t n = unreachable()) {
    append(out, " (", n, " unreachable)");
  }
  if (dump.threads > 0) append(out, ", ", count(dump.threads, "blocked thread"));
  return out;
}

std::string Report::totals() const {
  return cat(task_totals(), ", ", count(dump.races.size(), "data race"), ", ",
             count(dump.locks.size(), "lock warning"));
}

std::string Report::headline(const Group& g) const {
  const char* noun = g.threads() ? "thread" : "fiber";
  std::string head = g.size() == 1 ? cat(noun, " ", dump.tasks[g.members.front()].id)
                                   : cat(g.size(), " ", noun, "s");
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
  return cat("stack of one of them, ", g.threads() ? "thread " : "fiber ",
             dump.tasks[g.members.front()].id);
}

std::vector<Report::Fact> Report::facts(const Group& g) const {
  std::vector<Fact> out = {{"blocked at", location(dump, g.key.blocked_at)}};
  const Task& first = dump.tasks[g.members.front()];
  if (const std::optional<WaitObject>& o = first.object) {
    std::string text;
    // The group's fibers wait on more objects than the first one's: say how many.
    if (g.object_ids.size() > std::max<std::size_t>(1, first.objects.size)) {
      append(text, g.object_ids.size(), " different ", o->kind, "s, the first ");
    }
    append(text, object_name(*o));
    if (o->created_at) append(text, " made at ", location(dump, *o->created_at));
    if (first.objects.size > 1)
      append(text, ", and ", first.objects.size - 1, " more in its select");
    out.push_back({"waiting on", text});
    if (o->has_holders) {
      out.push_back({o->is_lock() ? "held by" : "handles held by", holders_phrase(*o, first.id)});
    }
  }
  if (!g.threads()) {
    std::string created = location(dump, g.key.created_at);
    if (const std::string by = parents_phrase(g); !by.empty()) append(created, " by ", by);
    out.push_back({"created at", created});
  }
  return out;
}

}  // namespace weave::dump
