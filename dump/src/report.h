// What every rendering starts from: the dump, its groups, and where each task id is. Finding a
// task by id is a binary search in the fibers and in the threads when the dump lists each by
// ascending id, as the runtime writes them; a hash table is built on first use otherwise.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dump_model.h"
#include "groups.h"

namespace weave::dump {

class Report {
 public:
  explicit Report(const Dump& d) : dump(d), groups(group_tasks(d, group_of_)) {}

  const Dump& dump;

 private:
  std::vector<std::uint32_t> group_of_;  // by task index; before groups, which fills it

 public:
  const std::vector<Group> groups;

  // Where a task is: its index in Dump::tasks and its group's index.
  struct Place {
    std::uint32_t task;
    std::uint32_t group;
  };

  // The task with this id and its group, if the dump lists it.
  std::optional<Place> find(std::int64_t id) const;
  // "fiber 9 (chan receive at a.cc:3 (f))"; "fiber 9 (not blocked)" for one the dump does not
  // list (it was running or runnable, or has ended; "task 9" when the dump does not say which
  // kind); "fiber 9 (itself)" when it is `waiter`.
  std::string task_phrase(std::int64_t id, std::optional<bool> thread, std::int64_t waiter) const;
  // The tasks that could release the waiters of `o` (its holders): "fiber 5 (itself), fiber 40
  // (not blocked)", "no task".
  std::string holders_phrase(const WaitObject& o, std::int64_t waiter) const;
  std::size_t unreachable() const;
  // "7 blocked fibers in 4 groups (3 unreachable), 1 blocked thread", or "no blocked fiber".
  std::string task_totals() const;
  // task_totals(), then the number of races and lock warnings.
  std::string totals() const;

  // "1000 fibers [chan send, 1s..2s, unreachable]", "fiber 7 [sleep, 2s]", "thread 1 […]"
  std::string headline(const Group& g) const;
  // "stack", or "stack of one of them, fiber 7": the stack shown is the group's first task's.
  std::string stack_title(const Group& g) const;
  // What a group's paragraph says besides its headline and stack, in order: blocked at, waiting
  // on, held by or handles held by (when the dump tells), created at (fibers).
  struct Fact {
    std::string label;
    std::string value;
  };
  std::vector<Fact> facts(const Group& g) const;

 private:
  enum class Lookup { kNotYet, kSorted, kHashed };
  mutable Lookup lookup_ = Lookup::kNotYet;
  mutable absl::flat_hash_map<std::int64_t, std::uint32_t> by_id_;
};

}  // namespace weave::dump
