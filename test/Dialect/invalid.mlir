// RUN: photon-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect
// Every photon verifier: each case is rejected with a diagnostic naming the field.

// Heads must divide d_model.
// expected-error @+1 {{invalid config: 'n_heads' d_model (8) is not divisible by n_heads (3)}}
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 3, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// head_dim must be even (rotate-half RoPE).
// expected-error @+1 {{invalid config: 'n_heads' head_dim = d_model / n_heads = 1 must be even}}
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 8, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// GQA groups must divide the heads.
// expected-error @+1 {{invalid config: 'n_kv_heads' n_heads (2) is not divisible by n_kv_heads (3)}}
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 3, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// A concat chunker needs C1 * D0 = D.
// expected-error @+1 {{invalid config: 'level1_chunker' 'concat' needs chunk_sizes[0] * d_embed = d_model, but 4 * 3 != 8}}
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 3, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// Per-level lists must all have L entries.
// expected-error @+1 {{invalid config: 'prefix_lengths' has 1 entries but chunk_sizes has 2}}
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// model_type must agree with L.
// expected-error @+1 {{invalid config: 'model_type' 'photon' needs at least two levels, but chunk_sizes has 1 entries}}
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// eps must be positive.
// expected-error @+1 {{invalid config: 'rms_norm_eps' must be positive}}
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 0.0>} {}

// -----

// Sizes must be positive.
// expected-error @+1 {{invalid config: 'chunk_sizes' entry 0 must be in [1, 16777216], got -4}}
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [-4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// Vanilla needs its layer count.
// expected-error @+1 {{invalid config: 'layers' must be positive, got 0}}
photon.model @m attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {}

// -----

// A stream's width must be positive.
// expected-error @+1 {{stream width must be positive, got 0}}
func.func private @f(!photon.stream<level = 1, width = 0, span = 4>)

// -----

// A level-0 stream has span 1.
// expected-error @+1 {{a level-0 stream has span 1, got 4}}
func.func private @f(!photon.stream<level = 0, width = 8, span = 4>)

// -----

// Unknown weight names are rejected.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // expected-error @+1 {{'photon.param' op 'encoder.2.norm.weight' is not a weight of this model}}
  photon.param @"encoder.2.norm.weight" : tensor<8xf32>
}

// -----

// Weight shapes must match the config.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // expected-error @+1 {{'photon.param' op weight 'lm_head.weight' has shape [8, 16] but the config implies [16, 8]}}
  photon.param @"lm_head.weight" : tensor<8x16xf32>
}

// -----

// Weights are f32, bf16 or f16.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // expected-error @+1 {{'photon.param' op weight 'lm_head.weight' must have f32, bf16 or f16 elements, got 'i32'}}
  photon.param @"lm_head.weight" : tensor<16x8xi32>
}

// -----

// A model that declares weights must declare them all.
// expected-error @+1 {{'photon.model' op declares weights but not 'enc_embed.weight', which the config requires}}
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.param @"lm_head.weight" : tensor<16x8xf32>
}

// -----

