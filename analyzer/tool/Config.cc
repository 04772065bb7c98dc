// Reading, layering and printing clang-tidy configurations.
#include "tool/Config.h"

#include "lib/CheckRegistry.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/YAMLTraits.h"

namespace weave::lint {

namespace {

void appendList(std::optional<std::string>& to, const std::optional<std::string>& more) {
  if (!more || more->empty()) return;
  to = to && !to->empty() ? *to + "," + *more : *more;
}

template <typename T>
void replace(std::optional<T>& to, const std::optional<T>& by) {
  if (by) to = by;
}

// What the output of --dump-config holds, in clang-tidy's order.
struct DumpedOptions {
  std::string checks, warningsAsErrors, headerFilterRegex, excludeHeaderFilterRegex;
  bool systemHeaders = false;
  std::optional<bool> useColor;
};

}  // namespace
}  // namespace weave::lint

template <>
struct llvm::yaml::MappingTraits<weave::lint::DumpedOptions> {
  static void mapping(IO& io, weave::lint::DumpedOptions& o) {
    io.mapRequired("Checks", o.checks);
    io.mapRequired("WarningsAsErrors", o.warningsAsErrors);
    io.mapRequired("HeaderFilterRegex", o.headerFilterRegex);
    io.mapRequired("ExcludeHeaderFilterRegex", o.excludeHeaderFilterRegex);
    io.mapRequired("SystemHeaders", o.systemHeaders);
    io.mapOptional("UseColor", o.useColor);
  }
};

namespace weave::lint {

void TidyOptions::mergeWith(const TidyOptions& over) {
  appendList(checks, over.checks);
  appendList(warningsAsErrors, over.warningsAsErrors);
  replace(headerFilterRegex, over.headerFilterRegex);
  replace(excludeHeaderFilterRegex, over.excludeHeaderFilterRegex);
  replace(systemHeaders, over.systemHeaders);
  replace(useColor, over.useColor);
  replace(inheritParentConfig, over.inheritParentConfig);
}

llvm::Expected<TidyOptions> parseTidyOptions(llvm::StringRef text, llvm::StringRef source) {
  llvm::SourceMgr sm;
  std::string messages;
  sm.setDiagHandler(
      [](const llvm::SMDiagnostic& d, void* out) {
        std::string& s = *static_cast<std::string*>(out);
        if (s.empty())
          s = std::to_string(d.getLineNo()) + ":" + std::to_string(d.getColumnNo() + 1) + ": " +
              d.getMessage().str();
      },
      &messages);
  auto fail = [&](llvm::yaml::Node* at, const std::string& what) {
    if (at) sm.PrintMessage(at->getSourceRange().Start, llvm::SourceMgr::DK_Error, what);
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s:%s", source.str().c_str(),
                                   messages.c_str());
  };
  llvm::yaml::Stream stream(text, sm, false);
  TidyOptions o;
  llvm::yaml::document_iterator doc = stream.begin();
  if (doc == stream.end()) return o;
  llvm::yaml::Node* root = doc->getRoot();
  if (stream.failed()) return fail(nullptr, "");
  if (!root || llvm::isa<llvm::yaml::NullNode>(root)) return o;  // an empty file
  auto* map = llvm::dyn_cast<llvm::yaml::MappingNode>(root);
  if (!map) return fail(root, "a configuration is a mapping of keys to values");

  auto scalar = [&](llvm::yaml::Node* n, std::string& out) {
    llvm::SmallString<64> storage;
    if (auto* s = llvm::dyn_cast_or_null<llvm::yaml::ScalarNode>(n)) {
      out = s->getValue(storage).str();
      return true;
    }
    if (auto* b = llvm::dyn_cast_or_null<llvm::yaml::BlockScalarNode>(n)) {
      out = b->getValue().str();
      return true;
    }
    return false;
  };
  // A list of globs: a string, or (clang-tidy 17 and later) a sequence of strings.
  auto globs = [&](llvm::yaml::Node* n, std::optional<std::string>& out) -> bool {
    std::string s;
    if (scalar(n, s)) {
      out = s;
      return true;
    }
    auto* seq = llvm::dyn_cast_or_null<llvm::yaml::SequenceNode>(n);
    if (!seq) return false;
    std::string joined;
    for (llvm::yaml::Node& item : *seq) {
      if (!scalar(&item, s)) return false;
      joined += (joined.empty() ? "" : ",") + s;
    }
    out = joined;
    return true;
  };
  auto boolean = [&](llvm::yaml::Node* n, std::optional<bool>& out) {
    std::string s;
    if (!scalar(n, s)) return false;
    std::optional<bool> b = llvm::yaml::parseBool(s);
    if (!b) return false;
    out = b;
    return true;
  };
  auto string = [&](llvm::yaml::Node* n, std::optional<std::string>& out) {
    std::string s;
    if (!scalar(n, s)) return false;
    out = s;
    return true;
  };

