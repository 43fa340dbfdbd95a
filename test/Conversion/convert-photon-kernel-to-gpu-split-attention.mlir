// On the GPU, caches longer than fused-attention-max-capacity take split
// attention (split-attention, flash-decoding): a block per (split, KV head
// with its query heads, row) walks one contiguous range of positions 0..pos,
// warps over positions and lanes over features with vector loads of the K/V
// rows, an online softmax per query head; with more than one split a second
// kernel merges the splits' (max, sum, acc) states, or with
// fuse-attention-combine the last block of a row's splits, counting the
// blocks on the row's semaphore. No score goes to memory.
// Caches of at most fused-attention-max-capacity positions take the same
// kernel with one split (split-short-caches): photon_attention_short, no
// combine; split-short-caches=false gives them the fused block-per-(row,
// query head) kernel (convert-photon-kernel-to-gpu-attention.mlir).
// split-attention-lane-vectors gives a lane more vectors of a position and
// a position fewer lanes; split-attention-prefetch-steps keeps more loop
// steps' loads in flight, split-attention-one-row-prefetch-steps (default 4)
// those of one-row calls, which take a kernel of their own where it differs. split-attention=false keeps the three unfused
// kernels; heads wider than a warp's vectors keep them too. (tiled-attention=false: calls of more than 64
// rows would take the tiled kernel first, convert-photon-kernel-to-gpu-tiled-attention.mlir.)
// The runs below take split-attention-cluster-blocks=0: the default merges
// the splits in a thread block cluster instead of a second kernel
// (convert-photon-kernel-to-gpu-split-attention-cluster.mlir).
// RUN: split-file %s %t
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false fuse-attention-combine=true split-attention-one-row-prefetch-steps=1' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false' -canonicalize -cse | FileCheck %s --check-prefix=SHORT
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false' -canonicalize -cse | FileCheck %s --check-prefix=COMBINE
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 fused-attention-max-capacity=0 tiled-attention=false fuse-attention-combine=true split-attention-one-row-prefetch-steps=1' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false multiprocessors=108' -canonicalize -cse | FileCheck %s --check-prefix=SM108
// RUN: not photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=-1' 2>&1 | FileCheck %s --check-prefix=NO-SM
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false split-attention-lane-vectors=4' -canonicalize -cse | FileCheck %s --check-prefix=VECS
// RUN: not photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-lane-vectors=0' 2>&1 | FileCheck %s --check-prefix=NO-VECS
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false split-attention-prefetch-steps=2' -canonicalize -cse | FileCheck %s --check-prefix=AHEAD
// RUN: not photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-prefetch-steps=5' 2>&1 | FileCheck %s --check-prefix=NO-AHEAD
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false' -canonicalize -cse | FileCheck %s --check-prefix=ONE-ROW
// RUN: not photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-one-row-prefetch-steps=0' 2>&1 | FileCheck %s --check-prefix=NO-ONE-ROW
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false split-attention-one-row-stages=3' -canonicalize -cse | FileCheck %s --check-prefix=STAGED
// RUN: not photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-one-row-stages=1' 2>&1 | FileCheck %s --check-prefix=NO-STAGED
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false split-short-caches=false guard-register-prefetch=true' -canonicalize -cse | FileCheck %s --check-prefix=GUARD
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention=false' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=fuse-attention=false' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %t/gqa3.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -canonicalize -cse | FileCheck %s --check-prefix=CPU
// RUN: photon-opt %t/wide.mlir -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=split-attention-cluster-blocks=0 tiled-attention=false' -canonicalize -cse | FileCheck %s --check-prefix=WIDE-BF16
// RUN: photon-opt %t/wide.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %t/wide.mlir -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tiled-attention=false programmatic-launch=true' -canonicalize -cse | FileCheck %s --check-prefix=L2
// RUN: photon-opt %t/wide.mlir -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tiled-attention=false programmatic-launch=true split-attention-l2-prefetch=false' -canonicalize -cse | FileCheck %s --check-prefix=NO-L2

//--- gqa3.mlir
// 3 query heads share 1 KV head; head_dim 30 (f32: 2-float vectors, 15 of
// them, so a position takes 16 lanes, one of them idle).
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 90, layers = 1, n_heads = 3, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

