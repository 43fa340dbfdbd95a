// wgmma (sm_90a; photon-to-nvvm turns it on for chip=sm_90a): the tile128
// tensor-core kernels multiply with warpgroup MMA. A block is two
// warpgroups (256 threads), each 64 rows of the 128-row tile; a K step of 32
// is two m64nNk16 wgmma.mma_async per warpgroup (four with an f32 input's hi
// and lo parts), their operands read from shared memory through matrix
// descriptors in the 64-byte swizzle mode: the stages are mma.sync's (64-byte
// rows, chunk c of row r at c ^ (r / 2) % 4). Every step waits for its copies, fences
// them for the async proxy and passes the barrier; the warpgroup issues its
// MMAs, then the copies of step kt + 4 and the register loads of an f32
// input of step kt + 5, then waits until only this step's MMAs are in
// flight and stores the f32 input of step kt + 4 loaded the step before, so
// 6 stages (wgmma-stages; 96 or 144 KB of dynamic shared memory) keep every
// stage refilled two steps after its last read. Without the option:
// mma.sync.
// Here each thread stores its own accumulators (wgmma-staged-store=false;
// convert-photon-kernel-to-gpu-wgmma-wide.mlir checks the default).
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-staged-store=false matmul-input-rounding=none' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=OFF
// The chip decides: wgmma exists on sm_90a only (lowering/TargetInfo.h).
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=chip=sm_80 wgmma=true' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=chip=sm_90 wgmma=true' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=chip=sm_90a wgmma=true' -canonicalize -cse | FileCheck %s --check-prefix=ROUND
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu=wgmma=true -canonicalize -cse | FileCheck %s --check-prefix=ROUND
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-k-step=64 wgmma-stages=3' -canonicalize -cse | FileCheck %s --check-prefix=K64
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-k-step=48' 2>&1 | FileCheck %s --check-prefix=BADK
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-stages=4' -canonicalize -cse | FileCheck %s --check-prefix=STAGES
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-stages=2' 2>&1 | FileCheck %s --check-prefix=BADS

// D 64, 4 heads of 16, 2 KV heads (K and V 32 wide), F 96: Q, K, V are 128
// columns, two 64-wide tiles; gate/up 3 tiles of 32 features.
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

