// gemv-bulk-max-warp-rows: the one-row GEMVs bring each warp's weight rows into
// shared memory by bulk copies, one per row, on the warp's mbarrier, issued
// before the grid wait; thread 0 copies the norm's gain and, after the wait,
// the activation row on the block's mbarrier; the lanes wait for both and
// read their products' operands from shared memory. tiny-vanilla, f32,
// D = 64: a weight row is 256 bytes; the output projection's block holds
// its 4 warps' rows (1,024 bytes), the row (256) and 5 mbarriers (1,320
// bytes); QKV's warps take a RoPE pair each (two rows) and the gain (2,600
// bytes). Over 4 rows the GEMVs load into registers as before. At 1 the
// GEMVs whose warps read two rows (QKV's pairs, gate/up) keep their loads
// too. By default (-1) every one-row GEMV takes bulk copies, unless RecGen's
// latent chain runs on a second stream (photon-pipeline-latents) or
// fuse-launches is on; never on the CPU or before sm_90.
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory > %t.mlir
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=2' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=1' -canonicalize -cse | FileCheck %s --check-prefix=ONE
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0' | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=2 chip=sm_80' | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=fuse-launches=true' | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf | FileCheck %s --check-prefix=OFF
// RUN: photon-translate --import-config %photon_src/test/E2E/Inputs/edge/edge-vanilla-wide-outputs.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-loads-in-flight=2' -canonicalize -cse | FileCheck %s --check-prefix=GROUPS
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-warps=8' -canonicalize -cse | FileCheck %s --check-prefix=WARPS
// RUN: photon-translate --import-config %photon_src/test/E2E/Inputs/edge/edge-vanilla-wide-outputs.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-warps=32' | FileCheck %s --check-prefix=FIT
// RUN: not photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-warps=0' 2>&1 | FileCheck %s --check-prefix=BADWARPS
// RUN: photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-outputs=128' -canonicalize -cse | FileCheck %s --check-prefix=OUTS
// RUN: not photon-opt %t.mlir -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-outputs=-1' 2>&1 | FileCheck %s --check-prefix=BADOUTS
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-pipeline-latents -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu | FileCheck %s --check-prefix=OFF
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu | FileCheck %s --check-prefix=HIER

// CHECK-LABEL: dynamic_shared_memory_size %c2600_i32 module(@photon_kernels) function(@photon_gemv_qkv_norm_r1_128x64)
// CHECK-COUNT-2: nvvm.cp.async.bulk.shared.cluster.global %{{.*}}, %{{.*}}, %[[QKVROWS:.*]], %c256_i32
// CHECK: nvvm.mbarrier.arrive.expect_tx %[[QKVBLOCK:.*]], %c512_i32
// CHECK-NEXT: arith.addi %{{.*}}, %c2048_i64
// CHECK: nvvm.cp.async.bulk.shared.cluster.global %{{.*}}, %{{.*}}, %[[QKVBLOCK]], %c256_i32
// CHECK: gpu.barrier
// CHECK: nvvm.cp.async.bulk.shared.cluster.global %{{.*}}, %{{.*}}, %[[QKVBLOCK]], %c256_i32
// CHECK: nvvm.mbarrier.try_wait.parity %[[QKVROWS]], %c0_i32
// CHECK-NEXT: nvvm.mbarrier.try_wait.parity %[[QKVBLOCK]], %c0_i32

// CHECK-LABEL: module(@photon_kernels) function(@photon_gemv_qkv_norm_r4_128x64)
// CHECK-NOT: nvvm.cp.async.bulk.shared.cluster.global
// CHECK: gpu.terminator

