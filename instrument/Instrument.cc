#include "Instrument.h"

#include <algorithm>
#include <string>
#include <vector>

#include "Locations.h"
#include "abi.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Analysis/CaptureTracking.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/AtomicOrdering.h"
#include "llvm/Transforms/Utils/EscapeEnumerator.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

namespace weave::instrument {

using namespace llvm;
namespace abi = weave::race_abi;

namespace {

// The engine's entry points, declared once per module.
struct Runtime {
  explicit Runtime(Module& m) : m_(m) {
    LLVMContext& ctx = m.getContext();
    auto* voidTy = Type::getVoidTy(ctx);
    auto* ptr = PointerType::getUnqual(ctx);
    auto* i32 = Type::getInt32Ty(ctx);
    auto* i64 = Type::getInt64Ty(ctx);
    auto* i1 = Type::getInt1Ty(ctx);
    const unsigned sizes[] = {1, 2, 4, 8, 16};
    for (int i = 0; i < 5; i++) {
      std::string n = std::to_string(sizes[i]);
      read[i] = declare("__weave_read" + n, voidTy, {ptr, ptr});
      write[i] = declare("__weave_write" + n, voidTy, {ptr, ptr});
    }
    read_range = declare("__weave_read_range", voidTy, {ptr, i64, ptr});
    write_range = declare("__weave_write_range", voidTy, {ptr, i64, ptr});
    atomic = declare("__weave_atomic", voidTy, {ptr, i32, i32, ptr});
    atomic_after = declare("__weave_atomic_after", voidTy, {ptr, i32, i1});
    fence = declare("__weave_fence", voidTy, {i32});
    func_entry = declare("__weave_func_entry", voidTy, {ptr});
    func_exit = declare("__weave_func_exit", voidTy, {});
    module_init = declare("__weave_module_init", voidTy, {i32});
    callsite = cast<GlobalVariable>(m.getOrInsertGlobal("__weave_callsite", ptr));
    callsite->setThreadLocalMode(GlobalValue::InitialExecTLSModel);
  }
  FunctionCallee read[5], write[5], read_range, write_range, atomic, atomic_after, fence,
      func_entry, func_exit, module_init;
  GlobalVariable* callsite;

