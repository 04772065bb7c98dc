// The docs and the public headers name the same API. Clang parses every public header
// (runtime/include/weave/*.h, not detail/) and lists what they declare for users: the names at
// namespace scope in weave and its nested namespaces other than detail (as weave::name), the
// public members of those classes (as Class::member, found in the docs as `.member`,
// `->member` or `::member`), and the WEAVE_ macros. Every one must be mentioned somewhere in
// README.md or docs/ (recursively), and every weave::name the docs mention must be declared by
// a public header or be one of the CMake package's targets. Every environment variable the
// runtime reads (getenv("WEAVE_…") in runtime/) is documented too, and every link of the docs
// stays in the repository and names a file that exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Lex/PPCallbacks.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Tooling/Tooling.h"

namespace fs = std::filesystem;

namespace {

struct PublicApi {
  std::set<std::string> qualified;  // weave::Chan, weave::debug::find_leaks, weave::debug
  std::set<std::string> members;    // Chan::send
  std::set<std::string> macros;     // WEAVE_GUARDED_BY
};

bool in_public_header(const clang::SourceManager& sm, clang::SourceLocation loc) {
  if (loc.isInvalid()) return false;
  auto file = sm.getFilename(sm.getSpellingLoc(loc));
  fs::path p(file.str());
  return p.parent_path() == fs::path(WEAVE_PUBLIC_HEADERS) && p.extension() == ".h";
}

// "weave::debug::find_leaks" for a declaration whose enclosing contexts are all named namespaces
// from weave down, none of them detail; "" otherwise.
std::string public_qualified_name(const clang::DeclContext* dc, const std::string& name) {
  std::vector<std::string> parts{name};
  for (; dc && !dc->isTranslationUnit(); dc = dc->getParent()) {
    const auto* ns = llvm::dyn_cast<clang::NamespaceDecl>(dc);
    if (!ns || ns->isAnonymousNamespace() || ns->getName() == "detail") return "";
    parts.push_back(ns->getName().str());
  }
  if (parts.size() < 2 || parts.back() != "weave") return "";
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : "::") + *it;
  return out;
}

class Collector : public clang::RecursiveASTVisitor<Collector> {
 public:
  Collector(const clang::SourceManager& sm, PublicApi& api) : sm_(sm), api_(api) {}

  bool VisitNamedDecl(clang::NamedDecl* d) {
    if (!in_public_header(sm_, d->getLocation()) || !d->getIdentifier()) return true;
    if (llvm::isa<clang::TemplateTypeParmDecl, clang::NonTypeTemplateParmDecl,
                  clang::TemplateTemplateParmDecl, clang::ParmVarDecl, clang::NamespaceDecl>(d))
      return true;
    const auto* dc = d->getDeclContext();
    if (const auto* rec = llvm::dyn_cast<clang::CXXRecordDecl>(dc)) {
      if (d->getAccess() != clang::AS_public || d->isImplicit() ||
          llvm::isa<clang::CXXConstructorDecl, clang::CXXDestructorDecl>(d) ||
          public_qualified_name(rec->getDeclContext(), rec->getNameAsString()).empty())
        return true;
      api_.members.insert(rec->getNameAsString() + "::" + d->getNameAsString());
      return true;
    }
    if (llvm::isa<clang::FieldDecl, clang::IndirectFieldDecl>(d)) return true;
    std::string q = public_qualified_name(dc, d->getNameAsString());
    if (!q.empty()) api_.qualified.insert(q);
    return true;
  }
  bool VisitNamespaceDecl(clang::NamespaceDecl* ns) {
    std::string q = public_qualified_name(ns->getParent(), ns->getNameAsString());
    if (!q.empty() && ns->getName() != "detail") api_.qualified.insert(q);
    return true;
  }

 private:
  const clang::SourceManager& sm_;
  PublicApi& api_;
};

class MacroCollector : public clang::PPCallbacks {
 public:
  MacroCollector(const clang::SourceManager& sm, PublicApi& api) : sm_(sm), api_(api) {}
  void MacroDefined(const clang::Token& name, const clang::MacroDirective* md) override {
    if (in_public_header(sm_, md->getLocation()))
      api_.macros.insert(name.getIdentifierInfo()->getName().str());
  }

 private:
  const clang::SourceManager& sm_;
  PublicApi& api_;
};

class CollectAction : public clang::ASTFrontendAction {
 public:
  explicit CollectAction(PublicApi& api) : api_(api) {}
  bool BeginSourceFileAction(clang::CompilerInstance& ci) override {
    ci.getPreprocessor().addPPCallbacks(
        std::make_unique<MacroCollector>(ci.getSourceManager(), api_));
    return true;
  }
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance& ci,
                                                        llvm::StringRef) override {
    struct Consumer : clang::ASTConsumer {
      Collector c;
      Consumer(const clang::SourceManager& sm, PublicApi& api) : c(sm, api) {}
      void HandleTranslationUnit(clang::ASTContext& ctx) override {
        c.TraverseDecl(ctx.getTranslationUnitDecl());
      }
    };
    return std::make_unique<Consumer>(ci.getSourceManager(), api_);
  }

 private:
  PublicApi& api_;
};

const PublicApi& public_api() {
  static const PublicApi api = [] {
    PublicApi out;
    std::string code;
    std::vector<std::string> headers;
    for (const auto& e : fs::directory_iterator(WEAVE_PUBLIC_HEADERS))
      if (e.path().extension() == ".h") headers.push_back(e.path().filename().string());
    std::sort(headers.begin(), headers.end());
    for (const auto& h : headers) code += "#include <weave/" + h + ">\n";
    std::vector<std::string> args = {"-std=c++20", "-fsyntax-only",
                                     "-I" + fs::path(WEAVE_PUBLIC_HEADERS).parent_path().string(),
                                     "-resource-dir", WEAVE_CLANG_RESOURCE_DIR};
    bool ok = clang::tooling::runToolOnCodeWithArgs(std::make_unique<CollectAction>(out), code,
                                                    args, "public_headers.cc");
    EXPECT_TRUE(ok) << "the public headers do not compile on their own";
    return out;
  }();
  return api;
}

