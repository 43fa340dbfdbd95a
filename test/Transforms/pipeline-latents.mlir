// RUN: photon-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect -photon-pipeline-latents | FileCheck %s
// RUN: photon-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect -photon-pipeline-latents -photon-pipeline-latents | FileCheck %s
// RUN: photon-translate --import-config %examples/tiny-photon-l3.json | photon-opt -photon-pipeline-latents | FileCheck %s --check-prefix=L3
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | not photon-opt -photon-plan-memory -photon-pipeline-latents -convert-photon-to-photon-kernel -convert-photon-kernel-to-scf -convert-photon-programs-to-host 2>&1 | FileCheck %s --check-prefix=STALE

// RecGen's decode loop, software-pipelined by one stage: the first
// meta-context's latent chain moves in front of the loop, and each iteration
// decodes the tokens of the conditions it carries while it runs the next
// meta-context's latent chain. A second run finds nothing to do.
// CHECK-LABEL: photon.program @rec mode recgen
// CHECK: %[[TOP:.*]], %[[C:.*]]:2 = photon.prefill
// CHECK-NEXT: %[[COND0:.*]], %[[TOP1:.*]], %[[C1:.*]] = photon.recgen_latents %[[TOP]] cache(%[[C]]#1) : (!stream2_8, !kv2) -> (!stream1_8, !stream2_8, !kv2)
// CHECK-NEXT: %[[OUT:.*]] = photon.decode_loop(%[[COND:.*]] = %[[COND0]], %[[T:.*]] = %[[TOP1]], %[[K:.*]] = %[[C1]]) : !stream1_8, !stream2_8, !kv2 {
// CHECK-NEXT: %[[TOK:.*]] = photon.decode_tokens %[[COND]] : !stream1_8
// CHECK-NEXT: %[[COND2:.*]], %[[T2:.*]], %[[K2:.*]] = photon.recgen_latents %[[T]] cache(%[[K]]) : (!stream2_8, !kv2) -> (!stream1_8, !stream2_8, !kv2)
// CHECK-NEXT: photon.yield %[[TOK]], %[[COND2]], %[[T2]], %[[K2]] : !photon.tokens, !stream1_8, !stream2_8, !kv2
// CHECK-NEXT: } {note = "kept"}
// CHECK-NEXT: photon.yield %[[OUT]] : !photon.tokens
// CHECK-NOT: photon.recgen_step
// HierGen's latents read its tokens: its loop stays as it is.
// CHECK-LABEL: photon.program @hier mode hiergen
// CHECK: photon.decode_loop
// CHECK-NEXT: photon.hiergen_step
// CHECK-NOT: photon.recgen_latents
// CHECK-NOT: photon.decode_tokens
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
    } {note = "kept"}
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

// A loop that does more than the step is left as it is, with a warning.
// CHECK-LABEL: photon.program @busy mode recgen
// CHECK: photon.decode_loop
// CHECK-NEXT: photon.recgen_step
// CHECK-NEXT: "test.sink"
!kv2 = !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
!s2 = !photon.stream<level = 2, width = 8, span = 4>
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @busy mode recgen {
  ^bb0(%prompt: !photon.tokens):
    %top = "test.source"() : () -> !s2
    %c2 = photon.kv_alloc : !kv2
    // expected-warning @+1 {{photon-pipeline-latents: leaves the loop as it is: its body is not one 'photon.recgen_step' of the values it carries}}
    %out = photon.decode_loop(%t = %top, %c = %c2) : !s2, !kv2 {
      %tok, %t2, %cn = photon.recgen_step %t cache(%c) : !s2, !kv2
      "test.sink"(%tok) : (!photon.tokens) -> ()
      photon.yield %tok, %t2, %cn : !photon.tokens, !s2, !kv2
    }
    photon.yield %out : !photon.tokens
  }
}

// Three levels (C = [2, 2, 2]): the conditions are level-1 latents, one per
// token chunk of 2 tokens; Dec_3 and Dec_2 are both inside recgen_latents.
// L3-DAG: !stream1_64 = !photon.stream<level = 1, width = 64, span = 2>
// L3-DAG: !stream3_64 = !photon.stream<level = 3, width = 64, span = 8>
// L3-LABEL: photon.program @generate_recgen mode recgen
// L3: photon.recgen_latents %{{.*}} cache(%{{.*}}#2) : (!stream3_64, !kv3) -> (!stream1_64, !stream3_64, !kv3)

// A state plan made before the rewrite sizes no scratch for the latent chain
// ahead: the lowering says so rather than write past it.
// STALE: error: 'photon.program' op convert-photon-programs-to-host: the state plan is for the latent chain in its step: run photon-plan-memory after photon-pipeline-latents
