// With bf16 weights and activations, GPU projections over enough rows run on
// tensor cores: cp.async into shared-memory stages, ldmatrix fragments,
// mma.sync m16n8k16 with f32 accumulators. Fewer rows, a misaligned buffer,
// f32 activations, the CPU or tensor-core-min-rows=0 keep the warp-per-output
// kernel. (gemv-max-rows=0: the GEMV for few rows, tested in
// convert-photon-kernel-to-gpu-gemv.mlir, would come first.) tensor-core-kernel picks the
// 128-row-tile kernel, 128 (tile128x128) or 64 outputs wide (the default tile128
// for projections this narrow), or the earlier 64x64 one (TILE64);
// matmul-input-rounding: the default (gemm) rounds f32 inputs to bf16 instead
// of splitting them into hi + lo (ROUND; none splits them), all on the CPU too
// (ROUNDCPU). (OFF with bf16 also turns
// off the tiled prefill attention, which has tensor cores of its own.)
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0 tensor-core-kernel=tile128x128 matmul-input-rounding=none' -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0 matmul-input-rounding=none' -cse | FileCheck %s --check-prefix=AUTO
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0 tensor-core-kernel=tile128x64 matmul-input-rounding=none' -cse | FileCheck %s --check-prefix=AUTO
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0 tensor-core-kernel=tile64 matmul-input-rounding=none' -cse | FileCheck %s --check-prefix=TILE64
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0' -cse | FileCheck %s --check-prefixes=ROUND,NOSPLIT
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0 tensor-core-kernel=tile64 matmul-input-rounding=all' -cse | FileCheck %s --check-prefix=NOSPLIT
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-scf=matmul-input-rounding=all' | FileCheck %s --check-prefix=ROUNDCPU
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tensor-core-min-rows=0 tiled-attention=false' | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-max-rows=0 programmatic-launch=true' -photon-programmatic-launch -cse | FileCheck %s --check-prefix=PDL
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tensor-core-min-rows=-1' 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tensor-core-kernel=tile256' 2>&1 | FileCheck %s --check-prefix=BADKERNEL
// RUN: not photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=matmul-input-rounding=some' 2>&1 | FileCheck %s --check-prefix=BADROUNDING
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf | FileCheck %s --check-prefix=OFF

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

// The stack's projections read the f32 scratch: 16-byte vector loads into
// registers, split into bf16 hi and lo parts (a third operand, so two stages
// fill the 48 KB) stored to shared memory, weights through cp.async; each
// weight fragment meets both parts. One shared buffer holds
// [operand: hi, W, lo][stage][128 rows][32 columns].
// CHECK-LABEL: func.func private @photon_stack_model(
// CHECK-SAME: %[[SW2:[^:]*]]: memref<?xbf16>
// CHECK: scf.if
// CHECK: gpu.launch {{.*}} workgroup(%[[T:[^ ]*]] : memref<3x2x128x32xbf16, #gpu.address_space<workgroup>>) {
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: nvgpu.device_async_copy %[[SW2]]
// CHECK: nvgpu.device_async_create_group
// Rows past `rows` and columns past K as zeros, when the chunk is stored.
// CHECK: %[[V:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NEXT: %[[H:.*]] = arith.truncf %[[V]] : vector<8xf32> to vector<8xbf16>
// CHECK: %[[HF:.*]] = arith.extf %[[H]] : vector<8xbf16> to vector<8xf32>
// CHECK: %[[R:.*]] = arith.subf %[[V]], %[[HF]] : vector<8xf32>
// CHECK: %[[L:.*]] = arith.truncf %[[R]] : vector<8xf32> to vector<8xbf16>
// CHECK: vector.store %[[H]], %[[T]][%c0, {{.*}}] {alignment = 16 : i64}
// CHECK: vector.store %[[L]], %[[T]][%c2, {{.*}}] {alignment = 16 : i64}
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK: %[[AHI:.*]] = nvgpu.ldmatrix %[[T]][%c0,
// CHECK: %[[ALO:.*]] = nvgpu.ldmatrix %[[T]][%c2,
// CHECK: %[[D:.*]] = nvvm.mma.sync
// CHECK: llvm.extractvalue %[[D]][0]
// CHECK: nvvm.mma.sync
// The next step's f32 loads are stored after the MMAs.
// CHECK: vector.store %{{.*}}, %[[T]][%c0,
// CHECK: scf.yield

// The LM head reads bf16 activations: both operands go through cp.async, and
// the host checks their alignment before it picks the tensor-core kernel.
// CHECK-LABEL: func.func private @photon_lm_head(
// CHECK-SAME: %[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[LOGITS:.*]]: memref<?xf32>)
// CHECK: %[[ENOUGH:.*]] = arith.cmpi uge, %[[N]], %c16
// CHECK: memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: scf.if
// Row tiles of 128 are the grid's fastest dimension, 128 outputs per tile.
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[N]], %c128
// CHECK: %[[GX:.*]] = arith.maxui %[[TILES]], %c1
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GX]], {{.*}} = %c1, {{.*}} = %c1) threads({{.*}}) in ({{.*}} = %c256, {{.*}} = %c1, {{.*}} = %c1) module(@photon_kernels) function(@photon_mma128x128_16x16) workgroup(%[[T:[^ ]*]] : memref<2x3x128x32xbf16, #gpu.address_space<workgroup>>) {
// Each thread's chunks land XOR-swizzled by (row / 2) % 4.
// CHECK: %[[PAIR:.*]] = arith.divui %{{.*}}, %c2
// CHECK-NEXT: %[[KEY:.*]] = arith.remui %[[PAIR]], %c4
// CHECK: arith.xori %{{.*}}, %[[KEY]]
// Prologue: steps 0 and 1 in flight, one group each (2 chunks of x and W).
// CHECK: nvgpu.device_async_copy %[[X]][%{{.*}}], %[[T]][%c0, %{{.*}}, %{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: nvgpu.device_async_copy %[[X]]
// CHECK: nvgpu.device_async_copy %[[W]][%{{.*}}], %[[T]][%c1, %{{.*}}, %{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: nvgpu.device_async_copy %[[W]]
// CHECK-NEXT: nvgpu.device_async_create_group
// CHECK-COUNT-4: nvgpu.device_async_copy
// CHECK-NEXT: %[[G1:.*]] = nvgpu.device_async_create_group
// CHECK: scf.for {{.*}} iter_args(%[[TOKEN:[^ ]*]] = %[[G1]], {{.*}} -> (!nvgpu.device.async.token, f32,
// Step k waits for its group with the newer one still pending.
// CHECK-NEXT: nvgpu.device_async_wait %[[TOKEN]] {numGroups = 1 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK-COUNT-4: nvgpu.device_async_copy
// CHECK-NEXT: %[[NEXT:.*]] = nvgpu.device_async_create_group
// Per 16 of K: 4 ldmatrix.x4 of x, 2 of W, 16 MMAs; K steps of 32.
// CHECK-COUNT-4: nvgpu.ldmatrix %[[T]][%c0, {{.*}}] {numTiles = 4 : i32, transpose = false} : memref<2x3x128x32xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK-COUNT-2: nvgpu.ldmatrix %[[T]][%c1,
// CHECK-COUNT-16: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK-COUNT-4: nvgpu.ldmatrix %[[T]][%c0,
// CHECK-COUNT-2: nvgpu.ldmatrix %[[T]][%c1,
// CHECK-COUNT-16: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK-NOT: gpu.barrier
// CHECK: scf.yield %[[NEXT]],
// The epilogue: row and column bounds, f32 logits.
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]]
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// CHECK: } else {
// CHECK: gpu.launch
// CHECK: gpu.shuffle xor

