// Shared by weave-dump's tests: reading the hand-written dumps, running the command line in the
// process, and running the built binary.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "read_dump.h"

namespace weave::dump::testing {

inline std::string data_path(const std::string& name) {
  return std::string(WEAVE_DUMP_DATA) + "/" + name;
}
inline std::string tmp_path(const std::string& name) {
  return std::string(WEAVE_TEST_TMP) + "/" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// A dump parsed with the text it points into.
struct Parsed {
  std::string text;
  Dump dump;
};

inline Parsed parse(std::string text) {
  Parsed p{std::move(text), {}};
  p.dump = read_dump(p.text);
  return p;
}

inline Parsed parse_file(const std::string& name) { return parse(read_file(data_path(name))); }

// The message of the InputError reading `text` throws ("" if it reads).
inline std::string parse_error(const std::string& text) {
  try {
    read_dump(text);
  } catch (const InputError& e) {
    return describe_error(text, e);
  }
  return "";
}

struct CliResult {
  int status;
  std::string out;
  std::string err;
};

inline CliResult run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = run_cli(args, out, err);
  return {status, out.str(), err.str()};
}

// Runs a shell command line; its exit status.
inline int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace weave::dump::testing
