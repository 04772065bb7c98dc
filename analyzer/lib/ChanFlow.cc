// The channel flow of a translation unit (see ChanFlow.h).
#include "lib/ChanFlow.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "lib/AnalysisScope.h"
#include "lib/Carriers.h"
#include "lib/WeaveApi.h"
#include "llvm/ADT/DenseSet.h"

namespace weave::lint {
using namespace clang;

namespace {

bool isLoop(const Stmt* s) { return isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(s); }

const Expr* loopCond(const Stmt* s) {
  if (const auto* f = dyn_cast<ForStmt>(s)) return f->getCond();
  if (const auto* w = dyn_cast<WhileStmt>(s)) return w->getCond();
  if (const auto* d = dyn_cast<DoStmt>(s)) return d->getCond();
  return nullptr;
}

const Stmt* loopCondVar(const Stmt* s) {
  if (const auto* f = dyn_cast<ForStmt>(s)) return f->getConditionVariableDeclStmt();
  if (const auto* w = dyn_cast<WhileStmt>(s)) return w->getConditionVariableDeclStmt();
  return nullptr;
}

// A carrier that keeps it a channel: a conversion into another kind of object (a class of this
// file built from the channel) is a use of its own.
bool isCarrierNode(const Stmt* p, const Stmt* child) {
  if (!carries(p, child)) return false;
  if (const auto* ce = dyn_cast<CXXConstructExpr>(p)) return isChanType(ce->getType());
  return true;
}

}  // namespace

bool isChanType(QualType t) {
  return api::isWeaveType(t, "Chan") || api::isWeaveType(t, "SendChan") ||
         api::isWeaveType(t, "RecvChan");
}

struct ChanFlow::Impl {
  ASTContext* ctx = nullptr;
  llvm::DenseMap<const void*, const void*> parent;
  llvm::DenseSet<const void*> escapedNodes;
  std::vector<ChanOp> allOps;
  std::vector<std::pair<const void*, ChanOrigin>> allOrigins;
  std::vector<std::vector<unsigned>> opsPerBody;
  // After build: per class root.
  llvm::DenseMap<const void*, std::vector<ChanOp>> opsByRoot;
  llvm::DenseMap<const void*, std::vector<ChanOrigin>> originsByRoot;
  llvm::DenseSet<const void*> escapedRoots;
  llvm::DenseMap<const LambdaExpr*, unsigned> lambdaBody;

  const void* find(const void* n) const {
    auto it = parent.find(n);
    while (it != parent.end() && it->second != n) {
      n = it->second;
      it = parent.find(n);
    }
    return n;
  }
  const void* findCompress(const void* n) {
    parent.try_emplace(n, n);
    const void* root = n;
    while (parent[root] != root) root = parent[root];
    while (parent[n] != root) {
      const void* next = parent[n];
      parent[n] = root;
      n = next;
    }
    return root;
  }
  void unite(const void* a, const void* b) {
    if (!a || !b) return;
    const void* ra = findCompress(a);
    const void* rb = findCompress(b);
    if (ra != rb) parent[ra] = rb;
  }

  // The main file, or a header the front end admits (AnalysisScope.h).
  bool inMainFile(const Decl* d) const { return isAnalysed(d); }

  // A function whose body the flow walks: defined in the main file, not weave's or std's.
  const FunctionDecl* followable(const FunctionDecl* fd) const {
    if (!fd) return nullptr;
    const FunctionDecl* def = fd->getDefinition();
    if (!def || !def->hasBody() || !inMainFile(def)) return nullptr;
    if (const auto* tmpl = def->getTemplateInstantiationPattern()) def = tmpl;
    return def;
  }