// Embedding tables are those of the architecture.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    // expected-error @+1 {{'photon.embed' op 'model.embed_tokens.weight' is not an embedding table of a block model}}
    %x0 = photon.embed %t table @model.embed_tokens.weight : !photon.stream<level = 0, width = 8, span = 1>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// The embedding width comes from the table.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    // expected-error @+1 {{'photon.embed' op expects result of type '!photon.stream<level = 0, width = 2, span = 1>' (from the model config), got '!photon.stream<level = 0, width = 8, span = 1>'}}
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 8, span = 1>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// Chunk levels must exist.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
    // expected-error @+1 {{'photon.chunk' op level 2 does not exist: the block model has 1 level(s) (config field 'chunk_sizes')}}
    %a = photon.chunk %x0 level 2 : !photon.stream<level = 0, width = 2, span = 1> -> !photon.stream<level = 1, width = 8, span = 4>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// Chunk products must match stream spans.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
    // expected-error @+1 {{'photon.chunk' op expects result of type '!photon.stream<level = 1, width = 8, span = 4>' (from the model config), got '!photon.stream<level = 1, width = 8, span = 2>'}}
    %a = photon.chunk %x0 level 1 : !photon.stream<level = 0, width = 2, span = 1> -> !photon.stream<level = 1, width = 8, span = 2>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// Encoder caches must match the stack.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
    %a = photon.chunk %x0 level 1 : !photon.stream<level = 0, width = 2, span = 1> -> !photon.stream<level = 1, width = 8, span = 4>
    %kv = "test.source"() : () -> !photon.kv_cache<level = 1, layers = 2, kv_heads = 1, head_dim = 4>
    // expected-error @+1 {{'photon.encoder' op expects cache of type '!photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>' (from the model config), got '!photon.kv_cache<level = 1, layers = 2, kv_heads = 1, head_dim = 4>'}}
    %x1, %kv2 = photon.encoder %a level 1 cache(%kv : !photon.kv_cache<level = 1, layers = 2, kv_heads = 1, head_dim = 4>) : !photon.stream<level = 1, width = 8, span = 4>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// Converters make R_l prefix vectors.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
    %a = photon.chunk %x0 level 1 : !photon.stream<level = 0, width = 2, span = 1> -> !photon.stream<level = 1, width = 8, span = 4>
    // expected-error @+1 {{'photon.converter' op expects result of type '!photon.prefix<level = 1, count = 1, width = 8>' (from the model config), got '!photon.prefix<level = 1, count = 2, width = 8>'}}
    %u = photon.converter %a level 1 : !photon.stream<level = 1, width = 8, span = 4> -> !photon.prefix<level = 1, count = 2, width = 8>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// The token decoder needs its inputs.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
    %a = photon.chunk %x0 level 1 : !photon.stream<level = 0, width = 2, span = 1> -> !photon.stream<level = 1, width = 8, span = 4>
    %u = photon.converter %a level 1 : !photon.stream<level = 1, width = 8, span = 4> -> !photon.prefix<level = 1, count = 1, width = 8>
    // expected-error @+1 {{'photon.local_decoder' op at level 1 needs 'inputs'}}
    %y = photon.local_decoder %u level 1 : !photon.prefix<level = 1, count = 1, width = 8> -> !photon.stream<level = 0, width = 8, span = 1>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// Latent decoders roll out their own outputs.
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x2 = photon.embed %t table @dec_embed.weight : !photon.stream<level = 0, width = 8, span = 1>
    %s = "test.source"() : () -> !photon.stream<level = 2, width = 8, span = 4>
    %u = photon.converter %s level 2 : !photon.stream<level = 2, width = 8, span = 4> -> !photon.prefix<level = 2, count = 2, width = 8>
    // expected-error @+1 {{'photon.local_decoder' op at level 2 takes no 'inputs'}}
    %y = photon.local_decoder %u inputs(%x2 : !photon.stream<level = 0, width = 8, span = 1>) level 2 : !photon.prefix<level = 2, count = 2, width = 8> -> !photon.stream<level = 1, width = 8, span = 2>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// The LM head produces the model's vocabulary.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
    %a = photon.chunk %x0 level 1 : !photon.stream<level = 0, width = 2, span = 1> -> !photon.stream<level = 1, width = 8, span = 4>
    %x1 = photon.encoder %a level 1 : !photon.stream<level = 1, width = 8, span = 4>
    %s = photon.shift %x1 level 1 : !photon.stream<level = 1, width = 8, span = 4>
    %u = photon.converter %s level 1 : !photon.stream<level = 1, width = 8, span = 4> -> !photon.prefix<level = 1, count = 1, width = 8>
    %e = photon.embed %t table @dec_embed.weight : !photon.stream<level = 0, width = 8, span = 1>
    %y = photon.local_decoder %u inputs(%e : !photon.stream<level = 0, width = 8, span = 1>) level 1 : !photon.prefix<level = 1, count = 1, width = 8> -> !photon.stream<level = 0, width = 8, span = 1>
    // expected-error @+1 {{'photon.lm_head' op expects result of type '!photon.logits<vocab = 16>' (from the model config), got '!photon.logits<vocab = 32>'}}
    %l = photon.lm_head %y : !photon.stream<level = 0, width = 8, span = 1> -> !photon.logits<vocab = 32>
    %l0 = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l0 : !photon.logits<vocab = 16>
  }
}

// -----

// Every level needs its encoder and local decoder.
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // expected-error @+1 {{'photon.graph' op is missing the level-1 encoder}}
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %l = "test.source"() : () -> !photon.logits<vocab = 16>
    photon.yield %l : !photon.logits<vocab = 16>
  }
}

// -----

