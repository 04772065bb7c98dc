// weave-lint's command line as a user meets it: text, JSON and SARIF output read field by field,
// NOLINT, exit statuses, --fix (the result compiles and is clean), --export-fixes, -p with a
// compile_commands.json (and a file it does not list), --checks, -j and progress on a terminal.
// clang-tidy's own options are options_test.cc's; SARIF's validity is sarif_test.cc's.
#include <gtest/gtest.h>

#include "llvm/Support/JSON.h"
#include "support.h"

namespace weave::lint::testing {
namespace {
namespace fs = std::filesystem;

// Line 4: a cancel that one path skips, the return on line 8; line 12: a discarded cancel.
const char* kSample = R"(#include <weave/weave.h>

void leak(bool c) {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  if (c) {
    cancel();
  }
  return;
}

void discard() {
  auto ctx = weave::with_cancel(weave::background()).first;
  (void)ctx;
}
)";

const char* kClean = R"(#include <weave/weave.h>

void fine() {
  auto [ctx, cancel] = weave::with_cancel(weave::background());
  cancel();
}
)";

fs::path writeSample(const std::string& test, const std::string& text = kSample,
                     const std::string& name = "sample.cc") {
  fs::path p = scratch(test) / name;
  writeFile(p, text);
  return p;
}

RunResult lint(const std::string& flags, const fs::path& file) {
  return run(quote(lintExe()) + " " + flags + " " + quote(file.string()) + " -- " +
             fixtureArgsWithPch());
}

llvm::json::Value parseJson(const std::string& text) {
  auto v = llvm::json::parse(text);
  if (!v) {
    ADD_FAILURE() << llvm::toString(v.takeError()) << "\n" << text;
    return nullptr;
  }
  return std::move(*v);
}

TEST(LintCli, TextOutputIsClangStyle) {
  fs::path f = writeSample("text");
  RunResult r = lint("", f);
  EXPECT_EQ(r.status, 0) << r.err;
  std::string p = fs::canonical(f).string();
  EXPECT_NE(r.out.find(p + ":4:24: warning: the cancel function is not used on all paths "
                           "(possible context leak) [weave-lost-cancel]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(p + ":8:3: note: this return statement may be reached without using "
                           "the cancel var defined on line 4"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(p + ":12:14: warning: the cancel function returned by "
                           "weave::with_cancel should be called, not discarded"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(p + ":4:64: note: --fix inserts 'absl::Cleanup defer_cancel = cancel;' "
                           "here"),
            std::string::npos)
      << r.out;
  // The source line and caret, as Clang prints them.
  EXPECT_NE(r.out.find("auto [ctx, cancel] = weave::with_cancel(weave::background());"),
            std::string::npos);
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no colours when not a terminal";
  RunResult colored = lint("--use-color=always", f);
  EXPECT_NE(colored.out.find("\x1b["), std::string::npos);
}

TEST(LintCli, JsonOutputFields) {
  fs::path f = writeSample("json");
  RunResult r = lint("--format=json", f);
  ASSERT_EQ(r.status, 0) << r.err;
  llvm::json::Value v = parseJson(r.out);
  const llvm::json::Array* a = v.getAsArray();
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->size(), 2u);
  const llvm::json::Object* first = (*a)[0].getAsObject();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->getString("check"), "weave-lost-cancel");
  EXPECT_EQ(first->getString("message"),
            "the cancel function is not used on all paths (possible context leak)");
  EXPECT_EQ(first->getString("file"), fs::canonical(f).string());
  EXPECT_EQ(first->getInteger("line"), 4);
  EXPECT_EQ(first->getInteger("column"), 24);
  const llvm::json::Array* notes = first->getArray("notes");
  ASSERT_NE(notes, nullptr);
  ASSERT_EQ(notes->size(), 1u);
  const llvm::json::Object* note = (*notes)[0].getAsObject();
  EXPECT_EQ(note->getInteger("line"), 8);
  EXPECT_EQ(note->getInteger("column"), 3);
  EXPECT_EQ(note->getString("message"),
            "this return statement may be reached without using the cancel var defined on line 4");
  const llvm::json::Array* fixes = first->getArray("fixes");
  ASSERT_NE(fixes, nullptr);
  ASSERT_EQ(fixes->size(), 2u);
  const llvm::json::Object* fix = (*fixes)[0].getAsObject();
  EXPECT_EQ(fix->getInteger("line"), 4);
  EXPECT_EQ(fix->getInteger("length"), 0);
  EXPECT_EQ(fix->getString("replacement"), "\n  absl::Cleanup defer_cancel = cancel;");
  const llvm::json::Object* include = (*fixes)[1].getAsObject();
  EXPECT_EQ(include->getInteger("line"), 1);
  EXPECT_EQ(include->getString("replacement"), "#include \"absl/cleanup/cleanup.h\"\n");

  const llvm::json::Object* second = (*a)[1].getAsObject();
  EXPECT_EQ(second->getInteger("line"), 12);
  EXPECT_EQ(second->getInteger("column"), 14);
  EXPECT_EQ(second->getArray("notes")->size(), 0u);
  EXPECT_EQ(second->getArray("fixes")->size(), 0u);
}

