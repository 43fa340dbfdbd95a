// fuse-qkv-rope-gemm (default on, wgmma): the tensor-core QKV GEMM of
// prefill and batched decode applies RoPE to Q and K and writes K and V to
// the caches in its epilogue, so no RoPE / cache-write kernel follows it.
// A RoPE pair (j, j + head_dim / 2) lies in two threads' accumulators, so
// the block stages its tile in shared memory (over the stages, after the
// last MMAs) and its tiles are whole heads: here 4 heads of 24 and 2 KV
// heads, Q, K, V 96 + 48 + 48 = 192 outputs, tiles multiples of lcm(24, 8)
// = 24: one of 192 (at most wgmma-tile-cols, 208) from 12672 rows (99 row
// tiles), else two of 96 (at most 128). A row of the staged tile is 200
// floats (8 past a multiple of 32: a half warp's 64-bit stores hit every
// bank), then a table of cos and sin per (row, j): the angle does not
// depend on the head, the rows' cache entries and positions, and the
// inverse frequencies of j: 128 x 200 + 128 x 12 x 2 floats + 2 x 128 x 8
// + 12 x 8 bytes = 114 KB, less than the 6 stages' 144 KB (the launch takes
// the larger). Its copies are checked here as cp.async's
// (wgmma-tma=false; convert-photon-kernel-to-gpu-wgmma-tma.mlir has the TMA
// ones, which the 192-wide tile takes by default). The CHECK lines follow a
// thread per RoPE pair (wgmma-staged-store=false); by default a thread takes
// runs of 8 columns where Q and the caches are 16-byte aligned (RUNS).
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-tma=false wgmma-staged-store=false' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true wgmma-tma=false' -canonicalize -cse | FileCheck %s --check-prefix=RUNS
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=wgmma=true fuse-qkv-rope-gemm=false' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=MMA

photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 96, layers = 1, n_heads = 4, n_kv_heads = 2, ffn_dim = 64, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<16x96xbf16>
  photon.param @model.layers.0.input_layernorm.weight : tensor<96xbf16>
  photon.param @model.layers.0.self_attn.q_proj.weight : tensor<96x96xbf16>
  photon.param @model.layers.0.self_attn.k_proj.weight : tensor<48x96xbf16>
  photon.param @model.layers.0.self_attn.v_proj.weight : tensor<48x96xbf16>
  photon.param @model.layers.0.self_attn.o_proj.weight : tensor<96x96xbf16>
  photon.param @model.layers.0.post_attention_layernorm.weight : tensor<96xbf16>
  photon.param @model.layers.0.mlp.gate_proj.weight : tensor<64x96xbf16>
  photon.param @model.layers.0.mlp.up_proj.weight : tensor<64x96xbf16>
  photon.param @model.layers.0.mlp.down_proj.weight : tensor<96x64xbf16>
  photon.param @model.norm.weight : tensor<96xbf16>
  photon.param @lm_head.weight : tensor<16x96xbf16>
}

// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %{{[^:]*}}: memref<?xbf16>, %{{[^:]*}}: memref<?xbf16>, %[[ROWS:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %[[SEQ:[^:]*]]: memref<?xi32>, %[[KC:[^:]*]]: memref<?xbf16>, %[[VC:[^:]*]]: memref<?xbf16>, %{{[^:]*}}: index, %[[S:[^:]*]]: memref<?xf32>
// CHECK: %[[WIDE:.*]] = arith.cmpi uge, %[[ROWS]], %c12672 : index
// CHECK-NEXT: scf.if %[[WIDE]] {
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c1, {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c256, {{.*}}) dynamic_shared_memory_size %c147456_i32 module(@photon_kernels) function(@photon_wgmma128x192_qkv_rope_192x96)
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 192, k = 16>
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// Once both warpgroups' MMAs are done, and every copy (the last steps'
// zero-fills past K are still in flight after the loop), the accumulators
// over the stages: values v, v + 1 of a warp's m16n8 tile are neighbours of
// row warp · 16 + lane / 4 (+ 8 for v = 2, 3), columns 2 (lane % 4) + 8 n.
// CHECK: llvm.extractvalue %[[LOOP:.*]]#1[95]
// CHECK-NEXT: nvgpu.device_async_wait %[[LOOP]]#0 {numGroups = 0 : i32}
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: %[[T:.*]] = memref.view %{{.*}}[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<29208xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[W16:.*]] = arith.muli %{{.*}}, %c16 : index
// CHECK-NEXT: %[[G:.*]] = arith.divui %{{.*}}, %c4 : index
// CHECK-NEXT: %[[R:.*]] = arith.addi %[[W16]], %[[G]] : index
// CHECK-NEXT: %[[RS:.*]] = arith.muli %[[R]], %c200 : index
// CHECK-NEXT: %[[T4:.*]] = arith.remui %{{.*}}, %c4 : index
// CHECK-NEXT: %[[T2:.*]] = arith.muli %[[T4]], %c2 : index
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[RS]], %[[T2]] : index
// CHECK-NEXT: %[[V01:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK-NEXT: vector.store %[[V01]], %[[T]][%[[AT]]] {alignment = 8 : i64}
// CHECK-NEXT: %[[V23:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK-NEXT: %[[AT8:.*]] = arith.addi %[[AT]], %c1600 : index
// CHECK-NEXT: vector.store %[[V23]], %[[T]][%[[AT8]]] {alignment = 8 : i64}
// CHECK-NEXT: %[[V45:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK-NEXT: %[[ATN:.*]] = arith.addi %[[AT]], %c8 : index
// CHECK-NEXT: vector.store %[[V45]], %[[T]][%[[ATN]]] {alignment = 8 : i64}
// n8 block 23, rows + 8: 1600 + 184.
// CHECK: %[[LAST:.*]] = arith.addi %[[AT]], %c1784 : index
// CHECK-NEXT: vector.store %{{.*}}, %[[T]][%[[LAST]]] {alignment = 8 : i64}
// CHECK-NEXT: gpu.barrier
// Each row's cache entry (seq, pos) once, as i64 after the table.
// CHECK-NEXT: %[[ENTRIES:.*]] = memref.view %{{.*}}[%c114688][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<128xi64, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[POSITIONS:.*]] = memref.view %{{.*}}[%c115712][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<128xf64, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[INVERSE:.*]] = memref.view %{{.*}}[%c116736][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<12xf64, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[LASTROW:.*]] = arith.subi %{{.*}}, %c1 : index
// CHECK-NEXT: %[[FIRST128:.*]] = arith.cmpi ult, %[[TID]], %c128 : index
// CHECK-NEXT: scf.if %[[FIRST128]] {
// CHECK-NEXT: %[[EROW:.*]] = arith.addi %{{.*}}, %[[TID]] : index
// CHECK-NEXT: %[[ECLAMPED:.*]] = arith.minui %[[EROW]], %[[LASTROW]] : index
// CHECK-NEXT: memref.load %[[SEQ]][%[[ECLAMPED]]] : memref<?xi32>
// CHECK: memref.load %[[POS]][%[[ECLAMPED]]] : memref<?xi32>
// CHECK: %[[ENTRY:.*]] = arith.muli %{{.*}}, %c48 : index
// CHECK-NEXT: %[[ENTRY64:.*]] = arith.index_castui %[[ENTRY]] : index to i64
// CHECK-NEXT: memref.store %[[ENTRY64]], %[[ENTRIES]][%[[TID]]]
// And its position, as f64 after the entries.
// CHECK-NEXT: %[[P:.*]] = memref.load %[[POS]][%[[ECLAMPED]]] : memref<?xi32>
// CHECK-NEXT: %[[PF:.*]] = arith.sitofp %[[P]] : i32 to f64
// CHECK-NEXT: memref.store %[[PF]], %[[POSITIONS]][%[[TID]]]
// CHECK-NEXT: }
// The inverse frequency of each j < 12, once a block (f64, after the
// positions).
// CHECK-NEXT: %[[FIRST12:.*]] = arith.cmpi ult, %[[TID]], %c12 : index
// CHECK-NEXT: scf.if %[[FIRST12]] {
// CHECK: %[[INVF:.*]] = math.exp2 %{{.*}} : f64
// CHECK-NEXT: memref.store %[[INVF]], %[[INVERSE]][%[[TID]]]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// The table: cos and sin of (row, j) for the tile's 128 rows and 12 j, at
// 25600 + 2 (12 row + j) (rows past the call's take its last position): 6
// items a thread, e = tid + 256 i, in straight-line code (4 unrolled, then
// 2), so that their latency chains overlap.
// CHECK-NEXT: %[[TR:.*]] = arith.divui %[[TID]], %c12 : index
// CHECK-NEXT: %[[TJ:.*]] = arith.remui %[[TID]], %c12 : index
// CHECK-NEXT: %[[RP:.*]] = memref.load %[[POSITIONS]][%[[TR]]]
// CHECK-NEXT: %[[RI:.*]] = memref.load %[[INVERSE]][%[[TJ]]]
// CHECK-NEXT: arith.mulf %[[RP]], %[[RI]] : f64
// CHECK: %[[COS:.*]] = math.cos %[[ANGLE:[^ ]*]] fastmath<afn> : f32
// CHECK-NEXT: %[[SIN:.*]] = math.sin %[[ANGLE]] fastmath<afn> : f32
// CHECK-NEXT: %[[TRJ:.*]] = arith.muli %[[TR]], %c12 : index
// CHECK-NEXT: %[[TRJ1:.*]] = arith.addi %[[TRJ]], %[[TJ]] : index
// CHECK-NEXT: %[[TRJ2:.*]] = arith.muli %[[TRJ1]], %c2 : index
// CHECK-NEXT: %[[COSAT:.*]] = arith.addi %[[TRJ2]], %c25600 : index
// CHECK-NEXT: memref.store %[[COS]], %[[T]][%[[COSAT]]]
// CHECK-NEXT: %[[SINAT:.*]] = arith.addi %[[TRJ2]], %c25601 : index
// CHECK-NEXT: memref.store %[[SIN]], %[[T]][%[[SINAT]]]
// CHECK-NEXT: arith.divui %{{.*}}, %c12 : index
// CHECK-NOT: scf.for
// CHECK-COUNT-5: math.cos
// CHECK-NOT: scf.for
// CHECK: gpu.barrier
// Item e: row e / 96 of the tile, pair e % 96 = head (e % 96) / 12, j =
// e % 12; column c1 = 24 head + j and its partner c1 + 12. 48 items a
// thread, four an iteration, each loading from shared memory first.
// CHECK-NEXT: scf.for %[[I2:.*]] = %c0 to %c48 step %c4 {
// CHECK-NEXT: %[[IT2:.*]] = arith.muli %[[I2]], %c256 : index
// CHECK-NEXT: %[[E2:.*]] = arith.addi %[[TID]], %[[IT2]] : index
// CHECK-NEXT: %[[TROW2:.*]] = arith.divui %[[E2]], %c96 : index
// CHECK-NEXT: %[[PAIR:.*]] = arith.remui %[[E2]], %c96 : index
// CHECK-NEXT: %[[J:.*]] = arith.remui %[[PAIR]], %c12 : index
// CHECK-NEXT: %[[HEAD:.*]] = arith.divui %[[PAIR]], %c12 : index
// CHECK-NEXT: %[[HEADCOL:.*]] = arith.muli %[[HEAD]], %c24 : index
// CHECK-NEXT: %[[C1:.*]] = arith.addi %[[HEADCOL]], %[[J]] : index
// CHECK-NEXT: %[[ROW:.*]] = arith.addi %{{.*}}, %[[TROW2]] : index
// CHECK-NEXT: %[[ROWAT:.*]] = arith.muli %[[TROW2]], %c200 : index
// CHECK-NEXT: %[[X1AT:.*]] = arith.addi %[[ROWAT]], %[[C1]] : index
// CHECK-NEXT: %[[X1:.*]] = memref.load %[[T]][%[[X1AT]]]
// CHECK-NEXT: %[[X2AT:.*]] = arith.addi %[[X1AT]], %c12 : index
// CHECK-NEXT: %[[X2:.*]] = memref.load %[[T]][%[[X2AT]]]
// CHECK: %[[CS:.*]] = memref.load %[[T]]
// CHECK: %[[SN:.*]] = memref.load %[[T]]
// CHECK-NEXT: %[[E64:.*]] = memref.load %[[ENTRIES]][%[[TROW2]]]
// CHECK-NEXT: %[[ENTRYAT:.*]] = arith.index_castui %[[E64]] : i64 to index
// CHECK-NEXT: %[[INROWS:.*]] = arith.cmpi ult, %[[ROW]], %[[ROWS]] : index
// CHECK-NEXT: %[[INCOLS:.*]] = arith.cmpi ult, %[[C1]], %c192 : index
// CHECK-NEXT: %[[IN:.*]] = arith.andi %[[INROWS]], %[[INCOLS]] : i1
// CHECK-NEXT: scf.if %[[IN]] {
// Q and K heads (columns below 144) rotate.
// CHECK-NEXT: %[[QK:.*]] = arith.cmpi ult, %[[C1]], %c144 : index
// CHECK-NEXT: scf.if %[[QK]] {
// CHECK-NEXT: %[[ISQ:.*]] = arith.cmpi ult, %[[C1]], %c96 : index
// CHECK-NEXT: scf.if %[[ISQ]] {
// CHECK-NEXT: %[[QROW:.*]] = arith.muli %[[ROW]], %c96 : index
// CHECK-NEXT: %[[QAT:.*]] = arith.addi %[[QROW]], %[[C1]] : index
// CHECK-NEXT: %[[A:.*]] = arith.mulf %[[X1]], %[[CS]] : f32
// CHECK-NEXT: %[[B:.*]] = arith.mulf %[[X2]], %[[SN]] : f32
// CHECK-NEXT: %[[Y1:.*]] = arith.subf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[QAT1:.*]] = arith.addi %{{.*}}, %[[QAT]] : index
// CHECK-NEXT: memref.store %[[Y1]], %[[S]][%[[QAT1]]] : memref<?xf32>
// CHECK: memref.store %{{.*}}, %[[S]][%{{.*}}] : memref<?xf32>
// CHECK-NEXT: } else {
// K: into the row's cache entry, feature c1 - 96.
// CHECK-NEXT: %[[KF:.*]] = arith.subi %[[C1]], %c96 : index
// CHECK-NEXT: %[[KAT:.*]] = arith.addi %[[ENTRYAT]], %[[KF]] : index
// CHECK: memref.store %{{.*}}, %[[KC]][%[[KAT]]] : memref<?xbf16>
// CHECK: memref.store %{{.*}}, %[[KC]][%{{.*}}] : memref<?xbf16>
// CHECK-NEXT: }
// V: both values as they are, feature c1 - 144.
// CHECK-NEXT: } else {
// CHECK-NEXT: %[[VF:.*]] = arith.subi %[[C1]], %c144 : index
// CHECK-NEXT: %[[VAT:.*]] = arith.addi %[[ENTRYAT]], %[[VF]] : index
// CHECK: memref.store %{{.*}}, %[[VC]][%[[VAT]]] : memref<?xbf16>
// CHECK: memref.store %{{.*}}, %[[VC]][%{{.*}}] : memref<?xbf16>
// CHECK: gpu.terminator
// Fewer rows: two tiles of 96 (the second all K and V heads: no table).
// CHECK: } else {
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}} = %c2, {{.*}}) {{.*}} dynamic_shared_memory_size %c98304_i32 module(@photon_kernels) function(@photon_wgmma128x96_qkv_rope_192x96)
// CHECK: memref.view %{{.*}}[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<16920xf32, #gpu.address_space<workgroup>>
// CHECK: %[[HASQK:.*]] = arith.cmpi ult, %{{.*}}, %c144 : index
// CHECK-NEXT: scf.if %[[HASQK]] {
// CHECK: gpu.barrier
// CHECK-NEXT: arith.divui %[[TID]], %c12 : index
// Only the CUDA-core fallback (here: bf16 rows not 16-byte aligned) has the
// RoPE / cache-write kernel after it.
// CHECK-NOT: function(@photon_rope_cache)
// CHECK: function(@photon_matmul_96x96)
// CHECK: function(@photon_matmul_48x96)
// CHECK: function(@photon_matmul_48x96)
// CHECK: function(@photon_rope_cache)
// CHECK-NOT: function(@photon_rope_cache)
// CHECK: function(@photon_attention_short)