// A graph yields logits.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // expected-error @+1 {{'photon.graph' op must yield exactly one !photon.logits value}}
  photon.graph @forward {
  ^bb0(%t: !photon.tokens):
    %x0 = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
    %a = photon.chunk %x0 level 1 : !photon.stream<level = 0, width = 2, span = 1> -> !photon.stream<level = 1, width = 8, span = 4>
    %x1 = photon.encoder %a level 1 : !photon.stream<level = 1, width = 8, span = 4>
    %s = photon.shift %x1 level 1 : !photon.stream<level = 1, width = 8, span = 4>
    %u = photon.converter %s level 1 : !photon.stream<level = 1, width = 8, span = 4> -> !photon.prefix<level = 1, count = 1, width = 8>
    %e = photon.embed %t table @dec_embed.weight : !photon.stream<level = 0, width = 8, span = 1>
    %y = photon.local_decoder %u inputs(%e : !photon.stream<level = 0, width = 8, span = 1>) level 1 : !photon.prefix<level = 1, count = 1, width = 8> -> !photon.stream<level = 0, width = 8, span = 1>
    photon.yield %y : !photon.stream<level = 0, width = 8, span = 1>
  }
}

// -----

// Graph ops live in a model.
func.func @f(%t: !photon.tokens) {
  // expected-error @+1 {{'photon.embed' op must be nested in a 'photon.model'}}
  %x = photon.embed %t table @enc_embed.weight : !photon.stream<level = 0, width = 2, span = 1>
  return
}

// -----

// RecGen needs at least two levels.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // expected-error @+1 {{'photon.program' op mode 'recgen' needs at least 2 levels, but the block model has 1}}
  photon.program @g mode recgen {
  ^bb0(%p: !photon.tokens):
    photon.yield %p : !photon.tokens
  }
}

// -----

// A program has a decode loop.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  // expected-error @+1 {{'photon.program' op has no 'photon.decode_loop'}}
  photon.program @g mode hiergen {
  ^bb0(%p: !photon.tokens):
    photon.yield %p : !photon.tokens
  }
}

// -----

// Prefill takes one cache per encoder level.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode hiergen {
  ^bb0(%p: !photon.tokens):
    // expected-error @+1 {{'photon.prefill' op expects 1 KV cache(s), one per encoder level, got 0}}
    %top = photon.prefill %p caches() : (!photon.tokens) -> !photon.stream<level = 1, width = 8, span = 4>
    photon.yield %p : !photon.tokens
  }
}

// -----

// A KV cache matches its encoder.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode hiergen {
  ^bb0(%p: !photon.tokens):
    // expected-error @+1 {{'photon.kv_alloc' op expects result of type '!photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>' (from the model config), got '!photon.kv_cache<level = 1, layers = 1, kv_heads = 2, head_dim = 4>'}}
    %kv = photon.kv_alloc : !photon.kv_cache<level = 1, layers = 1, kv_heads = 2, head_dim = 4>
    photon.yield %p : !photon.tokens
  }
}

// -----

