// On the GPU (parallel-vocab, the default) argmax splits each row of the
// vocabulary over blocks: a (max, index) partial per block in the plan's
// vocab_partials region, then a warp per row combines a row's partials in a
// second kernel (fuse-argmax-combine: the row's last block, counted on the
// row's semaphore); and
// sampling gives each row a block whose threads share every pass over the
// vocabulary. parallel-vocab=false keeps block-per-row's argmax
// (convert-photon-kernel-to-gpu-block-rows.mlir) and one warp per row for sampling; the
// CPU keeps its loops and ignores the partials and semaphores.
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=fuse-argmax-combine=true' -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=parallel-vocab=false' -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -cse | FileCheck %s --check-prefix=COMBINE
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -cse | FileCheck %s --check-prefix=CPU
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-plan-memory | FileCheck %s --check-prefix=PLAN
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -canonicalize -cse | FileCheck %s --check-prefix=PROG

photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 5000, d_model = 200, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 32, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// 5000 logits: 32 blocks of 160 (the last one 40), 160 threads each, one
// round of four loads per thread guarded at the block's end.
// CHECK-LABEL: func.func private @photon_argmax(
// CHECK-SAME: %[[L:[^:]*]]: memref<?xf32>, %[[N:[^:]*]]: index, %[[IDS:[^:]*]]: memref<?xi32>, %[[PV:[^:]*]]: memref<?xf32>, %[[PI:[^:]*]]: memref<?xi32>, %[[SEM:[^:]*]]: memref<?xi32>)
// CHECK: %[[GRIDY:.*]] = arith.maxui %[[N]], %c1 : index
// CHECK-NEXT: %c160 = arith.constant 160 : index
// CHECK-NEXT: gpu.launch blocks(%[[PART:[^,]*]], %[[ROW:[^,]*]], {{.*}}) in ({{.*}} = %c32, {{.*}} = %[[GRIDY]], {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c160, {{.*}}) workgroup(%[[BV:.*]] : memref<32xf32, #gpu.address_space<workgroup>>, %[[BI:.*]] : memref<32xi32, #gpu.address_space<workgroup>>, %[[FLAG:.*]] : memref<4xi32, #gpu.address_space<workgroup>>)
// CHECK-NEXT: %[[LIVE:.*]] = arith.cmpi ult, %[[ROW]], %[[N]] : index
// CHECK-NEXT: scf.if %[[LIVE]] {
// CHECK-NEXT: %[[FIRST:.*]] = arith.muli %[[PART]], %c160 : index
// CHECK-NEXT: %[[END:.*]] = arith.addi %[[FIRST]], %c160 : index
// CHECK-NEXT: %c5000 = arith.constant 5000 : index
// CHECK-NEXT: %[[LAST:.*]] = arith.minui %[[END]], %c5000 : index
// CHECK-NEXT: %[[ROWAT:.*]] = arith.muli %[[ROW]], %c5000 : index
// CHECK: scf.for %{{.*}} = %c0 to %c1 step %c1 iter_args({{.*}}) -> (f32, i32) {
// CHECK: %[[J:.*]] = arith.addi %[[FIRST]], %{{.*}} : index
// CHECK-NEXT: %[[OK:.*]] = arith.cmpi ult, %[[J]], %[[LAST]] : index
// CHECK-NEXT: %[[SAFE:.*]] = arith.select %[[OK]], %[[J]], %[[FIRST]] : index
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[ROWAT]], %[[SAFE]] : index
// CHECK-NEXT: %[[AT0:.*]] = arith.addi %c0, %[[AT]] : index
// CHECK-NEXT: %[[V:.*]] = memref.load %[[L]][%[[AT0]]] : memref<?xf32>
// CHECK-NEXT: %[[NAN:.*]] = arith.cmpf uno, %[[V]], %[[V]] : f32
// CHECK-COUNT-3: memref.load %[[L]]
// CHECK: arith.cmpf ogt
// CHECK-NEXT: arith.cmpf oeq
// CHECK-NEXT: arith.cmpi slt
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK-NEXT: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : i32
// CHECK: memref.store %{{.*}}, %[[BI]]
// CHECK: gpu.barrier
// Five warps' partials, then thread 0 writes the block's pair.
// CHECK: memref.load %[[BI]][%c4]
// CHECK-NOT: memref.load %[[BI]]
// CHECK: %[[R:.*]] = arith.muli %[[ROW]], %c32 : index
// CHECK: scf.if
// CHECK-NEXT: %[[P:.*]] = arith.addi %[[R]], %[[PART]] : index
// CHECK-NEXT: memref.store %{{.*}}, %[[PV]][%[[P]]] : memref<?xf32>
// CHECK-NEXT: memref.store %{{.*}}, %[[PI]][%[[P]]] : memref<?xi32>
// Then, after a barrier, thread 0 fences at the GPU scope, counts the block
// on the row's semaphore and fences again; the block that counts the 32nd
// reads the row's partials (thread p < 32 partial p) and reduces them;
// thread 0 writes the id and sets the semaphore back to zero.
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: scf.if
// CHECK-NEXT: nvvm.memory.barrier <gpu>
// CHECK-NEXT: %[[BEFORE:.*]] = memref.atomic_rmw addi %c1_i32, %[[SEM]][%[[ROW]]] : (i32, memref<?xi32>) -> i32
// CHECK-NEXT: nvvm.memory.barrier <gpu>
// CHECK: memref.store %{{.*}}, %[[FLAG]][%c0]
// CHECK: gpu.barrier
// CHECK-NEXT: %[[F:.*]] = memref.load %[[FLAG]][%c0]
// CHECK-NEXT: %[[ISLAST:.*]] = arith.cmpi ne, %[[F]], %c0_i32 : i32
// CHECK-NEXT: scf.if %[[ISLAST]] {
// CHECK-NEXT: %[[MINE:.*]] = arith.cmpi ult, %[[TID]], %c32 : index
// CHECK-NEXT: %[[PP:.*]] = arith.select %[[MINE]], %[[TID]], %c0 : index
// CHECK-NEXT: %[[RP:.*]] = arith.addi %[[R]], %[[PP]] : index
// CHECK-NEXT: memref.load %[[PV]][%[[RP]]] : memref<?xf32>
// CHECK: memref.load %[[PI]][%[[RP]]] : memref<?xi32>
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : i32
// CHECK: memref.store %{{.*}}, %[[IDS]][%[[ROW]]]
// CHECK: memref.store %c0_i32, %[[SEM]][%[[ROW]]]
// CHECK-NOT: gpu.launch
// CHECK: return

