// The model-level step of the layered lowering: a planned photon.model becomes
// one function per building block whose body is photon_kernel ops over flat
// buffers (weights: offsets into the arena %arg0). tiny-vanilla (f32, D = 64,
// 4 heads, 2 KV heads, F = 128, 2 layers): its stack calls the function of its
// layout with the offset of its first weight, whose layers are an scf.for
// over offsets base + l * stride (stride 36992); each layer is one op per
// step (photon-kernel-fusion joins them: test/Transforms/kernel-fusion.mlir):
// the input norm into the scratch's h rows, the Q, K and V projections,
// RoPE with the cache write, attention, the output projection into q's rows
// (free after attention) and its residual add into x, the MLP norm, gate, up,
// SwiGLU, down and its residual add. The LM head reads the stack's rows
// raw: the final norm is its matmul's prologue (lm-head-norm; without it,
// the stack's last op).
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -canonicalize -cse | FileCheck %s
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel=lm-head-norm=false -canonicalize -cse | FileCheck %s --check-prefix=STACKNORM
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -canonicalize -cse | FileCheck %s --check-prefix=L2
// RUN: photon-translate --import-config %examples/tiny-vanilla.json --weight-type=bf16 | photon-opt -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -canonicalize -cse | FileCheck %s --check-prefix=BF16
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | not photon-opt -convert-photon-to-photon-kernel 2>&1 | FileCheck %s --check-prefix=UNPLANNED

// CHECK-LABEL: func.func private @photon_embed_tok
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: photon_kernel.embed %arg0[%[[C0]]] ids %arg1 rows %arg2 into %arg3[%[[C0]]] {tag = "tok", width = 64 : i64} : memref<?xf32>, memref<?xf32>
// CHECK-NEXT: return

// CHECK-LABEL: func.func private @photon_stack_model
// CHECK-NEXT: %[[BASE:.*]] = arith.constant 16384 : index
// CHECK-NEXT: call @photon_stack_shape0(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6, %arg7, %arg8, %arg9, %arg10, %arg11, %[[BASE]])

