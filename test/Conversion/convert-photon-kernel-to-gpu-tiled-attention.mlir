// On the GPU, calls of more than 64 rows over caches longer than
// fused-attention-max-capacity (prefill) attend in one tiled kernel
// (tiled-attention): a block of 4 warps per (64 rows, query head). A tile of
// consecutive positions of one sequence streams 32-position K/V tiles of the
// bf16 cache through workgroup memory (16-byte loads) and computes QK^T and
// P·V with mma.sync (ldmatrix, transposed for V), an online softmax in
// between; no score goes to memory. Other tiles go row by row. f32 caches
// take the row-by-row path only (16-byte K loads too: the host checks both
// caches' alignment); tiled-attention=false keeps the three
// kernels.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -cse | FileCheck %s --check-prefix=F32
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tiled-attention=false' -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=guard-register-prefetch=true' -cse | FileCheck %s --check-prefix=GUARD

// head_dim 40 (two and a half MMA steps: padded to 48, rows of 56 in
// workgroup memory), 2 query heads on 1 KV head.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 80, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// The host sends more than 64 rows, not one a slot (a decode step's rows
// of different sequences take split attention), with 16-byte-aligned caches
// to the tiled kernel: a grid of ceil(rows / 64) x 2 heads x 4 blocks per
// tile (they split a tile's rows when it goes row by row), 128 threads.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xbf16>, %[[ROWS:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %[[SEQ:[^:]*]]: memref<?xi32>, %[[KC:[^:]*]]: memref<?xbf16>, %[[VC:[^:]*]]: memref<?xbf16>, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?x{{bf16|f32}}>, %{{[^:]*}}: memref<?xi32>, %[[PER_SLOT:[^:]*]]: index, %{{[^:]*}}: index)
// CHECK: function(@photon_attention)
// CHECK: } else {
// CHECK: %[[MANY:.*]] = arith.cmpi ugt, %[[ROWS]], %c64{{(_[0-9]+)?}} : index
// CHECK: %[[RUNS:.*]] = arith.cmpi ne, %[[PER_SLOT]], %c1{{(_[0-9]+)?}} : index
// CHECK: arith.andi %[[MANY]], %[[RUNS]] : i1
// CHECK: memref.extract_aligned_pointer_as_index %[[KC]]
// CHECK: arith.remui %{{.*}}, %c16{{(_[0-9]+)?}} : index
// CHECK: memref.extract_aligned_pointer_as_index %[[VC]]
// CHECK: %[[USE:.*]] = arith.andi
// CHECK-NEXT: scf.if %[[USE]] {
// CHECK-NEXT: %[[TILES:.*]] = arith.ceildivui %[[ROWS]], %c64{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[GRID:.*]] = arith.maxui %[[TILES]], %c1{{(_[0-9]+)?}} : index
// CHECK: gpu.launch blocks(%[[BX:[^,]*]], %[[HEAD:[^,]*]], %[[PART:[^)]*]]) in ({{.*}} = %[[GRID]], {{.*}} = %c2{{(_[0-9]+)?}}, {{.*}} = %c4{{(_[0-9]+)?}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c128{{(_[0-9]+)?}}, {{.*}}) module(@photon_kernels) function(@photon_attention_tiled) workgroup(%[[QS:.*]] : memref<64x56xbf16, #gpu.address_space<workgroup>>, %[[KS:.*]] : memref<32x56xbf16, #gpu.address_space<workgroup>>, %[[VS:.*]] : memref<32x56xbf16, #gpu.address_space<workgroup>>)
// Tiles in reverse order: the longest causal spans first.
// CHECK: %[[LAST:.*]] = arith.addi %[[GRID]], %c-1 : index
// CHECK-NEXT: %[[TILE:.*]] = arith.subi %[[LAST]], %[[BX]] : index
// CHECK-NEXT: %[[R0:.*]] = arith.muli %[[TILE]], %c64{{(_[0-9]+)?}} : index
// Every warp checks the tile's rows against its first (sequence, position)
// and combines the lanes' verdicts: a block-uniform branch.
// CHECK: memref.load %[[SEQ]][%[[R0]]]
// CHECK: memref.load %[[POS]][%[[R0]]]
// CHECK: gpu.shuffle  xor %{{.*}} : i32
// CHECK: %[[UNIFORM:.*]] = arith.cmpi ne, %{{.*}}, %c0_i32 : i32
// CHECK-NEXT: scf.if %[[UNIFORM]] {
// CHECK-NEXT: %[[FIRST:.*]] = arith.cmpi eq, %[[PART]], %c0{{(_[0-9]+)?}} : index
// CHECK-NEXT: scf.if %[[FIRST]] {
// The Q tile (64 x 48) as bf16, then the warp's A operands (3 MMA steps).
// CHECK: scf.for %{{.*}} = %[[TID]] to %c3072 step %c128
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: memref.store %{{.*}}, %[[QS]]
// CHECK: gpu.barrier
// CHECK-COUNT-3: nvgpu.ldmatrix %[[QS]]{{.*}}transpose = false
// K/V tiles: 32 positions x 6 chunks of 8 per tile (192 chunks: two a
// thread, the second only below 64), zero-filled past the tile's last
// position and head_dim, loaded a tile ahead: tile 0 before the loop, tile
// kt + 1 once tile kt is in workgroup memory, so the loads' latency
// overlaps tile kt's MMAs; the loop carries each thread's chunks.
// CHECK: vector.load %[[KC]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK-NEXT: vector.load %[[VC]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %{{.*}} step %c1{{(_[0-9]+)?}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, {{.*}}, vector<8xbf16>, vector<8xbf16>, i1, vector<8xbf16>, vector<8xbf16>, i1)
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: scf.if
// CHECK-NEXT: %[[K0:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<8xbf16>
// CHECK-NEXT: vector.store %[[K0]], %[[KS]]
// CHECK-NEXT: %[[V0:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<8xbf16>
// CHECK-NEXT: vector.store %[[V0]], %[[VS]]
// CHECK: gpu.barrier
// CHECK: vector.load %[[KC]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK-NEXT: vector.load %[[VC]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// guard-register-prefetch: tile kt + 1's loads only below the last tile,
// else the branch yields tile kt's chunks (the last six carried values).
// GUARD-LABEL: func.func private @photon_stack_shape0(
// GUARD: function(@photon_attention_tiled)
// GUARD: scf.for %[[KT:.*]] = %c0{{(_[0-9]+)?}} to %[[TILES:[^ ]*]] step %c1{{(_[0-9]+)?}} iter_args({{.*}}, %[[C0:[^ ]*]] = %{{[^,]*}}, %[[C1:[^ ]*]] = %{{[^,]*}}, %[[C2:[^ ]*]] = %{{[^,]*}}, %[[C3:[^ ]*]] = %{{[^,]*}}, %[[C4:[^ ]*]] = %{{[^,]*}}, %[[C5:[^ ]*]] = %{{[^,]*}}) -> (
// GUARD: gpu.barrier
// GUARD: gpu.barrier
// GUARD-NEXT: %[[NEXT:.*]] = arith.addi %[[KT]], %c1{{(_[0-9]+)?}} : index
// GUARD-NEXT: %[[MORE:.*]] = arith.cmpi ult, %[[NEXT]], %[[TILES]] : index
// GUARD-NEXT: scf.if %[[MORE]] -> (vector<8xbf16>, vector<8xbf16>, i1, vector<8xbf16>, vector<8xbf16>, i1) {
// GUARD: vector.load
// GUARD: } else {
// GUARD-NEXT: scf.yield %[[C0]], %[[C1]], %[[C2]], %[[C3]], %[[C4]], %[[C5]] :
// Scores: 3 steps x 2 ldmatrix.x4 of K (4 n-tiles of 8 positions).
// CHECK-NOT: memref.store
// CHECK: nvgpu.ldmatrix %[[KS]]{{.*}}transpose = false
// CHECK: nvvm.mma.sync
// Causal mask, the row max across the row's 4 lanes, exp.
// CHECK: arith.cmpi ugt
// CHECK: arith.select
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK: math.exp
// P as bf16 pairs, times V through a transposing ldmatrix.
// CHECK: arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// CHECK: nvgpu.ldmatrix %[[VS]]{{.*}}transpose = true
// CHECK: nvvm.mma.sync
// CHECK-NOT: memref.store
// CHECK: scf.yield
// Output: divided by the row sums, stored within the rows and head_dim.
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[S]]
// Other tiles: a warp per row (warp w of block k: rows 4k + w, + 16, ...),
// lanes over positions (K rows as 16-byte vectors) then features.
// CHECK: } else {
// CHECK: %[[SKIP:.*]] = arith.muli %[[PART]], %c4{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[FROM:.*]] = arith.addi %{{.*}}, %[[SKIP]] : index
// CHECK-NEXT: scf.for %{{.*}} = %[[FROM]] to %{{.*}} step %c16
// CHECK: vector.load %[[KC]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK: gpu.shuffle  idx
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: gpu.terminator
// Fewer rows or misaligned caches: split attention (where it applies), else
// the three kernels.
// CHECK: } else {
// CHECK: function(@photon_attention_split)
// CHECK: function(@photon_attention_scores)
// CHECK-LABEL: func.func private @photon_lm_head(

// f32 caches: the row-by-row kernel, no workgroup memory, no tensor cores.
// F32-LABEL: func.func private @photon_stack_shape0(
// F32-SAME: %[[KC:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: index, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: index, %{{[^:]*}}: index)
// F32: arith.cmpi ugt, %{{.*}}, %c64{{(_[0-9]+)?}} : index
// F32: arith.remui %{{.*}}, %c16{{(_[0-9]+)?}} : index
// F32: function(@photon_attention_tiled) {
// F32-NOT: nvvm.mma.sync
// F32: vector.load %[[KC]][%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// F32: gpu.shuffle  idx
// F32: function(@photon_attention_split)
// F32: function(@photon_attention_scores)
// F32-LABEL: func.func private @photon_lm_head(

// OFF-NOT: photon_attention_tiled
// OFF: function(@photon_attention_scores)
// OFF-NOT: photon_attention_tiled
