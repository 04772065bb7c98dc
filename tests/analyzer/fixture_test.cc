// The fixture test: every fixture (fixtures/lint/**/*.cc, fixtures/seeds/*.cc) is linted and its
// findings must be exactly its `// want:` lines, as go/analysis's analysistest compares: each
// expectation names a check that weave-lint registers (a name it does not know is a failure,
// never skipped), and when it gives a regular expression, the finding's message must match it.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <regex>
#include <set>

#include "llvm/Support/JSON.h"
#include "support.h"

namespace weave::lint::testing {
namespace {
namespace fs = std::filesystem;

struct Got {
  std::string check, message;
};

// Pairs the findings of one line with its expectations: those with a message pattern first (each
// takes a finding of its check whose message it matches), then those without (any finding of
// their check). What is left on either side is reported.
void compareLine(const std::string& where, std::vector<Got> got, const std::vector<Want>& want,
                 size_t& compared) {
  std::vector<const Want*> order;
  for (const Want& w : want)
    if (w.message) order.push_back(&w);
  for (const Want& w : want)
    if (!w.message) order.push_back(&w);
  for (const Want* w : order) {
    ++compared;
    auto it = std::find_if(got.begin(), got.end(), [&](const Got& g) {
      return g.check == w->check &&
             (!w->message || std::regex_search(g.message, std::regex(*w->message)));
    });
    if (it != got.end()) {
      got.erase(it);
      continue;
    }
    std::string also;
    for (const Got& g : got)
      if (g.check == w->check) also += "\n  its message is: " + g.message;
    ADD_FAILURE() << where << ": missing finding [" << w->check << "]"
                  << (w->message ? " matching /" + *w->message + "/" : "") << also;
  }
  for (const Got& g : got)
    ADD_FAILURE() << where << ": unexpected finding [" << g.check << "] " << g.message;
}

// One fixture: every expectation names a registered check, and each line's findings pair up with
// its expectations.
void compareFile(const std::string& rel, std::map<unsigned, std::vector<Got>> got,
                 const std::map<unsigned, std::vector<Want>>& want,
                 const std::set<std::string>& checks, size_t& compared) {
  std::map<unsigned, std::vector<Want>> known;
  for (auto& [l, _] : got) known[l];
  for (auto& [l, wants] : want)
    for (const Want& w : wants) {
      if (checks.count(w.check))
        known[l].push_back(w);
      else
        ADD_FAILURE() << rel << ":" << l << ": want names [" << w.check
                      << "], which is not a check weave-lint registers (--list-checks)";
    }
  for (auto& [l, wants] : known)
    compareLine(rel + ":" + std::to_string(l), got[l], wants, compared);
}

TEST(LintFixtures, EveryFixtureGetsExactlyItsWantLines) {
  std::vector<fs::path> files = fixtureFiles();
  ASSERT_FALSE(files.empty());
  std::set<std::string> checks = registeredChecks();
  ASSERT_TRUE(checks.count("weave-lost-cancel"));

  std::string args = fixtureArgsWithPch();
  std::string cmd = quote(lintExe()) + " --format=json -j 2";
  for (const fs::path& f : files) cmd += " " + quote(f.string());
  cmd += " -- " + args;
  RunResult r = run(cmd);
  ASSERT_EQ(r.status, 0) << "every fixture must compile and be analysed\n" << r.err;

  auto parsed = llvm::json::parse(r.out);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError()) << "\n" << r.out;
  const llvm::json::Array* findings = parsed->getAsArray();
  ASSERT_NE(findings, nullptr);

  std::map<std::string, std::map<unsigned, std::vector<Got>>> got;
  for (const llvm::json::Value& v : *findings) {
    const llvm::json::Object* o = v.getAsObject();
    ASSERT_NE(o, nullptr);
    std::string file = o->getString("file").value_or("").str();
    unsigned line = static_cast<unsigned>(o->getInteger("line").value_or(0));
    got[fs::weakly_canonical(file).string()][line].push_back(
        {o->getString("check").value_or("").str(), o->getString("message").value_or("").str()});
  }

