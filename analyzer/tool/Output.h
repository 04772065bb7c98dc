// Findings as plain data (file/line/column, byte offsets) once their SourceManager is gone, and
// two of weave-lint's machine-readable outputs: JSON and clang-tidy's export-fixes YAML (SARIF is
// Sarif.h's).
#pragma once

#include <string>
#include <vector>

#include "clang/Basic/LangOptions.h"
#include "clang/Basic/SourceManager.h"
#include "lib/Check.h"
#include "llvm/Support/raw_ostream.h"

namespace weave::lint {

struct Position {
  std::string file;                           // absolute path
  unsigned line = 0, column = 0, offset = 0;  // column: 1-based, in bytes, as Clang counts
  unsigned charColumn = 0;                    // the same column in Unicode code points
};

struct ResolvedFix {
  Position begin, end;  // the replaced range; begin == end for an insertion
  std::string text;
};

struct ResolvedNote {
  Position pos;
  std::string message;
};

struct ResolvedFinding {
  std::string check, message;
  bool error = false;  // a warning made an error by WarningsAsErrors
  Position pos;
  std::vector<ResolvedNote> notes;
  std::vector<ResolvedFix> fixes;
};

ResolvedFinding resolve(const Finding& f, const clang::SourceManager& sm,
                        const clang::LangOptions& lo);

// `s` as JSON may hold it: a byte that is not UTF-8 (a file name's) becomes U+FFFD.
std::string jsonText(const std::string& s);

void writeJson(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings);
void writeExportFixes(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings,
                      const std::string& mainFile, const std::string& buildDir);

}  // namespace weave::lint
