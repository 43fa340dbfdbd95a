// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -cse | FileCheck %s --check-prefix=CPU
// The GPU lines check the warp-per-output kernels, which GEMV
// (convert-photon-kernel-to-gpu-gemv.mlir) and block-per-row kernels replace by default.
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0 block-per-row=false' -cse | FileCheck %s --check-prefix=GPU
// RUN: not photon-opt %s -convert-photon-to-photon-kernel -photon-kernel-fusion 2>&1 | FileCheck %s --check-prefix=UNPLANNED

// A vanilla model with tied embeddings gets its kernels next to it (private:
// only the programs' entry points call them); weights are read at planned
// constant offsets of one arena.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>} {
}

// The embedding, op by op: row i, feature j of the output is
// W[table + ids[i] · 8 + j] (the tied table at offset 0).
// CPU: photon.model @vanilla
// CPU-LABEL: func.func private @photon_embed_tok(
// CPU-SAME: %[[W:.*]]: memref<?xf32>, %[[IDS:.*]]: memref<?xi32>, %[[N:.*]]: index, %[[OUT:.*]]: memref<?xf32>) attributes {llvm.linkage = #llvm.linkage<internal>}
// CPU-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CPU-NEXT: %[[C8:.*]] = arith.constant 8 : index
// CPU-NEXT: %[[C1:.*]] = arith.constant 1 : index
// CPU-NEXT: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%[[C0]], %[[C0]]) to (%[[N]], %[[C8]]) step (%[[C1]], %[[C1]]) {
// CPU-NEXT: %[[ID:.*]] = memref.load %[[IDS]][%[[I]]] : memref<?xi32>
// CPU-NEXT: %[[TOK:.*]] = arith.index_cast %[[ID]] : i32 to index
// CPU-NEXT: %[[ROW:.*]] = arith.muli %[[TOK]], %[[C8]] : index
// CPU-NEXT: %[[EL:.*]] = arith.addi %[[ROW]], %[[J]] : index
// CPU-NEXT: %[[AT:.*]] = arith.addi %[[EL]], %[[C0]] : index
// CPU-NEXT: %[[V:.*]] = memref.load %[[W]][%[[AT]]] : memref<?xf32>
// CPU-NEXT: %[[OROW:.*]] = arith.muli %[[I]], %[[C8]] : index
// CPU-NEXT: %[[OEL:.*]] = arith.addi %[[OROW]], %[[J]] : index
// CPU-NEXT: %[[OAT:.*]] = arith.addi %[[C0]], %[[OEL]] : index
// CPU-NEXT: memref.store %[[V]], %[[OUT]][%[[OAT]]] : memref<?xf32>
// CPU-NEXT: scf.reduce
// CPU-NEXT: }
// CPU-NEXT: return

// The stack: RMSNorm, Q/K/V, RoPE (angle in f64, reduced to [-pi, pi], then cos in f32), K/V into the cache, causal
// attention over 0..pos, O projection, SwiGLU MLP, final norm.
// CPU-LABEL: func.func private @photon_stack_model(
// CPU-SAME: {{.*}}: index, {{.*}}: memref<?xi32>, {{.*}}: memref<?xi32>, {{.*}}: memref<?xf32>, {{.*}}: memref<?xf32>, {{.*}}: index, {{.*}}: memref<?xf32>, {{.*}}: memref<?xi32>, {{.*}}: index) attributes {llvm.linkage = #llvm.linkage<internal>}
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

// On the GPU the same body runs under one thread per (row, feature): 256
// threads a block, at least one block, the flat index split back into i, j.
// GPU-LABEL: func.func private @photon_embed_tok(
// GPU-SAME: %[[W:.*]]: memref<?xf32>, %[[IDS:.*]]: memref<?xi32>, %[[N:.*]]: index, %[[OUT:.*]]: memref<?xf32>)
// GPU-NEXT: %[[C0:.*]] = arith.constant 0 : index
// GPU-NEXT: %[[C8:.*]] = arith.constant 8 : index
// GPU-NEXT: %[[TOTAL:.*]] = arith.muli %[[N]], %[[C8]] : index
// GPU-NEXT: %[[C1:.*]] = arith.constant 1 : index
// GPU-NEXT: %[[C256:.*]] = arith.constant 256 : index
// GPU-NEXT: %[[NB:.*]] = arith.ceildivui %[[TOTAL]], %[[C256]] : index
// GPU-NEXT: %[[BLOCKS:.*]] = arith.maxui %[[NB]], %[[C1]] : index
// GPU-NEXT: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) module(@photon_kernels) function(@photon_embed_tok) {
// GPU-NEXT: %[[B0:.*]] = arith.muli %[[BX]], %[[C256]] : index
// GPU-NEXT: %[[G:.*]] = arith.addi %[[B0]], %[[TX]] : index
// GPU-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[G]], %[[TOTAL]] : index
// GPU-NEXT: scf.if %[[IN]] {
// GPU-NEXT: %[[J:.*]] = arith.remui %[[G]], %[[C8]] : index
// GPU-NEXT: %[[I:.*]] = arith.divui %[[G]], %[[C8]] : index
// GPU-NEXT: %[[ID:.*]] = memref.load %[[IDS]][%[[I]]] : memref<?xi32>
// GPU-NEXT: %[[TOK:.*]] = arith.index_cast %[[ID]] : i32 to index
// GPU-NEXT: %[[ROW:.*]] = arith.muli %[[TOK]], %[[C8]] : index
// GPU-NEXT: %[[EL:.*]] = arith.addi %[[ROW]], %[[J]] : index
// GPU-NEXT: %[[AT:.*]] = arith.addi %[[EL]], %[[C0]] : index
// GPU-NEXT: %[[V:.*]] = memref.load %[[W]][%[[AT]]] : memref<?xf32>
// GPU-NEXT: %[[OROW:.*]] = arith.muli %[[I]], %[[C8]] : index
// GPU-NEXT: %[[OEL:.*]] = arith.addi %[[OROW]], %[[J]] : index
// GPU-NEXT: %[[OAT:.*]] = arith.addi %[[C0]], %[[OEL]] : index
// GPU-NEXT: memref.store %[[V]], %[[OUT]][%[[OAT]]] : memref<?xf32>
// GPU-NEXT: }
// GPU-NEXT: gpu.terminator
// GPU-NEXT: }
// GPU-NEXT: return

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
