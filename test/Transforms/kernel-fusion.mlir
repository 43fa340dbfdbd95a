// photon-kernel-fusion: each fusion is one pattern with an option to turn it
// off. A layer as convert-photon-to-photon-kernel builds it (D 64, 4 heads,
// 2 KV heads, F 128; bf16 weights and activations, so the normed rows and
// the attention output come with bf16 copies in %r) becomes a qkv with its
// norm and RoPE + cache write, attention, the output projection adding into
// the rows (fuse-residual), and an mlp with its norm; a converter's bias
// becomes its projection's epilogue (fuse-bias).
// RUN: photon-opt %s -split-input-file -photon-kernel-fusion | FileCheck %s
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-norm=false' | FileCheck %s --check-prefix=NONORM
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-qkv=false' | FileCheck %s --check-prefix=NOQKV
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-rope-cache=false' | FileCheck %s --check-prefix=NOROPE
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-gate-up=false' | FileCheck %s --check-prefix=NOGATEUP
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-residual=false' | FileCheck %s --check-prefix=NORESIDUAL
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-residual=false fuse-gate-up=false' | FileCheck %s --check-prefix=NORESIDUAL2
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-bias=false' | FileCheck %s --check-prefix=NOBIAS
// RUN: photon-opt %s -split-input-file '-photon-kernel-fusion=fuse-qkv=false fuse-rope-cache=false fuse-gate-up=false fuse-norm=false fuse-residual=false fuse-bias=false' | FileCheck %s --check-prefix=NONE

#shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>

// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xbf16>, %[[X:[^:]*]]: memref<?xbf16>, %[[N:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %[[SEQ:[^:]*]]: memref<?xi32>, %[[KC:[^:]*]]: memref<?xbf16>, %[[VC:[^:]*]]: memref<?xbf16>, %[[L:[^:]*]]: index, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>, %[[R:[^:]*]]: memref<?xbf16>, %[[SEM:[^:]*]]: memref<?xi32>)
// CHECK: %[[H:.*]] = arith.constant 192 : index
// CHECK: photon_kernel.qkv %[[X]][%[[C0:.*]]] rows %[[N]] weights %[[W]][%[[WQ:.*]], %[[WK:.*]], %[[WV:.*]]] scratch %[[S]][%[[Q:.*]], %[[K:.*]], %[[V:.*]]] rounded %[[R]][%[[C0]]] norm[%[[G1:.*]]] into[%[[H]]] at %[[POS]], %[[SEQ]] caches %[[KC]], %[[VC]][%[[L]], %[[CAP]]] next[%[[WO:.*]]] {gain_align = 16 : i64, layers = 2 : i64, next_aligns = array<i64: 16>, next_elements = array<i64: 4096>, shape = #photon_kernel.layer<{{.*}}>, weight_aligns = array<i64: 16, 16, 16>} : memref<?xbf16>, memref<?xbf16>, memref<?xbf16>, memref<?xbf16>
// CHECK-NEXT: photon_kernel.attention
// CHECK-NEXT: photon_kernel.matmul %[[S]][%[[H]]] rounded %[[R]][%[[C0]]] rows %[[N]] weight %[[W]][%[[WO]]] into %[[X]][%[[C0]]] {accumulate,
// CHECK-NEXT: photon_kernel.mlp %[[X]][%[[C0]]] rows %[[N]] weights %[[W]][%[[WG:.*]], %[[WU:.*]], %[[WD:.*]]] scratch %[[S]][%[[H]], %[[GB:.*]], %[[UB:.*]]] rounded %[[R]][%[[C0]]] norm[%[[G2:.*]]] {d_model = 64 : i64, eps = 1.000000e-05 : f64, ffn = 128 : i64, gain_align = 16 : i64, weight_aligns = array<i64: 16, 16, 16>} : memref<?xbf16>, memref<?xbf16>
// CHECK-NEXT: return