//--- wide.mlir
// head_dim 136: 17 16-byte vectors of bf16, but 34 of f32 (over a warp).
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 16, d_model = 136, layers = 1, n_heads = 1, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// Scratch per row (D 90, KV 30, F 16): A at rows·240, the scores region at
// rows·362 (3D + 2KV + 2F) holds the splits' states.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %[[ROWS:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %{{[^:]*}}: memref<?xi32>, %[[KC:[^:]*]]: memref<?xf32>, %[[VC:[^:]*]]: memref<?xf32>, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?x{{bf16|f32}}>, %[[SEM:[^:]*]]: memref<?xi32>, %{{[^:]*}}: index, %{{[^:]*}}: index)
// CHECK-DAG: %[[ABASE:.*]] = arith.muli %[[ROWS]], %c240 : index
// CHECK-DAG: %[[PBASE:.*]] = arith.muli %[[ROWS]], %c362 : index
// CHECK-DAG: %[[SOMEROWS:.*]] = arith.maxui %[[ROWS]], %c1 : index
// CHECK: function(@photon_rope_cache)
// CHECK: function(@photon_attention)
// Splits, on the host: ceil(528 blocks / (rows · 1 KV head)), at most
// (capacity + 2) / (head_dim + 2) (the scratch) and capacity / 64, at least 1.
// CHECK: %[[WANT:.*]] = arith.ceildivui %c528, %[[SOMEROWS]] : index
// CHECK-NEXT: %[[C2:.*]] = arith.addi %[[CAP]], %c2 : index
// CHECK-NEXT: %[[FITS:.*]] = arith.divui %[[C2]], %c32 : index
// CHECK-NEXT: %[[LONG:.*]] = arith.divui %[[CAP]], %c64 : index
// CHECK-NEXT: %[[FIT:.*]] = arith.minui %[[FITS]], %[[LONG]] : index
// CHECK-NEXT: %[[FEW:.*]] = arith.minui %[[WANT]], %[[FIT]] : index
// CHECK-NEXT: %[[SPLITS:.*]] = arith.maxui %[[FEW]], %c1 : index
// The caches must be aligned to the 8-byte vectors.
// CHECK: memref.extract_aligned_pointer_as_index %[[KC]]
// CHECK: arith.remui %{{.*}}, %c8 : index
// CHECK: memref.extract_aligned_pointer_as_index %[[VC]]
// CHECK: %[[ALIGNED:.*]] = arith.andi
// CHECK-NEXT: scf.if %[[ALIGNED]] {
// Grid (splits, 1 KV head · 1 run of 3 query heads, rows), 4 warps; per warp
// and query head (4 · 3) a max and a sum, and 30 accumulators.
// CHECK-NEXT: gpu.launch blocks(%[[SPLIT:[^,]*]], %{{[^,]*}}, %[[ROW:[^)]*]]) in (%[[NS:[^ ]*]] = %[[SPLITS]], %{{[^ ]*}} = %c1, %{{[^ ]*}} = %[[SOMEROWS]]) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_attention_split) workgroup(%[[MS:.*]] : memref<12xf32, #gpu.address_space<workgroup>>, %[[LS:.*]] : memref<12xf32, #gpu.address_space<workgroup>>, %[[ACCS:.*]] : memref<360xf32, #gpu.address_space<workgroup>>, %[[FLAG:.*]] : memref<4xi32, #gpu.address_space<workgroup>>)
// CHECK-NEXT: %[[WARP:.*]] = arith.divui %[[TID]], %c32 : index
// CHECK-NEXT: %[[LANE:.*]] = arith.remui %[[TID]], %c32 : index
// CHECK-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[ROW]], %[[ROWS]] : index
// CHECK-NEXT: scf.if %[[IN]] {
// Split s covers [s · chunk, min((s + 1) · chunk, pos + 1)), chunk =
// max(ceil((pos + 1) / splits), 64); an empty one does nothing.
// CHECK-NEXT: %[[P:.*]] = memref.load %[[POS]][%[[ROW]]]
// CHECK-NEXT: %[[PI:.*]] = arith.index_cast %[[P]]
// CHECK-NEXT: %[[END:.*]] = arith.addi %[[PI]], %c1 : index
// CHECK-NEXT: %[[CD:.*]] = arith.ceildivui %[[END]], %[[NS]] : index
// CHECK-NEXT: %[[CHUNK:.*]] = arith.maxui %[[CD]], %c64 : index
// CHECK-NEXT: %[[LO:.*]] = arith.muli %[[SPLIT]], %[[CHUNK]] : index
// CHECK-NEXT: %[[LOCHUNK:.*]] = arith.addi %[[LO]], %[[CHUNK]] : index
// CHECK-NEXT: %[[HI:.*]] = arith.minui %[[LOCHUNK]], %[[END]] : index
// CHECK-NEXT: %[[ANY:.*]] = arith.cmpi ult, %[[LO]], %[[HI]] : index
// CHECK-NEXT: scf.if %[[ANY]] {
// Lane l: vector l % 16 of position group l / 16; vector 15 is past the head.
// CHECK-NEXT: %[[VEC:.*]] = arith.remui %[[LANE]], %c16 : index
// CHECK-NEXT: %[[GROUP:.*]] = arith.divui %[[LANE]], %c16 : index
// CHECK-NEXT: %[[HOLDS:.*]] = arith.cmpi ult, %[[VEC]], %c15 : index
// Warp w starts at lo + 8w (2 groups x 4 positions), the block steps by 32;
// (max, sum, 2 accumulators) for each of the 3 heads. The loop is software
// pipelined: the first step's four K vectors, then four V vectors, load
// before it (positions past hi read position lo) and ride in as iteration
// arguments; each step loads the next step's (base + 32) before it
// computes.
// CHECK: %[[W8:.*]] = arith.muli %[[WARP]], %c8 : index
// CHECK-NEXT: %[[START:.*]] = arith.addi %[[LO]], %[[W8]] : index
// CHECK-NEXT: %[[U0:.*]] = arith.addi %[[START]], %[[GROUP]] : index
// CHECK-NEXT: %[[OK0:.*]] = arith.cmpi ult, %[[U0]], %[[HI]] : index
// CHECK-NEXT: arith.select %[[OK0]], %[[U0]], %[[LO]] : index
// CHECK: %[[K0:.*]] = vector.load %[[KC]][%[[AT0:.*]]] {alignment = 8 : i64} : memref<?xf32>, vector<2xf32>
// CHECK-COUNT-3: vector.load %[[KC]]
// CHECK-NEXT: %[[V0:.*]] = vector.load %[[VC]][%[[AT0]]] {alignment = 8 : i64} : memref<?xf32>, vector<2xf32>
// CHECK-COUNT-3: vector.load %[[VC]]
// CHECK-NEXT: %[[ST:.*]]:20 = scf.for %[[BASE:.*]] = %[[START]] to %[[HI]] step %c32 iter_args({{.*}}%{{.*}} = %[[K0]], {{.*}}) -> ({{.*}}vector<2xf32>) {
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[BASE]], %c32 : index
// CHECK-COUNT-4: vector.load %[[KC]]
// CHECK-COUNT-4: vector.load %[[VC]]
// The carried step's validity: positions below hi.
// CHECK: %[[U1:.*]] = arith.addi %[[BASE]], %[[GROUP]] : index
// CHECK-NEXT: %[[OK1:.*]] = arith.cmpi ult, %[[U1]], %[[HI]] : index
// A position's dot product summed over its 16 lanes.
// CHECK: gpu.shuffle  xor %{{.*}}, %c8_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c4_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: arith.select %[[OK1]], %{{.*}}, %cst{{.*}} : f32
// CHECK: math.exp
// CHECK-NOT: memref.store
// CHECK: scf.yield
// The warp's two position groups merge (lanes 16 apart), each of the 12
// state values shuffled.
// CHECK: gpu.shuffle  xor %[[ST]]#0, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %[[ST]]#11, %c16_i32, %c32_i32 : f32
// Lanes 0-14 publish the warp's accumulators, lane 0 its maxima and sums.
// CHECK: %[[PUB:.*]] = arith.cmpi ult, %[[LANE]], %c15 : index
// CHECK-NEXT: scf.if %[[PUB]] {
// CHECK-COUNT-6: memref.store %{{.*}}, %[[ACCS]]
// CHECK: %[[L0:.*]] = arith.cmpi eq, %[[LANE]], %c0 : index
// CHECK-NEXT: scf.if %[[L0]] {
// CHECK-COUNT-3: memref.store %{{.*}}, %[[LS]]
// CHECK: gpu.barrier
// A thread per (head, feature) merges the 4 warps.
// CHECK-NEXT: %[[ONE:.*]] = arith.cmpi eq, %[[NS]], %c1 : index
// CHECK-NEXT: scf.for %[[T:.*]] = %[[TID]] to %c90 step %c128 {
// CHECK: memref.load %[[MS]]
// CHECK: memref.load %[[ACCS]]
// CHECK: math.fma
// CHECK: scf.if %[[ONE]] {
// One split: A[row, head, d] = acc / l.
// CHECK-NEXT: %[[OUT:.*]] = arith.divf %[[NUM:[^,]*]], %{{.*}} : f32
// CHECK: %[[AAT:.*]] = arith.addi %[[ABASE]], %{{.*}} : index
// CHECK-NEXT: memref.store %[[OUT]], %[[S]][%[[AAT]]] : memref<?xf32>
// CHECK-NEXT: } else {
// Else the state ((row · 3 + head) · splits + s) · 32: m, l, acc[30].
// CHECK: arith.muli %{{.*}}, %[[NS]] : index
// CHECK-NEXT: %[[STATE:.*]] = arith.addi %{{.*}}, %[[SPLIT]] : index
// CHECK-NEXT: arith.muli %[[STATE]], %c32 : index
// CHECK: %[[ACCAT:.*]] = arith.addi %[[PBASE]], %{{.*}} : index
// CHECK-NEXT: memref.store %[[NUM]], %[[S]][%[[ACCAT]]] : memref<?xf32>
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: memref.store %{{.*}}, %[[S]]
// With more than one split (fuse-attention-combine) the last block of the
// row's splits merges them, as a grid barrier counts blocks: after a
// barrier, thread 0 fences at the GPU scope, counts the block on the row's
// semaphore and fences again; the block that brings the count to the
// nonempty splits (ceil((pos + 1) / chunk)) merges their states and sets
// the semaphore back to zero.
// CHECK: %[[MANY:.*]] = arith.cmpi ne, %[[NS]], %c1 : index
// CHECK-NEXT: scf.if %[[MANY]] {
// CHECK-NEXT: %[[USED:.*]] = arith.ceildivui %[[END]], %[[CHUNK]] : index
// CHECK: gpu.barrier
// CHECK-NEXT: %[[T0:.*]] = arith.cmpi eq, %[[TID]], %c0 : index
// CHECK-NEXT: scf.if %[[T0]] {
// CHECK-NEXT: nvvm.memory.barrier <gpu>
// CHECK-NEXT: %[[ARRIVED:.*]] = memref.atomic_rmw addi %c1_i32, %[[SEM]][%[[ROW]]] : (i32, memref<?xi32>) -> i32
// CHECK-NEXT: nvvm.memory.barrier <gpu>
// CHECK: memref.store %{{.*}}, %[[FLAG]][%c0]
// CHECK: gpu.barrier
// CHECK-NEXT: %[[F:.*]] = memref.load %[[FLAG]][%c0]
// CHECK-NEXT: %[[LAST:.*]] = arith.cmpi ne, %[[F]], %c0_i32 : i32
// CHECK-NEXT: scf.if %[[LAST]] {
// Thread group w (of 4) merges splits w, w + 4, ..., 4 of them a step (3
// loads each: m, l, acc[d]), into state w of the workgroup buffers; then
// the 4 states merge as the warps' did, into A.
// CHECK-NEXT: scf.for %{{.*}} = %[[TID]] to %c360 step %c128 {
// CHECK: scf.for %{{.*}} to %[[USED]] step %c16 iter_args(
// CHECK-COUNT-12: memref.load %[[S]]
// CHECK: memref.store %{{.*}}, %[[ACCS]]
// CHECK: memref.store %{{.*}}, %[[MS]]
// CHECK: memref.store %{{.*}}, %[[LS]]
// CHECK: gpu.barrier
// CHECK-NEXT: scf.for %{{.*}} = %[[TID]] to %c90 step %c128 {
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: memref.store %c0_i32, %[[SEM]][%[[ROW]]] : memref<?xi32>
// CHECK-NOT: memref.store
// CHECK: gpu.terminator
// CHECK-NOT: photon_attention_combine
// Misaligned caches: the unfused kernels.
// CHECK: } else {
// CHECK: function(@photon_attention_scores)
// CHECK: function(@photon_attention_softmax)
// CHECK: function(@photon_attention_values)
// CHECK-LABEL: func.func private @photon_lm_head(

