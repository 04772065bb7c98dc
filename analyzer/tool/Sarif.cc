// The SARIF writer (see Sarif.h).
#include "tool/Sarif.h"

#include <map>

#include "lib/CheckRegistry.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

namespace weave::lint {

namespace {

// Where the documentation lives: the URI a build was configured with (a web view of the
// repository), else this source tree.
std::string repositoryUri() {
  std::string configured = WEAVE_REPOSITORY_URI;
  if (!configured.empty()) return configured.back() == '/' ? configured : configured + "/";
  return "file://" + percentEncodePath(WEAVE_SOURCE_ROOT) + "/";
}

struct Uri {
  std::string uri;
  bool underBase;  // relative to %SRCROOT%
};

Uri uriFor(const std::string& file, const std::string& baseDir) {
  llvm::SmallString<256> abs(file);
  llvm::sys::fs::make_absolute(abs);
  llvm::sys::path::remove_dots(abs, true);
  llvm::StringRef f = abs;
  if (!baseDir.empty() && f.starts_with(baseDir + "/"))
    return {percentEncodePath(f.substr(baseDir.size() + 1)), true};
  return {"file://" + percentEncodePath(f), false};
}

llvm::json::Object artifact(const std::string& file, const std::string& baseDir) {
  Uri u = uriFor(file, baseDir);
  llvm::json::Object a{{"uri", u.uri}};
  if (u.underBase) a["uriBaseId"] = "%SRCROOT%";
  return a;
}

llvm::json::Object message(const std::string& text) {
  return llvm::json::Object{{"text", jsonText(text)}};
}

llvm::json::Object location(const Position& p, const std::string& baseDir) {
  return llvm::json::Object{
      {"physicalLocation",
       llvm::json::Object{
           {"artifactLocation", artifact(p.file, baseDir)},
           {"region", llvm::json::Object{{"startLine", p.line}, {"startColumn", p.charColumn}}}}}};
}

llvm::json::Array rules() {
  llvm::json::Array out;
  std::string repo = repositoryUri();
  for (const CheckInfo& c : allChecks()) {
    std::string summary = c.summary;
    summary[0] = llvm::toUpper(summary[0]);
    summary += ".";
    out.push_back(llvm::json::Object{
        {"id", c.name},
        {"name", ruleName(c.name)},
        {"shortDescription", message(summary)},
        {"fullDescription", message(summary + " See " + c.doc +
                                    " for what the check finds, "
                                    "its limits and how to fix it.")},
        {"helpUri", repo + c.doc},
        {"help", message("What " + std::string(c.name) + " finds and how to fix it: " + c.doc +
                         " in the weave repository.")},
        {"defaultConfiguration", llvm::json::Object{{"level", "warning"}}}});
  }
  return out;
}

llvm::json::Object result(const ResolvedFinding& f, const std::map<std::string, int>& ruleIndex,
                          const std::string& baseDir) {
  llvm::json::Object r{{"ruleId", f.check},
                       {"level", f.error ? "error" : "warning"},
                       {"message", message(f.message)},
                       {"locations", llvm::json::Array{location(f.pos, baseDir)}}};
  if (auto it = ruleIndex.find(f.check); it != ruleIndex.end()) r["ruleIndex"] = it->second;
  if (!f.notes.empty()) {
    llvm::json::Array related;
    int id = 0;
    for (const ResolvedNote& n : f.notes) {
      llvm::json::Object l = location(n.pos, baseDir);
      l["id"] = id++;
      l["message"] = message(n.message);
      related.push_back(std::move(l));
    }
    r["relatedLocations"] = std::move(related);
  }
  if (!f.fixes.empty()) {
    // One fix with one change per file, as SARIF groups replacements.
    std::map<std::string, llvm::json::Array> byFile;
    for (const ResolvedFix& x : f.fixes)
      byFile[x.begin.file].push_back(llvm::json::Object{
          {"deletedRegion", llvm::json::Object{{"startLine", x.begin.line},
                                               {"startColumn", x.begin.charColumn},
                                               {"endLine", x.end.line},
                                               {"endColumn", x.end.charColumn}}},
          {"insertedContent", message(x.text)}});
    llvm::json::Array changes;
    for (auto& [file, reps] : byFile)
      changes.push_back(llvm::json::Object{{"artifactLocation", artifact(file, baseDir)},
                                           {"replacements", std::move(reps)}});
    r["fixes"] =
        llvm::json::Array{llvm::json::Object{{"description", message("Apply weave-lint's fix-it.")},
                                             {"artifactChanges", std::move(changes)}}};
  }
  return r;
}

}  // namespace

std::string percentEncodePath(llvm::StringRef path) {
  std::string out;
  for (unsigned char c : path) {
    if (llvm::isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += llvm::hexdigit(c >> 4, false);
      out += llvm::hexdigit(c & 15, false);
    }
  }
  return out;
}

std::string ruleName(llvm::StringRef check) {
  check.consume_front("weave-");
  std::string name;
  bool upper = true;
  for (char c : check) {
    if (c == '-') {
      upper = true;
      continue;
    }
    name += upper ? llvm::toUpper(c) : c;
    upper = false;
  }
  return name;
}

void writeSarif(llvm::raw_ostream& os, const std::vector<ResolvedFinding>& findings,
                const std::vector<AnalysisFailure>& failures, const std::string& baseDir) {
  std::map<std::string, int> ruleIndex;
  for (const CheckInfo& c : allChecks()) ruleIndex.emplace(c.name, ruleIndex.size());
  llvm::json::Array results;
  for (const ResolvedFinding& f : findings) results.push_back(result(f, ruleIndex, baseDir));

  llvm::json::Array notifications;
  for (const AnalysisFailure& f : failures)
    notifications.push_back(llvm::json::Object{
        {"level", "error"},
        {"message", message(f.file + " could not be analysed: " + f.message)},
        {"locations",
         llvm::json::Array{llvm::json::Object{
             {"physicalLocation",
              llvm::json::Object{{"artifactLocation", artifact(f.file, baseDir)}}}}}}});
  llvm::json::Object invocation{{"executionSuccessful", failures.empty()}};
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = std::move(notifications);

  llvm::json::Object run{
      {"tool",
       llvm::json::Object{
           {"driver", llvm::json::Object{{"name", "weave-lint"},
                                         {"version", WEAVE_LINT_VERSION},
                                         {"semanticVersion", WEAVE_LINT_VERSION},
                                         {"informationUri", repositoryUri() + "docs/lint.md"},
                                         {"rules", rules()}}}}},
      {"invocations", llvm::json::Array{std::move(invocation)}},
      {"columnKind", "unicodeCodePoints"},
      {"results", std::move(results)}};
  if (!baseDir.empty())
    run["originalUriBaseIds"] = llvm::json::Object{
        {"%SRCROOT%", llvm::json::Object{{"uri", "file://" + percentEncodePath(baseDir) + "/"}}}};
  llvm::json::Object log{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                         {"version", "2.1.0"},
                         {"runs", llvm::json::Array{std::move(run)}}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(log))) << "\n";
}

}  // namespace weave::lint