// The o-projection (64 outputs of 64, an f32 input split into hi and lo):
// 6 stages (wgmma-stages) of A, W and A lo in 144 KB of dynamic shared
// memory.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK: gpu.launch blocks({{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c147456_i32 module(@photon_kernels) function(@photon_wgmma128x64_64x64) {
// CHECK-NEXT: %[[DYN:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[T:.*]] = memref.view %[[DYN]][%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<3x6x128x32xbf16, #gpu.address_space<workgroup>>
// A chunk's place in the stage: thread t, chunk t % 4 of row t / 4, at
// column (chunk ^ (row / 2) % 4) * 8.
// CHECK-NEXT: %[[M0:.*]] = arith.muli %{{.*}}, %c128 : index
// CHECK-NEXT: %[[SROW:.*]] = arith.divui %[[TID]], %c4 : index
// CHECK-NEXT: %[[CHUNK:.*]] = arith.remui %[[TID]], %c4 : index
// CHECK-NEXT: arith.muli %[[CHUNK]], %c8 : index
// CHECK-NEXT: %[[PAIR:.*]] = arith.divui %[[SROW]], %c2 : index
// CHECK-NEXT: %[[KEY:.*]] = arith.remui %[[PAIR]], %c4 : index
// CHECK-NEXT: %[[SWZ:.*]] = arith.xori %[[CHUNK]], %[[KEY]] : index
// CHECK-NEXT: %[[SCOL:.*]] = arith.muli %[[SWZ]], %c8 : index
// CHECK: nvgpu.device_async_copy %{{.*}}, %[[T]][%c1, %c0, %{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: vector.store %{{.*}}, %[[T]][%c0, %c0, %[[SROW]], %[[SCOL]]]
// CHECK-NEXT: vector.store %{{.*}}, %[[T]][%c2, %c0, %[[SROW]], %[[SCOL]]]
// The descriptor: shared address / 16, leading byte offset 1 (unused) at
// bit 16, stride byte offset 512 / 16 at bit 32, 64-byte swizzle (2) at bit
// 62: 2 << 62 | 32 << 32 | 1 << 16 as a signed i64.
// CHECK: %[[ADDR:.*]] = memref.extract_aligned_pointer_as_index %[[T]]
// CHECK-NEXT: %[[A64:.*]] = arith.index_castui %[[ADDR]] : index to i64
// CHECK-NEXT: %[[A18:.*]] = arith.andi %[[A64]], %c262143_i64 : i64
// CHECK-NEXT: %[[A16:.*]] = arith.shrui %[[A18]], %c4_i64 : i64
// CHECK-NEXT: %[[DESC:.*]] = arith.ori %[[A16]], %c-9223371899415756800_i64 : i64
// Warpgroup w's rows start 64 rows (4096 bytes) on.
// CHECK: %[[WG:.*]] = arith.divui %[[TID]], %c128 : index
// CHECK-NEXT: %[[WGROWS:.*]] = arith.muli %[[WG]], %c4096 : index
// The loop carries the f32 input's two chunks of step kt + 4 (loaded
// before it for step 4), each with whether it lies inside the rows and K.
// Step kt waits for its copies: all but the 3 newer groups.
// CHECK: scf.for %[[KT:.*]] = %c0 to %c2 step %c1 iter_args(%[[GRP:[^ ]*]] = %{{.*}}, %[[ACC:[^ ]*]] = %{{.*}}, %[[LA:[^ ]*]] = %{{.*}}, %[[INA:[^ ]*]] = %{{.*}}, %[[LB:[^ ]*]] = %{{.*}}, %[[INB:[^ ]*]] = %{{.*}}) -> (!nvgpu.device.async.token, !llvm.struct<(f32, {{.*}})>, vector<8xf32>, i1, vector<8xf32>, i1) {
// CHECK-NEXT: nvgpu.device_async_wait %[[GRP]] {numGroups = 3 : i32}
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: gpu.barrier
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: %[[D1:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[ACC]], <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK: %[[D2:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[D1]], <m = 64, n = 64, k = 16>
// The second k16 slice, 32 bytes on.
// CHECK: arith.addi %{{.*}}, %c32_i64 : i64
// CHECK: %[[D3:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[D2]], <m = 64, n = 64, k = 16>
// CHECK: %[[D4:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[D3]], <m = 64, n = 64, k = 16>
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// Step kt + 4: W by cp.async into stage (kt + 4) % 6; the f32 input of step
// kt + 5 loaded into registers; then (with this step's MMAs still in
// flight) the carried input of step kt + 4 stored as hi and lo.
// CHECK: %[[LATER:.*]] = arith.addi %[[KT]], %c4 : index
// CHECK-NEXT: %[[LSTAGE:.*]] = arith.remui %[[LATER]], %c6 : index
// CHECK: nvgpu.device_async_copy %{{.*}}, %[[T]][%c1, %[[LSTAGE]],
// CHECK-NEXT: %[[NEXT:.*]] = nvgpu.device_async_create_group
// CHECK: arith.addi %[[KT]], %c5 : index
// CHECK: vector.load %{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK: vector.load %{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK-NEXT: vector.shuffle
// CHECK: vector.load %{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK: vector.load %{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK-NEXT: vector.shuffle
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK-NEXT: %[[VA:.*]] = arith.select %[[INA]], %[[LA]], %{{.*}} : vector<8xf32>
// CHECK-NEXT: %[[HI:.*]] = arith.truncf %[[VA]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: %[[HIF:.*]] = arith.extf %[[HI]]
// CHECK-NEXT: %[[REST:.*]] = arith.subf %[[VA]], %[[HIF]]
// CHECK-NEXT: %[[LO:.*]] = arith.truncf %[[REST]]
// CHECK-NEXT: vector.store %[[HI]], %[[T]][%c0, %[[LSTAGE]],
// CHECK-NEXT: vector.store %[[LO]], %[[T]][%c2, %[[LSTAGE]],
// CHECK-NEXT: arith.select %[[INB]], %[[LB]], %{{.*}} : vector<8xf32>
// CHECK: scf.yield %[[NEXT]], %[[D4]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK-NEXT: }
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// Epilogue: warp w's 16 rows (m0 + 16w), 32 values as m16n8 tiles, added
// to the (bf16) residual: 16 values' residuals are loaded (an outside
// value's from element 0) before their guarded stores.
// CHECK: %[[V0:.*]] = llvm.extractvalue %{{.*}}[0]
// CHECK-COUNT-31: llvm.extractvalue
// CHECK: arith.muli %{{.*}}, %c16 : index
// CHECK: %[[IN0:.*]] = arith.andi
// CHECK: %[[AT0:.*]] = arith.select %[[IN0]], %[[O0:.*]], %c0 : index
// CHECK-NEXT: %[[R0:.*]] = memref.load %{{.*}}[%[[AT0]]] : memref<?xbf16>
// CHECK-NEXT: %[[R0F:.*]] = arith.extf %[[R0]]
// CHECK-COUNT-15: memref.load
// CHECK-NOT: memref.store
// CHECK: scf.if %[[IN0]] {
// CHECK-NEXT: %[[S0:.*]] = arith.addf %[[V0]], %[[R0F]] : f32
// CHECK-NEXT: %[[S0B:.*]] = arith.truncf %[[S0]] : f32 to bf16
// CHECK-NEXT: memref.store %[[S0B]], %{{.*}}[%[[O0]]]
// CHECK: gpu.terminator
// The LM head reads bf16 rows (cp.async for A too) over 16 outputs: a tile
// 16 wide (wgmma-tile-cols; W's rows 16..63 of a stage zero-filled).
// CHECK-LABEL: func.func private @photon_lm_head(
// CHECK: function(@photon_wgmma128x16_16x64)
// CHECK: scf.for
// CHECK-COUNT-2: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 16, k = 16>
// CHECK-NOT: nvvm.wgmma.mma_async
// CHECK: nvvm.wgmma.commit.group.sync.aligned

// OFF-NOT: wgmma
// OFF: function(@photon_mma128x64_64x64)
// OFF: nvvm.mma.sync
// OFF-NOT: wgmma

// matmul-input-rounding=gemm (the default): one MMA per k16 slice (6 stages, no lo part).
// ROUND-LABEL: func.func private @photon_stack_shape0(
// ROUND: dynamic_shared_memory_size %c98304_i32 module(@photon_kernels) function(@photon_wgmma128x64_64x64) {
// ROUND: memref.view %{{.*}} to memref<2x6x128x32xbf16, #gpu.address_space<workgroup>>
// ROUND: scf.for
// ROUND-COUNT-2: nvvm.wgmma.mma_async
// ROUND-NEXT: nvvm.wgmma.commit.group.sync.aligned

// wgmma-k-step=64: 128-byte stage rows (chunk c of row r at c ^ r % 8) in
// the 128-byte swizzle mode; with 3 stages (96 KB) the copies one step ahead;
// a step is four k16 slices. The down projection (K 96) takes two steps.
// K64-LABEL: func.func private @photon_stack_shape0(
// K64: threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c98304_i32 module(@photon_kernels) function(@photon_wgmma128x64_64x96) {
// K64-NEXT: %[[DYN:.*]] = gpu.dynamic_shared_memory
// K64-NEXT: %[[T:.*]] = memref.view %[[DYN]][%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x3x128x64xbf16, #gpu.address_space<workgroup>>
// K64-NEXT: arith.muli %{{.*}}, %c128 : index
// K64-NEXT: %[[SROW:.*]] = arith.divui %[[TID]], %c8 : index
// K64-NEXT: %[[CHUNK:.*]] = arith.remui %[[TID]], %c8 : index
// K64-NEXT: arith.muli %[[CHUNK]], %c8 : index
// K64-NEXT: %[[KEY:.*]] = arith.remui %[[SROW]], %c8 : index
// K64-NEXT: %[[SWZ:.*]] = arith.xori %[[CHUNK]], %[[KEY]] : index
// K64-NEXT: %[[SCOL:.*]] = arith.muli %[[SWZ]], %c8 : index
// K64: nvgpu.device_async_copy %{{.*}}, %[[T]][%c0, %c0, %[[SROW]], %[[SCOL]]], 8, %{{.*}} {bypassL1}
// The descriptor: 128-byte swizzle (1) at bit 62, stride byte offset
// 1024 / 16 at bit 32: 1 << 62 | 64 << 32 | 1 << 16.
// K64: arith.ori %{{.*}}, %c4611686293305360384_i64 : i64
// Warpgroup w's rows start 64 rows (8192 bytes) on.
// K64: %[[WG:.*]] = arith.divui %[[TID]], %c128 : index
// K64-NEXT: arith.muli %[[WG]], %c8192 : index
// K64: scf.for %[[KT:.*]] = %c0 to %c2 step %c1 iter_args(%[[GRP:[^ ]*]] = %{{.*}}, %[[ACC:[^ ]*]] = %{{.*}})
// K64-NEXT: nvgpu.device_async_wait %[[GRP]] {numGroups = 0 : i32}
// K64-NEXT: nvvm.fence.proxy
// K64-NEXT: gpu.barrier
// K64-NEXT: %[[STAGE:.*]] = arith.remui %[[KT]], %c3 : index
// K64: %[[D1:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[ACC]], <m = 64, n = 64, k = 16>
// K64: arith.addi %{{.*}}, %c32_i64 : i64
// K64: %[[D2:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[D1]]
// K64: arith.addi %{{.*}}, %c64_i64 : i64
// K64: %[[D3:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[D2]]
// K64: arith.addi %{{.*}}, %c96_i64 : i64
// K64: %[[D4:.*]] = nvvm.wgmma.mma_async %{{.*}}, %{{.*}}, %[[D3]]
// K64-NEXT: nvvm.wgmma.commit.group.sync.aligned
// K64-NEXT: %[[LATER:.*]] = arith.addi %[[KT]], %c1 : index
// K64-NEXT: %[[LSTAGE:.*]] = arith.remui %[[LATER]], %c3 : index
// K64-NEXT: %[[K0:.*]] = arith.muli %[[LATER]], %c64 : index
// K64: nvgpu.device_async_copy %{{.*}}, %[[T]][%c1, %[[LSTAGE]],
// K64: nvvm.wgmma.wait.group.sync.aligned 1
// K64-NEXT: scf.yield %{{.*}}, %[[D4]]

// BADK: convert-photon-kernel-to-gpu: wgmma-k-step must be 32 or 64, got 48

// wgmma-stages=4: four stages of K 32 in dynamic shared memory (2 x 4 x 128
// x 32 bf16), the copies two steps ahead (step kt waits for all but the
// newest group).
// STAGES-LABEL: func.func private @photon_stack_shape0(
// STAGES: dynamic_shared_memory_size %c65536_i32 module(@photon_kernels) function(@photon_wgmma128x64_64x96) {
// STAGES-NEXT: %[[DYN:.*]] = gpu.dynamic_shared_memory
// STAGES-NEXT: memref.view %[[DYN]][%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x4x128x32xbf16, #gpu.address_space<workgroup>>
// STAGES: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args(%[[GRP:[^ ]*]] = %{{.*}}, %{{.*}} = %{{.*}})
// STAGES-NEXT: nvgpu.device_async_wait %[[GRP]] {numGroups = 1 : i32}

// BADS: error: convert-photon-kernel-to-gpu: wgmma-stages must be 3 to 8, got 2
