#include "report.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine.h"
#include "slots.h"
#include "stacks.h"

namespace weave::detail::race {
namespace {

struct Position {
  std::string file;
  u32 line = 0;
  u32 column = 0;
  std::string function;
};

struct Side {
  AccessKind kind;
  uptr addr;
  std::vector<Position> stack;  // innermost first
  std::size_t user = 0;         // index of the innermost frame in the program's own code
  Identity who;
  bool known = false;  // whether `who` could be found
  bool finished = false;
};

std::mutex g_mu;
std::set<std::pair<std::string, std::string>> g_reported;  // guarded by g_mu
std::vector<std::string> g_json;                           // guarded by g_mu
std::atomic<std::size_t> g_count{0};

// Pairs (code location, previous access's site) already reported, so that a race found again and
// again in a loop costs a lookup, not a report: open addressing, never cleared but by tests.
constexpr std::size_t kSeen = 4096;
std::atomic<u64> g_seen[kSeen];

u64 seen_key(const Loc* loc, u64 prev) {
  return (reinterpret_cast<u64>(loc) * 0x9E3779B97F4A7C15ull) ^ (u64{cell_site(prev)} + 1);
}

bool seen(u64 key) {
  for (std::size_t i = 0, h = key % kSeen; i < 16; ++i, h = (h + 1) % kSeen) {
    const u64 v = g_seen[h].load(std::memory_order_relaxed);
    if (v == key) return true;
    if (v == 0) return false;
  }
  return false;
}

void remember(u64 key) {
  for (std::size_t i = 0, h = key % kSeen; i < 16; ++i, h = (h + 1) % kSeen) {
    u64 v = 0;
    if (g_seen[h].compare_exchange_strong(v, key) || v == key) return;
  }
}

// The frames of a location: the code itself, then each call site it was inlined at.
void expand(const Loc* loc, std::vector<Position>* out) {
  for (; loc; loc = loc->inlined_at) {
    out->push_back(Position{loc->file ? loc->file : "?", loc->line, loc->column,
                            loc->function ? loc->function : "?"});
  }
}

std::vector<Position> stack_of(const RaceTask* t, const Loc* loc) {
  std::vector<Position> out;
  expand(loc, &out);
  // frames[i]'s position is where it called frames[i + 1]; the innermost's is the access itself.
  for (u32 i = recorded_frames(t); i-- > 1;) expand(called_from(t, i), &out);
  return out;
}

std::size_t first_user(const std::vector<Position>& stack) {
  for (std::size_t i = 0; i < stack.size(); ++i) {
    if (is_user_file(stack[i].file.c_str())) return i;
  }
  return 0;
}

std::string task_name(const Identity& who) {
  if (who.fiber) return absl::StrCat("fiber ", who.id);
  // A thread weave never saw: numbered by the engine, apart from weave's ids.
  return absl::StrCat("thread ", who.weave_id ? "" : "T", who.id);
}

std::string kind_name(const AccessKind& k) {
  return absl::StrCat(k.atomic ? "atomic " : "", k.write ? "write" : "read");
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

void append_stack(std::string* out, const std::vector<Position>& stack) {
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const Position& p = stack[i];
    absl::StrAppendFormat(out, "  #%d %s:%u %s\n", static_cast<int>(i), p.file, p.line, p.function);
  }
}

void append_creation(std::string* out, const Side& s) {
  if (!s.known) return;
  absl::StrAppend(out, capitalized(task_name(s.who)), s.finished ? " (finished)" : " (running)");
  if (!s.who.file) {
    absl::StrAppend(out, s.who.main_thread
                             ? " is the main thread\n"
                             : " created where the race detector did not see (before an "
                               "instrumented module started it, or by code it does not know)\n");
    return;
  }
  Identity parent;
  parent.id = s.who.parent_id;
  parent.fiber = s.who.parent_fiber;
  parent.weave_id = s.who.parent_weave_id;
  absl::StrAppendFormat(out, " created at:\n  #0 %s:%u %s\n  by %s\n", s.who.file, s.who.line,
                        s.who.function ? s.who.function : "?", task_name(parent));
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_position(const Position& p) {
  return absl::StrCat("{\"file\": ", json_string(p.file), ", \"line\": ", p.line,
                      ", \"function\": ", json_string(p.function), "}");
}

std::string json_side(const Side& s) {
  const Position none;
  const Position& at = s.stack.empty() ? none : s.stack[s.user];
  std::string stack;
  for (const Position& p : s.stack)
    absl::StrAppend(&stack, stack.empty() ? "" : ", ", json_position(p));
  return absl::StrCat("{\"kind\": ", json_string(kind_name(s.kind)), ", \"size\": ", s.kind.size,
                      ", \"addr\": ", json_string(absl::StrFormat("%#x", s.addr)),
                      ", \"file\": ", json_string(at.file), ", \"line\": ", at.line,
                      ", \"function\": ", json_string(at.function), ", \"",
                      s.who.fiber ? "fiber" : "thread", "\": ", s.who.id, ", \"stack\": [", stack,
                      "]}");
}

std::string json_task(const Side& s) {
  std::string created = "null";
  if (s.who.file) {
    created =
        absl::StrCat("{\"file\": ", json_string(s.who.file), ", \"line\": ", s.who.line,
                     ", \"function\": ", json_string(s.who.function ? s.who.function : ""), "}");
  }
  return absl::StrCat("{\"id\": ", s.who.id, ", \"kind\": \"", s.who.fiber ? "fiber" : "thread",
                      "\", \"created_at\": ", created, "}");
}

int exit_code() {
  if (const char* s = std::getenv("WEAVE_RACE_EXITCODE")) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end != s && *end == '\0' && v >= 0 && v <= 255) return static_cast<int>(v);
  }
  return 66;
}

void at_exit(int status, void*) {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  const std::size_t n = g_count.load();
  if (n == 0) return;
  std::fprintf(stderr, "Found %zu data race(s)\n", n);
  const int code = exit_code();
  if (status != 0 || code == 0) return;
  std::fflush(nullptr);
  _exit(code);
}

}  // namespace

