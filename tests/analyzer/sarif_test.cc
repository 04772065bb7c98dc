// weave-lint's SARIF as code scanning takes it: Microsoft's validator (@microsoft/sarif-multitool,
// from npm) must find nothing to report, neither errors nor warnings, on the fixtures and on
// files whose names need percent-encoding; and a file that could not be analysed is a tool
// execution notification of an unsuccessful invocation.
#include <gtest/gtest.h>

#include <regex>

#include "llvm/Support/JSON.h"
#include "support.h"

namespace weave::lint::testing {
namespace {
namespace fs = std::filesystem;

// The validator, installed from npm into the cache directory dev.sh uses (installed here if it
// is not there yet); empty, with the reason in `why`, when it cannot be had.
std::string validator(std::string& why) {
  fs::path dir = WEAVE_SARIF_MULTITOOL_DIR;
  fs::path exe = dir / "node_modules/.bin/sarif-multitool";
  if (fs::exists(exe)) return exe.string();
  if (run("command -v npm").status != 0) {
    why = "npm is not installed (./dev.sh installs Node.js and the validator)";
    return "";
  }
  fs::create_directories(dir);
  // Offline, npm would retry for minutes: one short try.
  RunResult r =
      run("timeout 300 npm install --no-audit --no-fund --fetch-retries=1 "
          "--fetch-timeout=30000 --prefix " +
          quote(dir.string()) + " @microsoft/sarif-multitool");
  if (r.status != 0 || !fs::exists(exe)) {
    why = "cannot install @microsoft/sarif-multitool from npm (offline?):\n" + r.err;
    return "";
  }
  return exe.string();
}

// The validator's findings ("file(line,col): error SARIF…" and warnings); empty when clean.
std::string validate(const std::string& exe, const std::vector<fs::path>& logs, int& status) {
  std::string cmd = quote(exe) + " validate";
  for (const fs::path& l : logs) cmd += " " + quote(l.string());
  RunResult r = run(cmd);
  status = r.status;
  std::string problems;
  static const std::regex finding(R"(: (error|warning) [A-Z]+[0-9]+:)");
  std::istringstream in(r.out + r.err);
  std::string line;
  while (std::getline(in, line))
    if (std::regex_search(line, finding)) problems += line + "\n";
  if (r.out.find("Analysis completed successfully") == std::string::npos)
    problems += "the validator did not complete:\n" + r.out + r.err;
  return problems;
}

fs::path sarifOf(const fs::path& dir, const std::string& name, const std::string& files) {
  fs::path log = dir / (name + ".sarif");
  RunResult r =
      run("cd " + quote(dir.string()) + " && " + quote(lintExe()) + " --format=sarif -j 2 " +
          files + " -- " + fixtureArgsWithPch() + " > " + quote(log.string()));
  EXPECT_LE(r.status, 2) << r.err;
  return log;
}

TEST(LintSarif, MicrosoftsValidatorFindsNothingToReport) {
  fs::path dir = scratch("sarif-validate");
  // The fixtures, from the repository's root, so their URIs are relative to %SRCROOT%.
  std::string fixtures;
  for (const fs::path& f : fixtureFiles())
    if (f.string().find("/fixtures/lint/") != std::string::npos)
      fixtures += " " + quote(fs::relative(f, sourceDir()).string());
  fs::path fixtureLog = dir / "fixtures.sarif";
  RunResult r =
      run("cd " + quote(sourceDir()) + " && " + quote(lintExe()) + " --format=sarif -j 2" +
          fixtures + " -- " + fixtureArgsWithPch() + " > " + quote(fixtureLog.string()));
  ASSERT_EQ(r.status, 0) << r.err;
  // Names that must be percent-encoded: a space, quotes, a byte that is not UTF-8, '%' itself.
  std::vector<std::string> odd = {"with space.cc", "quote\"d'.cc", "latin1-\xe9t\xe9.cc", "100%.cc",
                                  "caf\xc3\xa9.cc"};
  std::string names;
  for (const std::string& n : odd) {
    writeFile(dir / n, kLeaky);
    names += " " + quote(n);
  }
  writeFile(dir / "broken.cc", "int main() { return undeclared; }\n");
  fs::path oddLog = sarifOf(dir, "odd", names);
  fs::path failedLog = sarifOf(dir, "failed", names + " broken.cc missing.cc");
  // Outside the working directory: absolute file: URIs.
  fs::path elsewhere = scratch("sarif-elsewhere");
  fs::path absLog = sarifOf(elsewhere, "absolute", quote((dir / "with space.cc").string()));

  // What the validator would also see, checked here so the test says what is wrong.
  auto parsed = llvm::json::parse(readFile(oddLog));
  ASSERT_TRUE(bool(parsed));
  const llvm::json::Object* run0 = (*parsed->getAsObject()->getArray("runs"))[0].getAsObject();
  std::set<std::string> uris;
  for (const llvm::json::Value& res : *run0->getArray("results"))
    uris.insert(res.getAsObject()
                    ->getArray("locations")
                    ->front()
                    .getAsObject()
                    ->getObject("physicalLocation")
                    ->getObject("artifactLocation")
                    ->getString("uri")
                    ->str());
  EXPECT_EQ(uris, (std::set<std::string>{"with%20space.cc", "quote%22d%27.cc", "latin1-%E9t%E9.cc",
                                         "100%25.cc", "caf%C3%A9.cc"}));

  std::string why;
  std::string exe = validator(why);
  if (exe.empty()) GTEST_SKIP() << "SARIF validator unavailable: " << why;
  int status = 0;
  std::string problems = validate(exe, {fixtureLog, oddLog, failedLog, absLog}, status);
  EXPECT_EQ(problems, "");
  EXPECT_EQ(status, 0);
}

TEST(LintSarif, RulesNameTheirDocumentation) {
  fs::path dir = scratch("sarif-rules");
  writeFile(dir / "s.cc", kLeaky);
  fs::path log = sarifOf(dir, "rules", "s.cc");
  auto parsed = llvm::json::parse(readFile(log));
  ASSERT_TRUE(bool(parsed));
  const llvm::json::Object* driver =
      (*parsed->getAsObject()->getArray("runs"))[0].getAsObject()->getObject("tool")->getObject(
          "driver");
  EXPECT_EQ(driver->getString("version"), "0.1.0");
  EXPECT_TRUE(driver->getString("informationUri")->ends_with("/docs/lint.md"));
  bool found = false;
  for (const llvm::json::Value& rule : *driver->getArray("rules")) {
    const llvm::json::Object* o = rule.getAsObject();
    EXPECT_NE(o->getString("name"), o->getString("id"));
    std::string help = o->getString("helpUri")->str();
    EXPECT_NE(help.find("/docs/checks/"), std::string::npos) << help;
    if (help.rfind("file://", 0) == 0) {
      // The default: this source tree, where the page must exist.
      std::string path = help.substr(7);
      for (size_t p; (p = path.find("%")) != std::string::npos;)
        path.replace(
            p, 3, std::string(1, static_cast<char>(std::stoi(path.substr(p + 1, 2), nullptr, 16))));
      EXPECT_TRUE(fs::exists(path)) << help;
    }
    if (o->getString("id") == "weave-lost-cancel") {
      found = true;
      EXPECT_EQ(o->getString("name"), "LostCancel");
    }
  }
  EXPECT_TRUE(found);
}

TEST(LintSarif, FilesThatCouldNotBeAnalysedAreNotifications) {
  fs::path dir = scratch("sarif-failed");
  writeFile(dir / "s.cc", kLeaky);
  writeFile(dir / "broken.cc", "int main() { return undeclared; }\n");
  fs::path log = sarifOf(dir, "failed", "s.cc broken.cc missing.cc");
  auto parsed = llvm::json::parse(readFile(log));
  ASSERT_TRUE(bool(parsed)) << readFile(log);
  const llvm::json::Object* run0 = (*parsed->getAsObject()->getArray("runs"))[0].getAsObject();
  EXPECT_EQ(run0->getArray("results")->size(), 1u) << "the file that compiles is still analysed";
  const llvm::json::Object* inv = run0->getArray("invocations")->front().getAsObject();
  EXPECT_EQ(inv->getBoolean("executionSuccessful"), false);
  const llvm::json::Array* notes = inv->getArray("toolExecutionNotifications");
  ASSERT_NE(notes, nullptr);
  ASSERT_EQ(notes->size(), 2u);
  const llvm::json::Object* broken = (*notes)[0].getAsObject();
  EXPECT_EQ(broken->getString("level"), "error");
  std::string text = broken->getObject("message")->getString("text")->str();
  EXPECT_NE(text.find("broken.cc could not be analysed: it does not compile: "), std::string::npos)
      << text;
  EXPECT_NE(text.find("use of undeclared identifier 'undeclared'"), std::string::npos) << text;
  EXPECT_EQ(broken->getArray("locations")
                ->front()
                .getAsObject()
                ->getObject("physicalLocation")
                ->getObject("artifactLocation")
                ->getString("uri"),
            "broken.cc");
  std::string missing = (*notes)[1].getAsObject()->getObject("message")->getString("text")->str();
  EXPECT_NE(missing.find("missing.cc could not be analysed: no such file or directory"),
            std::string::npos)
      << missing;

  fs::path good = sarifOf(dir, "good", "s.cc");
  auto ok = llvm::json::parse(readFile(good));
  const llvm::json::Object* inv2 = (*ok->getAsObject()->getArray("runs"))[0]
                                       .getAsObject()
                                       ->getArray("invocations")
                                       ->front()
                                       .getAsObject();
  EXPECT_EQ(inv2->getBoolean("executionSuccessful"), true);
  EXPECT_EQ(inv2->getArray("toolExecutionNotifications"), nullptr);
}

}  // namespace
}  // namespace weave::lint::testing