// 64 outputs a tile: 4 warps (each still 64x32), 4 chunks of x and 2 of W
// per thread and step, the grid over 16 outputs one tile wide.
// AUTO-LABEL: func.func private @photon_lm_head(
// AUTO: %[[TILES:.*]] = arith.ceildivui %{{.*}}, %c128
// AUTO: %[[GX:.*]] = arith.maxui %[[TILES]], %c1
// AUTO: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GX]], {{.*}} = %c1, {{.*}} = %c1) threads({{.*}}) in ({{.*}} = %c128, {{.*}} = %c1, {{.*}} = %c1) module(@photon_kernels) function(@photon_mma128x64_16x16) workgroup(%[[T:[^ ]*]] : memref<2x3x128x32xbf16, #gpu.address_space<workgroup>>) {
// AUTO: scf.for
// AUTO-NEXT: nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// AUTO-NEXT: gpu.barrier
// AUTO-COUNT-4: nvgpu.device_async_copy %{{.*}}, %[[T]][%c0,
// AUTO-COUNT-2: nvgpu.device_async_copy %{{.*}}, %[[T]][%c1,
// AUTO-NEXT: nvgpu.device_async_create_group
// AUTO-COUNT-4: nvgpu.ldmatrix %[[T]][%c0,
// AUTO-COUNT-2: nvgpu.ldmatrix %[[T]][%c1,
// AUTO-COUNT-16: nvvm.mma.sync
// AUTO: scf.yield

// matmul-input-rounding=gemm or all: the stack's f32 inputs are rounded once, three stages
// of two buffers, one MMA per fragment pair.
// ROUND-LABEL: func.func private @photon_stack_model(
// ROUND: gpu.launch {{.*}} workgroup(%[[A:[^ ]*]] : memref<2x3x128x32xbf16, #gpu.address_space<workgroup>>) {
// ROUND: %[[V:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
// ROUND: %[[H:.*]] = arith.truncf %[[V]] : vector<8xf32> to vector<8xbf16>
// ROUND-NEXT: vector.store %[[H]], %[[A]]
// ROUND: nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// ROUND: nvgpu.ldmatrix %[[A]]
// ROUND-COUNT-16: nvvm.mma.sync
// ROUND-NEXT: llvm.extractvalue
// ROUND-NEXT: llvm.extractvalue
// ROUND-NEXT: llvm.extractvalue
// ROUND-NEXT: llvm.extractvalue
// ROUND-NEXT: arith.addi
// NOSPLIT-NOT: arith.subf {{.*}} : vector<8xf32>
// NOSPLIT-NOT: memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %{{[^ ]*}} : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %{{[^ ]*}} : memref<2x64x40xbf16
// NOSPLIT-NOT: memref<3x2x128x32xbf16

