// The fixture test: every fixture (fixtures/lint/**/*.cc, fixtures/seeds/*.cc) is linted and its
// findings must be exactly its `// want:` lines, for the checks weave-lint registers. Checks that
// are named in fixtures but not built yet are ignored, so fixtures can lead the checks.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "llvm/Support/JSON.h"
#include "support.h"

namespace weave::lint::testing {
namespace {
namespace fs = std::filesystem;

using Expectations = std::map<std::string, std::map<unsigned, std::multiset<std::string>>>;

TEST(LintFixtures, EveryFixtureGetsExactlyItsWantLines) {
  std::vector<fs::path> files = fixtureFiles();
  ASSERT_FALSE(files.empty());
  std::set<std::string> checks = registeredChecks();
  ASSERT_TRUE(checks.count("weave-lost-cancel"));

  // weave.h is most of every fixture's parse: precompiled once, here, so it is always as fresh
  // as the headers, it makes this test several times faster. Without clang++-19 the fixtures
  // are parsed in full.
  std::string args = fixtureArgs();
  fs::path pch = scratch("fixtures-pch") / "weave.h.pch";
  RunResult built =
      run(std::string(WEAVE_CLANGXX) + " -x c++-header " + args + " " +
          quote(sourceDir() + "/runtime/include/weave/weave.h") + " -o " + quote(pch.string()));
  if (built.status == 0) args += " -include-pch " + quote(pch.string());

  std::string cmd = quote(lintExe()) + " --format=json -j 2";
  for (const fs::path& f : files) cmd += " " + quote(f.string());
  cmd += " -- " + args;
  RunResult r = run(cmd);
  ASSERT_EQ(r.status, 0) << "every fixture must compile and be analysed\n" << r.err;

  auto parsed = llvm::json::parse(r.out);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError()) << "\n" << r.out;
  const llvm::json::Array* findings = parsed->getAsArray();
  ASSERT_NE(findings, nullptr);

  Expectations got, want;
  for (const llvm::json::Value& v : *findings) {
    const llvm::json::Object* o = v.getAsObject();
    ASSERT_NE(o, nullptr);
    std::string file = o->getString("file").value_or("").str();
    unsigned line = static_cast<unsigned>(o->getInteger("line").value_or(0));
    got[fs::weakly_canonical(file).string()][line].insert(o->getString("check").value_or("").str());
  }
  for (const fs::path& f : files) {
    for (auto& [line, names] : wantLines(f))
      for (const std::string& n : names)
        if (checks.count(n)) want[fs::weakly_canonical(f).string()][line].insert(n);
  }

  size_t wanted = 0;
  for (const fs::path& f : files) {
    std::string key = fs::weakly_canonical(f).string();
    std::string rel = fs::relative(f, sourceDir()).string();
    std::set<unsigned> lines;
    for (auto& [l, _] : got[key]) lines.insert(l);
    for (auto& [l, _] : want[key]) lines.insert(l);
    for (unsigned l : lines) {
      const auto& g = got[key][l];
      const auto& w = want[key][l];
      wanted += w.size();
      for (const std::string& c : w)
        if (g.count(c) < w.count(c))
          ADD_FAILURE() << rel << ":" << l << ": missing finding [" << c << "]";
      for (const std::string& c : g)
        if (w.count(c) < g.count(c))
          ADD_FAILURE() << rel << ":" << l << ": unexpected finding [" << c << "]";
    }
  }
  // The lost-cancel fixtures alone carry dozens of expectations; a test that compared nothing
  // would pass vacuously.
  EXPECT_GE(wanted, 20u);
}

}  // namespace
}  // namespace weave::lint::testing
