// weave-lint, the standalone front end: command line, compilation databases, running the checks
// over files N at a time, NOLINT filtering, Clang-format text diagnostics, JSON/SARIF output,
// applying and exporting fixes, and clang-tidy's exit statuses.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <time.h>

#include "clang/AST/ASTConsumer.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/CommonOptionsParser.h"
#include "clang/Tooling/Core/Replacement.h"
#include "clang/Tooling/Tooling.h"
#include "lib/CheckRegistry.h"
#include "lib/Nolint.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "tool/Output.h"

using namespace clang;
using namespace weave::lint;
namespace cl = llvm::cl;

static cl::OptionCategory category("weave-lint options");
static cl::opt<std::string> checksOpt(
    "checks", cl::desc("Comma-separated globs of checks to run; '-' removes (default: weave-*)"),
    cl::init("weave-*"), cl::cat(category));
static cl::opt<std::string> formatOpt("format", cl::desc("Output format: text, json or sarif"),
                                      cl::init("text"), cl::cat(category));
static cl::opt<bool> fixOpt("fix", cl::desc("Apply the suggested fixes to the files"),
                            cl::cat(category));
static cl::opt<std::string> exportFixesOpt(
    "export-fixes", cl::desc("Write the fixes as clang-tidy YAML (clang-apply-replacements)"),
    cl::value_desc("FILE"), cl::cat(category));
static cl::opt<unsigned> jobsOpt("j", cl::desc("Files analysed at once (default: all cores)"),
                                 cl::Prefix, cl::init(0), cl::cat(category));
static cl::opt<bool> werrorOpt("werror", cl::desc("Exit with status 1 if there is a finding"),
                               cl::cat(category));
static cl::opt<bool> listChecksOpt("list-checks", cl::desc("List the enabled checks and exit"),
                                   cl::cat(category));
static cl::opt<bool> statsOpt(
    "check-timing", cl::desc("Print the CPU time spent in the checks, per file and check (stderr)"),
    cl::cat(category));
static cl::opt<std::string> colorOpt("use-color",
                                     cl::desc("Colours in text output: auto|always|never"),
                                     cl::init("auto"), cl::cat(category));

namespace {

struct FileResult {
  std::string text;    // rendered findings (text format)
  std::string errors;  // the compiler's errors
  std::vector<ResolvedFinding> findings;
  bool failed = false;
};

// The compiler's own diagnostics: errors (and their notes) only. Warnings are the compiler's
// business; a build already shows them.
class ErrorPrinter : public DiagnosticConsumer {
 public:
  ErrorPrinter(llvm::raw_ostream& os, DiagnosticOptions* opts) : printer_(os, opts) {}
  void BeginSourceFile(const LangOptions& lo, const Preprocessor* pp) override {
    printer_.BeginSourceFile(lo, pp);
  }
  void EndSourceFile() override { printer_.EndSourceFile(); }
  void HandleDiagnostic(DiagnosticsEngine::Level level, const Diagnostic& info) override {
    DiagnosticConsumer::HandleDiagnostic(level, info);
    if (level >= DiagnosticsEngine::Error) {
      showing_ = true;
      printer_.HandleDiagnostic(level, info);
    } else if (level == DiagnosticsEngine::Note) {
      if (showing_) printer_.HandleDiagnostic(level, info);
    } else {
      showing_ = false;
    }
  }

 private:
  TextDiagnosticPrinter printer_;
  bool showing_ = false;
};

class CollectingReporter : public Reporter {
 public:
  void report(Finding f) override { findings.push_back(std::move(f)); }
  std::vector<Finding> findings;
};

struct Settings {
  CheckFilter filter{"weave-*"};
  std::string format;
  bool color = false;
  bool stats = false;
};

class LintConsumer : public ASTConsumer {
 public:
  LintConsumer(CompilerInstance& ci, const Settings& s, FileResult& out)
      : ci_(ci), settings_(s), out_(out) {}