TEST(LintCli, SarifOutputFields) {
  fs::path f = writeSample("sarif");
  RunResult r = run("cd " + quote(f.parent_path().string()) + " && " + quote(lintExe()) +
                    " --format=sarif sample.cc -- " + fixtureArgsWithPch());
  ASSERT_EQ(r.status, 0) << r.err;
  llvm::json::Value v = parseJson(r.out);
  const llvm::json::Object* log = v.getAsObject();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->getString("version"), "2.1.0");
  EXPECT_TRUE(log->getString("$schema").has_value());
  const llvm::json::Object* run0 = (*log->getArray("runs"))[0].getAsObject();
  const llvm::json::Object* driver = run0->getObject("tool")->getObject("driver");
  EXPECT_EQ(driver->getString("name"), "weave-lint");
  bool ruleFound = false;
  for (const llvm::json::Value& rule : *driver->getArray("rules")) {
    const llvm::json::Object* o = rule.getAsObject();
    if (o->getString("id") != "weave-lost-cancel") continue;
    ruleFound = true;
    EXPECT_TRUE(o->getObject("shortDescription")->getString("text").has_value());
    EXPECT_EQ(o->getObject("defaultConfiguration")->getString("level"), "warning");
  }
  EXPECT_TRUE(ruleFound);
  const llvm::json::Array* results = run0->getArray("results");
  ASSERT_EQ(results->size(), 2u);
  const llvm::json::Object* res = (*results)[0].getAsObject();
  EXPECT_EQ(res->getString("ruleId"), "weave-lost-cancel");
  EXPECT_EQ(res->getString("level"), "warning");
  EXPECT_EQ(res->getObject("message")->getString("text"),
            "the cancel function is not used on all paths (possible context leak)");
  const llvm::json::Object* phys =
      (*res->getArray("locations"))[0].getAsObject()->getObject("physicalLocation");
  EXPECT_EQ(phys->getObject("artifactLocation")->getString("uri"), "sample.cc");
  EXPECT_EQ(phys->getObject("artifactLocation")->getString("uriBaseId"), "%SRCROOT%");
  EXPECT_EQ(phys->getObject("region")->getInteger("startLine"), 4);
  EXPECT_EQ(phys->getObject("region")->getInteger("startColumn"), 24);
  const llvm::json::Object* related = (*res->getArray("relatedLocations"))[0].getAsObject();
  EXPECT_EQ(related->getObject("physicalLocation")->getObject("region")->getInteger("startLine"),
            8);
  EXPECT_TRUE(related->getObject("message")->getString("text").has_value());
  const llvm::json::Object* fix = (*res->getArray("fixes"))[0].getAsObject();
  const llvm::json::Object* change = (*fix->getArray("artifactChanges"))[0].getAsObject();
  EXPECT_EQ(change->getObject("artifactLocation")->getString("uri"), "sample.cc");
  const llvm::json::Object* rep = (*change->getArray("replacements"))[0].getAsObject();
  EXPECT_EQ(rep->getObject("deletedRegion")->getInteger("startLine"), 4);
  EXPECT_EQ(rep->getObject("insertedContent")->getString("text"),
            "\n  absl::Cleanup defer_cancel = cancel;");
  EXPECT_EQ((*results)[1].getAsObject()->getArray("fixes"), nullptr);
}

