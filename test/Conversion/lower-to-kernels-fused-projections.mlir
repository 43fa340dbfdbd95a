// At decode (1 to gemv-max-rows rows) on the GPU, the projections of a layer
// that share an input are one GEMV kernel each: Q, K and V (fuse-qkv), whose
// warps pick their weight matrix by output range, and gate + up + SwiGLU
// (fuse-gate-up), whose warps read a row of both and store silu(gate) · up.
// Both read the layer's raw rows: the RMSNorm in front of them is the GEMV's
// prologue (fuse-norm). The wider fallbacks (and the options off) keep a norm
// kernel and one kernel per projection.
// RUN: photon-opt %s -photon-plan-memory -photon-lower-to-kernels=target=gpu -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory '-photon-lower-to-kernels=target=gpu fuse-norm=false' -canonicalize -cse | FileCheck %s --check-prefix=NONORM
// RUN: photon-opt %s -photon-plan-memory '-photon-lower-to-kernels=target=gpu fuse-qkv=false fuse-gate-up=false' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory '-photon-lower-to-kernels=target=gpu gemv-max-rows=0' -canonicalize -cse | FileCheck %s --check-prefix=NOGEMV

// D 64, 4 heads of 16, 2 KV heads (K and V 32 wide), F 96; f32 weights.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 64, layers = 1, n_heads = 4, n_kv_heads = 2, ffn_dim = 96, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// Q, K, V: 64 + 32 + 32 = 128 outputs, a warp each, 4 warps a block; warps
// 0-63 read q_proj (row j) into Q, 64-95 k_proj (row j - 64) into K, 96-127
// v_proj into V. The warp's range selects its first warp and weight matrix,
// so one loop body serves the three; only the store branches by range. One
// kernel per bucket of rows (1, 4, 8, 16), and the three matrices' 16-byte
// alignment is checked on the host.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xf32>, %[[X:[^:]*]]: memref<?xf32>, %[[ROWS:[^:]*]]: index, {{.*}}, %[[S:[^:]*]]: memref<?xf32>, %[[BASE:[^:]*]]: index)
// CHECK-NOT: function(@photon_rmsnorm_64)
// CHECK: %[[KW:.*]] = arith.addi %[[BASE]], %c4096 : index
// CHECK-NEXT: %[[VW:.*]] = arith.addi %[[BASE]], %c6144 : index
// CHECK-NOT: function(@photon_rmsnorm_64)
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c32, {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_qkv_norm_r1_128x64)
// CHECK: %[[WARP:.*]] = arith.addi
// CHECK-NEXT: %[[PASTQ:.*]] = arith.cmpi uge, %[[WARP]], %c64 : index
// CHECK-NEXT: %[[PASTK:.*]] = arith.cmpi uge, %[[WARP]], %c96 : index
// CHECK-NEXT: %[[KORQ:.*]] = arith.select %[[PASTQ]], %c1, %c0 : index
// CHECK-NEXT: %[[RANGE:.*]] = arith.select %[[PASTK]], %c2, %[[KORQ]] : index
// CHECK-NEXT: %[[FIRSTK:.*]] = arith.select %[[PASTQ]], %c64, %c0 : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.select %[[PASTK]], %c96, %[[FIRSTK]] : index
// CHECK-NEXT: %[[J:.*]] = arith.subi %[[WARP]], %[[FIRST]] : index
// CHECK-NEXT: %[[WK:.*]] = arith.select %[[PASTQ]], %[[KW]], %[[BASE]] : index
// CHECK-NEXT: %[[WM:.*]] = arith.select %[[PASTK]], %[[VW]], %[[WK]] : index
// CHECK-NEXT: %[[ALL:.*]] = arith.cmpi ult, %[[WARP]], %c128 : index
// CHECK-NEXT: scf.if %[[ALL]] {
// CHECK-NEXT: %[[ROW:.*]] = arith.muli %[[J]], %c64 : index
// CHECK-NEXT: arith.addi %[[ROW]], %[[WM]] : index
// CHECK: vector.load %[[W]]
// The prologue: the gain's vector and the raw row's; the row's sum of
// squares, then row · gain meets the weights; the warp's sum of squares gives
// 1 / rms, which scales the dot product.
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
// CHECK: %[[DOT:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// The store: Q, K or V by the warp's range, at output j.
// CHECK: %[[ISQ:.*]] = arith.cmpi eq, %[[RANGE]], %c0 : index
// CHECK-NEXT: scf.if %[[ISQ]] {
// CHECK-NEXT: %[[QAT:.*]] = arith.addi %{{.*}}, %[[J]] : index
// CHECK-NEXT: memref.store %[[DOT]], %[[S]][%[[QAT]]]
// CHECK: %[[ISK:.*]] = arith.cmpi eq, %[[RANGE]], %c1 : index
// CHECK-NEXT: scf.if %[[ISK]] {
// CHECK-NEXT: %[[KAT:.*]] = arith.addi %{{.*}}, %[[J]] : index
// CHECK-NEXT: memref.store %[[DOT]], %[[S]][%[[KAT]]]
// CHECK: %[[ISV:.*]] = arith.cmpi eq, %[[RANGE]], %c2 : index
// CHECK-NEXT: scf.if %[[ISV]] {
// CHECK-NEXT: %[[VAT:.*]] = arith.addi %{{.*}}, %[[J]] : index
// CHECK-NEXT: memref.store %[[DOT]], %[[S]][%[[VAT]]]
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
