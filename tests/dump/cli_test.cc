// The command line: exit statuses (0 clean, 1 findings or growth, 2 not a dump or a usage error),
// one-line errors naming the file and byte offset, -o, standard input, --help; and the built
// binary itself, so the statuses are checked through a real process.
#include <gtest/gtest.h>

#include "dump_test_util.h"

namespace weave::dump {
namespace {

using testing::data_path;
using testing::run;
using testing::tmp_path;

TEST(Cli, ExitStatusFollowsTheDump) {
  EXPECT_EQ(run({"summary", data_path("clean.json")}).status, 0);
  for (const char* name :
       {"leak.json", "deadlock.json", "race.json", "panic.json", "escapes.json"}) {
    for (const char* command : {"summary", "graph", "html"}) {
      const auto r = run({command, data_path(name)});
      EXPECT_EQ(r.status, 1) << command << " " << name;
      EXPECT_EQ(r.err, "") << command << " " << name;
      EXPECT_FALSE(r.out.empty());
    }
  }
  // A deadlock with no fiber listed (main blocked alone) is not clean either.
  testing::write_file(tmp_path("main-alone.json"),
                      R"({"version": 1, "reason": "deadlock", "fibers": []})");
  EXPECT_EQ(run({"summary", tmp_path("main-alone.json")}).status, 1);
  testing::write_file(tmp_path("signal.json"),
                      R"({"version": 1, "reason": "signal", "fibers": []})");
  EXPECT_EQ(run({"graph", tmp_path("signal.json")}).status, 0);
}

TEST(Cli, DiffExitsOneWhenSomethingGrew) {
  EXPECT_EQ(run({"diff", data_path("diff_before.json"), data_path("diff_after.json")}).status, 1);
  EXPECT_EQ(run({"diff", data_path("leak.json"), data_path("leak.json")}).status, 0);
  EXPECT_EQ(run({"diff", data_path("leak.json"), data_path("clean.json")}).status, 0);
}

TEST(Cli, NotADumpIsOneLineWithFileAndOffset) {
  const std::string path = tmp_path("cut.json");
  testing::write_file(path, "{\"version\": 1,\n \"reason\": \"exit\", \"fibers\": [{\"id\": ");
  const auto r = run({"summary", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "weave-dump: " + path +
                       ": not a weave dump: byte offset 52 (line 2, column 38): in fibers[0].id: "
                       "expected an integer, found the end of the input\n");
  testing::write_file(path, "");
  EXPECT_EQ(
      run({"html", path}).err,
      "weave-dump: " + path +
          ": not a weave dump: byte offset 0 (line 1, column 1): the input is empty: expected "
          "a weave dump (a JSON object)\n");
  // The second file of a diff is checked as well.
  const auto d = run({"diff", data_path("leak.json"), path});
  EXPECT_EQ(d.status, 2);
  EXPECT_NE(d.err.find(path), std::string::npos);
}

TEST(Cli, MissingFilesAndDirectories) {
  const auto r = run({"summary", tmp_path("no-such-file.json")});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "weave-dump: " + tmp_path("no-such-file.json") + ": No such file or directory\n");
  EXPECT_EQ(run({"summary", WEAVE_TEST_TMP}).err,
            std::string("weave-dump: ") + WEAVE_TEST_TMP + ": is a directory\n");
}

TEST(Cli, UsageErrorsAndHelp) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate", "x.json"},
           {"summary"},
           {"summary", "a.json", "b.json"},
           {"diff", "a.json"},
           {"summary", "--colour", "a.json"},
           {"summary", "a.json", "-o"},
           {"summary", "-o", "x", "-o", "y", "a.json"},
       }) {
    const auto r = run(args);
    EXPECT_EQ(r.status, 2) << args.size();
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("weave-dump: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("usage: weave-dump"), std::string::npos) << r.err;
  }
  const std::string err = run({"summary"}).err;
  EXPECT_EQ(err.substr(0, err.find('\n')), "weave-dump: summary takes one file, got 0");
  for (const char* help : {"--help", "-h"}) {
    const auto r = run({help});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("usage: weave-dump COMMAND"), std::string::npos);
    EXPECT_NE(r.out.find("exit status:"), std::string::npos);
  }
  EXPECT_EQ(run({"summary", "--help"}).status, 0) << "help wins over everything else";
}

TEST(Cli, WritesToAFileWithDashO) {
  const std::string out = tmp_path("page.html");
  std::remove(out.c_str());
  const auto r = run({"html", data_path("leak.json"), "-o", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(testing::read_file(out).rfind("<!DOCTYPE html>", 0), 0u);
  const auto joined = run({"-o" + out, "summary", data_path("clean.json")});
  EXPECT_EQ(joined.status, 0);
  EXPECT_EQ(testing::read_file(out).rfind("weave dump: exit", 0), 0u);
  const auto bad = run({"summary", data_path("leak.json"), "-o", tmp_path("no/such/dir/x.txt")});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, "weave-dump: cannot write " + tmp_path("no/such/dir/x.txt") + "\n");
}

// The built binary: statuses through a real process, standard input, a file named like an option.
TEST(Cli, TheBinary) {
  const std::string exe = WEAVE_DUMP_EXE;
  const std::string err = tmp_path("stderr.txt");
  EXPECT_EQ(testing::shell(exe + " summary " + data_path("clean.json") + " > /dev/null"), 0);
  EXPECT_EQ(testing::shell(exe + " summary " + data_path("leak.json") + " > /dev/null"), 1);
  EXPECT_EQ(testing::shell(exe + " summary - < " + data_path("leak.json") + " > /dev/null"), 1);
  EXPECT_EQ(testing::shell("printf '{\"version\": 1, \"reason\": \"exit\", \"fibers\": [' | " +
                           exe + " graph - > /dev/null 2> " + err),
            2);
  EXPECT_EQ(testing::read_file(err),
            "weave-dump: <stdin>: not a weave dump: byte offset 44 (line 1, column 45): in fibers: "
            "expected a value or ']', found the end of the input\n");
  EXPECT_EQ(testing::shell(exe + " 2> /dev/null"), 2);
  EXPECT_EQ(testing::shell(exe + " --help > /dev/null"), 0);
  testing::write_file(tmp_path("-leak.json"), testing::read_file(data_path("leak.json")));
  EXPECT_EQ(testing::shell("cd " + std::string(WEAVE_TEST_TMP) + " && " + exe +
                           " summary -- -leak.json > /dev/null"),
            1);
}

}  // namespace
}  // namespace weave::dump