TEST(LintCli, NolintSuppressesByCheckName) {
  std::string base = kSample;
  auto withComment = [&](const std::string& on4, const std::string& before4) {
    std::string text = base;
    size_t line4 = text.find("  auto [ctx, cancel]");
    size_t eol = text.find('\n', line4);
    text.insert(eol, on4);
    text.insert(line4, before4);
    return text;
  };
  // The sample has two findings, on lines 4 and 12; each case comments line 4.
  struct Case {
    std::string on, before;
    size_t findings;
  } cases[] = {
      {"  // NOLINT", "", 1},
      {"  // NOLINT(weave-lost-cancel)", "", 1},
      {"  // NOLINT(weave-*)", "", 1},
      {"  // NOLINT(bugprone-use-after-move)", "", 2},
      {"", "  // NOLINTNEXTLINE(weave-lost-cancel)\n", 1},
      {"", "  // NOLINTNEXTLINE(other-check)\n", 2},
      {"  // NOLINTEND(weave-lost-cancel)", "  // NOLINTBEGIN(weave-lost-cancel)\n", 1},
      {"", "  // NOLINTBEGIN(weave-*)\n", 0},  // no NOLINTEND: to the end of the file
  };
  int i = 0;
  for (const Case& c : cases) {
    fs::path f = writeSample("nolint" + std::to_string(i++), withComment(c.on, c.before));
    RunResult r = lint("--format=json", f);
    ASSERT_EQ(r.status, 0) << r.err;
    llvm::json::Value v = parseJson(r.out);
    size_t n = v.getAsArray()->size();
    EXPECT_EQ(n, c.findings) << c.on << c.before;
  }
}

TEST(LintCli, ExitStatuses) {
  fs::path leaky = writeSample("exit");
  fs::path clean = writeSample("exit-clean", kClean);
  fs::path broken = writeSample("exit-broken", "int main() { return undeclared; }\n");
  EXPECT_EQ(lint("", leaky).status, 0);
  EXPECT_EQ(lint("--werror", leaky).status, 1);
  EXPECT_EQ(lint("--werror", clean).status, 0);
  RunResult r = lint("", broken);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("error: use of undeclared identifier 'undeclared'"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("Stack dump"), std::string::npos);
  // A file that does not exist: said once, and not as a compile error.
  RunResult missing = lint("", scratch("exit-missing") / "missing.cc");
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.err, "weave-lint: error: no such file or directory: '" +
                             (scratch("exit-missing") / "missing.cc").string() + "'\n");
  EXPECT_EQ(lint("--format=xml", clean).status, 2);
}

TEST(LintCli, ChecksFilterAndList) {
  fs::path f = writeSample("filter");
  RunResult none = lint("--checks=-*,weave-loop-capture --format=json", f);
  ASSERT_EQ(none.status, 0);
  EXPECT_EQ(parseJson(none.out).getAsArray()->size(), 0u);
  RunResult list = run(quote(lintExe()) + " --list-checks");
  EXPECT_NE(list.out.find("weave-lost-cancel"), std::string::npos);
  RunResult listNone = run(quote(lintExe()) + " --list-checks --checks=-*");
  EXPECT_EQ(listNone.out.find("weave-lost-cancel"), std::string::npos);
}

TEST(LintCli, FixProducesCodeThatCompilesAndPasses) {
  std::string text = kSample;
  text = text.substr(0, text.find("void discard()"));
  fs::path f = writeSample("fix", text);
  RunResult fix = lint("--fix", f);
  ASSERT_EQ(fix.status, 0) << fix.err;
  std::string fixed = readFile(f);
  EXPECT_NE(fixed.find("#include \"absl/cleanup/cleanup.h\"\n#include <weave/weave.h>"),
            std::string::npos)
      << fixed;
  EXPECT_NE(fixed.find("  auto [ctx, cancel] = weave::with_cancel(weave::background());\n"
                       "  absl::Cleanup defer_cancel = cancel;\n"),
            std::string::npos)
      << fixed;
  RunResult compile = run(std::string(WEAVE_CLANGXX) + " -fsyntax-only -Wall -Wextra " +
                          fixtureArgs() + " " + quote(f.string()));
  EXPECT_EQ(compile.status, 0) << compile.err;
  RunResult again = lint("--werror", f);
  EXPECT_EQ(again.status, 0) << again.out;
}

