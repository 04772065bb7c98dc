// The dump format: what SPEC's JSON dump holds is read field by field; unknown members are skipped
// anywhere; a missing member, a wrong type, a duplicate, a bad version or reason, a truncated file
// or bad UTF-8 is an error naming the value's path and byte offset; repeated values are read once.
#include <gtest/gtest.h>

#include <cstring>
#include <utility>
#include <vector>

#include "dump_test_util.h"

namespace weave::dump {
namespace {

using testing::parse;
using testing::parse_error;
using testing::parse_file;

using Members = std::vector<std::pair<std::string, std::string>>;

std::string object(const Members& members) {
  std::string out = "{";
  for (const auto& [name, value] : members) {
    out += (out.size() > 1 ? ", \"" : "\"") + name + "\": " + value;
  }
  return out + "}";
}

const Members kFiber = {
    {"id", "7"},
    {"state", R"("chan send")"},
    {"wait_ns", "5000000000"},
    {"unreachable", "true"},
    {"blocked_at", R"({"file": "srv.cc", "line": 45, "function": "handle"})"},
    {"created_at", R"({"file": "srv.cc", "line": 41, "function": "handle"})"},
    {"parent", "1"},
    {"stack",
     R"([{"file": "chan.h", "line": 9, "function": "send"}, {"file": "srv.cc", "line": 45, "function": "handle"}])"},
    {"object",
     R"({"kind": "chan", "id": 3, "created_at": {"file": "srv.cc", "line": 40, "function": "handle"}, "cap": 0, "len": 0, "closed": false})"},
};

std::string dump_of(const std::string& fibers, const std::string& more = "") {
  return R"({"version": 1, "reason": "exit", "fibers": [)" + fibers + "]" + more + "}";
}

Members with(Members m, const std::string& name, const std::string& value) {
  for (auto& [n, v] : m) {
    if (n == name) v = value;
  }
  return m;
}

Members without(Members m, const std::string& name) {
  std::erase_if(m, [&](const auto& member) { return member.first == name; });
  return m;
}

TEST(ReadDump, ReadsEveryFieldOfTheFormat) {
  const auto p = parse(dump_of(object(kFiber), R"(,
    "races": [{"access": {"kind": "write", "size": 4, "addr": "0x7f01", "file": "a.cc", "line": 3,
                          "function": "f", "fiber": 7, "stack": [{"file": "a.cc", "line": 3, "function": "f"}]},
               "previous": {"kind": "read", "size": 4, "addr": "0x7f01", "file": "b.cc", "line": 9,
                            "function": "g", "fiber": 8},
               "fibers": [{"id": 7, "created_at": {"file": "m.cc", "line": 1, "function": "main"}}]}],
    "locks": [{"kind": "lock-order-inversion",
               "sites": [{"file": "x.cc", "line": 5, "function": "ab", "fiber": 2,
                          "stack": [{"file": "x.cc", "line": 5, "function": "ab"}]},
                         {"file": "y.cc", "line": 6, "function": "ba"}]}])"));
  const Dump& d = p.dump;
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(d.reason, Reason::kExit);
  ASSERT_EQ(d.tasks.size(), 1u);
  const Task& f = d.tasks[0];
  EXPECT_EQ(f.id, 7);
  EXPECT_EQ(f.state, "chan send");
  EXPECT_EQ(f.wait_ns, 5000000000);
  EXPECT_TRUE(f.unreachable);
  EXPECT_EQ(d.loc(f.blocked_at), (Location{"srv.cc", "handle", 45}));
  EXPECT_EQ(d.loc(f.created_at), (Location{"srv.cc", "handle", 41}));
  EXPECT_EQ(f.parent, (TaskRef{1, false})) << "parent_kind defaults to fiber";
  EXPECT_FALSE(f.thread);
  ASSERT_EQ(f.stack.size, 2u);
  EXPECT_EQ(d.loc(d.stack(f.stack)[0]), (Location{"chan.h", "send", 9}));
  EXPECT_EQ(d.stack(f.stack)[1], f.blocked_at) << "equal locations are one id";
  ASSERT_TRUE(f.object);
  EXPECT_EQ(f.object->kind, "chan");
  EXPECT_EQ(f.object->id, 3);
  EXPECT_EQ(d.loc(*f.object->created_at), (Location{"srv.cc", "handle", 40}));
  EXPECT_EQ(f.object->cap, 0);
  EXPECT_EQ(f.object->len, 0);
  EXPECT_EQ(f.object->closed, false);
  EXPECT_FALSE(f.object->has_holders) << "the dump does not say who holds it";

  ASSERT_EQ(d.races.size(), 1u);
  const Race& r = d.races[0];
  EXPECT_EQ(r.access.kind, "write");
  EXPECT_EQ(r.access.size, 4);
  EXPECT_EQ(r.access.addr, "0x7f01");
  EXPECT_EQ(d.loc(r.access.at), (Location{"a.cc", "f", 3}));
  EXPECT_EQ(r.access.task, (TaskRef{7, false}));
  EXPECT_EQ(r.access.stack.size, 1u);
  EXPECT_EQ(r.previous.kind, "read");
  EXPECT_EQ(r.previous.stack.size, 0u) << "an access's stack may be left out";
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(d.loc(*r.tasks[0].created_at), (Location{"m.cc", "main", 1}));

  ASSERT_EQ(d.locks.size(), 1u);
  EXPECT_EQ(d.locks[0].kind, "lock-order-inversion");
  ASSERT_EQ(d.locks[0].sites.size(), 2u);
  EXPECT_EQ(d.locks[0].sites[0].task, (TaskRef{2, false}));
  EXPECT_EQ(d.loc(d.locks[0].sites[1].at), (Location{"y.cc", "ba", 6}));
}

TEST(ReadDump, ReadsHoldersNullsAndEveryReason) {
  const auto p = parse(dump_of(object(with(
      with(kFiber, "parent", "null"), "object",
      R"({"kind": "mutex", "id": null, "created_at": null, "cap": null, "holders": [12, 13]})"))));
  const Task& f = p.dump.tasks[0];
  EXPECT_FALSE(f.parent) << "null: no parent named";
  EXPECT_FALSE(f.object->id);
  EXPECT_FALSE(f.object->created_at);
  EXPECT_FALSE(f.object->cap);
  ASSERT_TRUE(f.object->has_holders);
  const auto holders = p.dump.id_list(f.object->holders);
  EXPECT_EQ(std::vector<std::int64_t>(holders.begin(), holders.end()),
            (std::vector<std::int64_t>{12, 13}));
  EXPECT_FALSE(parse(dump_of(object(with(kFiber, "object", "null")))).dump.tasks[0].object);
  EXPECT_FALSE(parse(dump_of(object(without(kFiber, "object")))).dump.tasks[0].object);

  for (auto [text, reason] : {std::pair{"exit", Reason::kExit},
                              {"deadlock", Reason::kDeadlock},
                              {"panic", Reason::kPanic},
                              {"signal", Reason::kSignal}}) {
    const std::string d =
        R"({"version": 1, "reason": ")" + std::string(text) + R"(", "fibers": []})";
    EXPECT_EQ(parse(d).dump.reason, reason) << text;
  }
}

TEST(ReadDump, ReadsThreadsParentsSelectsAndAnalysis) {
  const auto deadlock = parse_file("deadlock.json");
  const Dump& d = deadlock.dump;
  ASSERT_EQ(d.tasks.size(), 3u);
  EXPECT_EQ(d.fibers(), 2u);
  EXPECT_EQ(d.threads, 1u);
  EXPECT_TRUE(d.unreachable_analysed);
  EXPECT_EQ(d.tasks[0].parent, (TaskRef{1, true}));
  const Task& main = d.tasks[2];
  EXPECT_TRUE(main.thread);
  EXPECT_EQ(main.id, 1);
  EXPECT_EQ(main.state, "waitgroup wait");
  EXPECT_FALSE(main.parent);
  EXPECT_EQ(d.loc(main.created_at), Location{}) << "a thread has no creation site";
  ASSERT_EQ(d.tasks[0].stack.size, 3u);
  EXPECT_EQ(d.loc(d.stack(d.tasks[0].stack)[1]),
            (Location{"", "transfer(Account&, Account&, int)", 0, "/tmp/bank", 4660}))
      << "a symbolized frame: its module and offset";

  const auto panic = parse_file("panic.json");
  const Task& select = panic.dump.tasks[0];
  ASSERT_EQ(select.objects.size, 2u);
  EXPECT_EQ(panic.dump.object_list(select.objects)[1].id, 4);
  EXPECT_EQ(select.object->id, 2) << "object is the select's first channel";

  const auto race = parse_file("race.json");
  EXPECT_EQ(race.dump.races[0].previous.task, (TaskRef{1, true}));
  EXPECT_EQ(race.dump.races[0].tasks[1].task, (TaskRef{1, true}));
  EXPECT_FALSE(race.dump.races[0].tasks[1].created_at);

  const std::string thread = R"({"id": 1, "state": "sleep", "wait_ns": 0, "unreachable": false,
      "blocked_at": {"file": "m.cc", "line": 3, "function": "main"}, "stack": []})";
  EXPECT_FALSE(
      parse(R"({"version": 1, "reason": "exit", "unreachable_analysed": false, "threads": [)" +
            thread + R"(], "fibers": []})")
          .dump.unreachable_analysed);
  EXPECT_NE(
      parse_error(dump_of(object(without(kFiber, "created_at")))).find("a fiber has no member"),
      std::string::npos);
  EXPECT_NE(parse_error(R"({"version": 1, "reason": "exit", "fibers": [], "threads": [{"id": 1}]})")
                .find("in threads[0]: a thread has no member \"state\""),
            std::string::npos);
  Members orphan = kFiber;
  orphan.emplace_back("parent_kind", R"("process")");
  EXPECT_NE(parse_error(dump_of(object(orphan)))
                .find("in fibers[0].parent_kind: expected \"fiber\" or \"thread\""),
            std::string::npos);
  EXPECT_NE(
      parse_error(
          dump_of(
              "",
              R"(, "races": [{"access": {"kind": "read", "size": 1, "addr": "0x1", "file": "a", "line": 1, "function": "f", "fiber": 1, "thread": 2}, "previous": {}, "fibers": []}])"))
          .find("in races[0].access.thread: both \"fiber\" and \"thread\" given"),
      std::string::npos);
}

TEST(ReadDump, ReadsTheHandWrittenDumps) {
  for (const char* name : {"clean.json", "leak.json", "deadlock.json", "race.json", "panic.json",
                           "escapes.json", "diff_before.json", "diff_after.json"}) {
    EXPECT_EQ(parse_error(testing::read_file(testing::data_path(name))), "") << name;
  }
  const auto leak = parse_file("leak.json");
  EXPECT_EQ(leak.dump.tasks.size(), 7u);
  const auto escapes = parse_file("escapes.json");
  EXPECT_EQ(escapes.dump.tasks[0].state, "chan <send> & \"quote\"");
  EXPECT_EQ(escapes.dump.loc(escapes.dump.tasks[0].created_at).file,
            "caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC.cc");
}

TEST(ReadDump, SkipsUnknownMembersEverywhere) {
  const std::string junk = R"("x-extra": {"deep": [1, {"n": null}, "s", -2.5e10, true]})";
  const std::string loc = R"({"file": "a.cc", )" + junk + R"(, "line": 1, "function": "f"})";
  const std::string fiber =
      object({{"id", "1"},
              {"x-first", "[]"},
              {"state", R"("sleep")"},
              {"wait_ns", "0"},
              {"unreachable", "false"},
              {"blocked_at", loc},
              {"created_at", loc},
              {"parent", "2"},
              {"stack", "[" + loc + "]"},
              {"object", R"({"kind": "timer", "addr": "0x1", "created_at": )" + loc + "}"},
              {"x-last", "{}"}});
  const std::string access =
      R"({"kind": "read", "size": 1, "addr": "0x2", "file": "a.cc", "line": 1, "function": "f", "fiber": 1, )" +
      junk + "}";
  const std::string text = R"({"x-top": 1, "version": 1, "reason": "exit", "fibers": [)" + fiber +
                           R"(], "races": [{"access": )" + access + R"(, "previous": )" + access +
                           R"(, "fibers": [{"id": 1, )" + junk + R"(, "created_at": )" + loc +
                           R"(}], )" + junk + R"(}], "locks": [{"kind": "double-lock", )" + junk +
                           R"(, "sites": [{"file": "a.cc", "line": 1, "function": "f", )" + junk +
                           R"(}]}], "x-after": [[[]]]})";
  const auto p = parse(text);
  EXPECT_EQ(p.dump.tasks[0].state, "sleep");
  EXPECT_EQ(p.dump.tasks[0].object->kind, "timer");
  EXPECT_EQ(p.dump.loc(p.dump.tasks[0].blocked_at), (Location{"a.cc", "f", 1}));
  EXPECT_EQ(p.dump.races.size(), 1u);
  EXPECT_EQ(p.dump.locks[0].sites.size(), 1u);
}

TEST(ReadDump, RacesAndLocksMayBeLeftOut) {
  const auto p = parse(R"({"fibers": [], "reason": "deadlock", "version": 1})");
  EXPECT_TRUE(p.dump.races.empty());
  EXPECT_TRUE(p.dump.locks.empty());
  EXPECT_EQ(p.dump.reason, Reason::kDeadlock);
}

TEST(ReadDump, MissingRequiredMembersAreNamedWithTheObjectsOffset) {
  const std::string prefix = R"({"version": 1, "reason": "exit", "fibers": [)";
  for (const char* name :
       {"id", "state", "wait_ns", "unreachable", "blocked_at", "created_at", "parent", "stack"}) {
    const std::string e = parse_error(dump_of(object(without(kFiber, name))));
    EXPECT_EQ(e, "byte offset " + std::to_string(prefix.size()) + " (line 1, column " +
                     std::to_string(prefix.size() + 1) +
                     "): in fibers[0]: a fiber has no member \"" + name + "\"");
  }
  for (const char* name : {"file", "line", "function"}) {
    Members loc = {{"file", R"("a.cc")"}, {"line", "1"}, {"function", R"("f")"}};
    const std::string e =
        parse_error(dump_of(object(with(kFiber, "created_at", object(without(loc, name))))));
    EXPECT_NE(
        e.find(std::string("in fibers[0].created_at: a location has no member \"") + name + "\""),
        std::string::npos)
        << e;
  }
  EXPECT_NE(parse_error(dump_of(object(with(kFiber, "object", R"({"id": 1})"))))
                .find("in fibers[0].object: an object has no member \"kind\""),
            std::string::npos);
  EXPECT_EQ(parse_error(R"({"version": 1, "reason": "exit"})"),
            "byte offset 0 (line 1, column 1): the dump has no member \"fibers\"");
  EXPECT_EQ(parse_error(R"({"races": []})"),
            "byte offset 0 (line 1, column 1): the dump has no member \"version\"");
  EXPECT_NE(parse_error(dump_of("", R"(, "races": [{"access": {}, "previous": {}, "fibers": []}])"))
                .find("in races[0].access: an access has no member \"file\""),
            std::string::npos);
  EXPECT_NE(parse_error(dump_of("", R"(, "locks": [{"sites": []}])"))
                .find("in locks[0]: a lock warning has no member \"kind\""),
            std::string::npos);
}

TEST(ReadDump, WrongTypesNameThePathAndPointAtTheValue) {
  struct Case {
    const char* member;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"id", R"("7")", "in fibers[0].id: expected an integer, found a string"},
      {"id", "7.5", "in fibers[0].id: expected an integer, found a number with a fraction"},
      {"id", "99999999999999999999", "in fibers[0].id: integer out of range"},
      {"state", "3", "in fibers[0].state: expected a string, found a number"},
      {"state", R"("")", "in fibers[0].state: expected a non-empty string"},
      {"wait_ns", "-1", "in fibers[0].wait_ns: expected a non-negative integer"},
      {"wait_ns", "1e30", "in fibers[0].wait_ns: expected an integer, found a number"},
      {"unreachable", "1", "in fibers[0].unreachable: expected true or false, found a number"},
      {"blocked_at", "[]", "in fibers[0].blocked_at: expected an object, found an array"},
      {"blocked_at", R"({"file": 1, "line": 1, "function": "f"})",
       "in fibers[0].blocked_at.file: expected a string, found a number"},
      {"parent", "false", "in fibers[0].parent: expected an integer, found a boolean"},
      {"stack", "{}", "in fibers[0].stack: expected an array, found an object"},
      {"stack", R"([{"file": "a", "line": 1, "function": "f"}, 3])",
       "in fibers[0].stack[1]: expected an object, found a number"},
      {"object", "[]", "in fibers[0].object: expected an object, found an array"},
      {"object", R"({"kind": "chan", "holders": [1, "2"]})",
       "in fibers[0].object.holders[1]: expected an integer, found a string"},
      {"object", R"({"kind": "chan", "closed": "no"})",
       "in fibers[0].object.closed: expected true or false, found a string"},
  };
  for (const Case& c : cases) {
    const std::string text = dump_of(object(with(kFiber, c.member, c.value)));
    const std::string e = parse_error(text);
    EXPECT_NE(e.find(c.message), std::string::npos) << c.member << " = " << c.value << ": " << e;
    // The offset is where the bad value starts (or, for a member of it, inside it).
    const std::size_t at =
        text.find(std::string("\"") + c.member + "\": ") + std::strlen(c.member) + 4;
    const std::size_t offset = std::stoul(e.substr(std::string("byte offset ").size()));
    EXPECT_GE(offset, at) << e;
    EXPECT_LT(offset, at + std::strlen(c.value)) << e;
  }
  EXPECT_NE(parse_error(R"({"version": 1, "reason": "exit", "fibers": {}})")
                .find("in fibers: expected an array, found an object"),
            std::string::npos);
}

