// WEAVE_PROCS and WEAVE_STACK_SIZE: a bad value is never a crash and never ignored in silence: one
// line on stderr names the variable and what is used instead, and the program runs. Each case runs
// in a process of its own (a death test), where the scheduler starts with the value set; the
// values that would start thousands of workers are given to the parser (env.h) alone.
#include <gtest/gtest.h>
#include <weave/weave.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "env.h"

namespace {

// Sets `name` to `value`, runs a fiber (which starts the scheduler and takes a stack), prints
// procs() and exits 0.
[[noreturn]] void run_with(const char* name, const char* value) {
  setenv(name, value, 1);
  auto done = weave::make_chan<int>(1);
  weave::go([=] { done.send(weave::procs()); });
  std::fprintf(stderr, "ran, procs %d\n", *done.recv());
  std::exit(0);
}

std::string cpus() { return "[0-9]+ \\(the number of CPUs\\)"; }

void expect_runs_saying(const char* name, const char* value, const std::string& said) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(run_with(name, value), ::testing::ExitedWithCode(0),
              "^weave: " + std::string(name) + "=\"" + value + "\" " + said + "\nran, procs")
      << name << "=" << value;
}

TEST(EnvDeathTest, StackSizeThatIsNotASizeFallsBackToTheDefault) {
  for (const char* v : {"-5", "abc", "1x", "64 k", "0x4000", "16kb"}) {
    expect_runs_saying("WEAVE_STACK_SIZE", v,
                       "is not a size \\(bytes, or a number and k, m or g\\); using the "
                       "default, 256k");
  }
}

TEST(EnvDeathTest, StackSizeOutOfRangeIsClamped) {
  expect_runs_saying("WEAVE_STACK_SIZE", "0", "is below the minimum; using 16k");
  expect_runs_saying("WEAVE_STACK_SIZE", "4096", "is below the minimum; using 16k");
  expect_runs_saying("WEAVE_STACK_SIZE", "18446744073709551615", "is above the maximum; using 1g");
  expect_runs_saying("WEAVE_STACK_SIZE", "99999999999999999999999g",
                     "is above the maximum; using 1g");
  expect_runs_saying("WEAVE_STACK_SIZE", "2g", "is above the maximum; using 1g");
}

TEST(EnvDeathTest, GoodStackSizesAreTakenQuietly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (const char* v : {"", "16k", "65536", "1M", "1g"}) {
    EXPECT_EXIT(run_with("WEAVE_STACK_SIZE", v), ::testing::ExitedWithCode(0), "^ran, procs")
        << "WEAVE_STACK_SIZE=" << v;
  }
}

TEST(EnvDeathTest, ProcsThatIsNotAPositiveNumberFallsBackToTheCpus) {
  for (const char* v : {"0", "-1", "abc", "2x", " 2", "1.5"}) {
    expect_runs_saying("WEAVE_PROCS", v,
                       "is not a whole number of workers, at least 1; using " + cpus());
  }
}

// The workers are never started: a test that started thousands would load the machine for nothing.
TEST(EnvTest, ProcsAboveTheMaximumIsClamped) {
  const char* saved = std::getenv("WEAVE_PROCS");
  const std::string restore = saved ? saved : "";
  const std::string max = std::to_string(weave::detail::kMaxProcs);
  for (const std::string& v : {std::to_string(weave::detail::kMaxProcs + 1), std::string("1000000"),
                               std::string("99999999999999999999999")}) {
    setenv("WEAVE_PROCS", v.c_str(), 1);
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(weave::detail::env_procs(2), weave::detail::kMaxProcs) << v;
    EXPECT_EQ(::testing::internal::GetCapturedStderr(),
              "weave: WEAVE_PROCS=\"" + v + "\" is above the maximum; using " + max + "\n");
  }
  setenv("WEAVE_PROCS", max.c_str(), 1);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(weave::detail::env_procs(2), weave::detail::kMaxProcs);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  if (saved) {
    setenv("WEAVE_PROCS", restore.c_str(), 1);
  } else {
    unsetenv("WEAVE_PROCS");
  }
}

TEST(EnvDeathTest, GoodProcsAreTakenQuietly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(run_with("WEAVE_PROCS", "3"), ::testing::ExitedWithCode(0), "^ran, procs 3\n");
  EXPECT_EXIT(run_with("WEAVE_PROCS", ""), ::testing::ExitedWithCode(0), "^ran, procs [0-9]+\n");
}

}  // namespace
