// RUN: photon-opt %s -split-input-file -verify-diagnostics

func.func @zero_width(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %ids: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{attribute 'width' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  photon_kernel.embed %W[%c0] ids %ids rows %n into %x[%c0] {tag = "tok", width = 0 : i64} : memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @strided_buffer(%W: memref<?xf32>, %x: memref<?xf32, strided<[2]>>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{operand #0 must be flat buffer of f32, bf16 or f16}}
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c0] into %W[%c0] {eps = 1.0e-05 : f64, gain_align = 1 : i64, width = 8 : i64} : memref<?xf32, strided<[2]>>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @negative_eps(%W: memref<?xf32>, %x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{eps must not be negative}}
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c0] into %x[%c0] {eps = -1.0e-05 : f64, gain_align = 1 : i64, width = 8 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @align_not_power_of_two(%W: memref<?xf32>, %x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{alignments must be powers of two, got 12}}
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %x[%c0] {k = 8 : i64, m = 8 : i64, weight_align = 12 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @bias_without_align(%W: memref<?xf32>, %x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{bias and bias_align go together}}
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] bias [%c0] into %x[%c0] {k = 8 : i64, m = 8 : i64, weight_align = 4 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @norm_without_eps(%W: memref<?xf32>, %x: memref<?xf32>, %l: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{norm, its normed rows, eps and gain_align go together}}
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %l[%c0] norm [%c0] into %x[%c0] {gain_align = 4 : i64, k = 8 : i64, m = 8 : i64, weight_align = 4 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @norm_and_accumulate(%W: memref<?xf32>, %x: memref<?xf32>, %l: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{a norm in front excludes accumulate, bias and rounded}}
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %l[%c0] norm [%c0] into %x[%c0] {accumulate, eps = 1.0e-05 : f64, gain_align = 4 : i64, k = 8 : i64, m = 8 : i64, weight_align = 4 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @norm_gain_align(%W: memref<?xf32>, %x: memref<?xf32>, %l: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{gain_align must be powers of two, got 6}}
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %l[%c0] norm [%c0] into %x[%c0] {eps = 1.0e-05 : f64, gain_align = 6 : i64, k = 8 : i64, m = 8 : i64, weight_align = 4 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @next_without_elements(%W: memref<?xf32>, %x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{has 1 next weights but 0 next_elements}}
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %x[%c0] next [%c0] {k = 8 : i64, m = 8 : i64, weight_align = 4 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @logits_not_f32(%l: memref<?xbf16>, %n: index, %ids: memref<?xi32>, %p: memref<?xf32>) {
  // expected-error @+2 {{use of value '%l' expects different type than prior uses: 'memref<?xf32>' vs 'memref<?xbf16>'}}
  // expected-note @-2 {{prior use here}}
  photon_kernel.argmax %l rows %n into %ids partials %p, %ids semaphores %ids {vocab = 32 : i64}
  return
}

// -----

func.func @four_aligns(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{expects 3 weight_aligns, got 4}}
  photon_kernel.mlp %x[%c0] rows %n weights %W[%c0, %c0, %c0] scratch %s[%c0, %c0, %c0] {d_model = 64 : i64, ffn = 128 : i64, weight_aligns = array<i64: 1, 1, 1, 1>} : memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @norm_without_eps(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{norm, gain_align and eps go together}}
  photon_kernel.mlp %x[%c0] rows %n weights %W[%c0, %c0, %c0] scratch %s[%c0, %c0, %c0] norm [%c0] {d_model = 64 : i64, ffn = 128 : i64, gain_align = 1 : i64, weight_aligns = array<i64: 1, 1, 1>} : memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @qkv_norm_without_align(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{norm, its normed_base and gain_align go together}}
  photon_kernel.qkv %x[%c0] rows %n weights %W[%c0, %c0, %c0] scratch %s[%c0, %c0, %c0] norm [%c0] into [%c0] {shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, weight_aligns = array<i64: 1, 1, 1>} : memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @qkv_caches_without_layers(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %pos: memref<?xi32>, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{caches and layers go together}}
  photon_kernel.qkv %x[%c0] rows %n weights %W[%c0, %c0, %c0] scratch %s[%c0, %c0, %c0] at %pos, %pos caches %x, %x[%c0, %n] {shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, weight_aligns = array<i64: 1, 1, 1>} : memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @qkv_caches_of_two_types(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %pos: memref<?xi32>, %s: memref<?xf32>, %k: memref<?xbf16>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{K and V caches must have one type}}
  photon_kernel.qkv %x[%c0] rows %n weights %W[%c0, %c0, %c0] scratch %s[%c0, %c0, %c0] at %pos, %pos caches %k, %x[%c0, %n] {layers = 1 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, weight_aligns = array<i64: 1, 1, 1>} : memref<?xf32>, memref<?xf32>, memref<?xbf16>, memref<?xf32>
  return
}

// -----

// The bf16 copy is bf16.
func.func @rms_norm_rounded_f32(%W: memref<?xf32>, %x: memref<?xf32>, %n: index) {
  // expected-note @-1 {{prior use here}}
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{use of value '%x' expects different type than prior uses: 'memref<?xbf16>' vs 'memref<?xf32>'}}
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c0] into %x[%c0] rounded %x[%c0] {eps = 1.0e-05 : f64, gain_align = 1 : i64, width = 8 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

func.func @caches_of_another_type(%n: index, %pos: memref<?xi32>, %k: memref<?xbf16>, %v: memref<?xf32>, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{all of {k_cache, v_cache} have same type}}
  "photon_kernel.attention"(%s, %c0, %c0, %c0, %c0, %k, %v, %c0, %n, %n, %pos, %pos, %pos) <{layers = 1 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0>}> : (memref<?xf32>, index, index, index, index, memref<?xbf16>, memref<?xf32>, index, index, index, memref<?xi32>, memref<?xi32>, memref<?xi32>) -> ()
  return
}

// -----

func.func @rounded_without_base(%n: index, %pos: memref<?xi32>, %k: memref<?xbf16>, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{rounded needs its base}}
  "photon_kernel.attention"(%s, %c0, %c0, %c0, %c0, %k, %k, %k, %c0, %n, %n, %pos, %pos, %pos) <{layers = 1 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0>}> : (memref<?xf32>, index, index, index, index, memref<?xbf16>, memref<?xbf16>, memref<?xbf16>, index, index, index, memref<?xi32>, memref<?xi32>, memref<?xi32>) -> ()
  return
}

// -----

func.func @next_aligns_short(%W: memref<?xf32>, %x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{expects 1 next_aligns, got 0}}
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %x[%c0] next [%c0] {k = 8 : i64, m = 8 : i64, next_elements = array<i64: 64>, weight_align = 4 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}

// -----

// expected-error @+1 {{widths must be positive}}
func.func @no_ffn() attributes {shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 0, eps = 1.0e-05, rope_theta = 10000.0>} {
  return
}

// -----

// expected-error @+1 {{d_model 66 is not a multiple of heads 4}}
func.func @ragged_heads() attributes {shape = #photon_kernel.layer<d_model = 66, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>} {
  return
}

// -----

// expected-error @+1 {{heads 4 is not a multiple of kv_heads 3}}
func.func @gqa() attributes {shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 3, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>} {
  return
}

// -----

// expected-error @+1 {{head_dim 7 is odd (RoPE rotates pairs)}}
func.func @odd_head() attributes {shape = #photon_kernel.layer<d_model = 28, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>} {
  return
}

// -----

// (Generic form: the custom syntax keeps a norm's operands together.)
func.func @qkv_norm_without_normed_rows(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{norm, its normed_base and gain_align go together}}
  "photon_kernel.qkv"(%x, %c0, %n, %W, %c0, %c0, %c0, %s, %c0, %c0, %c0, %c0) <{gain_align = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0>, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, weight_aligns = array<i64: 1, 1, 1>}> : (memref<?xf32>, index, index, memref<?xf32>, index, index, index, memref<?xf32>, index, index, index, index) -> ()
  return
}

// -----

func.func @qkv_caches_without_positions(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{pos, seq, the caches, layer and capacity go together}}
  "photon_kernel.qkv"(%x, %c0, %n, %W, %c0, %c0, %c0, %s, %c0, %c0, %c0, %x, %x, %c0, %n) <{layers = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0>, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, weight_aligns = array<i64: 1, 1, 1>}> : (memref<?xf32>, index, index, memref<?xf32>, index, index, index, memref<?xf32>, index, index, index, memref<?xf32>, memref<?xf32>, index, index) -> ()
  return
}