  const void* leafNode(const Expr* e) const {
    if (!e || !isChanType(e->getType())) return nullptr;
    if (const auto* dre = dyn_cast<DeclRefExpr>(e)) {
      const ValueDecl* d = dre->getDecl();
      if (const auto* vd = dyn_cast<VarDecl>(d)) {
        if (vd->isImplicit()) return nullptr;  // for-range's __range
        return vd->getCanonicalDecl();
      }
      if (isa<BindingDecl>(d)) return d;
      return nullptr;
    }
    if (const auto* me = dyn_cast<MemberExpr>(e))
      if (const auto* fd = dyn_cast<FieldDecl>(me->getMemberDecl())) return fd->getCanonicalDecl();
    if (const auto* call = dyn_cast<CallExpr>(e)) {
      if (api::isWeaveCall(call, "make_chan")) return call;
      if (isa<CXXMemberCallExpr>(call) &&
          isa_and_nonnull<CXXConversionDecl>(cast<CXXMemberCallExpr>(call)->getMethodDecl()))
        return nullptr;
      if (const FunctionDecl* def = followable(call->getDirectCallee()))
        return def->getCanonicalDecl();
    }
    return nullptr;
  }

  const void* nodeOf(const Expr* e) const {
    while (const Expr* next = carriedChild(e)) {
      if (isa<CXXConstructExpr>(e) && !isChanType(e->getType())) break;
      e = next;
    }
    return leafNode(e);
  }

  static bool isSpawnCall(const Stmt* s) {
    if (const auto* mc = dyn_cast<CXXMemberCallExpr>(s)) {
      const CXXMethodDecl* md = mc->getMethodDecl();
      if (!md || !md->getIdentifier()) return false;
      llvm::StringRef n = md->getName();
      if (n != "go" && n != "try_go") return false;
      return api::isDeclIn(md->getParent(), "weave", "WaitGroup") ||
             api::isDeclIn(md->getParent(), "weave", "ErrGroup");
    }
    if (const auto* call = dyn_cast<CallExpr>(s))
      return api::isWeaveCall(call, "go") || api::isStdCall(call, "async");
    if (const auto* ce = dyn_cast<CXXConstructExpr>(s))
      return api::isTypeIn(ce->getType(), "std", "thread") ||
             api::isTypeIn(ce->getType(), "std", "jthread");
    return false;
  }

  const LambdaExpr* lambdaOf(const Expr* e) const {
    e = ignoreCarriers(e);
    if (const auto* le = dyn_cast_or_null<LambdaExpr>(e)) return le;
    if (const auto* dre = dyn_cast_or_null<DeclRefExpr>(e))
      if (const auto* vd = dyn_cast<VarDecl>(dre->getDecl()))
        if (vd->getInit()) return dyn_cast_or_null<LambdaExpr>(ignoreCarriers(vd->getInit()));
    return nullptr;
  }

  void addOp(ChanOp op) {
    opsPerBody[op.body].push_back(static_cast<unsigned>(allOps.size()));
    allOps.push_back(op);
  }

