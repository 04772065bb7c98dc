// Fibers grouped as the runtime's own dump groups them: by identical (state, blocked at, created
// at). A hundred thousand fibers leaked by one bug are one group.
//
// Invariants: groups come largest first, ties broken by their key so that the order is the same
// for the same dump; a group's members are indices into Dump::fibers in dump order, so its first
// member is the first such fiber of the dump; parents and object ids are distinct and ascending.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dump_model.h"

namespace weave::dump {

// Within one dump, locations and states are interned (equal ids, equal state pointers), so a key
// compares and hashes as three words.
struct GroupKey {
  std::string_view state;
  LocId blocked_at = 0;
  LocId created_at = 0;

  friend bool operator==(const GroupKey& a, const GroupKey& b) {
    return a.state.data() == b.state.data() && a.blocked_at == b.blocked_at &&
           a.created_at == b.created_at;
  }
  template <typename H>
  friend H AbslHashValue(H h, const GroupKey& k) {
    return H::combine(static_cast<H&&>(h), k.state.data(), k.blocked_at, k.created_at);
  }
};

GroupKey group_key(const Fiber& f);

// A group's key by content, to match groups across dumps.
struct ContentKey {
  std::string_view state;
  Location blocked_at;
  Location created_at;

  friend bool operator==(const ContentKey&, const ContentKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const ContentKey& k) {
    return H::combine(static_cast<H&&>(h), k.state, k.blocked_at, k.created_at);
  }
};
ContentKey content_key(const Dump& d, const GroupKey& k);
// The order groups of equal size are listed in: by state, then where blocked, then where created.
bool content_less(const ContentKey& a, const ContentKey& b);

struct Group {
  GroupKey key;
  std::vector<std::uint32_t> members;  // indices into Dump::fibers
  std::int64_t min_wait_ns = 0;
  std::int64_t max_wait_ns = 0;
  std::size_t unreachable = 0;           // members that can never wake
  std::vector<std::int64_t> parents;     // the fibers that started members
  std::size_t from_threads = 0;          // members started by a plain thread
  std::vector<std::int64_t> object_ids;  // the objects members wait on, where they have an id
  std::size_t waits_on_nothing = 0;      // members the dump names no object for

  std::size_t size() const { return members.size(); }
};

// Also fills group_of: the index of each fiber's group, by fiber index.
std::vector<Group> group_fibers(const Dump& d, std::vector<std::uint32_t>& group_of);

}  // namespace weave::dump
