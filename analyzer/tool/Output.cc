// Resolution of findings to plain positions, and the JSON / SARIF / YAML writers.
#include "tool/Output.h"

#include <map>

#include "clang/Basic/FileManager.h"
#include "clang/Lex/Lexer.h"
#include "clang/Tooling/Core/Diagnostic.h"
#include "clang/Tooling/DiagnosticsYaml.h"
#include "lib/CheckRegistry.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/YAMLTraits.h"

namespace weave::lint {
using namespace clang;

namespace {

Position position(const SourceManager& sm, SourceLocation loc) {
  Position p;
  if (loc.isInvalid()) return p;
  loc = sm.getFileLoc(loc);
  FileID fid = sm.getFileID(loc);
  if (auto fe = sm.getFileEntryRefForID(fid)) {
    llvm::StringRef canon = sm.getFileManager().getCanonicalName(*fe);
    p.file = canon.empty() ? fe->getName().str() : canon.str();
  }
  p.line = sm.getLineNumber(fid, sm.getFileOffset(loc));
  p.column = sm.getColumnNumber(fid, sm.getFileOffset(loc));
  p.offset = sm.getFileOffset(loc);
  return p;
}

std::string uriFor(const std::string& file, const std::string& baseDir, bool& relative) {
  llvm::StringRef f(file);
  if (!baseDir.empty() && f.starts_with(baseDir + "/")) {
    relative = true;
    return f.substr(baseDir.size() + 1).str();
  }
  relative = false;
  return "file://" + file;
}

}  // namespace

ResolvedFinding resolve(const Finding& f, const SourceManager& sm, const LangOptions& lo) {
  ResolvedFinding r{f.check, f.message, position(sm, f.loc), {}, {}};
  for (const Note& n : f.notes) r.notes.push_back({position(sm, n.loc), n.message});
  for (const FixItHint& h : f.fixes) {
    if (h.RemoveRange.isInvalid()) continue;
    CharSourceRange range = h.RemoveRange;
    SourceLocation b = range.getBegin(), e = range.getEnd();
    if (range.isTokenRange()) e = Lexer::getLocForEndOfToken(e, 0, sm, lo);
    r.fixes.push_back({position(sm, b), position(sm, e), h.CodeToInsert});
  }
  return r;
}

static llvm::json::Object posJson(const Position& p) {
  return llvm::json::Object{{"file", p.file}, {"line", p.line}, {"column", p.column}};
}

void writeJson(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings) {
  llvm::json::Array out;
  for (const ResolvedFinding& f : findings) {
    llvm::json::Array notes, fixes;
    for (const ResolvedNote& n : f.notes) {
      llvm::json::Object o = posJson(n.pos);
      o["message"] = n.message;
      notes.push_back(std::move(o));
    }
    for (const ResolvedFix& x : f.fixes)
      fixes.push_back(llvm::json::Object{{"file", x.begin.file},
                                         {"offset", x.begin.offset},
                                         {"length", x.end.offset - x.begin.offset},
                                         {"line", x.begin.line},
                                         {"column", x.begin.column},
                                         {"end_line", x.end.line},
                                         {"end_column", x.end.column},
                                         {"replacement", x.text}});
    out.push_back(llvm::json::Object{{"check", f.check},
                                     {"message", f.message},
                                     {"file", f.pos.file},
                                     {"line", f.pos.line},
                                     {"column", f.pos.column},
                                     {"notes", std::move(notes)},
                                     {"fixes", std::move(fixes)}});
  }
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(out))) << "\n";
}

