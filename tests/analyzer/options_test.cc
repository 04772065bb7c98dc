// clang-tidy's options as weave-lint takes them: .clang-tidy files found upward and inherited,
// --config, --config-file, --dump-config, --header-filter (findings in headers, once per run),
// --exclude-header-filter, --system-headers, --line-filter, --warnings-as-errors, --quiet,
// check lists that enable nothing or name no check, --version. Where clang-tidy-19 is installed,
// the same command lines are also given to it (with libweave_tidy.so, the same checks) and both
// must agree on the findings shown, their levels and the exit status.
#include <gtest/gtest.h>

#include <regex>

#include "llvm/Support/JSON.h"
#include "support.h"

namespace weave::lint::testing {
namespace {
namespace fs = std::filesystem;

// A lost cancel (line 4, column 24) and a loop variable captured by reference (line 10).
const char* kTwoChecks = R"(#include <weave/weave.h>

void leak(bool c) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  if (c) cancel();
}

void capture() {
  for (int i = 0; i < 3; ++i) {
    weave::go([&i] { (void)i; });
  }
}
)";

// A header whose inline function leaks its cancel (line 5), and two files that include it.
const char* kHeader = R"(#pragma once
#include <weave/weave.h>

inline void header_leak(bool c) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  if (c) cancel();
}
)";
const char* kUsesHeader = R"(#include "leak.h"

void user() { header_leak(true); }
)";

std::string lintCmd(const std::string& flags, const std::vector<fs::path>& files,
                    const std::string& args = fixtureArgsWithPch()) {
  std::string cmd = quote(lintExe()) + " " + flags;
  for (const fs::path& f : files) cmd += " " + quote(f.string());
  return cmd + " -- " + args;
}

RunResult lint(const std::string& flags, const std::vector<fs::path>& files,
               const std::string& args = fixtureArgsWithPch()) {
  return run(lintCmd(flags, files, args));
}

// "file:line: level [check]" for every finding of a text output, Clang's or clang-tidy's.
std::multiset<std::string> shown(const std::string& out) {
  std::multiset<std::string> s;
  static const std::regex finding(R"(^(\S+):(\d+):\d+: (warning|error): .* \[([^\]]+)\]$)");
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, finding))
      s.insert(fs::path(m[1].str()).filename().string() + ":" + m[2].str() + ": " + m[3].str() +
               " [" + m[4].str() + "]");
  }
  return s;
}

std::string dumpedValue(const std::string& dump, const std::string& key) {
  std::smatch m;
  std::regex re("(^|\\n)" + key + ":\\s*(.*)");
  if (!std::regex_search(dump, m, re)) return "<missing>";
  std::string v = m[2];
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
  return v;
}

bool haveClangTidy() {
  return !std::string(WEAVE_TIDY_PLUGIN).empty() && !std::string(WEAVE_CLANG_TIDY).empty();
}

// The same command line given to clang-tidy-19 with weave's module loaded.
RunResult tidy(const std::string& flags, const std::vector<fs::path>& files,
               const std::string& args = fixtureArgsWithPch()) {
  std::string cmd =
      std::string(WEAVE_CLANG_TIDY) + " -load=" + quote(WEAVE_TIDY_PLUGIN) + " " + flags;
  for (const fs::path& f : files) cmd += " " + quote(f.string());
  return run(cmd + " -- " + args);
}

// Runs a command line through both tools and expects the same findings and exit status.
void expectSameAsClangTidy(const std::string& flags, const std::vector<fs::path>& files,
                           const std::string& args = fixtureArgsWithPch()) {
  RunResult ours = lint(flags, files, args);
  EXPECT_LE(ours.status, 1) << flags << "\n" << ours.err;
  if (!haveClangTidy()) return;
  RunResult theirs = tidy(flags, files, args);
  EXPECT_EQ(shown(ours.out), shown(theirs.out)) << "flags: " << flags << "\nweave-lint:\n"
                                                << ours.out << "\nclang-tidy:\n"
                                                << theirs.out << theirs.err;
  EXPECT_EQ(ours.status, theirs.status) << flags << "\n" << ours.err << "\n" << theirs.err;
}

