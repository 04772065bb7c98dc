// weave-lint, the standalone front end: the command line (clang-tidy's options, spelled as
// clang-tidy 19 spells them, plus --format and --werror), each file's configuration, running the
// files N at a time with their output in file order, header findings shown once however many
// files include the header, progress on a terminal, the run's statistics, --fix and
// --export-fixes, and clang-tidy's exit statuses.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "clang/Tooling/CommonOptionsParser.h"
#include "clang/Tooling/Core/Replacement.h"
#include "lib/CheckRegistry.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "tool/Config.h"
#include "tool/Filter.h"
#include "tool/Lint.h"
#include "tool/Output.h"
#include "tool/Sarif.h"

using namespace clang;
using namespace weave::lint;
namespace cl = llvm::cl;

static cl::OptionCategory category("weave-lint options");
static cl::opt<std::string> checksOpt(
    "checks",
    cl::desc("Comma-separated globs of checks, '-' removes; appended to the Checks of the\n"
             ".clang-tidy file, if any (default: weave-*)"),
    cl::cat(category));
static cl::opt<std::string> configOpt(
    "config",
    cl::desc("A configuration in YAML/JSON, e.g. -config=\"{Checks: 'weave-*'}\"; when\n"
             "empty, .clang-tidy files are looked for from each source file upward"),
    cl::cat(category));
static cl::opt<std::string> configFileOpt(
    "config-file", cl::desc("A .clang-tidy-style configuration file, read as --config"),
    cl::value_desc("FILE"), cl::cat(category));
static cl::opt<bool> dumpConfigOpt(
    "dump-config",
    cl::desc("Print the configuration for the first file (or the working directory) and exit"),
    cl::cat(category));
static cl::opt<std::string> warningsAsErrorsOpt(
    "warnings-as-errors",
    cl::desc("Globs of checks whose warnings are errors (exit status 1); appended to the\n"
             "WarningsAsErrors of the .clang-tidy file, if any"),
    cl::cat(category));
static cl::opt<bool> werrorOpt("werror",
                               cl::desc("Every warning is an error: --warnings-as-errors=*"),
                               cl::cat(category));
static cl::opt<std::string> headerFilterOpt(
    "header-filter",
    cl::desc("Regular expression matching the names of the headers to analyse and report\n"
             "on (the main file always is); overrides HeaderFilterRegex"),
    cl::cat(category));
static cl::opt<std::string> excludeHeaderFilterOpt(
    "exclude-header-filter",
    cl::desc("Regular expression matching the names of headers --header-filter must not\n"
             "admit; overrides ExcludeHeaderFilterRegex"),
    cl::cat(category));
static cl::opt<bool> systemHeadersOpt(
    "system-headers",
    cl::desc("Analyse and report on system headers too (those --header-filter admits)"),
    cl::cat(category));
static cl::opt<std::string> lineFilterOpt(
    "line-filter",
    cl::desc("Report only on these files and lines, as JSON:\n"
             "[{\"name\":\"file1.cc\",\"lines\":[[1,3],[5,7]]}, {\"name\":\"file2.h\"}]"),
    cl::cat(category));
static cl::opt<bool> quietOpt(
    "quiet", cl::desc("Do not print the counts of suppressed warnings and of warnings as errors"),
    cl::cat(category));
static cl::opt<bool> allowNoChecksOpt("allow-no-checks",
                                      cl::desc("Run even when no check is enabled (no error)"),
                                      cl::cat(category));
static cl::opt<std::string> formatOpt("format", cl::desc("Output format: text, json or sarif"),
                                      cl::init("text"), cl::cat(category));
static cl::opt<bool> fixOpt("fix", cl::desc("Apply the suggested fixes to the files"),
                            cl::cat(category));
static cl::opt<std::string> exportFixesOpt(
    "export-fixes", cl::desc("Write the fixes as clang-tidy YAML (clang-apply-replacements)"),
    cl::value_desc("FILE"), cl::cat(category));
static cl::opt<unsigned> jobsOpt("j", cl::desc("Files analysed at once (default: all cores)"),
                                 cl::Prefix, cl::init(0), cl::cat(category));
static cl::opt<bool> listChecksOpt("list-checks", cl::desc("List the enabled checks and exit"),
                                   cl::cat(category));
static cl::opt<bool> checkTimingOpt(
    "check-timing", cl::desc("Print the CPU time spent in the checks, per file and check (stderr)"),
    cl::cat(category));
