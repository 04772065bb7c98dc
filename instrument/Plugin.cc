// libweave_instrument.so: registers the instrumentation pass with LLVM 19's new pass manager.
//
//   clang++-19 -fpass-plugin=libweave_instrument.so ...   runs it after optimization (at every
//                                                         -O level), as ThreadSanitizer's pass runs
//   opt-19 -load-pass-plugin=libweave_instrument.so -passes=weave-instrument   (tests)
#include "Instrument.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"

using namespace llvm;

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "weave-instrument", "1", [](PassBuilder& pb) {
            pb.registerOptimizerLastEPCallback([](ModulePassManager& mpm, OptimizationLevel) {
              mpm.addPass(weave::instrument::InstrumentPass());
            });
            pb.registerPipelineParsingCallback(
                [](StringRef name, ModulePassManager& mpm, ArrayRef<PassBuilder::PipelineElement>) {
                  if (name != "weave-instrument") return false;
                  mpm.addPass(weave::instrument::InstrumentPass());
                  return true;
                });
          }};
}
