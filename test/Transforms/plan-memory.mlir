// RUN: photon-opt %s -split-input-file -photon-plan-memory | FileCheck %s
// RUN: photon-opt %s -split-input-file -photon-pipeline-latents -photon-plan-memory=report=1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json --weight-type=bf16 | photon-opt -photon-pipeline-latents -photon-plan-memory=activation-type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not photon-opt %s -split-input-file -photon-plan-memory=activation-type=f8 2>&1 | FileCheck %s --check-prefix=BADTYPE
// RUN: photon-opt %s -split-input-file -photon-plan-memory=report=1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=INORDER

// Declared bf16 weights keep their type; bf16 activations halve the caches:
// 2 (K, V) x 2 layers x 32 (2 KV heads x 16) x 2 bytes = 256 per item.
// BF16: memory_plan = #photon.memory_plan<activation_type = bf16, weight_elements = {{[0-9]+}}, weight_bytes = {{[0-9]+}}, fingerprint = {{[0-9]+}}, kv_bytes_per_item = [256, 256], coarse_state_bytes = 128>
// BF16: photon.param @enc_embed.weight : tensor<256x16xbf16> offset 0
// Each program gets its state plan. HierGen keeps both encoder caches: per
// meta-context of 16 tokens, 4 level-1 items x 2 layers x 32 x 2 bytes = 512
// bytes of K (and of V) at level 1 and 128 at level 2.
// BF16: photon.program @generate_hiergen mode hiergen attributes {state_plan = #photon.state_plan<tokens_per_step = 16, prefill_tile = 16, decode_tile = 1024, max_rows = 4096, analytic_per_seq = 256, analytic_per_step = 1280, regions = [<name = "positions", per_seq = 8>, <name = "tokens", per_step = 64>, <name = "top", per_seq = 128>, <name = "carries", per_seq = 128>, <name = "enc.1.k", per_step = 512>, <name = "enc.1.v", per_step = 512>, <name = "enc.2.k", per_step = 128>, <name = "enc.2.v", per_step = 128>,
// RecGen keeps only Enc_2 after prefill: Enc_1 is a prefill tile.
// BF16: photon.program @generate_recgen mode recgen attributes {state_plan = #photon.state_plan<tokens_per_step = 16, {{.*}}, analytic_per_seq = 256, analytic_per_step = 256, regions = [{{.*}}<name = "enc.1.k", tile = 16, per_step = 512>, {{.*}}<name = "enc.2.k", per_seq = 128, per_step = 128>
// BADTYPE: for the --activation-type option: Cannot find option named 'f8'!

// Implicit weights are declared (f32) and placed in one arena, each aligned
// to 64 elements, in spec order; the plan records KV and coarse-state bytes.
// CHECK-LABEL: photon.model @vanilla
// CHECK-SAME: memory_plan = #photon.memory_plan<activation_type = f32, weight_elements = 904, weight_bytes = 3616, fingerprint = {{[0-9]+}}, kv_bytes_per_item = [32], coarse_state_bytes = 32>
// CHECK: photon.param @model.embed_tokens.weight : tensor<16x8xf32> offset 0
// CHECK: photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xf32> offset 128
// CHECK: photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xf32> offset 192
// CHECK: photon.param @model.layers.0.input_layernorm.weight : tensor<8xf32> offset 768
// CHECK: photon.param @model.norm.weight : tensor<8xf32> offset 896
// CHECK-NOT: lm_head
// REPORT: memory plan of @vanilla:
// REPORT-NEXT: weights: 904 elements, 3616 bytes
// REPORT-NEXT: level 0 KV cache: 32 bytes per item
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>} {
}

// -----

// CHECK-LABEL: photon.model @photon_l2
// CHECK-SAME: kv_bytes_per_item = [32, 32]
// CHECK: photon.param @enc_embed.weight : tensor<16x4xf32> offset 0
// The report lists every region of a program's state and compares the bytes
// kept per sequence with spec §4's analytic bytes (KV + coarse state).
// REPORT: memory plan of @photon_l2:
// REPORT: level 2 KV cache: 32 bytes per item
// REPORT: program @generate_recgen (4 tokens per step): state regions, bytes
// REPORT-NEXT: region tile fixed per seq fixed/step per seq/step
// REPORT-NEXT: positions 0 0 8 0 0
// REPORT-NEXT: tokens 0 0 0 0 16
// REPORT: enc.1.k 16 0 0 0 32
// The step decodes the next meta-context's latents beside its tokens
// (latent-lookahead): Enc_2 holds one meta-context more, the token
// conditions are kept per sequence twice, the latent chain's stack calls
// have scratch of their own.
// REPORT: enc.2.k 0 0 16 0 16
// REPORT: tok_cond 0 0 64 0 0
// REPORT-NEXT: tok_cond.next 0 0 64 0 0
// REPORT-NEXT: prefix 1024
// REPORT-NEXT: prefix.latent 1024
// REPORT: rows 0 32768 0 0 0
// REPORT-NEXT: semaphores 0
// REPORT-NEXT: stack_scratch 0
// REPORT-NEXT: rows.latent 0 32768 0 0 0
// REPORT-NEXT: semaphores.latent 0
// REPORT-NEXT: stack_scratch.latent 0
// REPORT: per sequence at 2176 tokens: {{[0-9]+}} bytes allocated, 17472 analytic (KV of the kept caches + coarse state), ratio {{1\.[0-9]+}}
// Without it, a step decodes its own latents first: none of that.
// INORDER: program @generate_recgen
// INORDER: enc.2.k 0 0 0 0 16
// INORDER: tok_cond 1024 0 64 0 0
// INORDER-NOT: .latent
// INORDER: per sequence at 2176 tokens
!kv1 = !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
!kv2 = !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
!s2 = !photon.stream<level = 2, width = 8, span = 4>
photon.model @photon_l2 attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @generate_recgen mode recgen {
  ^bb0(%prompt: !photon.tokens):
    %c1 = photon.kv_alloc : !kv1
    %c2 = photon.kv_alloc : !kv2
    %top, %caches:2 = photon.prefill %prompt caches(%c1, %c2) : (!photon.tokens, !kv1, !kv2) -> (!s2, !kv1, !kv2)
    %out = photon.decode_loop(%t = %top, %c = %caches#1) : !s2, !kv2 {
      %tok, %t2, %cn = photon.recgen_step %t cache(%c) : !s2, !kv2
      photon.yield %tok, %t2, %cn : !photon.tokens, !s2, !kv2
    }
    photon.yield %out : !photon.tokens
  }
}
