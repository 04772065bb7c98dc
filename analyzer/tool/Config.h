// clang-tidy's configuration, read as clang-tidy 19 reads it, for the options weave-lint has:
// Checks, WarningsAsErrors, HeaderFilterRegex, ExcludeHeaderFilterRegex, SystemHeaders, UseColor
// (a .clang-tidy shared with clang-tidy is read as it is: the keys weave-lint has no use for are
// ignored). For each source file the options are, applied in order:
//   1. weave-lint's defaults (Checks: weave-*);
//   2. the nearest .clang-tidy from the file's directory upward, and, while a file says
//      InheritParentConfig: true, the next one above it (outermost first) — or, when --config or
//      --config-file is given, that configuration instead (plus the files, if it inherits);
//   3. the command line.
// Applying a layer appends its Checks and WarningsAsErrors to the lists so far (the last glob
// that matches a check decides) and replaces the other values it sets.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace weave::lint {

struct TidyOptions {
  std::optional<std::string> checks, warningsAsErrors, headerFilterRegex, excludeHeaderFilterRegex;
  std::optional<bool> systemHeaders, useColor, inheritParentConfig;

  // `over` applied on top of these options.
  void mergeWith(const TidyOptions& over);
};

// A .clang-tidy document or a --config value (YAML, or JSON, which is YAML). `Checks` may be a
// string or a list of globs. An error names the line and column.
llvm::Expected<TidyOptions> parseTidyOptions(llvm::StringRef text, llvm::StringRef source);

// The effective options, as clang-tidy's --dump-config prints them.
void dumpTidyOptions(llvm::raw_ostream& os, const TidyOptions& options);

// The globs of a check list that name weave-lint's namespace (`weave-…`) but match no check:
// a misspelt name. Globs of other tools' checks are not weave-lint's to judge (a .clang-tidy is
// shared with clang-tidy).
std::vector<std::string> unknownWeaveChecks(llvm::StringRef globs);

class ConfigProvider {
 public:
  // `explicitConfig`: --config or --config-file; `overrides`: the command line. `warn` is told,
  // once per configuration file, about the unknown check names in it.
  ConfigProvider(TidyOptions defaults, std::optional<TidyOptions> explicitConfig,
                 TidyOptions overrides, std::function<void(const std::string&)> warn);

  // The options for one source file (absolute, or relative to the working directory), or the
  // error of a .clang-tidy on its way that does not parse. Thread-safe.
  llvm::Expected<TidyOptions> optionsFor(llvm::StringRef file);

 private:
  struct DirConfig {
    std::optional<TidyOptions> options;  // none when the directory has no .clang-tidy
    std::string path, error;
  };
  const DirConfig& configIn(const std::string& dir);  // mu_ held

  TidyOptions defaults_, overrides_;
  std::optional<TidyOptions> explicit_;
  std::function<void(const std::string&)> warn_;
  std::mutex mu_;
  std::map<std::string, DirConfig> dirs_;
};

}  // namespace weave::lint