// By default the split kernel leaves its partial states (no semaphore); a
// second kernel, only with more than one split, merges them.
// COMBINE-LABEL: func.func private @photon_stack_shape0(
// COMBINE-SAME: %[[ROWS:[^:]*]]: index, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?x{{bf16|f32}}>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: index, %{{[^:]*}}: index)
// COMBINE-DAG: %[[SOMEROWS:.*]] = arith.maxui %[[ROWS]], %c1 : index
// COMBINE: %[[FIT:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// COMBINE-NEXT: %[[FEW:.*]] = arith.minui %{{.*}}, %[[FIT]] : index
// COMBINE-NEXT: %[[SPLITS:.*]] = arith.maxui %[[FEW]], %c1 : index
// COMBINE: function(@photon_attention_split)
// COMBINE-NOT: memref.atomic_rmw
// COMBINE: gpu.terminator
// The combine, only with more than one split: a block of 256 threads per
// (head, row) over the splits that hold positions (ceil((pos + 1) / chunk)):
// their maxima, then their weights exp(m - max) (kept in workgroup memory,
// at most 528 splits) and sums, as block reductions; then 8 groups of 30
// threads (group g, feature d) sum the accumulators of splits g, g + 8, ...
// 4 at a time (a split past them weighs 0), and threads d < 30 add the
// groups' sums.
// COMBINE: %[[MANY:.*]] = arith.cmpi ugt, %[[SPLITS]], %c1 : index
// COMBINE-NEXT: scf.if %[[MANY]] {
// COMBINE-NEXT: gpu.launch blocks(%[[CH:[^,]*]], %[[CROW:[^,]*]], %{{[^)]*}}) in (%{{[^ ]*}} = %c3, %{{[^ ]*}} = %[[SOMEROWS]], %{{[^ ]*}} = %c1) threads(%[[CT:[^,]*]], {{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_attention_combine) workgroup(%[[MB:[^ ]*]] : memref<32xf32, #gpu.address_space<workgroup>>, %[[LB:[^ ]*]] : memref<32xf32, #gpu.address_space<workgroup>>, %[[WS:[^ ]*]] : memref<528xf32, #gpu.address_space<workgroup>>, %[[NS2:[^ ]*]] : memref<240xf32, #gpu.address_space<workgroup>>)
// COMBINE: %[[CCD:.*]] = arith.ceildivui %{{.*}}, %[[SPLITS]] : index
// COMBINE-NEXT: %[[CCHUNK:.*]] = arith.maxui %[[CCD]], %c64 : index
// COMBINE-NEXT: %[[USED:.*]] = arith.ceildivui %{{.*}}, %[[CCHUNK]] : index
// COMBINE: scf.for %{{.*}} = %[[CT]] to %[[USED]] step %c256 iter_args(
// COMBINE: arith.maximumf
// COMBINE: memref.store %{{.*}}, %[[MB]]
// COMBINE: gpu.barrier
// COMBINE: scf.for %[[SW:.*]] = %[[CT]] to %[[USED]] step %c256 iter_args(
// COMBINE: math.exp
// COMBINE-NEXT: memref.store %{{.*}}, %[[WS]][%[[SW]]]
// COMBINE: memref.store %{{.*}}, %[[LB]]
// COMBINE: gpu.barrier
// COMBINE: %[[G:.*]] = arith.divui %[[CT]], %c30 : index
// COMBINE-NEXT: %[[D:.*]] = arith.remui %[[CT]], %c30 : index
// COMBINE-NEXT: %[[GROUPED:.*]] = arith.cmpi ult, %[[CT]], %c240 : index
// COMBINE-NEXT: scf.if %[[GROUPED]] {
// COMBINE-NEXT: %[[NUM:.*]] = scf.for %{{.*}} = %[[G]] to %[[USED]] step %c32 iter_args(
// COMBINE-COUNT-4: math.fma
// COMBINE: memref.store %[[NUM]], %[[NS2]][%[[CT]]]
// COMBINE: gpu.barrier
// COMBINE-NEXT: %[[FEAT:.*]] = arith.cmpi ult, %[[CT]], %c30 : index
// COMBINE-NEXT: scf.if %[[FEAT]] {
// COMBINE-COUNT-8: memref.load %[[NS2]]
// COMBINE: arith.divf
// COMBINE: memref.store %{{.*}}, %[[S]]
// COMBINE: gpu.terminator

