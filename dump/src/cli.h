// weave-dump's command line: parsing the arguments, reading the dumps, running one subcommand.
// Exit statuses: 0 clean, 1 findings (or, for diff, growth), 2 a usage error or an input that is
// not a dump.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace weave::dump {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitError = 2;

// `args` excludes the program name. Reports go to `out` (or to -o's file), errors to `err`.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace weave::dump
