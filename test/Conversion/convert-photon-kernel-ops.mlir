// The kernel-level step of the layered lowering on its own: photon_kernel ops
// written by hand (no model) lowered by convert-photon-kernel-to-scf (host
// loops) and convert-photon-kernel-to-gpu (kernels). An in-place RMSNorm of
// rows of 8 features, its gain at offset 16 of the weight arena.
// RUN: photon-opt %s -split-input-file -convert-photon-kernel-to-scf -canonicalize -cse | FileCheck %s --check-prefix=SCF
// RUN: photon-opt %s -split-input-file '-convert-photon-kernel-to-gpu=block-per-row=false' -canonicalize -cse | FileCheck %s --check-prefix=GPU
// RUN: photon-opt %s -split-input-file -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=BLOCK
// RUN: not photon-opt %s -split-input-file '-convert-photon-kernel-to-gpu=chip=tpu1' 2>&1 | FileCheck %s --check-prefix=OPTION

// Host: a loop per row, the sum of squares, then the scaled rows.
// SCF-LABEL: func.func @norm
// SCF-DAG: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// SCF-DAG: %[[WIDTH:.*]] = arith.constant 8.000000e+00 : f32
// SCF-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// SCF: scf.parallel (%[[ROW:.*]]) = (%{{.*}}) to (%arg2) step (%{{.*}}) {
// SCF-NEXT: %[[AT:.*]] = arith.muli %[[ROW]], %c8 : index
// SCF-NEXT: %[[SUM:.*]] = scf.for %[[I:.*]] = %c0 to %c8 step %c1 iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// SCF-NEXT: %[[E:.*]] = arith.addi %[[AT]], %[[I]] : index
// SCF-NEXT: %[[X:.*]] = memref.load %arg1[%[[E]]] : memref<?xf32>
// SCF-NEXT: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// SCF-NEXT: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[SQ]] : f32
// SCF-NEXT: scf.yield %[[NEXT]] : f32
// SCF-NEXT: }
// SCF-NEXT: %[[MEAN:.*]] = arith.divf %[[SUM]], %[[WIDTH]] : f32
// SCF-NEXT: %[[VAR:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// SCF-NEXT: %[[INV:.*]] = math.rsqrt %[[VAR]] : f32
// SCF-NEXT: scf.for %[[J:.*]] = %c0 to %c8 step %c1 {
// SCF-NEXT: %[[E2:.*]] = arith.addi %[[AT]], %[[J]] : index
// SCF-NEXT: %[[X2:.*]] = memref.load %arg1[%[[E2]]] : memref<?xf32>
// SCF-NEXT: %[[N:.*]] = arith.mulf %[[X2]], %[[INV]] : f32
// SCF-NEXT: %[[G:.*]] = arith.addi %[[J]], %c16 : index
// SCF-NEXT: %[[GAIN:.*]] = memref.load %arg0[%[[G]]] : memref<?xf32>
// SCF-NEXT: %[[Y:.*]] = arith.mulf %[[N]], %[[GAIN]] : f32
// SCF-NEXT: memref.store %[[Y]], %arg1[%[[E2]]] : memref<?xf32>
// SCF-NOT: photon_kernel

// GPU, block-per-row=false: a warp per row (32 lanes, 8 warps a block), the
// sum of squares across the warp by xor shuffles, each lane scaling its own
// elements.
// GPU-LABEL: func.func @norm
// GPU: %[[LANES:.*]] = arith.muli %arg2, %c32 : index
// GPU-NEXT: %[[BLOCKS:.*]] = arith.ceildivui %[[LANES]], %c256 : index
// GPU-NEXT: %[[GRID:.*]] = arith.maxui %[[BLOCKS]], %c1 : index
// GPU-NEXT: gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %c1, %{{.*}} = %c1) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c256, %{{.*}} = %c1, %{{.*}} = %c1) module(@photon_kernels) function(@photon_rmsnorm_8) {
// GPU-NEXT: %[[FIRST:.*]] = arith.muli %[[B]], %c256 : index
// GPU-NEXT: %[[FLAT:.*]] = arith.addi %[[FIRST]], %[[T]] : index
// GPU-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[FLAT]], %[[LANES]] : index
// GPU-NEXT: scf.if %[[IN]] {
// GPU-NEXT: %[[LANE:.*]] = arith.remui %[[FLAT]], %c32 : index
// GPU-NEXT: %[[ROW:.*]] = arith.divui %[[FLAT]], %c32 : index
// GPU-NEXT: %[[AT:.*]] = arith.muli %[[ROW]], %c8 : index
// GPU-NEXT: %[[PART:.*]] = scf.for %{{.*}} = %[[LANE]] to %c8 step %c32 iter_args
// GPU-COUNT-5: gpu.shuffle  xor
// GPU: math.rsqrt
// GPU-NEXT: scf.for %{{.*}} = %[[LANE]] to %c8 step %c32 {
// GPU-NOT: photon_kernel

// Default: a block per row.
// BLOCK-LABEL: func.func @norm
// BLOCK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID:.*]], %{{.*}} = %c1, %{{.*}} = %c1) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c32, %{{.*}} = %c1, %{{.*}} = %c1) module(@photon_kernels) function(@photon_rmsnorm_8) workgroup(%{{.*}} : memref<32xf32, #gpu.address_space<workgroup>>)

// OPTION: convert-photon-kernel-to-gpu: chip must be sm_<number>[a], got 'tpu1'
func.func @norm(%W: memref<?xf32>, %x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c16] into %x[%c0] {eps = 1.0e-05 : f64, gain_align = 16 : i64, width = 8 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

// The LM head's projection: on the host one loop over (row, output); on
// the GPU the choice is made on the host from the rows: a GEMV kernel for
// 1 row, up to 4, 8 and 16 rows (a kernel per bucket of rows), else the
// warp-per-output kernel.
// SCF-LABEL: func.func @lm_head
// SCF: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%arg2, %c32) step (%c1, %c1) {
// GPU-LABEL: func.func @lm_head
// GPU: function(@photon_gemv_r1_32x64)
// GPU: function(@photon_gemv_r4_32x64)
// GPU: function(@photon_gemv_r8_32x64)
// GPU: function(@photon_gemv_r16_32x64)
// GPU: function(@photon_matmul_32x64)
// GPU-NOT: photon_kernel
func.func @lm_head(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %logits: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %logits[%c0] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}
