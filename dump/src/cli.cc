// The command line. Every failure is one line on the error stream naming the file, and exit
// status 2; nothing the input holds can make it crash or print more than that.
#include "cli.h"

#include <fstream>
#include <memory>
#include <optional>

#include "concat.h"
#include "input.h"
#include "read_dump.h"
#include "render.h"
#include "text.h"

namespace weave::dump {

namespace {

constexpr const char* kUsage =
    "usage: weave-dump COMMAND [-o OUT] FILE...\n"
    "\n"
    "Reads the JSON dumps the weave debug runtime writes (WEAVE_DUMP=<file>).\n"
    "\n"
    "commands:\n"
    "  summary FILE     the blocked fibers grouped by (state, blocked at, created at), largest\n"
    "                   group first; then data races and lock warnings\n"
    "  graph FILE       the wait-for graph as Graphviz dot (fiber group -> object it waits on ->\n"
    "                   the fibers that could release it); render with: dot -Tsvg\n"
    "  diff OLD NEW     the groups that grew from OLD to NEW, and new races and lock warnings\n"
    "  html FILE        one self-contained HTML page: groups, stacks, races, lock warnings and\n"
    "                   the wait-for graph\n"
    "\n"
    "options:\n"
    "  -o OUT           write the report to OUT instead of standard output\n"
    "  -h, --help       show this help\n"
    "\n"
    "FILE '-' is standard input.\n"
    "exit status: 0 clean; 1 the dump holds blocked fibers, races, lock warnings, a deadlock\n"
    "or a panic (diff: something grew or is new); 2 a usage error, or an input that is not a\n"
    "dump.\n";

struct Command {
  std::string_view name;
  std::size_t files;
};
constexpr Command kCommands[] = {{"summary", 1}, {"graph", 1}, {"diff", 2}, {"html", 1}};

int usage_error(std::ostream& err, std::string_view message) {
  err << "weave-dump: " << printable(message) << "\n"
      << "usage: weave-dump summary|graph|html FILE [-o OUT], weave-dump diff OLD NEW [-o OUT]; "
         "weave-dump --help for more\n";
  return kExitError;
}

// A dump read from a file, with the bytes it points into.
struct LoadedDump {
  std::unique_ptr<InputFile> file;
  Dump dump;
};

std::optional<LoadedDump> load(const std::string& path, std::ostream& err) {
  LoadedDump l{std::make_unique<InputFile>(path), {}};
  const std::string name = path == "-" ? "<stdin>" : path;
  if (!l.file->error().empty()) {
    err << "weave-dump: " << printable(name) << ": " << l.file->error() << "\n";
    return std::nullopt;
  }
  try {
    l.dump = read_dump(l.file->text());
  } catch (const InputError& e) {
    err << "weave-dump: " << printable(name)
        << ": not a weave dump: " << printable(describe_error(l.file->text(), e)) << "\n";
    return std::nullopt;
  }
  return l;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::optional<std::string> output;
  std::vector<std::string> words;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a == "-" || a.empty() || a[0] != '-') {
      words.push_back(a);
    } else if (a == "--") {
      options_done = true;
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return kExitClean;
    } else if (a == "-o") {
      if (i + 1 >= args.size()) return usage_error(err, "-o needs a file name");
      if (output) return usage_error(err, "-o given twice");
      output = args[++i];
    } else if (a.rfind("-o", 0) == 0) {
      if (output) return usage_error(err, "-o given twice");
      output = a.substr(2);
    } else {
      return usage_error(err, cat("unknown option ", a));
    }
  }
  if (words.empty()) return usage_error(err, "no command given");
  const Command* command = nullptr;
  for (const Command& c : kCommands) {
    if (words[0] == c.name) command = &c;
  }
  if (!command) return usage_error(err, cat("unknown command ", words[0]));
  if (words.size() - 1 != command->files) {
    return usage_error(
        err, cat(command->name, " takes ", command->files == 1 ? "one file" : "two files", ", got ",
                 words.size() - 1));
  }

  std::vector<LoadedDump> dumps;
  for (std::size_t i = 1; i < words.size(); ++i) {
    std::optional<LoadedDump> l = load(words[i], err);
    if (!l) return kExitError;
    dumps.push_back(std::move(*l));
  }

  std::ofstream file;
  if (output && *output != "-") {
    file.open(*output, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "weave-dump: cannot write " << printable(*output) << "\n";
      return kExitError;
    }
  }
  std::ostream& sink = file.is_open() ? file : out;

  int status = kExitClean;
  if (command->name == "diff") {
    const Report before(dumps[0].dump), after(dumps[1].dump);
    if (render_diff(before, after, sink)) status = kExitFindings;
  } else {
    const Report report(dumps[0].dump);
    if (command->name == "summary") {
      render_summary(report, sink);
    } else if (command->name == "graph") {
      render_graph(report, sink);
    } else {
      render_html(report, words[1] == "-" ? "<stdin>" : words[1], sink);
    }
    if (has_findings(dumps[0].dump)) status = kExitFindings;
  }
  sink.flush();
  if (!sink) {
    err << "weave-dump: cannot write "
        << (file.is_open() ? printable(*output) : std::string("the report")) << "\n";
    return kExitError;
  }
  return status;
}

}  // namespace weave::dump
