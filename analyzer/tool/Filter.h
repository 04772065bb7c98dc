// Which findings a run shows, decided as clang-tidy 19 decides it, in this order:
//   1. NOLINT comments (lib/Nolint.h) suppress;
//   2. a finding must concern user code: the main file, or a header whose name the header filter
//      (HeaderFilterRegex / --header-filter, searched in the name as the compiler opened it) finds
//      and the exclude filter does not, never a system header unless SystemHeaders is on — a note
//      in user code is enough, as in clang-tidy;
//   3. the line filter (--line-filter), when given, must list the finding's file and line (or a
//      note's).
// The same header filter (lib/AnalysisScope.h) tells the checks which headers to analyse, so a
// header's functions are analysed exactly when their findings would be shown. Warnings whose
// check matches WarningsAsErrors become errors.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clang/Basic/SourceManager.h"
#include "lib/AnalysisScope.h"
#include "lib/CheckRegistry.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/Regex.h"
#include "tool/Config.h"

namespace weave::lint {

// --line-filter: `[{"name": "file.cc", "lines": [[1, 3], [5, 7]]}, {"name": "file.h"}]`. A
// finding passes when the first entry whose name ends its file name has no lines or a range
// holding its line; with a filter, files it does not name show nothing.
class LineFilter {
 public:
  static llvm::Expected<LineFilter> parse(llvm::StringRef json);
  bool passes(llvm::StringRef file, unsigned line) const;

 private:
  struct Entry {
    std::string name;
    std::vector<std::pair<unsigned, unsigned>> lines;
  };
  std::vector<Entry> entries_;
  bool active_ = false;
};

// The settings of one source file, made from its configuration.
struct FileSettings {
  CheckFilter checks{""}, warningsAsErrors{""};
  std::shared_ptr<const llvm::Regex> headerFilter, excludeHeaderFilter;  // null: matches nothing
  bool systemHeaders = false;

  // The admission of headers for one translation unit.
  HeaderFilterAdmission headers() const {
    return HeaderFilterAdmission(headerFilter.get(), excludeHeaderFilter.get(), systemHeaders);
  }
  // An error names the option whose regular expression does not compile.
  static llvm::Expected<FileSettings> from(const TidyOptions& options);
};

// Why findings were not shown, for clang-tidy's "Suppressed N warnings (…)" line.
struct SuppressionStats {
  unsigned nonUserCode = 0, lineFilter = 0, nolint = 0;
  void add(const SuppressionStats& o) {
    nonUserCode += o.nonUserCode;
    lineFilter += o.lineFilter;
    nolint += o.nolint;
  }
  unsigned total() const { return nonUserCode + lineFilter + nolint; }
  // clang-tidy's two lines, or nothing when nothing was suppressed.
  std::string summary() const;
};

}  // namespace weave::lint
