// GPU projections over 1 to gemv-max-rows rows (decode) are GEMVs: one warp
// per output feature, four warps a block, a grid over the outputs; each lane
// loads 16 bytes of the weight row at a time (vector.load, 16-byte aligned)
// and the matching activations of every row, fma into one f32 accumulator
// per row, a shuffle reduction per row. The host picks a kernel per bucket
// of rows (1, 4, 8, 16) after checking the buffers' alignment; more rows, a
// misaligned buffer or gemv-max-rows=0 keep the other kernels. (OFF also
// turns off the tiled prefill attention, whose K/V tile loads are vectors.)
// (These check the CUDA-core GEMVs, gemv-tensor-core-min-rows=0; the tensor-core
// GEMVs over 4 or more rows: convert-photon-kernel-to-gpu-gemv-tensor-cores.mlir.)
// (gemv-bulk-max-warp-rows=0: the one-row GEMVs load into registers; their bulk
// copies are convert-photon-kernel-to-gpu-gemv-bulk.mlir's.)
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-tensor-core-min-rows=0' -cse -split-input-file | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-max-rows=4 gemv-tensor-core-min-rows=0' -cse -split-input-file | FileCheck %s --check-prefix=MAX4
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-max-rows=0 split-attention=false split-short-caches=false tiled-attention=false' -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion -convert-photon-kernel-to-scf -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 programmatic-launch=true gemv-tensor-core-min-rows=0' -cse -split-input-file | FileCheck %s --check-prefix=PDL
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 programmatic-launch=true gemv-early-trigger=true gemv-tensor-core-min-rows=0' -cse -split-input-file | FileCheck %s --check-prefix=EARLY
// (lm-head-norm=false: the LM head's GEMV reads normed rows; LMNORM checks
// the one that norms them.)
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-tensor-core-min-rows=0' -cse -split-input-file | FileCheck %s --check-prefix=LMNORM
// RUN: not photon-opt %s -split-input-file -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-max-rows=-1' 2>&1 | FileCheck %s --check-prefix=NEGATIVE

photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 40, d_model = 16, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 32, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<40x16xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<16xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<16x16xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<8x16xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<8x16xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<16x16xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<16xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<32x16xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<32x16xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<16x32xbf16>
  photon.param @model.norm.weight : tensor<16xbf16>
  photon.param @lm_head.weight : tensor<40x16xbf16>
}

// With lm-head-norm the LM head reads the stack's raw rows: every GEMV bucket
// norms them on the way in (the gain, model.norm.weight at 3072, 16-byte
// aligned too), each dot product times the row's 1 / rms; more rows take the
// norm kernel, in place over the rows, before the wide projection.
// LMNORM-LABEL: func.func private @photon_lm_head(
// LMNORM-SAME: %[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[LOGITS:.*]]: memref<?xf32>)
// LMNORM: %[[GAIN:.*]] = arith.addi %{{.*}}, %c3072 : index
// LMNORM: arith.remui %{{.*}}, %c16 : index
// LMNORM: function(@photon_gemv_norm_r1_40x16)
// LMNORM: %[[G:.*]] = vector.load %[[W]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// LMNORM: %[[IN:.*]] = vector.load %[[X]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// LMNORM: math.fma
// LMNORM: math.rsqrt
// LMNORM: memref.store %{{.*}}, %[[LOGITS]]
// LMNORM: function(@photon_gemv_norm_r4_40x16)
// LMNORM: function(@photon_gemv_norm_r16_40x16)
// LMNORM: function(@photon_rmsnorm_16)
// LMNORM: math.rsqrt
// LMNORM: memref.store %{{.*}}, %[[X]][
// LMNORM: function(@photon_mma128x64_40x16)
// LMNORM-LABEL: func.func private @photon_argmax(

// In the stack the projections read the f32 scratch: eight f32 activations
// (two 16-byte halves) per eight bf16 weights.
// CHECK-LABEL: func.func private @photon_stack_model(
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<8xf32>