  // The use of a channel expression `leaf` in body `b`: what the code around it does with it.
  void classifyUse(const Expr* leafExpr, const void* node, llvm::ArrayRef<const Stmt*> parents,
                   unsigned b, const std::vector<BodyInfo>& bodies, const FieldDecl* rootField) {
    parent.try_emplace(node, node);
    // A global other files can name: they may close it or send on it.
    if (const auto* dre = dyn_cast<DeclRefExpr>(leafExpr))
      if (const auto* vd = dyn_cast<VarDecl>(dre->getDecl());
          vd && vd->hasGlobalStorage() && !vd->isStaticLocal() && vd->isExternallyVisible())
        escapedNodes.insert(node);
    const Stmt* loop = nullptr;
    for (size_t j = parents.size(); j-- > 0;)
      if (isLoop(parents[j])) {
        loop = parents[j];
        break;
      }
    const Stmt* child = leafExpr;
    for (size_t i = parents.size(); i-- > 0;) {
      const Stmt* p = parents[i];
      if (isCarrierNode(p, child)) {
        child = p;
        continue;
      }
      if (const auto* me = dyn_cast<MemberExpr>(p)) {
        const auto* mc = i > 0 ? dyn_cast<CXXMemberCallExpr>(parents[i - 1]) : nullptr;
        const auto* md = dyn_cast<CXXMethodDecl>(me->getMemberDecl());
        if (!mc || !md || !md->getIdentifier()) return;
        methodOp(md->getName(), mc, node, b, loop, parents.take_front(i - 1));
        return;
      }
      if (const auto* dm = dyn_cast<CXXDependentScopeMemberExpr>(p)) {
        const auto* call = i > 0 ? dyn_cast<CallExpr>(parents[i - 1]) : nullptr;
        if (!call || !dm->getMember().isIdentifier()) return;
        methodOp(dm->getMember().getAsIdentifierInfo()->getName(), call, node, b, loop,
                 parents.take_front(i - 1));
        return;
      }
      if (const auto* ds = dyn_cast<DeclStmt>(p)) {
        for (const Decl* d : ds->decls()) {
          const auto* vd = dyn_cast<VarDecl>(d);
          if (!vd || vd->getInit() != child) continue;
          if (vd->isImplicit()) return;  // the for-range statement records it
          if (!isChanType(vd->getType())) break;
          unite(vd->getCanonicalDecl(), node);
          return;
        }
        escapedNodes.insert(node);
        return;
      }
      if (const auto* le = dyn_cast<LambdaExpr>(p)) {
        auto init = le->capture_init_begin();
        for (const LambdaCapture& c : le->captures()) {
          if (*init == child && c.capturesVariable())
            if (const auto* vd = dyn_cast<VarDecl>(c.getCapturedVar()); vd && vd->isInitCapture())
              unite(vd->getCanonicalDecl(), node);
          ++init;
        }
        return;
      }
      if (isa<ReturnStmt>(p)) {
        const BodyInfo& bi = bodies[b];
        if (bi.fb.lambda) {
          escapedNodes.insert(node);
          return;
        }
        unite(bi.fb.decl->getCanonicalDecl(), node);
        return;
      }
      if (const auto* op = dyn_cast<CXXOperatorCallExpr>(p)) {
        OverloadedOperatorKind k = op->getOperator();
        if (k == OO_Equal && op->getNumArgs() == 2) {
          if (op->getArg(0) == child) {
            addOp({ChanOpKind::Assign, op, node, b, nullptr, 0, loop, false});
            return;
          }
          const void* lhs = nodeOf(op->getArg(0));
          if (!lhs) {
            escapedNodes.insert(node);
            return;
          }
          unite(lhs, node);
          return;
        }
        if (k == OO_EqualEqual || k == OO_ExclaimEqual) return;
      }
      if (const auto* call = dyn_cast<CallExpr>(p)) {
        callArg(call, child, node, b, parents.take_front(i));
        return;
      }
      if (const auto* ce = dyn_cast<CXXConstructExpr>(p)) {
        const CXXConstructorDecl* ctor = ce->getConstructor();
        const FunctionDecl* def = followable(ctor);
        for (unsigned k = 0; def && k < ce->getNumArgs() && k < def->getNumParams(); ++k)
          if (ce->getArg(k) == child) {
            unite(def->getParamDecl(k), node);
            return;
          }
        escapedNodes.insert(node);
        return;
      }
      if (const auto* ile = dyn_cast<InitListExpr>(p)) {
        const RecordDecl* rd = ile->getType()->getAsRecordDecl();
        if (!rd) {
          escapedNodes.insert(node);
          return;
        }
        unsigned idx = 0;
        for (; idx < ile->getNumInits(); ++idx)
          if (ile->getInit(idx) == child) break;
        if (const auto* crd = dyn_cast<CXXRecordDecl>(rd))
          idx -= std::min<unsigned>(idx, crd->getNumBases());
        for (const FieldDecl* f : rd->fields()) {
          if (idx-- == 0) {
            unite(f->getCanonicalDecl(), node);
            return;
          }
        }
        escapedNodes.insert(node);
        return;
      }
      if (const auto* cast = dyn_cast<CStyleCastExpr>(p); cast && cast->getType()->isVoidType())
        return;
      if (isa<Expr>(p)) {
        escapedNodes.insert(node);
        return;
      }
      return;  // a statement that drops the value
    }
    // The root of a walk: a constructor's member initialiser.
    if (rootField && isChanType(rootField->getType()))
      unite(rootField->getCanonicalDecl(), node);
    else if (rootField)
      escapedNodes.insert(node);
  }