// Short caches (capacity <= 256): one split, the kernel writes A itself (no
// partial states, no combine). At most 32 positions: a warp per (row, run
// of query heads) over all positions 0..pos, 4 a block (here one run: 3
// query heads per KV head), no workgroup memory and no barrier; longer: a
// block per (run, row). Misaligned caches fall back to the fused kernel.
// SHORT-LABEL: func.func private @photon_stack_shape0(
// SHORT-SAME: %[[ROWS:[^:]*]]: index, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xi32>, %[[KC:[^:]*]]: memref<?xf32>, %[[VC:[^:]*]]: memref<?xf32>, %[[CAP:[^:]*]]: index, %[[S:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?x{{bf16|f32}}>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: index, %{{[^:]*}}: index)
// SHORT-DAG: %[[SOMEROWS:.*]] = arith.maxui %[[ROWS]], %c1 : index
// SHORT: %[[SHORTCAP:.*]] = arith.cmpi ule, %[[CAP]], %c256 : index
// SHORT-NEXT: scf.if %[[SHORTCAP]] {
// SHORT-NEXT: memref.extract_aligned_pointer_as_index %[[KC]]
// SHORT: memref.extract_aligned_pointer_as_index %[[VC]]
// SHORT: %[[ALIGNED:.*]] = arith.andi
// SHORT-NEXT: scf.if %[[ALIGNED]] {
// SHORT-NEXT: %[[TINY:.*]] = arith.cmpi ule, %[[CAP]], %c32 : index
// SHORT-NEXT: scf.if %[[TINY]] {
// SHORT-NEXT: %[[BLOCKS:.*]] = arith.ceildivui %[[SOMEROWS]], %c4 : index
// SHORT-NEXT: gpu.launch blocks(%[[BLOCK:[^,]*]], {{.*}}) in (%{{[^ ]*}} = %[[BLOCKS]], %{{[^ ]*}} = %c1, %{{[^ ]*}} = %c1) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_attention_short_warps) {
// SHORT-NEXT: %[[WARP:.*]] = arith.divui %[[TID]], %c32 : index
// SHORT-NEXT: %[[LANE:.*]] = arith.remui %[[TID]], %c32 : index
// SHORT-NEXT: %[[FIRST:.*]] = arith.muli %[[BLOCK]], %c4 : index
// SHORT-NEXT: %[[ROW:.*]] = arith.addi %[[FIRST]], %[[WARP]] : index
// SHORT-NEXT: arith.cmpi ult, %[[ROW]], %[[ROWS]] : index
// The warp's loop loads each step's own K and V (mostly one step): only the
// 12 state values ride in it, no prefetched vectors.
// SHORT: scf.for %{{.*}} iter_args({{[^)]*}}) -> ({{(f32, )+}}f32) {
// SHORT: vector.load %[[KC]]
// SHORT: vector.load %[[VC]]
// SHORT-NOT: gpu.barrier
// SHORT: %[[INSIDE:.*]] = arith.cmpi ult, %[[LANE]], %c15 : index
// SHORT-NEXT: scf.if %[[INSIDE]] {
// SHORT-NEXT: %[[OUT:.*]] = arith.divf
// SHORT-NEXT: arith.addi
// SHORT-NEXT: memref.store %[[OUT]], %[[S]]
// SHORT-NOT: gpu.barrier
// SHORT: gpu.terminator
// SHORT: } else {
// SHORT-NEXT: gpu.launch blocks({{.*}}) in (%{{[^ ]*}} = %c1, %{{[^ ]*}} = %c1, %{{[^ ]*}} = %[[SOMEROWS]]) threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_attention_short) workgroup(%{{.*}} : memref<12xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<12xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<360xf32, #gpu.address_space<workgroup>>)
// The block kernel's loop is pipelined: the first step's 4 K and 4 V
// vectors ride in with the state.
// SHORT: vector.load %[[KC]]
// SHORT: vector.load %[[VC]]
// SHORT: scf.for %{{.*}} -> ({{(f32, )+(vector<2xf32>, )+}}vector<2xf32>) {
// SHORT: gpu.barrier
// SHORT: %[[OUT2:.*]] = arith.divf
// SHORT: memref.store %[[OUT2]], %[[S]]
// SHORT-NOT: memref.store
// SHORT: gpu.terminator
// SHORT-NOT: photon_attention_combine
// SHORT: } else {
// SHORT-NEXT: arith.maxui
// SHORT-NEXT: gpu.launch {{.*}} function(@photon_attention)
// SHORT: } else {
// SHORT: function(@photon_attention_split)
// SHORT-NOT: memref.atomic_rmw
// SHORT: function(@photon_attention_combine)
// SHORT-LABEL: func.func private @photon_lm_head(

