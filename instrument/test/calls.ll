; Calls: each records its site in __weave_callsite just before it; calls to the pthread lock
; functions and POSIX semaphores go to the engine's wrappers; memory intrinsics are checked as
; ranges; a frame is popped on return and on unwinding.
; RUN: opt -load-pass-plugin=%plugin -passes=weave-instrument -S %s | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@m = global [40 x i8] zeroinitializer
@buf = global [64 x i8] zeroinitializer

declare i32 @pthread_mutex_lock(ptr)
declare i32 @pthread_mutex_unlock(ptr)
declare i32 @sem_post(ptr)
declare i32 @sem_wait(ptr)
declare void @work()
declare i32 @__gxx_personality_v0(...)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)

; CHECK-LABEL: define void @semaphore(
; CHECK: {{call|invoke}} i32 @__weave_sem_post(ptr @m)
; CHECK: {{call|invoke}} i32 @__weave_sem_wait(ptr @m)
define void @semaphore() {
  %p = call i32 @sem_post(ptr @m)
  %w = call i32 @sem_wait(ptr @m)
  ret void
}

; CHECK-LABEL: define void @locked(
; CHECK: %[[CS:.*]] = call ptr @llvm.threadlocal.address.p0(ptr @__weave_callsite)
; CHECK-NEXT: store ptr @__weave_loc{{.*}}, ptr %[[CS]]
; CHECK-NEXT: {{call|invoke}} i32 @__weave_pthread_mutex_lock(ptr @m)
; CHECK: {{call|invoke}} void @work()
; CHECK: {{call|invoke}} i32 @__weave_pthread_mutex_unlock(ptr @m)
; CHECK: {{call|invoke}} void @work()
; CHECK: landingpad
; CHECK-NEXT: cleanup
; CHECK-NEXT: call void @__weave_func_exit()
; CHECK-NEXT: resume
define void @locked() personality ptr @__gxx_personality_v0 {
  %r = call i32 @pthread_mutex_lock(ptr @m)
  call void @work()
  %u = call i32 @pthread_mutex_unlock(ptr @m)
  call void @work()
  ret void
}

; CHECK-LABEL: define void @copy(
; CHECK: call void @__weave_read_range(ptr %src, i64 %n,
; CHECK-NEXT: call void @__weave_write_range(ptr @buf, i64 %n,
; CHECK-NEXT: call void @llvm.memcpy
; CHECK: call void @__weave_write_range(ptr @buf, i64 16,
; CHECK-NEXT: call void @llvm.memset
define void @copy(ptr %src, i64 %n) {
  call void @llvm.memcpy.p0.p0.i64(ptr @buf, ptr %src, i64 %n, i1 false)
  call void @llvm.memset.p0.i64(ptr @buf, i8 0, i64 16, i1 false)
  ret void
}
