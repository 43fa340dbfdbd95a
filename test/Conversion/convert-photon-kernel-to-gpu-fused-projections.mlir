// At decode (1 to gemv-max-rows rows) on the GPU, the projections of a layer
// that share an input are one GEMV kernel each: Q, K and V (fuse-qkv), whose
// warps pick their weight matrix by output range, and gate + up + SwiGLU
// (fuse-gate-up), whose warps read a row of both and store silu(gate) · up.
// Both read the layer's raw rows: the RMSNorm in front of them is the GEMV's
// prologue (fuse-norm). The wider fallbacks (and the options off) keep a norm
// kernel and one kernel per projection.
// (gemv-bulk-max-warp-rows=0: the one-row GEMVs load into registers; their bulk
// copies are convert-photon-kernel-to-gpu-gemv-bulk.mlir's.)
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel '-photon-kernel-fusion=fuse-norm=false' '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0' -canonicalize -cse | FileCheck %s --check-prefix=NONORM
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel '-photon-kernel-fusion=fuse-qkv=false fuse-gate-up=false' '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 gemv-max-rows=0' -canonicalize -cse | FileCheck %s --check-prefix=NOGEMV
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-bulk-max-warp-rows=0 fuse-qkv-rope=false' -canonicalize -cse | FileCheck %s --check-prefix=NOROPE

