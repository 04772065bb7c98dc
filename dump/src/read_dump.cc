// The dump's schema over the JSON pull parser: one reader per kind of object, each naming the
// members it knows (read_members skips the rest, and finds a duplicate or a missing required one
// with a bit set, without a second pass).
//
// A million leaked fibers repeat the same few stacks, locations and objects byte for byte, so the
// reader remembers the last few of each kind with their bytes: a value that starts with the same
// bytes as a remembered one is that value (the parser never looks past a value's end), and is
// taken over by one memcmp instead of being parsed again. Locations and states are interned.
#include "read_dump.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <sys/mman.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "concat.h"

namespace weave::dump {

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kExit:
      return "exit";
    case Reason::kDeadlock:
      return "deadlock";
    case Reason::kPanic:
      return "panic";
    case Reason::kSignal:
      return "signal";
  }
  return "exit";
}

bool has_findings(const Dump& d) {
  return !d.tasks.empty() || !d.races.empty() || !d.locks.empty() ||
         d.reason == Reason::kDeadlock || d.reason == Reason::kPanic;
}

namespace {

// Runs f; an InputError leaving it gets `segment` (a member name, or "[index]") in front of its
// path. The index's text is made only on the way out.
template <typename F>
void within(std::string_view segment, F&& f) {
  try {
    f();
  } catch (InputError& e) {
    e.prepend_path(segment);
    throw;
  }
}

template <typename F>
void within(std::size_t index, F&& f) {
  try {
    f();
  } catch (InputError& e) {
    e.prepend_path(cat("[", index, "]"));
    throw;
  }
}

// The bit set of the first n members of a list of names.
constexpr unsigned first(unsigned n) { return (1u << n) - 1; }

// The last N values of one kind with their bytes, replaced round robin.
template <typename T, std::size_t N>
class Recent {
 public:
  // If the input at the reader's next value starts with a remembered value's bytes: steps over
  // them and returns that value.
  const T* reuse(JsonReader& r) {
    r.value_offset();
    const std::string_view rest = r.rest();
    for (std::size_t i = 0; i < used_; ++i) {
      const std::string_view text = slots_[i].text;
      if (rest.size() >= text.size() && std::memcmp(rest.data(), text.data(), text.size()) == 0) {
        r.advance(text.size());
        return &slots_[i].value;
      }
    }
    return nullptr;
  }
  void remember(std::string_view text, const T& value) {
    slots_[next_] = {text, value};
    next_ = (next_ + 1) % N;
    used_ = std::max(used_, next_ == 0 ? N : next_);
  }

 private:
  struct Slot {
    std::string_view text;
    T value;
  };
  std::array<Slot, N> slots_{};
  std::size_t used_ = 0;
  std::size_t next_ = 0;
};

// Member lists. Readers of objects that hold a location's members list them first; where a reader
// says "the first n are required", the required members come first.
constexpr std::string_view kDumpMembers[] = {
    "version", "reason", "fibers", "threads", "races", "locks", "unreachable_analysed"};
constexpr std::string_view kLocationMembers[] = {"file", "line", "function", "module", "offset"};
// In the order the runtime writes them, which read_members tries first.
constexpr std::string_view kTaskMembers[] = {"id",         "state",      "wait_ns", "unreachable",
                                             "blocked_at", "created_at", "parent",  "parent_kind",
                                             "stack",      "object",     "objects"};
enum TaskMember : unsigned {
  kId,
  kState,
  kWaitNs,
  kUnreachable,
  kBlockedAt,
  kCreatedAt,
  kParent,
  kParentKind,
  kStack,
  kObject,
  kObjects,
};
constexpr std::string_view kObjectMembers[] = {"kind", "id",     "created_at", "cap",
                                               "len",  "closed", "holders"};
constexpr std::string_view kAccessMembers[] = {"file", "line",  "function", "kind",  "size",
                                               "addr", "stack", "fiber",    "thread"};
constexpr std::string_view kRaceMembers[] = {"access", "previous", "fibers"};
constexpr std::string_view kRaceTaskMembers[] = {"id", "created_at", "kind"};
constexpr std::string_view kLockMembers[] = {"kind", "sites"};
constexpr std::string_view kSiteMembers[] = {"file",  "line",  "function",
                                             "stack", "fiber", "thread"};

class DumpReader {
 public:
  DumpReader(std::string_view text, Dump& d) : r_(text, *d.arena), d_(d), text_size_(text.size()) {}

