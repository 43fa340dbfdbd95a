// wgmma-tma: the wgmma GEMMs load their tiles of a bf16 input, and of
// weights that are one [M x K] matrix (o, down, the LM head, and Q/K/V,
// which the planner lays out one after another; not gate/up), with TMA. On the host, before each launch, the
// runtime's photon_tensor_map_2d gives the device addresses of tensor maps
// of the input's buffer from its first row (as many rows of K as the buffer
// holds, box 128 x kStep) and of the weight matrix (rows M, box tileCols x
// kStep); the kernel gets them as arguments. Thread 0 sets up one mbarrier a
// stage (after the stages in dynamic shared memory: 96 KB + 6 x 8 bytes) for
// one arrival, then for every step inside K arms the stage's barrier for the
// boxes' bytes ((128 + 64) x 32 bf16 = 12288) and issues both copies, A's at
// (k0, m0) and W's at (k0, n0); every step waits for its stage's phase,
// (kt / 6) % 2, before the proxy fence and barrier. No cp.async copy is left
// where both operands come by TMA; gate/up keeps them for W. (Without a
// producer warp: wgmma-producer-warp=false; 128-row tiles only, TALL has
// the 192-row ones.)
// (gemv-bulk-max-warp-rows=0: the one-row GEMVs load into registers; their bulk
// copies are convert-photon-kernel-to-gpu-gemv-bulk.mlir's.)
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma=true wgmma-tma=true wgmma-tma-min-tile-cols=0 wgmma-producer-warp=false wgmma-tile-rows=128' -canonicalize -cse | FileCheck %s
// wgmma-producer-warp (the default): where both operands come by TMA, a ninth warp issues
// the copies and the warpgroups hand stages back through a second barrier
// each (count 2: one arrival a warpgroup), with no block barrier a step.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma=true wgmma-tma-min-tile-cols=0 wgmma-producer-warp=true wgmma-tile-rows=128' -canonicalize -cse | FileCheck %s --check-prefix=PRODUCER
// wgmma-tile-rows=0 (the default): where both operands come by TMA the host
// also has a kernel of 192-row tiles (three warpgroups; thread 0 issues
// the copies: 13 warps would leave ptxas 128 registers a thread) and takes
// it where fewer waves of blocks over the 132 multiprocessors pay for its
// longer tiles: the waves times K 448 of fixed time plus the tile's K
// (here 64, as 96 at 192 rows). wgmma-tile-rows=192 takes it always.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma=true wgmma-tma-min-tile-cols=0' -canonicalize -cse | FileCheck %s --check-prefix=TALL
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma=true wgmma-tma-min-tile-cols=0 wgmma-tile-rows=192' -canonicalize -cse | FileCheck %s --check-prefix=FORCED
// RUN: not photon-opt %s '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma-tile-rows=64' 2>&1 | FileCheck %s --check-prefix=BAD-ROWS
// By default only tiles at least 192 wide (wgmma-tma-min-tile-cols): here
// the wide gate/up kernel's, in 192-row tiles where they pay and in 128-row
// ones; convert-photon-kernel-to-gpu-wgmma-wide.mlir has more. None with
// wgmma-tma=false or without wgmma: no tensor map.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma=true' -canonicalize -cse | FileCheck %s --check-prefix=DEFAULT
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma=true wgmma-tma=false wgmma-tma-min-tile-cols=0' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 wgmma-tma=true' -canonicalize -cse | FileCheck %s --check-prefix=OFF

// D 64, 4 heads of 16, 2 KV heads (K and V 32 wide), F 96: Q, K, V are 128
// columns, two 64-wide tiles; gate/up 3 tiles of 32 features (wide: one
// of 96).
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 64, layers = 1, n_heads = 4, n_kv_heads = 2, ffn_dim = 96, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<16x64xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<64xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<64x64xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<32x64xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<32x64xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<64x64xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<64xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<96x64xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<96x64xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<64x96xbf16>
  photon.param @model.norm.weight : tensor<64xbf16>
  photon.param @lm_head.weight : tensor<16x64xbf16>
}

