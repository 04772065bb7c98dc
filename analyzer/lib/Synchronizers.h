// Objects that synchronise themselves. A call into one is not a race on whatever holds it, and
// the object itself is not shared data; races inside such a class are its own code's business
// (weave-unguarded-shared's field form looks at them when the class is defined in the file).
//
// A class is a synchronizer when
//  - it is one of the standard ones (std::atomic, atomic_ref, atomic_flag, condition_variable,
//    latch, barrier, counting_semaphore, once_flag, stop_source/stop_token, future, promise,
//    shared_future, packaged_task), or any weave type;
//  - it is a mutex or a guard (Locks.h), or carries Clang's thread-safety annotations (a field
//    GUARDED_BY a lock, a method that acquires, releases, requires or excludes one): its author
//    declared how it is synchronised;
//  - a field or base of it is a synchronizer: it holds its own atomics or locks (a lock-free
//    queue, a sequence lock, absl::Notification, absl::once_flag);
//  - one of its methods takes a lock (a wrapper around a mutex held elsewhere, a pimpl).
// Arrays of synchronizers are synchronizers.
#pragma once

#include "clang/AST/DeclCXX.h"
#include "clang/AST/Type.h"
#include "llvm/ADT/DenseMap.h"

namespace weave::lint {

// Answers are remembered per class: keep one object per translation unit.
class Synchronizers {
 public:
  bool is(clang::QualType t);

 private:
  bool record(const clang::CXXRecordDecl* rd);
  bool decide(const clang::CXXRecordDecl* rd);
  llvm::DenseMap<const clang::CXXRecordDecl*, bool> memo_;
};

}  // namespace weave::lint