void writeSarif(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings,
                const std::string& baseDir) {
  llvm::json::Array rules;
  std::map<std::string, int> ruleIndex;
  for (const CheckInfo& c : allChecks()) {
    ruleIndex[c.name] = static_cast<int>(rules.size());
    rules.push_back(
        llvm::json::Object{{"id", c.name},
                           {"name", c.name},
                           {"shortDescription", llvm::json::Object{{"text", c.summary}}},
                           {"fullDescription", llvm::json::Object{{"text", c.summary}}},
                           {"help", llvm::json::Object{{"text", std::string("See ") + c.doc}}},
                           {"defaultConfiguration", llvm::json::Object{{"level", "warning"}}}});
  }
  auto location = [&](const Position& p, const std::string* message) {
    bool rel = false;
    std::string uri = uriFor(p.file, baseDir, rel);
    llvm::json::Object art{{"uri", uri}};
    if (rel) art["uriBaseId"] = "%SRCROOT%";
    llvm::json::Object loc{
        {"physicalLocation",
         llvm::json::Object{
             {"artifactLocation", std::move(art)},
             {"region", llvm::json::Object{{"startLine", p.line}, {"startColumn", p.column}}}}}};
    if (message) loc["message"] = llvm::json::Object{{"text", *message}};
    return loc;
  };
  llvm::json::Array results;
  for (const ResolvedFinding& f : findings) {
    llvm::json::Object r{{"ruleId", f.check},
                         {"level", "warning"},
                         {"message", llvm::json::Object{{"text", f.message}}},
                         {"locations", llvm::json::Array{location(f.pos, nullptr)}}};
    if (ruleIndex.count(f.check)) r["ruleIndex"] = ruleIndex[f.check];
    if (!f.notes.empty()) {
      llvm::json::Array related;
      int id = 0;
      for (const ResolvedNote& n : f.notes) {
        llvm::json::Object l = location(n.pos, &n.message);
        l["id"] = id++;
        related.push_back(std::move(l));
      }
      r["relatedLocations"] = std::move(related);
    }
    if (!f.fixes.empty()) {
      // One fix with one change per file, as SARIF groups replacements.
      std::map<std::string, llvm::json::Array> byFile;
      for (const ResolvedFix& x : f.fixes)
        byFile[x.begin.file].push_back(
            llvm::json::Object{{"deletedRegion", llvm::json::Object{{"startLine", x.begin.line},
                                                                    {"startColumn", x.begin.column},
                                                                    {"endLine", x.end.line},
                                                                    {"endColumn", x.end.column}}},
                               {"insertedContent", llvm::json::Object{{"text", x.text}}}});
      llvm::json::Array changes;
      for (auto& [file, reps] : byFile) {
        bool rel = false;
        std::string uri = uriFor(file, baseDir, rel);
        llvm::json::Object art{{"uri", uri}};
        if (rel) art["uriBaseId"] = "%SRCROOT%";
        changes.push_back(llvm::json::Object{{"artifactLocation", std::move(art)},
                                             {"replacements", std::move(reps)}});
      }
      r["fixes"] = llvm::json::Array{llvm::json::Object{
          {"description", llvm::json::Object{{"text", "apply weave-lint's fix-it"}}},
          {"artifactChanges", std::move(changes)}}};
    }
    results.push_back(std::move(r));
  }
  llvm::json::Object run{
      {"tool", llvm::json::Object{{"driver", llvm::json::Object{{"name", "weave-lint"},
                                                                {"version", "0.1.0"},
                                                                {"rules", std::move(rules)}}}}},
      {"columnKind", "unicodeCodePoints"},
      {"results", std::move(results)}};
  if (!baseDir.empty())
    run["originalUriBaseIds"] =
        llvm::json::Object{{"%SRCROOT%", llvm::json::Object{{"uri", "file://" + baseDir + "/"}}}};
  llvm::json::Object log{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                         {"version", "2.1.0"},
                         {"runs", llvm::json::Array{std::move(run)}}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(log))) << "\n";
}

void writeExportFixes(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings,
                      const std::string& mainFile, const std::string& buildDir) {
  tooling::TranslationUnitDiagnostics tu;
  tu.MainSourceFile = mainFile;
  for (const ResolvedFinding& f : findings) {
    tooling::DiagnosticMessage msg;
    msg.Message = f.message;
    msg.FilePath = f.pos.file;
    msg.FileOffset = f.pos.offset;
    for (const ResolvedFix& x : f.fixes) {
      tooling::Replacement rep(x.begin.file, x.begin.offset, x.end.offset - x.begin.offset, x.text);
      llvm::consumeError(msg.Fix[x.begin.file].add(rep));
    }
    llvm::SmallVector<tooling::DiagnosticMessage, 1> notes;
    for (const ResolvedNote& n : f.notes) {
      tooling::DiagnosticMessage nm;
      nm.Message = n.message;
      nm.FilePath = n.pos.file;
      nm.FileOffset = n.pos.offset;
      notes.push_back(std::move(nm));
    }
    tu.Diagnostics.emplace_back(f.check, msg, notes, tooling::Diagnostic::Warning, buildDir);
  }
  llvm::yaml::Output yaml(os);
  yaml << tu;
}

}  // namespace weave::lint