TEST(ReadDump, VersionReasonAndDuplicates) {
  EXPECT_EQ(parse_error(R"({"version": 2, "reason": "exit", "fibers": []})"),
            "byte offset 12 (line 1, column 13): in version: unsupported dump version 2 (this "
            "weave-dump reads version 1)");
  EXPECT_EQ(parse_error(R"({"version": 1, "reason": "crash", "fibers": []})"),
            "byte offset 25 (line 1, column 26): in reason: expected \"exit\", \"deadlock\", "
            "\"panic\" or \"signal\"");
  EXPECT_EQ(parse_error(R"({"version": 1, "version": 1, "reason": "exit", "fibers": []})"),
            "byte offset 26 (line 1, column 27): in version: duplicate member \"version\"");
  EXPECT_NE(
      parse_error(dump_of(object(kFiber).substr(0, object(kFiber).size() - 1) + R"(, "id": 8})"))
          .find("in fibers[0].id: duplicate member \"id\""),
      std::string::npos);
}

TEST(ReadDump, NotADump) {
  EXPECT_EQ(parse_error(""),
            "byte offset 0 (line 1, column 1): the input is empty: expected a weave dump (a JSON "
            "object)");
  EXPECT_EQ(parse_error(" \n\t "),
            "byte offset 4 (line 2, column 3): the input is empty: expected a weave dump (a JSON "
            "object)");
  EXPECT_EQ(parse_error("[1, 2]"),
            "byte offset 0 (line 1, column 1): expected a weave dump (a JSON object), found an "
            "array");
  EXPECT_EQ(parse_error("PK\x03\x04"),
            "byte offset 0 (line 1, column 1): expected a value, found 'P'");
  EXPECT_EQ(parse_error("\x89PNG"),
            "byte offset 0 (line 1, column 1): expected a value, found byte 0x89");
  EXPECT_NE(parse_error(dump_of(object(with(kFiber, "state", "\"chan \xFF send\""))))
                .find("in fibers[0].state: invalid UTF-8 (byte 0xff) in a string"),
            std::string::npos);
  EXPECT_EQ(parse_error(R"({"version": 1, "reason": "exit", "fibers": []} trailing)"),
            "byte offset 47 (line 1, column 48): expected the end of the input after the dump, "
            "found 't'");
}