  void methodOp(llvm::StringRef name, const CallExpr* call, const void* node, unsigned b,
                const Stmt* loop, llvm::ArrayRef<const Stmt*> above) {
    ChanOp op{ChanOpKind::Send, call, node, b, nullptr, 0, loop, false};
    if (name == "send") {
      op.kind = ChanOpKind::Send;
    } else if (name == "close") {
      op.kind = ChanOpKind::Close;
    } else if (name == "recv") {
      op.kind = ChanOpKind::Recv;
      if (loop) {
        const Expr* cond = loopCond(loop);
        const Stmt* cv = loopCondVar(loop);
        op.loopOnRecv = (cond && contains(cond, call)) || (cv && contains(cv, call));
        if (!op.loopOnRecv) op.loopOnRecv = endlessUntilClosed(loop, call, above);
      }
    } else {
      return;  // len, cap, begin, end
    }
    addOp(op);
  }

  // `for (;;) { auto v = ch.recv(); if (!v) break; … }`: an endless loop whose only exits are
  // conditions on the value this receive produced.
  bool endlessUntilClosed(const Stmt* loop, const CallExpr* call,
                          llvm::ArrayRef<const Stmt*> above) const {
    const Expr* cond = loopCond(loop);
    if (cond) {
      Expr::EvalResult r;
      if (cond->isValueDependent() || !cond->EvaluateAsInt(r, *ctx) || r.Val.getInt() == 0)
        return false;
    } else if (!isa<ForStmt>(loop)) {
      return false;
    }
    // The variable the receive initialises.
    const VarDecl* v = nullptr;
    for (size_t i = above.size(); i-- > 0;) {
      if (const auto* ds = dyn_cast<DeclStmt>(above[i])) {
        for (const Decl* d : ds->decls())
          if (const auto* vd = dyn_cast<VarDecl>(d);
              vd && vd->getInit() && contains(vd->getInit(), call))
            v = vd;
        break;
      }
      if (!isa<Expr>(above[i])) break;
    }
    if (!v) return false;
    // Every break/return of the loop body must sit under an `if` that tests v.
    bool ok = true;
    const Stmt* body = nullptr;
    if (const auto* f = dyn_cast<ForStmt>(loop)) body = f->getBody();
    if (const auto* w = dyn_cast<WhileStmt>(loop)) body = w->getBody();
    if (const auto* d = dyn_cast<DoStmt>(loop)) body = d->getBody();
    bool anyExit = false;
    walkBody(body, [&](const Stmt* s, llvm::ArrayRef<const Stmt*> ps) {
      if (!isa<BreakStmt, ReturnStmt, GotoStmt>(s)) return;
      // A break of an inner loop or switch does not leave this loop.
      if (isa<BreakStmt>(s))
        for (const Stmt* p : ps)
          if (isLoop(p) || isa<SwitchStmt>(p)) return;
      anyExit = true;
      bool guarded = false;
      for (const Stmt* p : ps)
        if (const auto* is = dyn_cast<IfStmt>(p); is && mentions(is->getCond(), v)) guarded = true;
      ok = ok && guarded;
    });
    return ok && anyExit;
  }

