// gemv-loads-in-flight: the 16-byte weight loads each lane of a GEMV issues
// before its first product, i.e. the unroll of the K loop. The down
// projection (K = 1024: 4 rounds of 32 lanes x 8 bf16 on CUDA cores, 4 steps
// of 32 per warp on tensor cores) takes one iteration by default (8 loads: all
// 4 rounds of the 1-row kernel, 4 steps x rows g and g + 8 of the 8-row one),
// so the loop folds away; with 2 the 1-row kernel loops twice over 2 loads and
// the tensor-core one (one matrix: the budget counts steps) twice over 2 steps
// (4 loads). Tensor-core blocks of
// 8 warps (gemv-tensor-core-warps=8; 16 would leave each warp 2 steps).
// (gemv-bulk-max-warp-rows=0: the one-row GEMVs load into registers; their bulk
// copies are convert-photon-kernel-to-gpu-gemv-bulk.mlir's.)
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-tensor-core-warps=8' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-loads-in-flight=2 gemv-tensor-core-warps=8' -canonicalize -cse | FileCheck %s --check-prefix=L2
// RUN: not photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-loads-in-flight=0' 2>&1 | FileCheck %s --check-prefix=ZERO

photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 40, d_model = 64, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 1024, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<40x64xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<64xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<64x64xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<32x64xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<32x64xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<64x64xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<64xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<1024x64xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<1024x64xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<64x1024xbf16>
  photon.param @model.norm.weight : tensor<64xbf16>
  photon.param @lm_head.weight : tensor<40x64xbf16>
}

// CHECK: function(@photon_gemv_r1_64x1024)
// CHECK-NOT: gpu.terminator
// CHECK-NOT: scf.for
// CHECK-COUNT-4: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK-NOT: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: gpu.terminator
// CHECK: function(@photon_gemv_mma_r8_64x1024)
// CHECK-NOT: scf.for
// CHECK-COUNT-8: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK-NOT: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: gpu.terminator

// L2: function(@photon_gemv_r1_64x1024)
// L2-NOT: gpu.terminator
// L2: scf.for %{{.*}} = %c0 to %c2 step %c1
// L2-COUNT-2: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// L2-NOT: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// L2: gpu.terminator
// L2: function(@photon_gemv_mma_r8_64x1024)
// L2-NOT: gpu.terminator
// L2: scf.for %{{.*}} = %c0 to %c2 step %c1
// L2-COUNT-4: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// L2-NOT: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// L2: gpu.terminator

// ZERO: gemv-loads-in-flight must be positive, got 0
