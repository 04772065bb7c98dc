// Happens-before over program points: the synchronisation edges of weave's model (the list the
// debug runtime records, SPEC.md "Debug runtime"), located in the code of one function that
// starts fibers (the spawner) and of the fibers it starts. Each body is a *participant*; each edge
// is a *release* at a point of one participant and an *acquire* at a point of another, matched
// by a key: the object they synchronise on (a channel, a WaitGroup, an atomic, a thread handle…).
//
// An event A of participant T happens before an event B of participant U when a chain of edges
// leads from a release that A precedes to an acquire that B follows: A precedes a release when
// no path of T's CFG reaches A again after the release; B follows an acquire when every path
// from where U starts to B passes an acquire (for the spawner: from the spawn of the fiber the
// chain came from). Chains go through any participant: a fiber that acquires k1 and then
// releases k2 (every release of k2 after an acquire of k1) extends a chain from k1 to k2, which
// is how joins in the spawner order two fibers, and how a pipeline of fibers orders its ends.
//
// The edges, where they sit, and their keys:
//  go          spawn site in the spawner → the whole fiber               (the fiber)
//  channel     send, close → the receive (recv, range, select case)      (the channel)
//              unbuffered: receive → the send's completion; capacity 1 used as a semaphore
//              (one body sends then receives): receive → the next send's completion
//  WaitGroup   done, the end of a WaitGroup::go fiber → wait             (the WaitGroup)
//  ErrGroup    the end of its fibers → wait                              (the group)
//  Once        the body of Once::call / std::call_once → every call's return (the Once)
//  Cond        signal/broadcast → wait; and a predicate: the write of a flag → a loop or
//              wait(pred)/Await(Condition(&flag)) that sees it           (the Cond / the flag)
//  context     cancel() → ctx.done() received, ctx.err() seen non-OK    (the with_* call; a
//              derived context inherits its parent's)
//  timers      Timer/Ticker creation, reset, weave::after → the receive of its channel
//  atomics     a store/RMW with release, acq_rel or seq_cst order → a branch on a load/RMW with
//              acquire, acq_rel or seq_cst order that sees it, directly or through a local it
//              initialised (relaxed: no edge, unless a fence of that kind is in the body)
//  threads     std::thread/jthread start (go); its end → join() (on its variable, or on the
//              temporary itself), a jthread's end of scope, a join loop over the container that
//              holds it
//  futures     std::async's end → get()/wait()/the future's end of scope; promise set_value →
//              get() of its future
//  others      a call into any other synchronizer (Synchronizers.h: std::latch, barrier,
//              semaphore, absl::Notification, a queue with its own lock…) may release and
//              acquire; so may any use of a synchronising object the analysis cannot follow
//              (passed to a function, copied): over-ordering only silences, never reports.
// Mutexes order by mutual exclusion, which the lockset analysis (Lockset.h) checks; they are not
// edges here.
//
// Not followed (documented in docs/checks/unguarded-shared.md): which send a receive matches
// (any release of the key counts), counting semaphores of capacity above 1, where in a body a
// fence sits (any fence of the body counts), data reached through pointers, loads whose value is
// not branched on.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Analysis/CFG.h"
#include "lib/Fibers.h"
#include "lib/FunctionWalker.h"
#include "lib/Lockset.h"
#include "lib/Synchronizers.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace weave::lint {

// A program point of a participant: element `index` of `block`.
struct Point {
  const clang::CFGBlock* block = nullptr;
  unsigned index = 0;
  bool operator==(const Point& o) const { return block == o.block && index == o.index; }
};

// Something that happens in a participant at a point. Code that runs at one point but is written
// elsewhere (a callee, a cleanup lambda) keeps its own source location, which orders it against
// other events at that point. `once`: the event is inside the body of that Once's call.
struct Event {
  unsigned participant = 0;
  Point at;
  clang::SourceLocation loc;
  const void* once = nullptr;
};

// Where a lambda written inside a body runs, when it is not a fiber: an absl::Cleanup at the end
// of its variable's scope; a callback passed to a call at that call (std algorithms, Once::call,
// a condition variable's predicate); a task handed to an object that synchronises itself (an
// executor, an event loop: `loop->runInLoop([&] { … })`) in that object's own time, not the
// caller's; any other lambda (a helper kept in a variable) whenever it is called.
struct LambdaPlace {
  enum Kind { Cleanup, AtCall, HandedOff, Helper } kind = Helper;
  const clang::VarDecl* cleanup = nullptr;  // Cleanup: its variable
  const clang::CallExpr* call = nullptr;    // AtCall, HandedOff: the call it is passed to
};
LambdaPlace placeOf(const clang::LambdaExpr* le,
                    llvm::function_ref<const clang::Stmt*(const clang::Stmt*)> parentOf,
                    Synchronizers& sync);

class HappensBefore {
 public:
  HappensBefore(clang::ASTContext& ctx, Synchronizers& sync);
  ~HappensBefore();

  // The spawner; it must be added first. Null when its CFG cannot be built.
  bool addSpawner(const FunctionBody& fb);
  // A fiber the spawner starts at `spawn` (running `fn`'s `body`); returns its participant index,
  // or nothing when its CFG cannot be built or the spawn is unreachable.
  std::optional<unsigned> addFiber(const Spawn& spawn, const clang::FunctionDecl* fn,
                                   const clang::Stmt* body);

  // The locks of participant `p` (its CFG, and the locks held at each statement).
  const LocksetAnalysis& locks(unsigned p) const;
  // Where statement `s` of participant `p` runs; nothing if unreachable.
  std::optional<Point> pointOf(unsigned p, const clang::Stmt* s) const;
  // Where the scope of `v` (a local of participant `p`) ends: one point per way out of it.
  std::vector<Point> scopeEndsOf(unsigned p, const clang::VarDecl* v) const;

  // True if `a` happens before `b`.
  bool ordered(const Event& a, const Event& b);
  // True if point `p` of the spawner may run after fiber `f` has started.
  bool afterSpawn(unsigned f, Point p);
  // True if the spawner may start fiber `f` more than once (ordered() then says which of the
  // instances' events are ordered).
  bool respawns(unsigned f);
  // True if fibers `f` and `g` may overlap: one may start while the other has not been joined.
  bool mayOverlap(unsigned f, unsigned g);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weave::lint