// CHECK-LABEL: func.func private @photon_stack_shape0
// Scratch regions per row: h 0, q 64, k 128, v 160, attn 192, gate 256, up
// 384, scores 512, stats after them.
// CHECK-DAG: %[[Q:.*]] = arith.muli %arg2, %c64 : index
// CHECK-DAG: %[[K:.*]] = arith.muli %arg2, %c128 : index
// CHECK-DAG: %[[V:.*]] = arith.muli %arg2, %c160 : index
// CHECK-DAG: %[[A:.*]] = arith.muli %arg2, %c192 : index
// CHECK-DAG: %[[G:.*]] = arith.muli %arg2, %c256 : index
// CHECK-DAG: %[[U:.*]] = arith.muli %arg2, %c384 : index
// CHECK-DAG: %[[S:.*]] = arith.muli %arg2, %c512 : index
// CHECK: %[[ST:.*]] = arith.addi %[[S]], %{{.*}} : index
// CHECK-NEXT: scf.for %[[L:.*]] = %[[ZERO:.*]] to %c2 step %c1 {
// CHECK-NEXT: %[[STEP:.*]] = arith.muli %[[L]], %c36992 : index
// CHECK-NEXT: %[[AT:.*]] = arith.addi %arg12, %[[STEP]] : index
// CHECK-NEXT: %[[NORM1:.*]] = arith.addi %[[AT]], %c36864 : index
// CHECK-NEXT: %[[WK:.*]] = arith.addi %[[AT]], %c4096 : index
// CHECK-NEXT: %[[WV:.*]] = arith.addi %[[AT]], %c6144 : index
// CHECK-NEXT: %[[WO:.*]] = arith.addi %[[AT]], %c8192 : index
// CHECK-NEXT: %[[WG:.*]] = arith.addi %[[AT]], %c12288 : index
// CHECK-NEXT: %[[WU:.*]] = arith.addi %[[AT]], %c20480 : index
// CHECK-NEXT: photon_kernel.rms_norm %arg1[%[[ZERO]]] rows %arg2 gain %arg0[%[[NORM1]]] into %arg8[%[[ZERO]]] {eps = 1.000000e-05 : f64, gain_align = 16 : i64, width = 64 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>
// CHECK-NEXT: photon_kernel.matmul %arg8[%[[ZERO]]] rows %arg2 weight %arg0[%[[AT]]] into %arg8[%[[Q]]] {k = 64 : i64, m = 64 : i64, weight_align = 16 : i64}
// CHECK-NEXT: photon_kernel.matmul %arg8[%[[ZERO]]] rows %arg2 weight %arg0[%[[WK]]] into %arg8[%[[K]]] {k = 64 : i64, m = 32 : i64, weight_align = 16 : i64}
// CHECK-NEXT: photon_kernel.matmul %arg8[%[[ZERO]]] rows %arg2 weight %arg0[%[[WV]]] into %arg8[%[[V]]] next[%[[WO]]] {k = 64 : i64, m = 32 : i64, next_aligns = array<i64: 16>, next_elements = array<i64: 4096>, weight_align = 16 : i64}
// CHECK-NEXT: photon_kernel.rope_cache %arg8[%[[Q]], %[[K]], %[[V]]] rows %arg2 at %arg3, %arg4 caches %arg5, %arg6[%[[L]], %arg7] {layers = 2 : i64, shape = #photon_kernel.layer<d_model = 64, heads = 4, kv_heads = 2, ffn = 128, eps = 1.000000e-05, rope_theta = 1.000000e+04>} : memref<?xf32>
// CHECK-NEXT: photon_kernel.attention %arg8[%[[Q]], %[[A]], %[[S]], %[[ST]]] caches %arg5, %arg6[%[[L]], %arg7] rows %arg2 at %arg3, %arg4 per_slot %arg11 semaphores %arg10 {layers = 2 : i64, shape = #photon_kernel.layer<{{.*}}>} : memref<?xf32>
// CHECK-NEXT: photon_kernel.matmul %arg8[%[[A]]] rows %arg2 weight %arg0[%[[WO]]] into %arg8[%[[Q]]] next[%[[WG]], %[[WU]]] {k = 64 : i64, m = 64 : i64, next_aligns = array<i64: 16, 16>, next_elements = array<i64: 8192, 8192>, weight_align = 16 : i64}
// CHECK-NEXT: photon_kernel.residual_add %arg1[%[[ZERO]]] rows %arg2 add %arg8[%[[Q]]] {width = 64 : i64} : memref<?xf32>
// CHECK-NEXT: %[[NORM2:.*]] = arith.addi %[[AT]], %c36928 : index
// CHECK-NEXT: %[[WD:.*]] = arith.addi %[[AT]], %c28672 : index
// CHECK-NEXT: photon_kernel.rms_norm %arg1[%[[ZERO]]] rows %arg2 gain %arg0[%[[NORM2]]] into %arg8[%[[ZERO]]]
// CHECK-NEXT: photon_kernel.matmul %arg8[%[[ZERO]]] rows %arg2 weight %arg0[%[[WG]]] into %arg8[%[[G]]] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64}
// CHECK-NEXT: photon_kernel.matmul %arg8[%[[ZERO]]] rows %arg2 weight %arg0[%[[WU]]] into %arg8[%[[U]]] {k = 64 : i64, m = 128 : i64, weight_align = 16 : i64}
// CHECK-NEXT: photon_kernel.swiglu %arg8[%[[G]], %[[U]]] rows %arg2 {width = 128 : i64}
// CHECK-NEXT: photon_kernel.matmul %arg8[%[[G]]] rows %arg2 weight %arg0[%[[WD]]] into %arg8[%[[Q]]] {k = 128 : i64, m = 64 : i64, weight_align = 16 : i64}
// CHECK-NEXT: photon_kernel.residual_add %arg1[%[[ZERO]]] rows %arg2 add %arg8[%[[Q]]] {width = 64 : i64} : memref<?xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return

