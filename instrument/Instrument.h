// The instrumentation pass: makes every memory access of a module visible to weave's race engine
// (runtime/src/debug/race/, the calls in abi.h).
//
// Per function, in this order: the accesses to instrument are chosen (loads and stores that may
// touch shared memory: not stack slots that never escape, not constants, not thread-locals; a load
// that a store to the same address, of at least its size, follows in its block with no call
// between is left to the store), each gets a call before it; atomics a call before and, when they
// acquire, one after; memory intrinsics a range call; every call site records itself in
// __weave_callsite; calls to the pthread lock functions go to the engine's wrappers; and a function
// with any of these gets a shadow-stack frame (entry, and exit on every return and unwind).
// Functions of weave's headers annotated weave.unchecked, which the runtime calls only while the
// engine checks nothing (a channel's element moves), are left alone.
#pragma once

#include "llvm/IR/PassManager.h"

namespace weave::instrument {

struct InstrumentPass : llvm::PassInfoMixin<InstrumentPass> {
  llvm::PreservedAnalyses run(llvm::Module& m, llvm::ModuleAnalysisManager& am);
  static bool isRequired() { return true; }  // also at -O0 and in optnone functions
};

}  // namespace weave::instrument
