// wgmma-tile-cols (default 208): on wgmma, a projection of up to 2048
// outputs (gate/up: 2F) splits them into ceil(M / wgmma-tile-cols) tiles of
// equal width, rounded up to 8 (PHOTON-600M's 1664 outputs: 8 tiles of 208). Here M = 200:
// one tile of 200, or two of 104 with wgmma-tile-cols=104. W's stage rows
// are the tile's width rounded up to the rows one copy pass of 256 threads
// covers (64 at K steps of 32): 256 rows, so every operand's stage is 256
// rows; rows past the tile (and past M) are zero-filled. The epilogue stores
// 32 columns a call and the remainder (200 = 6 x 32 + 8) in a last one.
// The host picks the wide kernel for calls of at least
// wgmma-wide-tile-min-rows rows, by default those whose grid of wide tiles
// covers 3/4 of the multiprocessors (here 99 row tiles of 128: 12672 rows);
// smaller calls take the 64-wide kernel.
// Each thread stores its own accumulators here (wgmma-staged-store=false;
// STAGED below has the default). The tiles come by cp.async here
// (wgmma-tma=false); by default those at
// least 192 wide (wgmma-tma-min-tile-cols) come by TMA, so the o projection's
// 200-wide kernel reads maps of its input and weights (and 96 more bytes of
// shared memory: its 6 stages' two mbarriers each, for the producer warp),
// its 64-wide kernel none, and the 160- and 120-wide Q/K/V kernels none
// either.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-tma=false wgmma-staged-store=false' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu=wgmma=true -canonicalize -cse | FileCheck %s --check-prefix=TMA
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-tile-cols=104 wgmma-wide-tile-min-rows=256' -canonicalize -cse | FileCheck %s --check-prefix=T104
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true fuse-qkv-rope-gemm=false' -canonicalize -cse | FileCheck %s --check-prefix=QKV
// Stages that would not fit in shared memory (hi and lo parts of an f32
// input, K 64: even the fewest stages, 3 x 3 x 256 x 128 bytes) keep the
// 64-wide tiles, with as many stages as fit (4).
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-k-step=64 matmul-input-rounding=none' -canonicalize -cse | FileCheck %s --check-prefix=FIT
// Without wgmma the option does nothing: mma.sync's 64-wide tiles.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=MMA
// wgmma-wide-tile-max-outputs (default 2048): wider projections (LM heads,
// gate/up) take tiles of at most wgmma-wide-output-tile-cols (default 256)
// instead. With 100 and 120: Q/K/V's 280 outputs without the RoPE epilogue
// 3 tiles of 96, o's 200 two of 104, gate/up's 128 two of 64 (in units of
// 32: the narrow kernel).
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-wide-tile-max-outputs=100 wgmma-wide-output-tile-cols=120 fuse-qkv-rope-gemm=false' -canonicalize -cse | FileCheck %s --check-prefix=MAXOUT
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-tma=false' -canonicalize -cse | FileCheck %s --check-prefix=STAGED
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-tile-cols=100' 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-tile-cols=264' 2>&1 | FileCheck %s --check-prefix=BAD264
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-wide-tile-min-rows=-1' 2>&1 | FileCheck %s --check-prefix=BADROWS
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-wide-tile-max-outputs=0' 2>&1 | FileCheck %s --check-prefix=BADMAX
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-wide-output-tile-cols=260' 2>&1 | FileCheck %s --check-prefix=BADOUT

photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 200, layers = 1, n_heads = 5, n_kv_heads = 1, ffn_dim = 64, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<16x200xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<200xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<200x200xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<40x200xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<40x200xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<200x200xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<200xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<64x200xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<64x200xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<200x64xbf16>
  photon.param @model.norm.weight : tensor<200xbf16>
  photon.param @lm_head.weight : tensor<16x200xbf16>
}

