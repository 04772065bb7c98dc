// The front end's compile-and-check of one file (see Lint.h).
#include "tool/Lint.h"

#include <time.h>

#include <algorithm>

#include "clang/AST/ASTConsumer.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/Tooling.h"
#include "lib/Nolint.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/VirtualFileSystem.h"

namespace weave::lint {
using namespace clang;

namespace {

// The compiler's own diagnostics: errors (and their notes) only. Warnings are the compiler's
// business; a build already shows them. The first error is kept as the one-line reason the file
// could not be analysed.
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
      if (first_.empty()) {
        llvm::SmallString<128> message;
        info.FormatDiagnostic(message);
        first_ = std::string(message);
        if (info.hasSourceManager() && info.getLocation().isValid()) {
          PresumedLoc p = info.getSourceManager().getPresumedLoc(info.getLocation());
          if (p.isValid())
            first_ = std::string(p.getFilename()) + ":" + std::to_string(p.getLine()) + ":" +
                     std::to_string(p.getColumn()) + ": " + first_;
        }
      }
    } else if (level == DiagnosticsEngine::Note) {
      if (showing_) printer_.HandleDiagnostic(level, info);
    } else {
      showing_ = false;
    }
  }
  const std::string& firstError() const { return first_; }

 private:
  TextDiagnosticPrinter printer_;
  bool showing_ = false;
  std::string first_;
};

// CPU time of this thread: what the checks cost, whatever else the machine (or -j) runs.
double threadCpuMs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

class CollectingReporter : public Reporter {
 public:
  void report(Finding f) override { findings.push_back(std::move(f)); }
  std::vector<Finding> findings;
};

class LintConsumer : public ASTConsumer {
 public:
  LintConsumer(CompilerInstance& ci, const RunSettings& run, const FileSettings& settings,
               FileResult& out)
      : ci_(ci), run_(run), settings_(settings), out_(out) {}

  void HandleTranslationUnit(ASTContext& ctx) override {
    if (ci_.getDiagnostics().hasErrorOccurred()) return;
    HeaderFilterAdmission headers = settings_.headers();
    CollectingReporter reporter;
    double total = 0;
    std::string perCheck;  // "name ms, name ms": which check costs what
    {
      ScopedHeaderAdmission scope(&headers);
      llvm::raw_string_ostream each(perCheck);
      for (const CheckInfo& info : allChecks()) {
        if (!settings_.checks.enabled(info.name)) continue;
        double start = threadCpuMs();
        info.make()->checkTranslationUnit(ctx, reporter);
        double ms = threadCpuMs() - start;
        total += ms;
        each << (perCheck.empty() ? "" : ", ") << info.name << " " << llvm::format("%.3f", ms);
      }
    }
    llvm::raw_string_ostream errs(out_.errors);
    if (run_.checkTiming)
      errs << "weave-lint: " << ci_.getFrontendOpts().Inputs[0].getFile() << ": checks took "
           << llvm::format("%.3f", total) << " ms CPU (" << perCheck << ")\n";
    // As the compiler counts them: every warning the checks made, shown or not.
    size_t made = reporter.findings.size();
    if (made) errs << made << (made == 1 ? " warning" : " warnings") << " generated.\n";

    const SourceManager& sm = ctx.getSourceManager();
    NolintIndex nolint(sm);
    std::vector<Finding> kept;
    for (Finding& f : reporter.findings)
      if (shown(f, sm, headers, nolint)) kept.push_back(std::move(f));
    std::stable_sort(kept.begin(), kept.end(), [&](const Finding& a, const Finding& b) {
      return sm.isBeforeInTranslationUnit(sm.getFileLoc(a.loc), sm.getFileLoc(b.loc));
    });
    for (const Finding& f : kept) {
      ShownFinding s{resolve(f, sm, ctx.getLangOpts()), {}};
      s.finding.error = settings_.warningsAsErrors.enabled(f.check);
      if (run_.format == "text") s.text = render(f, s.finding.error, ctx);
      out_.findings.push_back(std::move(s));
    }
  }

 private:
  bool shown(const Finding& f, const SourceManager& sm, const HeaderAdmission& headers,
             NolintIndex& nolint) {
    if (nolint.suppresses(f.loc, f.check)) {
      ++out_.suppressed.nolint;
      return false;
    }
    auto anyLocation = [&](auto&& pred) {
      if (pred(f.loc)) return true;
      for (const Note& n : f.notes)
        if (pred(n.loc)) return true;
      return false;
    };
    if (!anyLocation([&](SourceLocation l) { return headers.covers(sm, l); })) {
      ++out_.suppressed.nonUserCode;
      return false;
    }
    if (run_.lineFilter && !anyLocation([&](SourceLocation l) {
          if (l.isInvalid()) return false;
          SourceLocation e = sm.getExpansionLoc(l);
          OptionalFileEntryRef file = sm.getFileEntryRefForID(sm.getFileID(e));
          return file && run_.lineFilter->passes(file->getName(), sm.getExpansionLineNumber(e));
        })) {
      ++out_.suppressed.lineFilter;
      return false;
    }
    return true;
  }

