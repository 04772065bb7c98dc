// The phrases every rendering shares: durations, locations, objects, parents, reasons. They
// return raw text — strings from the dump unchanged — and each renderer escapes for its medium
// (printable for a terminal, the dot and HTML escapes for theirs).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dump_model.h"
#include "groups.h"

namespace weave::dump {

// Go's style: "750ns", "1.5ms", "2.25s", "1h2m3s".
std::string duration(std::int64_t ns);
// "2s", or "1.5s..2s" when a group's members waited for different times.
std::string wait_range(const Group& g);
// "srv.cc:45 (handle)"; a part the dump left empty is left out; a frame with no file is its
// function, or its module and offset ("/srv/bin/server+0x41a2c0") if it has no name either.
std::string location(const Location& l);
std::string location(const Dump& d, LocId id);
// "chan 3 (cap 0, len 0, closed)", "mutex 5", "waitgroup": without where it was made.
std::string object_name(const WaitObject& o);
// Who started a group's fibers: "fiber 1", "fibers 1, 2, 3 and 4 more", "thread 1", "fiber 1 and
// thread 2", "a thread" (the dump names no parent).
std::string parents_phrase(const Group& g);
// "deadlock (all fibers are asleep)" and the like.
const char* reason_phrase(Reason r);
// What a lock warning's kind means, or empty for a kind this tool does not know.
const char* lock_kind_phrase(std::string_view kind);
// "1 fiber", "2 fibers".
std::string count(std::size_t n, std::string_view noun);
// "fiber 7", "thread 1".
std::string task_name(const TaskRef& t);
// "fiber 4 created at a.cc:3 (main)", "thread 1".
std::string race_task_phrase(const Dump& d, const RaceTask& t);
// "read of 4 bytes at 0x7f00 by fiber 7".
std::string access_phrase(const Access& a);

// Text with its control characters (C0, DEL, C1) spelled \xNN: what a terminal would act on
// (moving the cursor, changing colours) and what dot and HTML cannot hold.
std::string printable(std::string_view s);

}  // namespace weave::dump