  for (llvm::yaml::KeyValueNode& kv : *map) {
    std::string key;
    if (!scalar(kv.getKey(), key)) return fail(kv.getKey(), "a key must be a string");
    llvm::yaml::Node* value = kv.getValue();
    bool ok = true;
    if (key == "Checks")
      ok = globs(value, o.checks);
    else if (key == "WarningsAsErrors")
      ok = globs(value, o.warningsAsErrors);
    else if (key == "HeaderFilterRegex")
      ok = string(value, o.headerFilterRegex);
    else if (key == "ExcludeHeaderFilterRegex")
      ok = string(value, o.excludeHeaderFilterRegex);
    else if (key == "SystemHeaders")
      ok = boolean(value, o.systemHeaders);
    else if (key == "UseColor")
      ok = boolean(value, o.useColor);
    else if (key == "InheritParentConfig")
      ok = boolean(value, o.inheritParentConfig);
    else
      value->skip();  // CheckOptions, FormatStyle, …: clang-tidy's, not weave-lint's
    if (stream.failed()) return fail(nullptr, "");
    if (!ok)
      return fail(value, "invalid value for " + key +
                             (key == "Checks" || key == "WarningsAsErrors"
                                  ? " (a string of comma-separated globs, or a list of them)"
                              : key.find("Regex") != std::string::npos ? " (a string)"
                                                                       : " (true or false)"));
  }
  if (stream.failed()) return fail(nullptr, "");
  return o;
}

void dumpTidyOptions(llvm::raw_ostream& os, const TidyOptions& o) {
  DumpedOptions d{o.checks.value_or(""),
                  o.warningsAsErrors.value_or(""),
                  o.headerFilterRegex.value_or(""),
                  o.excludeHeaderFilterRegex.value_or(""),
                  o.systemHeaders.value_or(false),
                  o.useColor};
  llvm::yaml::Output out(os);
  out << d;
  os << "\n";
}

std::vector<std::string> unknownWeaveChecks(llvm::StringRef globs) {
  std::vector<std::string> unknown;
  llvm::SmallVector<llvm::StringRef, 8> parts;
  globs.split(parts, ',', -1, false);
  for (llvm::StringRef part : parts) {
    llvm::StringRef glob = part.trim();
    glob.consume_front("-");
    glob = glob.trim();
    if (!glob.starts_with("weave-")) continue;
    bool matches = false;
    for (const CheckInfo& c : allChecks()) matches = matches || globMatch(glob, c.name);
    if (!matches) unknown.push_back(glob.str());
  }
  return unknown;
}

ConfigProvider::ConfigProvider(TidyOptions defaults, std::optional<TidyOptions> explicitConfig,
                               TidyOptions overrides, std::function<void(const std::string&)> warn)
    : defaults_(std::move(defaults)),
      overrides_(std::move(overrides)),
      explicit_(std::move(explicitConfig)),
      warn_(std::move(warn)) {}

const ConfigProvider::DirConfig& ConfigProvider::configIn(const std::string& dir) {
  auto [it, fresh] = dirs_.try_emplace(dir);
  DirConfig& c = it->second;
  if (!fresh) return c;
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, ".clang-tidy");
  if (!llvm::sys::fs::is_regular_file(path)) return c;
  c.path = std::string(path);
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    c.error = "cannot read " + c.path + ": " + buffer.getError().message();
    return c;
  }
  llvm::Expected<TidyOptions> parsed = parseTidyOptions((*buffer)->getBuffer(), c.path);
  if (!parsed) {
    c.error = llvm::toString(parsed.takeError());
    return c;
  }
  c.options = std::move(*parsed);
  if (c.options->checks)
    for (const std::string& name : unknownWeaveChecks(*c.options->checks))
      warn_("unknown check '" + name + "' in " + c.path);
  return c;
}

llvm::Expected<TidyOptions> ConfigProvider::optionsFor(llvm::StringRef file) {
  TidyOptions result = defaults_;
  std::vector<const TidyOptions*> files;  // nearest first
  bool readFiles = !explicit_ || explicit_->inheritParentConfig.value_or(false);
  std::lock_guard<std::mutex> lock(mu_);
  if (readFiles) {
    llvm::SmallString<256> abs(file);
    llvm::sys::fs::make_absolute(abs);
    llvm::sys::path::remove_dots(abs, true);
    for (llvm::StringRef dir = llvm::sys::path::parent_path(abs); !dir.empty();
         dir = llvm::sys::path::parent_path(dir)) {
      const DirConfig& c = configIn(dir.str());
      if (!c.error.empty()) return llvm::createStringError(llvm::inconvertibleErrorCode(), c.error);
      if (!c.options) continue;
      files.push_back(&*c.options);
      if (!c.options->inheritParentConfig.value_or(false)) break;
    }
  }
  for (auto it = files.rbegin(); it != files.rend(); ++it) result.mergeWith(**it);
  if (explicit_) result.mergeWith(*explicit_);
  result.mergeWith(overrides_);
  return result;
}

}  // namespace weave::lint