static cl::opt<std::string> colorOpt(
    "use-color", cl::ValueOptional,
    cl::desc("Colours in text output: auto, always (or bare --use-color, true), never (false);\n"
             "overrides UseColor (default: when stdout is a terminal)"),
    cl::cat(category));

namespace {

bool applyFixes(const std::vector<ResolvedFinding>& findings) {
  std::map<std::string, tooling::Replacements> byFile;
  std::set<std::tuple<std::string, unsigned, unsigned, std::string>> seen;
  for (const ResolvedFinding& f : findings)
    for (const ResolvedFix& x : f.fixes) {
      unsigned len = x.end.offset - x.begin.offset;
      if (!seen.insert({x.begin.file, x.begin.offset, len, x.text}).second) continue;
      tooling::Replacement rep(x.begin.file, x.begin.offset, len, x.text);
      if (llvm::Error e = byFile[x.begin.file].add(rep)) {
        llvm::errs() << "weave-lint: skipping a conflicting fix in " << x.begin.file << ": "
                     << llvm::toString(std::move(e)) << "\n";
      }
    }
  bool ok = true;
  for (auto& [file, reps] : byFile) {
    auto buf = llvm::MemoryBuffer::getFile(file);
    if (!buf) {
      llvm::errs() << "weave-lint: cannot read " << file << "\n";
      ok = false;
      continue;
    }
    auto fixed = tooling::applyAllReplacements((*buf)->getBuffer(), reps);
    if (!fixed) {
      llvm::errs() << "weave-lint: cannot apply fixes to " << file << ": "
                   << llvm::toString(fixed.takeError()) << "\n";
      ok = false;
      continue;
    }
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    if (ec) {
      llvm::errs() << "weave-lint: cannot write " << file << ": " << ec.message() << "\n";
      ok = false;
      continue;
    }
    os << *fixed;
    llvm::errs() << "weave-lint: applied " << reps.size() << " fix(es) to " << file << "\n";
  }
  return ok;
}

// The command line's layer of the configuration: what it sets, nothing else.
TidyOptions commandLineOptions() {
  TidyOptions o;
  if (checksOpt.getNumOccurrences()) o.checks = checksOpt;
  if (warningsAsErrorsOpt.getNumOccurrences()) o.warningsAsErrors = warningsAsErrorsOpt;
  if (werrorOpt) o.warningsAsErrors = o.warningsAsErrors ? *o.warningsAsErrors + ",*" : "*";
  if (headerFilterOpt.getNumOccurrences()) o.headerFilterRegex = headerFilterOpt;
  if (excludeHeaderFilterOpt.getNumOccurrences())
    o.excludeHeaderFilterRegex = excludeHeaderFilterOpt;
  if (systemHeadersOpt.getNumOccurrences()) o.systemHeaders = systemHeadersOpt;
  return o;
}

// --use-color's value: nullopt for auto (or absent), else on or off.
llvm::Expected<std::optional<bool>> colorChoice() {
  if (!colorOpt.getNumOccurrences() || colorOpt == "auto") return std::nullopt;
  llvm::StringRef v = colorOpt;
  if (v.empty() || v == "always" || v == "true" || v == "1") return true;
  if (v == "never" || v == "false" || v == "0") return false;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unknown --use-color=%s (auto, always or never)", v.str().c_str());
}

std::string findingKey(const ResolvedFinding& f) {
  std::string key = f.check;
  for (const std::string& part : {f.pos.file, std::to_string(f.pos.offset), f.message})
    key += '\0' + part;
  return key;
}

}  // namespace