TEST(LintCli, ExportFixesWritesClangTidyYaml) {
  fs::path f = writeSample("export");
  fs::path yaml = f.parent_path() / "fixes.yaml";
  RunResult r = lint("--export-fixes=" + quote(yaml.string()), f);
  ASSERT_EQ(r.status, 0) << r.err;
  std::string y = readFile(yaml);
  EXPECT_NE(y.find("MainSourceFile:"), std::string::npos) << y;
  EXPECT_NE(y.find("DiagnosticName:  weave-lost-cancel"), std::string::npos) << y;
  EXPECT_NE(y.find("absl::Cleanup defer_cancel = cancel;"), std::string::npos) << y;
  EXPECT_EQ(readFile(f), kSample) << "--export-fixes alone must not edit the file";
}

TEST(LintCli, CompilationDatabaseAllFilesAndJobs) {
  fs::path dir = scratch("db");
  writeFile(dir / "src/leaky.cc", kSample);
  writeFile(dir / "src/clean.cc", kClean);
  std::string inc = sourceDir() + "/runtime/include";
  std::string db = "[\n";
  for (const char* name : {"leaky.cc", "clean.cc"}) {
    db += std::string(db.size() > 2 ? ",\n" : "") + "{\"directory\": \"" + (dir / "src").string() +
          "\", \"file\": \"" + name + "\", \"arguments\": [\"/usr/bin/c++\", \"-std=gnu++20\", " +
          "\"-Werror\", \"-I" + inc + "\", \"-c\", \"" + name + "\", \"-o\", \"" + name + ".o\"]}";
  }
  db += "\n]\n";
  writeFile(dir / "build/compile_commands.json", db);
  RunResult all =
      run(quote(lintExe()) + " -p " + quote((dir / "build").string()) + " --format=json -j 2");
  ASSERT_EQ(all.status, 0) << all.err;
  llvm::json::Value v = parseJson(all.out);
  ASSERT_EQ(v.getAsArray()->size(), 2u) << all.out;
  for (const llvm::json::Value& f : *v.getAsArray())
    EXPECT_EQ(f.getAsObject()->getString("file"), fs::canonical(dir / "src/leaky.cc").string());
  RunResult one = run(quote(lintExe()) + " -p " + quote((dir / "build").string()) + " " +
                      quote((dir / "src/clean.cc").string()) + " --werror");
  EXPECT_EQ(one.status, 0) << one.out << one.err;

  // A file the database does not list gets a neighbour's flags, interpolated by Clang (with a
  // `--` before the file name): weave-lint's own flags still go before it.
  writeFile(dir / "src/unlisted.cc", kSample);
  RunResult unlisted = run(quote(lintExe()) + " -p " + quote((dir / "build").string()) + " " +
                           quote((dir / "src/unlisted.cc").string()) + " --format=json");
  EXPECT_EQ(unlisted.status, 0) << unlisted.err;
  EXPECT_EQ(unlisted.err.find("no such file or directory"), std::string::npos) << unlisted.err;
  EXPECT_EQ(parseJson(unlisted.out).getAsArray()->size(), 2u) << unlisted.out;
}

// `[n/N] file` on stderr as each file of a run finishes, only when stderr is a terminal (a log
// or a pipe gets the findings alone).
TEST(LintCli, ProgressOnATerminalOnly) {
  if (run("command -v script").status != 0) GTEST_SKIP() << "script(1) is not installed";
  fs::path dir = scratch("progress");
  writeFile(dir / "a.cc", kClean);
  writeFile(dir / "b.cc", kClean);
  std::string cmd = quote(lintExe()) + " -j 2 " + quote((dir / "a.cc").string()) + " " +
                    quote((dir / "b.cc").string()) + " -- " + fixtureArgsWithPch();
  RunResult piped = run(cmd);
  EXPECT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.err.find("/2] "), std::string::npos) << piped.err;
  // script(1) runs the command on a pseudo-terminal: stderr is a terminal there.
  RunResult tty = run("script -qec " + quote(cmd) + " /dev/null");
  EXPECT_EQ(tty.status, 0) << tty.out;
  EXPECT_NE(tty.out.find("[1/2] "), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("[2/2] "), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("a.cc"), std::string::npos) << tty.out;
}

}  // namespace
}  // namespace weave::lint::testing
