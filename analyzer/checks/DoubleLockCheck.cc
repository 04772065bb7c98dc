// weave-double-lock: a path that takes a mutex it already holds — directly, through a chain of
// calls into functions of this file (their lock summaries, methods reached through `this` or
// through a member that points back at its owner), or through a callback stored in a member.
// weave::Mutex, std::mutex and absl::Mutex are not reentrant: the fiber blocks on itself. A
// write lock under a read lock of the same RWMutex waits for the reader, which is itself. A read
// lock taken again under a read lock is Go's documented RWR deadlock: a writer that queues
// between the two blocks both, so it is reported when some code of the file write-locks that
// mutex. std::recursive_mutex is reentrant and never reported. The same object only: two
// objects of one class (or a lock through an unknown pointer) are not a double lock.
#include <set>
#include <string>

#include "clang/AST/ExprCXX.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/FunctionWalker.h"
#include "lib/LockFlow.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-double-lock";

class DoubleLockCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    LockModel model(ctx);
    struct Candidate {
      const LockEvent* event;
      const HeldLock* held;
    };
    std::vector<Candidate> candidates;
    std::set<const ValueDecl*> writeLocked;
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      const LockBody* body = model.body(fb.decl);
      if (!body) return;
      for (const LockEvent& e : body->acquisitions()) {
        if (!e.shared) writeLocked.insert(e.path.decl());
        if (!e.path.known()) continue;
        for (const HeldLock& h : e.held)
          if (h.path == e.path && h.site != e.at()) candidates.push_back({&e, &h});
      }
    });
    std::set<const Stmt*> reported;
    for (const Candidate& c : candidates) {
      const LockEvent& e = *c.event;
      const ValueDecl* d = e.path.decl();
      MutexKind kind = mutexKind(d->getType());
      if (kind == MutexKind::Recursive) continue;
      bool rwr = c.held->shared && e.shared;
      if (rwr && !writeLocked.count(d)) continue;  // no writer can queue in between
      if (!reported.insert(e.at()).second) continue;
      std::string name = "'" + lockName(d) + "'";
      std::string message;
      if (rwr)
        message = name +
                  " is read-locked again while this path holds its read lock: a writer that "
                  "queues in between blocks both (RWR deadlock)";
      else if (c.held->shared)
        message = name +
                  " is write-locked while this path holds its read lock: the writer waits for "
                  "the reader, which is itself (deadlock)";
      else if (e.shared)
        message = name +
                  " is read-locked while this path holds its write lock: the reader waits for "
                  "the writer, which is itself (deadlock)";
      else
        message = name +
                  " is locked again while this path already holds it: the fiber blocks on itself "
                  "(the mutex is not reentrant)";
      Finding f{kName, e.at()->getBeginLoc(), message, {}, {}};
      f.notes.push_back({c.held->site->getBeginLoc(),
                         std::string(c.held->shared ? "read-locked" : "locked") + " here first"});
      if (e.chain.size() > 1)
        f.notes.push_back(
            {e.chain.back()->getBeginLoc(), std::string(e.shared ? "read-locked" : "locked") +
                                                " again here" + throughCalls(e.chain)});
      out.report(std::move(f));
    }
  }
};

}  // namespace

std::unique_ptr<Check> makeDoubleLockCheck() { return std::make_unique<DoubleLockCheck>(); }

}  // namespace weave::lint
