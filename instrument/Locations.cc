#include "Locations.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Instruction.h"
#include "llvm/Support/Path.h"

#include <cstdlib>
#include <cstring>

namespace weave::instrument {

using namespace llvm;

namespace {

// The file's path as a report shows it: joined to its directory, without `.` and `..`.
std::string joinPath(StringRef dir, StringRef file) {
  if (file.empty()) return "";
  SmallString<256> p;
  if (!sys::path::is_absolute(file)) p = dir;
  sys::path::append(p, file);
  sys::path::remove_dots(p, /*remove_dot_dot=*/true);
  return std::string(p);
}

std::string fileOf(const DIScope* scope) {
  if (!scope) return "";
  return joinPath(scope->getDirectory(), scope->getFilename());
}

// A demangled name as reports show it: qualified, without template arguments, parameters or
// return type (`std::_Rb_tree::_M_insert_node`, `main::$_0::operator()`), which is what a person
// needs to find the frame; the file and line say the rest.
std::string shortName(const std::string& mangled) {
  ItaniumPartialDemangler d;
  if (d.partialDemangle(mangled.c_str())) return mangled;  // not a C++ symbol: the name itself
  size_t n = 0;
  char* full = d.getFunctionName(nullptr, &n);
  if (!full) return demangle(mangled);
  std::string in(full);
  std::free(full);
  std::string out;
  int depth = 0;
  for (size_t i = 0; i < in.size();) {
    if (in.compare(i, 8, "operator") == 0) {
      // The operator's own symbol is not a template bracket: `operator<=>`, `operator()`.
      static const char* const kTokens[] = {
          "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "->", "()", "[]", "<", ">"};
      size_t j = i + 8;
      for (const char* tok : kTokens) {
        if (in.compare(j, std::strlen(tok), tok) == 0) {
          j += std::strlen(tok);
          break;
        }
      }
      if (depth == 0) out.append(in, i, j - i);
      i = j;
      continue;
    }
    const char c = in[i++];
    if (c == '<') {
      ++depth;
    } else if (c == '>' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

}  // namespace

Locations::Locations(Module& m) : m_(m) {
  LLVMContext& ctx = m.getContext();
  auto* ptr = PointerType::getUnqual(ctx);
  auto* i32 = Type::getInt32Ty(ctx);
  // Matches race_abi::Loc: file, function, line, column, inlined_at, id, reserved.
  type_ = StructType::get(ctx, {ptr, ptr, i32, i32, ptr, i32, i32});
}

Constant* Locations::string(const std::string& s) {
  auto it = strings_.find(s);
  if (it != strings_.end()) return it->second;
  auto* init = ConstantDataArray::getString(m_.getContext(), s);
  auto* gv = new GlobalVariable(m_, init->getType(), /*isConstant=*/true,
                                GlobalValue::PrivateLinkage, init, "__weave_str");
  gv->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  gv->setAlignment(Align(1));
  strings_[s] = gv;
  return gv;
}

// The name a report shows: the symbol's short name when the debug info has one (qualified, with
// the lambda's enclosing function), else the bare name from line-tables-only debug info.
std::string Locations::functionName(const DISubprogram* sp, const Function& f) const {
  if (sp) {
    if (!sp->getLinkageName().empty()) return shortName(sp->getLinkageName().str());
    if (f.getSubprogram() == sp) return shortName(f.getName().str());
    if (!sp->getName().empty()) return sp->getName().str();
  }
  return shortName(f.getName().str());
}

GlobalVariable* Locations::record(const std::string& file, const std::string& function,
                                  unsigned line, unsigned column, GlobalVariable* inlined_at) {
  auto key = std::make_tuple(file, function, line, column, inlined_at);
  auto it = records_.find(key);
  if (it != records_.end()) return it->second;
  LLVMContext& ctx = m_.getContext();
  auto* i32 = Type::getInt32Ty(ctx);
  auto* ptr = PointerType::getUnqual(ctx);
  Constant* fields[] = {
      string(file),
      string(function),
      ConstantInt::get(i32, line),
      ConstantInt::get(i32, column),
      inlined_at ? static_cast<Constant*>(inlined_at) : ConstantPointerNull::get(ptr),
      ConstantInt::get(i32, 0),
      ConstantInt::get(i32, 0)};
  // Not constant: the engine numbers the record in place (its id field) on first use.
  auto* gv = new GlobalVariable(m_, type_, /*isConstant=*/false, GlobalValue::PrivateLinkage,
                                ConstantStruct::get(type_, fields), "__weave_loc");
  gv->setAlignment(Align(8));
  records_[key] = gv;
  return gv;
}

GlobalVariable* Locations::forDebugLoc(const DILocation* loc, const Function& f) {
  auto it = by_loc_.find(loc);
  if (it != by_loc_.end()) return it->second;
  GlobalVariable* outer = nullptr;
  if (const DILocation* at = loc->getInlinedAt()) outer = forDebugLoc(at, f);
  const DISubprogram* sp = loc->getScope() ? loc->getScope()->getSubprogram() : nullptr;
  std::string file = fileOf(loc->getScope());
  GlobalVariable* gv = record(file, functionName(sp, f), loc->getLine(), loc->getColumn(), outer);
  by_loc_[loc] = gv;
  return gv;
}

GlobalVariable* Locations::forFunction(const Function& f) {
  auto it = by_function_.find(&f);
  if (it != by_function_.end()) return it->second;
  const DISubprogram* sp = f.getSubprogram();
  std::string file = sp ? fileOf(sp) : m_.getSourceFileName();
  GlobalVariable* gv = record(file, functionName(sp, f), sp ? sp->getLine() : 0, 0, nullptr);
  by_function_[&f] = gv;
  return gv;
}

GlobalVariable* Locations::forInstruction(const Instruction& i) {
  const Function& f = *i.getFunction();
  if (const DILocation* loc = i.getDebugLoc().get()) return forDebugLoc(loc, f);
  return forFunction(f);
}

}  // namespace weave::instrument