// The final norm (model.norm.weight at 90368) normalizes the rows on their
// way into the LM head, or in place before it.
// CHECK-LABEL: func.func private @photon_lm_head
// CHECK-NEXT: %[[TABLE:.*]] = arith.constant 90432 : index
// CHECK-NEXT: %[[GAIN:.*]] = arith.constant 90368 : index
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: photon_kernel.matmul %arg1[%[[C0]]] rows %arg2 weight %arg0[%[[TABLE]]] into %arg3[%[[C0]]] norm[%[[GAIN]]] into %arg1[%[[C0]]] {eps = 1.000000e-05 : f64, gain_align = 256 : i64, k = 64 : i64, m = 256 : i64, weight_align = 64 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>
// CHECK-LABEL: func.func private @photon_argmax
// CHECK-NEXT: photon_kernel.argmax %arg0 rows %arg1 into %arg2 partials %arg3, %arg4 semaphores %arg5 {vocab = 256 : i64}
// CHECK-LABEL: func.func private @photon_sample
// CHECK-NEXT: photon_kernel.sample %arg0 rows %arg1 uniforms %arg2 temperature %arg3 top_k %arg4 top_p %arg5 into %arg6 {vocab = 256 : i64}

// STACKNORM-LABEL: func.func private @photon_stack_shape0
// STACKNORM: photon_kernel.residual_add {{.*}} : memref<?xf32>{{$}}
// STACKNORM: photon_kernel.residual_add {{.*}} : memref<?xf32>{{$}}
// STACKNORM-NEXT: }
// STACKNORM-NEXT: photon_kernel.rms_norm %arg1[%[[ZERO:.*]]] rows %arg2 gain %arg0[%{{.*}}] into %arg1[%[[ZERO]]] {eps = 1.000000e-05 : f64, gain_align = 16 : i64, width = 64 : i64}
// STACKNORM-NEXT: return
// STACKNORM-LABEL: func.func private @photon_lm_head
// STACKNORM-NEXT: %[[TABLE:.*]] = arith.constant 90432 : index
// STACKNORM-NEXT: %[[C0:.*]] = arith.constant 0 : index
// STACKNORM-NEXT: photon_kernel.matmul %arg1[%[[C0]]] rows %arg2 weight %arg0[%[[TABLE]]] into %arg3[%[[C0]]] {k = 64 : i64, m = 256 : i64, weight_align = 64 : i64} : memref<?xf32>, memref<?xf32>, memref<?xf32>

// A PHOTON model's Dec_1 leaves its rows to the LM head's norm: it has a
// stack function of its own, with no final norm, while the encoders and
// Dec_2 (one layout) share the one that ends with theirs.
// L2-LABEL: func.func private @photon_stack_encoder_1
// L2: call @photon_stack_shape0(
// L2-LABEL: func.func private @photon_stack_shape0(
// L2: photon_kernel.residual_add {{.*}} : memref<?xf32>{{$}}
// L2: photon_kernel.residual_add {{.*}} : memref<?xf32>{{$}}
// L2-NEXT: }
// L2-NEXT: photon_kernel.rms_norm %arg1[%[[Z:.*]]] rows %arg2 gain %arg0[%{{.*}}] into %arg1[%[[Z]]]
// L2-NEXT: return
// L2-LABEL: func.func private @photon_stack_decoder_1
// L2: call @photon_stack_shape1(
// L2-LABEL: func.func private @photon_stack_shape1(
// L2: photon_kernel.residual_add {{.*}} : memref<?xf32>{{$}}
// L2: photon_kernel.residual_add {{.*}} : memref<?xf32>{{$}}
// L2-NEXT: }
// L2-NEXT: return

// A PHOTON model's converter (a projection to prefix_length latents, then
// its bias) and linear chunker (RMSNorm of the chunk into the f32 scratch,
// its projection, its bias; level 2 of tiny-photon-l2).
// L2-LABEL: func.func private @photon_converter_1
// L2: photon_kernel.matmul %arg1[%[[C0:.*]]] rows %arg2 weight %arg0[%{{.*}}] into %arg3[%[[C0]]] {k = 64 : i64, m = 128 : i64
// L2-NEXT: photon_kernel.bias_add %arg3[%[[C0]]] rows %arg2 bias %arg0[%{{.*}}] {bias_align = {{.*}}, width = 128 : i64}
// L2-LABEL: func.func private @photon_chunk_2
// L2: photon_kernel.rms_norm %arg1[%[[C0:.*]]] rows %arg2 gain %arg0[%{{.*}}] into %arg4[%[[C0]]]
// L2-NEXT: photon_kernel.matmul %arg4[%[[C0]]] rows %arg2 weight %arg0[%{{.*}}] into %arg3[%[[C0]]] {k = {{.*}}, m = 64 : i64, weight_align = {{.*}}} : memref<?xf32>, memref<?xf32>, memref<?xf32>
// L2-NEXT: photon_kernel.bias_add %arg3[%[[C0]]] rows %arg2 bias %arg0[%{{.*}}] {bias_align = {{.*}}, width = 64 : i64} : memref<?xf32>, memref<?xf32>
// L2-LABEL: func.func private @photon_stack_decoder_2
// L2: call @photon_stack_shape0(
// L2-LABEL: func.func private @photon_lm_head
// L2: photon_kernel.matmul %arg1[%[[C0:.*]]] rows %arg2 weight %arg0[%{{.*}}] into %arg3[%[[C0]]] norm[%{{.*}}] into %arg1[%[[C0]]] {eps = 1.000000e-05 : f64

// With bf16 weights and activations the normed rows go to the attention
// output's rows (free until attention), with a bf16 copy over h's bytes
// (%arg9 is the scratch in bf16) that wide projections read, as they read
// the attention output's; SwiGLU's output has none.
// BF16-LABEL: func.func private @photon_stack_shape0
// BF16-DAG: %[[A:.*]] = arith.muli %arg2, %c192 : index
// BF16-DAG: %[[G:.*]] = arith.muli %arg2, %c256 : index
// BF16: scf.for
// BF16: photon_kernel.rms_norm %arg1[%[[ZERO:.*]]] rows %arg2 gain %arg0[%{{.*}}] into %arg8[%[[A]]] rounded %arg9[%[[ZERO]]]
// BF16-NEXT: photon_kernel.matmul %arg8[%[[A]]] rounded %arg9[%[[ZERO]]] rows
// BF16-NEXT: photon_kernel.matmul %arg8[%[[A]]] rounded %arg9[%[[ZERO]]] rows
// BF16-NEXT: photon_kernel.matmul %arg8[%[[A]]] rounded %arg9[%[[ZERO]]] rows
// BF16-NEXT: photon_kernel.rope_cache
// BF16-NEXT: photon_kernel.attention %arg8[%{{.*}}, %[[A]], %{{.*}}, %{{.*}}] rounded %arg9[%[[ZERO]]]
// BF16-NEXT: photon_kernel.matmul %arg8[%[[A]]] rounded %arg9[%[[ZERO]]] rows
// BF16: photon_kernel.rms_norm %arg1[%[[ZERO]]] rows %arg2 gain %arg0[%{{.*}}] into %arg8[%[[A]]] rounded %arg9[%[[ZERO]]]
// BF16: photon_kernel.swiglu
// BF16-NEXT: photon_kernel.matmul %arg8[%[[G]]] rows

// UNPLANNED: error: 'photon.param' op has no offset: run -photon-plan-memory first