// fuse-norm=false: the norms stay; the qkv reads the normed rows (and their
// copy), the mlp its normed rows.
// NONORM-LABEL: func.func @layer(
// NONORM: photon_kernel.rms_norm %[[X:arg[0-9]+]][%[[C0:.*]]] rows %[[N:.*]] gain %[[W:arg[0-9]+]][%{{.*}}] into %[[S:arg[0-9]+]][%[[H:.*]]] rounded %[[R:arg[0-9]+]][%[[C0]]]
// NONORM-NEXT: photon_kernel.qkv %[[S]][%[[H]]] rows %[[N]] weights %[[W]][{{.*}}] scratch %[[S]][{{.*}}] rounded %[[R]][%[[C0]]] at
// NONORM-NEXT: photon_kernel.attention
// NONORM-NEXT: photon_kernel.matmul
// NONORM-NEXT: photon_kernel.rms_norm %[[X]][%[[C0]]] rows %[[N]] gain %[[W]][%{{.*}}] into %[[S]][%[[H]]] rounded %[[R]][%[[C0]]]
// NONORM-NEXT: photon_kernel.mlp %[[X]][%[[C0]]] rows %[[N]] weights %[[W]][{{.*}}] scratch %[[S]][%[[H]], {{.*}}] rounded %[[R]][%[[C0]]] {d_model = 64 : i64, ffn = 128 : i64, weight_aligns
// NONORM-NEXT: return

// fuse-qkv=false: three projections and the RoPE + cache op; then there is
// no qkv to take either the norm or the rope_cache.
// NOQKV-LABEL: func.func @layer(
// NOQKV: photon_kernel.rms_norm
// NOQKV-NEXT: photon_kernel.matmul
// NOQKV-NEXT: photon_kernel.matmul
// NOQKV-NEXT: photon_kernel.matmul
// NOQKV-NEXT: photon_kernel.rope_cache
// NOQKV-NEXT: photon_kernel.attention
// NOQKV-NEXT: photon_kernel.matmul
// NOQKV-NEXT: photon_kernel.mlp {{.*}} norm[

// fuse-rope-cache=false: the qkv with its norm, then RoPE and the cache write.
// NOROPE-LABEL: func.func @layer(
// NOROPE: photon_kernel.qkv {{.*}} norm[%{{.*}}] into[%{{.*}}] {gain_align
// NOROPE-NEXT: photon_kernel.rope_cache
// NOROPE-NEXT: photon_kernel.attention

// fuse-gate-up=false: the MLP stays four ops after its norm.
// NOGATEUP-LABEL: func.func @layer(
// NOGATEUP: photon_kernel.qkv {{.*}} norm[
// NOGATEUP: photon_kernel.rms_norm
// NOGATEUP-NEXT: photon_kernel.matmul
// NOGATEUP-NEXT: photon_kernel.matmul
// NOGATEUP-NEXT: photon_kernel.swiglu
// NOGATEUP-NEXT: photon_kernel.matmul {{.*}} {accumulate, k = 128 : i64, m = 64 : i64
// NOGATEUP-NEXT: return

// fuse-residual=false: the output projection writes q's rows and a
// residual_add adds them; the mlp still takes the one after its down
// projection.
// NORESIDUAL-LABEL: func.func @layer(
// NORESIDUAL: photon_kernel.attention
// NORESIDUAL-NEXT: photon_kernel.matmul %[[S:arg[0-9]+]][%{{.*}}] rounded {{.*}} into %[[S]][%[[Q:.*]]] {k = 64 : i64, m = 64 : i64, weight_align = 16 : i64}
// NORESIDUAL-NEXT: photon_kernel.residual_add %[[X:arg[0-9]+]][%{{.*}}] rows %{{.*}} add %[[S]][%[[Q]]]
// NORESIDUAL-NEXT: photon_kernel.mlp %[[X]]
// NORESIDUAL-NEXT: return
// NORESIDUAL2-LABEL: func.func @layer(
// NORESIDUAL2: photon_kernel.swiglu
// NORESIDUAL2-NEXT: photon_kernel.matmul {{.*}} {k = 128 : i64, m = 64 : i64
// NORESIDUAL2-NEXT: photon_kernel.residual_add
// NORESIDUAL2-NEXT: return