 private:
  // The engine's calls never throw: declared nounwind, they stay calls, not invokes.
  FunctionCallee declare(const std::string& name, Type* ret, ArrayRef<Type*> params) {
    AttributeList attrs = AttributeList().addFnAttribute(m_.getContext(), Attribute::NoUnwind);
    return m_.getOrInsertFunction(name, FunctionType::get(ret, params, false), attrs);
  }
  Module& m_;
};

int sizeIndex(uint64_t bytes) {
  switch (bytes) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 4:
      return 2;
    case 8:
      return 3;
    case 16:
      return 4;
    default:
      return -1;
  }
}

abi::Order order(AtomicOrdering o) { return static_cast<abi::Order>(toCABI(o)); }

bool isWeaveName(StringRef name) { return name.starts_with("__weave_"); }

// Whether f is weave's own machinery: an entry point of its runtime library (compiled without the
// plugin: a function of namespace weave, declared in this module and defined elsewhere), or a
// function of namespace weave::detail from its headers (a select's case objects are built for
// select_as; a fiber's callable is handed to spawn). Not weave's API templates (Chan::send, go):
// a pointer a program passes them is its own data, which they may hand to another fiber.
bool isWeaveMachinery(const Function* f) {
  if (!f) return false;
  StringRef name = f->getName();
  if (name.starts_with("_ZN5weave6detail") || name.starts_with("_ZNK5weave6detail")) return true;
  return f->isDeclaration() && (name.starts_with("_ZN5weave") || name.starts_with("_ZNK5weave"));
}

// FiberFnFor<F>'s run and construct take a fiber's callable: run's argument, construct's first
// (its destination; the second is the spawner's object it is made from). The spawner builds it in
// the fiber's stack before the fiber starts, and nothing but the two can reach it unless its
// address escapes from either: in construct the captures' constructors run (one may hand out its
// `this`), in run the callable itself.
constexpr StringRef kFiberFnPrefix = "_ZN5weave6detail10FiberFnFor";
constexpr StringRef kRun = "3runEPv";
// construct(void*, void*): the second void* is a substitution, whose number depends on F.
constexpr StringRef kConstruct = "9constructEPv";
// The name of f, FiberFnFor<F>::run or ::construct, up to the member's name; empty if f is neither.
StringRef fiberFnStem(const Function& f) {
  StringRef name = f.getName();
  if (!name.starts_with(kFiberFnPrefix)) return {};
  if (f.arg_size() == 1 && name.ends_with(kRun)) return name.drop_back(kRun.size());
  const std::size_t at = name.rfind(kConstruct);
  if (f.arg_size() == 2 && at != StringRef::npos) {
    StringRef rest = name.substr(at + kConstruct.size());
    if (rest.starts_with("S") && rest.ends_with("_")) return name.take_front(at);
  }
  return {};
}
bool isFiberRun(const Function& f) { return f.arg_size() == 1 && !fiberFnStem(f).empty(); }
// Whether obj is the callable that f (run or construct) takes.
bool isFiberCallable(const Function& f, const Value* obj) {
  const auto* arg = dyn_cast<Argument>(obj);
  return arg && arg->getArgNo() == 0 && !fiberFnStem(f).empty();
}
// The other of run and construct for the same F, if this module defines it.
const Function* fiberSibling(const Function& f) {
  const StringRef stem = fiberFnStem(f);
  if (stem.empty()) return nullptr;
  const bool run = isFiberRun(f);
  for (const Function& g : *f.getParent()) {
    if (!g.isDeclaration() && isFiberRun(g) != run && fiberFnStem(g) == stem) return &g;
  }
  return nullptr;
}

// Follows a stack slot's address through its uses (LLVM's capture tracking): it is shared if
// another task can reach it. Passing it to weave's machinery does not make it so: the runtime
// uses what it points to during the call only (a channel operation's destination, a lock call's
// location), and what the runtime calls back with it (a received value moved into place) runs
// within the operation, ordered by its edges, so the slot's owner alone touches it afterwards.
struct SharingTracker : CaptureTracker {
  bool shared = false;
  void tooManyUses() override { shared = true; }
  bool captured(const Use* u) override {
    if (const auto* cb = dyn_cast<CallBase>(u->getUser()); cb && cb->isArgOperand(u)) {
      const Function* callee = cb->getCalledFunction();
      // The engine's own checks, in a function instrumented already, take addresses too.
      if (isWeaveMachinery(callee) || (callee && isWeaveName(callee->getName()))) return false;
    }
    shared = true;
    return true;
  }
};

class FunctionInstrumenter {
 public:
  FunctionInstrumenter(Function& f, Runtime& rt, Locations& locs, const StringSet<>& redirected)
      : f_(f), rt_(rt), locs_(locs), redirected_(redirected), dl_(f.getDataLayout()) {}

  bool run();

 private:
  bool sharedAddress(Value* addr);
  uint64_t storeBytes(Type* t) const;
  bool coveredByStore(const SmallDenseMap<Value*, uint64_t, 8>& stored_later,
                      const LoadInst* li) const;
  void chooseAccesses();
  void instrumentAccess(Instruction* i, Value* addr, Type* type, Align align, bool write);
  void instrumentAtomic(Instruction* i);
  void instrumentIntrinsic(MemIntrinsic* mi);
  void instrumentCall(CallBase* cb);
  void addFrame();

