// RUN: photon-opt %s -split-input-file -photon-plan-memory | FileCheck %s
// RUN: photon-opt %s -split-input-file -photon-plan-memory=report=1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json --weight-type=bf16 | photon-opt -photon-plan-memory=activation-type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not photon-opt %s -split-input-file -photon-plan-memory=activation-type=f8 2>&1 | FileCheck %s --check-prefix=BADTYPE

// Declared bf16 weights keep their type; bf16 activations halve the caches:
// 2 (K, V) x 2 layers x 32 (2 KV heads x 16) x 2 bytes = 256 per item.
// BF16: activation_type = "bf16", coarse_state_bytes = 128 : i64, fingerprint = {{[0-9]+}} : i64, kv_bytes_per_item = array<i64: 256, 256>, kv_bytes_per_token_hiergen = 8.000000e+01 : f64, kv_bytes_per_token_recgen = 1.600000e+01 : f64
// BADTYPE: error: photon-plan-memory: activation-type must be f32 or bf16, got 'f8' 
// BF16: photon.param @enc_embed.weight : tensor<256x16xbf16> {photon.offset = 0 : i64}

// Implicit weights are declared (f32) and placed in one arena, each aligned
// to 64 elements, in spec order; the plan records KV and coarse-state bytes.
// CHECK-LABEL: photon.model @vanilla
// CHECK-SAME: photon.memory_plan = {activation_type = "f32", coarse_state_bytes = 32 : i64, fingerprint = {{[0-9]+}} : i64, kv_bytes_per_item = array<i64: 32>, kv_bytes_per_token_hiergen = 3.200000e+01 : f64, kv_bytes_per_token_recgen = 3.200000e+01 : f64, weight_bytes = 3616 : i64, weight_elements = 904 : i64}
// CHECK: photon.param @model.embed_tokens.weight : tensor<16x8xf32> {photon.offset = 0 : i64}
// CHECK: photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xf32> {photon.offset = 128 : i64}
// CHECK: photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xf32> {photon.offset = 192 : i64}
// CHECK: photon.param @model.layers.0.input_layernorm.weight : tensor<8xf32> {photon.offset = 768 : i64}
// CHECK: photon.param @model.norm.weight : tensor<8xf32> {photon.offset = 896 : i64}
// CHECK-NOT: lm_head
// REPORT: memory plan of @vanilla:
// REPORT-NEXT: weights: 904 elements, 3616 bytes
// REPORT-NEXT: level 0 KV cache: 32 bytes per item
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>} {
}

// -----

// HierGen keeps every level's cache: per token of context it holds the
// level-l bytes per item over the item's span, 32/2 + 32/4. RecGen keeps only
// the top level's: 32/4.
// CHECK-LABEL: photon.model @photon_l2
// CHECK-SAME: kv_bytes_per_item = array<i64: 32, 32>
// CHECK-SAME: kv_bytes_per_token_hiergen = 2.400000e+01 : f64
// CHECK-SAME: kv_bytes_per_token_recgen = 8.000000e+00 : f64
// CHECK: photon.param @enc_embed.weight : tensor<16x4xf32> {photon.offset = 0 : i64}
// REPORT: memory plan of @photon_l2:
// REPORT: KV bytes per context token: hiergen 24.0, recgen 8.0
photon.model @photon_l2 attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
}
