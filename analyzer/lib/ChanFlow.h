// Where each channel of a translation unit goes. One walk over every body of the main file records
// each operation on a channel-typed variable, parameter, field or function result (send, close,
// receive, range, select case), and joins into one class everything a channel value flows between:
// `auto c2 = ch;`, `f(ch)` into f's parameter (for functions defined in the main file), a field it
// is stored in (aggregate init, constructor init, assignment), a function's result and the calls
// that read it, and the `make_chan` call that made it. Lambda bodies see captured variables under
// the same declaration, so a fiber's operations belong to the channel it captured.
//
// A class whose value reaches code the walk cannot see (a function without a body in the main
// file, a container, a global visible to other files, a returned Chan<T> with external linkage) is
// marked escaped: checks that need every operation of a channel skip it.
//
// The classes are per translation unit and flow-insensitive (a union-find over declarations):
// every channel passed to the same helper shares the helper's parameter, so its class is the
// union. Checks use it to ask "is there any close / any sender / any receiver", where a union only
// adds operations and so only removes findings.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"
#include "lib/FunctionWalker.h"
#include "llvm/ADT/DenseMap.h"

namespace weave::lint {

enum class ChanOpKind {
  Send,        // ch.send(v)
  Close,       // ch.close()
  Recv,        // ch.recv()
  Range,       // for (v : ch)
  SelectRecv,  // weave::recv(ch, …) as a case of weave::select
  SelectSend,  // weave::send(ch, v) as a case of weave::select
  Assign,      // ch = …: the variable names another channel from here on
};

struct ChanOp {
  ChanOpKind kind;
  const clang::Stmt* stmt = nullptr;        // the call, the for-range statement, the case call
  const void* node = nullptr;               // the variable, parameter, field or result it acts on
  unsigned body = 0;                        // index into ChanFlow::bodies()
  const clang::CallExpr* select = nullptr;  // Select*: the weave::select call
  unsigned caseIndex = 0;                   // Select*: the case's index
  const clang::Stmt* loop = nullptr;        // the innermost loop of the body around stmt, if any
  bool loopOnRecv = false;                  // Recv: the loop ends when this receive sees the close
};

// A lambda's role, seen from the body that contains it.
struct BodyInfo {
  FunctionBody fb;
  int parent = -1;                     // lambdas: the body that contains the lambda
  bool fiber = false;                  // run by weave::go, WaitGroup::go, ErrGroup::go, a thread
  bool cleanup = false;                // the initialiser of an absl::Cleanup
  const clang::Stmt* spawn = nullptr;  // fiber: the call that starts it
  std::vector<const clang::Stmt*> spawnLoops;  // fiber: the parent's loops around the spawn
  const clang::Stmt* cleanupDecl = nullptr;    // cleanup: the DeclStmt of the absl::Cleanup
};

struct ChanOrigin {
  const clang::CallExpr* make;       // the weave::make_chan call
  unsigned body;                     // where it is
  std::optional<uint64_t> capacity;  // nullopt when not a constant
  bool capacityDefaulted;            // make_chan<T>() without an argument
  // The loops of its body around it: each of their iterations makes a new channel.
  std::vector<const clang::Stmt*> loops;
};

class ChanFlow {
 public:
  explicit ChanFlow(clang::ASTContext& ctx);

  const std::vector<BodyInfo>& bodies() const { return bodies_; }
  // Every class that holds at least one operation or origin, as a representative node.
  std::vector<const void*> classes() const;
  const std::vector<ChanOp>& ops(const void* cls) const;
  const std::vector<ChanOrigin>& origins(const void* cls) const;
  bool escaped(const void* cls) const;
  const void* classOf(const void* node) const;

  // Every operation recorded in one body, in source order.
  std::vector<const ChanOp*> opsInBody(unsigned body) const;

  // The node an expression names, looking through copies, moves and conversions between Chan,
  // SendChan and RecvChan; null when it is not a channel the flow tracks.
  const void* nodeOf(const clang::Expr* e) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::vector<BodyInfo> bodies_;
};

// A channel type: weave::Chan<T>, SendChan<T> or RecvChan<T>.
bool isChanType(clang::QualType t);

}  // namespace weave::lint