TEST(LintOptions, ClangTidyFilesAreFoundUpwardAndInherited) {
  fs::path root = scratch("config-tree");
  writeFile(root / ".clang-tidy",
            "Checks: '-*,weave-loop-capture'\nWarningsAsErrors: 'weave-loop-capture'\n"
            "CheckOptions:\n  some-check.SomeOption: 'ignored by weave-lint'\n");
  writeFile(root / "sub/.clang-tidy",
            "InheritParentConfig: true\nChecks:\n  - weave-lost-cancel\n");
  writeFile(root / "other/.clang-tidy", "Checks: '-*,weave-lost-cancel'\n");
  fs::path top = root / "top.cc", deep = root / "sub/deeper/deep.cc", other = root / "other/o.cc";
  for (const fs::path& f : {top, deep, other}) writeFile(f, kTwoChecks);

  RunResult r = lint("", {top});
  EXPECT_EQ(r.status, 1) << "WarningsAsErrors makes the loop capture an error";
  EXPECT_EQ(shown(r.out), std::multiset<std::string>{
                              "top.cc:10: error [weave-loop-capture,-warnings-as-errors]"});
  r = lint("", {deep});
  EXPECT_EQ(shown(r.out), (std::multiset<std::string>{
                              "deep.cc:4: warning [weave-lost-cancel]",
                              "deep.cc:10: error [weave-loop-capture,-warnings-as-errors]"}));
  r = lint("", {other});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(shown(r.out), std::multiset<std::string>{"o.cc:4: warning [weave-lost-cancel]"});
  // The command line's --checks comes after the files' lists.
  r = lint("--checks=-weave-loop-capture", {deep});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(shown(r.out), std::multiset<std::string>{"deep.cc:4: warning [weave-lost-cancel]"});

  // --dump-config says what each file gets; clang-tidy-19 reads the same files to the same
  // lists (after its own default checks where weave-lint has weave-*).
  for (const fs::path& f : {top, deep, other}) {
    RunResult dump =
        run(quote(lintExe()) + " --dump-config --checks=weave-x-y " + quote(f.string()) + " --");
    ASSERT_EQ(dump.status, 0) << dump.err;
    std::string checks = dumpedValue(dump.out, "Checks");
    ASSERT_EQ(checks.rfind("weave-*,", 0), 0u) << dump.out;
    if (!haveClangTidy()) continue;
    RunResult theirs = run(std::string(WEAVE_CLANG_TIDY) + " --dump-config --checks=weave-x-y " +
                           quote(f.string()) + " --");
    std::string theirChecks = dumpedValue(theirs.out, "Checks");
    std::string defaults = "clang-diagnostic-*,clang-analyzer-*,";
    ASSERT_EQ(theirChecks.rfind(defaults, 0), 0u) << theirs.out;
    EXPECT_EQ(checks.substr(8), theirChecks.substr(defaults.size())) << f;
    EXPECT_EQ(dumpedValue(dump.out, "WarningsAsErrors"),
              dumpedValue(theirs.out, "WarningsAsErrors"));
  }
  // One file at a time: clang-tidy-19 judges a multi-file run's findings by the last file's
  // checks (deep.cc's loop capture is "suppressed with check filters" after o.cc).
  for (const fs::path& f : {top, deep, other}) expectSameAsClangTidy("", {f});
}