  void callArg(const CallExpr* call, const Stmt* child, const void* node, unsigned b,
               llvm::ArrayRef<const Stmt*> above) {
    llvm::StringRef weaveName = api::calleeNameIn(call, "weave");
    if ((weaveName == "recv" || weaveName == "send") && call->getNumArgs() >= 1 &&
        call->getArg(0) == child) {
      // Find the select this case belongs to.
      const Stmt* c = call;
      for (size_t i = above.size(); i-- > 0;) {
        const Stmt* p = above[i];
        if (const auto* sel = dyn_cast<CallExpr>(p); sel && api::isWeaveCall(sel, "select")) {
          for (unsigned k = 0; k < sel->getNumArgs(); ++k)
            if (sel->getArg(k) == c || contains(sel->getArg(k), call)) {
              const Stmt* selLoop = nullptr;
              for (size_t j = i; j-- > 0;)
                if (isLoop(above[j])) {
                  selLoop = above[j];
                  break;
                }
              addOp({weaveName == "recv" ? ChanOpKind::SelectRecv : ChanOpKind::SelectSend, call,
                     node, b, sel, k, selLoop, false});
              return;
            }
        }
        if (!isa<Expr>(p)) break;
        c = p;
      }
      escapedNodes.insert(node);
      return;
    }
    unsigned offset = 0;
    const FunctionDecl* callee = call->getDirectCallee();
    if (const auto* oc = dyn_cast<CXXOperatorCallExpr>(call))
      if (isa_and_nonnull<CXXMethodDecl>(oc->getDirectCallee())) offset = 1;
    const FunctionDecl* def = followable(callee);
    if (def && !api::calleeNameIn(call, "weave").empty()) def = nullptr;
    for (unsigned k = offset; def && k < call->getNumArgs(); ++k) {
      if (call->getArg(k) != child) continue;
      if (k - offset < def->getNumParams()) {
        unite(def->getParamDecl(k - offset), node);
        return;
      }
    }
    escapedNodes.insert(node);
  }