  // One finding through a DiagnosticsEngine of its own, so that it looks exactly like Clang's
  // (caret, ranges, fix-it lines, colours, the include stack of a header) whatever -W flags the
  // compile command carries, and stands alone when a run drops it as another file's duplicate.
  std::string render(const Finding& f, bool error, ASTContext& ctx) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os.enable_colors(run_.color);
    IntrusiveRefCntPtr<DiagnosticOptions> opts(new DiagnosticOptions());
    opts->ShowColors = run_.color;
    TextDiagnosticPrinter printer(os, opts.get());
    DiagnosticsEngine engine(new DiagnosticIDs(), opts, &printer, false);
    const SourceManager& sm = ctx.getSourceManager();
    engine.setSourceManager(&ctx.getSourceManager());
    printer.BeginSourceFile(ctx.getLangOpts(), &ci_.getPreprocessor());
    unsigned id = engine.getCustomDiagID(
        error ? DiagnosticsEngine::Error : DiagnosticsEngine::Warning, "%0 [%1]");
    unsigned note = engine.getCustomDiagID(DiagnosticsEngine::Note, "%0");
    {
      DiagnosticBuilder db = engine.Report(f.loc, id);
      db << f.message << (error ? f.check + ",-warnings-as-errors" : f.check);
      // A fix-it that starts on another line (the #include a fix may need) would make Clang
      // print every line in between; the fix is still applied and exported.
      for (const FixItHint& h : f.fixes)
        if (sm.getExpansionLineNumber(h.RemoveRange.getBegin()) == sm.getExpansionLineNumber(f.loc))
          db << h;
    }
    for (const Note& n : f.notes) engine.Report(n.loc, note) << n.message;
    // Clang does not draw insertions that span lines; say what --fix would insert instead.
    for (const FixItHint& h : f.fixes)
      if (llvm::StringRef(h.CodeToInsert).contains('\n') && h.RemoveRange.isValid())
        engine.Report(h.RemoveRange.getBegin(), note)
            << ("--fix inserts '" + llvm::StringRef(h.CodeToInsert).trim().str() + "' here");
    printer.EndSourceFile();
    return text;
  }

  CompilerInstance& ci_;
  const RunSettings& run_;
  const FileSettings& settings_;
  FileResult& out_;
};

class LintAction : public ASTFrontendAction {
 public:
  LintAction(const RunSettings& run, const FileSettings& settings, FileResult& out)
      : run_(run), settings_(settings), out_(out) {}
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance& ci, llvm::StringRef) override {
    return std::make_unique<LintConsumer>(ci, run_, settings_, out_);
  }

 private:
  const RunSettings& run_;
  const FileSettings& settings_;
  FileResult& out_;
};

class LintActionFactory : public tooling::FrontendActionFactory {
 public:
  LintActionFactory(const RunSettings& run, const FileSettings& settings, FileResult& out)
      : run_(run), settings_(settings), out_(out) {}
  std::unique_ptr<FrontendAction> create() override {
    return std::make_unique<LintAction>(run_, settings_, out_);
  }

 private:
  const RunSettings& run_;
  const FileSettings& settings_;
  FileResult& out_;
};

// The compile command, made fit for analysis: -Werror would turn the build's warnings into
// failures to analyse, the compiler's warnings are not ours to show (-w), and Clang's builtin
// headers live with the installed compiler, not next to this binary. What is added goes before
// a `--` (after which everything is an input file, as in an interpolated command for a file the
// database does not list).
tooling::CommandLineArguments adjust(const tooling::CommandLineArguments& args, llvm::StringRef) {
  tooling::CommandLineArguments out;
  bool hasResourceDir = false;
  auto inputs = std::find(args.begin(), args.end(), "--");
  for (auto it = args.begin(); it != inputs; ++it) {
    llvm::StringRef s(*it);
    if (s == "-Werror" || s.starts_with("-Werror=") || s == "-pedantic-errors") continue;
    if (s.starts_with("-resource-dir")) hasResourceDir = true;
    out.push_back(*it);
  }
  out.push_back("-w");
  // The compiler's "N errors generated." line would come unordered with the buffered errors.
  out.push_back("-fno-caret-diagnostics");
  if (!hasResourceDir) out.push_back("-resource-dir=" WEAVE_CLANG_RESOURCE_DIR);
  out.insert(out.end(), inputs, args.end());
  return out;
}

}  // namespace

FileResult lintFile(const tooling::CompilationDatabase& db, const std::string& file,
                    const RunSettings& run, const FileSettings& settings) {
  FileResult result;
  llvm::raw_string_ostream errs(result.errors);
  errs.enable_colors(run.color);
  // Said once, here: the compiler would add that it has no input, and no compile job.
  if (!llvm::sys::fs::exists(file)) {
    result.failed = true;
    result.failure = "no such file or directory: '" + file + "'";
    errs << "weave-lint: error: " << result.failure << "\n";
    return result;
  }
  IntrusiveRefCntPtr<DiagnosticOptions> opts(new DiagnosticOptions());
  opts->ShowColors = run.color;
  ErrorPrinter errors(errs, opts.get());
  // A file system of its own, with its own working directory: ClangTool moves into each compile
  // command's directory and back, and on the process-wide file system two files linted at once
  // (-j) moved each other, so a file's name sometimes stayed relative in the findings.
  tooling::ClangTool tool(db, {file}, std::make_shared<PCHContainerOperations>(),
                          llvm::vfs::createPhysicalFileSystem());
  tool.appendArgumentsAdjuster(adjust);
  tool.setDiagnosticConsumer(&errors);
  tool.setPrintErrorMessage(false);
  LintActionFactory factory(run, settings, result);
  int status = tool.run(&factory);
  if (status != 0 || errors.getNumErrors() > 0) {
    result.failed = true;
    result.failure = errors.getNumErrors() ? "it does not compile: " + errors.firstError()
                                           : std::string("the compiler could not be run on it");
    errs << "weave-lint: error: " << file << " could not be analysed"
         << (errors.getNumErrors() ? " (it does not compile)" : "") << "\n";
  }
  return result;
}

}  // namespace weave::lint
