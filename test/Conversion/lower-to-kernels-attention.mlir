// On the GPU, attention is one kernel per layer (fuse-attention): a warp per
// (row, query head) loops over cache positions 0..pos[row] with an online
// softmax, scores never leave registers. RoPE on Q and K and the K/V cache
// write are one kernel (fuse-rope-cache). Either option off, and the CPU,
// keep the separate kernels.
// RUN: photon-opt %s -photon-plan-memory -photon-lower-to-kernels=target=gpu -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory '-photon-lower-to-kernels=target=gpu fuse-attention=false' -cse | FileCheck %s --check-prefixes=ATTN-OFF,UNFUSED-ATTN
// RUN: photon-opt %s -photon-plan-memory '-photon-lower-to-kernels=target=gpu fuse-rope-cache=false' -cse | FileCheck %s --check-prefixes=ROPE-OFF
// RUN: photon-opt %s -photon-plan-memory -photon-lower-to-kernels=target=cpu -cse | FileCheck %s --check-prefixes=UNFUSED-ATTN,CPU

// GQA (2 query heads share 1 KV head) and head_dim 52: not a multiple of 32,
// so a lane owns features lane and lane + 32, the second guarded at 52.
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

// Attention: one warp per (row, head) (rows · 2 · 32 threads); KV head =
// head / 2; the loop runs to pos[row] + 1 carrying (max, sum, acc0, acc1).
// CHECK: %[[THREADS:.*]] = arith.muli %{{.*}}, %c32 : index
// CHECK: gpu.launch
// CHECK: arith.cmpi ult, %{{.*}}, %[[THREADS]] : index
// CHECK: %[[LANE:.*]] = arith.remui %{{.*}}, %c32 : index
// CHECK: %[[HEAD:.*]] = arith.remui %{{.*}}, %c2 : index
// CHECK: %[[ROW:.*]] = arith.divui %{{.*}}, %c2 : index
// CHECK: memref.load %[[SEQ]][%[[ROW]]]
// CHECK: %[[P:.*]] = memref.load %[[POS]][%[[ROW]]]
// CHECK: %[[PI:.*]] = arith.index_cast %[[P]]
// CHECK: %[[END:.*]] = arith.addi %[[PI]], %c1 : index
// CHECK: %[[KVH:.*]] = arith.divui %[[HEAD]], %c2 : index
// CHECK: arith.muli %[[KVH]], %c52 : index
// CHECK: %[[HI:.*]] = arith.addi %[[LANE]], %c32 : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[HI]], %c52 : index
// CHECK: arith.select %[[IN]], %[[HI]], %c0 : index
// CHECK: %[[ST:.*]]:4 = scf.for %{{.*}} = %c0 to %[[END]] step %c1 iter_args(%[[M:[^ ]*]] = %cst{{.*}}, {{.*}}) -> (f32, f32, f32, f32) {
// CHECK: memref.load %[[KC]]
// CHECK: memref.load %[[KC]]
// CHECK: arith.select %[[IN]]
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: %[[NEWM:.*]] = arith.maximumf %[[M]], %{{.*}} : f32
// CHECK: arith.subf %[[M]], %[[NEWM]] : f32
// CHECK: math.exp
// CHECK: math.exp
// CHECK: memref.load %[[VC]]
// CHECK: memref.load %[[VC]]
// CHECK: scf.yield %[[NEWM]]
// CHECK: arith.divf %{{.*}}, %[[ST]]#1 : f32
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: scf.if %[[IN]] {
// CHECK: memref.store %{{.*}}, %[[S]]
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
