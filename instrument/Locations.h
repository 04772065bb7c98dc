// Static source-location records (race_abi::Loc) for one module: one per distinct debug location,
// each pointing at the record of the location it was inlined at, so that a report can walk from
// code inlined out of a header to the user's line without a symbolizer.
//
// Records are private globals of the module, deduplicated by (file, line, column, function,
// inlined-at record); strings are shared. Without debug info a record still names the function
// (its demangled symbol) with line 0.
#pragma once

#include <map>
#include <string>
#include <tuple>

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

namespace weave::instrument {

class Locations {
 public:
  explicit Locations(llvm::Module& m);

  // The record for an instruction's debug location (the function's own when it has none).
  llvm::GlobalVariable* forInstruction(const llvm::Instruction& i);
  // The record naming a function itself, at the line of its definition.
  llvm::GlobalVariable* forFunction(const llvm::Function& f);

  llvm::StructType* type() const { return type_; }

 private:
  llvm::GlobalVariable* forDebugLoc(const llvm::DILocation* loc, const llvm::Function& f);
  llvm::GlobalVariable* record(const std::string& file, const std::string& function, unsigned line,
                               unsigned column, llvm::GlobalVariable* inlined_at);
  llvm::Constant* string(const std::string& s);
  std::string functionName(const llvm::DISubprogram* sp, const llvm::Function& f) const;

  llvm::Module& m_;
  llvm::StructType* type_;
  llvm::StringMap<llvm::Constant*> strings_;
  std::map<const llvm::DILocation*, llvm::GlobalVariable*> by_loc_;
  std::map<const llvm::Function*, llvm::GlobalVariable*> by_function_;
  std::map<std::tuple<std::string, std::string, unsigned, unsigned, llvm::GlobalVariable*>,
           llvm::GlobalVariable*>
      records_;
};

}  // namespace weave::instrument