// The LM head (40 outputs of 16 bf16 weights): 1 to 16 rows and 16-byte
// aligned weights and activations take the GEMV.
// CHECK-LABEL: func.func private @photon_lm_head(
// CHECK-SAME: %[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[LOGITS:.*]]: memref<?xf32>)
// CHECK: memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: arith.remui %{{.*}}, %c16
// CHECK: memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: %[[ALIGNED:.*]] = arith.andi
// CHECK: %[[SOME:.*]] = arith.cmpi uge, %[[N]], %c1
// CHECK: %[[FEW:.*]] = arith.cmpi ule, %[[N]], %c16
// CHECK: %[[ROWS:.*]] = arith.andi %[[SOME]], %[[FEW]]
// CHECK: %[[USE:.*]] = arith.andi %[[ROWS]], %[[ALIGNED]]
// CHECK: scf.if %[[USE]]
// Batch 1: one accumulator; ceil(40 / 4) = 10 blocks of 4 warps.
// CHECK: %[[ONE:.*]] = arith.cmpi ule, %[[N]], %c1
// CHECK: scf.if %[[ONE]]
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c10, {{.*}}) threads({{.*}}) in ({{.*}} = %c128,
// CHECK: %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// CHECK: %[[J:.*]] = arith.addi
// CHECK: arith.cmpi ult, %[[J]], %c40
// CHECK: scf.for {{.*}} -> (f32) {
// Two 8-wide chunks per row of 16: lanes past them read chunk 0, as zeros.
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c2
// CHECK: %[[C:.*]] = arith.select %[[IN]], %{{.*}}, %c0
// CHECK: %[[WV:.*]] = vector.load %[[W]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK: arith.extf %[[WV]] : vector<8xbf16> to vector<8xf32>
// CHECK: arith.select %[[IN]], %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: vector.load %[[X]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK-COUNT-8: math.fma
// CHECK: scf.yield
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: arith.cmpi eq, %[[LANE]], %c0
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// Up to 4 rows, then up to 8, then up to 16: one accumulator per row, W
// read once.
// CHECK: arith.cmpi ule, %[[N]], %c4
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32) {
// CHECK-COUNT-4: vector.load %[[X]]
// CHECK: arith.cmpi ule, %[[N]], %c8
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-8: vector.load %[[X]]
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-16: vector.load %[[X]]
// CHECK-COUNT-16: gpu.shuffle  xor %{{.*}}, %c16_i32
// Otherwise: the tensor-core or warp-per-output kernels.
// CHECK: } else {
// CHECK: arith.cmpi uge, %[[N]], %c16
// CHECK: nvvm.mma.sync

// MAX4-LABEL: func.func private @photon_lm_head(
// MAX4: arith.cmpi ule, %{{.*}}, %c4
// MAX4: arith.cmpi ule, %{{.*}}, %c1
// MAX4: scf.for {{.*}} -> (f32) {
// MAX4: scf.for {{.*}} -> (f32, f32, f32, f32) {
// MAX4-NOT: -> (f32, f32, f32, f32, f32
// MAX4: } else {
// MAX4: nvvm.mma.sync

// programmatic-launch: the GEMV issues its weight loads, then waits for the
// previous grid before it reads activations; its launch says so.
// PDL-LABEL: func.func private @photon_lm_head(
// PDL: gpu.launch
// PDL: scf.for
// PDL: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// PDL-NEXT: arith.extf
// PDL: arith.select
// PDL-NEXT: nvvm.griddepcontrol wait
// PDL-NEXT: nvvm.griddepcontrol launch_dependents
// PDL-NEXT: arith.addi
// PDL-NEXT: vector.load
// PDL: } {photon.grid_wait_placed}

// gemv-early-trigger: the successor may be scheduled from the GEMV's start,
// before its weight loads; the wait after them no longer triggers it.
// EARLY-LABEL: func.func private @photon_lm_head(
// EARLY: gpu.launch
// EARLY-NEXT: nvvm.griddepcontrol launch_dependents
// EARLY: scf.for
// EARLY: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// EARLY: arith.select
// EARLY-NEXT: nvvm.griddepcontrol wait
// EARLY-NOT: nvvm.griddepcontrol
// EARLY: } {photon.grid_wait_placed}

// No 16-byte weight loads (the tensor-core GEMM's vector loads of an f32
// input are all it keeps; split attention, off here, loads K/V vectors).
// OFF-NOT: vector.load {{.*}} : memref<?xbf16>

// NEGATIVE: gemv-max-rows must not be negative, got -1

// -----

// Over several rows a warp computes several outputs, so that each activation
// vector it loads serves all of them (multi-row GEMVs were bound by the
// activation reads): 2048 outputs at 4 rows are 4 per warp (512 warps, 128
// blocks), whose rows 4w..4w+3 are read together, the last warp's clamped to
// the matrix (2047) and its stores to j < 2048. Batch 1 keeps a warp per
// output (512 blocks).
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 2048, d_model = 16, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 32, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<2048x16xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<16xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<16x16xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<8x16xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<8x16xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<16x16xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<16xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<32x16xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<32x16xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<16x32xbf16>
  photon.param @model.norm.weight : tensor<16xbf16>
  photon.param @lm_head.weight : tensor<2048x16xbf16>
}

// CHECK-LABEL: func.func private @photon_lm_head(
// CHECK-SAME: %[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[LOGITS:.*]]: memref<?xf32>)
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c512, {{.*}}) {{.*}} function(@photon_gemv_r1_2048x16)
// CHECK: scf.for {{.*}} -> (f32) {
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c128, {{.*}}) {{.*}} function(@photon_gemv_r4_2048x16)
// CHECK: %[[WARP:.*]] = arith.addi
// CHECK: %[[J0:.*]] = arith.muli %[[WARP]], %c4 : index
// CHECK: arith.cmpi ult, %[[WARP]], %c512
// CHECK: %[[R0:.*]] = arith.minui %{{.*}}, %c2047 : index
// CHECK: %[[J3:.*]] = arith.addi %[[J0]], %c3 : index
// CHECK-NEXT: %[[R3:.*]] = arith.minui %[[J3]], %c2047 : index
// 4 outputs x 4 rows: 16 accumulators; the 4 weight vectors, then each row's
// activations once for the 4 of them.
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-4: vector.load %[[W]]
// CHECK-NOT: vector.load %[[W]]
// CHECK: vector.load %[[X]]
// CHECK-COUNT-32: math.fma
// CHECK-NOT: math.fma
// CHECK: vector.load %[[X]]
// CHECK: scf.yield
// CHECK: %[[STORE:.*]] = arith.cmpi ult, %[[J3]], %c2048 : index
// CHECK: memref.store %{{.*}}, %[[LOGITS]]