// The splits aim at 4 blocks per multiprocessor (multiprocessors=108:
// an A100, as photon-to-nvvm sets it for chip=sm_80).
// SM108-LABEL: func.func private @photon_stack_shape0(
// SM108: arith.ceildivui %c432, %{{.*}} : index
// NO-SM: multiprocessors must not be negative, got -1

// split-attention-lane-vectors=4: a lane loads 4 of the head's 15 vectors
// (vectors 4l .. 4l + 3 of lane l of a position), 4 lanes a position, the
// last lane's fourth vector past the head; one position a lane group and
// step (unroll 4 / 4), 8 groups a warp.
// VECS: function(@photon_attention_split)
// VECS: %[[VLANE:.*]] = arith.remui %{{.*}}, %c32 : index
// VECS: %[[AT:.*]] = arith.remui %[[VLANE]], %c4 : index
// VECS-NEXT: %[[GROUP:.*]] = arith.divui %[[VLANE]], %c4 : index
// VECS-NEXT: %[[FIRST:.*]] = arith.muli %[[AT]], %c4 : index
// VECS-NEXT: arith.cmpi ult, %[[FIRST]], %c15 : index
// VECS: %[[LAST:.*]] = arith.addi %[[FIRST]], %c3 : index
// VECS-NEXT: %[[HOLDS3:.*]] = arith.cmpi ult, %[[LAST]], %c15 : index
// Warp w starts at lo + 8w, the block steps by 32; the state is 3 heads'
// (max, sum, 8 accumulators), then one position's 4 K and 4 V vectors.
// VECS: arith.muli %{{.*}}, %c8 : index
// VECS-COUNT-4: vector.load %{{.*}} : memref<?xf32>, vector<2xf32>
// VECS-COUNT-4: vector.load %{{.*}} : memref<?xf32>, vector<2xf32>
// VECS-NEXT: %{{.*}}:38 = scf.for %{{.*}} step %c32 iter_args(
// VECS-COUNT-8: vector.load
// A position's dot product summed over its 4 lanes.
// VECS-NOT: gpu.shuffle  xor %{{.*}}, %c8_i32
// VECS: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// VECS-NEXT: arith.addf
// VECS-NEXT: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// VECS: scf.yield
// The warp's 8 position groups merge: lanes 4, 8 and 16 apart.
// VECS: gpu.shuffle  xor %{{.*}}, %c4_i32, %c32_i32 : f32
// VECS: gpu.shuffle  xor %{{.*}}, %c8_i32, %c32_i32 : f32
// VECS: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// Lanes 0-3 publish their vectors; the fourth only where it holds features.
// VECS: %[[PUB:.*]] = arith.cmpi ult, %[[VLANE]], %c4 : index
// VECS-NEXT: scf.if %[[PUB]] {
// VECS: scf.if %[[HOLDS3]] {
// VECS-COUNT-2: memref.store
// VECS: gpu.barrier
// NO-VECS: split-attention-lane-vectors must be positive, got 0