// NONE-LABEL: func.func @layer(
// NONE-NOT: photon_kernel.qkv
// NONE-NOT: photon_kernel.mlp
// NONE-NOT: accumulate
// NONE: return
// NONE-LABEL: func.func @converter(
// NONE: photon_kernel.bias_add
func.func @layer(%W: memref<?xbf16>, %x: memref<?xbf16>, %n: index, %pos: memref<?xi32>, %seq: memref<?xi32>, %kc: memref<?xbf16>, %vc: memref<?xbf16>, %l: index, %cap: index, %s: memref<?xf32>, %r: memref<?xbf16>, %sem: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %h = arith.constant 192 : index
  %q = arith.constant 64 : index
  %k = arith.constant 128 : index
  %v = arith.constant 160 : index
  %g = arith.constant 256 : index
  %u = arith.constant 384 : index
  %scores = arith.constant 512 : index
  %wk = arith.constant 4096 : index
  %wv = arith.constant 6144 : index
  %wo = arith.constant 8192 : index
  %wg = arith.constant 12288 : index
  %wu = arith.constant 20480 : index
  %wd = arith.constant 28672 : index
  %g1 = arith.constant 36864 : index
  %g2 = arith.constant 36928 : index
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%g1] into %s[%h] rounded %r[%c0] {eps = 1.0e-05 : f64, gain_align = 16 : i64, width = 64 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>
  photon_kernel.matmul %s[%h] rounded %r[%c0] rows %n weight %W[%c0] into %s[%q] {k = 64 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.matmul %s[%h] rounded %r[%c0] rows %n weight %W[%wk] into %s[%k] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.matmul %s[%h] rounded %r[%c0] rows %n weight %W[%wv] into %s[%v] next[%wo] {k = 64 : i64, m = 32 : i64, next_aligns = array<i64: 16>, next_elements = array<i64: 4096>, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.rope_cache %s[%q, %k, %v] rows %n at %pos, %seq caches %kc, %vc[%l, %cap] {layers = 2 : i64, shape = #shape} : memref<?xbf16>
  photon_kernel.attention %s[%q, %h, %scores, %scores] rounded %r[%c0] caches %kc, %vc[%l, %cap] rows %n at %pos, %seq semaphores %sem {layers = 2 : i64, shape = #shape} : memref<?xbf16>
  photon_kernel.matmul %s[%h] rounded %r[%c0] rows %n weight %W[%wo] into %s[%q] {k = 64 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.residual_add %x[%c0] rows %n add %s[%q] {width = 64 : i64} : memref<?xbf16>
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%g2] into %s[%h] rounded %r[%c0] {eps = 1.0e-05 : f64, gain_align = 16 : i64, width = 64 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xf32>
  photon_kernel.matmul %s[%h] rounded %r[%c0] rows %n weight %W[%wg] into %s[%g] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.matmul %s[%h] rounded %r[%c0] rows %n weight %W[%wu] into %s[%u] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.swiglu %s[%g, %u] rows %n {width = 128 : i64}
  photon_kernel.matmul %s[%g] rows %n weight %W[%wd] into %s[%q] {k = 128 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xbf16>, memref<?xf32>
  photon_kernel.residual_add %x[%c0] rows %n add %s[%q] {width = 64 : i64} : memref<?xbf16>
  return
}

// A converter: the bias is its projection's epilogue (fuse-bias).
// CHECK-LABEL: func.func @converter(
// CHECK: photon_kernel.matmul %{{.*}} rows %{{.*}} weight %{{.*}}[%{{.*}}] bias[%[[B:.*]]] into %[[OUT:arg[0-9]+]][%{{.*}}] {bias_align = 16 : i64, k = 64 : i64, m = 128 : i64, weight_align = 16 : i64}
// CHECK-NEXT: return
// NOBIAS-LABEL: func.func @converter(
// NOBIAS: photon_kernel.matmul
// NOBIAS-NEXT: photon_kernel.bias_add
func.func @converter(%W: memref<?xbf16>, %in: memref<?xbf16>, %n: index, %out: memref<?xbf16>) {
  %c0 = arith.constant 0 : index
  %b = arith.constant 8192 : index
  photon_kernel.matmul %in[%c0] rows %n weight %W[%c0] into %out[%c0] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64} : memref<?xbf16>, memref<?xbf16>, memref<?xbf16>
  photon_kernel.bias_add %out[%c0] rows %n bias %W[%b] {bias_align = 16 : i64, width = 128 : i64} : memref<?xbf16>, memref<?xbf16>
  return
}

// -----

#shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>

// No fusion where the ops are not what the fused op would say.
// K written elsewhere than the rope_cache reads it:
// CHECK-LABEL: func.func @k_elsewhere(
// CHECK-COUNT-3: photon_kernel.matmul
// CHECK-NEXT: photon_kernel.rope_cache
func.func @k_elsewhere(%W: memref<?xf32>, %n: index, %pos: memref<?xi32>, %kc: memref<?xf32>, %l: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %q = arith.constant 64 : index
  %k = arith.constant 128 : index
  %v = arith.constant 160 : index
  photon_kernel.matmul %s[%c0] rows %n weight %W[%c0] into %s[%q] {k = 64 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %s[%c0] rows %n weight %W[%c0] into %s[%v] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %s[%c0] rows %n weight %W[%c0] into %s[%v] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.rope_cache %s[%q, %k, %v] rows %n at %pos, %pos caches %kc, %kc[%l, %n] {layers = 2 : i64, shape = #shape} : memref<?xf32>
  return
}

// -----

// An in-place norm (it overwrites the residual) stays a kernel of its own;
// the projections after it still fuse.
// CHECK-LABEL: func.func @norm_in_place(
// CHECK: photon_kernel.rms_norm %[[X:arg[0-9]+]][%[[C0:.*]]] rows %{{.*}} into %[[X]][%[[C0]]]
// CHECK-NEXT: photon_kernel.qkv %[[X]][%[[C0]]] rows {{.*}} at
#shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.0e-05, rope_theta = 10000.0>
func.func @norm_in_place(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %pos: memref<?xi32>, %kc: memref<?xf32>, %l: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %q = arith.constant 64 : index
  %k = arith.constant 128 : index
  %v = arith.constant 160 : index
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c0] into %x[%c0] {eps = 1.0e-05 : f64, gain_align = 16 : i64, width = 64 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %s[%q] {k = 64 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %s[%k] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %s[%v] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.rope_cache %s[%q, %k, %v] rows %n at %pos, %pos caches %kc, %kc[%l, %n] {layers = 2 : i64, shape = #shape} : memref<?xf32>
  return
}

// -----

// A projection that reads the rows it would add into keeps its residual_add
// (accumulating in its epilogue would write rows its other blocks read).
// CHECK-LABEL: func.func @residual_of_own_input(
// CHECK: photon_kernel.matmul
// CHECK-NEXT: photon_kernel.residual_add
func.func @residual_of_own_input(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  photon_kernel.matmul %x[%c0] rows %n weight %W[%c0] into %s[%c0] {k = 64 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.residual_add %x[%c0] rows %n add %s[%c0] {width = 64 : i64} : memref<?xf32>
  return
}

// -----

// An op between gate/up and SwiGLU, and a down projection that does not
// add into the rows:
// CHECK-LABEL: func.func @not_an_mlp(
// CHECK-NOT: photon_kernel.mlp
// CHECK: return
func.func @not_an_mlp(%W: memref<?xf32>, %x: memref<?xf32>, %n: index, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %g = arith.constant 256 : index
  %u = arith.constant 384 : index
  photon_kernel.matmul %s[%c0] rows %n weight %W[%c0] into %s[%g] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %s[%c0] rows %n weight %W[%c0] into %s[%u] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.rms_norm %x[%c0] rows %n gain %W[%c0] into %x[%c0] {eps = 1.0e-05 : f64, gain_align = 16 : i64, width = 64 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.swiglu %s[%g, %u] rows %n {width = 128 : i64}
  photon_kernel.matmul %s[%g] rows %n weight %W[%c0] into %x[%c0] {accumulate, k = 128 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %s[%c0] rows %n weight %W[%c0] into %s[%g] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.matmul %s[%c0] rows %n weight %W[%c0] into %s[%u] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  photon_kernel.swiglu %s[%g, %u] rows %n {width = 128 : i64}
  photon_kernel.matmul %s[%g] rows %n weight %W[%c0] into %x[%c0] {k = 128 : i64, m = 64 : i64, weight_align = 16 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
  return
}