// CHECK-LABEL: dynamic_shared_memory_size %c1320_i32 module(@photon_kernels) function(@photon_gemv_r1_64x64)
// CHECK: %[[TILE:.*]] = memref.view %[[SMEM:.*]][%c0][]{{.*}} to memref<256xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[ROW:.*]] = memref.view %[[SMEM]][%c1024][]{{.*}} to memref<64xf32, #gpu.address_space<workgroup>>
// CHECK: %[[BASE:.*]] = arith.index_castui %{{.*}} : index to i64
// CHECK: %[[AT:.*]] = arith.addi %[[BASE]], %{{.*}} : i64
// CHECK-NEXT: %[[ROWS:.*]] = llvm.inttoptr %[[AT]] : i64 to !llvm.ptr<3>
// CHECK-NEXT: %[[BLOCKAT:.*]] = arith.addi %[[BASE]], %c1312_i64 : i64
// CHECK-NEXT: %[[BLOCK:.*]] = llvm.inttoptr %[[BLOCKAT]] : i64 to !llvm.ptr<3>
// CHECK: nvvm.mbarrier.init %[[ROWS]], %c1_i32
// CHECK: nvvm.mbarrier.init %[[BLOCK]], %c1_i32
// CHECK: nvvm.fence.mbarrier.init
// CHECK: nvvm.mbarrier.arrive.expect_tx %[[ROWS]], %c256_i32
// CHECK: nvvm.cp.async.bulk.shared.cluster.global %{{.*}}, %{{.*}}, %[[ROWS]], %c256_i32 : !llvm.ptr<7>, <1>
// CHECK: nvvm.mbarrier.arrive.expect_tx %[[BLOCK]], %c256_i32
// CHECK: gpu.barrier
// CHECK: nvvm.cp.async.bulk.shared.cluster.global %{{.*}}, %{{.*}}, %[[BLOCK]], %c256_i32 : !llvm.ptr<7>, <1>
// CHECK: nvvm.mbarrier.try_wait.parity %[[ROWS]], %c0_i32
// CHECK-NEXT: nvvm.mbarrier.try_wait.parity %[[BLOCK]], %c0_i32
// CHECK: vector.load %[[TILE]][%{{.*}}] {alignment = 16 : i64} : memref<256xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: vector.load %[[ROW]][%{{.*}}] {alignment = 16 : i64} : memref<64xf32, #gpu.address_space<workgroup>>, vector<4xf32>

// CHECK-LABEL: dynamic_shared_memory_size %c2600_i32 module(@photon_kernels) function(@photon_gemv_gate_up_norm_r1_128x64)
// CHECK-COUNT-2: nvvm.cp.async.bulk.shared.cluster.global %{{.*}}, %{{.*}}, %{{.*}}, %c256_i32

// CHECK-LABEL: dynamic_shared_memory_size %c2600_i32 module(@photon_kernels) function(@photon_gemv_r1_64x128)
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c512_i32
// CHECK: nvvm.cp.async.bulk.shared.cluster.global %{{.*}}, %{{.*}}, %{{.*}}, %c512_i32

// ONE-LABEL: in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_qkv_norm_r1_128x64)
// ONE-NOT: nvvm.cp.async.bulk.shared.cluster.global
// ONE-LABEL: dynamic_shared_memory_size %c1320_i32 module(@photon_kernels) function(@photon_gemv_r1_64x64)
// ONE: nvvm.cp.async.bulk.shared.cluster.global
// ONE-LABEL: in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_gate_up_norm_r1_128x64)
// ONE-NOT: nvvm.cp.async.bulk.shared.cluster.global
// ONE-LABEL: dynamic_shared_memory_size %c2600_i32 module(@photon_kernels) function(@photon_gemv_r1_64x128)
// ONE: nvvm.cp.async.bulk.shared.cluster.global

// A GEMV of several K groups (D = 512, f32: 4 rounds of 32 lanes, 2 a
// group) waits for its copies once, before the first group.
// GROUPS-LABEL: function(@photon_gemv_qkv_norm_r1_1024x512)
// GROUPS: nvvm.mbarrier.try_wait.parity
// GROUPS-NEXT: nvvm.mbarrier.try_wait.parity
// GROUPS-NEXT: scf.for %{{.*}} = %c0 to %c2 step %c1
// GROUPS-NOT: nvvm.mbarrier.try_wait.parity
// GROUPS: gpu.terminator

