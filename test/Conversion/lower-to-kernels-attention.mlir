// On the GPU, attention is one kernel per layer (fuse-attention): a block per
// (row, query head) splits cache positions 0..pos[row] over its threads, each
// with an online softmax; scores never leave registers. RoPE on Q and K and the K/V cache
// write are one kernel (fuse-rope-cache). Either option off, and the CPU,
// keep the separate kernels.
// RUN: photon-opt %s -photon-plan-memory -photon-lower-to-kernels=target=gpu -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory '-photon-lower-to-kernels=target=gpu fuse-attention=false' -cse | FileCheck %s --check-prefixes=ATTN-OFF,UNFUSED-ATTN
// RUN: photon-opt %s -photon-plan-memory '-photon-lower-to-kernels=target=gpu fuse-rope-cache=false' -cse | FileCheck %s --check-prefixes=ROPE-OFF
// RUN: photon-opt %s -photon-plan-memory -photon-lower-to-kernels=target=cpu -cse | FileCheck %s --check-prefixes=UNFUSED-ATTN,CPU

// GQA (2 query heads share 1 KV head) and head_dim 52 (not a multiple of 32).
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 104, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// RoPE and the cache write: per row 2·26 Q pairs, then 26 K pairs (rotated
// into the K cache, arg 5), then 52 V features (copied into the V cache).
// CHECK-LABEL: func.func private @photon_stack_model(
// CHECK-SAME: %{{[^:]*}}: memref<?xf32>, %[[X:[^:]*]]: memref<?xf32>, %[[ROWS:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %[[SEQ:[^:]*]]: memref<?xi32>, %[[KC:[^:]*]]: memref<?xf32>, %[[VC:[^:]*]]: memref<?xf32>, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>)
// CHECK: gpu.launch
// CHECK: %[[E:.*]] = arith.remui %{{.*}}, %c130 : index
// CHECK: %[[Q:.*]] = arith.cmpi ult, %[[E]], %c52 : index
// CHECK: scf.if %[[Q]] {
// CHECK: math.powf %{{.*}}, %{{.*}} : f64
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: arith.cmpi ult, %[[E]], %c78 : index
// CHECK: math.powf %{{.*}}, %{{.*}} : f64
// CHECK: memref.store %{{.*}}, %[[KC]]
// CHECK: memref.store %{{.*}}, %[[KC]]
// CHECK: arith.cmpi ult, %[[E]], %c130 : index
// CHECK: memref.store %{{.*}}, %[[VC]]
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: gpu.terminator