  void HandleTranslationUnit(ASTContext& ctx) override {
    if (ci_.getDiagnostics().hasErrorOccurred()) return;
    CollectingReporter reporter;
    // CPU time of this thread: the checks run on it alone, and other processes (or -j's other
    // files) do not stretch it as they stretch the wall clock.
    auto cpuMs = [] {
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    };
    double total = 0;
    std::string perCheck;
    for (const CheckInfo& info : allChecks()) {
      if (!settings_.filter.enabled(info.name)) continue;
      double start = cpuMs();
      info.make()->checkTranslationUnit(ctx, reporter);
      double ms = cpuMs() - start;
      total += ms;
      perCheck += llvm::formatv("{0}{1} {2:f3}", perCheck.empty() ? "" : ", ", info.name, ms);
    }
    if (settings_.stats)
      llvm::raw_string_ostream(out_.errors)
          << "weave-lint: " << ci_.getFrontendOpts().Inputs[0].getFile() << ": checks took "
          << llvm::format("%.3f", total) << " ms CPU (" << perCheck << ")\n";
    const SourceManager& sm = ctx.getSourceManager();
    std::vector<Finding> kept;
    for (Finding& f : reporter.findings)
      if (!isSuppressedByNolint(sm, f.loc, f.check)) kept.push_back(std::move(f));
    std::stable_sort(kept.begin(), kept.end(), [&](const Finding& a, const Finding& b) {
      return sm.isBeforeInTranslationUnit(sm.getFileLoc(a.loc), sm.getFileLoc(b.loc));
    });
    for (const Finding& f : kept) out_.findings.push_back(resolve(f, sm, ctx.getLangOpts()));
    if (settings_.format == "text") render(kept, ctx);
  }

 private:
  // Findings go through a DiagnosticsEngine of their own so they look exactly like Clang's
  // (caret, ranges, fix-it lines, colours) whatever -W flags the compile command carries.
  void render(const std::vector<Finding>& findings, ASTContext& ctx) {
    llvm::raw_string_ostream os(out_.text);
    os.enable_colors(settings_.color);
    IntrusiveRefCntPtr<DiagnosticOptions> opts(new DiagnosticOptions());
    opts->ShowColors = settings_.color;
    TextDiagnosticPrinter printer(os, opts.get());
    DiagnosticsEngine engine(new DiagnosticIDs(), opts, &printer, false);
    const SourceManager& sm = ctx.getSourceManager();
    engine.setSourceManager(&ctx.getSourceManager());
    printer.BeginSourceFile(ctx.getLangOpts(), &ci_.getPreprocessor());
    unsigned warning = engine.getCustomDiagID(DiagnosticsEngine::Warning, "%0 [%1]");
    unsigned note = engine.getCustomDiagID(DiagnosticsEngine::Note, "%0");
    for (const Finding& f : findings) {
      {
        DiagnosticBuilder db = engine.Report(f.loc, warning);
        db << f.message << f.check;
        // A fix-it that starts on another line (the #include a fix may need) would make Clang
        // print every line in between; the fix is still applied and exported.
        for (const FixItHint& h : f.fixes)
          if (sm.getExpansionLineNumber(h.RemoveRange.getBegin()) ==
              sm.getExpansionLineNumber(f.loc))
            db << h;
      }
      for (const Note& n : f.notes) engine.Report(n.loc, note) << n.message;
      // Clang does not draw insertions that span lines; say what --fix would insert instead.
      for (const FixItHint& h : f.fixes)
        if (llvm::StringRef(h.CodeToInsert).contains('\n') && h.RemoveRange.isValid())
          engine.Report(h.RemoveRange.getBegin(), note)
              << ("--fix inserts '" + llvm::StringRef(h.CodeToInsert).trim().str() + "' here");
    }
    printer.EndSourceFile();
  }

  CompilerInstance& ci_;
  const Settings& settings_;
  FileResult& out_;
};

class LintAction : public ASTFrontendAction {
 public:
  LintAction(const Settings& s, FileResult& out) : settings_(s), out_(out) {}
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance& ci, llvm::StringRef) override {
    return std::make_unique<LintConsumer>(ci, settings_, out_);
  }

 private:
  const Settings& settings_;
  FileResult& out_;
};

class LintActionFactory : public tooling::FrontendActionFactory {
 public:
  LintActionFactory(const Settings& s, FileResult& out) : settings_(s), out_(out) {}
  std::unique_ptr<FrontendAction> create() override {
    return std::make_unique<LintAction>(settings_, out_);
  }

 private:
  const Settings& settings_;
  FileResult& out_;
};

// The compile command, made fit for analysis: -Werror would turn the build's warnings into
// failures to analyse, the compiler's warnings are not ours to show (-w), and Clang's builtin
// headers live with the installed compiler, not next to this binary.
tooling::CommandLineArguments adjust(const tooling::CommandLineArguments& args, llvm::StringRef) {
  tooling::CommandLineArguments out;
  bool hasResourceDir = false;
  for (const std::string& a : args) {
    llvm::StringRef s(a);
    if (s == "-Werror" || s.starts_with("-Werror=") || s == "-pedantic-errors") continue;
    if (s.starts_with("-resource-dir")) hasResourceDir = true;
    out.push_back(a);
  }
  out.push_back("-w");
  // The compiler's "N errors generated." line would come unordered with the buffered errors.
  out.push_back("-fno-caret-diagnostics");
  if (!hasResourceDir) out.push_back("-resource-dir=" WEAVE_CLANG_RESOURCE_DIR);
  return out;
}

