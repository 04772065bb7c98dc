; Location records: code inlined from a header points at the record of the user's line it was
; inlined at, so the engine can report the user's line; names are demangled.
; RUN: opt -load-pass-plugin=%plugin -passes=weave-instrument -S %s | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; The access inlined from map.h:40 (function std::get) at user.cc:12 in main:
; CHECK-DAG: @[[USER:__weave_loc[.0-9]*]] = private global {{.*}} { ptr @[[USERFILE:__weave_str[.0-9]*]], ptr @[[MAIN:__weave_str[.0-9]*]], i32 12, i32 5, ptr null, i32 0, i32 0 }
; CHECK-DAG: @[[HDR:__weave_loc[.0-9]*]] = private global {{.*}} { ptr @[[HDRFILE:__weave_str[.0-9]*]], ptr @[[GET:__weave_str[.0-9]*]], i32 40, i32 3, ptr @[[USER]], i32 0, i32 0 }
; CHECK-DAG: @[[USERFILE]] = private unnamed_addr constant [17 x i8] c"/src/app/user.cc\00"
; CHECK-DAG: @[[HDRFILE]] = private unnamed_addr constant [19 x i8] c"/usr/include/map.h\00"
; CHECK-DAG: @[[MAIN]] = private unnamed_addr constant [5 x i8] c"main\00"
; CHECK-DAG: @[[GET]] = private unnamed_addr constant [9 x i8] c"std::get\00"
; CHECK: call void @__weave_write4(ptr %p, ptr @[[HDR]])

define i32 @main(ptr %p) !dbg !5 {
  store i32 1, ptr %p, !dbg !10
  ret i32 0, !dbg !11
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}
!0 = distinct !DICompileUnit(language: DW_LANG_C_plus_plus_14, file: !1, emissionKind: FullDebug)
!1 = !DIFile(filename: "user.cc", directory: "/src/app")
!2 = !DIFile(filename: "map.h", directory: "/usr/include")
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"Dwarf Version", i32 5}
!5 = distinct !DISubprogram(name: "main", scope: !1, file: !1, line: 10, type: !6, unit: !0, spFlags: DISPFlagDefinition)
!6 = !DISubroutineType(types: !{})
!7 = distinct !DISubprogram(name: "get", linkageName: "_ZSt3getv", scope: !2, file: !2, line: 38, type: !6, unit: !0, spFlags: DISPFlagDefinition)
!9 = distinct !DILocation(line: 12, column: 5, scope: !5)
!10 = !DILocation(line: 40, column: 3, scope: !7, inlinedAt: !9)
!11 = !DILocation(line: 13, column: 1, scope: !5)