// split-attention-prefetch-steps=2: the first two steps' K and V vectors load
// before the loop (at start and start + 32) and ride in as its arguments;
// each step loads the one two steps on (base + 64) and passes the next on.
// AHEAD: function(@photon_attention_split)
// AHEAD: %[[AW8:.*]] = arith.muli %{{.*}}, %c8 : index
// AHEAD-NEXT: %[[ASTART:.*]] = arith.addi %{{.*}}, %[[AW8]] : index
// AHEAD-NEXT: %[[AU0:.*]] = arith.addi %[[ASTART]], %{{.*}} : index
// AHEAD-NEXT: arith.cmpi ult, %[[AU0]], %{{.*}} : index
// AHEAD: %[[K0:.*]] = vector.load %{{.*}} : memref<?xf32>, vector<2xf32>
// AHEAD-COUNT-7: vector.load
// AHEAD-NEXT: %[[SECOND:.*]] = arith.addi %[[ASTART]], %c32 : index
// AHEAD: %[[K1:.*]] = vector.load %{{.*}} : memref<?xf32>, vector<2xf32>
// AHEAD-COUNT-7: vector.load
// AHEAD-NEXT: scf.for %[[ABASE:.*]] = %[[ASTART]] to %{{.*}} step %c32 iter_args({{.*}}%{{.*}} = %[[K0]], {{.*}}%{{.*}} = %[[K1]], {{.*}}) -> ({{.*}}vector<2xf32>) {
// AHEAD-NEXT: arith.addi %[[ABASE]], %c64 : index
// AHEAD-COUNT-8: vector.load
// AHEAD: scf.yield
// NO-AHEAD: split-attention-prefetch-steps must be 1 to 4, got 5

// By default (split-attention-one-row-prefetch-steps=4) calls of one row
// take photon_attention_split_one_row, whose first four steps' K and V vectors
// load before the loop (start, + 32, + 64, + 96) and each step loads the
// one four steps on (base + 128); other calls take photon_attention_split
// with one step ahead, and either is followed by the one combine.
// ONE-ROW-LABEL: func.func private @photon_stack_shape0(
// ONE-ROW-SAME: %[[ROWS:[^:]*]]: index,
// ONE-ROW: %[[ONE:.*]] = arith.cmpi ule, %[[ROWS]], %c1 : index
// ONE-ROW-NEXT: scf.if %[[ONE]] {
// ONE-ROW-NEXT: gpu.launch {{.*}} function(@photon_attention_split_one_row)
// ONE-ROW: %[[W8:.*]] = arith.muli %{{.*}}, %c8 : index
// ONE-ROW-NEXT: %[[START:.*]] = arith.addi %{{.*}}, %[[W8]] : index
// ONE-ROW-COUNT-8: vector.load
// ONE-ROW: arith.addi %[[START]], %c32 : index
// ONE-ROW-COUNT-8: vector.load
// ONE-ROW: arith.addi %[[START]], %c64 : index
// ONE-ROW-COUNT-8: vector.load
// ONE-ROW: arith.addi %[[START]], %c96 : index
// ONE-ROW-COUNT-8: vector.load
// ONE-ROW-NEXT: scf.for %[[BASE:.*]] = %[[START]] to %{{.*}} step %c32 iter_args({{.*}}) -> ({{.*}}vector<2xf32>) {
// ONE-ROW-NEXT: arith.addi %[[BASE]], %c128 : index
// ONE-ROW: gpu.launch {{.*}} function(@photon_attention_split)
// ONE-ROW: %[[W8B:.*]] = arith.muli %{{.*}}, %c8 : index
// ONE-ROW-NEXT: %[[STARTB:.*]] = arith.addi %{{.*}}, %[[W8B]] : index
// ONE-ROW-COUNT-8: vector.load
// ONE-ROW-NEXT: scf.for %[[BASEB:.*]] = %[[STARTB]] to %{{.*}} step %c32 iter_args({{.*}}) -> ({{.*}}vector<2xf32>) {
// ONE-ROW-NEXT: arith.addi %[[BASEB]], %c32 : index
// ONE-ROW-NOT: function(@photon_attention_split
// ONE-ROW: function(@photon_attention_combine)
// ONE-ROW-NOT: function(@photon_attention_split
// ONE-ROW-NOT: function(@photon_attention_combine)
// ONE-ROW-LABEL: func.func private @photon_lm_head(
// NO-ONE-ROW: split-attention-one-row-prefetch-steps must be 1 to 4, got 0

