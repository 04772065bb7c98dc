// Grouping: by (state, blocked at, created at) and nothing else, largest group first with ties in
// key order, and the facts each group collects.
#include "groups.h"

#include <gtest/gtest.h>

#include "dump_test_util.h"
#include "report.h"

namespace weave::dump {
namespace {

// A fiber line for a dump: id, state, blocked-at line, created-at line, wait, parent.
std::string fiber(int id, const std::string& state, int blocked, int created, long wait = 1,
                  const std::string& parent = "1", const std::string& more = "") {
  return "{\"id\": " + std::to_string(id) + ", \"state\": \"" + state +
         "\", \"wait_ns\": " + std::to_string(wait) +
         ", \"unreachable\": " + (id % 2 ? "true" : "false") +
         ", \"blocked_at\": {\"file\": \"a.cc\", \"line\": " + std::to_string(blocked) +
         ", \"function\": \"f\"}, \"created_at\": {\"file\": \"a.cc\", \"line\": " +
         std::to_string(created) + ", \"function\": \"g\"}, \"parent\": " + parent +
         ", \"stack\": []" + more + "}";
}

std::string dump(const std::vector<std::string>& fibers) {
  std::string out = R"({"version": 1, "reason": "exit", "fibers": [)";
  for (std::size_t i = 0; i < fibers.size(); ++i) out += (i ? ",\n" : "") + fibers[i];
  return out + "]}";
}

TEST(Groups, KeyIsStateBlockedAtAndCreatedAtOnly) {
  const auto p = testing::parse(dump({
      fiber(1, "chan send", 10, 5, 100, "1"),
      fiber(2, "chan send", 10, 5, 900, "4"),     // other wait, other parent: same group
      fiber(3, "chan send", 11, 5),               // other blocked-at line
      fiber(4, "chan send", 10, 6),               // other created-at line
      fiber(5, "chan receive", 10, 5),            // other state
      fiber(6, "chan send", 10, 5, 500, "null"),  // same group, from a thread
  }));
  const Report r(p.dump);
  ASSERT_EQ(r.groups.size(), 4u);
  const Group& big = r.groups[0];
  EXPECT_EQ(big.size(), 3u);
  EXPECT_EQ(big.key.state, "chan send");
  EXPECT_EQ(p.dump.loc(big.key.blocked_at).line, 10);
  EXPECT_EQ(p.dump.loc(big.key.created_at).line, 5);
  EXPECT_EQ(big.members, (std::vector<std::uint32_t>{0, 1, 5})) << "in dump order";
  EXPECT_EQ(big.min_wait_ns, 100);
  EXPECT_EQ(big.max_wait_ns, 900);
  EXPECT_EQ(big.unreachable, 1u);
  EXPECT_EQ(big.parents, (std::vector<TaskRef>{{1, false}, {4, false}}));
  EXPECT_EQ(big.unknown_parents, 1u);
}

TEST(Groups, LargestFirstThenByStateAndLocations) {
  const auto p = testing::parse(dump({
      fiber(1, "sleep", 1, 1),
      fiber(2, "select", 9, 1),
      fiber(3, "select", 2, 1),
      fiber(4, "mutex lock", 3, 1),
      fiber(5, "mutex lock", 3, 1),
      fiber(6, "chan send", 7, 1),
      fiber(7, "chan send", 7, 1),
      fiber(8, "chan send", 7, 1),
  }));
  const Report r(p.dump);
  std::vector<std::string> order;
  for (const Group& g : r.groups) {
    order.push_back(std::to_string(g.size()) + " " + std::string(g.key.state) + ":" +
                    std::to_string(p.dump.loc(g.key.blocked_at).line));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"3 chan send:7", "2 mutex lock:3", "1 select:2",
                                             "1 select:9", "1 sleep:1"}));
}

TEST(Groups, DistinctObjectsAndFibersByIdInAnyOrder) {
  const auto p = testing::parse(dump({
      fiber(9, "chan send", 1, 1, 1, "1", R"(, "object": {"kind": "chan", "id": 30})"),
      fiber(3, "chan send", 1, 1, 1, "1", R"(, "object": {"kind": "chan", "id": 10})"),
      fiber(5, "chan send", 1, 1, 1, "1", R"(, "object": {"kind": "chan", "id": 30})"),
      fiber(7, "chan send", 1, 1, 1, "1", R"(, "object": null)"),
      fiber(8, "sleep", 2, 1),
  }));
  const Report r(p.dump);
  EXPECT_EQ(r.groups[0].object_ids, (std::vector<std::int64_t>{10, 30}));
  EXPECT_EQ(r.groups[0].waits_on_nothing, 1u);
  // Ids out of order: found through the hash table, with their group.
  ASSERT_TRUE(r.find(8));
  EXPECT_EQ(r.find(8)->task, 4u);
  EXPECT_EQ(r.find(8)->group, 1u);
  EXPECT_EQ(r.find(5)->group, 0u);
  EXPECT_FALSE(r.find(4));
}

TEST(Groups, FindsFibersByBinarySearchWhenSorted) {
  const auto p = testing::parse(dump({fiber(2, "sleep", 1, 1), fiber(4, "select", 2, 1),
                                      fiber(5, "select", 2, 1), fiber(6, "select", 2, 1)}));
  const Report r(p.dump);
  EXPECT_EQ(r.find(2)->group, 1u);
  EXPECT_EQ(r.find(6)->task, 3u);
  EXPECT_FALSE(r.find(3));
  EXPECT_FALSE(r.find(7));
  EXPECT_FALSE(r.find(-1));
}

}  // namespace
}  // namespace weave::dump
