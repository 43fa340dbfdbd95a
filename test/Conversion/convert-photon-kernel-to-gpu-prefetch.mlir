// prefetch-next-weights: each decode GEMV of a layer prefetches the weights
// of the projection after it into L2 before it waits for the previous
// kernel, a 16-byte multiple per block from thread 0 (tiny-vanilla, f32,
// D = 64, F = 128: QKV prefetches the output projection, 64·64·4 = 16384
// bytes over its 16 blocks; the output projection gate and up, 128·64·4 =
// 32768 bytes each over 16 blocks; gate/up down over 32; down nothing).
// Off by default (measured slower on an H200), and never on the CPU.
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory > %t.mlir
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=prefetch-next-weights=1' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: function(@photon_gemv_qkv_norm_r1_128x64)
// CHECK-NEXT: %[[T0:.*]] = arith.cmpi eq, %[[TID:.*]], %c0 : index
// CHECK-NEXT: scf.if %[[T0]] {
// CHECK-NEXT: %[[START:.*]] = arith.muli %[[BLOCK:.*]], %c1024 : index
// CHECK-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[START]], %c16384 : index
// CHECK-NEXT: scf.if %[[IN]] {
// CHECK-NEXT: %[[LEFT:.*]] = arith.subi %c16384, %[[START]] : index
// CHECK-NEXT: %[[SIZE:.*]] = arith.minui %[[LEFT]], %c1024 : index
// CHECK-NEXT: %[[WOFF:.*]] = arith.muli %[[O:.*]], %c4 : index
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[WOFF]], %[[START]] : index
// CHECK-NEXT: %[[ADDR:.*]] = arith.addi %intptr, %[[AT]] : index
// CHECK-NEXT: %[[A64:.*]] = arith.index_castui %[[ADDR]] : index to i64
// CHECK-NEXT: %[[PTR:.*]] = llvm.inttoptr %[[A64]] : i64 to !llvm.ptr<1>
// CHECK-NEXT: %[[S32:.*]] = arith.index_castui %[[SIZE]] : index to i32
// CHECK-NEXT: nvvm.cp.async.bulk.prefetch %[[PTR]], %[[S32]] : <1>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-LABEL: function(@photon_gemv_r1_64x64)
// CHECK-COUNT-2: nvvm.cp.async.bulk.prefetch
// CHECK-LABEL: function(@photon_gemv_gate_up_norm_r1_128x64)
// CHECK: arith.cmpi ult, %{{.*}}, %c32768 : index
// CHECK: nvvm.cp.async.bulk.prefetch
// CHECK-LABEL: function(@photon_gemv_r1_64x128)
// CHECK-NOT: nvvm.cp.async.bulk.prefetch
// CHECK: gpu.terminator

// OFF-NOT: nvvm.cp.async.bulk.prefetch