// CHECK-LABEL: func.func private @photon_stack_shape0(
// Q/K/V as one GEMM: a map of the normed rows and one of Q, K and V's
// weights as one [128 x 64] matrix ((128 + 128) x 32 bf16 = 16384 bytes a
// step).
// CHECK: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c64_i64, %c128_i32, %c32_i32)
// CHECK-NEXT: arith.index_castui
// CHECK-NEXT: llvm.inttoptr
// CHECK-NEXT: func.call @photon_tensor_map_2d(%{{.*}}, %c128_i64, %c64_i64, %c128_i32, %c32_i32)
// CHECK-NOT: photon_tensor_map_2d
// CHECK: function(@photon_wgmma128x128_qkv_rope_128x64)
// CHECK-NOT: nvgpu.device_async_copy
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c16384_i32
// The o projection (64 x 64): the attention output's map, then o's.
// CHECK: %[[SIZE:.*]] = memref.dim %[[ATTN:.*]], %c0 : memref<?xbf16>
// CHECK-NEXT: %[[ROWS:.*]] = arith.divui %[[SIZE]], %c64 : index
// CHECK: %[[ROWS64:.*]] = arith.index_castui %[[ROWS]] : index to i64
// CHECK-NEXT: %[[MAPA:.*]] = func.call @photon_tensor_map_2d(%{{.*}}, %[[ROWS64]], %c64_i64, %c128_i32, %c32_i32) : (!llvm.ptr, i64, i64, i32, i32) -> !llvm.ptr
// CHECK: %[[MAPW:.*]] = func.call @photon_tensor_map_2d(%{{.*}}, %c64_i64, %c64_i64, %c64_i32, %c32_i32) : (!llvm.ptr, i64, i64, i32, i32) -> !llvm.ptr
// CHECK-NEXT: arith.ceildivui
// CHECK-NEXT: arith.maxui
// CHECK-NEXT: gpu.launch blocks({{.*}}) threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c98352_i32 {{.*}}function(@photon_wgmma128x64_64x64)
// CHECK-NOT: nvgpu.device_async_copy
// CHECK: %[[TILES:.*]] = memref.extract_aligned_pointer_as_index %[[VIEW:.*]] : memref<2x6x128x32xbf16
// CHECK-NEXT: %[[BASE:.*]] = arith.index_castui %[[TILES]] : index to i64
// CHECK-NEXT: %[[BARRIERS:.*]] = arith.addi %[[BASE]], %c98304_i64 : i64
// CHECK-NEXT: %[[FIRST:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// CHECK-NEXT: scf.if %[[FIRST]] {
// CHECK-COUNT-6: nvvm.mbarrier.init %{{.*}}, %c1_i32 : !llvm.ptr<3>, i32
// CHECK-NEXT: nvvm.fence.mbarrier.init
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// Step 0: A's box into stage [0][0] at (0, m0), W's into [1][0] at (0, 0).
// CHECK-NEXT: %[[M0:.*]] = arith.muli %{{.*}}, %c128 : index
// CHECK-NEXT: scf.if %[[FIRST]] {
// CHECK-NEXT: %[[B0:.*]] = llvm.inttoptr %[[BARRIERS]] : i64 to !llvm.ptr<3>
// CHECK-NEXT: nvvm.mbarrier.arrive.expect_tx %[[B0]], %c12288_i32 : !llvm.ptr<3>, i32
// CHECK-NEXT: %[[A0P:.*]] = llvm.inttoptr %[[BASE]] : i64 to !llvm.ptr<3>
// CHECK-NEXT: %[[A0C:.*]] = llvm.addrspacecast %[[A0P]] : !llvm.ptr<3> to !llvm.ptr<7>
// CHECK-NEXT: %[[M0I:.*]] = arith.index_castui %[[M0]] : index to i32
// CHECK-NEXT: nvvm.cp.async.bulk.tensor.shared.cluster.global %[[A0C]], %[[MAPA]], %[[B0]], box[%c0_i32, %[[M0I]]] : !llvm.ptr<7>, !llvm.ptr
// CHECK-NEXT: %[[W0:.*]] = arith.addi %[[BASE]], %c49152_i64 : i64
// CHECK-NEXT: %[[W0P:.*]] = llvm.inttoptr %[[W0]] : i64 to !llvm.ptr<3>
// CHECK-NEXT: %[[W0C:.*]] = llvm.addrspacecast %[[W0P]] : !llvm.ptr<3> to !llvm.ptr<7>
// CHECK-NEXT: nvvm.cp.async.bulk.tensor.shared.cluster.global %[[W0C]], %[[MAPW]], %[[B0]], box[%c0_i32, %c0_i32] : !llvm.ptr<7>, !llvm.ptr
// CHECK-NEXT: }
// CHECK-NEXT: nvgpu.device_async_create_group
// Step 1 (K 64: two steps); steps 2 and 3 of the prologue are past K.
// CHECK: box[%c32_i32, %c0_i32]
// CHECK-NOT: cp.async.bulk.tensor
// CHECK: scf.for %[[KT:.*]] = %c0 to %c2 step %c1
// CHECK-NEXT: nvgpu.device_async_wait %{{.*}} {numGroups = 3 : i32}
// CHECK-NEXT: %[[ROUND:.*]] = arith.divui %[[KT]], %c6 : index
// CHECK-NEXT: %[[PARITY:.*]] = arith.remui %[[ROUND]], %c2 : index
// CHECK-NEXT: %[[PHASE:.*]] = arith.index_castui %[[PARITY]] : index to i32
// CHECK-NEXT: %[[STAGE:.*]] = arith.remui %[[KT]], %c6 : index
// CHECK-NEXT: %[[STAGE64:.*]] = arith.index_castui %[[STAGE]] : index to i64
// CHECK-NEXT: %[[SLOT:.*]] = arith.muli %[[STAGE64]], %c8_i64 : i64
// CHECK-NEXT: %[[BAR:.*]] = arith.addi %[[BARRIERS]], %[[SLOT]] : i64
// CHECK-NEXT: %[[BARP:.*]] = llvm.inttoptr %[[BAR]] : i64 to !llvm.ptr<3>
// CHECK-NEXT: nvvm.mbarrier.try_wait.parity %[[BARP]], %[[PHASE]], %c10000000_i32
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>
// CHECK-NEXT: gpu.barrier
// CHECK: nvvm.wgmma.mma_async
// The copies of step kt + 4, where kt + 4 < 2.
// CHECK-NOT: nvgpu.device_async_copy
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c12288_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[MAPA]]
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[MAPW]]
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// gate/up, the wide kernel (one tile of 2F = 192 columns) and the 64-wide
// one: the normed rows' map, and one map of gate's and up's weights
// (photon_tensor_map_pairs: up 96 x 64 = 6144 elements past gate, groups of
// 16 rows, 6 of each in a 192-wide box, 2 in a 64-wide one), whose box at
// (k0, 0, 0, n0 / 32) is a tile's 16 gate rows then 16 up rows, and so on.
// CHECK: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c64_i64, %c128_i32, %c32_i32)
// CHECK-NEXT: arith.index_castui
// CHECK-NEXT: llvm.inttoptr
// CHECK-NEXT: %[[PAIRS:.*]] = func.call @photon_tensor_map_pairs(%{{.*}}, %c96_i64, %c64_i64, %c6144_i64, %c16_i32, %c6_i32, %c32_i32) : (!llvm.ptr, i64, i64, i64, i32, i32, i32) -> !llvm.ptr
// CHECK: function(@photon_wgmma128x192_gate_up_96x64)
// CHECK-NOT: nvgpu.device_async_copy
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c20480_i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[PAIRS]], %{{.*}}, box[%c0_i32, %c0_i32, %c0_i32, %c0_i32]
// CHECK: %[[PAIRS64:.*]] = func.call @photon_tensor_map_pairs(%{{.*}}, %c96_i64, %c64_i64, %c6144_i64, %c16_i32, %c2_i32, %c32_i32)
// CHECK: function(@photon_wgmma128x64_gate_up_96x64)
// CHECK: %[[N0:.*]] = arith.muli %{{.*}}, %c64 : index
// CHECK: %[[GROUP:.*]] = arith.divui %[[N0]], %c32 : index
// CHECK: %[[GROUP32:.*]] = arith.index_castui %[[GROUP]] : index to i32
// CHECK-NEXT: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[PAIRS64]], %{{.*}}, box[%c0_i32, %c0_i32, %c0_i32, %[[GROUP32]]]
// The down projection (64 x 96, three K steps): the SwiGLU output's map, then down's.
// CHECK: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c96_i64, %c128_i32, %c32_i32)
// CHECK: func.call @photon_tensor_map_2d(%{{.*}}, %c64_i64, %c96_i64, %c64_i32, %c32_i32)
// CHECK: function(@photon_wgmma128x64_64x96)
// CHECK-LABEL: func.func private @photon_lm_head(
// The LM head's 16 outputs: one 16-wide tile (128 + 16 rows a step), and the 64-wide kernel's.
// CHECK: func.call @photon_tensor_map_2d(%{{.*}}, %c16_i64, %c64_i64, %c16_i32, %c32_i32)
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c9216_i32
// CHECK: func.call @photon_tensor_map_2d(%{{.*}}, %c16_i64, %c64_i64, %c64_i32, %c32_i32)
// CHECK: func.func private @photon_tensor_map_2d(!llvm.ptr, i64, i64, i32, i32) -> !llvm.ptr

