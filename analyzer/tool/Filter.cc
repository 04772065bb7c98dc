// The line filter, the per-file settings and the suppression counts.
#include "tool/Filter.h"

#include "llvm/Support/JSON.h"

namespace weave::lint {
using namespace clang;

llvm::Expected<LineFilter> LineFilter::parse(llvm::StringRef json) {
  LineFilter f;
  if (json.empty()) return f;
  auto bad = [](const std::string& what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s", what.c_str());
  };
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(json);
  if (!v) return bad(llvm::toString(v.takeError()));
  const llvm::json::Array* list = v->getAsArray();
  if (!list) return bad("expected an array of {\"name\": …, \"lines\": [[first, last], …]}");
  f.active_ = true;
  for (const llvm::json::Value& item : *list) {
    const llvm::json::Object* o = item.getAsObject();
    std::optional<llvm::StringRef> name = o ? o->getString("name") : std::nullopt;
    if (!name) return bad("each entry needs a \"name\" string");
    Entry e{name->str(), {}};
    if (const llvm::json::Value* lines = o->get("lines")) {
      const llvm::json::Array* ranges = lines->getAsArray();
      if (!ranges) return bad("\"lines\" of " + e.name + " must be an array of [first, last]");
      for (const llvm::json::Value& r : *ranges) {
        const llvm::json::Array* pair = r.getAsArray();
        std::optional<int64_t> first, last;
        if (pair && pair->size() == 2) {
          first = (*pair)[0].getAsInteger();
          last = (*pair)[1].getAsInteger();
        }
        if (!first || !last || *first < 0 || *last < 0)
          return bad("each range of " + e.name + " must be [first, last], two line numbers");
        e.lines.emplace_back(static_cast<unsigned>(*first), static_cast<unsigned>(*last));
      }
    }
    f.entries_.push_back(std::move(e));
  }
  return f;
}

bool LineFilter::passes(llvm::StringRef file, unsigned line) const {
  if (!active_) return true;
  for (const Entry& e : entries_) {
    if (!file.ends_with(e.name)) continue;
    if (e.lines.empty()) return true;
    for (auto [first, last] : e.lines)
      if (first <= line && line <= last) return true;
    return false;
  }
  return false;
}

llvm::Expected<FileSettings> FileSettings::from(const TidyOptions& o) {
  FileSettings s;
  s.checks = CheckFilter(o.checks.value_or(""));
  s.warningsAsErrors = CheckFilter(o.warningsAsErrors.value_or(""));
  s.systemHeaders = o.systemHeaders.value_or(false);
  auto compile = [](const std::optional<std::string>& pattern, const char* option,
                    std::shared_ptr<const llvm::Regex>& out) -> llvm::Error {
    // An empty pattern matches nothing, as in clang-tidy: the main file only.
    if (!pattern || pattern->empty()) return llvm::Error::success();
    auto re = std::make_shared<llvm::Regex>(*pattern);
    std::string error;
    if (!re->isValid(error))
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "invalid %s '%s': %s", option,
                                     pattern->c_str(), error.c_str());
    out = std::move(re);
    return llvm::Error::success();
  };
  if (llvm::Error e = compile(o.headerFilterRegex, "HeaderFilterRegex", s.headerFilter)) return e;
  if (llvm::Error e =
          compile(o.excludeHeaderFilterRegex, "ExcludeHeaderFilterRegex", s.excludeHeaderFilter))
    return e;
  return s;
}

std::string SuppressionStats::summary() const {
  if (total() == 0) return "";
  std::string s = "Suppressed " + std::to_string(total()) + " warnings (";
  const char* sep = "";
  auto part = [&](unsigned n, const char* what) {
    if (!n) return;
    s += sep + std::to_string(n) + what;
    sep = ", ";
  };
  part(nonUserCode, " in non-user code");
  part(lineFilter, " due to line filter");
  part(nolint, " NOLINT");
  s += ").\n";
  if (nonUserCode)
    s += "Use -header-filter=.* to display errors from all non-system headers. Use "
         "-system-headers to display errors from system headers as well.\n";
  return s;
}

}  // namespace weave::lint