// Q, K and V as one GEMM (280 outputs, 7 heads of 40) with RoPE and the
// cache write in its epilogue (convert-photon-kernel-to-gpu-wgmma-rope.mlir):
// tiles of whole heads, 2 of 160 from 50 row tiles, else 3 of 120.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK: %[[QWIDE:.*]] = arith.cmpi uge, %{{.*}}, %c6400 : index
// CHECK-NEXT: scf.if %[[QWIDE]] {
// CHECK: function(@photon_wgmma128x160_qkv_rope_280x200)
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 160, k = 16>
// CHECK: } else {
// CHECK: function(@photon_wgmma128x120_qkv_rope_280x200)
// Without that epilogue: 2 tiles of 144.
// QKV-LABEL: func.func private @photon_stack_shape0(
// QKV: %[[QWIDE:.*]] = arith.cmpi uge, %{{.*}}, %c6400 : index
// QKV-NEXT: scf.if %[[QWIDE]] {
// QKV: function(@photon_wgmma128x144_qkv_280x200)
// QKV: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 144, k = 16>
// QKV: } else {
// QKV: function(@photon_wgmma128x64_qkv_280x200)
// The o-projection (200 outputs of 200): one column tile, 6 stages of
// [A, W] x 256 rows x 32 in 192 KB.
// CHECK: %[[WIDE:.*]] = arith.cmpi uge, %[[ROWS:.*]], %c12672 : index
// CHECK-NEXT: scf.if %[[WIDE]] {
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c1, {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c196608_i32 module(@photon_kernels) function(@photon_wgmma128x200_200x200) {
// CHECK-NEXT: gpu.dynamic_shared_memory
// CHECK-NEXT: %[[T:.*]] = memref.view %{{.*}} to memref<2x6x256x32xbf16, #gpu.address_space<workgroup>>
// CHECK-NEXT: arith.muli
// CHECK-NEXT: %[[ROW0:.*]] = arith.divui %[[TID]], %c4 : index
// W: four 16-byte chunks a thread and step, rows tid / 4 + 64 p; a chunk
// is inside where its output (the row: one tile) is below 200 and its K too.
// CHECK: %[[WROW:.*]] = arith.cmpi ult, %[[ROW0]], %c200 : index
// CHECK-NEXT: %[[WIN:.*]] = arith.andi %[[WROW]], %{{.*}} : i1
// CHECK: %[[WN:.*]] = arith.select %[[WIN]], %c8, %c0 : index
// CHECK-NEXT: nvgpu.device_async_copy %{{.*}}, %[[T]][%c1, %c0, %{{.*}}, %{{.*}}], 8, %[[WN]] {bypassL1}
// CHECK-COUNT-3: nvgpu.device_async_copy %{{.*}}, %[[T]][%c1, %c0,
// The descriptors' stage stride: 256 rows of 64 bytes.
// CHECK: scf.for
// CHECK: arith.muli %{{.*}}, %c16384_i64 : i64
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 200, k = 16>
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 200, k = 16>
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-COUNT-100: llvm.extractvalue
// CHECK-NOT: llvm.extractvalue
// The last call: n8 block 24 (columns 192..199), the 4 last accumulators.
// CHECK: %[[C:.*]] = arith.addi %{{.*}}, %c192 : index
// CHECK-NEXT: arith.cmpi ult, %[[C]], %c200 : index
// CHECK: gpu.terminator
// CHECK: } else {
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c4, {{.*}}) {{.*}} dynamic_shared_memory_size %c98304_i32 module(@photon_kernels) function(@photon_wgmma128x64_200x200) {
// Gate/up as a projection of 2F = 128 outputs, in units of a warp's 32
// columns (16 features' gate, then their up): one 128-wide tile from as
// many rows, else two 64-wide ones.
// CHECK: %[[GWIDE:.*]] = arith.cmpi uge, %{{.*}}, %c12672 : index
// CHECK-NEXT: scf.if %[[GWIDE]] {
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c1, {{.*}}) {{.*}} function(@photon_wgmma128x128_gate_up_64x200) {
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>
// CHECK: } else {
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c2, {{.*}}) {{.*}} function(@photon_wgmma128x64_gate_up_64x200) {

// T104-LABEL: func.func private @photon_stack_shape0(
// T104: arith.cmpi uge, %{{.*}}, %c256 : index
// T104: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c2, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c98304_i32 module(@photon_kernels) function(@photon_wgmma128x104_200x200) {
// T104: memref.view %{{.*}} to memref<2x6x128x32xbf16, #gpu.address_space<workgroup>>
// T104: %[[N0:.*]] = arith.muli %{{.*}}, %c104 : index
// W rows 104..127 of the stage are past the tile: zero-filled, though
// the first tile's output n0 + row is below 200.
// T104: %[[ROW:.*]] = arith.divui %{{.*}}, %c4 : index
// T104: %[[N:.*]] = arith.addi %[[N0]], %[[ROW]] : index
// T104-NEXT: %[[NIN:.*]] = arith.cmpi ult, %[[N]], %c200 : index
// T104: %[[INK:.*]] = arith.andi %[[NIN]], %{{.*}} : i1
// T104-NEXT: %[[INT:.*]] = arith.cmpi ult, %[[ROW]], %c104 : index
// T104-NEXT: %[[IN:.*]] = arith.andi %[[INK]], %[[INT]] : i1
// T104: arith.select %[[IN]], %c8, %c0 : index
// T104: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 104, k = 16>
// T104: nvvm.wgmma.wait.group.sync.aligned 0
// T104-COUNT-52: llvm.extractvalue
// T104-NOT: llvm.extractvalue
// T104: gpu.terminator
// T104: } else {
// T104: function(@photon_wgmma128x64_200x200)

// FIT: function(@photon_wgmma128x64_200x200)
// FIT: memref<3x4x128x64xbf16, #gpu.address_space<workgroup>>

// MAXOUT: function(@photon_wgmma128x96_qkv_280x200)
// MAXOUT: function(@photon_wgmma128x64_qkv_280x200)
// MAXOUT: %[[WIDE:.*]] = arith.cmpi uge, %{{.*}}, %c6400 : index
// MAXOUT-NEXT: scf.if %[[WIDE]] {
// MAXOUT: function(@photon_wgmma128x104_200x200)
// MAXOUT: function(@photon_wgmma128x64_200x200)
// MAXOUT-NOT: function(@photon_wgmma128x{{[0-9]+}}_gate_up
// MAXOUT: function(@photon_wgmma128x64_gate_up_64x200)
// MAXOUT-NOT: function(@photon_wgmma128x{{[0-9]+}}_gate_up

// MMA-NOT: wgmma
// MMA: function(@photon_mma128x64_200x200)

// BAD: convert-photon-kernel-to-gpu: wgmma-tile-cols must be a multiple of 8 from 64 to 256, got 100
// BAD264: convert-photon-kernel-to-gpu: wgmma-tile-cols must be a multiple of 8 from 64 to 256, got 264
// BADMAX: convert-photon-kernel-to-gpu: wgmma-wide-tile-max-outputs must be positive, got 0
// BADOUT: convert-photon-kernel-to-gpu: wgmma-wide-output-tile-cols must be a multiple of 8 from 64 to 256, got 260
// BADROWS: convert-photon-kernel-to-gpu: wgmma-wide-tile-min-rows must not be negative, got -1

// TMA-LABEL: func.func private @photon_stack_shape0(
// TMA-NOT: photon_tensor_map_2d
// TMA: function(@photon_wgmma128x160_qkv_rope_280x200)
// TMA-NOT: photon_tensor_map_2d
// TMA: function(@photon_wgmma128x120_qkv_rope_280x200)
// TMA: %[[WIDE:.*]] = arith.cmpi uge, %{{.*}}, %c12672 : index
// TMA-NEXT: scf.if %[[WIDE]] {
// TMA: func.call @photon_tensor_map_2d(%{{.*}}, %{{.*}}, %c200_i64, %c128_i32, %c32_i32)
// TMA: func.call @photon_tensor_map_2d(%{{.*}}, %c200_i64, %c200_i64, %c200_i32, %c32_i32)
// TMA: in (%{{.*}} = %c288, {{.*}}) dynamic_shared_memory_size %c196704_i32 module(@photon_kernels) function(@photon_wgmma128x200_200x200)
// TMA-NOT: photon_tensor_map_2d
// TMA: function(@photon_wgmma128x64_200x200)

// wgmma-staged-store (the default): o's 200-wide tile is staged in shared
// memory (the stages' bytes) as f32 rows of 200, each thread storing pairs;
// then the block takes 25 runs of 8 columns a row, 3200 runs in 13 trips of
// 256 threads (the last partly past them). Where x is 16-byte aligned, a
// thread loads its 13 runs' residuals (one 16-byte vector each) right
// after the K loop, before it waits for the last MMAs, and stores the runs
// after the staging; else it goes element by element.
// STAGED-LABEL: func.func private @photon_stack_shape0(
// STAGED: function(@photon_wgmma128x200_200x200)
// STAGED: %[[RES:.*]]:13 = scf.if %[[ALIGNED:.*]] -> (vector<8xf32>,
// STAGED: arith.cmpi ult, %{{.*}}, %c3200 : index
// STAGED-COUNT-13: vector.load %[[X:.*]][{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// STAGED: } else {
// STAGED-NEXT: scf.yield %[[ZERO:.*]], %[[ZERO]], {{.*}} : vector<8xf32>,
// STAGED-NEXT: }
// STAGED-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// STAGED: %[[TILE:.*]] = memref.view {{.*}} to memref<25600xf32, #gpu.address_space<workgroup>>
// STAGED-COUNT-50: vector.store {{.*}}, %[[TILE]][{{.*}}] {alignment = 8 : i64} {{.*}}, vector<2xf32>
// STAGED-NEXT: gpu.barrier
// STAGED-NEXT: scf.if %[[ALIGNED]] {
// STAGED-NOT: vector.load %[[X]]
// STAGED: arith.addf %{{.*}}, %[[RES]]#0 : vector<8xf32>
// STAGED: vector.store {{.*}}, %[[X]][{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// STAGED-COUNT-12: vector.store {{.*}}, %[[X]][{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// STAGED-NOT: vector.load %[[X]]
// STAGED: } else {
// STAGED: scf.for %{{.*}} = %c0 to %c13 step %c1 {
// STAGED: scf.for %{{.*}} = %c0 to %c8 step %c1 {
// STAGED: memref.load %[[TILE]]
// STAGED: gpu.terminator
// The 64-wide kernel's tile: 128 rows of 72 floats (stagedStride).
// STAGED: function(@photon_wgmma128x64_200x200)
// STAGED: memref.view {{.*}} to memref<9216xf32, #gpu.address_space<workgroup>>
// Gate/up's 128-wide tile (16 features' gate, then their up, per 32
// columns): 8 runs of 8 features a row, 1024 runs in 4 trips; run k reads
// gate columns 32 (k / 2) + 8 (k % 2) and up 16 on, and stores
// silu(gate) * up as one vector where the output is aligned.
// STAGED: function(@photon_wgmma128x128_gate_up_64x200)
// STAGED: %[[GTILE:.*]] = memref.view {{.*}} to memref<17408xf32, #gpu.address_space<workgroup>>
// STAGED: gpu.barrier
// STAGED-NEXT: scf.if %{{.*}} {
// STAGED: %[[K:.*]] = arith.remui %{{.*}}, %c8 : index
// STAGED: %[[PAIR:.*]] = arith.divui %[[K]], %c2 : index
// STAGED-NEXT: %[[GROUP:.*]] = arith.muli %[[PAIR]], %c32 : index
// STAGED: %[[GATE:.*]] = vector.load %[[GTILE]][%{{.*}}] {alignment = 16 : i64} {{.*}}, vector<4xf32>
// STAGED: %[[UPAT:.*]] = arith.addi %{{.*}}, %c16 : index
// STAGED-NEXT: %[[UP:.*]] = vector.load %[[GTILE]][%[[UPAT]]] {alignment = 16 : i64} {{.*}}, vector<4xf32>
// STAGED: %[[G0:.*]] = vector.extract %[[GATE]][0] : f32 from vector<4xf32>
// STAGED-NEXT: arith.negf %[[G0]] : f32
// STAGED-NEXT: math.exp
// STAGED-COUNT-4: vector.store %{{.*}} {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// STAGED: } else {
