// RUN: photon-opt %s -split-input-file -verify-diagnostics
// Malformed photon IR: located parse errors, never a crash.

// expected-error @+1 {{struct is missing required parameter: ffn_dim}}
photon.model @m attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {}

// -----

// expected-error @+1 {{duplicate or unknown struct parameter name: n_layers}}
photon.model @m attributes {config = #photon.config<model_type = vanilla, n_layers = 3>} {}

// -----

// expected-error @+2 {{expected ::mlir::photon::Architecture to be one of: vanilla, block, photon}}
// expected-error @+1 {{failed to parse Photon_ConfigAttr parameter 'model_type'}}
photon.model @m attributes {config = #photon.config<model_type = llama, vocab_size = 16>} {}

// -----

// expected-error @+1 {{expected ','}}
func.func private @f(!photon.stream<level = 1, width = 8>)

// -----

// expected-error @+1 {{custom op 'photon.frobnicate' is unknown}}
photon.frobnicate
