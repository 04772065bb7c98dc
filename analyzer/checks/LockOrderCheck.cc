// weave-lock-order: the locks of the translation unit taken in an order that has a cycle — 'A'
// taken while 'B' is held on one path and 'B' while 'A' is held on another (AB-BA), or a longer
// ring — through calls too (lib/LockOrder.h). Fibers that run the two paths at once can each hold
// one lock and wait for the other for ever. Locks are named by what they are, so two objects of
// one class report as the class's order. Each cycle is reported once: on an acquisition of the
// cycle written directly in the code (the last one in the file), with a note at every
// acquisition of the cycle.
#include <string>

#include "clang/Basic/SourceManager.h"
#include "lib/Check.h"
#include "lib/CheckRegistry.h"
#include "lib/FunctionWalker.h"
#include "lib/LockFlow.h"
#include "lib/LockOrder.h"

namespace weave::lint {
namespace {
using namespace clang;

constexpr const char* kName = "weave-lock-order";

std::string quoted(const ValueDecl* d) { return "'" + lockName(d) + "'"; }

class LockOrderCheck : public Check {
 public:
  void checkTranslationUnit(ASTContext& ctx, Reporter& out) override {
    LockModel model(ctx);
    LockOrderGraph graph;
    forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
      if (const LockBody* body = model.body(fb.decl))
        for (const LockEvent& e : body->acquisitions()) graph.add(e);
    });
    const SourceManager& sm = ctx.getSourceManager();
    for (const std::vector<OrderEdge>& cycle : graph.cycles()) {
      // Where to report: an acquisition written in the code, the last in the file.
      size_t at = 0;
      for (size_t i = 1; i < cycle.size(); ++i) {
        bool directI = cycle[i].taken->chain.size() == 1;
        bool directAt = cycle[at].taken->chain.size() == 1;
        if (directI != directAt) {
          if (directI) at = i;
          continue;
        }
        if (sm.isBeforeInTranslationUnit(cycle[at].taken->at()->getBeginLoc(),
                                         cycle[i].taken->at()->getBeginLoc()))
          at = i;
      }
      const OrderEdge& e = cycle[at];
      std::string message;
      if (cycle.size() == 2) {
        message = quoted(e.to) + " is taken here while " + quoted(e.from) +
                  " is held, and elsewhere " + quoted(e.from) + " is taken while " + quoted(e.to) +
                  " is held: two fibers can each hold one and wait for the other (lock order "
                  "inversion)";
      } else {
        std::string ring;
        for (size_t i = 0; i < cycle.size(); ++i)
          ring += quoted(cycle[(at + i) % cycle.size()].from) + " -> ";
        ring += quoted(e.from);
        message = "the locks are taken in a cycle, " + ring +
                  ", each while the one before it is held: fibers on these paths can each hold "
                  "one and wait for the next (lock order inversion)";
      }
      Finding f{kName, e.taken->at()->getBeginLoc(), message, {}, {}};
      for (size_t i = 0; i < cycle.size(); ++i) {
        const OrderEdge& x = cycle[(at + i) % cycle.size()];
        if (i > 0)
          f.notes.push_back({x.taken->at()->getBeginLoc(), quoted(x.to) + " is taken here while " +
                                                               quoted(x.from) + " is held" +
                                                               throughCalls(x.taken->chain)});
        f.notes.push_back({x.held.site->getBeginLoc(), quoted(x.from) + " is taken here"});
        if (x.taken->chain.size() > 1)
          f.notes.push_back({x.taken->chain.back()->getBeginLoc(),
                             quoted(x.to) + " is taken here, inside the call"});
      }
      out.report(std::move(f));
    }
  }
};

}  // namespace

std::unique_ptr<Check> makeLockOrderCheck() { return std::make_unique<LockOrderCheck>(); }

}  // namespace weave::lint
