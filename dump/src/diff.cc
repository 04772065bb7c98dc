// `weave-dump diff OLD NEW`: what grew. Groups are matched by their key's content (state, blocked
// at, created at), never by fiber ids or wait times, which differ from run to run; races by their
// pair of source locations (in either order) and lock warnings by their kind and sites, as the
// runtime reports each once.
#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "concat.h"
#include "render.h"
#include "terminal.h"
#include "text.h"

namespace weave::dump {

namespace {

struct Change {
  const Group* group;  // in NEW, or in OLD for a group gone from NEW
  ContentKey key;
  std::size_t before;
  std::size_t after;
  std::size_t delta() const { return after > before ? after - before : before - after; }
};

using RaceKey = std::pair<Location, Location>;

RaceKey race_key(const Dump& d, const Race& r) {
  const Location& a = d.loc(r.access.at);
  const Location& b = d.loc(r.previous.at);
  const auto tie = [](const Location& l) { return std::tie(l.file, l.line, l.function); };
  if (tie(a) < tie(b)) return {a, b};
  return {b, a};
}

using LockKey = std::pair<std::string_view, std::vector<Location>>;

LockKey lock_key(const Dump& d, const LockWarning& w) {
  LockKey k{w.kind, {}};
  for (const LockSite& s : w.sites) k.second.push_back(d.loc(s.at));
  return k;
}

void by_size_of_change(std::vector<Change>& changes) {
  std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    if (a.delta() != b.delta()) return a.delta() > b.delta();
    return content_less(a.key, b.key);
  });
}

}  // namespace

bool render_diff(const Report& before, const Report& after, std::ostream& out) {
  TerminalWriter w(after, out);
  w.line(0, cat("weave dump diff: ", after.task_totals(), ", was ", before.task_totals()));

  absl::flat_hash_map<ContentKey, const Group*> old_groups;
  for (const Group& g : before.groups) old_groups.emplace(content_key(before.dump, g.key), &g);
  std::vector<Change> grew, shrank, gone;
  absl::flat_hash_set<ContentKey> still_there;
  for (const Group& g : after.groups) {
    ContentKey key = content_key(after.dump, g.key);
    auto it = old_groups.find(key);
    const std::size_t was = it == old_groups.end() ? 0 : it->second->size();
    if (g.size() > was) grew.push_back({&g, key, was, g.size()});
    if (g.size() < was) shrank.push_back({&g, key, was, g.size()});
    still_there.insert(key);
  }
  for (const auto& [key, g] : old_groups) {
    if (!still_there.contains(key)) gone.push_back({g, key, g->size(), 0});
  }
  by_size_of_change(grew);
  by_size_of_change(shrank);
  by_size_of_change(gone);

  std::size_t added = 0;
  for (const Change& c : grew) added += c.after - c.before;
  w.line(0, grew.empty() ? "no group grew"
                         : cat(count(grew.size(), "group"), " grew, by ", count(added, "fiber"),
                               " in all:"));
  for (const Change& c : grew) {
    w.group(*c.group, c.before == 0
                          ? cat("+", c.after, " (new): ")
                          : cat("+", c.after - c.before, " (", c.before, " -> ", c.after, "): "));
  }
  if (!shrank.empty() || !gone.empty()) {
    w.line(0, "");
    w.line(0, "shrank or gone:");
    for (const Change& c : shrank) {
      w.line(2, cat("-", c.delta(), " (", c.before, " -> ", c.after, ") [", c.key.state,
                    "] blocked at ", location(c.key.blocked_at)));
    }
    for (const Change& c : gone) {
      w.line(2, cat("-", c.before, " (gone) [", c.key.state, "] blocked at ",
                    location(c.key.blocked_at)));
    }
  }

  absl::flat_hash_set<RaceKey> old_races;
  for (const Race& r : before.dump.races) old_races.insert(race_key(before.dump, r));
  std::size_t new_races = 0;
  for (const Race& r : after.dump.races) {
    if (old_races.contains(race_key(after.dump, r))) continue;
    w.race(r, " (new)");
    ++new_races;
  }
  absl::flat_hash_set<LockKey> old_locks;
  for (const LockWarning& l : before.dump.locks) old_locks.insert(lock_key(before.dump, l));
  std::size_t new_locks = 0;
  for (const LockWarning& l : after.dump.locks) {
    if (old_locks.contains(lock_key(after.dump, l))) continue;
    w.lock(l);
    ++new_locks;
  }
  return !grew.empty() || new_races > 0 || new_locks > 0;
}

}  // namespace weave::dump
