// On the GPU, attention is one kernel per layer (fuse-attention). With
// split-short-caches=false (short caches otherwise take photon_attention_short,
// convert-photon-kernel-to-gpu-split-attention.mlir) a block per
// (row, query head) splits cache positions 0..pos[row] over its threads, each
// with an online softmax; scores never leave registers. RoPE on Q and K and the K/V cache
// write are the QKV projection's epilogue (photon-kernel-fusion's
// fuse-rope-cache), else one kernel after it. fuse-attention off, and the
// CPU, keep the separate kernels.
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-short-caches=false' -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=fuse-attention=false tiled-attention=false' -cse | FileCheck %s --check-prefixes=ATTN-OFF,UNFUSED-ATTN
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel '-photon-kernel-fusion=fuse-rope-cache=false' -convert-photon-kernel-to-gpu -cse | FileCheck %s --check-prefixes=ROPE-OFF
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -cse | FileCheck %s --check-prefixes=UNFUSED-ATTN,CPU

// GQA (2 query heads share 1 KV head) and head_dim 52 (not a multiple of 32).
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 104, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// RoPE and the cache write: per row 2·26 Q pairs, then 26 K pairs (rotated
// into the K cache, arg 5), then 52 V features (copied into the V cache),
// 256 of them a block. Blocks that rotate first evaluate the row's 26
// angles into workgroup memory (a table padded to 28).
// The stack's function calls the function of its shape with the offset of
// its first weight (stacks and layers of one shape share their kernels).
// CHECK-LABEL: func.func private @photon_stack_model(
// CHECK-NEXT: %[[FIRST:.*]] = arith.constant 1664 : index
// CHECK-NEXT: call @photon_stack_shape0(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6, %arg7, %arg8, %arg9, %arg10, %arg11, %[[FIRST]])
// CHECK-NEXT: return
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %{{[^:]*}}: memref<?xf32>, %[[X:[^:]*]]: memref<?xf32>, %[[ROWS:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %[[SEQ:[^:]*]]: memref<?xi32>, %[[KC:[^:]*]]: memref<?xf32>, %[[VC:[^:]*]]: memref<?xf32>, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?x{{bf16|f32}}>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: index, %{{[^:]*}}: index)
// CHECK: scf.for %{{.*}} = %c0 to %c1 step %c1 {
// CHECK: gpu.launch blocks(%[[ROW:[^,]*]], %[[BY:[^,]*]], {{.*}}) in {{.*}} threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %[[THREADS:c256[_0-9]*]], {{.*}}) module(@photon_kernels) function(@photon_rope_cache) workgroup(%[[TABLE:.*]] : memref<2x28xf32, #gpu.address_space<workgroup>>)
// CHECK-NEXT: %[[E0:.*]] = arith.muli %[[BY]], %[[THREADS]] : index
// CHECK-NEXT: %[[E:.*]] = arith.addi %[[E0]], %[[TID]] : index
// CHECK-NEXT: %[[LIVE:.*]] = arith.cmpi ult, %[[ROW]], %[[ROWS]] : index
// CHECK-NEXT: scf.if %[[LIVE]] {
// CHECK: %[[ROTATES:.*]] = arith.cmpi ult, %[[E0]], %c78 : index
// CHECK-NEXT: scf.if %[[ROTATES]] {
// CHECK: scf.for %[[J:.*]] = %[[TID]] to %c26 step %[[THREADS]] {
// CHECK: math.exp2 %{{.*}} : f64
// CHECK: math.roundeven %{{.*}} : f64
// CHECK: %[[RED:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK-NEXT: math.cos %[[RED]] : f32
// CHECK-NEXT: math.sin %[[RED]] : f32
// CHECK: memref.store %{{.*}}, %[[TABLE]][%c0, %[[J]]]
// CHECK-NEXT: memref.store %{{.*}}, %[[TABLE]][%c1, %[[J]]]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: }
// CHECK: %[[Q:.*]] = arith.cmpi ult, %[[E]], %c52 : index
// CHECK-NEXT: scf.if %[[Q]] {
// CHECK: arith.divui %[[E]], %c26
// CHECK-NEXT: %[[JQ:.*]] = arith.remui %[[E]], %c26
// CHECK-NEXT: memref.load %[[TABLE]][%c0, %[[JQ]]]
// CHECK-NEXT: memref.load %[[TABLE]][%c1, %[[JQ]]]
// CHECK-NOT: math.cos
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: arith.cmpi ult, %[[E]], %c78 : index
// CHECK-NOT: math.cos
// CHECK: memref.store %{{.*}}, %[[KC]]
// CHECK: memref.store %{{.*}}, %[[KC]]
// CHECK: arith.cmpi ult, %[[E]], %c130{{(_[0-9]+)?}} : index
// CHECK: memref.store %{{.*}}, %[[VC]]
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: gpu.terminator

// CHECK: %[[SHORT:.*]] = arith.cmpi ule, %[[CAP]], %c256 : index
// CHECK-NEXT: scf.if %[[SHORT]] {
// Attention: a block of 256 threads per (row, head) (rows · 2 blocks), q in
// workgroup memory; KV head = head / 2; thread t takes positions t, t + 256,
// ... below pos[row] + 1, carrying (max, sum, 52 accumulators); the states
// merge across the warp (shuffles), then across the 8 warps (workgroup memory).
// CHECK: %[[GRID:.*]] = arith.maxui %[[PAIRS:.*]], %c1{{(_[0-9]+)?}} : index
// CHECK: gpu.launch blocks(%[[PAIR:[^,]*]], {{.*}}) in ({{.*}} = %[[GRID]], {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c256{{(_[0-9]+)?}}, {{.*}}) workgroup(%[[QS:.*]] : memref<52xf32, #gpu.address_space<workgroup>>, %[[MS:.*]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[LS:.*]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[ACCS:.*]] : memref<416xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.cmpi ult, %[[PAIR]], %[[PAIRS]] : index
// CHECK: %[[ROW:.*]] = arith.divui %[[PAIR]], %c2{{(_[0-9]+)?}} : index
// CHECK: %[[HEAD:.*]] = arith.remui %[[PAIR]], %c2{{(_[0-9]+)?}} : index
// CHECK: %[[LANE:.*]] = arith.remui %[[TID]], %c32{{(_[0-9]+)?}} : index
// CHECK: memref.load %[[SEQ]][%[[ROW]]]
// CHECK: %[[P:.*]] = memref.load %[[POS]][%[[ROW]]]
// CHECK: %[[PI:.*]] = arith.index_cast %[[P]]
// CHECK: %[[END:.*]] = arith.addi %[[PI]], %c1{{(_[0-9]+)?}} : index
// CHECK: %[[KVH:.*]] = arith.divui %[[HEAD]], %c2{{(_[0-9]+)?}} : index
// CHECK: %[[KVOFF:.*]] = arith.muli %[[KVH]], %c52{{(_[0-9]+)?}} : index
// CHECK: scf.for %[[D:.*]] = %[[TID]] to %c52{{(_[0-9]+)?}} step %c256{{(_[0-9]+)?}} {
// CHECK: memref.store %{{.*}}, %[[QS]][%[[D]]]
// CHECK: gpu.barrier
// CHECK: %[[ST:.*]]:54 = scf.for %[[U:.*]] = %[[TID]] to %[[END]] step %c256{{(_[0-9]+)?}} iter_args(%[[M:[^ ]*]] = %cst{{.*}}) -> (f32, f32, f32,
// CHECK: %[[CU:.*]] = arith.addi %{{.*}}, %[[U]] : index
// CHECK: %[[CROW:.*]] = arith.muli %[[CU]], %c52{{(_[0-9]+)?}} : index
// CHECK: %[[KV0:.*]] = arith.addi %[[CROW]], %[[KVOFF]] : index
// CHECK: memref.load %[[QS]][%c0{{(_[0-9]+)?}}]
// CHECK: arith.addi %[[KV0]], %c0{{(_[0-9]+)?}} : index
// CHECK: memref.load %[[KC]]
// CHECK: memref.load %[[QS]][%c51{{(_[0-9]+)?}}]
// CHECK: %[[NEWM:.*]] = arith.maximumf %[[M]], %{{.*}} : f32
// CHECK: arith.subf %[[M]], %[[NEWM]] : f32
// CHECK: math.exp
// CHECK: math.exp
// CHECK: memref.load %[[VC]]
// CHECK: scf.yield %[[NEWM]]
// CHECK: arith.maximumf %[[ST]]#0
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: arith.cmpf oeq, %[[ST]]#0
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[LANE]], %c0{{(_[0-9]+)?}} : index
// CHECK: scf.if %[[Z]] {
// CHECK: memref.store %{{.*}}, %[[MS]]
// CHECK: memref.store %{{.*}}, %[[LS]]
// CHECK: memref.store %{{.*}}, %[[ACCS]]
// CHECK: gpu.barrier
// CHECK: scf.for %[[D2:.*]] = %[[TID]] to %c52{{(_[0-9]+)?}} step %c256{{(_[0-9]+)?}} {
// CHECK: memref.load %[[MS]][%c7{{(_[0-9]+)?}}]
// CHECK: memref.load %[[ACCS]]
// CHECK: %[[OUT:.*]] = arith.divf
// CHECK: memref.store %[[OUT]], %[[S]]
// Caches longer than fused-attention-max-capacity (256): calls of more than
// 64 rows (prefill) take the tiled kernel (convert-photon-kernel-to-gpu-tiled-attention.mlir),
// the others split attention (convert-photon-kernel-to-gpu-split-attention.mlir), and
// misaligned caches the three kernels that spread positions over the card;
// the rest of the layer (O projection on) never reads the capacity.
// CHECK: } else {
// CHECK: arith.cmpi ugt, %[[ROWS]], %c64{{(_[0-9]+)?}} : index
// CHECK: memref.extract_aligned_pointer_as_index %[[VC]]
// CHECK: %[[TILED:.*]] = arith.andi
// CHECK-NEXT: scf.if %[[TILED]] {
// CHECK: gpu.launch {{.*}} function(@photon_attention_tiled)
// CHECK: } else {
// CHECK: gpu.launch clusters{{.*}} function(@photon_attention_split)
// CHECK-NOT: function(@photon_attention_combine)
// CHECK: gpu.launch {{.*}} function(@photon_attention_scores)
// CHECK: arith.remui %{{.*}}, %[[CAP]] : index
// CHECK: gpu.launch {{.*}} function(@photon_attention_softmax)
// CHECK: gpu.launch {{.*}} function(@photon_attention_values)
// CHECK: function(@photon_gemv_r1_104x104)
// CHECK-NOT: %[[CAP]]{{[^0-9]}}
// CHECK-LABEL: func.func private @photon_lm_head(