// D 64, 4 heads of 16, 2 KV heads (K and V 32 wide), F 96; f32 weights.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 64, layers = 1, n_heads = 4, n_kv_heads = 2, ffn_dim = 96, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// Q, K, V: 64 + 32 + 32 = 128 outputs. RoPE and the K/V cache write are the
// epilogue (fuse-qkv-rope), so a warp computes two outputs: in Q and K a pair
// (j, j + 8) of a head's halves (head_dim 16), in V two neighbours; 32 + 16 +
// 16 warps, 4 a block. The warp's range selects its first warp and weight
// matrix, so one loop body serves the three; only the store branches by range.
// One kernel per bucket of rows (1, 4, 8, 16), and the three matrices' 16-byte
// alignment is checked on the host.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xf32>, %[[X:[^:]*]]: memref<?xf32>, %[[ROWS:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %[[SEQ:[^:]*]]: memref<?xi32>, %[[KC:[^:]*]]: memref<?xf32>, %[[VC:[^:]*]]: memref<?xf32>, {{.*}}, %[[S:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: index, %[[BASE:[^:]*]]: index)
// CHECK-NOT: function(@photon_rmsnorm_64)
// CHECK: %[[KW:.*]] = arith.addi %[[BASE]], %c4096 : index
// CHECK-NEXT: %[[VW:.*]] = arith.addi %[[BASE]], %c6144 : index
// CHECK-NOT: function(@photon_rmsnorm_64)
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c16, {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_qkv_norm_r1_128x64)
// CHECK: %[[WARP:.*]] = arith.addi
// CHECK-NEXT: %[[PASTQ:.*]] = arith.cmpi uge, %[[WARP]], %c32 : index
// CHECK-NEXT: %[[PASTK:.*]] = arith.cmpi uge, %[[WARP]], %c48 : index
// CHECK-NEXT: %[[KORQ:.*]] = arith.select %[[PASTQ]], %c1, %c0 : index
// CHECK-NEXT: %[[RANGE:.*]] = arith.select %[[PASTK]], %c2, %[[KORQ]] : index
// CHECK: %[[FIRSTK:.*]] = arith.select %[[PASTQ]], %c32, %c0 : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.select %[[PASTK]], %c48, %[[FIRSTK]] : index
// CHECK-NEXT: %[[RW:.*]] = arith.subi %[[WARP]], %[[FIRST]] : index
// CHECK-NEXT: %[[J0:.*]] = arith.muli %[[RW]], %c2 : index
// CHECK-NEXT: %[[PAIRED:.*]] = arith.cmpi ult, %[[WARP]], %c48 : index
// CHECK-NEXT: %[[WK:.*]] = arith.select %[[PASTQ]], %[[KW]], %[[BASE]] : index
// CHECK-NEXT: %[[WM:.*]] = arith.select %[[PASTK]], %[[VW]], %[[WK]] : index
// CHECK-NEXT: %[[ALL:.*]] = arith.cmpi ult, %[[WARP]], %c64 : index
// Output 0: in a pair range feature rw % 8 of head rw / 8, else 2 rw; output
// 1: 8 features on, else 2 rw + 1.
// CHECK-NEXT: %[[HEAD:.*]] = arith.divui %[[RW]], %c8 : index
// CHECK-NEXT: %[[HB:.*]] = arith.muli %[[HEAD]], %c16 : index
// CHECK-NEXT: %[[I:.*]] = arith.remui %[[RW]], %c8 : index
// CHECK-NEXT: %[[PJ:.*]] = arith.addi %[[HB]], %[[I]] : index
// CHECK-NEXT: %[[OUT0:.*]] = arith.select %[[PAIRED]], %[[PJ]], %[[J0]] : index
// CHECK-NEXT: %[[ROW0:.*]] = arith.minui %[[OUT0]], %{{.*}} : index
// CHECK-NEXT: %[[WROW0:.*]] = arith.muli %[[ROW0]], %c64 : index
// CHECK-NEXT: arith.addi %[[WROW0]], %[[WM]] : index
// CHECK-NEXT: %[[PLAIN1:.*]] = arith.addi %[[J0]], %c1 : index
// CHECK-NEXT: %[[PJ1:.*]] = arith.addi %[[PJ]], %c8 : index
// CHECK-NEXT: %[[OUT1:.*]] = arith.select %[[PAIRED]], %[[PJ1]], %[[PLAIN1]] : index
// CHECK-NEXT: arith.minui %[[OUT1]]
// CHECK-NEXT: arith.muli
// CHECK-NEXT: arith.addi
// CHECK-NEXT: scf.if %[[ALL]] {
// The rotation of the pair at each row (cos, sin of pos · theta^(-2i/16)):
// lane l computes row l's (min(l, rows - 1)) in the K loop's first step, right
// after the weight vectors of both outputs are loaded (so the math runs
// while they are in flight); after the loop lane r's is shuffled to row r.
// CHECK: %[[LASTROW:.*]] = arith.subi %[[ROWS]], %c1 : index
// CHECK-NEXT: %[[LANEROW:.*]] = arith.minui %{{.*}}, %[[LASTROW]] : index
// CHECK: vector.load %[[W]]
// CHECK: vector.load %[[W]]
// CHECK: %[[I16:.*]] = arith.remui %[[OUT0]], %c16 : index
// CHECK-NEXT: %[[P:.*]] = memref.load %[[POS]][%[[LANEROW]]] : memref<?xi32>
// The angle is reduced to [-pi, pi] in f64 (the nearest whole turns off),
// its cos and sin taken in f32.
// CHECK: %[[FREQ:.*]] = math.exp2 %{{.*}} : f64
// CHECK-NEXT: %[[ANG:.*]] = arith.mulf %{{.*}}, %[[FREQ]] : f64
// CHECK-NEXT: %[[T:.*]] = arith.mulf %[[ANG]], %{{.*}} : f64
// CHECK-NEXT: %[[TURNS:.*]] = math.roundeven %[[T]] : f64
// CHECK-NEXT: %[[WHOLE:.*]] = arith.mulf %[[TURNS]], %{{.*}} : f64
// CHECK-NEXT: %[[RED:.*]] = arith.subf %[[ANG]], %[[WHOLE]] : f64
// CHECK-NEXT: %[[RED32:.*]] = arith.truncf %[[RED]] : f64 to f32
// CHECK-NEXT: %[[CS:.*]] = math.cos %[[RED32]] : f32
// CHECK-NEXT: %[[SN:.*]] = math.sin %[[RED32]] : f32
// The prologue: the gain's vector and the raw row's; the row's sum of
// squares, then row · gain meets the weights; the warp's sum of squares gives
// 1 / rms, which scales the dot products.
// CHECK: %[[GAIN:.*]] = vector.load %[[W]]
// CHECK-NEXT: %[[XV:.*]] = vector.load %[[X]]
// CHECK-NEXT: %[[XZ:.*]] = arith.select %{{.*}}, %[[XV]]
// CHECK-NEXT: %[[X0:.*]] = vector.extract %[[XZ]][0]
// CHECK-NEXT: math.fma %[[X0]], %[[X0]]
// CHECK: arith.mulf %[[XZ]], %[[GAIN]] : vector<4xf32>
// CHECK: %[[MEAN:.*]] = arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK-NEXT: %[[MS:.*]] = arith.addf %[[MEAN]], %cst{{.*}} : f32
// CHECK-NEXT: %[[INV:.*]] = math.rsqrt %[[MS]] : f32
// CHECK: gpu.shuffle xor
// CHECK: %[[DOT0:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK: %[[DOT1:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK: %[[CS0:.*]], %{{.*}} = gpu.shuffle idx %[[CS]], %c0_i32, %c32_i32 : f32
// CHECK-NEXT: %[[SN0:.*]], %{{.*}} = gpu.shuffle idx %[[SN]], %c0_i32, %c32_i32 : f32
// Q: the pair rotated, in place at j and j + 8.
// CHECK: %[[ISQ:.*]] = arith.cmpi eq, %[[RANGE]], %c0 : index
// CHECK-NEXT: scf.if %[[ISQ]] {
// CHECK-NEXT: %[[A:.*]] = arith.mulf %[[DOT0]], %[[CS0]] : f32
// CHECK-NEXT: %[[B:.*]] = arith.mulf %[[DOT1]], %[[SN0]] : f32
// CHECK-NEXT: %[[Q0:.*]] = arith.subf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[QAT:.*]] = arith.addi %{{.*}}, %[[OUT0]] : index
// CHECK-NEXT: memref.store %[[Q0]], %[[S]][%[[QAT]]]
// CHECK-NEXT: %[[C:.*]] = arith.mulf %[[DOT1]], %[[CS0]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.mulf %[[DOT0]], %[[SN0]] : f32
// CHECK-NEXT: %[[Q1:.*]] = arith.addf %[[C]], %[[D]] : f32
// CHECK-NEXT: %[[J8:.*]] = arith.addi %[[OUT0]], %c8 : index
// CHECK-NEXT: %[[QAT1:.*]] = arith.addi %{{.*}}, %[[J8]] : index
// CHECK-NEXT: memref.store %[[Q1]], %[[S]][%[[QAT1]]]
// K: rotated into the cache at (seq, layer, pos).
// CHECK: %[[ISK:.*]] = arith.cmpi eq, %[[RANGE]], %c1 : index
// CHECK-NEXT: scf.if %[[ISK]] {
// CHECK-NEXT: memref.load %[[SEQ]]
// CHECK: memref.load %[[POS]]
// CHECK: %[[KAT:.*]] = arith.addi %{{.*}}, %[[OUT0]] : index
// CHECK: memref.store %{{.*}}, %[[KC]][%[[KAT]]]
// CHECK: memref.store %{{.*}}, %[[KC]]
// V: both outputs into the cache as they are.
// CHECK: %[[ISV:.*]] = arith.cmpi eq, %[[RANGE]], %c2 : index
// CHECK-NEXT: scf.if %[[ISV]] {
// CHECK: %[[VAT:.*]] = arith.addi %{{.*}}, %[[OUT0]] : index
// CHECK-NEXT: memref.store %[[DOT0]], %[[VC]][%[[VAT]]]
// CHECK: arith.cmpi ult, %[[OUT1]], %{{.*}} : index
// CHECK: %[[ISV1:.*]] = arith.cmpi eq, %[[RANGE]], %c2 : index
// CHECK-NEXT: scf.if %[[ISV1]] {
// CHECK: %[[VAT1:.*]] = arith.addi %{{.*}}, %[[OUT1]] : index
// CHECK-NEXT: memref.store %[[DOT1]], %[[VC]][%[[VAT1]]]
// CHECK-NOT: function(@photon_rope_cache)
// CHECK: function(@photon_gemv_qkv_norm_r4_128x64)
// CHECK: function(@photon_gemv_qkv_norm_r8_128x64)
// CHECK: function(@photon_gemv_qkv_norm_r16_128x64)
// More than 16 rows, or misaligned buffers: the norm kernel, then a kernel
// per projection.
// CHECK: } else {
// CHECK: function(@photon_rmsnorm_64)
// CHECK: function(@photon_matmul_64x64)
// CHECK: function(@photon_matmul_32x64)
// CHECK: function(@photon_matmul_32x64)
// CHECK: function(@photon_rope_cache)

