// weave/debug.h: the fibers as the debug runtime sees them.
#include "weave/debug.h"

#include <string.h>
#include <algorithm>
#include <cstdio>
#include <ostream>
#include <set>

#include "debug/reach.h"
#include "debug/report.h"
#include "dump.h"
#include "registry.h"
#include "task.h"

namespace weave::debug {
namespace {

std::vector<FiberInfo> take(bool only_unreachable) {
  const detail::debug::Unreachable lost = detail::debug::find_unreachable(false);
  std::vector<FiberInfo> out;
  std::vector<detail::TaskView> views = detail::registry_snapshot();
  for (const detail::TaskView& v : views) {
    if (v.kind != detail::TaskKind::kFiber) continue;
    FiberInfo f;
    f.id = v.id;
    f.blocked = v.wait_reason != detail::WaitReason::kNone;
    f.state = f.blocked ? detail::wait_reason_name(v.wait_reason)
                        : (v.task == detail::current() ? "running" : "runnable");
    f.unreachable = lost.contains(v.id);
    f.wait_ns = f.blocked ? detail::monotonic_now_ns() - v.wait_since_ns : 0;
    f.blocked_at = v.wait_location;
    f.created_at = v.created_at;
    f.parent_id = v.parent_id;
    if (!only_unreachable || f.unreachable) out.push_back(f);
  }
  return out;
}

}  // namespace

std::vector<FiberInfo> fibers() { return take(false); }

std::vector<FiberInfo> find_leaks() { return take(true); }

void print_blocked(std::ostream& out, const std::vector<std::uint64_t>& ids) {
  using namespace detail::debug;
  Report r = collect_marked("signal");
  const std::set<std::uint64_t> wanted(ids.begin(), ids.end());
  std::erase_if(r.fibers, [&](const BlockedTask& b) { return wanted.count(b.id) == 0; });
  r.threads.clear();
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* mem = open_memstream(&buf, &size);
  print_report(mem, r);
  std::fclose(mem);
  out.write(buf, static_cast<std::streamsize>(size));
  std::free(buf);
}

}  // namespace weave::debug
