// Resolution of findings to plain positions, and the JSON and YAML writers.
#include "tool/Output.h"

#include "clang/Basic/FileManager.h"
#include "clang/Lex/Lexer.h"
#include "clang/Tooling/Core/Diagnostic.h"
#include "clang/Tooling/DiagnosticsYaml.h"
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
  p.offset = sm.getFileOffset(loc);
  p.line = sm.getLineNumber(fid, p.offset);
  p.column = sm.getColumnNumber(fid, p.offset);
  // Code points: every byte but UTF-8's continuation bytes starts one (an invalid byte counts
  // as one of its own).
  llvm::StringRef text = sm.getBufferData(fid);
  p.charColumn = 1;
  for (unsigned i = p.offset - (p.column - 1); i < p.offset && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++p.charColumn;
  return p;
}

}  // namespace

ResolvedFinding resolve(const Finding& f, const SourceManager& sm, const LangOptions& lo) {
  ResolvedFinding r;
  r.check = f.check;
  r.message = f.message;
  r.pos = position(sm, f.loc);
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

std::string jsonText(const std::string& s) {
  return llvm::json::isUTF8(s) ? s : llvm::json::fixUTF8(s);
}

static llvm::json::Object posJson(const Position& p) {
  return llvm::json::Object{{"file", jsonText(p.file)}, {"line", p.line}, {"column", p.column}};
}

void writeJson(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings) {
  llvm::json::Array out;
  for (const ResolvedFinding& f : findings) {
    llvm::json::Array notes, fixes;
    for (const ResolvedNote& n : f.notes) {
      llvm::json::Object o = posJson(n.pos);
      o["message"] = jsonText(n.message);
      notes.push_back(std::move(o));
    }
    for (const ResolvedFix& x : f.fixes)
      fixes.push_back(llvm::json::Object{{"file", jsonText(x.begin.file)},
                                         {"offset", x.begin.offset},
                                         {"length", x.end.offset - x.begin.offset},
                                         {"line", x.begin.line},
                                         {"column", x.begin.column},
                                         {"end_line", x.end.line},
                                         {"end_column", x.end.column},
                                         {"replacement", jsonText(x.text)}});
    out.push_back(llvm::json::Object{{"check", f.check},
                                     {"level", f.error ? "error" : "warning"},
                                     {"message", jsonText(f.message)},
                                     {"file", jsonText(f.pos.file)},
                                     {"line", f.pos.line},
                                     {"column", f.pos.column},
                                     {"notes", std::move(notes)},
                                     {"fixes", std::move(fixes)}});
  }
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(out))) << "\n";
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