TEST(LintOptions, ConfigAndConfigFileReplaceTheFiles) {
  fs::path root = scratch("config-explicit");
  writeFile(root / ".clang-tidy", "Checks: '-*,weave-lost-cancel'\n");
  fs::path f = root / "s.cc";
  writeFile(f, kTwoChecks);
  writeFile(root / "elsewhere/conf.yaml", "Checks: '-*,weave-loop-capture'\n");

  RunResult r = lint("--config=\"{Checks: '-*,weave-loop-capture'}\"", {f});
  EXPECT_EQ(shown(r.out), std::multiset<std::string>{"s.cc:10: warning [weave-loop-capture]"});
  r = lint("--config-file=" + quote((root / "elsewhere/conf.yaml").string()), {f});
  EXPECT_EQ(shown(r.out), std::multiset<std::string>{"s.cc:10: warning [weave-loop-capture]"});
  // A configuration that inherits reads the files too.
  r = lint("--config=\"{InheritParentConfig: true, Checks: 'weave-loop-capture'}\"", {f});
  EXPECT_EQ(shown(r.out), (std::multiset<std::string>{"s.cc:4: warning [weave-lost-cancel]",
                                                      "s.cc:10: warning [weave-loop-capture]"}));
  expectSameAsClangTidy("--config=\"{Checks: '-*,weave-loop-capture'}\"", {f});

  r = lint(
      "--config=\"{Checks: x}\" --config-file=" + quote((root / "elsewhere/conf.yaml").string()),
      {f});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--config and --config-file are mutually exclusive"), std::string::npos);
  r = lint("--config=\"{Checks: [unclosed\"", {f});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("invalid configuration"), std::string::npos) << r.err;
  r = lint("--config-file=" + quote((root / "missing.yaml").string()), {f});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos) << r.err;
  // A .clang-tidy on the way that does not parse is an error naming it, not silently skipped.
  writeFile(root / "bad/.clang-tidy", "Checks: [1, {a: b}]\n");
  writeFile(root / "bad/b.cc", kTwoChecks);
  r = lint("", {root / "bad/b.cc"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find((root / "bad/.clang-tidy").string()), std::string::npos) << r.err;
}

TEST(LintOptions, DumpConfigPrintsTheEffectiveOptions) {
  fs::path dir = scratch("dump-config");
  RunResult r = run("cd " + quote(dir.string()) + " && " + quote(lintExe()) + " --dump-config");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "---\n"
            "Checks:          'weave-*'\n"
            "WarningsAsErrors: ''\n"
            "HeaderFilterRegex: ''\n"
            "ExcludeHeaderFilterRegex: ''\n"
            "SystemHeaders:   false\n"
            "...\n\n");
  r = run("cd " + quote(dir.string()) + " && " + quote(lintExe()) +
          " --dump-config --checks=-weave-loop-capture --warnings-as-errors='weave-*' "
          "--header-filter='src/.*' --system-headers --use-color");
  EXPECT_EQ(dumpedValue(r.out, "Checks"), "weave-*,-weave-loop-capture");
  EXPECT_EQ(dumpedValue(r.out, "WarningsAsErrors"), "weave-*");
  EXPECT_EQ(dumpedValue(r.out, "HeaderFilterRegex"), "src/.*");
  EXPECT_EQ(dumpedValue(r.out, "SystemHeaders"), "true");
}

TEST(LintOptions, WarningsAsErrorsAndQuiet) {
  fs::path f = scratch("werror") / "s.cc";
  writeFile(f, kTwoChecks);
  RunResult r = lint("--warnings-as-errors=weave-lost-cancel", {f});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(shown(r.out),
            (std::multiset<std::string>{"s.cc:4: error [weave-lost-cancel,-warnings-as-errors]",
                                        "s.cc:10: warning [weave-loop-capture]"}));
  EXPECT_NE(r.err.find("1 warning treated as error\n"), std::string::npos) << r.err;
  RunResult quiet = lint("--quiet --warnings-as-errors=weave-lost-cancel", {f});
  EXPECT_EQ(quiet.status, 1);
  EXPECT_EQ(quiet.err.find("treated as error"), std::string::npos) << quiet.err;
  RunResult all = lint("--werror --format=json", {f});
  EXPECT_EQ(all.status, 1);
  EXPECT_NE(all.err.find("2 warnings treated as errors\n"), std::string::npos) << all.err;
  auto json = llvm::json::parse(all.out);
  ASSERT_TRUE(bool(json)) << all.out;
  for (const llvm::json::Value& v : *json->getAsArray())
    EXPECT_EQ(v.getAsObject()->getString("level"), "error");
  expectSameAsClangTidy("--checks=-*,weave-* --warnings-as-errors=weave-lost-cancel", {f});
  expectSameAsClangTidy("--checks=-*,weave-* --quiet --warnings-as-errors='*'", {f});
}

