// RUN: photon-opt %s -split-input-file | FileCheck %s
// RUN: photon-opt %s -split-input-file | photon-opt -split-input-file | FileCheck %s

// Every photon_kernel op round-trips through its custom form.

// CHECK-LABEL: func.func @projections
// CHECK-SAME: (%[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[IDS:.*]]: memref<?xi32>, %[[L:.*]]: memref<?xf32>, %[[S:.*]]: memref<?xf32>)
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[C8:.*]] = arith.constant 8 : index
// CHECK-NEXT: photon_kernel.embed %[[W]][%[[C0]]] ids %[[IDS]] rows %[[N]] into %[[X]][%[[C0]]] {tag = "tok", width = 64 : i64} : memref<?xbf16>, memref<?xbf16>
// CHECK-NEXT: photon_kernel.rms_norm %[[X]][%[[C0]]] rows %[[N]] gain %[[W]][%[[C8]]] into %[[S]][%[[C0]]] {eps = 1.000000e-05 : f64, gain_align = 8 : i64, width = 64 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>
// CHECK-NEXT: photon_kernel.matmul %[[S]][%[[C0]]] rounded %[[X]][%[[C8]]] rows %[[N]] weight %[[W]][%[[C0]]] bias[%[[C8]]] into %[[X]][%[[C0]]] next[%[[C8]]] {accumulate, bias_align = 8 : i64, k = 64 : i64, m = 64 : i64, next_aligns = array<i64: 8>, next_elements = array<i64: 4096>, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xbf16>
// CHECK-NEXT: photon_kernel.matmul %[[X]][%[[C0]]] rows %[[N]] weight %[[W]][%[[C0]]] into %[[L]][%[[C0]]] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>
// CHECK-NEXT: photon_kernel.matmul %[[X]][%[[C0]]] rows %[[N]] weight %[[W]][%[[C0]]] into %[[L]][%[[C0]]] norm[%[[C8]]] into %[[X]][%[[C0]]] {eps = 1.000000e-05 : f64, gain_align = 8 : i64, k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>, memref<?xbf16>
// CHECK-NEXT: photon_kernel.argmax %[[L]] rows %[[N]] into %[[IDS]] partials %[[L]], %[[IDS]] semaphores %[[IDS]] {vocab = 32 : i64}
func.func @projections(%W: memref<?xbf16>, %x: memref<?xbf16>, %n: index, %ids: memref<?xi32>, %logits: memref<?xf32>, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  photon_kernel.embed %W[%c0] ids %ids rows %n into %x[%c0] {tag = "tok", width = 64 : i64} : memref<?xbf16>, memref<?xbf16>
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c8] into %s[%c0] {eps = 1.0e-05 : f64, gain_align = 8 : i64, width = 64 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>
  photon_kernel.matmul %s[%c0] rounded %x[%c8] rows %n weight %W[%c0] bias [%c8] into %x[%c0] next [%c8] {accumulate, bias_align = 8 : i64, k = 64 : i64, m = 64 : i64, next_aligns = array<i64: 8>, next_elements = array<i64: 4096>, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xbf16>
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %logits[%c0] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %logits[%c0] norm [%c8] into %x[%c0] {eps = 1.0e-05 : f64, gain_align = 8 : i64, k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>, memref<?xbf16>
  photon_kernel.argmax %logits rows %n into %ids partials %logits, %ids semaphores %ids {vocab = 32 : i64}
  return
}

// -----

// A fused layer: the qkv with its norm and RoPE + cache write, the mlp
// with its norm (photon-kernel-fusion's output).
// CHECK-LABEL: func.func @layer
// CHECK: photon_kernel.qkv %[[X:.*]][%[[C0:.*]]] rows %[[N:.*]] weights %[[W:.*]][%[[C8:.*]], %[[C8]], %[[C8]]] scratch %[[S:.*]][%[[C8]], %[[C8]], %[[C8]]] rounded %[[R:.*]][%[[C0]]] norm[%[[C0]]] into[%[[C8]]] at %[[POS:.*]], %[[SEQ:.*]] caches %[[K:.*]], %[[V:.*]][%[[C0]], %[[N]]] next[%[[C8]]] {gain_align = 16 : i64, layers = 2 : i64, next_aligns = array<i64: 8>, next_elements = array<i64: 4096>, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.000000e-05, rope_theta = 1.000000e+04>, weight_aligns = array<i64: 8, 8, 8>} : memref<?xbf16>, memref<?xbf16>, memref<?xbf16>, memref<?xbf16>
// CHECK-NEXT: photon_kernel.attention %[[S]][%[[C8]], %[[C8]], %[[C8]], %[[C8]]] rounded %[[R]][%[[C0]]] caches %[[K]], %[[V]][%[[C0]], %[[N]]] rows %[[N]] at %[[POS]], %[[SEQ]] semaphores %[[SEQ]] {layers = 2 : i64, shape = #photon_kernel.layer<{{.*}}>} : memref<?xbf16>
// CHECK-NEXT: photon_kernel.attention {{.*}} rows %[[N]] at %[[POS]], %[[SEQ]] per_slot %[[C0]] semaphores %[[SEQ]] {{.*}} : memref<?xbf16>
// CHECK-NEXT: photon_kernel.mlp %[[X]][%[[C0]]] rows %[[N]] weights %[[W]][%[[C8]], %[[C8]], %[[C8]]] scratch %[[S]][%[[C8]], %[[C8]], %[[C8]]] rounded %[[R]][%[[C0]]] norm[%[[C0]]] {d_model = 64 : i64, eps = 1.000000e-05 : f64, ffn = 128 : i64, gain_align = 16 : i64, weight_aligns = array<i64: 8, 8, 8>} : memref<?xbf16>, memref<?xbf16>
func.func @layer(%W: memref<?xbf16>, %x: memref<?xbf16>, %n: index, %pos: memref<?xi32>, %seq: memref<?xi32>, %k: memref<?xbf16>, %v: memref<?xbf16>, %s: memref<?xf32>, %r: memref<?xbf16>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  photon_kernel.qkv %x[%c0] rows %n weights %W[%c8, %c8, %c8] scratch %s[%c8, %c8, %c8] rounded %r[%c0] norm [%c0] into [%c8] at %pos, %seq caches %k, %v[%c0, %n] next [%c8] {gain_align = 16 : i64, layers = 2 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, weight_aligns = array<i64: 8, 8, 8>, next_elements = array<i64: 4096>, next_aligns = array<i64: 8>} : memref<?xbf16>, memref<?xbf16>, memref<?xbf16>, memref<?xbf16>
  photon_kernel.attention %s[%c8, %c8, %c8, %c8] rounded %r[%c0] caches %k, %v[%c0, %n] rows %n at %pos, %seq semaphores %seq {layers = 2 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>} : memref<?xbf16>
  photon_kernel.attention %s[%c8, %c8, %c8, %c8] rounded %r[%c0] caches %k, %v[%c0, %n] rows %n at %pos, %seq per_slot %c0 semaphores %seq {layers = 2 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>} : memref<?xbf16>
  photon_kernel.mlp %x[%c0] rows %n weights %W[%c8, %c8, %c8] scratch %s[%c8, %c8, %c8] rounded %r[%c0] norm [%c0] {d_model = 64 : i64, eps = 1.0e-05 : f64, ffn = 128 : i64, gain_align = 16 : i64, weight_aligns = array<i64: 8, 8, 8>} : memref<?xbf16>, memref<?xbf16>
  return
}

// -----

// The separate ops fusion starts from, and a qkv and an mlp without their
// optional parts (f32 activations: no bf16 copies).
// CHECK-LABEL: func.func @unfused_layer
// CHECK: photon_kernel.rms_norm %[[X:.*]][%[[C0:.*]]] rows %[[N:.*]] gain %[[W:.*]][%[[C0]]] into %[[S:.*]][%[[C8:.*]]] {eps = 1.000000e-05 : f64, gain_align = 16 : i64, width = 64 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
// CHECK-NEXT: photon_kernel.qkv %[[S]][%[[C8]]] rows %[[N]] weights %[[W]][%[[C8]], %[[C8]], %[[C8]]] scratch %[[S]][%[[C8]], %[[C8]], %[[C8]]] {shape = #photon_kernel.layer<{{.*}}>, weight_aligns = array<i64: 8, 8, 8>} : memref<?xf32>, memref<?xbf16>
// CHECK-NEXT: photon_kernel.rope_cache %[[S]][%[[C8]], %[[C8]], %[[C8]]] rows %[[N]] at %{{.*}}, %{{.*}} caches %[[K:.*]], %[[K]][%[[C0]], %[[N]]] {layers = 2 : i64, shape = #photon_kernel.layer<{{.*}}>} : memref<?xf32>
// CHECK-NEXT: photon_kernel.mlp %[[X]][%[[C0]]] rows %[[N]] weights %[[W]][%[[C8]], %[[C8]], %[[C8]]] scratch %[[S]][%[[C8]], %[[C8]], %[[C8]]] {d_model = 64 : i64, ffn = 128 : i64, weight_aligns = array<i64: 8, 8, 8>} : memref<?xf32>, memref<?xbf16>
// CHECK-NEXT: photon_kernel.swiglu %[[S]][%[[C8]], %[[C8]]] rows %[[N]] {width = 128 : i64}
func.func @unfused_layer(%W: memref<?xbf16>, %x: memref<?xf32>, %n: index, %pos: memref<?xi32>, %seq: memref<?xi32>, %k: memref<?xf32>, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c0] into %s[%c8] {eps = 1.0e-05 : f64, gain_align = 16 : i64, width = 64 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.qkv %s[%c8] rows %n weights %W[%c8, %c8, %c8] scratch %s[%c8, %c8, %c8] {shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>, weight_aligns = array<i64: 8, 8, 8>} : memref<?xf32>, memref<?xbf16>
  photon_kernel.rope_cache %s[%c8, %c8, %c8] rows %n at %pos, %seq caches %k, %k[%c0, %n] {layers = 2 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>} : memref<?xf32>
  photon_kernel.mlp %x[%c0] rows %n weights %W[%c8, %c8, %c8] scratch %s[%c8, %c8, %c8] {d_model = 64 : i64, ffn = 128 : i64, weight_aligns = array<i64: 8, 8, 8>} : memref<?xf32>, memref<?xbf16>
  photon_kernel.swiglu %s[%c8, %c8] rows %n {width = 128 : i64}
  return
}

// -----

// CHECK-LABEL: func.func @sample
// CHECK-NEXT: photon_kernel.sample %{{.*}} rows %{{.*}} uniforms %{{.*}} temperature %{{.*}} top_k %{{.*}} top_p %{{.*}} into %{{.*}} {vocab = 32000 : i64}
func.func @sample(%logits: memref<?xf32>, %n: index, %u: memref<?xf32>, %t: f32, %k: index, %p: f32, %ids: memref<?xi32>) {
  photon_kernel.sample %logits rows %n uniforms %u temperature %t top_k %k top_p %p into %ids {vocab = 32000 : i64}
  return
}
