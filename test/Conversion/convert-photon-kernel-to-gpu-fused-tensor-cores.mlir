// Above the GEMV rows, with tensor cores (bf16 weights and activations), a
// layer's projections of one input are one tile128 kernel too: Q, K and V
// (fuse-qkv), each column reading the weight row and writing the output of
// the projection whose range holds it, and gate + up + SwiGLU (fuse-gate-up),
// whose tiles pair 16 gate with 16 up rows per warp so that a thread holds
// both accumulators of a (row, feature) and stores silu(gate) · up. With the
// options off: a tensor-core kernel per projection and a SwiGLU kernel.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel '-photon-kernel-fusion=fuse-qkv=false fuse-gate-up=false' -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tensor-core-kernel=tile64' -canonicalize -cse | FileCheck %s --check-prefix=TILE64

// D 64, 4 heads of 16, 2 KV heads (K and V 32 wide), F 96: Q, K, V are 128
// columns, two 64-wide tiles; gate/up 3 tiles of 32 features.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 64, layers = 1, n_heads = 4, n_kv_heads = 2, ffn_dim = 96, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<16x64xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<64xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<64x64xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<32x64xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<32x64xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<64x64xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<64xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<96x64xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<96x64xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<64x96xbf16>
  photon.param @model.norm.weight : tensor<64xbf16>
  photon.param @lm_head.weight : tensor<16x64xbf16>
}

// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xbf16>, {{.*}}, %[[S:[^:]*]]: memref<?xf32>, %[[SR:[^:]*]]: memref<?xbf16>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: index, %[[QW:[^:]*]]: index)
// CHECK: %[[KW:.*]] = arith.addi %[[QW]], %c4096 : index
// CHECK-NEXT: %[[VW:.*]] = arith.addi %[[QW]], %c6144 : index
// CHECK: function(@photon_rmsnorm_split_64)
// CHECK: function(@photon_gemv_mma_qkv_r16_128x64)
// The wide branch's norm writes bf16 rows over the scratch
// (matmul-input-rounding=gemm), which the QKV kernel loads with cp.async.
// CHECK: } else {
// CHECK: function(@photon_rmsnorm_64)
// CHECK: memref.store %{{.*}}, %[[SR]][%{{.*}}] : memref<?xbf16>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c2, {{.*}}) {{.*}} function(@photon_mma128x64_qkv_128x64) workgroup(%[[T:[^ ]*]] :
// Column n of the tile (n0 + row of the W chunk) reads row n - first of the
// matrix whose range holds it.
// CHECK: %[[INN:.*]] = arith.cmpi ult, %[[N:.*]], %c128 : index
// CHECK-NEXT: %[[IN:.*]] = arith.andi %[[INN]], %{{.*}} : i1
// CHECK-NEXT: %[[PASTQ:.*]] = arith.cmpi uge, %[[N]], %c64 : index
// CHECK-NEXT: %[[WQK:.*]] = arith.select %[[PASTQ]], %[[KW]], %[[QW]] : index
// CHECK-NEXT: %[[PASTK:.*]] = arith.cmpi uge, %[[N]], %c96 : index
// CHECK-NEXT: %[[WM:.*]] = arith.select %[[PASTK]], %[[VW]], %[[WQK]] : index
// CHECK-NEXT: %[[F1:.*]] = arith.select %[[PASTQ]], %c64, %c0 : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.select %[[PASTK]], %c96, %[[F1]] : index
// CHECK-NEXT: %[[J:.*]] = arith.subi %[[N]], %[[FIRST]] : index
// CHECK-NEXT: %[[ROW:.*]] = arith.muli %[[J]], %c64 : index
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[WM]], %[[ROW]] : index
// CHECK-NEXT: %[[ATK:.*]] = arith.addi %[[AT]], %{{.*}} : index
// CHECK-NEXT: %[[SRC:.*]] = arith.select %[[IN]], %[[ATK]], %[[QW]] : index
// CHECK-NEXT: %[[BYTES:.*]] = arith.select %[[IN]], %c8, %c0 : index
// CHECK-NEXT: nvgpu.device_async_copy %[[W]][%[[SRC]]], %[[T]][%c1, %c0, {{.*}}], 8, %[[BYTES]]
// CHECK: nvvm.mma.sync
// The epilogue: element (row, col) to Q, K or V by col, at row · width + col - first.
// CHECK: %[[CQ:.*]] = arith.cmpi uge, %[[COL:.*]], %c64 : index
// CHECK-NEXT: %[[OQK:.*]] = arith.select %[[CQ]], %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[CK:.*]] = arith.cmpi uge, %[[COL]], %c96 : index
// CHECK-NEXT: %[[OUT:.*]] = arith.select %[[CK]], %{{.*}}, %[[OQK]] : index
// CHECK-NEXT: %[[W1:.*]] = arith.select %[[CQ]], %c32, %c64 : index
// CHECK-NEXT: %[[WIDTH:.*]] = arith.select %[[CK]], %c32, %[[W1]] : index
// CHECK-NEXT: %[[RW:.*]] = arith.muli %{{.*}}, %[[WIDTH]] : index
// CHECK-NEXT: %[[C1:.*]] = arith.select %[[CQ]], %c64, %c0 : index
// CHECK-NEXT: %[[C2:.*]] = arith.select %[[CK]], %c96, %[[C1]] : index
// CHECK-NEXT: %[[JC:.*]] = arith.subi %[[COL]], %[[C2]] : index
// CHECK-NEXT: %[[ELEM:.*]] = arith.addi %[[RW]], %[[JC]] : index
// CHECK-NEXT: %[[OAT:.*]] = arith.addi %[[OUT]], %[[ELEM]] : index
// CHECK-NEXT: memref.store %{{.*}}, %[[S]][%[[OAT]]] : memref<?xf32>
// Fewer rows or misaligned: a warp-per-output kernel each.
// CHECK: } else {
// CHECK: function(@photon_matmul_64x64)
// CHECK: function(@photon_matmul_32x64)
// CHECK: function(@photon_matmul_32x64)
// RoPE and the cache write: a block's threads evaluate the row's 8 angles
// once (f64) into workgroup memory, then rotate from it.
// CHECK: function(@photon_rope_cache) workgroup(%[[TABLE:.*]] : memref<2x8xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c8 step %c256
// CHECK: math.exp2 %{{.*}} : f64
// CHECK: memref.store %{{.*}}, %[[TABLE]][%c0, %[[J]]]
// CHECK-NEXT: memref.store %{{.*}}, %[[TABLE]][%c1, %[[J]]]
// CHECK: gpu.barrier
// CHECK-NOT: math.cos
// CHECK: memref.load %[[TABLE]][%c0,
// CHECK-NOT: math.cos
// CHECK: gpu.terminator
// The attention kernels store their output for o_proj: where its GEMV
// reads split rows (2 to 16 rows, aligned: gemv-split-attention), element i
// as bf16 hi at 2i - i % 8 of its f32 rows' bytes (the scratch in bf16, from
// twice their base) and its remainder 8 on; else twice, f32 for the GEMV
// and bf16 over the scratch for the GEMM (the output's mirror).
// CHECK: %[[TWO:.*]] = arith.cmpi uge, %{{.*}}, %c2 : index
// CHECK-NEXT: %[[ROWS:.*]] = arith.andi %[[TWO]], %{{.*}} : i1
// CHECK-NEXT: %[[SPLIT:.*]] = arith.andi %[[ROWS]], %{{.*}} : i1
// CHECK-NEXT: %[[SB:.*]] = arith.muli %{{.*}}, %c384 : index
// CHECK: function(@photon_attention_short_warps)
// CHECK: %[[OUT:.*]] = arith.divf
// CHECK-NEXT: scf.if %[[SPLIT]] {
// CHECK-NEXT: %[[I2:.*]] = arith.muli %[[I:.*]], %c2 : index
// CHECK-NEXT: %[[E:.*]] = arith.remui %[[I]], %c8 : index
// CHECK-NEXT: %[[HIAT:.*]] = arith.subi %[[I2]], %[[E]] : index
// CHECK-NEXT: %[[HI:.*]] = arith.truncf %[[OUT]] : f32 to bf16
// CHECK: %[[LO:.*]] = arith.truncf
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[SB]], %[[HIAT]] : index
// CHECK-NEXT: memref.store %[[HI]], %[[SR]][%[[AT]]] : memref<?xbf16>
// CHECK-NEXT: %[[LOAT:.*]] = arith.addi %[[HIAT]], %c8 : index
// CHECK-NEXT: %[[AT8:.*]] = arith.addi %[[SB]], %[[LOAT]] : index
// CHECK-NEXT: memref.store %[[LO]], %[[SR]][%[[AT8]]] : memref<?xbf16>
// CHECK-NEXT: } else {
// CHECK-NEXT: %[[OAT:.*]] = arith.addi %{{.*}}, %[[I]] : index
// CHECK-NEXT: memref.store %[[OUT]], %[[S]][%[[OAT]]] : memref<?xf32>
// CHECK-NEXT: %[[OUT16:.*]] = arith.truncf %[[OUT]] : f32 to bf16
// CHECK-NEXT: memref.store %[[OUT16]], %[[SR]][%[[I]]] : memref<?xbf16>
// CHECK-NOT: function(@photon_round_rows
// CHECK: function(@photon_mma128x64_64x64)
// CHECK-NOT: gpu.terminator
// CHECK: nvgpu.device_async_copy %[[SR]][%{{.*}}], %{{.*}}[%c0, %c0, {{.*}} : memref<?xbf16> to

