// split-attention-cluster-blocks (sm_90): the splits of a (row, KV head
// group) run as one thread block cluster along x (grid x = cluster x =
// splits, at most the option's blocks) and merge through distributed shared
// memory: each block leaves its split's (max, sum, acc) per query head in
// workgroup memory (a lone split writes A), and after a cluster barrier block r reads the others'
// states (nvvm.mapa) for features r, r + splits, ... and writes A; a second
// barrier keeps every block's memory alive until the others have read it.
// No partials in global memory, no combine kernel. Chips before sm_90 keep
// the combine kernel; fuse-attention-combine takes precedence.
// RUN: split-file %s %t
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tiled-attention=false split-short-caches=false split-attention-cluster-blocks=8 chip=sm_90a' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tiled-attention=false split-short-caches=false split-attention-cluster-blocks=16' -canonicalize -cse | FileCheck %s --check-prefix=SIXTEEN
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tiled-attention=false split-short-caches=false split-attention-cluster-blocks=8 chip=sm_80' -canonicalize -cse | FileCheck %s --check-prefix=COMBINE
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tiled-attention=false split-short-caches=false split-attention-cluster-blocks=8 fuse-attention-combine=true' -canonicalize -cse | FileCheck %s --check-prefix=COMBINE
// RUN: not photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=17' 2>&1 | FileCheck %s --check-prefix=TOO-MANY

//--- gqa3.mlir
// 3 query heads share 1 KV head; head_dim 30.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 90, layers = 1, n_heads = 3, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %[[ROWS:[^:]*]]: index, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>
// Splits, on the host: ceil(528 / rows), at most 8 (the cluster) and
// capacity / 64, at least 1; no bound by the partials' scratch.
// CHECK: %[[WANT:.*]] = arith.ceildivui %c528, %[[SOMEROWS:.*]] : index
// CHECK-NEXT: %[[LONG:.*]] = arith.divui %[[CAP]], %c64 : index
// CHECK-NEXT: %[[FIT:.*]] = arith.minui %[[LONG]], %c8 : index
// CHECK-NEXT: %[[FEW:.*]] = arith.minui %[[WANT]], %[[FIT]] : index
// CHECK-NEXT: %[[SPLITS:.*]] = arith.maxui %[[FEW]], %c1 : index
// One-row calls take their kernel, the others theirs; both in clusters of
// (splits, 1, 1), the block's state of 3 heads · (30 + 2) in workgroup memory.
// CHECK: gpu.launch clusters(%{{[^)]*}}) in (%{{[^ ]*}} = %[[SPLITS]], %{{[^ ]*}} = %c1, %{{[^ ]*}} = %c1) blocks(%[[SPLIT:[^,]*]], %{{[^)]*}}) in (%[[NS:[^ ]*]] = %[[SPLITS]], %{{[^ ]*}} = %c1, %{{[^ ]*}} = %[[SOMEROWS]]) threads(%[[TID:[^,]*]], {{.*}} function(@photon_attention_split_one_row) workgroup({{.*}}, %[[STATE:[^ ]*]] : memref<96xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[SEVERAL:.*]] = arith.cmpi ugt, %[[NS]], %c1 : index
// A nonempty split leaves its merged state (acc at 2 + d, max and sum at 0
// and 1 of each head's 32 floats); an empty one m = -inf, l = acc = 0. A
// single split (a call whose grid is full without splitting) writes A, as
// without clusters.
// CHECK: %[[SINGLE:.*]] = arith.cmpi eq, %[[NS]], %c1 : index
// CHECK: scf.if %[[SINGLE]] {
// CHECK: memref.store %{{.*}}, %[[S]][%{{.*}}] : memref<?xf32>
// CHECK-NEXT: } else {
// CHECK: memref.store %{{.*}}, %[[STATE]][%{{.*}}] : memref<96xf32
// CHECK: } else {
// CHECK-NEXT: scf.for %[[E:.*]] = %[[TID]] to %c96 step %c128 {
// CHECK-NEXT: %[[ER:.*]] = arith.remui %[[E]], %c32 : index
// CHECK-NEXT: %[[EM:.*]] = arith.cmpi eq, %[[ER]], %c0 : index
// CHECK-NEXT: %[[EV:.*]] = arith.select %[[EM]], %cst{{.*}}, %cst{{.*}} : f32
// CHECK-NEXT: memref.store %[[EV]], %[[STATE]][%[[E]]]
// Several splits merge in the cluster.
// CHECK: scf.if %[[SEVERAL]] {
// CHECK-NEXT: nvvm.cluster.arrive {aligned}
// CHECK-NEXT: nvvm.cluster.wait {aligned}
// Block s merges features s + splits · t of the 90 (3 heads of 30).
// CHECK-NEXT: %[[LOCAL:.*]] = memref.extract_aligned_pointer_as_index %[[STATE]]
// CHECK-NEXT: %[[LOCAL64:.*]] = arith.index_castui %[[LOCAL]] : index to i64
// CHECK-NEXT: %[[PTR:.*]] = llvm.inttoptr %[[LOCAL64]] : i64 to !llvm.ptr<3>
// CHECK-NEXT: %[[STRIDE_T:.*]] = arith.muli %[[NS]], %[[TID]] : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.addi %[[SPLIT]], %[[STRIDE_T]] : index
// CHECK-NEXT: %[[STEP:.*]] = arith.muli %[[NS]], %c128 : index
// CHECK-NEXT: scf.for %{{.*}} = %[[FIRST]] to %c90 step %[[STEP]] {
// Eight peers' states (peers past the cluster read block 0's, weight 0).
// CHECK: nvvm.mapa %[[PTR]], %c0_i32 : !llvm.ptr<3> -> !llvm.ptr<7>
// CHECK: llvm.load %{{.*}} : !llvm.ptr<7> -> f32
// CHECK-COUNT-7: nvvm.mapa %[[PTR]]
// CHECK-NOT: nvvm.mapa
// CHECK: math.exp
// CHECK: %[[OUT:.*]] = arith.divf
// CHECK: memref.store %[[OUT]], %[[S]]
// CHECK: nvvm.cluster.arrive {aligned}
// CHECK-NEXT: nvvm.cluster.wait {aligned}
// CHECK-NEXT: }
// CHECK: gpu.launch clusters({{.*}} function(@photon_attention_split)
// CHECK-NOT: photon_attention_combine
// CHECK-LABEL: func.func

// SIXTEEN: arith.minui %{{.*}}, %c16 : index
// SIXTEEN: gpu.launch clusters({{.*}} function(@photon_attention_split_one_row)
// SIXTEEN-COUNT-16: nvvm.mapa
// SIXTEEN-NOT: nvvm.mapa
// SIXTEEN: nvvm.cluster.arrive

// COMBINE-NOT: gpu.launch clusters
// COMBINE-NOT: nvvm.mapa
// COMBINE: function(@photon_attention_split)
// COMBINE-NOT: gpu.launch clusters

// TOO-MANY: split-attention-cluster-blocks must be 0 to 16, got 17
