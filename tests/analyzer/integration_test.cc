// weave-lint where users meet it besides the command line: as CMake's CMAKE_CXX_CLANG_TIDY, as
// a clang-tidy module (libweave_tidy.so), and on every file of this repository without crashing.
#include <gtest/gtest.h>

#include "support.h"

namespace weave::lint::testing {
namespace {
namespace fs = std::filesystem;

bool crashed(const RunResult& r) {
  return r.status > 2 || r.err.find("Stack dump") != std::string::npos ||
         r.err.find("PLEASE submit a bug report") != std::string::npos;
}

TEST(LintIntegration, CMakeClangTidyHookLintsEveryCompile) {
  fs::path dir = scratch("cmake-project");
  writeFile(dir / "src/leak.cc", kLeaky);
  writeFile(dir / "src/CMakeLists.txt",
            "cmake_minimum_required(VERSION 3.20)\n"
            "project(lintme CXX)\n"
            "set(CMAKE_CXX_STANDARD 20)\n"
            "add_library(lintme OBJECT leak.cc)\n"
            "target_include_directories(lintme PRIVATE \"" +
                sourceDir() + "/runtime/include\")\n");
  RunResult conf = run(std::string(WEAVE_CMAKE) + " -S " + quote((dir / "src").string()) + " -B " +
                       quote((dir / "build").string()) + " -G " + quote(WEAVE_GENERATOR) +
                       " -DCMAKE_CXX_CLANG_TIDY=" + quote(lintExe()));
  ASSERT_EQ(conf.status, 0) << conf.out << conf.err;
  RunResult build = run(std::string(WEAVE_CMAKE) + " --build " + quote((dir / "build").string()));
  EXPECT_EQ(build.status, 0) << build.out << build.err;
  std::string all = build.out + build.err;
  EXPECT_NE(all.find("leak.cc:4:24: warning: the cancel function is not used on all paths "
                     "(possible context leak) [weave-lost-cancel]"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("note: the end of the function may be reached"), std::string::npos) << all;
}

TEST(LintIntegration, ClangTidyPluginRunsTheSameCheck) {
  std::string plugin = WEAVE_TIDY_PLUGIN;
  if (plugin.empty() || std::string(WEAVE_CLANG_TIDY).empty())
    GTEST_SKIP() << "clang-tidy-19 or its headers are not installed";
  fs::path dir = scratch("tidy");
  writeFile(dir / "leak.cc", kLeaky);
  std::string tidy = std::string(WEAVE_CLANG_TIDY) + " -load=" + quote(plugin);
  RunResult list = run(tidy + " -checks='-*,weave-*' --list-checks");
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("weave-lost-cancel"), std::string::npos) << list.out;

  RunResult r = run(tidy + " -checks='-*,weave-*' " + quote((dir / "leak.cc").string()) + " -- " +
                    fixtureArgs());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("leak.cc:4:24: warning: the cancel function is not used on all paths "
                       "(possible context leak) [weave-lost-cancel]"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.out.find("leak.cc:8:1: note: the end of the function may be reached"),
            std::string::npos)
      << r.out;

  // clang-tidy's own --fix applies the same fix-it.
  RunResult fix = run(tidy + " -checks='-*,weave-*' --fix " + quote((dir / "leak.cc").string()) +
                      " -- " + fixtureArgs());
  EXPECT_EQ(fix.status, 0) << fix.out << fix.err;
  EXPECT_NE(readFile(dir / "leak.cc").find("absl::Cleanup defer_cancel = cancel;"),
            std::string::npos);
  RunResult after = run(tidy + " -checks='-*,weave-*' --warnings-as-errors='*' " +
                        quote((dir / "leak.cc").string()) + " -- " + fixtureArgs());
  EXPECT_EQ(after.status, 0) << after.out << after.err;
}

// Every other C++ file in the repository, whatever state it is in: findings or compile errors
// are fine, a crash is not.
TEST(LintIntegration, NeverCrashesOnAnyRepositoryFile) {
  std::vector<std::string> sources, headers;
  fs::path root = sourceDir();
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string name = it->path().filename().string();
    // The fixtures are linted by the fixture test, which requires them to be analysed cleanly.
    if (it->is_directory() &&
        (name.rfind("build", 0) == 0 || name == ".git" || it->path() == root / "fixtures")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    if (ext == ".cc" || ext == ".cpp") sources.push_back(it->path().string());
    if (ext == ".h") headers.push_back(it->path().string());
  }
  ASSERT_FALSE(sources.empty());
  std::string args = fixtureArgs() + " -I" + quote(sourceDir() + "/runtime/src") + " -I" +
                     quote(sourceDir() + "/runtime");
  auto runAll = [&](const std::vector<std::string>& files, const std::string& extra) {
    std::string cmd = quote(lintExe()) + " -j 2 --format=json";
    for (const std::string& f : files) cmd += " " + quote(f);
    return run(cmd + " -- " + extra + args);
  };
  RunResult s = runAll(sources, "");
  EXPECT_FALSE(crashed(s)) << s.status << "\n" << s.err;
  if (!headers.empty()) {
    RunResult h = runAll(headers, "-x c++ ");
    EXPECT_FALSE(crashed(h)) << h.status << "\n" << h.err;
  }
}

}  // namespace
}  // namespace weave::lint::testing
