// RUN: photon-opt %s -split-input-file | photon-opt -split-input-file | FileCheck %s
// Round trip of every photon op, type and attribute.

// A two-level PHOTON model: the forward graph and both generation programs.
// Types print through short aliases.
// CHECK-DAG: !kv1 = !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
// CHECK-DAG: !prefix2 = !photon.prefix<level = 2, count = 2, width = 8>
// CHECK-DAG: !stream0_4 = !photon.stream<level = 0, width = 4, span = 1>
// CHECK-DAG: !stream2_8 = !photon.stream<level = 2, width = 8, span = 4>
// CHECK-LABEL: photon.model @photon_l2
// CHECK-SAME: config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 1.000000e+04, rms_norm_eps = 1.000000e-05>
photon.model @photon_l2 attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // CHECK: photon.graph @forward
  photon.graph @forward {
  // CHECK: ^bb0(%[[T:.*]]: !photon.tokens):
  ^bb0(%t: !photon.tokens):
    // CHECK: %[[X0:.*]] = photon.embed %[[T]] table @enc_embed.weight : !stream0_4
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 4, span = 1>
    // CHECK: %[[A1:.*]] = photon.chunk %[[X0]] level 1 : !stream0_4 -> !stream1_8
    %a1 = photon.chunk %x0 level 1 : !photon.stream<level = 0, width = 4, span = 1> -> !photon.stream<level = 1, width = 8, span = 2>
    // CHECK: %[[X1:.*]] = photon.encoder %[[A1]] level 1 : !stream1_8
    %x1 = photon.encoder %a1 level 1 : !photon.stream<level = 1, width = 8, span = 2>
    %a2 = photon.chunk %x1 level 2 : !photon.stream<level = 1, width = 8, span = 2> -> !photon.stream<level = 2, width = 8, span = 4>
    %x2 = photon.encoder %a2 level 2 : !photon.stream<level = 2, width = 8, span = 4>
    // CHECK: %[[S2:.*]] = photon.shift %{{.*}} level 2 : !stream2_8
    %s2 = photon.shift %x2 level 2 : !photon.stream<level = 2, width = 8, span = 4>
    // CHECK: %[[U2:.*]] = photon.converter %[[S2]] level 2 : !stream2_8 -> !prefix2
    %u2 = photon.converter %s2 level 2 : !photon.stream<level = 2, width = 8, span = 4> -> !photon.prefix<level = 2, count = 2, width = 8>
    // CHECK: %[[XH1:.*]] = photon.local_decoder %[[U2]] level 2 : !prefix2 -> !stream1_8
    %xh1 = photon.local_decoder %u2 level 2 : !photon.prefix<level = 2, count = 2, width = 8> -> !photon.stream<level = 1, width = 8, span = 2>
    %s1 = photon.shift %xh1 level 1 : !photon.stream<level = 1, width = 8, span = 2>
    %u1 = photon.converter %s1 level 1 : !photon.stream<level = 1, width = 8, span = 2> -> !photon.prefix<level = 1, count = 1, width = 8>
    // CHECK: %[[E:.*]] = photon.embed %[[T]] table @dec_embed.weight : !stream0_8
    %e = photon.embed %t table @dec_embed.weight : !photon.stream<level = 0, width = 8, span = 1>
    // CHECK: %[[XH0:.*]] = photon.local_decoder %{{.*}} inputs(%[[E]] : !stream0_8) level 1
    %xh0 = photon.local_decoder %u1 inputs(%e : !photon.stream<level = 0, width = 8, span = 1>) level 1 : !photon.prefix<level = 1, count = 1, width = 8> -> !photon.stream<level = 0, width = 8, span = 1>
    // CHECK: %[[L:.*]] = photon.lm_head %[[XH0]] : !stream0_8 -> !photon.logits<vocab = 16>
    %l = photon.lm_head %xh0 : !photon.stream<level = 0, width = 8, span = 1> -> !photon.logits<vocab = 16>
    // CHECK: photon.sample %[[L]] : !photon.logits<vocab = 16>
    %next = photon.sample %l : !photon.logits<vocab = 16>
    // CHECK: photon.yield %[[L]] : !photon.logits<vocab = 16>
    photon.yield %l : !photon.logits<vocab = 16>
  }
  // CHECK: photon.program @generate_recgen mode recgen
  photon.program @generate_recgen mode recgen {
  ^bb0(%prompt: !photon.tokens):
    // CHECK: %[[KV1:.*]] = photon.kv_alloc : !kv1
    %kv1 = photon.kv_alloc : !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    // CHECK: %[[TOP:.*]], %[[C:.*]]:2 = photon.prefill %{{.*}} caches(%[[KV1]], %{{.*}}) : (!photon.tokens, !kv1, !kv2) -> (!stream2_8, !kv1, !kv2)
    %top, %c:2 = photon.prefill %prompt caches(%kv1, %kv2) : (!photon.tokens, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
    // CHECK: %[[OUT:.*]] = photon.decode_loop(%[[X:.*]] = %[[TOP]], %[[K:.*]] = %[[C]]#1) : !stream2_8, !kv2 {
    %out = photon.decode_loop(%x = %top, %k = %c#1) : !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4> {
      // CHECK: photon.recgen_step %[[X]] cache(%[[K]])
      %tok, %x2, %k2 = photon.recgen_step %x cache(%k) : !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
      photon.yield %tok, %x2, %k2 : !photon.tokens, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    }
    // CHECK: photon.yield %[[OUT]] : !photon.tokens
    photon.yield %out : !photon.tokens
  }
  // RecGen with its latent chain a meta-context ahead (photon-pipeline-latents):
  // the loop carries the conditions of the meta-context it decodes.
  // CHECK: photon.program @generate_recgen_ahead mode recgen
  photon.program @generate_recgen_ahead mode recgen {
  ^bb0(%prompt: !photon.tokens):
    %kv1 = photon.kv_alloc : !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    %top, %c:2 = photon.prefill %prompt caches(%kv1, %kv2) : (!photon.tokens, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
    // CHECK: %[[COND0:.*]], %[[TOP1:.*]], %[[C1:.*]] = photon.recgen_latents %{{.*}} cache(%{{.*}}#1) : (!stream2_8, !kv2) -> (!stream1_8, !stream2_8, !kv2)
    %cond0, %top1, %c1 = photon.recgen_latents %top cache(%c#1) : (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
    // CHECK: photon.decode_loop(%[[COND:.*]] = %[[COND0]], %[[X:.*]] = %[[TOP1]], %[[K:.*]] = %[[C1]]) : !stream1_8, !stream2_8, !kv2 {
    %out = photon.decode_loop(%cond = %cond0, %x = %top1, %k = %c1) : !photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4> {
      // CHECK-NEXT: %[[TOK:.*]] = photon.decode_tokens %[[COND]] {lockstep} : !stream1_8
      %tok = photon.decode_tokens %cond {lockstep} : !photon.stream<level = 1, width = 8, span = 2>
      // CHECK-NEXT: %[[COND2:.*]], %[[X2:.*]], %[[K2:.*]] = photon.recgen_latents %[[X]] cache(%[[K]]) : (!stream2_8, !kv2) -> (!stream1_8, !stream2_8, !kv2)
      %cond2, %x2, %k2 = photon.recgen_latents %x cache(%k) : (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
      // CHECK-NEXT: photon.yield %[[TOK]], %[[COND2]], %[[X2]], %[[K2]] : !photon.tokens, !stream1_8, !stream2_8, !kv2
      photon.yield %tok, %cond2, %x2, %k2 : !photon.tokens, !photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
  // CHECK: photon.program @generate_hiergen mode hiergen
  photon.program @generate_hiergen mode hiergen {
  ^bb0(%prompt: !photon.tokens):
    %kv1 = photon.kv_alloc : !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    %top, %c:2 = photon.prefill %prompt caches(%kv1, %kv2) : (!photon.tokens, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
    %out = photon.decode_loop(%x = %top, %k1 = %c#0, %k2 = %c#1) : !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4> {
      // CHECK: photon.hiergen_step %{{.*}} caches(%{{.*}}, %{{.*}})
      %tok, %x2, %n:2 = photon.hiergen_step %x caches(%k1, %k2) : !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
      photon.yield %tok, %x2, %n#0, %n#1 : !photon.tokens, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// A vanilla model that declares its weights, and an encoder with a KV cache.
// CHECK-LABEL: photon.model @vanilla
// CHECK: photon.param @model.embed_tokens.weight : tensor<16x8xbf16>
// CHECK: photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xbf16>
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>} {
  photon.param @"model.embed_tokens.weight" : tensor<16x8xbf16>
  photon.param @"model.layers.0.self_attn.q_proj.weight" : tensor<8x8xbf16>
  photon.param @"model.layers.0.self_attn.k_proj.weight" : tensor<4x8xbf16>
  photon.param @"model.layers.0.self_attn.v_proj.weight" : tensor<4x8xbf16>
  photon.param @"model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16>
  photon.param @"model.layers.0.mlp.gate_proj.weight" : tensor<16x8xbf16>
  photon.param @"model.layers.0.mlp.up_proj.weight" : tensor<16x8xbf16>
  photon.param @"model.layers.0.mlp.down_proj.weight" : tensor<8x16xbf16>
  photon.param @"model.layers.0.input_layernorm.weight" : tensor<8xbf16>
  photon.param @"model.layers.0.post_attention_layernorm.weight" : tensor<8xbf16>
  photon.param @"model.norm.weight" : tensor<8xbf16>
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x = photon.embed %t table @model.embed_tokens.weight : !photon.stream<level = 0, width = 8, span = 1>
    %kv = photon.kv_alloc : !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>
    // CHECK: %{{.*}}, %{{.*}} = photon.encoder %{{.*}} level 0 cache(%{{.*}} : !kv0) : !stream0_8
    %h, %kv2 = photon.encoder %x level 0 cache(%kv : !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>) : !photon.stream<level = 0, width = 8, span = 1>
    %l = photon.lm_head %h : !photon.stream<level = 0, width = 8, span = 1> -> !photon.logits<vocab = 16>
    photon.yield %l : !photon.logits<vocab = 16>
  }
}

// -----

// A planned model: the memory plan and each weight's offset in its arena.
// CHECK-LABEL: photon.model @planned
// CHECK-SAME: memory_plan = #photon.memory_plan<activation_type = bf16, weight_elements = 904, weight_bytes = 1808, fingerprint = 7, kv_bytes_per_item = [16], coarse_state_bytes = 16>
// CHECK-NEXT: photon.param @model.embed_tokens.weight : tensor<16x8xbf16> offset 0
// CHECK-NEXT: photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xbf16> offset 128
// CHECK: photon.param @model.norm.weight : tensor<8xbf16> offset 896
photon.model @planned attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>, memory_plan = #photon.memory_plan<activation_type = bf16, weight_elements = 904, weight_bytes = 1808, fingerprint = 7, kv_bytes_per_item = [16], coarse_state_bytes = 16>} {
  photon.param @"model.embed_tokens.weight" : tensor<16x8xbf16> offset 0
  photon.param @"model.layers.0.self_attn.q_proj.weight" : tensor<8x8xbf16> offset 128
  photon.param @"model.layers.0.self_attn.k_proj.weight" : tensor<4x8xbf16> offset 192
  photon.param @"model.layers.0.self_attn.v_proj.weight" : tensor<4x8xbf16> offset 256
  photon.param @"model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16> offset 320
  photon.param @"model.layers.0.mlp.gate_proj.weight" : tensor<16x8xbf16> offset 384
  photon.param @"model.layers.0.mlp.up_proj.weight" : tensor<16x8xbf16> offset 512
  photon.param @"model.layers.0.mlp.down_proj.weight" : tensor<8x16xbf16> offset 640
  photon.param @"model.layers.0.input_layernorm.weight" : tensor<8xbf16> offset 768
  photon.param @"model.layers.0.post_attention_layernorm.weight" : tensor<8xbf16> offset 832
  photon.param @"model.norm.weight" : tensor<8xbf16> offset 896
}