FileResult lintFile(const tooling::CompilationDatabase& db, const std::string& file,
                    const Settings& settings) {
  FileResult result;
  llvm::raw_string_ostream errs(result.errors);
  errs.enable_colors(settings.color);
  IntrusiveRefCntPtr<DiagnosticOptions> opts(new DiagnosticOptions());
  opts->ShowColors = settings.color;
  ErrorPrinter errors(errs, opts.get());
  // A file system of its own, with its own working directory: ClangTool moves into each compile
  // command's directory and back, and on the process-wide file system two files linted at once
  // (-j) moved each other, so a file's name sometimes stayed relative in the findings.
  tooling::ClangTool tool(db, {file}, std::make_shared<PCHContainerOperations>(),
                          llvm::vfs::createPhysicalFileSystem());
  tool.appendArgumentsAdjuster(adjust);
  tool.setDiagnosticConsumer(&errors);
  tool.setPrintErrorMessage(false);
  LintActionFactory factory(settings, result);
  int status = tool.run(&factory);
  if (status != 0 || errors.getNumErrors() > 0) {
    result.failed = true;
    errs << "weave-lint: error: " << file << " could not be analysed"
         << (errors.getNumErrors() ? " (it does not compile)" : "") << "\n";
  }
  return result;
}

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

}  // namespace

int main(int argc, const char** argv) {
  llvm::sys::PrintStackTraceOnErrorSignal(argv[0]);
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    if (a == "--") break;
    if (a == "--list-checks" || a == "-list-checks") {
      // Parse just the --checks filter; no compilation database is needed to list checks.
      std::string globs = "weave-*";
      for (int j = 1; j < argc; ++j) {
        llvm::StringRef b(argv[j]);
        if (b.consume_front("--checks=") || b.consume_front("-checks=")) globs = b.str();
      }
      CheckFilter filter(globs);
      for (const CheckInfo& c : allChecks())
        if (filter.enabled(c.name)) llvm::outs() << c.name << "\n";
      return 0;
    }
  }
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
  Settings settings;
  settings.filter = CheckFilter(checksOpt);
  settings.format = formatOpt;
  settings.stats = statsOpt;
  settings.color =
      colorOpt == "always" || (colorOpt == "auto" && llvm::sys::Process::StandardOutIsDisplayed());

  std::vector<std::string> files = parser->getSourcePathList();
  std::unique_ptr<tooling::CompilationDatabase> wholeDb;
  if (files.empty()) {
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
  const tooling::CompilationDatabase& db = wholeDb ? *wholeDb : parser->getCompilations();
  if (files.empty()) {
    llvm::errs() << "weave-lint: error: no input files (give FILES, or -p BUILD_DIR)\n";
    return 2;
  }

  std::vector<FileResult> results(files.size());
  std::vector<bool> done(files.size(), false);
  size_t printed = 0;
  std::mutex mu;
  std::atomic<size_t> next{0};
  // Output follows the order of the files, whatever order they finish in.
  auto flush = [&] {
    while (printed < files.size() && done[printed]) {
      FileResult& r = results[printed++];
      llvm::errs() << r.errors;
      if (settings.format == "text") llvm::outs() << r.text;
      llvm::outs().flush();
      llvm::errs().flush();
    }
  };
  auto worker = [&] {
    for (size_t i; (i = next++) < files.size();) {
      FileResult r = lintFile(db, files[i], settings);
      std::lock_guard<std::mutex> lock(mu);
      results[i] = std::move(r);
      done[i] = true;
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

  std::vector<ResolvedFinding> all;
  bool failed = false;
  for (FileResult& r : results) {
    failed = failed || r.failed;
    for (ResolvedFinding& f : r.findings) all.push_back(std::move(f));
  }
  llvm::SmallString<256> cwd;
  llvm::sys::fs::current_path(cwd);
  if (settings.format == "json") writeJson(llvm::outs(), all);
  if (settings.format == "sarif") writeSarif(llvm::outs(), all, std::string(cwd));
  llvm::outs().flush();
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
  if (failed) return 2;
  if (werrorOpt && !all.empty()) return 1;
  return 0;
}