TEST(LintOptions, HeaderFilterAnalysesHeadersAndReportsEachFindingOnce) {
  fs::path dir = scratch("header-filter");
  writeFile(dir / "inc/leak.h", kHeader);
  writeFile(dir / "a.cc", kUsesHeader);
  writeFile(dir / "b.cc", kUsesHeader);
  std::vector<fs::path> files = {dir / "a.cc", dir / "b.cc"};
  std::string args = fixtureArgsWithPch() + " -I" + quote((dir / "inc").string());

  RunResult none = lint("--format=json -j 2", files, args);
  ASSERT_EQ(none.status, 0) << none.err;
  EXPECT_EQ(llvm::json::parse(none.out)->getAsArray()->size(), 0u) << none.out;

  // Once, however many files include the header, in every format.
  RunResult r = lint("--header-filter=inc/ --format=json -j 2", files, args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("USAGE"), std::string::npos) << "--header-filter is an option, not help";
  auto json = llvm::json::parse(r.out);
  ASSERT_TRUE(bool(json)) << r.out;
  ASSERT_EQ(json->getAsArray()->size(), 1u) << r.out;
  const llvm::json::Object* o = (*json->getAsArray())[0].getAsObject();
  EXPECT_EQ(o->getString("file"), fs::canonical(dir / "inc/leak.h").string());
  EXPECT_EQ(o->getInteger("line"), 5);
  RunResult text = lint("--header-filter=inc/", files, args);
  EXPECT_EQ(shown(text.out), std::multiset<std::string>{"leak.h:5: warning [weave-lost-cancel]"});

  RunResult excluded = lint("--header-filter=.* --exclude-header-filter=leak", files, args);
  EXPECT_EQ(shown(excluded.out), std::multiset<std::string>{});
  // From the configuration file, as HeaderFilterRegex.
  writeFile(dir / ".clang-tidy", "HeaderFilterRegex: 'inc/'\n");
  RunResult fromFile = lint("", files, args);
  EXPECT_EQ(shown(fromFile.out),
            std::multiset<std::string>{"leak.h:5: warning [weave-lost-cancel]"});
  fs::remove(dir / ".clang-tidy");

  expectSameAsClangTidy("--checks=-*,weave-* --header-filter=inc/", files, args);
  expectSameAsClangTidy("--checks=-*,weave-* --header-filter=.* --exclude-header-filter=leak",
                        files, args);
  expectSameAsClangTidy("--checks=-*,weave-* --header-filter=nothing-matches", files, args);

  // A header on a system include path needs --system-headers as well.
  std::string system = fixtureArgsWithPch() + " -isystem " + quote((dir / "inc").string());
  EXPECT_EQ(shown(lint("--header-filter=.*", files, system).out), std::multiset<std::string>{});
  EXPECT_EQ(shown(lint("--header-filter=.* --system-headers", files, system).out),
            std::multiset<std::string>{"leak.h:5: warning [weave-lost-cancel]"});
  expectSameAsClangTidy("--checks=-*,weave-* --header-filter=.* --system-headers", files, system);
  // A regular expression that does not compile is an error, not a filter that matches nothing.
  RunResult bad = lint("--header-filter='('", files, args);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("HeaderFilterRegex"), std::string::npos) << bad.err;
}

