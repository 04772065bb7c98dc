// Shared phrases. Durations follow Go's time.Duration.String closely enough to read alike (whole
// units below a minute keep up to two decimals, longer ones are h/m/s).
#include "text.h"

#include "absl/strings/str_format.h"
#include "concat.h"

namespace weave::dump {

namespace {

std::string decimal(std::int64_t ns, std::int64_t unit, std::string_view suffix) {
  std::string s = absl::StrFormat("%.2f", static_cast<double>(ns) / static_cast<double>(unit));
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return cat(s, suffix);
}

}  // namespace

std::string duration(std::int64_t ns) {
  if (ns < 1000) return cat(ns, "ns");
  if (ns < 1000000) return decimal(ns, 1000, "us");
  if (ns < 1000000000) return decimal(ns, 1000000, "ms");
  if (ns < 60 * std::int64_t{1000000000}) return decimal(ns, 1000000000, "s");
  const std::int64_t s = ns / 1000000000;
  std::string out;
  if (s >= 3600) append(out, s / 3600, "h");
  append(out, s / 60 % 60, "m", s % 60, "s");
  return out;
}

std::string wait_range(const Group& g) {
  if (g.min_wait_ns == g.max_wait_ns) return duration(g.min_wait_ns);
  return cat(duration(g.min_wait_ns), "..", duration(g.max_wait_ns));
}

std::string location(const Location& l) {
  if (l.file.empty()) {
    // A symbolized frame: its function, else where it is in which object file.
    if (!l.function.empty()) return std::string(l.function);
    if (!l.module.empty()) return cat(l.module, "+0x", absl::StrFormat("%x", l.offset));
    return "(unknown location)";
  }
  std::string out = l.line > 0 ? cat(l.file, ":", l.line) : std::string(l.file);
  if (!l.function.empty()) append(out, " (", l.function, ")");
  return out;
}

std::string location(const Dump& d, LocId id) { return location(d.loc(id)); }

std::string object_name(const WaitObject& o) {
  std::string out(o.kind);
  if (o.id) append(out, " ", *o.id);
  std::string facts;
  if (o.cap) append(facts, ", cap ", *o.cap);
  if (o.len) append(facts, ", len ", *o.len);
  if (o.closed && *o.closed) append(facts, ", closed");
  if (!facts.empty()) append(out, " (", std::string_view(facts).substr(2), ")");
  return out;
}

namespace {

// "fiber 1", "fibers 1, 2, 3 and 4 more", or "" for none.
std::string ids_phrase(std::string_view noun, const std::vector<std::int64_t>& ids) {
  constexpr std::size_t kShown = 3;
  if (ids.empty()) return "";
  std::string out = cat(noun, ids.size() == 1 ? " " : "s ");
  for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) append(out, i ? ", " : "", ids[i]);
  if (ids.size() > kShown) append(out, " and ", ids.size() - kShown, " more");
  return out;
}

}  // namespace

std::string parents_phrase(const Group& g) {
  std::vector<std::int64_t> fibers, threads;
  for (const TaskRef& p : g.parents) (p.thread ? threads : fibers).push_back(p.id);
  std::string out = ids_phrase("fiber", fibers);
  std::string by_threads = ids_phrase("thread", threads);
  // A null parent says "a thread", not which: several may be one.
  if (g.unknown_parents > 0) {
    by_threads = by_threads.empty() ? "a thread" : cat(by_threads, " and others");
  }
  if (!by_threads.empty()) out = out.empty() ? by_threads : cat(out, " and ", by_threads);
  return out;
}

const char* reason_phrase(Reason r) {
  switch (r) {
    case Reason::kExit:
      return "exit (main returned or exit was called)";
    case Reason::kDeadlock:
      return "deadlock (all fibers are asleep)";
    case Reason::kPanic:
      return "panic (an exception escaped)";
    case Reason::kSignal:
      return "signal (a dump was asked for)";
  }
  return "";
}

const char* lock_kind_phrase(std::string_view kind) {
  if (kind == "lock-order-inversion") {
    return "locks taken in opposite orders: a potential deadlock";
  }
  if (kind == "double-lock") return "a fiber locked a mutex it already holds";
  if (kind == "recursive-rlock") {
    return "a read lock taken again by its holder while a writer waits";
  }
  return "";
}

std::string count(std::size_t n, std::string_view noun) {
  return cat(n, " ", noun, n == 1 ? "" : "s");
}

std::string task_name(const TaskRef& t) { return cat(t.thread ? "thread " : "fiber ", t.id); }

std::string race_task_phrase(const Dump& d, const RaceTask& t) {
  std::string out = task_name(t.task);
  if (t.created_at) append(out, " created at ", location(d, *t.created_at));
  return out;
}

std::string access_phrase(const Access& a) {
  std::string out = cat(a.kind, " of ", count(static_cast<std::size_t>(a.size), "byte"));
  if (!a.addr.empty()) append(out, " at ", a.addr);
  if (a.task) append(out, " by ", task_name(*a.task));
  return out;
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = s[i];
    const bool c1 = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(s[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (c1) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(s[++i]));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace weave::dump