// split-attention-one-row-stages=3: the one-row kernel keeps its loads in
// flight in 3 shared-memory stages of 8 vectors x 128 threads x 2 floats
// (6,144), not in registers: steps 0 and 1 are copied before the loop (one
// commit group each, stages 0 and 1), and step n copies step n + 2 into
// stage (n + 2) mod 3, waits until at most 2 groups are pending (its own
// has landed) and reads its 8 vectors from stage n mod 3; no vector is
// carried. The other calls' kernel is unchanged.
// STAGED-LABEL: func.func private @photon_stack_shape0(
// STAGED: gpu.launch {{.*}} function(@photon_attention_split_one_row) workgroup({{.*}}, %[[STAGES:.*]] : memref<6144xf32, #gpu.address_space<workgroup>>)
// STAGED: %[[W8:.*]] = arith.muli %{{.*}}, %c8 : index
// STAGED-NEXT: %[[START:.*]] = arith.addi %{{.*}}, %[[W8]] : index
// STAGED-NOT: vector.load
// STAGED-COUNT-8: nvgpu.device_async_copy %{{.*}}, %[[STAGES]][%{{.*}}], 2 : memref<?xf32> to memref<6144xf32, #gpu.address_space<workgroup>>
// STAGED-NEXT: nvgpu.device_async_create_group
// STAGED: arith.addi %[[START]], %c32 : index
// STAGED-NOT: vector.load
// STAGED-COUNT-8: nvgpu.device_async_copy %{{.*}}, %[[STAGES]]
// STAGED-NEXT: nvgpu.device_async_create_group
// STAGED-NEXT: scf.for %[[BASE:.*]] = %[[START]] to %{{.*}} step %c32 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// STAGED-NEXT: %[[REL:.*]] = arith.subi %[[BASE]], %[[START]] : index
// STAGED-NEXT: %[[N:.*]] = arith.divui %[[REL]], %c32 : index
// STAGED-NEXT: arith.addi %[[BASE]], %c64 : index
// STAGED-NEXT: %[[N2:.*]] = arith.addi %[[N]], %c2 : index
// STAGED-NEXT: arith.remui %[[N2]], %c3 : index
// STAGED-NOT: vector.load
// STAGED-COUNT-8: nvgpu.device_async_copy %{{.*}}, %[[STAGES]]
// STAGED-NEXT: %[[GROUP:.*]] = nvgpu.device_async_create_group
// STAGED-NEXT: nvgpu.device_async_wait %[[GROUP]] {numGroups = 2 : i32}
// STAGED-NEXT: arith.remui %[[N]], %c3 : index
// STAGED-COUNT-8: vector.load %[[STAGES]][%{{.*}}] : memref<6144xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// STAGED: scf.yield
// STAGED-NEXT: }
// STAGED-NEXT: %[[LAST:.*]] = nvgpu.device_async_create_group{{ *$}}
// STAGED-NEXT: nvgpu.device_async_wait %[[LAST]] {numGroups = 0 : i32}
// STAGED: gpu.launch {{.*}} function(@photon_attention_split)
// STAGED-NOT: nvgpu.device_async_copy
// STAGED: function(@photon_attention_combine)
// NO-STAGED: split-attention-one-row-stages must be 0 or 2 to 8, got 1

// guard-register-prefetch: the step 4 on (base + 128) loads its 8 vectors
// only where it is inside the split (its base below the end); else the
// branch yields the step's own vectors, the first carried ones after the
// 12 state floats (3 query heads: m, l and 2 features). The other calls' kernel guards its one step ahead (base + 32).
// GUARD-LABEL: func.func private @photon_stack_shape0(
// GUARD: function(@photon_attention_split_one_row)
// GUARD: scf.for %[[BASE:.*]] = %{{.*}} to %[[HI:.*]] step %c32 iter_args({{(%[^ ]+ = %[^,]+, ){12}%}}[[V0:[^ ]*]] = %{{[^,]*}}, %[[V1:[^ ]*]] = %{{[^,]*}}, %[[V2:[^ ]*]] = %{{[^,]*}}, %[[V3:[^ ]*]] = %{{[^,]*}}, %[[V4:[^ ]*]] = %{{[^,]*}}, %[[V5:[^ ]*]] = %{{[^,]*}}, %[[V6:[^ ]*]] = %{{[^,]*}}, %[[V7:[^ ]*]] = %{{[^,]*}}, {{.*}}) -> (
// GUARD-NEXT: %[[NEXT:.*]] = arith.addi %[[BASE]], %c128 : index
// GUARD-NEXT: %[[INSIDE:.*]] = arith.cmpi ult, %[[NEXT]], %[[HI]] : index
// GUARD-NEXT: scf.if %[[INSIDE]] -> (vector<2xf32>, vector<2xf32>, vector<2xf32>, vector<2xf32>, vector<2xf32>, vector<2xf32>, vector<2xf32>, vector<2xf32>) {
// GUARD-COUNT-8: vector.load
// GUARD: } else {
// GUARD-NEXT: scf.yield %[[V0]], %[[V1]], %[[V2]], %[[V3]], %[[V4]], %[[V5]], %[[V6]], %[[V7]] :
// GUARD: function(@photon_attention_split)
// GUARD: scf.for %[[BASEB:.*]] = %{{.*}} to %[[HIB:.*]] step %c32 iter_args(
// GUARD-NEXT: %[[NEXTB:.*]] = arith.addi %[[BASEB]], %c32 : index
// GUARD-NEXT: %[[INSIDEB:.*]] = arith.cmpi ult, %[[NEXTB]], %[[HIB]] : index
// GUARD-NEXT: scf.if %[[INSIDEB]] -> (
// GUARD-COUNT-8: vector.load
// GUARD: } else {