bool is_user_file(const char* path) {
  if (!path || !*path) return false;
  if (std::strncmp(path, "/usr/", 5) == 0) return false;
  return !std::strstr(path, "/include/c++/") && !std::strstr(path, "/include/weave/");
}

const Loc* user_frame(const RaceTask* t, const Loc* loc) {
  auto user_in = [](const Loc* chain) -> const Loc* {
    for (const Loc* l = chain; l; l = l->inlined_at) {
      if (is_user_file(l->file)) return l;
    }
    return nullptr;
  };
  if (const Loc* l = user_in(loc)) return l;
  // As stack_of walks: where each frame was called from, innermost first.
  for (u32 i = recorded_frames(t); i-- > 1;) {
    if (const Loc* l = user_in(called_from(t, i))) return l;
  }
  return loc;
}

void report_race(RaceTask* t, uptr addr, AccessKind now, const Loc* loc, u64 prev,
                 bool prev_write) {
  const u64 fast = seen_key(loc, prev);
  if (seen(fast)) return;
  Side a;
  a.kind = now;
  a.addr = addr;
  a.stack = stack_of(t, loc);
  a.user = first_user(a.stack);
  a.who = t->who;
  a.known = true;
  a.finished = t->finished;

  Side b;
  b.kind = AccessKind{prev_write, cell_atomic(prev),
                      static_cast<u32>(__builtin_popcount(cell_mask(prev)))};
  b.addr = (addr & ~uptr{7}) + static_cast<uptr>(__builtin_ctz(cell_mask(prev) | 0x100));
  for (const Loc* l : site_stack(cell_site(prev))) expand(l, &b.stack);
  b.user = first_user(b.stack);
  b.known = slot_holder(cell_slot(prev), cell_clock(prev), &b.who, &b.finished);

  auto key = [](const Side& s) {
    if (s.stack.empty()) return std::string("?");
    const Position& p = s.stack[s.user];
    return absl::StrCat(p.file, ":", p.line);
  };
  std::pair<std::string, std::string> pair{key(a), key(b)};
  if (pair.second < pair.first) std::swap(pair.first, pair.second);

  std::string text = "==================\nWARNING: DATA RACE\n";
  absl::StrAppendFormat(&text, "%s of size %u at %#x by %s:\n", capitalized(kind_name(a.kind)),
                        a.kind.size, a.addr, task_name(a.who));
  append_stack(&text, a.stack);
  absl::StrAppendFormat(&text, "\nPrevious %s of size %u at %#x by %s:\n", kind_name(b.kind),
                        b.kind.size, b.addr,
                        b.known ? task_name(b.who) : "a task that ended long ago");
  if (b.stack.empty()) {
    absl::StrAppend(&text, "  (location not recorded)\n");
  } else {
    append_stack(&text, b.stack);
  }
  absl::StrAppend(&text, "\n");
  append_creation(&text, a);
  append_creation(&text, b);
  absl::StrAppend(&text, "\nLocks held by ", task_name(a.who), ":");
  if (t->nlocks == 0) absl::StrAppend(&text, " none");
  for (int i = 0; i < t->nlocks; ++i) {
    const HeldLock& l = t->locks[i];
    absl::StrAppendFormat(&text, "\n  %s %p locked at %s:%u", l.shared ? "read lock" : "lock",
                          l.addr, l.file ? l.file : "?", l.line);
  }
  absl::StrAppend(&text, "\n==================\n");

  std::string json = absl::StrCat("{\"access\": ", json_side(a), ", \"previous\": ", json_side(b),
                                  ", \"fibers\": [", json_task(a));
  if (b.known) absl::StrAppend(&json, ", ", json_task(b));
  absl::StrAppend(&json, "]}");

  std::lock_guard<std::mutex> hold(g_mu);
  remember(fast);
  if (!g_reported.insert(pair).second) return;
  g_json.push_back(std::move(json));
  g_count.fetch_add(1);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

std::string races_json() {
  // A dump may be written while the world is stopped, by signal too: a thread stopped in the
  // middle of a report holds the lock for good, and its races are then left out.
  std::unique_lock<std::mutex> hold(g_mu, std::try_to_lock);
  if (!hold.owns_lock()) return "[]";
  std::string out = "[";
  for (std::size_t i = 0; i < g_json.size(); ++i) absl::StrAppend(&out, i ? ", " : "", g_json[i]);
  return out + "]";
}

std::size_t races_reported() { return g_count.load(); }

void install_exit_status() { on_exit(&at_exit, nullptr); }

void reset_reports_for_testing() {
  std::lock_guard<std::mutex> hold(g_mu);
  g_reported.clear();
  g_json.clear();
  for (auto& k : g_seen) k.store(0);
  g_count.store(0);
}

}  // namespace weave::detail::race
