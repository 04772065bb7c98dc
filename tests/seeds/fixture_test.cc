// The fixture reader and the output matcher themselves.
#include <map>
#include <string>
#include <vector>

#include "fixture.h"
#include "gtest/gtest.h"

namespace weave_seeds {
namespace {

std::string Error(const std::string& text) {
  absl::StatusOr<Fixture> f = ParseFixture(text);
  return f.ok() ? "" : std::string(f.status().message());
}

TEST(FixtureParse, ReadsRunExitAndBlocks) {
  absl::StatusOr<Fixture> f = ParseFixture(
      "// run: leak 2 chan send\n"
      "int main() {}\n"
      "// exit: 3\n"
      "// output:\n"
      "// first\n"
      "//\n"
      "// output (any order):\n"
      "// b {{[0-9]+}}\n"
      "// a\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->run, "leak 2 chan send");
  ASSERT_TRUE(f->exit.has_value());
  EXPECT_EQ(f->exit->kind, ExitExpectation::kStatus);
  EXPECT_EQ(f->exit->status, 3);
  ASSERT_EQ(f->output.size(), 2u);
  EXPECT_FALSE(f->output[0].any_order);
  ASSERT_EQ(f->output[0].lines.size(), 2u);
  EXPECT_EQ(f->output[0].lines[1].text, "");
  EXPECT_TRUE(f->output[1].any_order);
  EXPECT_EQ(f->output[1].lines.size(), 2u);
}

TEST(FixtureParse, ReadsLockWarningsAmongTheOutcomes) {
  absl::StatusOr<Fixture> f = ParseFixture("// run: lock-order-inversion\nint main() {}\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->run, "lock-order-inversion");
  EXPECT_EQ(f->expect->kind, RunExpectation::kClean);
  EXPECT_EQ(f->expect->lock_warnings, std::vector<std::string>{"lock-order-inversion"});

  f = ParseFixture("// run: double-lock, deadlock\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->expect->kind, RunExpectation::kDeadlock);
  EXPECT_EQ(f->expect->lock_warnings, std::vector<std::string>{"double-lock"});

  f = ParseFixture("// run: leak 1 rwmutex rlock,recursive-rlock , recursive-rlock, 2 sleep\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->expect->kind, RunExpectation::kLeak);
  EXPECT_EQ(f->expect->leaks, (std::map<std::string, int>{{"rwmutex rlock", 1}, {"sleep", 2}}));
  EXPECT_EQ(f->expect->lock_warnings,
            (std::vector<std::string>{"recursive-rlock", "recursive-rlock"}));

  f = ParseFixture("// run: clean\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->expect->lock_warnings.empty());

  EXPECT_NE(Error("// run: double-lock,\n"), "");
  EXPECT_NE(Error("// run: lock-inversion\n"), "");
  EXPECT_NE(Error("// run: deadlock double-lock\n"), "");
}

TEST(FixtureParse, ReadsRaceLines) {
  absl::StatusOr<Fixture> f = ParseFixture(
      "// run: race\n"
      "int x;  // a race here?\n"
      "void f() { x++; }  // race\n"
      "void g() { x++; }  // race  // want: weave-unguarded-shared\n"
      "// race condition, not a marker\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->race_lines, (std::vector<int>{3, 4}));
}

TEST(FixtureParse, RunRaceNeedsARaceLine) {
  EXPECT_NE(Error("// run: race\nint x;\n"), "");
  // A program whose outcome is another bug may race too.
  EXPECT_EQ(Error("// run: leak 1 chan send\nint x;  // race\n"), "");
}

TEST(FixtureParse, NoOutputBlockMeansUnchecked) {
  absl::StatusOr<Fixture> f = ParseFixture("int main() {}\n// exit: panic\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->output.empty());
  EXPECT_EQ(f->exit->kind, ExitExpectation::kPanic);
}

TEST(FixtureParse, EmptyOutputBlockMeansNoOutput) {
  absl::StatusOr<Fixture> f = ParseFixture("int main() {}\n\n// exit: hang\n// output:\n");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->output.size(), 1u);
  EXPECT_TRUE(f->output[0].lines.empty());
  EXPECT_EQ(CheckOutput(f->output, ""), "");
  EXPECT_NE(CheckOutput(f->output, "x\n"), "");
}

TEST(FixtureParse, RejectsMalformedComments) {
  EXPECT_NE(Error("int main() {}\n// output(any order):\n// a\n"), "");
  EXPECT_NE(Error("int main() {}\n// output (unordered):\n// a\n"), "");
  EXPECT_NE(Error("// exit: crash\nint main() {}\n"), "");
  EXPECT_NE(Error("// exit: 1\n// exit: 2\nint main() {}\n"), "");
  EXPECT_NE(Error("int main() {}\n// run: clean\n"), "");
  EXPECT_NE(Error("// run: leaky\nint main() {}\n"), "");
  EXPECT_NE(Error("// output:\n// a\nint main() {}\n"), "");
  EXPECT_NE(Error("int main() {}\n// output:\n// {{[0-9]+\n"), "");
  EXPECT_NE(Error("int main() {}\n// output:\n// {{[0-9}}\n"), "");
  EXPECT_NE(Error("int main() {}\n// output:\n//a\n"), "");
  EXPECT_NE(Error("int main() {}\n// output:\n// a\n\n// b\n"), "");
  // The message names the line.
  EXPECT_NE(Error("int main() {}\n// exit: later\n").find("line 2"), std::string::npos);
}

TEST(FixtureParse, BraceRunsCloseAtTheirEnd) {
  absl::StatusOr<Fixture> f = ParseFixture("// output:\n// at {{[0-9]{2}}}:00\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(CheckOutput(f->output, "at 12:00\n"), "");
  EXPECT_NE(CheckOutput(f->output, "at 123:00\n"), "");
}

TEST(CheckOutput, OrderedBlocksMatchInOrder) {
  absl::StatusOr<Fixture> f = ParseFixture("// output:\n// a\n// b\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(CheckOutput(f->output, "a\nb\n"), "");
  EXPECT_EQ(CheckOutput(f->output, "a\nb"), "");
  EXPECT_NE(CheckOutput(f->output, "b\na\n"), "");
  EXPECT_NE(CheckOutput(f->output, "a\n"), "");
  EXPECT_NE(CheckOutput(f->output, "a\nb\nc\n"), "");
}

TEST(CheckOutput, AnyOrderIsAMultisetWithPatterns) {
  absl::StatusOr<Fixture> f = ParseFixture(
      "// output:\n// start\n// output (any order):\n// x {{[0-9]}}\n// x 1\n// y\n"
      "// output:\n// end\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(CheckOutput(f->output, "start\nx 1\ny\nx 2\nend\n"), "");
  // The pattern must not take the line only the literal can match.
  EXPECT_EQ(CheckOutput(f->output, "start\nx 1\nx 5\ny\nend\n"), "");
  EXPECT_NE(CheckOutput(f->output, "start\nx 2\nx 3\ny\nend\n"), "");
  EXPECT_NE(CheckOutput(f->output, "start\nx 1\nend\ny\nx 2\n"), "");
}

TEST(CheckOutput, LiteralTextIsNotARegex) {
  absl::StatusOr<Fixture> f = ParseFixture("// output:\n// a.b (c) [d] {{.*}}\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(CheckOutput(f->output, "a.b (c) [d] anything\n"), "");
  EXPECT_NE(CheckOutput(f->output, "aXb (c) [d] anything\n"), "");
}

}  // namespace
}  // namespace weave_seeds