// DEFAULT-NOT: photon_tensor_map
// DEFAULT: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c64_i64, %c192_i32, %c32_i32)
// DEFAULT: func.call @photon_tensor_map_pairs(%{{.*}}, %c96_i64, %c64_i64, %c6144_i64, %c16_i32, %c6_i32, %c32_i32)
// DEFAULT: in (%{{.*}} = %c384, {{.*}}function(@photon_wgmma192x192_gate_up_96x64)
// DEFAULT: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c64_i64, %c128_i32, %c32_i32)
// DEFAULT: func.call @photon_tensor_map_pairs(%{{.*}}, %c96_i64, %c64_i64, %c6144_i64, %c16_i32, %c6_i32, %c32_i32)
// DEFAULT: in (%{{.*}} = %c288, {{.*}}function(@photon_wgmma128x192_gate_up_96x64)
// DEFAULT-NOT: photon_tensor_map
// DEFAULT: function(@photon_wgmma128x64_gate_up_96x64)
// DEFAULT-NOT: photon_tensor_map_2d(%
// DEFAULT-NOT: photon_tensor_map_pairs(%

// OFF-NOT: photon_tensor_map_2d
// OFF-NOT: nvvm.mbarrier
// OFF-NOT: cp.async.bulk.tensor

// Q/K/V (one matrix, by TMA) and o: blocks of 288 threads.
// PRODUCER-LABEL: func.func private @photon_stack_shape0(
// PRODUCER: in (%{{.*}} = %c288, {{.*}}) dynamic_shared_memory_size %c98400_i32 {{.*}}function(@photon_wgmma128x128_qkv_rope_128x64)
// PRODUCER: in (%{{.*}} = %c288, {{.*}}) dynamic_shared_memory_size %c98400_i32 {{.*}}function(@photon_wgmma128x64_64x64)
// PRODUCER: %[[BASE:.*]] = arith.index_castui %{{.*}} : index to i64
// PRODUCER-NEXT: %[[BARRIERS:.*]] = arith.addi %[[BASE]], %c98304_i64 : i64
// PRODUCER-COUNT-6: nvvm.mbarrier.init %{{.*}}, %c1_i32
// PRODUCER-COUNT-6: nvvm.mbarrier.init %{{.*}}, %c2_i32
// PRODUCER-NEXT: nvvm.fence.mbarrier.init
// PRODUCER-NEXT: }
// PRODUCER-NEXT: gpu.barrier
// PRODUCER-NEXT: %[[M0:.*]] = arith.muli
// The roles branch on the warp's index shuffled from its lane 0: ptxas
// then knows the branch is warp-uniform and keeps the wgmma pipelined.
// PRODUCER-NEXT: %[[WARP:.*]] = arith.divui %[[TID:.*]], %c32 : index
// PRODUCER-NEXT: %[[WARP32:.*]] = arith.index_castui %[[WARP]] : index to i32
// PRODUCER-NEXT: %[[UNIFORM:.*]], %{{.*}} = gpu.shuffle idx %[[WARP32]], %c0_i32, %c32_i32 : i32
// PRODUCER-NEXT: %[[UNIFORMI:.*]] = arith.index_castui %[[UNIFORM]] : i32 to index
// PRODUCER-NEXT: %[[MMA:.*]] = arith.cmpi ult, %[[UNIFORMI]], %c8 : index
// PRODUCER-NEXT: scf.if %[[MMA]] {
// PRODUCER-NOT: cp.async.bulk.tensor
// PRODUCER: scf.for %[[KT:.*]] = %c0 to %c2 step %c1
// PRODUCER-NOT: gpu.barrier
// PRODUCER: nvvm.mbarrier.try_wait.parity
// PRODUCER-NOT: gpu.barrier
// PRODUCER: nvvm.wgmma.wait.group.sync.aligned 1
// PRODUCER-NEXT: %[[LATER:.*]] = arith.cmpi uge, %[[KT]], %c1 : index
// PRODUCER-NEXT: %[[IN:.*]] = arith.remui %[[TID]], %c128 : index
// PRODUCER-NEXT: %[[LEAD:.*]] = arith.cmpi eq, %[[IN]], %c0 : index
// PRODUCER-NEXT: %[[RELEASE:.*]] = arith.andi %[[LATER]], %[[LEAD]] : i1
// PRODUCER-NEXT: scf.if %[[RELEASE]] {
// PRODUCER-NEXT: %[[PREV:.*]] = arith.subi %[[KT]], %c1 : index
// PRODUCER-NEXT: %[[PSTAGE:.*]] = arith.remui %[[PREV]], %c6 : index
// PRODUCER-NEXT: %[[SECOND:.*]] = arith.addi %[[PSTAGE]], %c6 : index
// PRODUCER: nvvm.mbarrier.arrive %{{.*}} : !llvm.ptr<3>
// The staged epilogue (wgmma-staged-store) synchronizes the warpgroups on
// barrier 1 of their 256 threads: the producer warp has left. Its
// residuals are loaded after the staging (not before the last MMAs' wait,
// as without a producer warp: 9 warps leave too few registers).
// PRODUCER-NOT: vector<8xbf16>
// PRODUCER: nvvm.wgmma.wait.group.sync.aligned 0
// PRODUCER-NOT: gpu.barrier
// PRODUCER: nvvm.barrier id = %c1_i32 number_of_threads = %c256_i32
// PRODUCER-NEXT: memref.view {{.*}} to memref<9216xf32, #gpu.address_space<workgroup>>
// PRODUCER-NOT: gpu.barrier
// PRODUCER: nvvm.barrier id = %c1_i32 number_of_threads = %c256_i32
// PRODUCER-NOT: gpu.barrier
// PRODUCER: -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// PRODUCER: vector.load {{.*}} vector<8xbf16>
// PRODUCER: } else {
// PRODUCER: } else {
// PRODUCER-NOT: gpu.barrier
// PRODUCER: } else {
// PRODUCER-NEXT: %[[PRODUCER:.*]] = arith.cmpi eq, %[[TID]], %c256 : index
// PRODUCER-NEXT: scf.if %[[PRODUCER]] {
// PRODUCER-NEXT: scf.for %[[P:.*]] = %c0 to %c2 step %c1 {
// PRODUCER-NEXT: %[[REUSE:.*]] = arith.cmpi uge, %[[P]], %c6 : index
// PRODUCER-NEXT: scf.if %[[REUSE]] {
// PRODUCER: nvvm.mbarrier.try_wait.parity
// PRODUCER: }
// PRODUCER: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c12288_i32
// PRODUCER: nvvm.cp.async.bulk.tensor.shared.cluster.global
// PRODUCER: nvvm.cp.async.bulk.tensor.shared.cluster.global
// PRODUCER: gpu.terminator