  Function& f_;
  Runtime& rt_;
  Locations& locs_;
  const StringSet<>& redirected_;
  const DataLayout& dl_;
  DenseMap<const Value*, bool> captured_;  // alloca -> may escape
  std::vector<Instruction*> accesses_;     // plain loads and stores
  std::vector<Instruction*> atomics_;      // atomic loads/stores, rmw, cmpxchg, fences
  std::vector<MemIntrinsic*> intrinsics_;
  std::vector<CallBase*> calls_;
};

// Whether an access to addr may touch memory another fiber or thread can reach. Stack slots whose
// address never escapes the function (but into weave's machinery: SharingTracker) cannot be, nor
// can a fiber's callable within FiberFnFor::run, on the same condition; neither can constants or
// thread-locals.
bool FunctionInstrumenter::sharedAddress(Value* addr) {
  if (addr->getType()->getPointerAddressSpace() != 0) return false;
  const Value* obj = getUnderlyingObject(addr);
  if (const auto* gv = dyn_cast<GlobalVariable>(obj)) {
    if (gv->isConstant() || gv->isThreadLocal()) return false;
    StringRef name = gv->getName();
    if (isWeaveName(name) || name.starts_with("llvm.") || name.starts_with("__llvm_gcov") ||
        name.starts_with("__profc_") || name.starts_with("__profd_")) {
      return false;
    }
  }
  if (isa<AllocaInst>(obj) || isFiberCallable(f_, obj)) {
    auto [it, fresh] = captured_.try_emplace(obj, false);
    if (fresh) {
      SharingTracker tracker;
      PointerMayBeCaptured(obj, &tracker);
      if (!tracker.shared && isa<Argument>(obj)) {
        if (const Function* sibling = fiberSibling(f_)) {
          PointerMayBeCaptured(sibling->getArg(0), &tracker);
        } else {
          tracker.shared = true;
        }
      }
      it->second = tracker.shared;
    }
    return it->second;
  }
  return true;
}

// The bytes an access of type t touches (0 if not fixed).
uint64_t FunctionInstrumenter::storeBytes(Type* t) const {
  const TypeSize ts = dl_.getTypeStoreSize(t);
  return ts.isScalable() ? 0 : ts.getFixedValue();
}

bool FunctionInstrumenter::coveredByStore(const SmallDenseMap<Value*, uint64_t, 8>& stored_later,
                                          const LoadInst* li) const {
  const auto it = stored_later.find(li->getPointerOperand());
  if (it == stored_later.end()) return false;
  const uint64_t bytes = storeBytes(li->getType());
  return bytes != 0 && bytes <= it->second;
}

void FunctionInstrumenter::chooseAccesses() {
  for (BasicBlock& bb : f_) {
    // A load followed in the block by a store to the same address of at least its size, with no
    // call in between, is covered by the store's check (a write conflicts with everything a read
    // does). stored_later: the most bytes stored at each address further on.
    SmallDenseMap<Value*, uint64_t, 8> stored_later;
    std::vector<Instruction*> block;
    for (auto it = bb.rbegin(); it != bb.rend(); ++it) {
      Instruction& i = *it;
      if (auto* li = dyn_cast<LoadInst>(&i)) {
        if (li->isAtomic()) {
          atomics_.push_back(li);
        } else if (!coveredByStore(stored_later, li) && sharedAddress(li->getPointerOperand())) {
          block.push_back(li);
        }
      } else if (auto* si = dyn_cast<StoreInst>(&i)) {
        if (si->isAtomic()) {
          atomics_.push_back(si);
        } else if (sharedAddress(si->getPointerOperand())) {
          block.push_back(si);
          uint64_t& bytes = stored_later[si->getPointerOperand()];
          bytes = std::max(bytes, storeBytes(si->getValueOperand()->getType()));
        }
      } else if (isa<AtomicRMWInst>(i) || isa<AtomicCmpXchgInst>(i) || isa<FenceInst>(i)) {
        atomics_.push_back(&i);
      } else if (auto* mi = dyn_cast<MemIntrinsic>(&i)) {
        intrinsics_.push_back(mi);
      } else if (auto* cb = dyn_cast<CallBase>(&i)) {
        if (isa<IntrinsicInst>(cb) || cb->isInlineAsm()) continue;
        if (Function* callee = cb->getCalledFunction(); callee && isWeaveName(callee->getName())) {
          continue;
        }
        calls_.push_back(cb);
        stored_later.clear();  // the callee may synchronize
      }
    }
    accesses_.insert(accesses_.end(), block.rbegin(), block.rend());
  }
}

void FunctionInstrumenter::instrumentAccess(Instruction* i, Value* addr, Type* type, Align align,
                                            bool write) {
  TypeSize ts = dl_.getTypeStoreSize(type);
  if (ts.isScalable()) return;
  const uint64_t bytes = ts.getFixedValue();
  if (bytes == 0) return;
  IRBuilder<> b(i);
  Value* loc = locs_.forInstruction(*i);
  int idx = sizeIndex(bytes);
  if (idx >= 0 && align.value() >= bytes) {
    b.CreateCall(write ? rt_.write[idx] : rt_.read[idx], {addr, loc});
  } else {
    b.CreateCall(write ? rt_.write_range : rt_.read_range, {addr, b.getInt64(bytes), loc});
  }
}

void FunctionInstrumenter::instrumentAtomic(Instruction* i) {
  if (auto* fi = dyn_cast<FenceInst>(i)) {
    if (fi->getSyncScopeID() == SyncScope::SingleThread) return;  // a signal fence
    IRBuilder<> b(fi);
    b.CreateCall(rt_.fence, {b.getInt32(order(fi->getOrdering()))});
    return;
  }
  Value* addr = nullptr;
  Type* type = nullptr;
  uint32_t flags = 0;
  if (auto* li = dyn_cast<LoadInst>(i)) {
    if (li->getSyncScopeID() == SyncScope::SingleThread) return;
    addr = li->getPointerOperand();
    type = li->getType();
    flags = abi::atomic_flags(abi::kLoad, order(li->getOrdering()));
  } else if (auto* si = dyn_cast<StoreInst>(i)) {
    if (si->getSyncScopeID() == SyncScope::SingleThread) return;
    addr = si->getPointerOperand();
    type = si->getValueOperand()->getType();
    flags = abi::atomic_flags(abi::kStore, order(si->getOrdering()));
  } else if (auto* rmw = dyn_cast<AtomicRMWInst>(i)) {
    if (rmw->getSyncScopeID() == SyncScope::SingleThread) return;
    addr = rmw->getPointerOperand();
    type = rmw->getValOperand()->getType();
    flags = abi::atomic_flags(abi::kRmw, order(rmw->getOrdering()));
  } else if (auto* cx = dyn_cast<AtomicCmpXchgInst>(i)) {
    if (cx->getSyncScopeID() == SyncScope::SingleThread) return;
    addr = cx->getPointerOperand();
    type = cx->getCompareOperand()->getType();
    flags = abi::atomic_flags(abi::kCas, order(cx->getSuccessOrdering()),
                              order(cx->getFailureOrdering()));
  } else {
    return;
  }
  if (addr->getType()->getPointerAddressSpace() != 0) return;
  const uint64_t bytes = dl_.getTypeStoreSize(type).getFixedValue();
  IRBuilder<> b(i);
  b.CreateCall(rt_.atomic, {addr, b.getInt32(bytes), b.getInt32(flags), locs_.forInstruction(*i)});
  // Every atomic that reads is followed by a call: one whose order acquires acquires there, and
  // a relaxed one lets a later acquire fence acquire what it read. Both must come after the
  // read: a store that lands between the call before it and the read is read without having
  // been seen.
  const abi::AtomicOp op = abi::flags_op(flags);
  if (op == abi::kStore) return;
  b.SetInsertPoint(i->getNextNode());
  Value* ok = b.getTrue();
  if (op == abi::kCas) ok = b.CreateExtractValue(i, 1);
  b.CreateCall(rt_.atomic_after,
               {addr, b.getInt32(abi::with_size(flags, static_cast<uint32_t>(bytes))), ok});
}

void FunctionInstrumenter::instrumentIntrinsic(MemIntrinsic* mi) {
  IRBuilder<> b(mi);
  Value* loc = locs_.forInstruction(*mi);
  Value* len = b.CreateZExtOrTrunc(mi->getLength(), b.getInt64Ty());
  if (auto* mt = dyn_cast<MemTransferInst>(mi)) {
    if (sharedAddress(mt->getSource())) b.CreateCall(rt_.read_range, {mt->getSource(), len, loc});
  }
  if (sharedAddress(mi->getDest())) b.CreateCall(rt_.write_range, {mi->getDest(), len, loc});
}

void FunctionInstrumenter::instrumentCall(CallBase* cb) {
  Module& m = *f_.getParent();
  if (Function* callee = cb->getCalledFunction(); callee && redirected_.count(callee->getName())) {
    FunctionCallee wrapper =
        m.getOrInsertFunction(("__weave_" + callee->getName()).str(), callee->getFunctionType());
    cb->setCalledFunction(wrapper);
  }
  IRBuilder<> b(cb);
  b.CreateStore(locs_.forInstruction(*cb), b.CreateThreadLocalAddress(rt_.callsite));
}

void FunctionInstrumenter::addFrame() {
  IRBuilder<> b(&*f_.getEntryBlock().getFirstInsertionPt());
  b.CreateCall(rt_.func_entry, {locs_.forFunction(f_)});
  EscapeEnumerator ee(f_, "weave_cleanup", /*HandleExceptions=*/true);
  while (IRBuilder<>* at = ee.Next()) at->CreateCall(rt_.func_exit, {});
}

bool FunctionInstrumenter::run() {
  chooseAccesses();
  if (accesses_.empty() && atomics_.empty() && intrinsics_.empty() && calls_.empty()) return false;
  for (Instruction* i : accesses_) {
    if (auto* li = dyn_cast<LoadInst>(i)) {
      instrumentAccess(li, li->getPointerOperand(), li->getType(), li->getAlign(), false);
    } else {
      auto* si = cast<StoreInst>(i);
      instrumentAccess(si, si->getPointerOperand(), si->getValueOperand()->getType(),
                       si->getAlign(), true);
    }
  }
  for (Instruction* i : atomics_) instrumentAtomic(i);
  for (MemIntrinsic* mi : intrinsics_) instrumentIntrinsic(mi);
  for (CallBase* cb : calls_) instrumentCall(cb);
  addFrame();
  return true;
}

// Functions of weave's headers annotated weave.unchecked (WEAVE_DETAIL_UNCHECKED): the runtime
// calls them only while the engine checks nothing.
SmallPtrSet<const Function*, 16> uncheckedFunctions(const Module& m) {
  SmallPtrSet<const Function*, 16> found;
  const GlobalVariable* annotations = m.getNamedGlobal("llvm.global.annotations");
  if (!annotations || !annotations->hasInitializer()) return found;
  const auto* entries = dyn_cast<ConstantArray>(annotations->getInitializer());
  if (!entries) return found;
  for (const Use& u : entries->operands()) {
    const auto* entry = dyn_cast<ConstantStruct>(u.get());
    if (!entry || entry->getNumOperands() < 2) continue;
    const auto* f = dyn_cast<Function>(entry->getOperand(0)->stripPointerCasts());
    const auto* text = dyn_cast<GlobalVariable>(entry->getOperand(1)->stripPointerCasts());
    const auto* data = text && text->hasInitializer()
                           ? dyn_cast<ConstantDataArray>(text->getInitializer())
                           : nullptr;
    if (f && data && data->isCString() && data->getAsCString() == "weave.unchecked") {
      found.insert(f);
    }
  }
  return found;
}

bool skipFunction(const Function& f) {
  if (f.isDeclaration() || f.hasAvailableExternallyLinkage()) return true;
  if (f.hasFnAttribute(Attribute::Naked) ||
      f.hasFnAttribute(Attribute::DisableSanitizerInstrumentation)) {
    return true;
  }
  return isWeaveName(f.getName());
}

}  // namespace

