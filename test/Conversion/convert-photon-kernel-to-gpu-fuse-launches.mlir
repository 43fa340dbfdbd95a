// fuse-launches (off by default): a decode layer's five kernels (QKV + norm + RoPE + cache
// write, attention, O, gate/up + norm + SwiGLU, down; 128 threads each) are
// one launch where the host takes all their single-kernel branches. The
// fused kernel is specialised to each row bucket of the QKV GEMV (1, 4, 8,
// 16 rows), the other GEMVs' same buckets known there; the attention's choice
// (cache of at most 32 positions: a warp per query head) stays a branch in
// the kernel. Blocks take tickets from the counters at the end of the
// semaphores (ticket, tiles done, blocks done), run that tile of the five
// kernels laid end to end, and a kernel's tiles wait where it waited for
// the previous grid until every tile before theirs is done.
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=programmatic-launch=true fuse-launches=true' -cse | FileCheck %s
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=programmatic-launch=true' -cse | FileCheck %s --check-prefix=OFF
// With programmatic launch the fused kernel waits for the previous grid
// once, first; its kernels' own waits are gone.
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=programmatic-launch=true fuse-launches=true' -photon-programmatic-launch -cse | FileCheck %s --check-prefix=PDL

// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 {
// CHECK: scf.if %{{[0-9]+}} {
// CHECK-NEXT: %[[ONE:.*]] = arith.cmpi ule, %arg2, %c1 : index
// CHECK-NEXT: %[[ROWS:.*]] = arith.maxui %arg2, %c1 : index
// CHECK-NEXT: %[[SHORT:.*]] = arith.cmpi ule, %arg7, %c32{{.*}} : index
// CHECK-NEXT: scf.if %[[ONE]] {
// The tiles: QKV's 16 blocks, the attention's (its kernel's grid), O's 16,
// gate/up's 32, down's 16.
// CHECK-NEXT: %[[A:.*]] = arith.muli %c16, %c1 : index
// CHECK-NEXT: %[[QKV:.*]] = arith.muli %[[A]], %c1 : index
// CHECK-NEXT: %[[ATTN_AT:.*]] = arith.addi %c0, %[[QKV]] : index
// CHECK-NEXT: %[[ATTN:.*]] = scf.if %[[SHORT]] -> (index) {
// CHECK: %[[O_AT:.*]] = arith.addi %[[ATTN_AT]], %[[ATTN]] : index
// CHECK-NEXT: %[[GU_AT:.*]] = arith.addi %[[O_AT]], %[[QKV]] : index
// CHECK-NEXT: %[[C:.*]] = arith.muli %c32{{.*}}, %c1 : index
// CHECK-NEXT: %[[GU:.*]] = arith.muli %[[C]], %c1 : index
// CHECK-NEXT: %[[DOWN_AT:.*]] = arith.addi %[[GU_AT]], %[[GU]] : index
// CHECK-NEXT: %[[TOTAL:.*]] = arith.addi %[[DOWN_AT]], %[[QKV]] : index
// CHECK-NEXT: gpu.launch blocks(%{{.*}}) in (%[[GRID:.*]] = %[[TOTAL]], %{{.*}} = %c1, %{{.*}} = %c1) threads(%[[TX:[^,]*]], %{{.*}}) in (%{{.*}} = %c128, %{{.*}} = %c1, %{{.*}} = %c1) module(@photon_kernels) function(@photon_fused5_gemv_qkv_norm_r1_128x64) workgroup({{.*}}%[[TICKET:[^ ]*]] : memref<1xi32, #gpu.address_space<workgroup>>) {
// The counters are the semaphores' last 3; thread 0 takes the block's ticket.
// CHECK-NEXT: %[[DIM:.*]] = memref.dim %arg10, %c0 : memref<?xi32>
// CHECK-NEXT: %c3 = arith.constant 3 : index
// CHECK-NEXT: %[[CTR:.*]] = arith.subi %[[DIM]], %c3 : index
// CHECK-NEXT: %[[T0:.*]] = arith.cmpi eq, %[[TX]], %c0 : index
// CHECK-NEXT: scf.if %[[T0]] {
// CHECK-NEXT: %c1_i32 = arith.constant 1 : i32
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[CTR]], %c0 : index
// CHECK-NEXT: %[[MINE:.*]] = memref.atomic_rmw addi %c1_i32, %arg10[%[[AT]]] : (i32, memref<?xi32>) -> i32
// CHECK-NEXT: memref.store %[[MINE]], %[[TICKET]][%c0] : memref<1xi32, #gpu.address_space<workgroup>>
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: %[[RAW:.*]] = memref.load %[[TICKET]][%c0] : memref<1xi32, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[T:.*]] = arith.index_castui %[[RAW]] : i32 to index
// Tickets [0, 16): QKV's block t. No wait: the fused launch's own.
// CHECK-NEXT: %[[GE0:.*]] = arith.cmpi uge, %[[T]], %c0 : index
// CHECK-NEXT: %[[LT0:.*]] = arith.cmpi ult, %[[T]], %[[ATTN_AT]] : index
// CHECK-NEXT: %[[IN0:.*]] = arith.andi %[[GE0]], %[[LT0]] : i1
// CHECK-NEXT: scf.if %[[IN0]] {
// CHECK-NEXT: %[[B0:.*]] = arith.subi %[[T]], %c0 : index
// CHECK-NOT: nvvm.griddepcontrol
// CHECK-NOT: scf.while
// After the tile's stores, thread 0 counts it.
// CHECK: gpu.barrier
// CHECK-NEXT: scf.if %[[T0]] {
// CHECK-NEXT: nvvm.memory.barrier <gpu>
// CHECK-NEXT: %c1_i32 = arith.constant 1 : i32
// CHECK-NEXT: %[[DONE_AT:.*]] = arith.addi %[[CTR]], %c1 : index
// CHECK-NEXT: memref.atomic_rmw addi %c1_i32, %arg10[%[[DONE_AT]]]
// CHECK-NEXT: }
// CHECK-NEXT: }
// Tickets from 16: the attention's blocks, which first wait until the 16
// tiles before theirs are done (volatile loads of the count, then a fence).
// CHECK-NEXT: %[[GE1:.*]] = arith.cmpi uge, %[[T]], %[[ATTN_AT]] : index
// CHECK-NEXT: %[[LT1:.*]] = arith.cmpi ult, %[[T]], %[[O_AT]] : index
// CHECK-NEXT: %[[IN1:.*]] = arith.andi %[[GE1]], %[[LT1]] : i1
// CHECK-NEXT: scf.if %[[IN1]] {
// CHECK-NEXT: %[[B1:.*]] = arith.subi %[[T]], %[[ATTN_AT]] : index
// CHECK-NEXT: scf.if %[[SHORT]] {
// CHECK: %[[BASE:.*]] = memref.extract_aligned_pointer_as_index %arg10 : memref<?xi32> -> index
// CHECK: %[[COUNT:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i32
// CHECK-NEXT: %[[NEED:.*]] = arith.index_castui %[[ATTN_AT]] : index to i32
// CHECK-NEXT: scf.while : () -> () {
// CHECK-NEXT: %[[SEEN:.*]] = llvm.load volatile %[[COUNT]] {alignment = 4 : i64} : !llvm.ptr -> i32
// CHECK-NEXT: %[[WAIT:.*]] = arith.cmpi ult, %[[SEEN]], %[[NEED]] : i32
// CHECK-NEXT: scf.condition(%[[WAIT]])
// CHECK-NEXT: } do {
// CHECK-NEXT: %c64_i32 = arith.constant 64 : i32
// CHECK-NEXT: nvvm.nanosleep %c64_i32
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: nvvm.memory.barrier <gpu>
// O, gate/up and down wait where their GEMV waited: after its first weight
// loads, in the first iteration.
// CHECK: scf.for
// CHECK: memref.extract_aligned_pointer_as_index %arg10
// CHECK: scf.while
// The last block out zeroes the counters for the next launch.
// CHECK: %[[OUT_AT:.*]] = arith.addi %[[CTR]], %c2 : index
// CHECK-NEXT: %[[OUT:.*]] = memref.atomic_rmw addi %c1_i32, %arg10[%[[OUT_AT]]]
// CHECK-NEXT: %[[OUTI:.*]] = arith.index_castui %[[OUT]] : i32 to index
// CHECK-NEXT: %[[OUT1:.*]] = arith.addi %[[OUTI]], %c1 : index
// CHECK-NEXT: %[[LAST:.*]] = arith.cmpi eq, %[[OUT1]], %[[GRID]] : index
// CHECK-NEXT: scf.if %[[LAST]] {
// CHECK-NEXT: %c0_i32 = arith.constant 0 : i32
// CHECK-NEXT: %[[Z0:.*]] = arith.addi %[[CTR]], %c0 : index
// CHECK-NEXT: memref.store %c0_i32, %arg10[%[[Z0]]] : memref<?xi32>
// CHECK-NEXT: %[[Z1:.*]] = arith.addi %[[CTR]], %c1 : index
// CHECK-NEXT: memref.store %c0_i32, %arg10[%[[Z1]]] : memref<?xi32>
// CHECK-NEXT: memref.store %c0_i32, %arg10[%[[OUT_AT]]] : memref<?xi32>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: gpu.terminator
// The other buckets, each its fused kernel.
// CHECK: function(@photon_fused5_gemv_qkv_norm_r4_128x64)
// CHECK: function(@photon_fused5_gemv_qkv_norm_r8_128x64)
// CHECK: function(@photon_fused5_gemv_qkv_norm_r16_128x64)
// Otherwise (unaligned, a long cache, more rows) the kernels as before.
// CHECK: } else {
// CHECK: function(@photon_gemv_qkv_norm_r1_128x64)
// CHECK: function(@photon_attention_short_warps)
// CHECK: function(@photon_gemv_r1_64x64)
// CHECK-LABEL: func.func private @photon_lm_head(

// OFF-LABEL: func.func private @photon_stack_shape0(
// OFF-NOT: photon_fused
// OFF: function(@photon_gemv_qkv_norm_r1_128x64)
// OFF-NOT: photon_fused

// PDL: gpu.launch {{.*}} function(@photon_fused5_gemv_qkv_norm_r1_128x64)
// PDL-NEXT: nvvm.griddepcontrol wait
// PDL-NEXT: nvvm.griddepcontrol launch_dependents
// PDL-NEXT: %[[DIM:.*]] = memref.dim %arg10, %c0 : memref<?xi32>
// PDL-NOT: nvvm.griddepcontrol
// PDL: gpu.terminator
