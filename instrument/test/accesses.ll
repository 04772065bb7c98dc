; Plain loads and stores: which get a check, of which size, and which are skipped.
; RUN: opt -load-pass-plugin=%plugin -passes=weave-instrument -S %s | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK: @llvm.global_ctors = appending global {{.*}} @__weave_module_ctor

@g = global i32 0
@c = constant i32 7
@tls = thread_local global i32 0
@arr = global [4 x i64] zeroinitializer

declare void @escape(ptr)

; CHECK-LABEL: define i32 @globals(
; CHECK: call void @__weave_func_entry(ptr @__weave_loc
; CHECK: call void @__weave_read4(ptr @g, ptr
; CHECK-NEXT: load i32, ptr @g
; CHECK-NOT: __weave_read4(ptr @c
; CHECK-NOT: __weave_read4(ptr @tls
; CHECK: call void @__weave_func_exit()
; CHECK-NEXT: ret i32
define i32 @globals() {
  %a = load i32, ptr @g
  %b = load i32, ptr @c
  %t = load i32, ptr @tls
  %s = add i32 %a, %b
  %r = add i32 %s, %t
  ret i32 %r
}

; A load that a store to the same address follows, with no call between, is left to the store.
; CHECK-LABEL: define void @increment(
; CHECK-NOT: __weave_read
; CHECK: call void @__weave_write4(ptr @g,
; CHECK-NEXT: store i32
define void @increment() {
  %v = load i32, ptr @g
  %w = add i32 %v, 1
  store i32 %w, ptr @g
  ret void
}

; A store of fewer bytes than the load leaves the rest of the load's unchecked: both are checked.
; CHECK-LABEL: define void @narrower_store(
; CHECK: call void @__weave_read8(ptr @arr,
; CHECK: call void @__weave_write1(ptr @arr,
define void @narrower_store() {
  %v = load i64, ptr @arr
  %b = trunc i64 %v to i8
  store i8 %b, ptr @arr
  ret void
}

; A call between them may synchronize: both are checked.
; CHECK-LABEL: define void @increment_across_call(
; CHECK: call void @__weave_read4(ptr @g,
; CHECK: {{call|invoke}} void @escape(
; CHECK: call void @__weave_write4(ptr @g,
define void @increment_across_call() {
  %v = load i32, ptr @g
  call void @escape(ptr null)
  %w = add i32 %v, 1
  store i32 %w, ptr @g
  ret void
}

; A stack slot that never escapes is private: no check. One whose address escapes is shared.
; CHECK-LABEL: define i64 @stack(
; CHECK-NOT: __weave_write8(ptr %private
; CHECK: call void @__weave_write8(ptr %shared,
; CHECK: {{call|invoke}} void @escape(ptr %shared)
define i64 @stack() {
  %private = alloca i64
  %shared = alloca i64
  store i64 1, ptr %private
  store i64 2, ptr %shared
  call void @escape(ptr %shared)
  %v = load i64, ptr %private
  ret i64 %v
}

; A stack slot passed only to weave's machinery stays private: its runtime (declared here, in
; namespace weave) and the functions of namespace weave::detail in its headers use it during the
; call only. Passed to a definition of weave's API (a header's code, instrumented), or stored, it
; is shared.
; CHECK-LABEL: define i32 @runtime_calls(
; CHECK-NOT: __weave_{{read|write}}4(ptr %dst
; CHECK-NOT: __weave_{{read|write}}8(ptr %loc
; CHECK-NOT: __weave_{{read|write}}8(ptr %case
; CHECK: call void @__weave_write4(ptr %header_arg,
; CHECK: call void @__weave_write4(ptr %stored,
; CHECK-NOT: __weave_read4(ptr %dst
; CHECK: ret i32
define i32 @runtime_calls(ptr %out) {
  %dst = alloca i32
  %loc = alloca i64
  %case = alloca i64
  %header_arg = alloca i32
  %stored = alloca i32
  store i32 0, ptr %dst
  store i64 5, ptr %loc
  store i64 7, ptr %case
  store i32 1, ptr %header_arg
  store i32 2, ptr %stored
  call void @_ZN5weave6detail9chan_recvEPvS1_(ptr %dst, ptr %loc)
  call void @_ZN5weave6detail9select_asEPl(ptr %case)
  call void @_ZNK5weave4Chan4peekEPi(ptr %header_arg)
  store ptr %stored, ptr %out
  %v = load i32, ptr %dst
  ret i32 %v
}

declare void @_ZN5weave6detail9chan_recvEPvS1_(ptr, ptr)

define linkonce_odr void @_ZN5weave6detail9select_asEPl(ptr %c) {
  %v = load i64, ptr %c
  call void @_ZN5weave6detail11select_implEl(i64 %v)
  ret void
}

declare void @_ZN5weave6detail11select_implEl(i64)

define linkonce_odr void @_ZNK5weave4Chan4peekEPi(ptr %p) {
  call void @escape(ptr %p)
  ret void
}

; A fiber's callable, in FiberFnFor<F>::run and ::construct (which builds it from the spawner's
; object), is the fiber's own: its fields (the captures) are not checked, but what they point to
; is, and so is the spawner's object. Once its address escapes (in run, or in construct, where a
; capture's constructor may hand out its `this`), or where this module has not both of them, it is
; checked.
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE_E9constructEPvS2_(
; CHECK: call void @__weave_read8(ptr %src,
; CHECK-NOT: __weave_write8(ptr %dst
; CHECK: ret void
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE_E3runEPv(
; CHECK-NOT: __weave_read8(ptr %closure
; CHECK: call void @__weave_read4(ptr %captured,
; CHECK-NOT: __weave_{{read|write}}4(ptr %count
; CHECK: ret void
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE_E9constructEPvS2_(ptr %dst, ptr %src) {
  %p = load ptr, ptr %src
  store ptr %p, ptr %dst
  ret void
}
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE_E3runEPv(ptr %closure) {
  %captured = load ptr, ptr %closure
  %v = load i32, ptr %captured
  %count = getelementptr i8, ptr %closure, i64 8
  %n = load i32, ptr %count
  %m = add i32 %n, %v
  store i32 %m, ptr %count
  ret void
}
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE0_E9constructEPvS3_(
; CHECK: call void @__weave_write4(ptr %dst,
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE0_E3runEPv(
; CHECK: call void @__weave_read8(ptr %closure,
; CHECK: {{call|invoke}} void @escape(ptr %closure)
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE0_E9constructEPvS3_(ptr %dst, ptr %src) {
  store i32 1, ptr %dst
  ret void
}
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE0_E3runEPv(ptr %closure) {
  %captured = load ptr, ptr %closure
  call void @escape(ptr %closure)
  ret void
}
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE1_E9constructEPvS2_(
; CHECK: call void @__weave_write4(ptr %dst,
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE1_E3runEPv(
; CHECK: call void @__weave_read4(ptr %closure,
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE1_E9constructEPvS2_(ptr %dst, ptr %src) {
  store i32 1, ptr %dst
  call void @escape(ptr %dst)
  ret void
}
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE1_E3runEPv(ptr %closure) {
  %n = load i32, ptr %closure
  ret void
}
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE2_E3runEPv(
; CHECK: call void @__weave_read4(ptr %closure,
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE2_E3runEPv(ptr %closure) {
  %n = load i32, ptr %closure
  ret void
}
; CHECK-LABEL: define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE3_E9constructEPvS2_(
; CHECK: call void @__weave_write4(ptr %dst,
define linkonce_odr void @_ZN5weave6detail10FiberFnForIZ4mainEUlvE3_E9constructEPvS2_(ptr %dst, ptr %src) {
  store i32 1, ptr %dst
  ret void
}

; Sizes: 1, 2, 8, 16 bytes get their own entry point; an odd size or a misaligned access a range.
; CHECK-LABEL: define void @sizes(
; CHECK: call void @__weave_write1(
; CHECK: call void @__weave_write2(
; CHECK: call void @__weave_write8(
; CHECK: call void @__weave_write16(
; CHECK: call void @__weave_write_range(ptr %p, i64 3,
; CHECK: call void @__weave_write_range(ptr %p, i64 4,
define void @sizes(ptr %p) {
  store i8 1, ptr %p
  store i16 1, ptr %p
  store i64 1, ptr %p
  store <2 x i64> zeroinitializer, ptr %p
  store i24 1, ptr %p
  store i32 1, ptr %p, align 1
  ret void
}

; A function without accesses or calls gets no frame.
; CHECK-LABEL: define i32 @pure(
; CHECK-NOT: __weave_func_entry
; CHECK: ret i32
define i32 @pure(i32 %x) {
  %y = add i32 %x, 1
  ret i32 %y
}

; A function of weave's headers annotated weave.unchecked (the runtime moves a channel's elements
; with it, while the engine checks nothing) is left as it is: no checks, no frame.
; CHECK-LABEL: define void @_ZN5weave6detail10ElemOpsForIiE14move_constructEPvS2_(
; CHECK-NOT: __weave_
; CHECK: ret void
define void @_ZN5weave6detail10ElemOpsForIiE14move_constructEPvS2_(ptr %dst, ptr %src) {
  %v = load i32, ptr %src
  store i32 %v, ptr %dst
  call void @escape(ptr %dst)
  ret void
}
@.str.unchecked = private unnamed_addr constant [16 x i8] c"weave.unchecked\00", section "llvm.metadata"
@.str.chan_core = private unnamed_addr constant [12 x i8] c"chan_core.h\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { ptr, ptr, ptr, i32, ptr }] [{ ptr, ptr, ptr, i32, ptr } { ptr @_ZN5weave6detail10ElemOpsForIiE14move_constructEPvS2_, ptr @.str.unchecked, ptr @.str.chan_core, i32 40, ptr null }], section "llvm.metadata"

; The module turns the engine on from a constructor.
; CHECK: define internal void @__weave_module_ctor()
; CHECK-NEXT: call void @__weave_module_init(i32 0)