// fuse-qkv-rope-gemm=false: the QKV GEMM stores Q, K and V (one wide tile
// of 192, 64-wide below), the RoPE / cache-write kernel after every path.
// OFF-LABEL: func.func private @photon_stack_shape0(
// OFF-NOT: qkv_rope
// OFF: function(@photon_wgmma128x192_qkv_192x96)
// OFF-NOT: function(@photon_rope_cache)
// OFF: function(@photon_wgmma128x64_qkv_192x96)
// OFF-NOT: function(@photon_rope_cache)
// OFF: function(@photon_matmul_96x96)
// OFF: function(@photon_rope_cache)
// OFF-NOT: function(@photon_rope_cache)
// OFF: function(@photon_attention_short)

// mma.sync (no wgmma) stages nothing: the RoPE / cache-write kernel follows.
// MMA-LABEL: func.func private @photon_stack_shape0(
// MMA-NOT: qkv_rope
// MMA: function(@photon_mma128x64_qkv_192x96)
// MMA: function(@photon_rope_cache)
// MMA-NOT: function(@photon_rope_cache)
// MMA: function(@photon_attention_short)

// By default, after the table: where Q (f32 scratch) and both caches are
// 16-byte aligned, run e of 24 a row (8 columns from c0 = 8 (e % 24)) of
// the 192-wide tile, 12 a thread, four an iteration. Each element c of a Q
// or K run (c0 below 144) is rotated with its partner c + 12 (first half of
// its head, i = c % 24 < 12) or c - 12, by the table's cos and sin of
// (row, i % 12): x cs - p sn, or x cs + p sn; the 8 go out as one vector.
// Elements go in pairs (c even; 12 is even): a pair's partners are one
// 8-byte load, its cos and sin one 16-byte load of the table.
// RUNS-LABEL: func.func private @photon_stack_shape0(
// RUNS: function(@photon_wgmma128x192_qkv_rope_192x96)
// RUNS: %[[T:.*]] = memref.view {{.*}} to memref<29208xf32, #gpu.address_space<workgroup>>
// RUNS: math.sin
// RUNS: gpu.barrier
// RUNS: %[[QAT:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// RUNS-NEXT: arith.remui %[[QAT]], %c16 : index
// RUNS: scf.if %[[ALIGNED:.*]] {
// RUNS-NEXT: scf.for %[[I:.*]] = %c0 to %c12 step %c4 {
// RUNS: %[[K:.*]] = arith.remui %{{.*}}, %c24 : index
// RUNS-NEXT: %[[C0:.*]] = arith.muli %[[K]], %c8 : index
// RUNS: %[[X:.*]] = vector.load %[[T]][%{{.*}}] {alignment = 16 : i64} {{.*}} vector<4xf32>
// RUNS: %[[QK:.*]] = arith.cmpi ult, %[[C0]], %c144 : index
// RUNS-NEXT: scf.if %[[QK]] {
// RUNS-NEXT: %[[ISQ:.*]] = arith.cmpi ult, %[[C0]], %c96 : index
// RUNS-NEXT: scf.if %[[ISQ]] {
// RUNS: %[[HI:.*]] = arith.remui %[[C0]], %c24 : index
// RUNS-NEXT: %[[FIRST:.*]] = arith.cmpi ult, %[[HI]], %c12 : index
// RUNS: %[[UP:.*]] = arith.addi %[[C0]], %c12 : index
// RUNS-NEXT: %[[DOWN:.*]] = arith.subi %[[C0]], %c12 : index
// RUNS-NEXT: %[[PARTNER:.*]] = arith.select %[[FIRST]], %[[UP]], %[[DOWN]] : index
// RUNS-NEXT: %[[PAT:.*]] = arith.addi %{{.*}}, %[[PARTNER]] : index
// RUNS-NEXT: %[[P:.*]] = vector.load %[[T]][%[[PAT]]] {alignment = 8 : i64} {{.*}} vector<2xf32>
// RUNS: %[[CSSN:.*]] = vector.load %[[T]][%{{.*}}] {alignment = 16 : i64} {{.*}} vector<4xf32>
// RUNS-NEXT: %[[X0:.*]] = vector.extract %[[X]][0]
// RUNS-NEXT: %[[P0:.*]] = vector.extract %[[P]][0]
// RUNS-NEXT: %[[CS:.*]] = vector.extract %[[CSSN]][0]
// RUNS-NEXT: %[[SN:.*]] = vector.extract %[[CSSN]][1]
// RUNS-NEXT: %[[XCS:.*]] = arith.mulf %[[X0]], %[[CS]] : f32
// RUNS-NEXT: %[[PSN:.*]] = arith.mulf %[[P0]], %[[SN]] : f32
// RUNS-NEXT: %[[MINUS:.*]] = arith.subf %[[XCS]], %[[PSN]] : f32
// RUNS-NEXT: %[[PLUS:.*]] = arith.addf %[[XCS]], %[[PSN]] : f32
// RUNS-NEXT: arith.select %[[FIRST]], %[[MINUS]], %[[PLUS]] : f32
// RUNS: vector.from_elements {{.*}} : vector<8xf32>
// Q (f32) as two 16-byte vectors, K (bf16) as one; V unrotated.
// RUNS: vector.store %{{.*}}, %[[Q:arg[0-9]+]][%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// RUNS: vector.store %{{.*}}, %[[Q]][%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// RUNS: } else {
// RUNS: vector.store %{{.*}} {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// RUNS: } else {
// RUNS: vector.store %{{.*}} {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// Unaligned: a thread per pair.
// RUNS: } else {
// RUNS: scf.for %{{.*}} = %c0 to %c48 step %c4 {
