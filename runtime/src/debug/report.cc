// The leak report (see report.h).
//
// Collecting reads every task through the registry, and for each blocked one the object it
// waits on. A parked task keeps that object alive (its handle or reference is in the task's frame
// while it waits), so reading it is safe; while the world runs the values are a snapshot. Stacks
// of parked fibers are walked along frame pointers from their saved contexts, never captured when
// they park: parking costs the same as in the release library.
#include "debug/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "chan.h"
#include "context_switch.h"
#include "debug/held.h"
#include "debug/lockcheck.h"
#include "debug/race/engine.h"
#include "debug/reach.h"
#include "debug/symbolize.h"
#include "dump.h"
#include "fiber.h"
#include "registry.h"
#include "stack_trace.h"
#include "waiter.h"

namespace weave::detail::debug {
namespace {

constexpr int kMaxFrames = 48;
// A walk of a thread's stack, whose extent is not recorded, reads at most this far up (through
// the kernel, so past its end it stops instead of faulting).
constexpr std::size_t kThreadStackReach = 64 << 20;

ObjectView view_of(const void* addr, const char* kind) {
  ObjectView o;
  o.addr = addr;
  o.kind = kind ? kind : "";
  if (o.kind == "chan" && addr) {
    const auto* c = static_cast<const ChanCore*>(addr);
    o.id = c->id;
    o.has_created_at = true;
    o.created_at = c->created_at;
    o.cap = c->cap;
    o.len = c->count;
    o.closed = c->closed;
  }
  return o;
}

void add_blocked(Task* t, Report* r, std::int64_t now) {
  const WaitReason why = t->wait_reason.load(std::memory_order_acquire);
  if (why == WaitReason::kNone) {
    if (t->kind == TaskKind::kFiber) ++r->running;
    return;
  }
  BlockedTask b;
  b.task = t;
  b.fiber = t->kind == TaskKind::kFiber;
  b.id = t->id;
  b.reason = why;
  b.wait_ns = now - t->wait_since_ns;
  b.blocked_at = t->wait_location;
  b.object = view_of(t->wait_object.addr, t->wait_object.kind);
  if (why == WaitReason::kSelect) {
    for (int i = 0; i < t->dbg.nwaiters; ++i) {
      const Waiter& w = t->dbg.waiters[i];
      if (w.task == t && w.on) b.objects.push_back(view_of(w.on, "chan"));
    }
  }
  void* pcs[kMaxFrames];
  int n = 0;
  if (b.fiber) {
    const auto* f = static_cast<const Fiber*>(t);
    b.created_at = f->created_at;
    b.parent_id = f->parent_id;
    b.parent_is_thread = f->parent_is_thread;
    const char* lo = f->stack->base;
    n = walk_frames(context_frame_pointer(f->context), lo, lo + f->stack->size, pcs, kMaxFrames);
  } else if (const char* lo = static_cast<const char*>(t->dbg.sp)) {
    n = walk_frames(t->dbg.fp, lo, lo + kThreadStackReach, pcs, kMaxFrames, true);
  }
  b.stack.assign(pcs, pcs + n);
  (b.fiber ? r->fibers : r->threads).push_back(std::move(b));
}

// Mutex holders by task id, and ids for objects that have none of their own (every object but
// a channel), above every id in the report so that none collides.
void resolve_objects(Report* r) {
  std::uint64_t next = 1;
  for (auto* list : {&r->fibers, &r->threads}) {
    for (const BlockedTask& b : *list) {
      next = std::max({next, b.id + 1, b.object.id + 1});
      for (const ObjectView& o : b.objects) next = std::max(next, o.id + 1);
    }
  }
  std::map<const void*, std::uint64_t> ids;
  for (auto* list : {&r->fibers, &r->threads}) {
    for (BlockedTask& b : *list) {
      ObjectView& o = b.object;
      if (o.kind.empty() || o.kind == "chan" || !o.addr) continue;
      auto [it, fresh] = ids.emplace(o.addr, next);
      if (fresh) ++next;
      o.id = it->second;
      if (o.kind == "mutex" || o.kind == "rwmutex") {
        for (const Task* h : holders_of(o.addr)) o.holders.push_back(h->id);
      }
    }
  }
}

std::string where(const Location& l) {
  std::string s = absl::StrCat(l.file_name(), ":", l.line());
  if (*l.function_name()) absl::StrAppend(&s, " (", l.function_name(), ")");
  return s;
}

std::string duration(std::int64_t ns) {
  const absl::Duration d = absl::Nanoseconds(ns < 0 ? 0 : ns);
  return absl::FormatDuration(
      absl::Trunc(d, d >= absl::Milliseconds(1) ? absl::Milliseconds(1) : absl::Microseconds(1)));
}

std::string describe(const ObjectView& o) {
  if (o.kind.empty()) return "";
  if (o.kind == "chan") {
    return absl::StrCat("chan ", o.id, " (cap ", o.cap, ", len ", o.len, o.closed ? ", closed" : "",
                        ") made at ", where(o.created_at));
  }
  if (o.kind == "nil chan") return o.kind;
  std::string s = absl::StrCat(o.kind, " ", o.id);
  if (o.addr) absl::StrAppend(&s, absl::StrFormat(" at %p", o.addr));
  if (o.kind == "mutex" || o.kind == "rwmutex") {
    absl::StrAppend(&s, o.holders.empty()
                            ? ", holder unknown"
                            : absl::StrCat(", held by ", absl::StrJoin(o.holders, ", ")));
  }
  return s;
}

struct Group {
  std::vector<const BlockedTask*> members;
  int unreachable = 0;
  std::int64_t longest_ns = 0;
};

using GroupKey = std::tuple<std::string, std::string, std::string>;

std::vector<Group> group(const std::vector<BlockedTask>& tasks) {
  std::map<GroupKey, Group> by_key;
  for (const BlockedTask& t : tasks) {
    Group& g = by_key[GroupKey{state_name(t), where(t.blocked_at),
                               t.fiber ? where(t.created_at) : std::string()}];
    g.members.push_back(&t);
    if (t.unreachable) ++g.unreachable;
    g.longest_ns = std::max(g.longest_ns, t.wait_ns);
  }
  // Largest first; groups of one size in their keys' order. (std::sort with the rank as the tie
  // break, where std::stable_sort would do: libstdc++'s stable_sort trips a deprecation warning
  // under clang.)
  std::vector<std::pair<std::size_t, Group>> ranked;
  for (auto& [key, g] : by_key) ranked.emplace_back(ranked.size(), std::move(g));
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.second.members.size() != b.second.members.size()) {
      return a.second.members.size() > b.second.members.size();
    }
    return a.first < b.first;
  });
  std::vector<Group> groups;
  for (auto& [rank, g] : ranked) groups.push_back(std::move(g));
  return groups;
}

}  // namespace