  size_t wanted = 0;
  for (const fs::path& f : files) {
    std::vector<std::string> malformed;
    std::map<unsigned, std::vector<Want>> want = wantLines(f, malformed);
    for (const std::string& m : malformed) ADD_FAILURE() << m;
    compareFile(fs::relative(f, sourceDir()).string(), got[fs::weakly_canonical(f).string()], want,
                checks, wanted);
  }
  // The lost-cancel fixtures alone carry dozens of expectations; a test that compared nothing
  // would pass vacuously.
  EXPECT_GE(wanted, 20u);
}

// The comparison itself: the fixture test above is only as strict as these.
std::map<unsigned, std::vector<Want>> parseWantText(const std::string& text,
                                                    std::vector<std::string>& errors) {
  fs::path f = scratch("want-parse") / "w.cc";
  writeFile(f, text);
  return wantLines(f, errors);
}

TEST(LintFixtures, WantSyntax) {
  std::vector<std::string> errors;
  auto w = parseWantText(
      "int a;  // want: weave-close-misuse\n"
      "int b;  // want: weave-close-misuse \"send after (close|the close)\", weave-lost-cancel\n"
      "int c;  // want: weave-loop-capture `captures? \\bi\\b`\n"
      "int d;  // want: weave-close-misuse \"a \\\"quoted\\\" word\"\n",
      errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(w.size(), 4u);
  ASSERT_EQ(w[1].size(), 1u);
  EXPECT_EQ(w[1][0].check, "weave-close-misuse");
  EXPECT_FALSE(w[1][0].message.has_value());
  ASSERT_EQ(w[2].size(), 2u);
  EXPECT_EQ(w[2][0].message, "send after (close|the close)");
  EXPECT_EQ(w[2][1].check, "weave-lost-cancel");
  EXPECT_EQ(w[3][0].message, "captures? \\bi\\b");
  EXPECT_EQ(w[4][0].message, "a \"quoted\" word");

  for (const char* bad :
       {"int x;  // want:\n", "int x;  // want: weave-close-misuse \"open\n",
        "int x;  // want: weave-close-misuse \"(\"\n", "int x;  // want: weave-a weave-b\n"}) {
    errors.clear();
    parseWantText(bad, errors);
    EXPECT_EQ(errors.size(), 1u) << bad;
  }
}

// The failures `f` reports, one string each.
std::string failuresOf(const std::function<void()>& f) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    f();
  }
  std::string out;
  for (int i = 0; i < results.size(); ++i) {
    // ADD_FAILURE's message starts with its own "Failed" line.
    llvm::StringRef m = results.GetTestPartResult(i).message();
    m.consume_front("Failed\n");
    out += m.str() + "\n";
  }
  return out;
}

TEST(LintFixtures, ComparisonFailsOnWhatItMustNotAccept) {
  std::set<std::string> checks = {"weave-close-misuse", "weave-lost-cancel"};
  size_t n = 0;
  std::map<unsigned, std::vector<Got>> got = {
      {3, {{"weave-close-misuse", "send after close of channel ch"}}}};
  auto wants = [](std::vector<Want> w) { return std::map<unsigned, std::vector<Want>>{{3, w}}; };
  auto compare = [&](std::map<unsigned, std::vector<Got>> g,
                     std::map<unsigned, std::vector<Want>> w) {
    return failuresOf([&] { compareFile("f.cc", g, w, checks, n); });
  };

  // Accepted: the check alone, or with a pattern found in the message.
  EXPECT_EQ(compare(got, wants({{"weave-close-misuse", std::nullopt}})), "");
  EXPECT_EQ(compare(got, wants({{"weave-close-misuse", "send after close"}})), "");
  EXPECT_EQ(compare(got, wants({{"weave-close-misuse", "^send .* ch$"}})), "");
  EXPECT_EQ(n, 3u);

  EXPECT_EQ(compare(got, wants({{"weave-close-misuse", "close of a closed"}})),
            "f.cc:3: missing finding [weave-close-misuse] matching /close of a closed/\n"
            "  its message is: send after close of channel ch\n"
            "f.cc:3: unexpected finding [weave-close-misuse] send after close of channel ch\n");
  EXPECT_EQ(compare(got, wants({{"weave-close-misuse", std::nullopt},
                                {"weave-no-such-check", std::nullopt}})),
            "f.cc:3: want names [weave-no-such-check], which is not a check weave-lint registers "
            "(--list-checks)\n");
  EXPECT_EQ(compare(got, {}),
            "f.cc:3: unexpected finding [weave-close-misuse] send after close of channel ch\n");
  EXPECT_EQ(compare({}, wants({{"weave-lost-cancel", std::nullopt}})),
            "f.cc:3: missing finding [weave-lost-cancel]\n");
  // Two findings of one check on a line: a pattern takes the one it matches, whichever order.
  std::map<unsigned, std::vector<Got>> two = {{3,
                                               {{"weave-close-misuse", "close of a closed channel"},
                                                {"weave-close-misuse", "send after close"}}}};
  EXPECT_EQ(
      compare(two, wants({{"weave-close-misuse", std::nullopt}, {"weave-close-misuse", "^close"}})),
      "");
}

}  // namespace
}  // namespace weave::lint::testing