// Gate + up + SwiGLU: 96 outputs (24 blocks); each lane loads a vector of
// both weight rows per step, and lane 0 stores silu(gate) · up.
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c24, {{.*}}) {{.*}} function(@photon_gemv_gate_up_norm_r1_96x64)
// CHECK: vector.load %[[W]]
// CHECK-NEXT: arith.select
// CHECK-NEXT: arith.addi
// CHECK-NEXT: vector.load %[[W]]
// CHECK: gpu.shuffle xor
// CHECK: scf.if
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[G:.*]] : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[E]], %cst{{.*}} : f32
// CHECK-NEXT: %[[SIG:.*]] = arith.divf %cst{{.*}}, %[[DEN]] : f32
// CHECK-NEXT: %[[SILU:.*]] = arith.mulf %[[G]], %[[SIG]] : f32
// CHECK-NEXT: %[[OUT:.*]] = arith.mulf %[[SILU]], %{{.*}} : f32
// CHECK: memref.store %[[OUT]], %[[S]]
// CHECK: function(@photon_gemv_gate_up_norm_r4_96x64)
// CHECK: function(@photon_gemv_gate_up_norm_r8_96x64)
// CHECK: function(@photon_gemv_gate_up_norm_r16_96x64)
// CHECK: function(@photon_rmsnorm_64)
// CHECK: function(@photon_matmul_96x64)
// CHECK: function(@photon_matmul_96x64)
// CHECK: function(@photon_swiglu_96)
// CHECK: function(@photon_gemv_r1_64x96)
// CHECK-LABEL: func.func private @photon_lm_head(