// One frame as a dump shows it: a function of the user's code with its source line when the
// debug information has it (an inlined call is a frame of its own), and where it lies in its
// object file.
struct ShownFrame {
  std::string function;
  std::string file;  // empty when unknown
  unsigned line = 0;
  std::string module;
  std::uintptr_t offset = 0;
};

// Symbolizing is the slow part of a large report: each stack is reduced to the user's frames
// once (the fibers of a group share theirs), and each return address looked up once, in batches
// (symbolize.h).
class ShownStacks {
 public:
  // Symbolizes, in one batch, every address of these tasks' stacks not looked up yet.
  void prepare(const std::vector<const BlockedTask*>& tasks) {
    std::vector<const std::vector<void*>*> stacks;
    for (const BlockedTask* t : tasks) stacks.push_back(&t->stack);
    prepare_stacks(stacks);
  }

  const std::vector<ShownFrame>& of(const BlockedTask& t) { return of_stack(t.stack); }

  const std::vector<ShownFrame>& of_stack(const std::vector<void*>& stack) {
    auto it = shown_.find(stack);
    if (it != shown_.end()) return it->second;
    prepare_stacks({&stack});
    std::vector<ShownFrame> frames;
    for (const Frame& f : user(stack)) {
      const std::vector<SourceFrame>& lines = lines_[f.pc];
      if (lines.empty()) {
        frames.push_back({f.function, "", 0, f.where.module, f.where.offset});
        continue;
      }
      for (const SourceFrame& l : lines) {
        ShownFrame s{l.function.empty() ? f.function : l.function, l.file, l.line, f.where.module,
                     f.where.offset};
        // The machinery user_frames drops may have been inlined into the first user frame.
        if (frames.empty() && is_top_machinery({f.pc, s.function, f.where})) continue;
        frames.push_back(std::move(s));
      }
    }
    return shown_.emplace(stack, std::move(frames)).first->second;
  }