// COMBINE-LABEL: func.func private @photon_argmax(
// COMBINE-SAME: %[[IDS:[^:]*]]: memref<?xi32>, %[[PV:[^:]*]]: memref<?xf32>, %[[PI:[^:]*]]: memref<?xi32>, %{{[^:]*}}: memref<?xi32>)
// COMBINE: function(@photon_argmax_partials)
// COMBINE-NOT: memref.atomic_rmw
// COMBINE: gpu.terminator
// Then a warp per row: each lane one of the row's 32 partials, a butterfly,
// lane 0 writes the id.
// COMBINE: gpu.launch
// COMBINE: scf.for %{{.*}} = %{{.*}} to %c32 step %c32 iter_args({{.*}}) -> (f32, i32) {
// COMBINE-NEXT: %[[Q:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// COMBINE-NEXT: memref.load %[[PV]][%[[Q]]] : memref<?xf32>
// COMBINE-NEXT: memref.load %[[PI]][%[[Q]]] : memref<?xi32>
// COMBINE-NEXT: arith.cmpf ogt
// COMBINE-NEXT: arith.cmpf oeq
// COMBINE-NEXT: arith.cmpi slt
// COMBINE: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : i32
// COMBINE: memref.store %{{.*}}, %[[IDS]]
// COMBINE-NOT: gpu.launch
// COMBINE: return