TEST(LintOptions, LineFilter) {
  fs::path f = scratch("line-filter") / "s.cc";
  writeFile(f, kTwoChecks);
  auto filter = [](const std::string& json) { return "--line-filter=" + quote(json); };
  RunResult r = lint(filter(R"([{"name":"s.cc","lines":[[9,11]]}])"), {f});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(shown(r.out), std::multiset<std::string>{"s.cc:10: warning [weave-loop-capture]"});
  EXPECT_NE(r.err.find("Suppressed 1 warnings (1 due to line filter).\n"), std::string::npos)
      << r.err;
  EXPECT_EQ(shown(lint(filter(R"([{"name":"s.cc"}])"), {f}).out).size(), 2u);
  EXPECT_EQ(shown(lint(filter(R"([{"name":"other.cc"}])"), {f}).out).size(), 0u);
  // A note's line is enough: the lost cancel's return note is on line 6 (the closing brace).
  RunResult note = lint(filter(R"([{"name":"s.cc","lines":[[6,6]]}])"), {f});
  EXPECT_EQ(shown(note.out), std::multiset<std::string>{"s.cc:4: warning [weave-lost-cancel]"});

  for (const char* json : {R"([{"name":"s.cc","lines":[[9,11]]}])", R"([{"name":"s.cc"}])",
                           R"([{"name":"nothing.cc"}])", R"([{"name":"s.cc","lines":[[6,6]]}])"})
    expectSameAsClangTidy("--checks=-*,weave-* " + filter(json), {f});

  RunResult bad = lint(filter(R"([{"lines":[[1,2]]}])"), {f});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("LineFilter"), std::string::npos) << bad.err;
  EXPECT_EQ(lint(filter("[{"), {f}).status, 1);
}

TEST(LintOptions, QuietHidesTheSuppressionCounts) {
  std::string text = kTwoChecks;
  text.insert(text.find('\n', text.find("auto [ctx, cancel]")), "  // NOLINT");
  fs::path f = scratch("quiet") / "s.cc";
  writeFile(f, text);
  RunResult r = lint("", {f});
  EXPECT_EQ(shown(r.out).size(), 1u) << r.out;
  EXPECT_NE(r.err.find("Suppressed 1 warnings (1 NOLINT).\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 warnings generated.\n"), std::string::npos) << r.err;
  RunResult q = lint("--quiet", {f});
  EXPECT_EQ(shown(q.out).size(), 1u);
  EXPECT_EQ(q.err.find("Suppressed"), std::string::npos) << q.err;
}

TEST(LintOptions, CheckListsThatEnableNothingOrNameNoCheck) {
  fs::path f = scratch("no-checks") / "s.cc";
  writeFile(f, kTwoChecks);
  RunResult r = lint("--checks=-*", {f});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Error: no checks enabled"), std::string::npos) << r.err;
  EXPECT_EQ(lint("--checks=-* --allow-no-checks", {f}).status, 0);
  r = lint("--checks='-*,bugprone-*'", {f});
  EXPECT_EQ(r.status, 1) << "another tool's checks enable none of weave-lint's";
  EXPECT_EQ(r.err.find("unknown check"), std::string::npos) << "not weave-lint's to judge";
  RunResult list = run(quote(lintExe()) + " --list-checks --checks=-*");
  EXPECT_EQ(list.status, 1);
  EXPECT_NE(list.err.find("No checks enabled."), std::string::npos);
  if (haveClangTidy()) {
    EXPECT_EQ(tidy("--checks=-*", {f}).status, 1);
    EXPECT_EQ(run(std::string(WEAVE_CLANG_TIDY) + " --list-checks --checks=-*").status, 1);
  }

  // A misspelt name: a warning, with the name it was probably meant to be.
  r = lint("--checks=-*,weave-lost-cancle,weave-loop-capture", {f});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: unknown check 'weave-lost-cancle' in --checks; did you mean "
                       "'weave-lost-cancel'?"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(shown(r.out), std::multiset<std::string>{"s.cc:10: warning [weave-loop-capture]"});
  r = lint("--checks=-*,weave-nothing-like-it*", {f});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown check 'weave-nothing-like-it*'"), std::string::npos) << r.err;
  // In a configuration file, named with the file.
  fs::path dir = scratch("no-checks-file");
  writeFile(dir / ".clang-tidy", "Checks: 'weave-unguarded-share'\n");
  writeFile(dir / "s.cc", kTwoChecks);
  r = lint("", {dir / "s.cc"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(
      r.err.find("unknown check 'weave-unguarded-share' in " + (dir / ".clang-tidy").string()),
      std::string::npos)
      << r.err;
}

TEST(LintOptions, VersionNamesWeaveLint) {
  RunResult r = run(quote(lintExe()) + " --version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("weave-lint version 0.1.0"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace weave::lint::testing
