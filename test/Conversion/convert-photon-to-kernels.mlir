// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-kernels | FileCheck %s --check-prefix=CPU
// The GPU lines check the warp-per-output kernels, which GEMV
// (convert-photon-to-kernels-gemv.mlir) and block-per-row kernels replace by default.
// RUN: photon-opt %s -photon-plan-memory '-convert-photon-to-kernels=target=gpu gemv-max-rows=0 block-per-row=false' -cse | FileCheck %s --check-prefix=GPU
// RUN: not photon-opt %s -convert-photon-to-kernels 2>&1 | FileCheck %s --check-prefix=UNPLANNED
// RUN: not photon-opt %s -photon-plan-memory -convert-photon-to-kernels=target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET

// A vanilla model with tied embeddings gets its kernels next to it (private:
// only the programs' entry points call them); weights are read at planned
// constant offsets of one arena.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>} {
}

// CPU: photon.model @vanilla
// CPU-LABEL: func.func private @photon_embed_tok(
// CPU-SAME: %[[W:.*]]: memref<?xf32>, %[[IDS:.*]]: memref<?xi32>, %[[N:.*]]: index, %[[OUT:.*]]: memref<?xf32>) attributes {llvm.linkage = #llvm.linkage<internal>}
// CPU: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%[[N]], %{{.*}})
// CPU: memref.load %[[IDS]][%[[I]]] : memref<?xi32>
// CPU: memref.store %{{.*}}, %[[OUT]]

// The stack: RMSNorm, Q/K/V, RoPE (angle in f64, reduced to [-pi, pi], then cos in f32), K/V into the cache, causal
// attention over 0..pos, O projection, SwiGLU MLP, final norm.
// CPU-LABEL: func.func private @photon_stack_model(
// CPU-SAME: {{.*}}: index, {{.*}}: memref<?xi32>, {{.*}}: memref<?xi32>, {{.*}}: memref<?xf32>, {{.*}}: memref<?xf32>, {{.*}}: index, {{.*}}: memref<?xf32>, {{.*}}: memref<?xi32>) attributes {llvm.linkage = #llvm.linkage<internal>}
// CPU: math.rsqrt
// CPU: math.exp2 %{{.*}} : f64
// CPU: math.roundeven %{{.*}} : f64
// CPU: math.cos %{{.*}} : f32
// CPU: arith.maximumf
// CPU: math.exp
// CPU-LABEL: func.func private @photon_lm_head(
// CPU-LABEL: func.func private @photon_argmax(
// CPU: arith.cmpf ogt
// CPU: arith.cmpf oeq
// CPU: arith.cmpi slt
// CPU: memref.store %{{.*}}, %{{.*}} : memref<?xi32>
// Sampling: bisection for the top-k and top-p thresholds, then inverse CDF.
// CPU-LABEL: func.func private @photon_sample(
// CPU-SAME: {{.*}}: memref<?xf32>, {{.*}}: index, {{.*}}: memref<?xf32>, {{.*}}: f32, {{.*}}: index, {{.*}}: f32, {{.*}}: memref<?xi32>)
// CPU: %[[N:.*]] = arith.constant 40 : index
// CPU: scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args
// CPU: arith.cmpf oge

// GPU-LABEL: func.func private @photon_embed_tok(
// GPU: %[[C256:.*]] = arith.constant 256 : index
// GPU: %[[BLOCKS:.*]] = arith.maxui
// GPU: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]],
// GPU: arith.cmpi ult
// GPU: scf.if
// GPU: gpu.terminator
// GPU-NOT: scf.parallel

// Reductions give one warp to each output: lanes stride the reduction and
// combine with an xor butterfly, lane 0 stores.
// GPU-LABEL: func.func private @photon_stack_model(
// GPU: gpu.launch
// GPU: %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// GPU: scf.for %{{.*}} = %[[LANE]] to %{{.*}} step %c32
// GPU: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// GPU: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// GPU: arith.cmpi eq, %[[LANE]], %c0
// The LM head: 16 outputs per row, 32 lanes per output. The thread count is a
// multiple of 32 and the lane is the fastest index, so every warp is whole
// inside the bounds check and its lanes read consecutive weights.
// GPU-LABEL: func.func private @photon_lm_head(
// GPU: %[[OUTS:.*]] = arith.muli %{{.*}}, %c16 : index
// GPU: %[[THREADS:.*]] = arith.muli %[[OUTS]], %c32 : index
// GPU: gpu.launch
// GPU: %[[G:.*]] = arith.addi
// GPU: arith.cmpi ult, %[[G]], %[[THREADS]] : index
// GPU: %[[L:.*]] = arith.remui %[[G]], %c32 : index
// GPU: %[[W:.*]] = arith.divui %[[G]], %c32 : index
// GPU: arith.remui %[[W]], %c16 : index
// GPU: scf.for %{{.*}} = %[[L]] to %c8 step %c32
// GPU-LABEL: func.func private @photon_argmax(
// GPU-COUNT-10: gpu.shuffle  xor

// UNPLANNED: error: 'photon.model' op has no planned weights: run -photon-plan-memory first
// The target is an enum option (cpu, gpu).
// TARGET: for the --target option: Cannot find option named 'tpu'!