// Sampling: a block of 1024 threads per row, five strided rounds a pass
// (two groups of four loads, the last three masked past V);
// block reductions (a barrier after each, as the next reuses the buffer).
// The bisections run only when asked for (top_k in (0, V), top_p < 1).
// CHECK-LABEL: func.func private @photon_sample(
// CHECK-SAME: %[[SL:[^:]*]]: memref<?xf32>, %[[SN:[^:]*]]: index, %[[U:[^:]*]]: memref<?xf32>, %[[T:[^:]*]]: f32, %[[K:[^:]*]]: index, %[[TP:[^:]*]]: f32, %[[SIDS:[^:]*]]: memref<?xi32>)
// CHECK: gpu.launch blocks(%[[SROW:[^,]*]], {{.*}}) threads(%[[STID:[^,]*]], {{.*}}) in ({{.*}} = %c1024, {{.*}}) workgroup(%[[SF:.*]] : memref<32xf32, #gpu.address_space<workgroup>>, %[[SA:.*]] : memref<32xi32, #gpu.address_space<workgroup>>, %[[SB:.*]] : memref<32xi32, #gpu.address_space<workgroup>>)
// The row's max:
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{.*}}) -> (f32) {
// CHECK-COUNT-4: memref.load %[[SL]]
// CHECK: arith.maximumf
// CHECK: gpu.barrier
// CHECK: memref.load %[[SF]][%c31]
// CHECK-NEXT: %[[MX:.*]] = arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: gpu.barrier
// The smallest logit above -inf:
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{.*}}) -> (f32) {
// CHECK: arith.minimumf
// CHECK: gpu.barrier
// CHECK: memref.load %[[SF]][%c31]
// CHECK-NEXT: %[[MN:.*]] = arith.minimumf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: gpu.barrier
// Top-k: 40 bisection steps, each an exact count over the block.
// CHECK: %[[USEK:.*]] = arith.andi
// CHECK-NEXT: %[[TAUK:.*]] = scf.if %[[USEK]] -> (f32) {
// CHECK-NEXT: %c40 = arith.constant 40 : index
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c40 step %c1 iter_args(%{{.*}} = %[[MN]], %{{.*}} = %[[MX]]) -> (f32, f32) {
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[MN]] : f32
// Top-p: the mass above tau_k, then 40 steps over the mass.
// CHECK: %[[USEP:.*]] = arith.cmpf olt, %[[TP]], %{{.*}} : f32
// CHECK-NEXT: %[[TAU:.*]] = scf.if %[[USEP]] -> (f32) {
// CHECK: math.exp
// CHECK: scf.for %{{.*}} = %c0 to %c40 step %c1 iter_args(%{{.*}} = %[[TAUK]], %{{.*}} = %[[MX]]) -> (f32, f32) {
// CHECK: math.exp
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[TAUK]] : f32
// The draw: thread t's contiguous slice, an exclusive scan of the slices'
// masses (warp shuffles up, then the warps' totals), the walk.
// CHECK: %[[SHARE:.*]] = scf.for
// CHECK: gpu.shuffle  up %[[SHARE]], %c1_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  up %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK: memref.store %{{.*}}, %[[SF]][%{{.*}}]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// CHECK: memref.load %[[SF]][%c31]
// CHECK: gpu.barrier
// CHECK: memref.load %[[U]]
// CHECK: scf.for %{{.*}} iter_args({{.*}}) -> (f32, i32, i32) {
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : i32
// CHECK: memref.store %{{.*}}, %[[SA]]
// CHECK-NEXT: memref.store %{{.*}}, %[[SB]]
// CHECK: arith.cmpf ogt, %[[MX]]
// CHECK: memref.store %{{.*}}, %[[SIDS]][%[[SROW]]] : memref<?xi32>

// OFF-LABEL: func.func private @photon_argmax(
// OFF: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c1024, {{.*}})
// OFF-NOT: gpu.launch
// OFF-LABEL: func.func private @photon_sample(
// OFF-NOT: workgroup(
// OFF: gpu.launch
// OFF-NOT: gpu.barrier
// OFF: return

// CPU-LABEL: func.func private @photon_argmax(
// CPU-SAME: %arg3: memref<?xf32>, %arg4: memref<?xi32>, %arg5: memref<?xi32>)
// CPU-NOT: %arg3
// CPU-NOT: %arg4
// CPU-NOT: %arg5
// CPU: return
// CPU-LABEL: func.func private @photon_sample(
// CPU-NOT: gpu.

// Tiny PHOTON L=2 (V = 256: 8 blocks of 32 logits; 4 token rows a
// sequence): one (max, index) pair per block and row, 4 · 8 · 8 bytes a
// sequence, after the uniforms.
// PLAN: <name = "uniforms", tile = 1024, per_seq = 16>, <name = "vocab_partials", tile = 1024, per_seq = 256>
// The semaphores (fuse-argmax-combine, fuse-attention-combine): an i32 per
// (row, head) of a stack call of max_rows 4096 and 4 heads, which also
// covers a decode tile's 1024 x 4 token rows: 65536 bytes.
// PLAN: <name = "rows", fixed = 32768>, <name = "semaphores", fixed = 65548>
// The step views the region as nI · 8 maxima (f32), then as many ids (i32).
// PROG: %[[GREEDY:.*]] = arith.cmpf oeq, %{{.*}}, %cst : f32
// PROG-NEXT: scf.if %[[GREEDY]] {
// PROG-NEXT: %[[NP:.*]] = arith.muli %{{.*}}, %c32 : index
// PROG-NEXT: %[[PMAX:.*]] = memref.view %arg1[%[[AT:.*]]][%[[NP]]] : memref<?xi8> to memref<?xf32>
// PROG-NEXT: %[[AT2:.*]] = arith.addi %[[AT]], %{{.*}} : index
// PROG-NEXT: %[[PIDS:.*]] = memref.view %arg1[%[[AT2]]][%[[NP]]] : memref<?xi8> to memref<?xi32>
// PROG: func.call @photon_argmax(%{{.*}}, %{{.*}}, %{{.*}}, %[[PMAX]], %[[PIDS]], %{{.*}}) : (memref<?xf32>, index, memref<?xi32>, memref<?xf32>, memref<?xi32>, memref<?xi32>) -> ()
