// RUN: photon-opt %s -split-input-file -photon-fuse-token-chunks | FileCheck %s
// RUN: photon-opt %s -split-input-file -photon-fuse-token-chunks -photon-pipeline-latents | FileCheck %s --check-prefix=AHEAD
// RUN: photon-opt %s -split-input-file -photon-pipeline-latents -photon-fuse-token-chunks | FileCheck %s --check-prefix=AHEAD

// Every step decodes its meta-context's token chunks in lockstep, whichever
// pass runs first: photon-pipeline-latents keeps the mark on the
// decode_tokens it splits off.
// CHECK-LABEL: photon.program @rec mode recgen
// CHECK: photon.recgen_step %{{.*}} cache(%{{.*}}) {lockstep} : !stream2_8, !kv2
// CHECK-LABEL: photon.program @hier mode hiergen
// CHECK: photon.hiergen_step %{{.*}} caches(%{{.*}}, %{{.*}}) {lockstep} : !stream2_8, !kv1, !kv2
// AHEAD-LABEL: photon.program @rec mode recgen
// AHEAD: photon.decode_tokens %{{.*}} {lockstep} : !stream1_8
// AHEAD-LABEL: photon.program @hier mode hiergen
// AHEAD: photon.hiergen_step %{{.*}} {lockstep}
!kv1 = !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
!kv2 = !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
!s2 = !photon.stream<level = 2, width = 8, span = 4>
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @rec mode recgen {
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
  photon.program @hier mode hiergen {
  ^bb0(%prompt: !photon.tokens):
    %c1 = photon.kv_alloc : !kv1
    %c2 = photon.kv_alloc : !kv2
    %top, %caches:2 = photon.prefill %prompt caches(%c1, %c2) : (!photon.tokens, !kv1, !kv2) -> (!s2, !kv1, !kv2)
    %out = photon.decode_loop(%t = %top, %a = %caches#0, %b = %caches#1) : !s2, !kv1, !kv2 {
      %tok, %t2, %cn:2 = photon.hiergen_step %t caches(%a, %b) : !s2, !kv1, !kv2
      photon.yield %tok, %t2, %cn#0, %cn#1 : !photon.tokens, !s2, !kv1, !kv2
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// A vanilla step is one token: nothing to fuse.
// CHECK-LABEL: photon.program @gen mode hiergen
// CHECK: photon.hiergen_step
// CHECK-NOT: lockstep
!kv0 = !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>
!s0 = !photon.stream<level = 0, width = 8, span = 1>
photon.model @v attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @gen mode hiergen {
  ^bb0(%prompt: !photon.tokens):
    %c0 = photon.kv_alloc : !kv0
    %top, %cache = photon.prefill %prompt caches(%c0) : (!photon.tokens, !kv0) -> (!s0, !kv0)
    %out = photon.decode_loop(%t = %top, %c = %cache) : !s0, !kv0 {
      %tok, %t2, %cn = photon.hiergen_step %t caches(%c) : !s0, !kv0
      photon.yield %tok, %t2, %cn : !photon.tokens, !s0, !kv0
    }
    photon.yield %out : !photon.tokens
  }
}
