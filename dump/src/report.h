// What every rendering starts from: the dump, its groups, and where each fiber id is. Finding a
// fiber by id is a binary search when the dump lists fibers by ascending id, as the runtime
// writes them; a hash table is built on first use otherwise.
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
  explicit Report(const Dump& d) : dump(d), groups(group_fibers(d, group_of_)) {}

  const Dump& dump;

 private:
  std::vector<std::uint32_t> group_of_;  // by fiber index; before groups, which fills it

 public:
  const std::vector<Group> groups;

  // Where a fiber is: its index in Dump::fibers and its group's index.
  struct FiberPlace {
    std::uint32_t fiber;
    std::uint32_t group;
  };

  // The fiber with this id and its group, if the dump lists it.
  std::optional<FiberPlace> find(std::int64_t id) const;
  // "fiber 9 (chan receive at a.cc:3 (f))"; "fiber 9 (not blocked)" for one the dump does not
  // list (it was running or runnable, or has ended); "fiber 9 (itself)" when it is `waiter`.
  std::string fiber_phrase(std::int64_t id, std::int64_t waiter) const;
  // The fibers holding a handle to `o`, the fibers that could ever release its waiters: "fiber 5
  // (itself), fiber 40 (not blocked)", "no fiber".
  std::string handles_phrase(const WaitObject& o, std::int64_t waiter) const;
  std::size_t unreachable() const;
  // "7 blocked fibers in 4 groups (3 unreachable)", or "no blocked fiber".
  std::string fiber_totals() const;
  // fiber_totals(), then the number of races and lock warnings.
  std::string totals() const;

  // "1000 fibers [chan send, 1s..2s, unreachable]", "fiber 7 [sleep, 2s]"
  std::string headline(const Group& g) const;
  // "stack", or "stack of one of them, fiber 7": the stack shown is the group's first fiber's.
  std::string stack_title(const Group& g) const;
  // What a group's paragraph says besides its headline and stack, in order: blocked at, waiting
  // on, held by and handles held by (when the dump tells), created at.
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
