// Stack ids: every stack an access was made at, interned as a node of one tree, so that a shadow
// cell's 19-bit site field names the access's whole stack (TSan's stack depot, for our shadow
// stacks).
//
// A node is (parent node, location record): the root (0) is "no caller known"; a frame's node is
// its caller's node extended by where the caller called it; an access's node is its frame's node
// extended by the access's own record. Nodes are never freed; when the table is full new stacks
// get 0 (a report then says the previous access's stack was not recorded).
//
// Location records (abi.h) are numbered on first use, in place (their id field), so a record's
// number costs one load. Interning goes through a small per-thread cache first (node ids are the
// same for every thread), then a lock-free hash table.
#pragma once

#include <vector>

#include "abi.h"
#include "cell.h"
#include "race_task.h"

namespace weave::detail::race {

// The access sites a thread made lately, by their Loc and the node of the frame they were made in;
// an entry answers without that node while its task is in the same frame instance (frames_gen),
// even after calls from it have returned. A loop makes the same few dozen again and again.
struct SiteCacheEntry {
  const race_abi::Loc* loc;
  u64 frames_gen;
  u32 frame;
  u32 node;
};
constexpr int kSiteCache = 256;
WEAVE_RACE_TLS SiteCacheEntry tls_sites[kSiteCache];
inline SiteCacheEntry& site_entry(const race_abi::Loc* loc) {
  return tls_sites[(reinterpret_cast<uptr>(loc) >> 4) & (kSiteCache - 1)];
}

// The node of t's current stack extended by loc: what a cell remembers of an access. Inline: the
// record of every access asks, and the thread's cache answers almost always.
u32 access_site_slow(RaceTask* t, const race_abi::Loc* loc);
inline u32 access_site(RaceTask* t, const race_abi::Loc* loc) {
  const SiteCacheEntry& c = site_entry(loc);
  if (c.loc == loc && c.frames_gen == t->frames_gen) return c.node;
  return access_site_slow(t, loc);
}

// The locations of a node's stack, innermost first (each record's inlined-at chain not expanded).
std::vector<const race_abi::Loc*> site_stack(u32 node);

// The node of t's frame i (0: outermost), computed on first need and kept in the frame.
u32 frame_node(RaceTask* t, u32 i);

}  // namespace weave::detail::race