 private:
  void prepare_stacks(const std::vector<const std::vector<void*>*>& stacks) {
    std::vector<const void*> pcs;
    for (const std::vector<void*>* stack : stacks) {
      for (const Frame& f : user(*stack)) {
        if (lines_.emplace(f.pc, std::vector<SourceFrame>{}).second) pcs.push_back(f.pc);
      }
    }
    if (pcs.empty()) return;
    std::vector<std::vector<SourceFrame>> found = source_lines(pcs);
    for (std::size_t i = 0; i < pcs.size(); ++i) lines_[pcs[i]] = std::move(found[i]);
  }

  const std::vector<Frame>& user(const std::vector<void*>& stack) {
    auto it = user_.find(stack);
    if (it == user_.end()) {
      it = user_.emplace(stack, user_frames(stack.data(), static_cast<int>(stack.size()))).first;
    }
    return it->second;
  }

  std::map<std::vector<void*>, std::vector<Frame>> user_;
  std::map<const void*, std::vector<SourceFrame>> lines_;
  std::map<std::vector<void*>, std::vector<ShownFrame>> shown_;
};

namespace {

ShownStacks& shown(const Report& r) {
  if (!r.shown) r.shown = std::make_shared<ShownStacks>();
  return *r.shown;
}

void print_frames(std::FILE* out, const std::vector<ShownFrame>& frames, int indent = 4) {
  for (const ShownFrame& f : frames) {
    if (f.file.empty()) {
      std::fprintf(out, "%*s%s\n%*s%s+0x%zx\n", indent, "", f.function.c_str(), indent + 4, "",
                   f.module.c_str(), static_cast<std::size_t>(f.offset));
    } else {
      std::fprintf(out, "%*s%s\n%*s%s:%u\n", indent, "", f.function.c_str(), indent + 4, "",
                   f.file.c_str(), f.line);
    }
  }
}

void print_group(std::FILE* out, const Group& g, const char* noun, ShownStacks& stacks) {
  const BlockedTask& first = *g.members.front();
  const std::size_t n = g.members.size();
  std::string head = absl::StrCat(n, " ", noun, n == 1 ? "" : "s", " [", state_name(first), ", ",
                                  duration(g.longest_ns));
  if (g.unreachable == static_cast<int>(n)) {
    absl::StrAppend(&head, ", unreachable");
  } else if (g.unreachable > 0) {
    absl::StrAppend(&head, ", ", g.unreachable, " unreachable");
  }
  absl::StrAppend(&head, "]:");
  std::fprintf(out, "%s\n", head.c_str());
  std::string ids;
  constexpr std::size_t kShownIds = 10;
  for (std::size_t i = 0; i < n && i < kShownIds; ++i) {
    absl::StrAppend(&ids, i ? ", " : "", g.members[i]->id);
  }
  if (n > kShownIds) absl::StrAppend(&ids, ", … (", n - kShownIds, " more)");
  std::fprintf(out, "  %s %s\n", n == 1 ? noun : "ids", ids.c_str());
  if (g.unreachable > 0) {
    std::fprintf(out, "  unreachable: nothing that can still run holds what %s on\n",
                 g.unreachable == 1 ? "it waits" : "they wait");
  }
  std::fprintf(out, "  blocked at %s\n", where(first.blocked_at).c_str());
  if (!first.objects.empty()) {
    for (const ObjectView& o : first.objects) std::fprintf(out, "  on %s\n", describe(o).c_str());
  } else if (!first.object.kind.empty()) {
    std::fprintf(out, "  on %s\n", describe(first.object).c_str());
  }
  if (first.fiber) {
    std::fprintf(out, "  created at %s by %s %llu\n", where(first.created_at).c_str(),
                 first.parent_is_thread ? "thread" : "fiber",
                 static_cast<unsigned long long>(first.parent_id));
  }
  const std::vector<ShownFrame>& frames = stacks.of(first);
  if (!frames.empty()) {
    std::fprintf(out, "  stack of %s %llu:\n", noun, static_cast<unsigned long long>(first.id));
    print_frames(out, frames);
  }
  std::fputs("\n", out);
}

// The lock warnings, each printed in full when it was given, recalled in a line or two each: a
// deadlock or a leak they explain is then read next to them.
void print_lock_warnings(std::FILE* out, const std::vector<lockcheck::Warning>& locks) {
  if (locks.empty()) return;
  std::fprintf(out, "%zu lock warning%s in this run (printed in full above when given):\n",
               locks.size(), locks.size() == 1 ? "" : "s");
  for (const lockcheck::Warning& w : locks) {
    std::fprintf(out, "  %s\n", w.summary.c_str());
    for (const lockcheck::Site& s : w.sites) {
      if (s.role != "acquiring") continue;
      std::fprintf(out, "    %s by %s %llu at %s:%d (%s)\n", s.lock.c_str(),
                   s.taker.is_thread ? "thread" : "fiber",
                   static_cast<unsigned long long>(s.taker.id), s.file.c_str(), s.line,
                   s.function.c_str());
    }
  }
  std::fputs("\n", out);
}

// --- JSON ---------------------------------------------------------------------------------------

void json_string(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(out, absl::StrFormat("\\u%04x", c));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void json_location(std::string* out, const char* file, unsigned line, const char* function) {
  out->append("{\"file\": ");
  json_string(out, file);
  absl::StrAppend(out, ", \"line\": ", line, ", \"function\": ");
  json_string(out, function);
  out->push_back('}');
}

void json_location(std::string* out, const Location& l) {
  json_location(out, l.file_name(), l.line(), l.function_name());
}

void json_object(std::string* out, const ObjectView& o) {
  out->append("{\"kind\": ");
  json_string(out, o.kind);
  absl::StrAppend(out, ", \"id\": ", o.id, ", \"addr\": \"", absl::StrFormat("%p", o.addr), "\"");
  if (o.has_created_at) {
    out->append(", \"created_at\": ");
    json_location(out, o.created_at);
  }
  if (o.kind == "chan") {
    absl::StrAppend(out, ", \"cap\": ", o.cap, ", \"len\": ", o.len,
                    ", \"closed\": ", o.closed ? "true" : "false");
  }
  if (o.kind == "mutex" || o.kind == "rwmutex") {
    absl::StrAppend(out, ", \"holders\": [", absl::StrJoin(o.holders, ", "), "]");
  }
  out->push_back('}');
}

// A symbolized frame: its function, object file and offset (no file or line).
void json_frame(std::string* out, const Frame& f) {
  json_location(out, "", 0, f.function.c_str());
  out->pop_back();
  out->append(", \"module\": ");
  json_string(out, f.where.module);
  absl::StrAppend(out, ", \"offset\": ", f.where.offset, "}");
}

void json_task(std::string* out, const BlockedTask& t, ShownStacks& stacks) {
  absl::StrAppend(out, "{\"id\": ", t.id, ", \"state\": ");
  json_string(out, state_name(t));
  absl::StrAppend(out, ", \"wait_ns\": ", t.wait_ns < 0 ? 0 : t.wait_ns,
                  ", \"unreachable\": ", t.unreachable ? "true" : "false", ", \"blocked_at\": ");
  json_location(out, t.blocked_at);
  if (t.fiber) {
    out->append(", \"created_at\": ");
    json_location(out, t.created_at);
    absl::StrAppend(out, ", \"parent\": ", t.parent_id, ", \"parent_kind\": \"",
                    t.parent_is_thread ? "thread" : "fiber", "\"");
  }
  // The innermost frame is where it blocks, whose line is known; then the return addresses of
  // the user's frames, whose functions are.
  out->append(", \"stack\": [");
  json_location(out, t.blocked_at);
  for (const ShownFrame& f : stacks.of(t)) {
    out->append(", ");
    json_location(out, f.file.c_str(), f.line, f.function.c_str());
    out->pop_back();
    out->append(", \"module\": ");
    json_string(out, f.module);
    absl::StrAppend(out, ", \"offset\": ", f.offset, "}");
  }
  out->append("]");
  if (!t.object.kind.empty()) {
    out->append(", \"object\": ");
    json_object(out, t.object);
  }
  if (!t.objects.empty()) {
    out->append(", \"objects\": [");
    for (std::size_t i = 0; i < t.objects.size(); ++i) {
      if (i) out->append(", ");
      json_object(out, t.objects[i]);
    }
    out->append("]");
  }
  out->push_back('}');
}

// A lock warning's site: the lock call's location and who made it, then the lock (its name in
// the warning, kind and address) and the stack: the lock call first, then the frames captured
// (a held lock's site has only the function its call returned to).
void json_lock_site(std::string* out, const lockcheck::Site& s) {
  json_location(out, s.file.c_str(), static_cast<unsigned>(s.line), s.function.c_str());
  out->pop_back();
  absl::StrAppend(out, ", \"", s.taker.is_thread ? "thread" : "fiber", "\": ", s.taker.id,
                  ", \"role\": ");
  json_string(out, s.role);
  out->append(", \"lock\": ");
  json_string(out, s.lock);
  out->append(", \"lock_kind\": ");
  json_string(out, s.kind);
  absl::StrAppend(out, ", \"addr\": \"", absl::StrFormat("%p", s.addr), "\", \"stack\": [");
  json_location(out, s.file.c_str(), static_cast<unsigned>(s.line), s.function.c_str());
  for (const Frame& f : s.stack) {
    out->append(", ");
    json_frame(out, f);
  }
  if (!s.caller.empty()) {
    out->append(", ");
    json_location(out, "", 0, s.caller.c_str());
  }
  out->append("]}");
}

void json_lock_warning(std::string* out, const lockcheck::Warning& w) {
  out->append("{\"kind\": ");
  json_string(out, w.kind);
  out->append(", \"summary\": ");
  json_string(out, w.summary);
  out->append(", \"sites\": [");
  for (std::size_t i = 0; i < w.sites.size(); ++i) {
    if (i) out->append(", ");
    json_lock_site(out, w.sites[i]);
  }
  out->append("]}");
}

bool write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string state_name(const BlockedTask& t) { return wait_reason_name(t.reason); }

Report collect(const std::string& reason) {
  Report r;
  r.reason = reason;
  struct Arg {
    Report* r;
    std::int64_t now;
  } arg{&r, monotonic_now_ns()};
  registry_visit(
      [](Task* t, void* p) {
        auto* a = static_cast<Arg*>(p);
        add_blocked(t, a->r, a->now);
      },
      &arg);
  auto by_id = [](const BlockedTask& a, const BlockedTask& b) { return a.id < b.id; };
  std::sort(r.fibers.begin(), r.fibers.end(), by_id);
  std::sort(r.threads.begin(), r.threads.end(), by_id);
  resolve_objects(&r);
  return r;
}

Report collect_marked(const std::string& reason) {
  const Unreachable lost = find_unreachable(reason == "exit");
  // Collected after the world runs again: fibers found unreachable stay blocked, so the marks
  // still hold.
  Report r = collect(reason);
  for (BlockedTask& b : r.fibers) b.unreachable = lost.contains(b.id);
  r.unreachable_note = lost.why_not();
  return r;
}

void print_report(std::FILE* out, const Report& r) {
  const std::vector<Group> groups = group(r.fibers);
  const char* when = r.reason == "exit" ? "at exit" : "now";
  std::fprintf(out, "weave: %zu fiber%s blocked %s, in %zu group%s", r.fibers.size(),
               r.fibers.size() == 1 ? "" : "s", when, groups.size(), groups.size() == 1 ? "" : "s");
  if (!r.threads.empty()) {
    std::fprintf(out, "; %zu thread%s blocked in weave", r.threads.size(),
                 r.threads.size() == 1 ? "" : "s");
  }
  if (r.running > 0) {
    std::fprintf(out, "; %d more fiber%s running or runnable", r.running,
                 r.running == 1 ? "" : "s");
  }
  std::fputs(":\n\n", out);
  const std::vector<Group> thread_groups = group(r.threads);
  ShownStacks& stacks = shown(r);
  std::vector<const BlockedTask*> firsts;  // the stacks shown: each group's first task's
  for (const auto* gs : {&groups, &thread_groups}) {
    for (const Group& g : *gs) firsts.push_back(g.members.front());
  }
  stacks.prepare(firsts);
  for (const Group& g : groups) print_group(out, g, "fiber", stacks);
  for (const Group& g : thread_groups) print_group(out, g, "thread", stacks);
  if (!r.unreachable_note.empty() && !r.fibers.empty()) {
    std::fprintf(out, "(unreachable fibers not marked: %s)\n", r.unreachable_note.c_str());
  }
  print_lock_warnings(out, lockcheck::warnings());
  std::fflush(out);
}

// Until the race detector and the lock checks define these (they then move to their files).
void append_races_json(std::string* out) { out->append(race::races_json()); }
void append_locks_json(std::string* out) {
  const std::vector<lockcheck::Warning> locks = lockcheck::warnings();
  out->push_back('[');
  for (std::size_t i = 0; i < locks.size(); ++i) {
    out->append(i ? ",\n  " : "\n  ");
    json_lock_warning(out, locks[i]);
  }
  out->push_back(']');
}

bool write_json_if_asked(const Report& r) {
  const char* path = std::getenv("WEAVE_DUMP");
  if (!path || !*path) return true;
  ShownStacks& stacks = shown(r);
  std::vector<const BlockedTask*> all;
  for (const auto* list : {&r.fibers, &r.threads}) {
    for (const BlockedTask& t : *list) all.push_back(&t);
  }
  stacks.prepare(all);
  std::string out = "{\"version\": 1, \"reason\": ";
  json_string(&out, r.reason);
  absl::StrAppend(&out, ", \"pid\": ", getpid(),
                  ", \"unreachable_analysed\": ", r.unreachable_note.empty() ? "true" : "false",
                  ",\n \"fibers\": [");
  for (std::size_t i = 0; i < r.fibers.size(); ++i) {
    out.append(i ? ",\n  " : "\n  ");
    json_task(&out, r.fibers[i], stacks);
  }
  out.append("],\n \"threads\": [");
  for (std::size_t i = 0; i < r.threads.size(); ++i) {
    out.append(i ? ",\n  " : "\n  ");
    json_task(&out, r.threads[i], stacks);
  }
  out.append("],\n \"races\": ");
  append_races_json(&out);
  out.append(",\n \"locks\": ");
  append_locks_json(&out);
  out.append("}\n");
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const bool ok = fd >= 0 && write_all(fd, out);
  const int err = errno;
  if (fd >= 0) close(fd);
  if (!ok)
    std::fprintf(stderr, "weave: cannot write WEAVE_DUMP=%s: %s\n", path, std::strerror(err));
  return ok;
}

void print_stack(std::FILE* out, void* const* pcs, int n, int indent) {
  ShownStacks stacks;
  print_frames(out, stacks.of_stack(std::vector<void*>(pcs, pcs + n)), indent);
}

}  // namespace weave::detail::debug
