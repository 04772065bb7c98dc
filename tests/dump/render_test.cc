// Each subcommand's output on the hand-written dumps: the summary's layout and facts, the dot
// graph (valid for Graphviz; groups collapsed; stuck cycles marked; what the dump does not say
// said), the HTML page (self-contained, well nested, everything escaped) and the diff.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "dump_test_util.h"
#include "render.h"
#include "wait_graph.h"

namespace weave::dump {
namespace {

using testing::parse;
using testing::parse_file;

std::string summary_of(const Dump& d) {
  std::ostringstream out;
  render_summary(Report(d), out);
  return out.str();
}

std::string graph_of(const Dump& d) {
  std::ostringstream out;
  render_graph(Report(d), out);
  return out.str();
}

std::string html_of(const Dump& d, std::string_view title = "dump.json") {
  std::ostringstream out;
  render_html(Report(d), title, out);
  return out.str();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Summary, LeakDump) {
  EXPECT_EQ(summary_of(parse_file("leak.json").dump),
            R"(weave dump: exit (main returned or exit was called)
7 blocked fibers in 4 groups (3 unreachable), 0 data races, 0 lock warnings

3 fibers [chan send, 1s..2s, unreachable]:
  blocked at handler.cc:12 (fetch::{lambda()#1}::operator())
  waiting on 3 different chans, the first chan 105 (cap 0, len 0) made at handler.cc:9 (fetch)
  handles held by fiber 5 (itself)
  created at handler.cc:10 (fetch) by fibers 1, 3
  stack of one of them, fiber 5:
    chan.h:120 (weave::Chan<int>::send)
    handler.cc:12 (fetch::{lambda()#1}::operator())

2 fibers [waitgroup wait, 3ms]:
  blocked at main.cc:20 (main::{lambda()#2}::operator())
  waiting on waitgroup 12 made at main.cc:15 (main)
  handles held by fiber 9 (itself), task 40 (not blocked)
  created at main.cc:18 (main) by thread 1
  stack of one of them, fiber 9:
    (no frames recorded)

fiber 14 [chan receive, 1m1s]:
  blocked at worker.cc:30 (worker)
  waiting on chan 9 (cap 4, len 0) made at main.cc:7 (main)
  created at main.cc:8 (main) by thread 1
  stack:
    worker.cc:30 (worker)

fiber 15 [sleep, 0ns]:
  blocked at ticker.cc:3 (tick)
  created at main.cc:9 (main) by fiber 1
  stack:
    ticker.cc:3 (tick)
)");
}

TEST(Summary, DeadlockWithHoldersAndALockWarning) {
  const std::string s = summary_of(parse_file("deadlock.json").dump);
  EXPECT_EQ(s.substr(0, s.find('\n')), "weave dump: deadlock (all fibers are asleep)");
  EXPECT_NE(s.find("2 blocked fibers in 2 groups (2 unreachable), 1 blocked thread, 0 data races, "
                   "1 lock warning\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("fiber 2 [mutex lock, 2ms, unreachable]:\n"
                   "  blocked at bank.cc:21 (transfer)\n"
                   "  waiting on mutex 11\n"
                   "  held by fiber 3 (mutex lock at bank.cc:22 (transfer))\n"
                   "  created at bank.cc:40 (main) by thread 1\n"
                   "  stack:\n"
                   "    bank.cc:21 (transfer)\n"
                   "    transfer(Account&, Account&, int)\n"),
            std::string::npos)
      << s;
  // The main thread, blocked too: after the fibers, without a creation site.
  EXPECT_NE(s.find("thread 1 [waitgroup wait, 2.1ms]:\n"
                   "  blocked at bank.cc:44 (main)\n"
                   "  waiting on waitgroup 12\n"
                   "  stack:\n"),
            std::string::npos)
      << s;
  EXPECT_LT(s.find("fiber 3 [mutex lock"), s.find("thread 1 ["));
  EXPECT_NE(s.find("held by fiber 2 (mutex lock at bank.cc:21 (transfer))"), std::string::npos);
  EXPECT_NE(s.find("WARNING: lock-order-inversion (locks taken in opposite orders: a potential "
                   "deadlock)\n  site 1, fiber 2: bank.cc:21 (transfer)\n"),
            std::string::npos)
      << s;
}

TEST(Summary, RaceWithBothAccessesAndWhereTheFibersWereMade) {
  const std::string s = summary_of(parse_file("race.json").dump);
  EXPECT_NE(s.find("no blocked fiber, 1 data race, 0 lock warnings\n"), std::string::npos) << s;
  // The access site opens its stack and is printed once.
  EXPECT_NE(s.find("WARNING: DATA RACE (1 of 1)\n"
                   "  write of 8 bytes at 0x7ffd1000 by fiber 4:\n"
                   "    counter.cc:14 (bump)\n"
                   "    counter.cc:22 (main::{lambda()#1}::operator())\n"
                   "  previous read of 8 bytes at 0x7ffd1000 by thread 1:\n"
                   "    counter.cc:30 (report)\n"
                   "  fiber 4 created at counter.cc:21 (main)\n"
                   "  thread 1\n"),
            std::string::npos)
      << s;
}

TEST(Summary, PanicAndClosedChannel) {
  const std::string s = summary_of(parse_file("panic.json").dump);
  EXPECT_EQ(s.substr(0, s.find('\n')), "weave dump: panic (an exception escaped)");
  EXPECT_NE(s.find("fiber 3 [select, 42ns]:\n"
                   "  blocked at pipeline.cc:51 (stage)\n"
                   "  waiting on chan 2 (cap 1, len 1, closed) made at pipeline.cc:65 (run), and 1 "
                   "more in its select\n"
                   "  handles held by task 1 (not blocked), fiber 3 (itself)\n"),
            std::string::npos)
      << s;
}

TEST(Summary, ControlCharactersNeverReachTheTerminal) {
  const std::string s = summary_of(parse_file("escapes.json").dump);
  EXPECT_EQ(s.find('\x1b'), std::string::npos);
  EXPECT_EQ(s.find('\0'), std::string::npos);
  EXPECT_NE(s.find("\\x1b[31mred\\x1b[0m"), std::string::npos) << s;
  EXPECT_NE(s.find("a & b \\x00 \xF0\x9F\x98\x80"), std::string::npos) << s;
  EXPECT_NE(s.find("caf\xC3\xA9/"), std::string::npos) << "UTF-8 passes through";
}

// Dumps the debug runtime wrote (fixtures/debug/mixed_lock_and_send.cc and global_deadlock.cc run
// with WEAVE_DUMP): what it writes is what weave-dump reads.
TEST(Summary, DumpsTheRuntimeWrote) {
  const std::string mixed = summary_of(parse_file("runtime_mixed_lock_and_send.json").dump);
  EXPECT_NE(mixed.find("fiber 5 [mutex lock, 48.08ms]:\n"), std::string::npos) << mixed;
  EXPECT_NE(mixed.find("  held by fiber 4 (chan send at fixtures/debug/mixed_lock_and_send.cc:13 "
                       "(main()::<lambda()>))\n"),
            std::string::npos)
      << mixed;
  EXPECT_NE(mixed.find("    weave::Mutex::lock_slow()\n"), std::string::npos) << mixed;
  const std::string deadlock = summary_of(parse_file("runtime_global_deadlock.json").dump);
  EXPECT_EQ(deadlock.substr(0, deadlock.find('\n')),
            "weave dump: deadlock (all fibers are asleep)");
  EXPECT_NE(deadlock.find("2 blocked fibers in 1 group, 1 blocked thread"), std::string::npos)
      << deadlock;
  EXPECT_NE(deadlock.find("thread 2 [waitgroup wait"), std::string::npos) << deadlock;
}

TEST(Graph, IsValidDotForEveryDump) {
  if (std::string(WEAVE_DOT).empty()) GTEST_SKIP() << "graphviz's dot is not installed";
  for (const char* name :
       {"clean.json", "leak.json", "deadlock.json", "race.json", "panic.json", "escapes.json",
        "diff_after.json", "runtime_mixed_lock_and_send.json", "runtime_global_deadlock.json"}) {
    const std::string path = testing::tmp_path(std::string(name) + ".dot");
    testing::write_file(path, graph_of(parse_file(name).dump));
    EXPECT_EQ(testing::shell(std::string(WEAVE_DOT) + " -Tsvg -o /dev/null " + path + " 2>&1"), 0)
        << name;
  }
}

TEST(Graph, DeadlockIsAStuckCycleThroughTheHolders) {
  const auto p = parse_file("deadlock.json");
  const WaitGraph g = build_wait_graph(Report(p.dump));
  // Two fibers and two mutexes in the cycle; the main thread, its waitgroup and the note that the
  // dump does not say who could release a waitgroup, outside it.
  ASSERT_EQ(g.nodes.size(), 7u);
  std::size_t in_cycle = 0;
  for (const GraphNode& n : g.nodes) {
    in_cycle += n.in_cycle;
    EXPECT_EQ(n.in_cycle, n.lines[0].find("mutex") != std::string::npos) << n.lines[0];
  }
  EXPECT_EQ(in_cycle, 4u);
  std::size_t held = 0;
  for (const GraphEdge& e : g.edges) {
    if (e.kind != GraphEdge::Kind::kHeldBy) continue;
    ++held;
    EXPECT_TRUE(e.in_cycle);
    EXPECT_EQ(g.nodes[e.from].kind, GraphNode::Kind::kObject);
    EXPECT_EQ(g.nodes[e.to].kind, GraphNode::Kind::kGroup);
  }
  EXPECT_EQ(held, 2u);
  const std::string dot = graph_of(p.dump);
  EXPECT_EQ(occurrences(dot, "label=\"held by\", color=\"#c0392b\""), 2u) << dot;
  EXPECT_NE(dot.find("label=\"thread 1 [waitgroup wait]\\nblocked at bank.cc:44 (main)\"]"),
            std::string::npos)
      << dot;
}

TEST(Graph, SaysWhatTheDumpDoesNotKnowAndKeepsCyclesWithAWayOutUnmarked) {
  const auto p = parse_file("leak.json");
  const WaitGraph g = build_wait_graph(Report(p.dump));
  std::size_t unknown = 0, outside = 0;
  for (const GraphNode& n : g.nodes) {
    if (n.kind == GraphNode::Kind::kUnknown) ++unknown;
    if (n.kind == GraphNode::Kind::kFibers) {
      ++outside;
      EXPECT_EQ(n.lines[0], "task 40") << "the dump does not say whether 40 is a fiber";
      EXPECT_FALSE(n.in_cycle);
    }
    // The senders hold the only handles to their channels: stuck. The waitgroup's waiters could
    // be released by fiber 40, which is not blocked: not stuck.
    if (n.kind == GraphNode::Kind::kGroup) {
      EXPECT_EQ(n.in_cycle, n.lines[0] == "3 fibers [chan send]") << n.lines[0];
    }
  }
  EXPECT_EQ(unknown, 1u) << "chan 9 names no handle holders";
  EXPECT_EQ(outside, 1u);
}

TEST(Graph, ManyFibersAreOneNodePerGroup) {
  std::string text = R"({"version": 1, "reason": "exit", "fibers": [)";
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    // Every other fiber waits on a mutex held by fiber 1; the rest each on its own channel.
    const bool mutex = i % 2 == 0;
    text +=
        (i ? ",\n" : "") + std::string(R"({"id": )") + std::to_string(i + 1) + R"(, "state": ")" +
        (mutex ? "mutex lock" : "chan send") +
        R"(", "wait_ns": 1, "unreachable": false, "blocked_at": {"file": "a.cc", "line": )" +
        (mutex ? "1" : "2") +
        R"(, "function": "f"}, "created_at": {"file": "a.cc", "line": 9, "function": "g"}, "parent": 1, "stack": [], "object": )" +
        (mutex ? std::string(R"({"kind": "mutex", "id": 77, "holders": [1]})")
               : R"({"kind": "chan", "id": )" + std::to_string(1000 + i) + R"(, "holders": [)" +
                     std::to_string(i + 1) + "]}") +
        "}";
  }
  text += "]}";
  const auto p = parse(text);
  const Report r(p.dump);
  const WaitGraph g = build_wait_graph(r);
  // Two groups, the mutex, one node for the 50,000 channels.
  ASSERT_EQ(g.nodes.size(), 4u);
  EXPECT_EQ(g.nodes[0].lines[0], "50000 fibers [chan send]");
  EXPECT_EQ(g.nodes[1].lines[0], "50000 fibers [mutex lock]");
  bool channels = false;
  for (const GraphNode& node : g.nodes) channels |= node.lines[0] == "50000 chans";
  EXPECT_TRUE(channels);
  const std::string dot = graph_of(p.dump);
  EXPECT_LT(dot.size(), 4000u);
  EXPECT_NE(dot.find("\"50000 chans"), std::string::npos);
}

TEST(Graph, LeavesOutSmallGroupsPastTheLimit) {
  std::string text = R"({"version": 1, "reason": "exit", "fibers": [)";
  for (std::size_t i = 0; i < kMaxGraphGroups + 5; ++i) {
    text +=
        (i ? "," : "") + std::string(R"({"id": )") + std::to_string(i) +
        R"(, "state": "sleep", "wait_ns": 1, "unreachable": false, "blocked_at": {"file": "a.cc", "line": )" +
        std::to_string(i + 1) +
        R"(, "function": "f"}, "created_at": {"file": "a.cc", "line": 1, "function": "g"}, "parent": 1, "stack": []})";
  }
  text += "]}";
  const auto p = parse(text);
  const WaitGraph g = build_wait_graph(Report(p.dump));
  EXPECT_EQ(g.nodes.size(), kMaxGraphGroups);
  EXPECT_EQ(g.groups_left_out, 5u);
  EXPECT_NE(graph_of(p.dump).find("5 smaller groups (5 fibers) not drawn"), std::string::npos);
}

TEST(Graph, EscapesLabels) {
  const std::string dot = graph_of(parse_file("escapes.json").dump);
  EXPECT_NE(dot.find(R"(chan <send> & \"quote\")"), std::string::npos) << dot;
  EXPECT_NE(dot.find(R"(dir\\with \"quotes\"/<b>.cc)"), std::string::npos) << dot;
  EXPECT_NE(dot.find(R"((\\N\\l))"), std::string::npos) << "dot's own escapes stay literal";
  EXPECT_EQ(dot.find('\x1b'), std::string::npos);
}

// Whether every tag of `html` is closed in order (void and self-closing tags aside).
std::string nesting_error(const std::string& html) {
  static const std::regex tag(R"(<(/?)([a-zA-Z][a-zA-Z0-9]*)([^<>]*?)(/?)>)");
  std::vector<std::string> open;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    const std::string between = html.substr(last, static_cast<std::size_t>(m.position()) - last);
    if (between.find('<') != std::string::npos && between.find("<!DOCTYPE") == std::string::npos) {
      return "a stray '<' before " + m.str();
    }
    last = static_cast<std::size_t>(m.position() + m.length());
    const std::string name = m[2];
    if (m[4] == "/" || name == "meta") continue;
    if (m[1] == "/") {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? "nothing" : open.back());
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

TEST(Html, IsOneSelfContainedWellNestedPage) {
  for (const char* name :
       {"clean.json", "leak.json", "deadlock.json", "race.json", "panic.json", "escapes.json"}) {
    const std::string html = html_of(parse_file(name).dump, name);
    EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u) << name;
    EXPECT_EQ(nesting_error(html), "") << name;
    EXPECT_EQ(html.find("<script"), std::string::npos) << name;
    EXPECT_EQ(html.find("<link"), std::string::npos) << name;
    EXPECT_EQ(html.find("src="), std::string::npos) << name;
    EXPECT_EQ(html.find("http"), std::string::npos) << name << ": nothing is fetched";
    EXPECT_EQ(html.find("url(http"), std::string::npos) << name;
    for (const char* id : {"id=\"reason\"", "id=\"totals\"", "id=\"graph\"", "id=\"groups\"",
                           "id=\"races\"", "id=\"locks\""}) {
      EXPECT_NE(html.find(id), std::string::npos) << name << " " << id;
    }
  }
}

TEST(Html, GroupsStacksRacesLocksAndTheGraph) {
  const auto p = parse_file("leak.json");
  const std::string html = html_of(p.dump);
  EXPECT_EQ(occurrences(html, "<article class=\"group"), 4u);
  EXPECT_EQ(occurrences(html, "<article class=\"group unreachable\""), 1u);
  EXPECT_EQ(occurrences(html, "<details><summary>"), 4u) << "one folded stack per group";
  EXPECT_NE(html.find("<summary>stack of one of them, fiber 5 (2 frames)</summary>"),
            std::string::npos);
  EXPECT_NE(html.find("<li>chan.h:120 (weave::Chan&lt;int&gt;::send)</li>"), std::string::npos);
  EXPECT_NE(html.find("<dt>handles held by</dt><dd>fiber 9 (itself), task 40 (not blocked)</dd>"),
            std::string::npos);
  // The graph: one SVG box per node, group boxes linking to their paragraph.
  const WaitGraph g = build_wait_graph(Report(p.dump));
  EXPECT_EQ(occurrences(html, "<rect "), g.nodes.size());
  EXPECT_EQ(occurrences(html, "marker-end="), g.edges.size());
  EXPECT_NE(html.find("<a href=\"#group-1\"><g class=\"node node-group unreachable cycle\">"),
            std::string::npos);
  EXPECT_NE(html.find("id=\"group-4\""), std::string::npos);

  const std::string race = html_of(parse_file("race.json").dump);
  EXPECT_EQ(occurrences(race, "<article class=\"race\""), 1u);
  EXPECT_NE(race.find("<dd>write of 8 bytes at 0x7ffd1000 by fiber 4 at counter.cc:14 (bump)</dd>"),
            std::string::npos);
  EXPECT_NE(race.find("No fiber or thread was blocked"), std::string::npos);
  const std::string lock = html_of(parse_file("deadlock.json").dump);
  EXPECT_EQ(occurrences(lock, "<article class=\"lock\""), 1u);
  EXPECT_NE(lock.find("class=\"reason reason-deadlock\""), std::string::npos);
  EXPECT_NE(lock.find("<h3>thread 1 <code class=\"state\">waitgroup wait</code>"),
            std::string::npos)
      << "the main thread, blocked too, is a group of its own";
  EXPECT_NE(lock.find("<h2>Blocked: 2 blocked fibers in 2 groups (2 unreachable), 1 blocked "
                      "thread</h2>"),
            std::string::npos);
  const std::string clean = html_of(parse_file("clean.json").dump);
  EXPECT_NE(clean.find("class=\"reason reason-exit clean\""), std::string::npos);
}

TEST(Html, EscapesEverythingFromTheDump) {
  const std::string html = html_of(parse_file("escapes.json").dump, "<evil>&\"name'.json");
  EXPECT_EQ(html.find("<evil>"), std::string::npos);
  EXPECT_NE(html.find("<title>weave dump: &lt;evil&gt;&amp;&quot;name&#39;.json</title>"),
            std::string::npos);
  EXPECT_EQ(html.find("</script><script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("onclick='"), std::string::npos);
  EXPECT_NE(html.find("onclick=&#39;alert(1)"), std::string::npos);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_EQ(html.find('\0'), std::string::npos);
  EXPECT_EQ(nesting_error(html), "");
}

std::string diff_of(const std::string& before, const std::string& after, bool* grew = nullptr) {
  const auto b = parse_file(before);
  const auto a = parse_file(after);
  std::ostringstream out;
  const bool g = render_diff(Report(b.dump), Report(a.dump), out);
  if (grew) *grew = g;
  return out.str();
}

TEST(Diff, ShowsWhatGrewByHowMuchIgnoringIdsAndWaits) {
  bool grew = false;
  EXPECT_EQ(
      diff_of("diff_before.json", "diff_after.json", &grew),
      R"(weave dump diff: 7 blocked fibers in 3 groups (5 unreachable), was 5 blocked fibers in 3 groups (2 unreachable)
2 groups grew, by 4 fibers in all:

+3 (2 -> 5): 5 fibers [chan send, 5ns..9ns, unreachable]:
  blocked at handler.cc:12 (fetch)
  created at handler.cc:10 (fetch) by fiber 2
  stack of one of them, fiber 30:
    (no frames recorded)

+1 (new): fiber 35 [select, 9ns]:
  blocked at handler.cc:40 (poll)
  created at handler.cc:38 (serve) by fiber 2
  stack:
    (no frames recorded)

shrank or gone:
  -1 (2 -> 1) [sleep] blocked at tick.cc:5 (tick)
  -1 (gone) [mutex lock] blocked at cache.cc:5 (get)

WARNING: DATA RACE (new)
  write of 1 byte at 0x30 by fiber 32:
    c.cc:9 (h)
  previous write of 1 byte at 0x30 by fiber 33:
    c.cc:9 (h)
)");
  EXPECT_TRUE(grew);
}

TEST(Diff, NothingGrowsAgainstItselfOrWhenShrinking) {
  bool grew = true;
  EXPECT_EQ(
      diff_of("leak.json", "leak.json", &grew),
      "weave dump diff: 7 blocked fibers in 4 groups (3 unreachable), was 7 blocked fibers in "
      "4 groups (3 unreachable)\nno group grew\n");
  EXPECT_FALSE(grew);
  const std::string s = diff_of("diff_after.json", "diff_before.json", &grew);
  EXPECT_TRUE(grew) << "this way round, the mutex group is new and the sleep group grew";
  EXPECT_NE(s.find("-3 (5 -> 2) [chan send]"), std::string::npos) << s;
  diff_of("leak.json", "clean.json", &grew);
  EXPECT_FALSE(grew);
}

}  // namespace
}  // namespace weave::dump
