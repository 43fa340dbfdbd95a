// gemv-tensor-core-k-splits: a tensor-core GEMV whose grid has fewer blocks
// than multiprocessors splits each output tile's K over the blocks of one
// thread block cluster. The cluster's S blocks share the 16 warps one block
// would have had (warp w of block rank r takes steps r · W + w, r · W + w +
// S · W, ...); each block sums its warps' partial tiles into its warp 0's
// slots, and after a cluster barrier the first block adds the others' sums
// from their shared memory (mapa), then stores once every block has passed
// a second barrier (no block leaves while its sums may still be read).
// By shape (0): the fewest of 2 and 4 that fill the multiprocessors, each
// split keeping 8 steps of 32: the o GEMV (32 tiles, K 512: 16 steps) takes
// 2, down (32 tiles, K 1024: 32 steps) 4 in blocks of 4 warps.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=132' -canonicalize -cse | FileCheck %s --check-prefix=SHAPE
// Grids that fill the multiprocessors, targets with no clusters (sm_80) and
// fuse-launches' layer kernels split nothing: 32 blocks of one tile each, of
// 16 warps where they leave multiprocessors idle, else 8.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1' -canonicalize -cse | FileCheck %s --check-prefix=NONE --check-prefix=FULL
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=132 chip=sm_80' -canonicalize -cse | FileCheck %s --check-prefix=NONE --check-prefix=IDLE
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=132 fuse-launches=true' -canonicalize -cse | FileCheck %s --check-prefix=NONE --check-prefix=IDLE
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 gemv-tensor-core-k-splits=3' -canonicalize -cse | FileCheck %s --check-prefix=THREE
// RUN: not photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-tensor-core-k-splits=9' 2>&1 | FileCheck %s --check-prefix=BAD

// D 512, 4 heads of 128, F 1024, vocab 40.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 40, d_model = 512, layers = 1, n_heads = 4, n_kv_heads = 4, ffn_dim = 1024, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<40x512xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<512xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<512x512xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<512x512xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<512x512xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<512x512xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<512xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<1024x512xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<1024x512xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<512x1024xbf16>
  photon.param @model.norm.weight : tensor<512xbf16>
  photon.param @lm_head.weight : tensor<40x512xbf16>
}

// SHAPE-LABEL: func.func private @photon_stack_model(
// SHAPE: gpu.launch clusters({{.*}}) in ({{.*}} = %c2, {{.*}} = %c1, {{.*}} = %c1) blocks({{.*}}) in ({{.*}} = %c64, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_512x512)
// SHAPE: gpu.launch clusters({{.*}}) in ({{.*}} = %c4, {{.*}} = %c1, {{.*}} = %c1) blocks({{.*}}) in ({{.*}} = %c128, {{.*}}) threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_512x1024)

// NONE-LABEL: func.func private @photon_stack_model(
// FULL: gpu.launch blocks({{.*}}) in ({{.*}} = %c32, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_512x512)
// FULL: gpu.launch blocks({{.*}}) in ({{.*}} = %c32, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_512x1024)
// IDLE: gpu.launch blocks({{.*}}) in ({{.*}} = %c32, {{.*}}) threads({{.*}}) in ({{.*}} = %c512, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_512x512)
// IDLE: gpu.launch blocks({{.*}}) in ({{.*}} = %c32, {{.*}}) threads({{.*}}) in ({{.*}} = %c512, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_512x1024)
// NONE-NOT: clusters{{.*}}photon_gemv

// Three splits of 6 warps: the o GEMV's 32 tiles as 96 blocks. Warp w of
// rank r loads chunk 4 · (6r + w) + t (steps past the 16 read none).
// THREE-LABEL: func.func private @photon_stack_model(
// THREE: gpu.launch clusters({{.*}}) in ({{.*}} = %c3, {{.*}} = %c1, {{.*}} = %c1) blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c96, {{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c192, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_512x512) workgroup(%[[P:.*]] : memref<768xf32, #gpu.address_space<workgroup>>) {
// THREE-NEXT: %[[RANK:.*]] = arith.remui %[[BX]], %c3 : index
// THREE-NEXT: %[[TILE:.*]] = arith.divui %[[BX]], %c3 : index
// THREE-NEXT: %[[LANE:.*]] = arith.remui %[[TX]], %c32 : index
// THREE-NEXT: %[[WARP:.*]] = arith.divui %[[TX]], %c32 : index
// THREE: arith.muli %[[TILE]], %c16 : index
// THREE: %[[R6:.*]] = arith.muli %[[RANK]], %c6 : index
// THREE-NEXT: %[[STEP:.*]] = arith.addi %[[R6]], %[[WARP]] : index
// THREE-NEXT: %[[S4:.*]] = arith.muli %[[STEP]], %c4 : index
// THREE-NEXT: %[[CHUNK:.*]] = arith.addi %[[S4]], %{{.*}} : index
// THREE-NEXT: arith.cmpi ult, %[[CHUNK]], %c64 : index
// THREE-COUNT-4: nvvm.mma.sync
// Each block's warps' sums (values 0-3, one a warp), then the first block
// adds blocks 1 and 2's, in order.
// THREE: gpu.barrier
// THREE: %[[MINE:.*]] = arith.cmpi ult, %[[WARP]], %c4 : index
// THREE: memref.store %{{.*}}, %[[P]]
// THREE: gpu.barrier
// THREE-NEXT: %[[FIRST:.*]] = arith.cmpi eq, %[[RANK]], %c0 : index
// THREE: %[[LOCAL:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr<3>
// THREE-NEXT: nvvm.cluster.arrive {aligned}
// THREE-NEXT: nvvm.cluster.wait {aligned}
// THREE-NEXT: scf.if %[[FIRST]] {
// THREE-NEXT: scf.if %[[MINE]] {
// THREE: %[[OWN:.*]] = memref.load %[[P]]
// THREE: %[[PEER1:.*]] = nvvm.mapa %[[LOCAL]], %c1_i32 : !llvm.ptr<3> -> !llvm.ptr<7>
// THREE: %[[V1:.*]] = llvm.load %{{.*}} : !llvm.ptr<7> -> f32
// THREE-NEXT: %[[SUM1:.*]] = arith.addf %[[OWN]], %[[V1]] : f32
// THREE: nvvm.mapa %[[LOCAL]], %c2_i32
// THREE: %[[V2:.*]] = llvm.load %{{.*}} : !llvm.ptr<7> -> f32
// THREE-NEXT: %[[SUM2:.*]] = arith.addf %[[SUM1]], %[[V2]] : f32
// THREE-NEXT: memref.store %[[SUM2]], %[[P]]
// THREE: nvvm.cluster.arrive {aligned}
// THREE-NEXT: nvvm.cluster.wait {aligned}
// Warp 0 of the first block alone stores.
// THREE-NEXT: %[[W0:.*]] = arith.cmpi eq, %[[WARP]], %c0 : index
// THREE-NEXT: %[[STORES:.*]] = arith.andi %[[W0]], %[[FIRST]] : i1
// THREE-NEXT: scf.if %[[STORES]] {
// THREE: memref.store
// THREE: gpu.terminator

// BAD: gemv-tensor-core-k-splits must be 0 to 8, got 9
