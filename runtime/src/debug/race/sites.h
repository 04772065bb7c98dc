// Site ids: the 19-bit numbers shadow cells use for the static location records (abi.h) of the
// accesses they remember. A record is numbered on its first use, in place (its id field), so
// finding the id of a record costs one load.
#pragma once

#include "abi.h"
#include "cell.h"

namespace weave::detail::race {

u32 site_number(const race_abi::Loc* loc);  // numbers a record not numbered yet

inline u32 site_id(const race_abi::Loc* loc) {
  if (!loc) return 0;
  const u32 id = __atomic_load_n(&loc->id, __ATOMIC_RELAXED);
  return __builtin_expect(id != 0, 1) ? id : site_number(loc);
}

// The record numbered id; null for 0 (no record, or the table was full).
const race_abi::Loc* site_loc(u32 id);

}  // namespace weave::detail::race
