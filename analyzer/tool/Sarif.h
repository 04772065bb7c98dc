// weave-lint's SARIF 2.1.0 output, as code scanning takes it: one run whose driver lists every
// check as a rule (its id, a PascalCase name, descriptions and a helpUri into the repository's
// docs), a result per finding (notes as relatedLocations, fix-its as fixes), and one invocation
// that says whether every file could be analysed, with a notification for each that could not.
// File names become URIs per RFC 3986: relative to %SRCROOT% (the working directory) when they
// are under it, `file://` URIs otherwise, every byte outside the unreserved set percent-encoded.
#pragma once

#include <string>
#include <vector>

#include "llvm/Support/raw_ostream.h"
#include "tool/Output.h"

namespace weave::lint {

struct AnalysisFailure {
  std::string file;     // as the user named it
  std::string message;  // why, in one line
};

void writeSarif(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings,
                const std::vector<AnalysisFailure>& failures, const std::string& baseDir);

// A path's bytes percent-encoded, except the unreserved characters of RFC 3986 and '/'.
std::string percentEncodePath(llvm::StringRef path);

// A check's SARIF rule name: "weave-lost-cancel" -> "LostCancel".
std::string ruleName(llvm::StringRef check);

}  // namespace weave::lint