int main(int argc, const char** argv) {
  llvm::sys::PrintStackTraceOnErrorSignal(argv[0]);
  cl::SetVersionPrinter([](llvm::raw_ostream& os) {
    os << "weave-lint version " << WEAVE_LINT_VERSION << "\n  built with LLVM "
       << LLVM_VERSION_STRING << "\n";
  });
  auto parser = tooling::CommonOptionsParser::create(
      argc, argv, category, cl::ZeroOrMore,
      "weave-lint: Go-style concurrency checks for weave C++ programs.\n");
  if (!parser) {
    llvm::errs() << llvm::toString(parser.takeError()) << "\n";
    return 2;
  }
  if (formatOpt != "text" && formatOpt != "json" && formatOpt != "sarif") {
    llvm::errs() << "weave-lint: error: unknown --format=" << formatOpt
                 << " (text, json or sarif)\n";
    return 2;
  }
  llvm::Expected<std::optional<bool>> color = colorChoice();
  if (!color) {
    llvm::errs() << "weave-lint: error: " << llvm::toString(color.takeError()) << "\n";
    return 2;
  }

  // The configuration, as clang-tidy takes it (Config.h); what it gets wrong is an error, exit 1.
  if (!configOpt.empty() && !configFileOpt.empty()) {
    llvm::errs() << "Error: --config and --config-file are mutually exclusive. Specify only one.\n";
    return 1;
  }
  std::optional<TidyOptions> explicitConfig;
  if (!configOpt.empty() || !configFileOpt.empty()) {
    std::string text = configOpt, source = "--config";
    if (!configFileOpt.empty()) {
      auto buffer = llvm::MemoryBuffer::getFile(configFileOpt);
      if (!buffer) {
        llvm::errs() << "Error: cannot read config file '" << configFileOpt
                     << "': " << buffer.getError().message() << "\n";
        return 1;
      }
      text = (*buffer)->getBuffer().str();
      source = configFileOpt;
    }
    llvm::Expected<TidyOptions> parsed = parseTidyOptions(text, source);
    if (!parsed) {
      llvm::errs() << "Error: invalid configuration specified.\n"
                   << llvm::toString(parsed.takeError()) << "\n";
      return 1;
    }
    explicitConfig = std::move(*parsed);
    if (explicitConfig->checks)
      for (const std::string& name : unknownWeaveChecks(*explicitConfig->checks))
        llvm::errs() << "weave-lint: warning: unknown check '" << name << "' in " << source << "\n";
  }
  llvm::Expected<LineFilter> lineFilter = LineFilter::parse(lineFilterOpt);
  if (!lineFilter) {
    llvm::errs() << "Error: invalid LineFilter: " << llvm::toString(lineFilter.takeError()) << "\n";
    return 1;
  }
  TidyOptions overrides = commandLineOptions();
  if (overrides.checks)
    for (const std::string& name : unknownWeaveChecks(*overrides.checks)) {
      llvm::errs() << "weave-lint: warning: unknown check '" << name << "' in --checks";
      llvm::StringRef closest;
      unsigned best = 4;  // suggest only a near miss
      for (const CheckInfo& c : allChecks())
        if (unsigned d = llvm::StringRef(c.name).edit_distance(name); d < best) {
          best = d;
          closest = c.name;
        }
      if (!closest.empty()) llvm::errs() << "; did you mean '" << closest << "'?";
      llvm::errs() << "\n";
    }
  TidyOptions defaults;
  defaults.checks = "weave-*";
  defaults.warningsAsErrors = "";
  defaults.headerFilterRegex = "";
  defaults.excludeHeaderFilterRegex = "";
  defaults.systemHeaders = false;
  std::mutex warnMu;
  ConfigProvider configs(defaults, explicitConfig, overrides, [&](const std::string& w) {
    std::lock_guard<std::mutex> lock(warnMu);
    llvm::errs() << "weave-lint: warning: " << w << "\n";
  });

  std::vector<std::string> files = parser->getSourcePathList();
  std::unique_ptr<tooling::CompilationDatabase> wholeDb;
  if (files.empty() && !dumpConfigOpt && !listChecksOpt) {
    // CommonOptionsParser loads no database when it is given no files: with -p, every file of
    // the database is the input.
    std::string buildDir;
    for (int i = 1; i < argc; ++i) {
      llvm::StringRef a(argv[i]);
      if (a == "--") break;
      if ((a == "-p" || a == "--p") && i + 1 < argc)
        buildDir = argv[++i];
      else if (a.consume_front("-p=") || a.consume_front("--p="))
        buildDir = a.str();
    }
    if (!buildDir.empty()) {
      std::string error;
      wholeDb = tooling::CompilationDatabase::autoDetectFromDirectory(buildDir, error);
      if (!wholeDb) {
        llvm::errs() << "weave-lint: error: " << error << "\n";
        return 2;
      }
      files = wholeDb->getAllFiles();
    }
  }

  // The first file's configuration (or the working directory's) answers the questions about the
  // whole run: what to dump, what to list, whether any check is on, the colours.
  llvm::SmallString<256> first(files.empty() ? "dummy" : files.front());
  llvm::sys::fs::make_absolute(first);
  llvm::Expected<TidyOptions> effective = configs.optionsFor(first);
  if (!effective) {
    llvm::errs() << "Error: " << llvm::toString(effective.takeError()) << "\n";
    return 1;
  }
  if (dumpConfigOpt) {
    dumpTidyOptions(llvm::outs(), *effective);
    return 0;
  }
  CheckFilter enabled(effective->checks.value_or(""));
  std::vector<const char*> names;
  for (const CheckInfo& c : allChecks())
    if (enabled.enabled(c.name)) names.push_back(c.name);
  if (listChecksOpt) {
    if (names.empty() && !allowNoChecksOpt) {
      llvm::errs() << "No checks enabled.\n";
      return 1;
    }
    for (const char* n : names) llvm::outs() << n << "\n";
    return 0;
  }
  if (names.empty() && !allowNoChecksOpt) {
    llvm::errs() << "Error: no checks enabled (Checks: '" << effective->checks.value_or("")
                 << "'; weave-lint's checks are weave-*).\n";
    return 1;
  }
  if (files.empty()) {
    llvm::errs() << "weave-lint: error: no input files (give FILES, or -p BUILD_DIR)\n";
    return 2;
  }
  const tooling::CompilationDatabase& db = wholeDb ? *wholeDb : parser->getCompilations();

  std::vector<FileSettings> settings;
  for (const std::string& f : files) {
    llvm::Expected<TidyOptions> o = configs.optionsFor(f);
    llvm::Expected<FileSettings> s =
        o ? FileSettings::from(*o) : llvm::Expected<FileSettings>(o.takeError());
    if (!s) {
      llvm::errs() << "Error: " << llvm::toString(s.takeError()) << "\n";
      return 1;
    }
    settings.push_back(std::move(*s));
  }
  RunSettings run;
  run.format = formatOpt;
  run.checkTiming = checkTimingOpt;
  run.lineFilter = &*lineFilter;
  std::optional<bool> useColor = *color ? *color : effective->useColor;
  run.color = useColor ? *useColor : llvm::sys::Process::StandardOutIsDisplayed();
  bool progress = files.size() > 1 && llvm::sys::Process::StandardErrIsDisplayed();

  std::vector<FileResult> results(files.size());
  std::vector<bool> done(files.size(), false);
  size_t printed = 0, finished = 0;
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::vector<ResolvedFinding> all;
  std::vector<AnalysisFailure> failures;
  SuppressionStats suppressed;
  std::set<std::string> seen;
  // Output follows the order of the files, whatever order they finish in. A finding already
  // shown (a header's, from another file that includes it) is shown once.
  auto flush = [&] {
    while (printed < files.size() && done[printed]) {
      FileResult& r = results[printed];
      llvm::errs() << r.errors;
      if (r.failed) failures.push_back({files[printed], r.failure});
      suppressed.add(r.suppressed);
      for (ShownFinding& s : r.findings) {
        if (!seen.insert(findingKey(s.finding)).second) continue;
        llvm::outs() << s.text;
        all.push_back(std::move(s.finding));
      }
      r = FileResult();
      ++printed;
      llvm::outs().flush();
      llvm::errs().flush();
    }
  };
  auto worker = [&] {
    for (size_t i; (i = next++) < files.size();) {
      FileResult r = lintFile(db, files[i], run, settings[i]);
      std::lock_guard<std::mutex> lock(mu);
      results[i] = std::move(r);
      done[i] = true;
      if (progress)
        llvm::errs() << "[" << ++finished << "/" << files.size() << "] " << files[i] << "\n";
      flush();
    }
  };
  unsigned jobs = jobsOpt ? jobsOpt : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<size_t>(jobs, files.size());
  if (jobs <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }

  llvm::SmallString<256> cwd;
  llvm::sys::fs::current_path(cwd);
  if (run.format == "json") writeJson(llvm::outs(), all);
  if (run.format == "sarif") writeSarif(llvm::outs(), all, failures, std::string(cwd));
  llvm::outs().flush();
  bool failed = !failures.empty();
  if (!exportFixesOpt.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(exportFixesOpt, ec);
    if (ec) {
      llvm::errs() << "weave-lint: cannot write " << exportFixesOpt << ": " << ec.message() << "\n";
      return 2;
    }
    llvm::SmallString<256> main(files.front());
    llvm::sys::fs::make_absolute(main);
    writeExportFixes(os, all, std::string(main), std::string(cwd));
  }
  if (fixOpt && !applyFixes(all)) failed = true;
  size_t errors = std::count_if(all.begin(), all.end(), [](auto& f) { return f.error; });
  if (!quietOpt) {
    llvm::errs() << suppressed.summary();
    if (errors)
      llvm::errs() << errors
                   << (errors == 1 ? " warning treated as error\n"
                                   : " warnings treated as errors\n");
  }
  if (failed) return 2;
  return errors ? 1 : 0;
}
