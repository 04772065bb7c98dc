// Tasks grouped as the runtime's own dump groups them: by identical (state, blocked at, created
// at), fibers and threads apart. A hundred thousand fibers leaked by one bug are one group.
//
// Invariants: fiber groups come before thread groups, each largest first, ties broken by their
// key so that the order is the same for the same dump; a group's members are indices into
// Dump::tasks in dump order, so its first member is the first such task of the dump; parents and
// object ids are distinct and ascending.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dump_model.h"

namespace weave::dump {

// Within one dump, locations and states are interned (equal ids, equal state pointers), so a key
// compares and hashes as a few words.
struct GroupKey {
  std::string_view state;
  LocId blocked_at = 0;
  LocId created_at = 0;
  bool thread = false;

  friend bool operator==(const GroupKey& a, const GroupKey& b) {
    return a.state.data() == b.state.data() && a.blocked_at == b.blocked_at &&
           a.created_at == b.created_at && a.thread == b.thread;
  }
  template <typename H>
  friend H AbslHashValue(H h, const GroupKey& k) {
    return H::combine(static_cast<H&&>(h), k.state.data(), k.blocked_at, k.created_at, k.thread);
  }
};

GroupKey group_key(const Task& t);

// A group's key by content, to match groups across dumps.
struct ContentKey {
  std::string_view state;
  Location blocked_at;
  Location created_at;
  bool thread = false;

  friend bool operator==(const ContentKey&, const ContentKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const ContentKey& k) {
    return H::combine(static_cast<H&&>(h), k.state, k.blocked_at, k.created_at, k.thread);
  }
};
ContentKey content_key(const Dump& d, const GroupKey& k);
// The order groups of equal size are listed in: fibers first, then by state, where blocked and
// where created.
bool content_less(const ContentKey& a, const ContentKey& b);

struct Group {
  GroupKey key;
  std::vector<std::uint32_t> members;  // indices into Dump::tasks
  std::int64_t min_wait_ns = 0;
  std::int64_t max_wait_ns = 0;
  std::size_t unreachable = 0;           // members that can never wake
  std::vector<TaskRef> parents;          // who started members
  std::size_t unknown_parents = 0;       // fibers the dump names no parent for
  std::vector<std::int64_t> object_ids;  // the objects members wait on, where they have an id
  std::size_t waits_on_nothing = 0;      // members the dump names no object for

  std::size_t size() const { return members.size(); }
  bool threads() const { return key.thread; }
};

// Also fills group_of: the index of each task's group, by task index.
std::vector<Group> group_tasks(const Dump& d, std::vector<std::uint32_t>& group_of);

}  // namespace weave::dump