  void read() {
    const std::size_t start = r_.value_offset();
    if (start == text_size_) {
      r_.fail(start, "the input is empty: expected a weave dump (a JSON object)");
    }
    if (const JsonType t = r_.peek(); t != JsonType::kObject) {
      r_.fail(start, cat("expected a weave dump (a JSON object), found ", json_type_name(t)));
    }
    // A runtime without the race detector or the lock checks may leave races and locks out, and
    // one that blocks no thread in weave, threads.
    std::vector<Task> threads;
    read_members(kDumpMembers, first(3), "the dump", [&](unsigned member) {
      switch (member) {
        case 0:
          read_version();
          break;
        case 1:
          d_.reason = read_reason();
          break;
        case 2:
          fibers_start_ = r_.value_offset();
          read_array([&] {
            d_.tasks.push_back(read_task(false));
            if (d_.tasks.size() == kSampleFibers) reserve_fibers();
          });
          break;
        case 3:
          read_array([&] { threads.push_back(read_task(true)); });
          break;
        case 4:
          read_array([&] { d_.races.push_back(read_race()); });
          break;
        case 5:
          read_array([&] { d_.locks.push_back(read_lock_warning()); });
          break;
        case 6:
          d_.unreachable_analysed = r_.read_bool();
          break;
      }
    });
    d_.threads = threads.size();
    d_.tasks.insert(d_.tasks.end(), threads.begin(), threads.end());
    r_.expect_end();
  }

 private:
  // Reads one object: for a member named in `names`, read(its index) reads the value; the others
  // are skipped. A member given twice, or one of `required` (bits over `names`) missing, is an
  // error naming `what`.
  template <std::size_t N, typename F>
  void read_members(const std::string_view (&names)[N], unsigned required, std::string_view what,
                    F&& read) {
    const std::size_t start = r_.value_offset();
    unsigned seen = 0;
    unsigned guess = 0;  // members usually come in the order listed
    std::string_view key;
    for (r_.begin_object(); r_.next_key(key);) {
      within(key, [&] {
        const unsigned i = guess < N && names[guess] == key
                               ? guess
                               : static_cast<unsigned>(std::find(names, names + N, key) - names);
        guess = i + 1;
        if (i == N) return r_.skip_value();
        if (seen & (1u << i)) r_.fail(r_.value_offset(), cat("duplicate member \"", key, "\""));
        seen |= 1u << i;
        read(i);
      });
    }
    for (unsigned i = 0; i < N; ++i) {
      if (required & ~seen & (1u << i)) {
        r_.fail(start, cat(what, " has no member \"", names[i], "\""));
      }
    }
  }

  template <typename F>
  void read_array(F&& element) {
    std::size_t i = 0;
    for (r_.begin_array(); r_.next_element(); ++i) within(i, element);
  }

  // A million fibers would be copied some twenty times as the vector grows: after a sample, room
  // for as many as the rest of the input holds at the sample's size per fiber.
  static constexpr std::size_t kSampleFibers = 1024;
  void reserve_fibers() {
    // No fiber with its required members takes fewer bytes than this.
    constexpr std::size_t kMinFiberBytes = 128;
    const std::size_t per_fiber =
        std::max(kMinFiberBytes, (r_.position() - fibers_start_) / kSampleFibers);
    d_.tasks.reserve(kSampleFibers + (text_size_ - r_.position()) / per_fiber * 21 / 20);
    advise_huge_pages(d_.tasks.data() + d_.tasks.size(),
                      (d_.tasks.capacity() - d_.tasks.size()) * sizeof(Task));
  }

  // Hundreds of megabytes of tasks, touched once in order: in huge pages, a few hundred page
  // faults instead of tens of thousands (where the system leaves huge pages to madvise).
  static void advise_huge_pages(void* start, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
    constexpr std::uintptr_t kHuge = 2 << 20;
    const std::uintptr_t from =
        (reinterpret_cast<std::uintptr_t>(start) + kHuge - 1) & ~(kHuge - 1);
    const std::uintptr_t to = (reinterpret_cast<std::uintptr_t>(start) + bytes) & ~(kHuge - 1);
    if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
#else
    (void)start;
    (void)bytes;
#endif
  }

  // parse() reads the next value, unless its bytes are those of a value `recent` remembers.
  template <typename T, std::size_t N, typename F>
  T remembered(Recent<T, N>& recent, F&& parse) {
    if (const T* v = recent.reuse(r_)) return *v;
    const std::size_t start = r_.position();
    T v = parse();
    recent.remember(r_.input().substr(start, r_.position() - start), v);
    return v;
  }

  // States are few: the last ones are compared before the table is asked.
  std::string_view intern_state(std::string_view s) {
    for (std::string_view known : recent_states_) {
      if (known == s) return known;
    }
    const std::string_view canonical = *states_.insert(s).first;
    recent_states_[next_state_++ % recent_states_.size()] = canonical;
    return canonical;
  }