TEST(ReadDump, EveryTruncationIsAnErrorWithItsOffset) {
  const std::string text = testing::read_file(testing::data_path("leak.json"));
  for (std::size_t n = 0; n + 1 < text.size(); ++n) {
    const std::string e = parse_error(text.substr(0, n));
    // Only trailing white space may go.
    if (text.find_first_not_of(" \n", n) == std::string::npos) break;
    ASSERT_EQ(e.rfind("byte offset ", 0), 0u) << "cut at " << n << ": " << e;
  }
}

TEST(ReadDump, DeepNestingInUnknownMembers) {
  const std::size_t depth = 200000;
  const std::string deep = std::string(depth, '[') + std::string(depth, ']');
  Members fiber = kFiber;
  fiber.emplace_back("x-deep", deep);
  EXPECT_EQ(parse_error(dump_of(object(fiber), ", \"x-deep\": " + deep)), "");
  const std::string e = parse_error(dump_of("", ", \"x\": " + std::string(depth, '{')));
  EXPECT_NE(e.find("in x: expected a member name (a string), found '{'"), std::string::npos) << e;
  const std::string e2 = parse_error(dump_of("", ", \"x\": " + std::string(depth, '[')));
  EXPECT_NE(e2.find("in x: expected a value, found '}'"), std::string::npos) << e2;
  const std::string e3 = parse_error(R"({"version": 1, "x": )" + std::string(depth, '['));
  EXPECT_NE(e3.find("in x: expected a value or ']', found the end of the input"), std::string::npos)
      << e3;
}