// fuse-attention=false (and tiled-attention=false): scores for every (row,
// head, position < capacity) with the causal test, softmax statistics,
// output: three kernels.
// UNFUSED-ATTN-LABEL: func.func private @photon_stack_shape0(
// UNFUSED-ATTN-SAME: %[[UCAP:[^:]*]]: index, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: index, %{{[^:]*}}: index)
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

// photon-kernel-fusion's fuse-rope-cache=false: the QKV projection stores
// Q, K and V (no pairs, no exp2 in its epilogue), then one kernel applies
// RoPE and writes the cache (photon_kernel.rope_cache).
// ROPE-OFF-LABEL: func.func private @photon_stack_shape0(
// ROPE-OFF-NOT: %c130
// ROPE-OFF-NOT: math.exp2
// ROPE-OFF: function(@photon_gemv_qkv_norm_r1_208x104)
// ROPE-OFF-NOT: math.exp2
// ROPE-OFF: function(@photon_matmul_52x104)
// ROPE-OFF-NOT: math.exp2
// ROPE-OFF: function(@photon_rope_cache)
// ROPE-OFF-NEXT: arith.muli
// ROPE-OFF: math.exp2
// ROPE-OFF: function(@photon_attention_short_warps)
// ROPE-OFF: -> (f32, f32, f32, f32)