// A RecGen step needs two levels.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode hiergen {
  ^bb0(%p: !photon.tokens):
    %kv = photon.kv_alloc : !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
    %top, %c = photon.prefill %p caches(%kv) : (!photon.tokens, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 1, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>)
    %out = photon.decode_loop(%x = %top, %k = %c) : !photon.stream<level = 1, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4> {
      // expected-error @+1 {{'photon.recgen_step' op needs at least 2 levels, but the block model has 1}}
      %tok, %x2, %k2 = photon.recgen_step %x cache(%k) : !photon.stream<level = 1, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
      photon.yield %tok, %x2, %k2 : !photon.tokens, !photon.stream<level = 1, width = 8, span = 4>, !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// A loop's step matches the program's mode.
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode recgen {
  ^bb0(%p: !photon.tokens):
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    // expected-error @+1 {{'photon.decode_loop' op in a 'recgen' program must contain a 'photon.recgen_step'}}
    %out = photon.decode_loop(%k = %kv2) : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4> {
      %tok = "test.source"() : () -> !photon.tokens
      photon.yield %tok, %k : !photon.tokens, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// The latent chain's conditions are level-1 latents of the model's width.
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode recgen {
  ^bb0(%p: !photon.tokens):
    %top = "test.source"() : () -> !photon.stream<level = 2, width = 8, span = 4>
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    // expected-error @+1 {{'photon.recgen_latents' op expects conditions of type '!photon.stream<level = 1, width = 8, span = 2>' (from the model config), got '!photon.stream<level = 2, width = 8, span = 4>'}}
    %c, %t, %k = photon.recgen_latents %top cache(%kv2) : (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 2, width = 8, span = 4>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
    photon.yield %p : !photon.tokens
  }
}

// -----

// Only RecGen runs its latent chain apart from its tokens.
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode hiergen {
  ^bb0(%p: !photon.tokens):
    %cond = "test.source"() : () -> !photon.stream<level = 1, width = 8, span = 2>
    // expected-error @+1 {{'photon.decode_tokens' op must be part of a 'recgen' program}}
    %tok = photon.decode_tokens %cond : !photon.stream<level = 1, width = 8, span = 2>
    photon.yield %tok : !photon.tokens
  }
}

// -----

// A loop that runs the latent chain ahead decodes the conditions it carries.
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode recgen {
  ^bb0(%p: !photon.tokens):
    %top = "test.source"() : () -> !photon.stream<level = 2, width = 8, span = 4>
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    %c0, %t0, %k0 = photon.recgen_latents %top cache(%kv2) : (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
    // expected-error @+1 {{'photon.decode_loop' op running the latent chain ahead must carry the conditions, top and cache of a 'photon.recgen_latents' before it}}
    %out = photon.decode_loop(%c = %c0, %t = %t0, %k = %k0) : !photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4> {
      %c2, %t2, %k2 = photon.recgen_latents %t cache(%k) : (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
      %tok = photon.decode_tokens %c2 : !photon.stream<level = 1, width = 8, span = 2>
      photon.yield %tok, %c2, %t2, %k2 : !photon.tokens, !photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// ... and the latents the loop carries come from before it.
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode recgen {
  ^bb0(%p: !photon.tokens):
    %c0 = "test.source"() : () -> !photon.stream<level = 1, width = 8, span = 2>
    %top = "test.source"() : () -> !photon.stream<level = 2, width = 8, span = 4>
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    // expected-error @+1 {{'photon.decode_loop' op running the latent chain ahead must carry the conditions, top and cache of a 'photon.recgen_latents' before it}}
    %out = photon.decode_loop(%c = %c0, %t = %top, %k = %kv2) : !photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4> {
      %tok = photon.decode_tokens %c : !photon.stream<level = 1, width = 8, span = 2>
      %c2, %t2, %k2 = photon.recgen_latents %t cache(%k) : (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
      photon.yield %tok, %c2, %t2, %k2 : !photon.tokens, !photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// A latent chain in front of a loop that decodes its own latents would be
// lost work (and the state plan would be made for the other schedule).
photon.model @m attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode recgen {
  ^bb0(%p: !photon.tokens):
    %top = "test.source"() : () -> !photon.stream<level = 2, width = 8, span = 4>
    %kv2 = photon.kv_alloc : !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    // expected-error @+1 {{'photon.recgen_latents' op before a loop must start a loop that runs the latent chain ahead}}
    %c0, %t0, %k0 = photon.recgen_latents %top cache(%kv2) : (!photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 1, width = 8, span = 2>, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>)
    %out = photon.decode_loop(%t = %t0, %k = %k0) : !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4> {
      %tok, %t2, %k2 = photon.recgen_step %t cache(%k) : !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
      photon.yield %tok, %t2, %k2 : !photon.tokens, !photon.stream<level = 2, width = 8, span = 4>, !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// A vanilla step is one token: no chunks to decode in lockstep.
photon.model @v attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode hiergen {
  ^bb0(%p: !photon.tokens):
    %kv = photon.kv_alloc : !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>
    %top, %c = photon.prefill %p caches(%kv) : (!photon.tokens, !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>) -> (!photon.stream<level = 0, width = 8, span = 1>, !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>)
    %out = photon.decode_loop(%t = %top, %k = %c) : !photon.stream<level = 0, width = 8, span = 1>, !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4> {
      // expected-error @+1 {{'photon.hiergen_step' op has no token chunks to decode in lockstep: the vanilla model has no levels}}
      %tok, %t2, %k2 = photon.hiergen_step %t caches(%k) {lockstep} : !photon.stream<level = 0, width = 8, span = 1>, !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>
      photon.yield %tok, %t2, %k2 : !photon.tokens, !photon.stream<level = 0, width = 8, span = 1>, !photon.kv_cache<level = 0, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// A loop yields tokens then its carried values.
photon.model @m attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @g mode hiergen {
  ^bb0(%p: !photon.tokens):
    %kv = photon.kv_alloc : !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
    // expected-error @+1 {{'photon.decode_loop' op body must yield the step's tokens followed by the next loop-carried values}}
    %out = photon.decode_loop(%k = %kv) : !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4> {
      photon.yield %k : !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// With a memory plan, two weights must not share arena elements.
photon.model @m attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>, memory_plan = #photon.memory_plan<activation_type = f32, weight_elements = 904, weight_bytes = 3616, fingerprint = 1, kv_bytes_per_item = [32], coarse_state_bytes = 32>} {
  photon.param @model.embed_tokens.weight : tensor<16x8xf32> offset 0
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xf32> offset 128
  // expected-error @+1 {{'photon.param' op at offset 160 overlaps 'model.layers.0.self_attn.q_proj.weight' (offset 128, 64 elements)}}
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xf32> offset 160
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<4x8xf32> offset 256
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<8x8xf32> offset 320
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<16x8xf32> offset 384
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<16x8xf32> offset 512
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<8x16xf32> offset 640
  photon.param @model.layers.0.input_layernorm.weight : tensor<8xf32> offset 768
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<8xf32> offset 832
  photon.param @model.norm.weight : tensor<8xf32> offset 896
}

// -----

// Every weight lies inside the arena.
photon.model @m attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>, memory_plan = #photon.memory_plan<activation_type = f32, weight_elements = 904, weight_bytes = 3616, fingerprint = 1, kv_bytes_per_item = [32], coarse_state_bytes = 32>} {
  photon.param @model.embed_tokens.weight : tensor<16x8xf32> offset 0
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xf32> offset 128
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xf32> offset 192
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<4x8xf32> offset 256
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<8x8xf32> offset 320
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<16x8xf32> offset 384
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<16x8xf32> offset 512
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<8x16xf32> offset 640
  photon.param @model.layers.0.input_layernorm.weight : tensor<8xf32> offset 768
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<8xf32> offset 832
  // expected-error @+1 {{'photon.param' op ends at element 908, past the arena's 904 (memory_plan weight_elements)}}
  photon.param @model.norm.weight : tensor<8xf32> offset 900
}

// -----

// A planned model places every weight.
photon.model @m attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>, memory_plan = #photon.memory_plan<activation_type = f32, weight_elements = 904, weight_bytes = 3616, fingerprint = 1, kv_bytes_per_item = [32], coarse_state_bytes = 32>} {
  photon.param @model.embed_tokens.weight : tensor<16x8xf32> offset 0
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xf32> offset 128
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xf32> offset 192
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<4x8xf32> offset 256
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<8x8xf32> offset 320
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<16x8xf32> offset 384
  // expected-error @+1 {{'photon.param' op has no offset in the model's memory_plan}}
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<16x8xf32>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<8x16xf32> offset 640
  photon.param @model.layers.0.input_layernorm.weight : tensor<8xf32> offset 768
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<8xf32> offset 832
  photon.param @model.norm.weight : tensor<8xf32> offset 896
}

// -----

// Without a memory plan no weight is placed.
photon.model @m attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>} {
  photon.param @model.embed_tokens.weight : tensor<16x8xf32>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xf32>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xf32>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<4x8xf32>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<8x8xf32>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<16x8xf32>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<16x8xf32>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<8x16xf32>
  photon.param @model.layers.0.input_layernorm.weight : tensor<8xf32>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<8xf32>
  // expected-error @+1 {{'photon.param' op has an offset but the model has no memory_plan}}
  photon.param @model.norm.weight : tensor<8xf32> offset 896
}

// -----

// Offsets are element indices: never negative.
photon.model @m attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>, memory_plan = #photon.memory_plan<activation_type = f32, weight_elements = 904, weight_bytes = 3616, fingerprint = 1, kv_bytes_per_item = [32], coarse_state_bytes = 32>} {
  photon.param @model.embed_tokens.weight : tensor<16x8xf32> offset 0
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<8x8xf32> offset 128
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<4x8xf32> offset 192
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<4x8xf32> offset 256
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<8x8xf32> offset 320
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<16x8xf32> offset 384
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<16x8xf32> offset 512
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<8x16xf32> offset 640
  photon.param @model.layers.0.input_layernorm.weight : tensor<8xf32> offset 768
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<8xf32> offset 832
  // expected-error @+1 {{'photon.param' op attribute 'offset' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  photon.param @model.norm.weight : tensor<8xf32> offset -64
}