// Gate/up: 3 tiles; W row n is feature (n / 64) · 32 + (n % 64) / 32 · 16 +
// n % 16 (clamped to 95) of up where n % 32 >= 16, else of gate.
// The MLP is one choice on the host: gate/up and down GEMVs, or the wide
// kernels, whose norm writes bf16 rows over the scratch.
// CHECK: function(@photon_rmsnorm_split_64)
// CHECK: function(@photon_gemv_mma_gate_up_r16_96x64)
// CHECK: function(@photon_gemv_mma_r16_64x96)
// CHECK: } else {
// CHECK: function(@photon_rmsnorm_64)
// CHECK: memref.store %{{.*}}, %[[SR]][%{{.*}}] : memref<?xbf16>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c3, {{.*}}) {{.*}} function(@photon_mma128x64_gate_up_96x64)
// CHECK: arith.cmpi ult, %[[GN:.*]], %c192 : index
// CHECK-NEXT: %[[GIN:.*]] = arith.andi
// CHECK-NEXT: %[[HALF:.*]] = arith.remui %[[GN]], %c32 : index
// CHECK-NEXT: %[[ISUP:.*]] = arith.cmpi uge, %[[HALF]], %c16 : index
// CHECK-NEXT: %[[S64:.*]] = arith.remui %[[GN]], %c64 : index
// CHECK-NEXT: %[[TILE:.*]] = arith.divui %[[GN]], %c64 : index
// CHECK-NEXT: %[[T0:.*]] = arith.muli %[[TILE]], %c32 : index
// CHECK-NEXT: %[[G32:.*]] = arith.divui %[[S64]], %c32 : index
// CHECK-NEXT: %[[G16:.*]] = arith.muli %[[G32]], %c16 : index
// CHECK-NEXT: %[[TG:.*]] = arith.addi %[[T0]], %[[G16]] : index
// CHECK-NEXT: %[[R16:.*]] = arith.remui %[[S64]], %c16 : index
// CHECK-NEXT: %[[FEAT:.*]] = arith.addi %[[TG]], %[[R16]] : index
// CHECK-NEXT: %[[CLAMP:.*]] = arith.minui %[[FEAT]], %c95 : index
// CHECK-NEXT: %[[MAT:.*]] = arith.select %[[ISUP]], %[[UPW:.*]], %[[GATEW:.*]] : index
// CHECK-NEXT: %[[GROW:.*]] = arith.muli %[[CLAMP]], %c64 : index
// CHECK-NEXT: arith.addi %[[MAT]], %[[GROW]] : index
// CHECK: %[[LOOP:.*]]:65 = scf.for
// CHECK: nvvm.mma.sync
// The last store: accumulator 55 (m-tile 3, n-tile 1, element 3: gate; loop
// result 56 after the copy token) and 63 (n-tile 3: up), to feature j < 96
// of the row, in bf16 over the scratch (matmul-input-rounding=gemm), which
// the down GEMM loads with cp.async.
// CHECK-NOT: function(@photon_swiglu_96)
// CHECK: %[[NEG:.*]] = arith.negf %[[LOOP]]#56 : f32
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[EXP]], %cst{{.*}} : f32
// CHECK-NEXT: %[[SIG:.*]] = arith.divf %cst{{.*}}, %[[DEN]] : f32
// CHECK-NEXT: %[[SILU:.*]] = arith.mulf %[[LOOP]]#56, %[[SIG]] : f32
// CHECK-NEXT: %[[PROD:.*]] = arith.mulf %[[SILU]], %[[LOOP]]#64 : f32
// CHECK-NEXT: %[[GR:.*]] = arith.muli %{{.*}}, %c96 : index
// CHECK-NEXT: %[[GJ:.*]] = arith.addi %[[GR]], %{{.*}} : index
// CHECK-NEXT: %[[PROD16:.*]] = arith.truncf %[[PROD]] : f32 to bf16
// CHECK-NEXT: %[[GAT:.*]] = arith.addi %{{.*}}, %[[GJ]] : index
// CHECK-NEXT: memref.store %[[PROD16]], %[[SR]][%[[GAT]]] : memref<?xbf16>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: gpu.terminator
// CHECK: function(@photon_mma128x64_64x96)
// CHECK-NOT: gpu.terminator
// CHECK: nvgpu.device_async_copy %[[SR]][%{{.*}}], %{{.*}}[%c0, %c0, {{.*}} : memref<?xbf16> to
// CHECK: } else {
// CHECK: function(@photon_matmul_96x64)
// CHECK: function(@photon_matmul_96x64)
// CHECK: function(@photon_swiglu_96)
// CHECK: function(@photon_matmul_64x96)

// OFF-LABEL: func.func private @photon_stack_shape0(
// OFF-NOT: _qkv_
// OFF: function(@photon_mma128x64_64x64)
// OFF: function(@photon_mma128x64_32x64)
// OFF: function(@photon_mma128x64_32x64)
// OFF-NOT: gate_up
// OFF: function(@photon_mma128x64_96x64)
// OFF: function(@photon_mma128x64_96x64)
// OFF: function(@photon_swiglu_96)

// The 64x64 tiles have no fused variant.
// TILE64-LABEL: func.func private @photon_stack_shape0(
// TILE64-NOT: function(@photon_mma{{.*}}_qkv_
// TILE64-NOT: function(@photon_mma{{.*}}_gate_up_
// TILE64: function(@photon_mma_64x64)
// TILE64: function(@photon_mma_32x64)
// TILE64: function(@photon_mma_32x64)
// TILE64: function(@photon_mma_96x64)
// TILE64: function(@photon_mma_96x64)
// TILE64: function(@photon_swiglu_96)
