// Findings as plain data (file/line/column, byte offsets) once their SourceManager is gone, and
// the machine-readable outputs of weave-lint: JSON, SARIF 2.1.0 and clang-tidy's export-fixes YAML.
#pragma once

#include <string>
#include <vector>

#include "clang/Basic/LangOptions.h"
#include "clang/Basic/SourceManager.h"
#include "lib/Check.h"
#include "llvm/Support/raw_ostream.h"

namespace weave::lint {

struct Position {
  std::string file;  // absolute path
  unsigned line = 0, column = 0, offset = 0;
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
  Position pos;
  std::vector<ResolvedNote> notes;
  std::vector<ResolvedFix> fixes;
};

ResolvedFinding resolve(const Finding& f, const clang::SourceManager& sm,
                        const clang::LangOptions& lo);

void writeJson(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings);
void writeSarif(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings,
                const std::string& baseDir);
void writeExportFixes(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings,
                      const std::string& mainFile, const std::string& buildDir);

}  // namespace weave::lint