PreservedAnalyses InstrumentPass::run(Module& m, ModuleAnalysisManager&) {
  // Twice in one pipeline (a plugin loaded both ways) must not instrument twice.
  if (m.getFunction("__weave_module_ctor")) return PreservedAnalyses::all();
  Locations locs(m);
  Runtime rt(m);
  StringSet<> redirected;
  for (const char* name : abi::kRedirected) redirected.insert(name);

  const SmallPtrSet<const Function*, 16> unchecked = uncheckedFunctions(m);
  std::vector<Function*> functions;
  for (Function& f : m) {
    if (!skipFunction(f) && !unchecked.contains(&f)) functions.push_back(&f);
  }
  for (Function* f : functions) FunctionInstrumenter(*f, rt, locs, redirected).run();

  // A module compiled with the plugin turns the engine on before anything of it runs, and says
  // whether it has acquire fences (relaxed loads then keep what a fence would acquire).
  uint32_t features = 0;
  for (Function* f : functions) {
    for (Instruction& i : instructions(*f)) {
      if (auto* fi = dyn_cast<FenceInst>(&i); fi &&
                                              fi->getSyncScopeID() != SyncScope::SingleThread &&
                                              abi::acquires(order(fi->getOrdering()))) {
        features |= abi::kFeatureAcquireFence;
      }
    }
  }
  Function* ctor = createSanitizerCtor(m, "__weave_module_ctor");
  IRBuilder<> b(ctor->getEntryBlock().getTerminator());
  b.CreateCall(rt.module_init, {b.getInt32(features)});
  appendToGlobalCtors(m, ctor, 0);
  return PreservedAnalyses::none();
}

}  // namespace weave::instrument
