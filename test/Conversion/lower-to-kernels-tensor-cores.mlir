// With bf16 weights and activations, GPU projections over enough rows run on
// tensor cores: cp.async into two shared-memory stages, ldmatrix fragments,
// mma.sync m16n8k16 with f32 accumulators. Fewer rows, a misaligned buffer,
// f32 activations, the CPU or tensor-core-min-rows=0 keep the warp-per-output
// kernel. (gemv-max-rows=0: the GEMV for few rows, tested in
// lower-to-kernels-gemv.mlir, would come first.)
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 '-photon-lower-to-kernels=target=gpu gemv-max-rows=0' -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory -photon-lower-to-kernels=target=gpu | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 '-photon-lower-to-kernels=target=gpu tensor-core-min-rows=0' | FileCheck %s --check-prefix=OFF
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 '-photon-lower-to-kernels=target=gpu tensor-core-min-rows=-1' 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -photon-lower-to-kernels=target=cpu | FileCheck %s --check-prefix=OFF

photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 16, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 32, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<16x16xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<16xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<16x16xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<8x16xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<8x16xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<16x16xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<16xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<32x16xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<32x16xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<16x32xbf16>
  photon.param @model.norm.weight : tensor<16xbf16>
  photon.param @lm_head.weight : tensor<16x16xbf16>
}

// In the stack the projections read the f32 scratch: each value is split into
// bf16 hi and lo parts on its way to shared memory (a third stage buffer), and
// only the weights use cp.async; both parts meet the same weight fragment.
// CHECK-LABEL: func.func private @photon_stack_model(
// CHECK-SAME: %[[SW2:[^:]*]]: memref<?xbf16>
// CHECK: scf.if
// CHECK: gpu.launch {{.*}} workgroup(%[[HI:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %{{[^ ]*}} : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %[[LO:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>) {
// CHECK: %[[V:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK: %[[H:.*]] = arith.truncf %[[V]] : f32 to bf16
// CHECK: %[[HF:.*]] = arith.extf %[[H]] : bf16 to f32
// CHECK: %[[R:.*]] = arith.subf %[[V]], %[[HF]] : f32
// CHECK: %[[L:.*]] = arith.truncf %[[R]] : f32 to bf16
// CHECK: memref.store %[[H]], %[[HI]]
// CHECK: memref.store %[[L]], %[[LO]]
// CHECK: nvgpu.device_async_copy %[[SW2]]
// CHECK: %[[AHI:.*]] = nvgpu.ldmatrix %[[HI]]
// CHECK: %[[ALO:.*]] = nvgpu.ldmatrix %[[LO]]
// CHECK: %[[D:.*]] = nvvm.mma.sync
// CHECK: llvm.extractvalue %[[D]][0]
// CHECK: nvvm.mma.sync


// The LM head reads bf16 activations: both operands go through cp.async, and
// the host checks their alignment before it picks the tensor-core kernel.
// CHECK-LABEL: func.func private @photon_lm_head(
// CHECK-SAME: %[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[LOGITS:.*]]: memref<?xf32>)
// CHECK: %[[ENOUGH:.*]] = arith.cmpi uge, %[[N]], %c16
// CHECK: memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: scf.if
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128{{.*}}) workgroup(%[[SX:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %[[SW:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>) {
// CHECK: nvgpu.device_async_copy %[[X]][%{{.*}}], %[[SX]][%{{.*}}, %{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: nvgpu.device_async_copy %[[W]][%{{.*}}], %[[SW]][%{{.*}}, %{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: nvgpu.device_async_create_group
// CHECK: scf.for {{.*}} -> (f32, f32,
// CHECK: %[[GROUP:.*]] = nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_wait %[[GROUP]] {numGroups = 1 : i32}
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix %[[SX]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<2x64x40xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK: nvgpu.ldmatrix %[[SW]]
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: gpu.barrier
// CHECK: scf.yield
// The epilogue: row and column bounds, f32 logits.
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]]
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// CHECK: } else {
// CHECK: gpu.launch
// CHECK: gpu.shuffle xor

// OFF-NOT: nvgpu.
// OFF-NOT: nvvm.mma.sync

// NEGATIVE: tensor-core-min-rows must not be negative, got -1