// OFF-LABEL: func.func private @photon_stack_shape0(
// OFF-NOT: photon_attention_split
// OFF-NOT: photon_attention_combine
// OFF: photon_attention_values
// OFF-NOT: photon_attention_split
// OFF-NOT: photon_attention_combine
// OFF-LABEL: func.func private @photon_lm_head(

// CPU-LABEL: func.func private @photon_stack_shape0(
// CPU-NOT: gpu.
// CPU-NOT: vector.load
// CPU: scf.parallel
// CPU-LABEL: func.func private @photon_lm_head(

// head_dim 136, bf16 caches: 17 16-byte vectors, a warp per position; no
// fused kernel (head_dim over 128), so split attention at every capacity.
// WIDE-BF16-LABEL: func.func private @photon_stack_shape0(
// WIDE-BF16-NOT: function(@photon_attention)
// WIDE-BF16: function(@photon_attention_split) workgroup(%{{.*}} : memref<4xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<544xf32, #gpu.address_space<workgroup>>)
// WIDE-BF16: arith.cmpi ult, %{{.*}}, %c17 : index
// WIDE-BF16: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// WIDE-BF16-NOT: gpu.shuffle  xor %{{.*}}, %c32_i32, %c32_i32
// WIDE-BF16: function(@photon_attention_combine)

// Under programmatic launch the one-row kernel waits for the previous grid
// itself (split-attention-l2-prefetch): first thread 0 of each block, for
// a call of one row with 16-byte aligned caches, reads the position and
// slot and prefetches its piece of the split's K and V rows (272 bytes a
// row) into L2, where the piece lies inside the cache; the kernel of other
// calls, and the one-row kernel with the option off, leave the wait to
// photon-programmatic-launch.
// L2-LABEL: func.func private @photon_stack_shape0(
// L2-SAME: %[[ROWS:[^:]*]]: index, %[[POS:[^:]*]]: memref<?xi32>, %[[SEQ:[^:]*]]: memref<?xi32>,
// L2: function(@photon_attention_split_one_row)
// L2: %[[T0:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// L2-NEXT: %[[SOME:.*]] = arith.cmpi ugt, %[[ROWS]], %c0 : index
// L2-NEXT: %[[OK:.*]] = arith.andi %[[SOME]], %{{.*}} : i1
// L2-NEXT: %[[FIRST:.*]] = arith.andi %[[T0]], %[[OK]] : i1
// L2-NEXT: scf.if %[[FIRST]] {
// L2-NEXT: memref.load %[[POS]][%c0] : memref<?xi32>
// L2: %[[ROWSIN:.*]] = arith.subi
// L2-NEXT: %[[BYTES:.*]] = arith.muli %[[ROWSIN]], %c272 : index
// L2: memref.load %[[SEQ]][%c0] : memref<?xi32>
// L2: %[[FROM:.*]] = arith.muli %{{.*}}, %c272 : index
// L2-NEXT: %[[KDIM:.*]] = memref.dim %[[KC:.*]], %c0 : memref<?xbf16>
// L2-NEXT: %[[KBYTES:.*]] = arith.muli %[[KDIM]], %c2 : index
// L2-NEXT: %[[TO:.*]] = arith.addi %[[FROM]], %[[PIECE:.*]] : index
// L2-NEXT: %[[KIN:.*]] = arith.cmpi ule, %[[TO]], %[[KBYTES]] : index
// L2-NEXT: scf.if %[[KIN]] {
// L2: %[[KPTR:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr<1>
// L2-NEXT: %[[SIZE:.*]] = arith.index_castui %[[PIECE]] : index to i32
// L2-NEXT: nvvm.cp.async.bulk.prefetch %[[KPTR]], %[[SIZE]] : <1>
// L2: memref.dim %[[VC:.*]], %c0 : memref<?xbf16>
// L2: %[[VPTR:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr<1>
// L2-NEXT: %[[VSIZE:.*]] = arith.index_castui %[[PIECE]] : index to i32
// L2-NEXT: nvvm.cp.async.bulk.prefetch %[[VPTR]], %[[VSIZE]] : <1>
// L2: nvvm.griddepcontrol  wait
// L2-NEXT: nvvm.griddepcontrol  launch_dependents
// L2-NEXT: arith.cmpi ult, %{{.*}}, %[[ROWS]] : index
// L2: } {photon.grid_wait_placed}
// L2: function(@photon_attention_split)
// L2-NOT: nvvm.cp.async.bulk.prefetch
// L2-NOT: nvvm.griddepcontrol
// L2: function(@photon_attention_scores)

// NO-L2-LABEL: func.func private @photon_stack_shape0(
// NO-L2: function(@photon_attention_split_one_row)
// NO-L2-NOT: nvvm.cp.async.bulk.prefetch
// NO-L2-NOT: nvvm.griddepcontrol
// NO-L2: function(@photon_attention_split)
