// Reading a dump: JSON text to a Dump, checked against the format (docs/weave-dump.md).
//
// Invariants: the text must outlive the Dump (its strings point into it); members the format
// does not know are skipped wherever they appear; a missing required member, a member of the
// wrong type, a duplicate member or an unsupported version is an InputError whose path names the
// value and whose offset points at it, as is any JSON syntax error.
#pragma once

#include <string_view>

#include "dump_model.h"

namespace weave::dump {

// The dump format version this reader understands.
inline constexpr std::int64_t kDumpVersion = 1;

// Throws InputError.
Dump read_dump(std::string_view text);

}  // namespace weave::dump