// OFF-LABEL: func.func private @photon_stack_shape0(
// OFF-NOT: photon_gemv_qkv
// OFF: function(@photon_gemv_r1_64x64)
// OFF: function(@photon_gemv_r1_32x64)
// OFF: function(@photon_gemv_r1_32x64)
// OFF: function(@photon_rope_cache)
// OFF-NOT: photon_gemv_gate_up
// OFF: function(@photon_gemv_r1_96x64)
// OFF: function(@photon_gemv_r1_96x64)
// OFF: function(@photon_swiglu_96)
// OFF-LABEL: func.func private @photon_lm_head(

// The fusions are GEMV kernels: without the GEMV, no fused projection.
// NOGEMV-LABEL: func.func private @photon_stack_shape0(
// NOGEMV-NOT: photon_gemv
// NOGEMV: function(@photon_swiglu_96)
// NOGEMV-LABEL: func.func private @photon_lm_head(

// fuse-qkv-rope=false: a warp per output (32 blocks at one row), no rotation
// in the epilogue; the RoPE / cache-write kernel after every QKV path.
// NOROPE-LABEL: func.func private @photon_stack_shape0(
// NOROPE: gpu.launch blocks({{.*}}) in ({{.*}} = %c32, {{.*}}) {{.*}} function(@photon_gemv_qkv_norm_r1_128x64)
// NOROPE-NOT: math.cos
// NOROPE: function(@photon_gemv_qkv_norm_r16_128x64)
// NOROPE-NOT: math.cos
// NOROPE: function(@photon_matmul_32x64)
// NOROPE-NOT: function(@photon_rope_cache)
// NOROPE: function(@photon_matmul_32x64)
// NOROPE-NOT: function(@photon_rope_cache)
// NOROPE: function(@photon_rope_cache)
// NOROPE-NOT: function(@photon_rope_cache)
// NOROPE: function(@photon_attention)

// fuse-norm=false: a norm kernel writes the normed rows, which the QKV and
// gate/up GEMVs read.
// NONORM-LABEL: func.func private @photon_stack_shape0(
// NONORM: function(@photon_rmsnorm_64)
// NONORM-NOT: photon_gemv_qkv_norm
// NONORM: function(@photon_gemv_qkv_r1_128x64)
// NONORM-NOT: math.rsqrt
// NONORM: function(@photon_rope_cache)
// NONORM: function(@photon_rmsnorm_64)
// NONORM: function(@photon_gemv_gate_up_r1_96x64)
// NONORM-NOT: math.rsqrt
// NONORM: function(@photon_swiglu_96)
// NONORM-LABEL: func.func private @photon_lm_head(