// TALL-LABEL: func.func private @photon_stack_shape0(
// TALL-SAME: %[[IN:[^:]*]]: memref<?xbf16>, %{{[^:]*}}: memref<?xbf16>, %[[ROWS:[^:]*]]: index
// TALL: %[[TILES192:.*]] = arith.ceildivui %[[ROWS]], %c192 : index
// TALL-NEXT: %[[WAVES192:.*]] = arith.ceildivui %[[TILES192]], %c132 : index
// TALL-NEXT: %[[TIME192:.*]] = arith.muli %[[WAVES192]], %c544 : index
// TALL-NEXT: %[[TILES128:.*]] = arith.ceildivui %[[ROWS]], %c128 : index
// TALL-NEXT: %[[WAVES128:.*]] = arith.ceildivui %[[TILES128]], %c132 : index
// TALL-NEXT: %[[TIME128:.*]] = arith.muli %[[WAVES128]], %c512 : index
// TALL-NEXT: %[[PAYS:.*]] = arith.cmpi ult, %[[TIME192]], %[[TIME128]] : index
// TALL-NEXT: scf.if %[[PAYS]] {
// A's box is 192 rows; a stage takes (192 + 128) x 32 bf16 = 20480 bytes.
// TALL: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c64_i64, %c192_i32, %c32_i32)
// TALL: func.call @photon_tensor_map_2d(%{{.*}}, %c128_i64, %c64_i64, %c128_i32, %c32_i32)
// TALL-NEXT: %[[GRID:.*]] = arith.maxui %[[TILES192]], %c1 : index
// TALL-NEXT: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GRID]], {{.*}}) threads({{.*}}) in (%{{.*}} = %c384, {{.*}}) dynamic_shared_memory_size %c147552_i32 {{.*}}function(@photon_wgmma192x128_qkv_rope_128x64)
// TALL-NEXT: gpu.dynamic_shared_memory
// TALL-NEXT: memref.view {{.*}} to memref<2x6x192x32xbf16, #gpu.address_space<workgroup>>
// TALL-COUNT-6: nvvm.mbarrier.init %{{.*}}, %c1_i32
// TALL-NEXT: nvvm.fence.mbarrier.init
// TALL-NOT: nvvm.mbarrier.init
// TALL: arith.muli %{{.*}}, %c192 : index
// TALL: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c20480_i32
// TALL: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>
// The RoPE epilogue of 192 rows: the staged tile (192 x 136 floats), a
// table of 192 x 8 cos and sin pairs, then 192 cache entries and
// positions and the 8 inverse frequencies: 192 x (136 + 20) + 16 floats.
// TALL: memref.view {{.*}} to memref<29968xf32, #gpu.address_space<workgroup>>
// TALL: memref.view %{{.*}}[%c116736][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<192xi64, #gpu.address_space<workgroup>>
// TALL-NEXT: memref.view %{{.*}}[%c118272][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<192xf64, #gpu.address_space<workgroup>>
// TALL: } else {
// TALL: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c64_i64, %c128_i32, %c32_i32)
// TALL: in (%{{.*}} = %c288, {{.*}}) dynamic_shared_memory_size %c98400_i32 {{.*}}function(@photon_wgmma128x128_qkv_rope_128x64)

// FORCED-LABEL: func.func private @photon_stack_shape0(
// FORCED-NOT: function(@photon_wgmma128x128_qkv_rope
// FORCED: function(@photon_wgmma192x128_qkv_rope_128x64)
// FORCED-NOT: function(@photon_wgmma128x128_qkv_rope
// FORCED: function(@photon_wgmma192x64_64x64)

// BAD-ROWS: wgmma-tile-rows must be 0, 128 or 192, got 64