std::vector<fs::path> doc_files() {
  std::vector<fs::path> files{fs::path(WEAVE_SOURCE_DIR) / "README.md"};
  for (const auto& e : fs::recursive_directory_iterator(fs::path(WEAVE_SOURCE_DIR) / "docs"))
    if (e.path().extension() == ".md") files.push_back(e.path());
  return files;
}

std::string read_file(const fs::path& f) {
  std::ifstream in(f);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_docs() {
  std::string all;
  for (const auto& f : doc_files()) all += read_file(f) + "\n";
  return all;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += "  " + s + "\n";
  return out;
}

TEST(Docs, EveryPublicNameIsDocumented) {
  const PublicApi& api = public_api();
  const std::string docs = read_docs();
  ASSERT_GT(api.qualified.size(), 20u) << "the headers were not parsed";
  std::vector<std::string> missing;
  for (const auto& q : api.qualified)
    if (!std::regex_search(docs, std::regex("\\b" + q + "\\b"))) missing.push_back(q);
  for (const auto& m : api.members) {
    std::string member = m.substr(m.find("::") + 2);
    if (!std::regex_search(docs, std::regex("(\\.|->|::)" + member + "\\b")))
      missing.push_back(m + " (no `." + member + "`, `->" + member + "` or `::" + member + "`)");
  }
  for (const auto& macro : api.macros)
    if (!std::regex_search(docs, std::regex("\\b" + macro + "\\b"))) missing.push_back(macro);
  EXPECT_TRUE(missing.empty()) << "public names README.md and docs/ never mention:\n"
                               << join(missing);
}

TEST(Docs, EveryDocumentedNameIsDeclared) {
  const PublicApi& api = public_api();
  const std::string docs = read_docs();
  std::set<std::string> targets;
  std::stringstream ts(WEAVE_CMAKE_TARGETS);
  for (std::string t; std::getline(ts, t, ',');) targets.insert("weave::" + t);
  std::set<std::string> unknown;
  std::regex mention("weave::[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*");
  for (std::sregex_iterator it(docs.begin(), docs.end(), mention), end; it != end; ++it) {
    std::string name = it->str();
    // Stacks in sample dumps name the runtime's internals, which are no user's API.
    if (name.starts_with("weave::detail::")) continue;
    // weave::Chan<int>::send names weave::Chan: the longest declared prefix decides.
    std::string known = name;
    while (!api.qualified.count(known) && !targets.count(known) && known.rfind("::") > 5)
      known = known.substr(0, known.rfind("::"));
    bool declared = api.qualified.count(known) || targets.count(known);
    // A prefix that is a class: the rest must be one of its public members.
    if (declared && known != name && !targets.count(known)) {
      std::string cls = known.substr(known.rfind("::") + 2);
      std::string rest = name.substr(known.size() + 2);
      declared = api.qualified.count(known + "::" + rest) ||
                 api.members.count(cls + "::" + rest.substr(0, rest.find("::")));
    }
    if (!declared) unknown.insert(name);
  }
  EXPECT_TRUE(unknown.empty()) << "README.md and docs/ mention names no public header declares:\n"
                               << join({unknown.begin(), unknown.end()});
}

TEST(Docs, EveryEnvironmentVariableIsDocumented) {
  const std::string docs = read_docs();
  std::regex getenv_call("getenv\\(\"(WEAVE_[A-Z0-9_]+)\"\\)");
  std::set<std::string> read, missing;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(WEAVE_SOURCE_DIR) / "runtime")) {
    if (!e.is_regular_file()) continue;
    std::string text = read_file(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), getenv_call), end; it != end; ++it)
      read.insert((*it)[1]);
  }
  ASSERT_FALSE(read.empty()) << "no getenv(\"WEAVE_…\") found under runtime/";
  for (const auto& v : read)
    if (docs.find(v) == std::string::npos) missing.insert(v);
  EXPECT_TRUE(missing.empty()) << "environment variables the docs never mention:\n"
                               << join({missing.begin(), missing.end()});
}

TEST(Docs, EveryLinkStaysInTheRepository) {
  // [text](target) and [text](target#anchor); a target with a scheme or outside the repository
  // is refused, a relative one must name an existing file or folder.
  std::regex link("\\]\\(([^)#\\s]*)(#[^)\\s]*)?\\)");
  const fs::path root = fs::weakly_canonical(WEAVE_SOURCE_DIR);
  std::vector<std::string> bad;
  for (const auto& f : doc_files()) {
    std::string text = read_file(f);
    for (std::sregex_iterator it(text.begin(), text.end(), link), end; it != end; ++it) {
      std::string target = (*it)[1];
      if (target.empty()) continue;  // an anchor in the same file
      std::string where = f.lexically_relative(root).string() + ": " + target;
      if (target.find(':') != std::string::npos) {
        bad.push_back(where + " (leaves the repository)");
        continue;
      }
      fs::path resolved = fs::weakly_canonical(f.parent_path() / target);
      auto rel = resolved.lexically_relative(root).string();
      if (rel.empty() || rel.rfind("..", 0) == 0)
        bad.push_back(where + " (leaves the repository)");
      else if (!fs::exists(resolved))
        bad.push_back(where + " (no such file)");
    }
  }
  EXPECT_TRUE(bad.empty()) << "links of README.md and docs/:\n" << join(bad);
}

}  // namespace