TEST(ReadDump, RepeatedValuesAreReadOnceAndStillExactly) {
  // Two fibers with the same stack bytes share one span; a third whose stack starts with the same
  // bytes but goes on differently gets its own; white space makes no difference to the content.
  const std::string a = object(kFiber);
  const std::string longer = object(with(
      kFiber, "stack",
      R"([{"file": "chan.h", "line": 9, "function": "send"}, {"file": "srv.cc", "line": 45, "function": "handle"}, {"file": "m.cc", "line": 1, "function": "main"}])"));
  const std::string spaced = object(with(
      kFiber, "stack",
      R"([ {"line": 9, "file": "chan.h", "function": "send"},{"file":"srv.cc","line":45,"function":"hand\u006ce"}])"));
  const auto p = parse(dump_of(a + ", " + a + ", " + longer + ", " + spaced));
  const auto& f = p.dump.tasks;
  EXPECT_EQ(f[0].stack.begin, f[1].stack.begin);
  EXPECT_EQ(f[2].stack.size, 3u);
  EXPECT_EQ(p.dump.loc(p.dump.stack(f[2].stack)[2]), (Location{"m.cc", "main", 1}));
  ASSERT_EQ(f[3].stack.size, 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(p.dump.stack(f[3].stack)[i], p.dump.stack(f[0].stack)[i]) << "interned by content";
  }
  // A remembered object is not taken for a longer one that starts with its bytes.
  const std::string obj1 = object(with(kFiber, "object", R"({"kind": "chan", "id": 3})"));
  const std::string obj2 = object(with(kFiber, "object", R"({"kind": "chan", "id": 3, "cap": 9})"));
  const auto q = parse(dump_of(obj1 + ", " + obj2));
  EXPECT_FALSE(q.dump.tasks[0].object->cap);
  EXPECT_EQ(q.dump.tasks[1].object->cap, 9);
}

}  // namespace
}  // namespace weave::dump