  LocId intern(const Location& l) {
    auto [it, inserted] = interned_.try_emplace(l, static_cast<LocId>(d_.locations.size()));
    if (inserted) d_.locations.push_back(l);
    return it->second;
  }

  void read_version() {
    const std::size_t at = r_.value_offset();
    d_.version = r_.read_int();
    if (d_.version != kDumpVersion) {
      r_.fail(at, absl::StrFormat("unsupported dump version %d (this weave-dump reads version %d)",
                                  d_.version, kDumpVersion));
    }
  }

  Reason read_reason() {
    const std::size_t at = r_.value_offset();
    const std::string_view s = r_.read_string();
    for (Reason reason : {Reason::kExit, Reason::kDeadlock, Reason::kPanic, Reason::kSignal}) {
      if (s == reason_name(reason)) return reason;
    }
    r_.fail(at, "expected \"exit\", \"deadlock\", \"panic\" or \"signal\"");
  }

  std::int64_t read_non_negative() {
    const std::size_t at = r_.value_offset();
    const std::int64_t v = r_.read_int();
    if (v < 0) r_.fail(at, "expected a non-negative integer");
    return v;
  }

  std::string_view read_nonempty_string() {
    const std::size_t at = r_.value_offset();
    const std::string_view s = r_.read_string();
    if (s.empty()) r_.fail(at, "expected a non-empty string");
    return s;
  }

  std::optional<std::int64_t> read_optional_int() {
    if (r_.read_null_if_present()) return std::nullopt;
    return r_.read_int();
  }

  // Member `member` (< 3) of an object listing a location's members first; module and offset
  // (3, 4) are a stack frame's.
  void read_location_member(unsigned member, Location& l) {
    switch (member) {
      case 0:
        l.file = r_.read_string();
        break;
      case 1:
        l.line = read_non_negative();
        break;
      case 2:
        l.function = r_.read_string();
        break;
      case 3:
        l.module = r_.read_string();
        break;
      case 4:
        l.offset = read_non_negative();
        break;
    }
  }

  template <std::size_t N>
  LocId read_location(Recent<LocId, N>& recent) {
    return remembered(recent, [&] {
      Location l;
      read_members(kLocationMembers, first(3), "a location",
                   [&](unsigned member) { read_location_member(member, l); });
      return intern(l);
    });
  }

  // A stack: an array of locations, appended to the dump's frames.
  Span read_stack() {
    return remembered(stacks_, [&] {
      Span s{static_cast<std::uint32_t>(d_.frames.size()), 0};
      read_array([&] { d_.frames.push_back(read_location(frame_locations_)); });
      s.size = static_cast<std::uint32_t>(d_.frames.size() - s.begin);
      return s;
    });
  }

  // A fiber, or a plain thread (which has no created_at, parent or parent_kind).
  Task read_task(bool thread) {
    Task t;
    t.thread = thread;
    bool parent_thread = false;
    constexpr unsigned kEveryTask = 1u << kId | 1u << kState | 1u << kWaitNs | 1u << kUnreachable |
                                    1u << kBlockedAt | 1u << kStack;
    constexpr unsigned kFiber = kEveryTask | 1u << kCreatedAt | 1u << kParent;
    read_members(kTaskMembers, thread ? kEveryTask : kFiber, thread ? "a thread" : "a fiber",
                 [&](unsigned member) {
                   switch (member) {
                     case kId:
                       t.id = r_.read_int();
                       break;
                     case kState:
                       t.state = intern_state(read_nonempty_string());
                       break;
                     case kWaitNs:
                       t.wait_ns = read_non_negative();
                       break;
                     case kUnreachable:
                       t.unreachable = r_.read_bool();
                       break;
                     case kBlockedAt:
                       t.blocked_at = read_location(blocked_at_);
                       break;
                     case kCreatedAt:
                       t.created_at = read_location(created_at_);
                       break;
                     case kParent:
                       if (const auto id = read_optional_int()) t.parent = TaskRef{*id, false};
                       break;
                     case kParentKind:
                       parent_thread = read_task_kind();
                       break;
                     case kStack:
                       t.stack = read_stack();
                       break;
                     case kObject:
                       if (!r_.read_null_if_present()) {
                         t.object = remembered(objects_, [&] { return read_object(); });
                       }
                       break;
                     case kObjects:
                       if (r_.read_null_if_present()) break;
                       t.objects.begin = static_cast<std::uint32_t>(d_.objects.size());
                       read_array([&] { d_.objects.push_back(read_object()); });
                       t.objects.size =
                           static_cast<std::uint32_t>(d_.objects.size() - t.objects.begin);
                       break;
                   }
                 });
    if (thread) t.created_at = intern(Location{});
    if (t.parent) t.parent->thread = parent_thread;
    return t;
  }