// gemv-bulk-warps=8: blocks of 8 warps (256 threads) share one activation
// row. The output projection's 64 warps in 8 blocks: 8 warps' rows (2,048
// bytes), the row (256) and 9 mbarriers, the block's after the warps'.
// WARPS-LABEL: in ({{.*}} = %c8, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c2376_i32 module(@photon_kernels) function(@photon_gemv_r1_64x64)
// WARPS: %[[BASE:.*]] = arith.index_castui %{{.*}} : index to i64
// WARPS: arith.addi %[[BASE]], %c2368_i64 : i64
// WARPS: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c256_i32
// WARPS-LABEL: in ({{.*}} = %c16, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c4680_i32 module(@photon_kernels) function(@photon_gemv_gate_up_norm_r1_128x64)

// gemv-bulk-warps=32, d_model 512 (f32 rows of 2 KB): 32 warps pass 64 KB a
// block, so each kernel halves them until they fit: 16 warps with a row each
// (the output projection, the LM head beside its gain), 8 with two (QKV's
// pairs, gate and up) or down's 4,128-byte rows.
// FIT-LABEL: in ({{.*}} = %c64, {{.*}}) threads({{.*}}) in ({{.*}} = %c256{{.*}}) dynamic_shared_memory_size %c36936_i32 module(@photon_kernels) function(@photon_gemv_qkv_norm_r1_1024x512)
// FIT-LABEL: in ({{.*}} = %c32, {{.*}}) threads({{.*}}) in ({{.*}} = %c512{{.*}}) dynamic_shared_memory_size %c34952_i32 module(@photon_kernels) function(@photon_gemv_r1_512x512)
// FIT-LABEL: in ({{.*}} = %c129, {{.*}}) threads({{.*}}) in ({{.*}} = %c256{{.*}}) dynamic_shared_memory_size %c36936_i32 module(@photon_kernels) function(@photon_gemv_gate_up_norm_r1_1032x512)
// FIT-LABEL: in ({{.*}} = %c64, {{.*}}) threads({{.*}}) in ({{.*}} = %c256{{.*}}) dynamic_shared_memory_size %c37224_i32 module(@photon_kernels) function(@photon_gemv_r1_512x1032)
// FIT-LABEL: in ({{.*}} = %c129, {{.*}}) threads({{.*}}) in ({{.*}} = %c512{{.*}}) dynamic_shared_memory_size %c37000_i32 module(@photon_kernels) function(@photon_gemv_norm_r1_2051x512)

// BADWARPS: gemv-bulk-warps must be 1 to 32, got 0

// gemv-bulk-max-outputs=128: the LM head's 256 outputs keep register loads
// (no dynamic shared memory, no copies); QKV's 128 and the output
// projection's 64 keep their bulk copies.
// OUTS-LABEL: dynamic_shared_memory_size %c2600_i32 module(@photon_kernels) function(@photon_gemv_qkv_norm_r1_128x64)
// OUTS: nvvm.cp.async.bulk.shared.cluster.global
// OUTS-LABEL: dynamic_shared_memory_size %c1320_i32 module(@photon_kernels) function(@photon_gemv_r1_64x64)
// OUTS: nvvm.cp.async.bulk.shared.cluster.global
// OUTS-LABEL: in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_norm_r1_256x64)
// OUTS-NOT: nvvm.cp.async.bulk.shared.cluster.global
// OUTS: gpu.terminator

// BADOUTS: gemv-bulk-max-outputs must not be negative, got -1

// Without photon-pipeline-latents, PHOTON's one-row GEMVs take bulk copies.
// HIER: function(@photon_gemv_qkv_norm_r1_
// HIER: nvvm.cp.async.bulk.shared.cluster.global

// OFF-NOT: nvvm.cp.async.bulk.shared.cluster.global
// OFF-NOT: nvvm.mbarrier
