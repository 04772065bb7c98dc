// Linting one source file: compile it as its compile command says (made fit for analysis), run
// the enabled checks over the code the header filter admits, drop what NOLINT, the header filter
// and the line filter suppress, and render what is left. Safe to run for several files at once.
#pragma once

#include <string>
#include <vector>

#include "clang/Tooling/CompilationDatabase.h"
#include "tool/Filter.h"
#include "tool/Output.h"

namespace weave::lint {

struct RunSettings {
  std::string format;  // text, json or sarif
  bool color = false;
  bool checkTiming = false;                // --check-timing
  const LineFilter* lineFilter = nullptr;  // null: every line passes
};

struct ShownFinding {
  ResolvedFinding finding;
  std::string text;  // in Clang's format, with source line and notes (the text format only)
};

struct FileResult {
  std::string errors;  // for stderr: the compiler's errors, the file's counts
  std::vector<ShownFinding> findings;
  SuppressionStats suppressed;
  bool failed = false;  // the file could not be analysed; `failure` says why, in one line
  std::string failure;
};

FileResult lintFile(const clang::tooling::CompilationDatabase& db, const std::string& file,
                    const RunSettings& run, const FileSettings& settings);

}  // namespace weave::lint