  // "fiber" or "thread": whether a task named by id is a thread.
  bool read_task_kind() {
    const std::size_t at = r_.value_offset();
    const std::string_view s = r_.read_string();
    if (s != "fiber" && s != "thread") r_.fail(at, "expected \"fiber\" or \"thread\"");
    return s == "thread";
  }

  WaitObject read_object() {
    WaitObject o;
    read_members(kObjectMembers, first(1), "an object", [&](unsigned member) {
      if (r_.read_null_if_present()) return;
      switch (member) {
        case 0:
          o.kind = read_nonempty_string();
          break;
        case 1:
          o.id = r_.read_int();
          break;
        case 2:
          o.created_at = read_location(object_created_at_);
          break;
        case 3:
          o.cap = read_non_negative();
          break;
        case 4:
          o.len = read_non_negative();
          break;
        case 5:
          o.closed = r_.read_bool();
          break;
        case 6:
          o.has_holders = true;
          o.holders.begin = static_cast<std::uint32_t>(d_.ids.size());
          read_array([&] { d_.ids.push_back(r_.read_int()); });
          o.holders.size = static_cast<std::uint32_t>(d_.ids.size() - o.holders.begin);
          break;
      }
    });
    return o;
  }

  // The task an access or a lock site names, by a member "fiber" or "thread" (one of them).
  void read_task_ref(std::optional<TaskRef>& ref, bool thread) {
    if (ref) r_.fail(r_.value_offset(), "both \"fiber\" and \"thread\" given");
    if (const auto id = read_optional_int()) ref = TaskRef{*id, thread};
  }

  // An access of a race: a location's members and its own.
  Access read_access() {
    Access a;
    Location at;
    read_members(kAccessMembers, first(6), "an access", [&](unsigned member) {
      switch (member) {
        case 3:
          a.kind = read_nonempty_string();
          break;
        case 4:
          a.size = read_non_negative();
          break;
        case 5:
          a.addr = r_.read_string();
          break;
        case 6:
          a.stack = read_stack();
          break;
        case 7:
        case 8:
          read_task_ref(a.task, member == 8);
          break;
        default:
          read_location_member(member, at);
      }
    });
    a.at = intern(at);
    return a;
  }

  Race read_race() {
    Race race;
    read_members(kRaceMembers, first(3), "a race", [&](unsigned member) {
      switch (member) {
        case 0:
          race.access = read_access();
          break;
        case 1:
          race.previous = read_access();
          break;
        case 2:
          read_array([&] { race.tasks.push_back(read_race_task()); });
          break;
      }
    });
    return race;
  }

  RaceTask read_race_task() {
    RaceTask t;
    read_members(kRaceTaskMembers, first(2), "a race's fiber", [&](unsigned member) {
      switch (member) {
        case 0:
          t.task.id = r_.read_int();
          break;
        case 1:
          if (!r_.read_null_if_present()) t.created_at = read_location(other_locations_);
          break;
        case 2:
          t.task.thread = read_task_kind();
          break;
      }
    });
    return t;
  }

  LockWarning read_lock_warning() {
    LockWarning w;
    read_members(kLockMembers, first(2), "a lock warning", [&](unsigned member) {
      if (member == 0) {
        w.kind = read_nonempty_string();
      } else {
        read_array([&] { w.sites.push_back(read_lock_site()); });
      }
    });
    return w;
  }

  LockSite read_lock_site() {
    LockSite s;
    Location at;
    read_members(kSiteMembers, first(3), "a lock site", [&](unsigned member) {
      switch (member) {
        case 3:
          s.stack = read_stack();
          break;
        case 4:
        case 5:
          read_task_ref(s.task, member == 5);
          break;
        default:
          read_location_member(member, at);
      }
    });
    s.at = intern(at);
    return s;
  }

  JsonReader r_;
  Dump& d_;
  std::size_t text_size_;
  std::size_t fibers_start_ = 0;
  absl::flat_hash_map<Location, LocId> interned_;
  absl::flat_hash_set<std::string_view> states_;
  std::array<std::string_view, 4> recent_states_;
  std::size_t next_state_ = 0;
  Recent<Span, 8> stacks_;
  Recent<WaitObject, 8> objects_;
  Recent<LocId, 32> frame_locations_;
  Recent<LocId, 8> blocked_at_, created_at_, object_created_at_, other_locations_;
};

}  // namespace

Dump read_dump(std::string_view text) {
  Dump d;
  DumpReader(text, d).read();
  return d;
}

}  // namespace weave::dump