// On the CPU the warp kernels round the same inputs (bf16 and back).
// ROUNDCPU-LABEL: func.func private @photon_stack_model(
// ROUNDCPU: %[[XB:.*]] = arith.truncf %{{.*}} : f32 to bf16
// ROUNDCPU-NEXT: arith.extf %[[XB]] : bf16 to f32
// ROUNDCPU-LABEL: func.func private @photon_lm_head(

// OFF-NOT: nvgpu.
// OFF-NOT: nvvm.mma.sync

// NEGATIVE: tensor-core-min-rows must not be negative, got -1
// BADKERNEL: for the --tensor-core-kernel option: Cannot find option named 'tile256'!
// BADROUNDING: for the --matmul-input-rounding option: Cannot find option named 'some'!

// The earlier 64x64-tile kernel (tensor-core-kernel=tile64).
// In the stack the projections read the f32 scratch: each value is split into
// bf16 hi and lo parts on its way to shared memory (a third stage buffer), and
// only the weights use cp.async; both parts meet the same weight fragment.
// TILE64-LABEL: func.func private @photon_stack_model(
// TILE64-SAME: %[[SW2:[^:]*]]: memref<?xbf16>
// TILE64: scf.if
// TILE64: gpu.launch {{.*}} workgroup(%[[HI:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %{{[^ ]*}} : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %[[LO:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>) {
// TILE64: %[[V:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// TILE64: %[[H:.*]] = arith.truncf %[[V]] : f32 to bf16
// TILE64: %[[HF:.*]] = arith.extf %[[H]] : bf16 to f32
// TILE64: %[[R:.*]] = arith.subf %[[V]], %[[HF]] : f32
// TILE64: %[[L:.*]] = arith.truncf %[[R]] : f32 to bf16
// TILE64: memref.store %[[H]], %[[HI]]
// TILE64: memref.store %[[L]], %[[LO]]
// TILE64: nvgpu.device_async_copy %[[SW2]]
// TILE64: %[[AHI:.*]] = nvgpu.ldmatrix %[[HI]]
// TILE64: %[[ALO:.*]] = nvgpu.ldmatrix %[[LO]]
// TILE64: %[[D:.*]] = nvvm.mma.sync
// TILE64: llvm.extractvalue %[[D]][0]
// TILE64: nvvm.mma.sync


// The LM head reads bf16 activations: both operands go through cp.async, and
// the host checks their alignment before it picks the tensor-core kernel.
// TILE64-LABEL: func.func private @photon_lm_head(
// TILE64-SAME: %[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[LOGITS:.*]]: memref<?xf32>)
// TILE64: %[[ENOUGH:.*]] = arith.cmpi uge, %[[N]], %c16
// TILE64: memref.extract_aligned_pointer_as_index %[[W]]
// TILE64: memref.extract_aligned_pointer_as_index %[[X]]
// TILE64: scf.if
// TILE64: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128{{.*}}) workgroup(%[[SX:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %[[SW:[^ ]*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>) {
// TILE64: nvgpu.device_async_copy %[[X]][%{{.*}}], %[[SX]][%{{.*}}, %{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// TILE64: nvgpu.device_async_copy %[[W]][%{{.*}}], %[[SW]][%{{.*}}, %{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1}
// TILE64: nvgpu.device_async_create_group
// TILE64: scf.for {{.*}} -> (f32, f32,
// TILE64: %[[GROUP:.*]] = nvgpu.device_async_create_group
// TILE64: nvgpu.device_async_wait %[[GROUP]] {numGroups = 1 : i32}
// TILE64: gpu.barrier
// TILE64: nvgpu.ldmatrix %[[SX]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<2x64x40xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// TILE64: nvgpu.ldmatrix %[[SW]]
// TILE64: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// TILE64: gpu.barrier
// TILE64: scf.yield
// The epilogue: row and column bounds, f32 logits.
// TILE64: arith.cmpi ult, %{{.*}}, %[[N]]
// TILE64: memref.store %{{.*}}, %[[LOGITS]]
// TILE64: } else {
// TILE64: gpu.launch
// TILE64: gpu.shuffle xor

// Programmatic launch: a tensor-core GEMM fills the card, so it waits for the
// previous grid first and lets the next be scheduled only at its end.
// PDL-LABEL: func.func private @photon_lm_head(
// PDL: function(@photon_mma128x
// PDL-NEXT: nvvm.griddepcontrol wait
// PDL-NOT: nvvm.griddepcontrol
// PDL: nvvm.griddepcontrol launch_dependents
// PDL-NEXT: gpu.terminator
// PDL-NEXT: } {photon.launch_dependents_at_end}
