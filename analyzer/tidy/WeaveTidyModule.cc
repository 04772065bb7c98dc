// The clang-tidy front end: a module that offers every weave check to clang-tidy (and so to any
// tool that loads clang-tidy modules). Each check is the same Check object weave-lint runs; this
// adapter only turns its Findings into clang-tidy diagnostics, and tells the checks which headers
// clang-tidy's header filter lets through (they analyse those too). clang-tidy applies its own
// NOLINT, filters, --fix and output handling.
#include "ClangTidyCheck.h"
#include "ClangTidyModule.h"
#include "ClangTidyModuleRegistry.h"
#include "ClangTidyOptions.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "lib/AnalysisScope.h"
#include "lib/CheckRegistry.h"

namespace weave::lint {
namespace {
using namespace clang;

class TidyAdapter : public tidy::ClangTidyCheck, private Reporter {
 public:
  TidyAdapter(llvm::StringRef name, tidy::ClangTidyContext* ctx, const CheckInfo& info)
      : ClangTidyCheck(name, ctx), context_(ctx), impl_(info.make()) {}

  bool isLanguageVersionSupported(const LangOptions& lo) const override { return lo.CPlusPlus; }

  // The checks look at the whole translation unit at once; one match on it hands it over.
  void registerMatchers(ast_matchers::MatchFinder* finder) override {
    finder->addMatcher(ast_matchers::translationUnitDecl().bind("tu"), this);
  }

  void check(const ast_matchers::MatchFinder::MatchResult& result) override {
    const tidy::ClangTidyOptions& o = context_->getOptions();
    std::optional<llvm::Regex> include, exclude;
    if (!o.HeaderFilterRegex.value_or("").empty()) include.emplace(*o.HeaderFilterRegex);
    if (!o.ExcludeHeaderFilterRegex.value_or("").empty())
      exclude.emplace(*o.ExcludeHeaderFilterRegex);
    HeaderFilterAdmission headers(include ? &*include : nullptr, exclude ? &*exclude : nullptr,
                                  o.SystemHeaders.value_or(false));
    ScopedHeaderAdmission scope(&headers);
    impl_->checkTranslationUnit(*result.Context, *this);
  }

 private:
  void report(Finding f) override {
    {
      DiagnosticBuilder db = diag(f.loc, "%0") << f.message;
      for (const FixItHint& h : f.fixes) db << h;
    }
    for (const Note& n : f.notes) diag(n.loc, "%0", DiagnosticIDs::Note) << n.message;
  }

  tidy::ClangTidyContext* context_;
  std::unique_ptr<Check> impl_;
};

class WeaveModule : public tidy::ClangTidyModule {
 public:
  void addCheckFactories(tidy::ClangTidyCheckFactories& factories) override {
    for (const CheckInfo& info : allChecks())
      factories.registerCheckFactory(info.name,
                                     [&info](llvm::StringRef name, tidy::ClangTidyContext* ctx) {
                                       return std::make_unique<TidyAdapter>(name, ctx, info);
                                     });
  }
};

}  // namespace
}  // namespace weave::lint

static clang::tidy::ClangTidyModuleRegistry::Add<weave::lint::WeaveModule> registration(
    "weave-module", "Go-style concurrency checks for weave programs.");
