; Atomics carry their operation and memory orders (abi.h: op | order << 4 | failure order << 8);
; all but stores get a call after the operation too (what they read, an acquire or a later acquire
; fence acquires), whose flags add the size << 12.
; RUN: opt -load-pass-plugin=%plugin -passes=weave-instrument -S %s | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@a = global i32 0
@b = global i64 0

; CHECK-LABEL: define void @orders(
; relaxed load: op 0, order 0; after it, 4 << 12 = 16384
; CHECK: call void @__weave_atomic(ptr @a, i32 4, i32 0,
; CHECK-NEXT: load atomic i32, ptr @a monotonic
; CHECK-NEXT: call void @__weave_atomic_after(ptr @a, i32 16384, i1 true)
; acquire load: order 2 = 32; after it, 32 + 4 << 12 = 16416
; CHECK: call void @__weave_atomic(ptr @a, i32 4, i32 32,
; CHECK-NEXT: load atomic i32, ptr @a acquire
; CHECK-NEXT: call void @__weave_atomic_after(ptr @a, i32 16416, i1 true)
; release store: op 1, order 3 = 49
; CHECK: call void @__weave_atomic(ptr @a, i32 4, i32 49,
; CHECK-NEXT: store atomic i32 1, ptr @a release
; CHECK-NOT: __weave_atomic_after(ptr @a, i32 49
; seq_cst rmw: op 2, order 5 = 82; after it, 82 + 8 << 12 = 32850
; CHECK: call void @__weave_atomic(ptr @b, i32 8, i32 82,
; CHECK-NEXT: atomicrmw add ptr @b
; CHECK-NEXT: call void @__weave_atomic_after(ptr @b, i32 32850, i1 true)
; cmpxchg acq_rel/acquire: op 3, order 4, failure 2 = 3 + 64 + 512 = 579 (16963 after it); ok is
; the result's flag
; CHECK: call void @__weave_atomic(ptr @a, i32 4, i32 579,
; CHECK-NEXT: %x = cmpxchg ptr @a
; CHECK-NEXT: %[[OK:.*]] = extractvalue { i32, i1 } %x, 1
; CHECK-NEXT: call void @__weave_atomic_after(ptr @a, i32 16963, i1 %[[OK]])
; relaxed rmw: op 2 (after it, 2 + 8 << 12 = 32770); a relaxed store: nothing after
; CHECK: call void @__weave_atomic(ptr @b, i32 8, i32 2,
; CHECK-NEXT: atomicrmw xchg ptr @b
; CHECK-NEXT: call void @__weave_atomic_after(ptr @b, i32 32770, i1 true)
; CHECK: call void @__weave_atomic(ptr @a, i32 4, i32 1,
; CHECK-NEXT: store atomic i32 2, ptr @a monotonic
; CHECK-NOT: __weave_atomic_after
; fences: seq_cst (5) is passed on, a signal fence is not
; CHECK: call void @__weave_fence(i32 5)
; CHECK-NOT: __weave_fence
; CHECK: ret void
; A module with an acquire fence says so when it turns the engine on.
; CHECK: call void @__weave_module_init(i32 1)
define void @orders() {
  %r0 = load atomic i32, ptr @a monotonic, align 4
  %r1 = load atomic i32, ptr @a acquire, align 4
  store atomic i32 1, ptr @a release, align 4
  %r2 = atomicrmw add ptr @b, i64 1 seq_cst
  %x = cmpxchg ptr @a, i32 0, i32 1 acq_rel acquire
  %r3 = atomicrmw xchg ptr @b, i64 2 monotonic
  store atomic i32 2, ptr @a monotonic, align 4
  fence seq_cst
  fence syncscope("singlethread") seq_cst
  ret void
}