// Attention: a block of 256 threads per (row, head) (rows · 2 blocks), q in
// workgroup memory; KV head = head / 2; thread t takes positions t, t + 256,
// ... below pos[row] + 1, carrying (max, sum, 52 accumulators); the states
// merge across the warp (shuffles), then across the 8 warps (workgroup memory).
// CHECK: %[[GRID:.*]] = arith.maxui %[[PAIRS:.*]], %c1 : index
// CHECK: gpu.launch blocks(%[[PAIR:[^,]*]], {{.*}}) in ({{.*}} = %[[GRID]], {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c256, {{.*}}) workgroup(%[[QS:.*]] : memref<52xf32, #gpu.address_space<workgroup>>, %[[MS:.*]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[LS:.*]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[ACCS:.*]] : memref<416xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.cmpi ult, %[[PAIR]], %[[PAIRS]] : index
// CHECK: %[[ROW:.*]] = arith.divui %[[PAIR]], %c2 : index
// CHECK: %[[HEAD:.*]] = arith.remui %[[PAIR]], %c2 : index
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]], %c32 : index
// CHECK: memref.load %[[SEQ]][%[[ROW]]]
// CHECK: %[[P:.*]] = memref.load %[[POS]][%[[ROW]]]
// CHECK: %[[PI:.*]] = arith.index_cast %[[P]]
// CHECK: %[[END:.*]] = arith.addi %[[PI]], %c1 : index
// CHECK: %[[KVH:.*]] = arith.divui %[[HEAD]], %c2 : index
// CHECK: %[[KVOFF:.*]] = arith.muli %[[KVH]], %c52 : index
// CHECK: scf.for %[[D:.*]] = %[[TID]] to %c52 step %c256 {
// CHECK: memref.store %{{.*}}, %[[QS]][%[[D]]]
// CHECK: gpu.barrier
// CHECK: %[[ST:.*]]:54 = scf.for %[[U:.*]] = %[[TID]] to %[[END]] step %c256 iter_args(%[[M:[^ ]*]] = %cst{{.*}}) -> (f32, f32, f32,
// CHECK: %[[CU:.*]] = arith.addi %{{.*}}, %[[U]] : index
// CHECK: %[[CROW:.*]] = arith.muli %[[CU]], %c52 : index
// CHECK: %[[KV0:.*]] = arith.addi %[[CROW]], %[[KVOFF]] : index
// CHECK: memref.load %[[QS]][%c0]
// CHECK: arith.addi %[[KV0]], %c0 : index
// CHECK: memref.load %[[KC]]
// CHECK: memref.load %[[QS]][%c51]
// CHECK: %[[NEWM:.*]] = arith.maximumf %[[M]], %{{.*}} : f32
// CHECK: arith.subf %[[M]], %[[NEWM]] : f32
// CHECK: math.exp
// CHECK: math.exp
// CHECK: memref.load %[[VC]]
// CHECK: scf.yield %[[NEWM]]
// CHECK: arith.maximumf %[[ST]]#0
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: arith.cmpf oeq, %[[ST]]#0
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[LANE]], %c0 : index
// CHECK: scf.if %[[Z]] {
// CHECK: memref.store %{{.*}}, %[[MS]]
// CHECK: memref.store %{{.*}}, %[[LS]]
// CHECK: memref.store %{{.*}}, %[[ACCS]]
// CHECK: gpu.barrier
// CHECK: scf.for %[[D2:.*]] = %[[TID]] to %c52 step %c256 {
// CHECK: memref.load %[[MS]][%c7]
// CHECK: memref.load %[[ACCS]]
// CHECK: %[[OUT:.*]] = arith.divf
// CHECK: memref.store %[[OUT]], %[[S]]
// No scores kernel over the capacity follows: the rest of the layer (O
// projection on) never reads the capacity.
// CHECK-NOT: %[[CAP]]
// CHECK-LABEL: func.func private @photon_lm_head(

// fuse-attention=false: scores for every (row, head, position < capacity)
// with the causal test, softmax statistics, output: three kernels.
// UNFUSED-ATTN-LABEL: func.func private @photon_stack_model(
// UNFUSED-ATTN-SAME: %[[UCAP:[^:]*]]: index, %{{[^:]*}}: memref<?xf32>)
// ATTN-OFF: %c130
// ATTN-OFF: %[[U:.*]] = arith.remui %{{.*}}, %[[UCAP]] : index
// ATTN-OFF: arith.cmpi ule, %[[U]]
// CPU: scf.parallel (%{{.*}}, %{{.*}}, %[[U:.*]]) = {{.*}} to (%{{.*}}, %c2, %[[UCAP]])
// CPU: arith.cmpi ule, %[[U]]
// UNFUSED-ATTN-NOT: -> (f32, f32, f32, f32)
// UNFUSED-ATTN: arith.maximumf
// UNFUSED-ATTN: math.exp
// UNFUSED-ATTN-LABEL: func.func private @photon_lm_head(
// CPU-NOT: gpu.launch
// CPU-NOT: %c130

// fuse-rope-cache=false: RoPE on Q, RoPE on K, then the cache write.
// ROPE-OFF-LABEL: func.func private @photon_stack_model(
// ROPE-OFF-NOT: %c130
// ROPE-OFF: math.powf
// ROPE-OFF: gpu.terminator
// ROPE-OFF: math.powf
// ROPE-OFF: gpu.terminator
// ROPE-OFF: gpu.launch
// ROPE-OFF-NOT: math.powf
// ROPE-OFF: -> (f32, f32, f32, f32)