  void walkBodyOf(unsigned b, const std::vector<BodyInfo>& bodies, std::vector<BodyInfo>& out) {
    const FunctionBody& fb = bodies[b].fb;
    auto visit = [&](const FieldDecl* rootField) {
      return [&, rootField](const Stmt* s, llvm::ArrayRef<const Stmt*> parents) {
        if (const auto* fr = dyn_cast<CXXForRangeStmt>(s)) {
          if (const void* n = nodeOf(fr->getRangeInit())) {
            parent.try_emplace(n, n);
            const Stmt* loop = nullptr;
            for (size_t j = parents.size(); j-- > 0;)
              if (isLoop(parents[j])) {
                loop = parents[j];
                break;
              }
            addOp({ChanOpKind::Range, fr, n, b, nullptr, 0, loop, false});
          }
          return;
        }
        if (isSpawnCall(s)) {
          const Expr* arg = nullptr;
          if (const auto* call = dyn_cast<CallExpr>(s); call && call->getNumArgs() > 0)
            arg = call->getArg(0);
          if (const auto* ce = dyn_cast<CXXConstructExpr>(s); ce && ce->getNumArgs() > 0)
            arg = ce->getArg(0);
          if (const LambdaExpr* le = lambdaOf(arg)) {
            auto it = lambdaBody.find(le);
            if (it != lambdaBody.end()) {
              BodyInfo& bi = out[it->second];
              bi.fiber = true;
              bi.spawn = s;
              for (const Stmt* p : parents)
                if (isLoop(p)) bi.spawnLoops.push_back(p);
            }
          }
        }
        if (const auto* ds = dyn_cast<DeclStmt>(s)) {
          for (const Decl* d : ds->decls())
            if (const auto* vd = dyn_cast<VarDecl>(d);
                vd && vd->getInit() && api::isTypeIn(vd->getType(), "absl", "Cleanup"))
              if (const LambdaExpr* le = lambdaOf(vd->getInit())) {
                auto it = lambdaBody.find(le);
                if (it != lambdaBody.end()) {
                  out[it->second].cleanup = true;
                  out[it->second].cleanupDecl = ds;
                }
              }
        }
        if (const auto* le = dyn_cast<LambdaExpr>(s)) {
          auto it = lambdaBody.find(le);
          if (it != lambdaBody.end()) out[it->second].parent = static_cast<int>(b);
        }
        const auto* e = dyn_cast<Expr>(s);
        if (!e) return;
        const void* n = leafNode(e);
        if (!n) return;
        if (const auto* call = dyn_cast<CallExpr>(e); call && api::isWeaveCall(call, "make_chan")) {
          ChanOrigin o{call, b, std::nullopt, false, {}};
          for (const Stmt* p : parents)
            if (isLoop(p)) o.loops.push_back(p);
          const Expr* capArg = call->getNumArgs() > 0 ? call->getArg(0) : nullptr;
          if (!capArg || isa<CXXDefaultArgExpr>(capArg)) {
            o.capacity = 0;
            o.capacityDefaulted = true;
          } else {
            Expr::EvalResult r;
            if (!capArg->isValueDependent() && capArg->EvaluateAsInt(r, *ctx))
              o.capacity = r.Val.getInt().getZExtValue();
          }
          allOrigins.push_back({n, o});
        }
        classifyUse(e, n, parents, b, bodies, rootField);
      };
    };
    walkBody(fb.body, visit(nullptr));
    if (const auto* ctor = dyn_cast_or_null<CXXConstructorDecl>(fb.decl))
      for (const CXXCtorInitializer* init : ctor->inits())
        if (init->isWritten() && init->getInit())
          walkBody(init->getInit(), visit(init->getMember()));
  }
};

ChanFlow::ChanFlow(ASTContext& ctx) : impl_(std::make_shared<Impl>()) {
  Impl& im = *impl_;
  im.ctx = &ctx;
  forEachFunctionBody(ctx, [&](const FunctionBody& fb) {
    if (!fb.body) return;
    if (fb.lambda) im.lambdaBody[fb.lambda] = static_cast<unsigned>(bodies_.size());
    BodyInfo bi;
    bi.fb = fb;
    bodies_.push_back(std::move(bi));
  });
  im.opsPerBody.resize(bodies_.size());
  std::vector<BodyInfo> snapshot = bodies_;
  for (unsigned b = 0; b < bodies_.size(); ++b) im.walkBodyOf(b, snapshot, bodies_);

  for (const void* n : im.escapedNodes) im.escapedRoots.insert(im.findCompress(n));
  for (const ChanOp& op : im.allOps) im.opsByRoot[im.findCompress(op.node)].push_back(op);
  for (const auto& [n, o] : im.allOrigins) im.originsByRoot[im.findCompress(n)].push_back(o);
}

std::vector<const void*> ChanFlow::classes() const {
  llvm::DenseSet<const void*> seen;
  std::vector<const void*> out;
  for (const auto& [n, _] : impl_->originsByRoot)
    if (seen.insert(n).second) out.push_back(n);
  for (const auto& [n, _] : impl_->opsByRoot)
    if (seen.insert(n).second) out.push_back(n);
  return out;
}

const std::vector<ChanOp>& ChanFlow::ops(const void* cls) const {
  static const std::vector<ChanOp> kNone;
  auto it = impl_->opsByRoot.find(impl_->find(cls));
  return it == impl_->opsByRoot.end() ? kNone : it->second;
}

const std::vector<ChanOrigin>& ChanFlow::origins(const void* cls) const {
  static const std::vector<ChanOrigin> kNone;
  auto it = impl_->originsByRoot.find(impl_->find(cls));
  return it == impl_->originsByRoot.end() ? kNone : it->second;
}

bool ChanFlow::escaped(const void* cls) const {
  return impl_->escapedRoots.count(impl_->find(cls)) > 0;
}

const void* ChanFlow::classOf(const void* node) const { return impl_->find(node); }

std::vector<const ChanOp*> ChanFlow::opsInBody(unsigned body) const {
  std::vector<const ChanOp*> out;
  for (unsigned i : impl_->opsPerBody[body]) out.push_back(&impl_->allOps[i]);
  return out;
}

const void* ChanFlow::nodeOf(const Expr* e) const { return impl_->nodeOf(e); }

}  // namespace weave::lint
