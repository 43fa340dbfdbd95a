// With bf16 weights and activations, GEMVs over 4 or more rows (the buckets
// of up to 8 and 16 rows; no bucket of 4) multiply on tensor cores
// (gemv-tensor-core-min-rows, default 2): a block of W warps per 16 outputs
// (gemv-tensor-core-warps; by default 16 where the grid has fewer blocks
// than multiprocessors, else 8, as the main run's multiprocessors=1 makes it
// for every GEMV here), the weights as the
// A operand of mma.sync m16n8k16 straight from 16-byte loads of rows g and
// g + 8 (g = lane / 4), the rows as the B operand (n-tiles of 8 rows), K
// split over the warps in steps of 32 (lane t = lane % 4 takes k 8t..8t+7 of
// its warp's step). The warps' partial tiles meet in workgroup memory; warp 0
// sums them and stores outputs g and g + 8 of rows 2t and 2t + 1.
// The LM head keeps the final norm out (lm-head-norm=false) to read bf16 rows.
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-tensor-core-warps=8' -canonicalize -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=W16
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=4 gemv-norm-kernel-min-rows=0' -canonicalize -cse | FileCheck %s --check-prefix=FOURW
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=4 matmul-input-rounding=tensor-cores' -canonicalize -cse | FileCheck %s --check-prefix=FOURR
// RUN: not photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-tensor-core-warps=33' 2>&1 | FileCheck %s --check-prefix=BADW
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-tensor-core-min-rows=0' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=tensor-core-min-rows=0' -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -canonicalize -cse | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-tensor-core-min-rows=1 gemv-tensor-core-warps=8' -canonicalize -cse | FileCheck %s --check-prefix=MIN1
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 gemv-tensor-core-tiles=2' -canonicalize -cse | FileCheck %s --check-prefix=TILES
// RUN: not photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-tensor-core-tiles=9' 2>&1 | FileCheck %s --check-prefix=BADTILES
// RUN: not photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-tensor-core-min-rows=-1' 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 matmul-input-rounding=tensor-cores' -canonicalize -cse | FileCheck %s --check-prefix=ROUND
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 gemv-norm-kernel-min-rows=8' -canonicalize -cse | FileCheck %s --check-prefix=NORM8
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 gemv-split-swiglu=false' -canonicalize -cse | FileCheck %s --check-prefix=NOSPLIT
// RUN: not photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=gemv-norm-kernel-min-rows=-2' 2>&1 | FileCheck %s --check-prefix=BADNORM
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 gemv-split-attention=false' -canonicalize -cse | FileCheck %s --check-prefix=NOATTN
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 gemv-tensor-core-warps=1 gemv-loads-in-flight=2' -canonicalize -cse | FileCheck %s --check-prefix=PREFETCH
// RUN: photon-opt %s -photon-plan-memory=activation-type=bf16 -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=multiprocessors=1 gemv-tensor-core-warps=1 gemv-loads-in-flight=2 gemv-tensor-core-prefetch=false' -canonicalize -cse | FileCheck %s --check-prefix=NOPREFETCH
// RUN: echo 'module {}' | not photon-opt --photon-to-nvvm --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: echo 'module {}' | not photon-opt '--photon-to-nvvm=group-stack-calls=true' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=GROUPED

// D 64, 2 heads of 32 (RoPE pairs j, j + 16), 1 KV head, F 96, vocab 40.
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 40, d_model = 64, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 96, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
  photon.param @model.embed_tokens.weight : tensor<40x64xbf16>
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
  photon.param @lm_head.weight : tensor<40x64xbf16>
}

// The stack: Q and K are ranges of RoPE pairs, so A row g of a tile is the
// first half of pair 8 · tile + g (feature (p / 16) · 32 + p % 16) and row
// g + 8 its second half (16 on); V's tiles are 16 consecutive features. The
// normed rows (raw rows times the gain, 1 / rms applied to the sums) are no
// bf16 values: hi + lo, two MMAs per half of a step.
// CHECK-LABEL: func.func private @photon_stack_model(
// CHECK: function(@photon_gemv_qkv_norm_r1_128x64)
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c8, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_qkv_norm_r8_128x64) workgroup(%[[QP:.*]] : memref<1280xf32, #gpu.address_space<workgroup>>) {
// CHECK: %[[PAIRED:.*]] = arith.cmpi ult, %[[BLOCK:.*]], %c6 : index
// CHECK: %[[PLAIN:.*]] = arith.addi %{{.*}}, %[[G:.*]] : index
// CHECK: %[[PAIR:.*]] = arith.addi %{{.*}}, %[[G]] : index
// CHECK-NEXT: %[[HEAD:.*]] = arith.divui %[[PAIR]], %c16 : index
// CHECK-NEXT: %[[HEAD0:.*]] = arith.muli %[[HEAD]], %c32 : index
// CHECK-NEXT: %[[IN:.*]] = arith.remui %[[PAIR]], %c16 : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.addi %[[HEAD0]], %[[IN]] : index
// CHECK-NEXT: arith.select %[[PAIRED]], %[[FIRST]], %[[PLAIN]] : index
// CHECK: arith.addi %[[PLAIN]], %c8 : index
// CHECK-NEXT: arith.addi %[[FIRST]], %c16 : index
// RoPE's cos and sin of the pair at rows 2t and 2t + 1 (the ones warp 0
// stores), computed while the weight loads are in flight (one iteration:
// the first-iteration branch folds away).
// CHECK: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: %[[RED0:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK-NEXT: %[[COS0:.*]] = math.cos %[[RED0]] : f32
// CHECK-NEXT: %[[SIN0:.*]] = math.sin %[[RED0]] : f32
// CHECK: math.cos
// CHECK: math.sin
// CHECK: math.fma
// CHECK-COUNT-7: math.fma
// CHECK-NEXT: %[[NORMED:.*]] = arith.mulf
// CHECK-NEXT: %[[HI:.*]] = arith.truncf %[[NORMED]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: %[[HIF:.*]] = arith.extf %[[HI]]
// CHECK-NEXT: %[[REST:.*]] = arith.subf %[[NORMED]], %[[HIF]]
// CHECK-NEXT: %[[LO:.*]] = arith.truncf %[[REST]] : vector<8xf32> to vector<8xbf16>
// CHECK: nvvm.mma.sync
// CHECK-COUNT-3: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// The rows' sums of squares: over the 4 lanes of a group, then those of
// rows 2t and 2t + 1.
// CHECK: gpu.barrier
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  idx
// CHECK: math.rsqrt
// CHECK: gpu.shuffle  idx
// CHECK: math.rsqrt
// A pair is stored rotated, from its first half, with the cos and sin of
// its row.
// CHECK: arith.cmpi ult, %[[FIRST]], %c64 : index
// CHECK-NOT: math.cos
// CHECK: arith.mulf %{{.*}}, %[[COS0]] : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[SIN0]] : f32
// From 9 rows (gemv-norm-kernel-min-rows) a kernel of its own norms the
// rows, a block per row and a thread per chunk of 8, and writes each
// chunk's bf16 hi parts, then its lo parts, over the chunk's 32 bytes of the
// f32 normed rows; the GEMV loads them as its B operands (hi + lo MMAs) and
// has no sums of squares to keep.
// CHECK: function(@photon_rmsnorm_split_64) workgroup(%{{.*}} : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[CHUNK:.*]] = arith.cmpi ult, %{{.*}}, %c8 : index
// CHECK: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: math.rsqrt
// CHECK: scf.if %[[CHUNK]] {
// CHECK-NEXT: %[[INV:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK-NEXT: %[[XN:.*]] = arith.mulf %{{.*}}, %[[INV]] : vector<8xf32>
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[XN]], %{{.*}} : vector<8xf32>
// CHECK-NEXT: %[[YHI:.*]] = arith.truncf %[[Y]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: %[[YHIF:.*]] = arith.extf %[[YHI]]
// CHECK-NEXT: %[[YREST:.*]] = arith.subf %[[Y]], %[[YHIF]]
// CHECK-NEXT: %[[YLO:.*]] = arith.truncf %[[YREST]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: %[[AT:.*]] = arith.addi
// CHECK-NEXT: %[[HIW:.*]] = vector.bitcast %[[YHI]] : vector<8xbf16> to vector<4xf32>
// CHECK-NEXT: vector.store %[[HIW]], %[[NORMED:.*]][%[[AT]]]
// CHECK-NEXT: %[[LOW:.*]] = vector.bitcast %[[YLO]] : vector<8xbf16> to vector<4xf32>
// CHECK-NEXT: %[[AT4:.*]] = arith.addi %[[AT]], %c4 : index
// CHECK-NEXT: vector.store %[[LOW]], %[[NORMED]][%[[AT4]]]
// CHECK: function(@photon_gemv_mma_qkv_r16_128x64) workgroup(%{{.*}} : memref<2048xf32, #gpu.address_space<workgroup>>)
// (A warp's steps past K, 64 here, load chunk 0 and zero it.)
// CHECK: %[[HIV:.*]] = vector.load %[[NORMED]][%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK-NEXT: %[[HIZ:.*]] = arith.select %[[INK:.*]], %[[HIV]], %{{.*}} : vector<4xf32>
// CHECK-NEXT: vector.bitcast %[[HIZ]] : vector<4xf32> to vector<4xi32>
// CHECK: %[[LOV:.*]] = vector.load %[[NORMED]][%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK-NEXT: %[[LOZ:.*]] = arith.select %[[INK]], %[[LOV]], %{{.*}} : vector<4xf32>
// CHECK-NEXT: vector.bitcast %[[LOZ]] : vector<4xf32> to vector<4xi32>
// CHECK-NOT: arith.truncf
// CHECK: nvvm.mma.sync
// CHECK-COUNT-7: nvvm.mma.sync
// CHECK-NOT: math.rsqrt
// CHECK: gpu.terminator
// Gate and up: two A tiles per step (4 weight loads), 2 x 4 accumulators.
// The output projection adds into x: warp 0's thread loads the residuals of
// its 4 outputs (rows 2t, 2t + 1; outputs g, g + 8; an outside one reads
// row 0, output 0) before their guarded stores.
// Attention wrote its rows split for it where it takes them
// (gemv-split-attention): those rows take the GEMV (their producer could not
// check the weights' alignment), which loads the chunks as B operands.
// CHECK: %[[TWO:.*]] = arith.cmpi uge, %{{.*}}, %c2 : index
// CHECK-NEXT: %[[ROWS:.*]] = arith.andi %[[TWO]], %{{.*}} : i1
// CHECK-NEXT: %[[SPLIT:.*]] = arith.andi %[[ROWS]], %{{.*}} : i1
// CHECK: function(@photon_attention_short)
// CHECK: scf.if %[[SPLIT]]
// CHECK: %[[GEMV:.*]] = arith.ori %[[SPLIT]], %{{.*}} : i1
// CHECK-NEXT: arith.andi %{{.*}}, %[[GEMV]] : i1
// CHECK: function(@photon_gemv_mma_r8_64x64)
// CHECK: vector.load %{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK-NEXT: arith.select
// CHECK-NEXT: vector.bitcast %{{.*}} : vector<4xf32> to vector<4xi32>
// CHECK-NOT: arith.truncf
// CHECK: nvvm.mma.sync
// CHECK: %[[IN0:.*]] = arith.andi
// CHECK-NEXT: %[[R0:.*]] = arith.select %[[IN0]], %{{.*}}, %c0 : index
// CHECK-NEXT: %[[J0:.*]] = arith.select %[[IN0]], %{{.*}}, %c0 : index
// CHECK-NEXT: %[[O0:.*]] = arith.muli %[[R0]], %c64 : index
// CHECK-NEXT: %[[AT0:.*]] = arith.addi %[[O0]], %[[J0]] : index
// CHECK-NEXT: %[[X0:.*]] = memref.load %[[X:.*]][%[[AT0]]] : memref<?xbf16>
// CHECK-NEXT: %[[X0F:.*]] = arith.extf %[[X0]] : bf16 to f32
// CHECK-COUNT-3: memref.load %[[X]]
// CHECK-NOT: memref.store
// CHECK: scf.if %[[IN0]] {
// CHECK: %[[S0:.*]] = arith.addf %{{.*}}, %[[X0F]] : f32
// CHECK-NEXT: %[[S0B:.*]] = arith.truncf %[[S0]] : f32 to bf16
// CHECK-NEXT: memref.store %[[S0B]], %[[X]]
// CHECK: function(@photon_gemv_mma_gate_up_norm_r8_96x64) workgroup(%{{.*}} : memref<2304xf32, #gpu.address_space<workgroup>>)
// CHECK-COUNT-4: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: vector.load
// CHECK-COUNT-8: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: gpu.barrier
// CHECK: arith.negf
// CHECK: math.exp
// SwiGLU's product, split for the tensor-core down GEMV (gemv-split-swiglu):
// element i = r · 96 + j (r = 2t here, e = i % 8 of its chunk) rounded to
// bf16 at bf16 2i - e of the f32 rows' bytes, its remainder 8 on.
// CHECK-NEXT: arith.addf
// CHECK-NEXT: arith.divf
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: %[[Y:.*]] = arith.mulf
// CHECK-NEXT: %[[RF:.*]] = arith.muli %{{.*}}, %c192 : index
// CHECK-NEXT: %[[I:.*]] = arith.addi %[[RF]], %{{.*}} : index
// CHECK-NEXT: %[[I2:.*]] = arith.muli %[[I]], %c2 : index
// CHECK-NEXT: %[[E:.*]] = arith.remui %[[I]], %c8 : index
// CHECK-NEXT: %[[HIAT:.*]] = arith.subi %[[I2]], %[[E]] : index
// CHECK-NEXT: %[[HI:.*]] = arith.truncf %[[Y]] : f32 to bf16
// CHECK-NEXT: %[[HIF:.*]] = arith.extf %[[HI]] : bf16 to f32
// CHECK-NEXT: %[[REST:.*]] = arith.subf %[[Y]], %[[HIF]] : f32
// CHECK-NEXT: %[[LO:.*]] = arith.truncf %[[REST]] : f32 to bf16
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[GB:.*]], %[[HIAT]] : index
// CHECK-NEXT: memref.store %[[HI]], %[[GR:.*]][%[[AT]]] : memref<?xbf16>
// CHECK-NEXT: %[[LOAT:.*]] = arith.addi %[[HIAT]], %c8 : index
// CHECK-NEXT: %[[AT8:.*]] = arith.addi %[[GB]], %[[LOAT]] : index
// CHECK-NEXT: memref.store %[[LO]], %[[GR]][%[[AT8]]] : memref<?xbf16>
// The down GEMV loads the split chunks as its B operands.
// CHECK: function(@photon_gemv_mma_r8_64x96)
// CHECK: vector.load %{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK-NEXT: arith.select
// CHECK-NEXT: vector.bitcast %{{.*}} : vector<4xf32> to vector<4xi32>
// CHECK-NOT: arith.truncf
// CHECK: nvvm.mma.sync
// CHECK-COUNT-3: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: gpu.barrier

// The LM head reads bf16 rows (not normed on the way in: lm-head-norm=false):
// the B operand is the loaded vector itself.
// CHECK-LABEL: func.func private @photon_lm_head(
// CHECK-SAME: %[[W:.*]]: memref<?xbf16>, %[[X:.*]]: memref<?xbf16>, %[[N:.*]]: index, %[[LOGITS:.*]]: memref<?xf32>)
// CHECK: function(@photon_gemv_r1_40x64)
// CHECK-NOT: photon_gemv_mma_r4
// CHECK: arith.cmpi ule, %[[N]], %c8 : index
// 40 outputs: 3 tiles of 16.
// CHECK: gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c3, {{.*}}) threads(%[[TID:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_40x64) workgroup(%[[P:.*]] : memref<1024xf32, #gpu.address_space<workgroup>>) {
// CHECK-NEXT: %[[LANE:.*]] = arith.remui %[[TID]], %c32 : index
// CHECK-NEXT: %[[WARP:.*]] = arith.divui %[[TID]], %c32 : index
// CHECK-NEXT: %[[G:.*]] = arith.divui %[[LANE]], %c4 : index
// CHECK-NEXT: %[[T:.*]] = arith.remui %[[LANE]], %c4 : index
// Weight rows 16 · block + g and + 8, clamped to the last (39).
// CHECK-NEXT: %[[J00:.*]] = arith.muli %[[B]], %c16 : index
// CHECK-NEXT: %[[J0:.*]] = arith.addi %[[J00]], %[[G]] : index
// CHECK-NEXT: %[[R0:.*]] = arith.minui %[[J0]], %c39 : index
// CHECK-NEXT: %[[O0:.*]] = arith.muli %[[R0]], %c64 : index
// CHECK-NEXT: %[[ROW0:.*]] = arith.addi %[[O0]], %c{{[0-9]+}} : index
// CHECK-NEXT: %[[J8:.*]] = arith.addi %[[J0]], %c8 : index
// CHECK-NEXT: %[[R8:.*]] = arith.minui %[[J8]], %c39 : index
// CHECK-NEXT: %[[O8:.*]] = arith.muli %[[R8]], %c64 : index
// CHECK-NEXT: %[[ROW8:.*]] = arith.addi %[[O8]], %c{{[0-9]+}} : index
// Input row g, clamped to the last row.
// CHECK-NEXT: %[[LAST:.*]] = arith.subi %[[N]], %c1 : index
// CHECK-NEXT: %[[XR:.*]] = arith.minui %[[G]], %[[LAST]] : index
// CHECK-NEXT: %[[XROW:.*]] = arith.muli %[[XR]], %c64 : index
// K = 64 is 8 chunks of 8, one step of 32 for warps 0 and 1: warp w's chunk
// 4w + t, chunks past 8 read chunk 0 as zeros (one iteration: no loop left).
// CHECK-NEXT: %[[W4:.*]] = arith.muli %[[WARP]], %c4 : index
// CHECK-NEXT: %[[C:.*]] = arith.addi %[[W4]], %[[T]] : index
// CHECK-NEXT: %[[INSIDE:.*]] = arith.cmpi ult, %[[C]], %c8 : index
// CHECK-NEXT: %[[CC:.*]] = arith.select %[[INSIDE]], %[[C]], %c0 : index
// CHECK-NEXT: %[[K:.*]] = arith.muli %[[CC]], %c8 : index
// CHECK-NEXT: %[[AT0:.*]] = arith.addi %[[ROW0]], %[[K]] : index
// CHECK-NEXT: %[[V0:.*]] = vector.load %[[W]][%[[AT0]]] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK-NEXT: %[[I0:.*]] = vector.bitcast %[[V0]] : vector<8xbf16> to vector<4xi32>
// CHECK-NEXT: %[[A00:.*]] = vector.extract %[[I0]][0] : i32 from vector<4xi32>
// CHECK-NEXT: %[[A01:.*]] = vector.extract %[[I0]][1] : i32 from vector<4xi32>
// CHECK-NEXT: %[[A02:.*]] = vector.extract %[[I0]][2] : i32 from vector<4xi32>
// CHECK-NEXT: %[[A03:.*]] = vector.extract %[[I0]][3] : i32 from vector<4xi32>
// CHECK-NEXT: %[[AT8:.*]] = arith.addi %[[ROW8]], %[[K]] : index
// CHECK-NEXT: %[[V8:.*]] = vector.load %[[W]][%[[AT8]]] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK-NEXT: %[[I8:.*]] = vector.bitcast %[[V8]] : vector<8xbf16> to vector<4xi32>
// CHECK-NEXT: %[[A80:.*]] = vector.extract %[[I8]][0] : i32 from vector<4xi32>
// CHECK-NEXT: %[[A81:.*]] = vector.extract %[[I8]][1] : i32 from vector<4xi32>
// CHECK-NEXT: %[[A82:.*]] = vector.extract %[[I8]][2] : i32 from vector<4xi32>
// CHECK-NEXT: %[[A83:.*]] = vector.extract %[[I8]][3] : i32 from vector<4xi32>
// CHECK-NEXT: %[[XAT:.*]] = arith.addi %[[XROW]], %[[K]] : index
// CHECK-NEXT: %[[XV:.*]] = vector.load %[[X]][%[[XAT]]] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK-NEXT: %[[XZ:.*]] = arith.select %[[INSIDE]], %[[XV]], %{{.*}} : vector<8xbf16>
// CHECK-NEXT: %[[XI:.*]] = vector.bitcast %[[XZ]] : vector<8xbf16> to vector<4xi32>
// CHECK-NEXT: %[[B0:.*]] = vector.extract %[[XI]][0] : i32 from vector<4xi32>
// CHECK-NEXT: %[[B1:.*]] = vector.extract %[[XI]][1] : i32 from vector<4xi32>
// CHECK-NEXT: %[[B2:.*]] = vector.extract %[[XI]][2] : i32 from vector<4xi32>
// CHECK-NEXT: %[[B3:.*]] = vector.extract %[[XI]][3] : i32 from vector<4xi32>
// Physical k 8t + 0..3 as the first MMA's k 2t, 2t+1, 2t+8, 2t+9; 8t + 4..7
// the second's.
// CHECK-NEXT: %[[D0:.*]] = nvvm.mma.sync A[%[[A00]], %[[A80]], %[[A01]], %[[A81]]]  B[%[[B0]], %[[B1]]]  C[%[[Z:.*]], %[[Z]], %[[Z]], %[[Z]]]  {{{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK-NEXT: %[[C0:.*]] = llvm.extractvalue %[[D0]][0]
// CHECK-NEXT: %[[C1:.*]] = llvm.extractvalue %[[D0]][1]
// CHECK-NEXT: %[[C2:.*]] = llvm.extractvalue %[[D0]][2]
// CHECK-NEXT: %[[C3:.*]] = llvm.extractvalue %[[D0]][3]
// CHECK-NEXT: %[[D1:.*]] = nvvm.mma.sync A[%[[A02]], %[[A82]], %[[A03]], %[[A83]]]  B[%[[B2]], %[[B3]]]  C[%[[C0]], %[[C1]], %[[C2]], %[[C3]]]
// CHECK-NEXT: %[[S0:.*]] = llvm.extractvalue %[[D1]][0]
// CHECK-NEXT: %[[S1:.*]] = llvm.extractvalue %[[D1]][1]
// CHECK-NEXT: %[[S2:.*]] = llvm.extractvalue %[[D1]][2]
// CHECK-NEXT: %[[S3:.*]] = llvm.extractvalue %[[D1]][3]
// Value v of warp w at (4w + v) · 32 + lane.
// CHECK-NEXT: %[[SLOT0:.*]] = arith.muli %[[WARP]], %c128 : index
// CHECK-NEXT: %[[AT:.*]] = arith.addi %[[SLOT0]], %[[LANE]] : index
// CHECK-NEXT: memref.store %[[S0]], %[[P]][%[[AT]]]
// CHECK-COUNT-3: memref.store %{{.*}}, %[[P]]
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: %[[FIRSTWARP:.*]] = arith.cmpi eq, %[[WARP]], %c0 : index
// CHECK-NEXT: scf.if %[[FIRSTWARP]] {
// CHECK-COUNT-32: memref.load %[[P]]
// Output j0 of row 2t, then j0 + 8 of row 2t, then both of row 2t + 1.
// CHECK: %[[ROW:.*]] = arith.muli %[[T]], %c2 : index
// CHECK-NEXT: %[[ROWIN:.*]] = arith.cmpi ult, %[[ROW]], %[[N]] : index
// CHECK-NEXT: %[[JIN:.*]] = arith.cmpi ult, %[[J0]], %c40 : index
// CHECK-NEXT: %[[STORE:.*]] = arith.andi %[[ROWIN]], %[[JIN]] : i1
// CHECK-NEXT: scf.if %[[STORE]] {
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// CHECK: arith.cmpi ult, %[[J8]], %c40 : index
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// 16 rows: two n-tiles (rows g and g + 8), 4 MMAs a step.
// CHECK: function(@photon_gemv_mma_r16_40x64) workgroup(%{{.*}} : memref<2048xf32, #gpu.address_space<workgroup>>)
// CHECK-COUNT-4: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: gpu.barrier

// Off (or f32 activations, or no tensor cores): the CUDA-core GEMVs,
// buckets 1, 4, 8, 16.
// OFF-NOT: photon_gemv_mma
// OFF-LABEL: func.func private @photon_lm_head(
// OFF: function(@photon_gemv_norm_r4_40x64)
// OFF-NOT: photon_gemv_mma

// gemv-tensor-core-min-rows=1: batch 1 too.
// MIN1-LABEL: func.func private @photon_lm_head(
// MIN1: function(@photon_gemv_mma_norm_r1_40x64) workgroup(%{{.*}} : memref<1280xf32, #gpu.address_space<workgroup>>)
// MIN1: function(@photon_gemv_mma_norm_r8_40x64)
// MIN1-NOT: function(@photon_gemv_r

// NEGATIVE: gemv-tensor-core-min-rows must not be negative, got -1

// 132 multiprocessors (the default): every grid here has fewer blocks, so
// blocks of 16 warps, each warp's partial tiles in
// twice the workgroup memory, and K = 64 (two steps of 32) still taken by
// warps 0 and 1.
// W16-LABEL: func.func private @photon_stack_model(
// W16: threads({{.*}}) in ({{.*}} = %c512, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_qkv_norm_r8_128x64) workgroup(%{{.*}} : memref<2560xf32, #gpu.address_space<workgroup>>) {
// W16-LABEL: func.func private @photon_lm_head(
// W16: threads({{.*}}) in ({{.*}} = %c512, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_norm_r8_40x64) workgroup(%{{.*}} : memref<2560xf32, #gpu.address_space<workgroup>>) {
// W16: %[[W:.*]] = arith.divui %{{.*}}, %c32 : index
// W16: arith.muli %[[W]], %c4 : index
// BADW: gemv-tensor-core-warps must be 0 to 32, got 33

// On 4 multiprocessors the grids of 4 to 12 blocks take 4 warps where the
// inputs split into hi + lo (the fused norm's rows, the f32 attention and
// SwiGLU outputs) over one matrix (QKV, o, down) or two n-tiles; gate/up at
// 8 rows keeps 8, and the LM head's 3 blocks (fewer than the
// multiprocessors) 16. Gate/up at 16 rows has 6 tiles of 16 outputs, 1.5 an
// SM: its blocks take 2 (gemv-tensor-core-tiles=0), 3 blocks of 16 warps
// whose partials (34 values a lane) pass 48 KB, so 8.
// FOURW-LABEL: func.func private @photon_stack_model(
// FOURW: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_qkv_norm_r8_128x64)
// FOURW: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_qkv_norm_r16_128x64)
// FOURW: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_64x64)
// FOURW: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r16_64x64)
// FOURW: threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_gate_up_norm_r8_96x64)
// FOURW: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_64x96)
// FOURW: blocks({{.*}}) in ({{.*}} = %c3, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_gate_up_norm_r16_96x64) workgroup(%{{.*}} : memref<8704xf32, #gpu.address_space<workgroup>>)
// With two tiles the 34 values of its 8 warps are summed by all warps: warp
// w sums values w, w + 8, ... (the last group guarded, 34 < 40) into warp
// 0's slots, and after a barrier warp 0 reads the 34 sums. (Warp 0 loading
// all 272 partials took the 600M LM head's 4-tile blocks to 255 registers
// and spills.)
// FOURW: gpu.barrier
// FOURW-COUNT-8: memref.load %{{.*}} : memref<8704xf32, #gpu.address_space<workgroup>>
// FOURW: memref.store %{{.*}} : memref<8704xf32, #gpu.address_space<workgroup>>
// FOURW: %[[LASTV:.*]] = arith.cmpi ult, %{{.*}}, %c34 : index
// FOURW-NEXT: scf.if %[[LASTV]] {
// FOURW-COUNT-8: memref.load %{{.*}} : memref<8704xf32, #gpu.address_space<workgroup>>
// FOURW: memref.store %{{.*}} : memref<8704xf32, #gpu.address_space<workgroup>>
// FOURW: gpu.barrier
// FOURW: scf.if
// FOURW-COUNT-34: memref.load %{{.*}} : memref<8704xf32, #gpu.address_space<workgroup>>
// FOURW-NOT: memref.load %{{.*}} : memref<8704xf32, #gpu.address_space<workgroup>>
// FOURW: gpu.terminator
// FOURW: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r16_64x96)
// FOURW-LABEL: func.func private @photon_lm_head(
// FOURW: threads({{.*}}) in ({{.*}} = %c512, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_norm_r8_40x64)
// FOURW: threads({{.*}}) in ({{.*}} = %c512, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_norm_r16_40x64)

// Rounded inputs (matmul-input-rounding=tensor-cores) take 4 warps only over
// one matrix of two n-tiles (QKV, o and down at 16 rows): the 600M QKV
// spills at 8.
// FOURR-LABEL: func.func private @photon_stack_model(
// FOURR: threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_qkv_norm_r8_128x64)
// FOURR: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_qkv_norm_r16_128x64)
// FOURR: threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_64x64)
// FOURR: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r16_64x64)
// FOURR: threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_gate_up_norm_r8_96x64)
// FOURR: threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_64x96)
// FOURR: threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_gate_up_norm_r16_96x64)
// FOURR: threads({{.*}}) in ({{.*}} = %c128, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r16_64x96)

// gemv-tensor-core-tiles=2: a block takes two tiles of 16 outputs (the LM
// head's 40: tiles 2 · block and 2 · block + 1, rows clamped to the last),
// and one load of the rows' fragment feeds both tiles' MMAs.
// TILES-LABEL: func.func private @photon_lm_head(
// TILES: gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c2, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) module(@photon_kernels) function(@photon_gemv_mma_r8_40x64) workgroup(%{{.*}} : memref<2048xf32, #gpu.address_space<workgroup>>) {
// TILES: %[[T0:.*]] = arith.muli %[[B]], %c2 : index
// TILES-NEXT: %[[T1:.*]] = arith.addi %[[T0]], %c1 : index
// TILES-NEXT: %[[J00:.*]] = arith.muli %[[B]], %c32 : index
// TILES: %[[J10:.*]] = arith.muli %[[T1]], %c16 : index
// TILES-NEXT: %[[J1:.*]] = arith.addi %[[J10]], %{{.*}} : index
// TILES-NEXT: arith.minui %[[J1]], %c39 : index
// TILES-COUNT-4: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// TILES: %[[X:.*]] = vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// TILES-NEXT: %[[XK:.*]] = arith.select %{{.*}}, %[[X]], %{{.*}} : vector<8xbf16>
// TILES-NEXT: %[[XW:.*]] = vector.bitcast %[[XK]] : vector<8xbf16> to vector<4xi32>
// TILES-NEXT: %[[X0:.*]] = vector.extract %[[XW]][0]
// TILES-NEXT: %[[X1:.*]] = vector.extract %[[XW]][1]
// TILES: nvvm.mma.sync A[{{.*}}]  B[%[[X0]], %[[X1]]]
// TILES: nvvm.mma.sync A[{{.*}}]  B[
// TILES: nvvm.mma.sync A[{{.*}}]  B[%[[X0]], %[[X1]]]
// TILES: nvvm.mma.sync A[{{.*}}]  B[
// TILES-NOT: nvvm.mma.sync
// TILES: gpu.barrier

// BADTILES: gemv-tensor-core-tiles must be 0 to 8, got 9

// matmul-input-rounding=tensor-cores: the GEMVs on tensor cores round their
// f32 inputs (the normed rows, with the norm still fused; the attention
// output) to bf16, one MMA per half of a step instead of a hi + lo pair.
// Rounded inputs need no norm kernel: the 16-row GEMVs keep the norm.
// ROUND-LABEL: func.func private @photon_stack_model(
// ROUND-NOT: photon_rmsnorm_split
// ROUND: function(@photon_gemv_mma_qkv_norm_r8_128x64)
// ROUND-COUNT-8: math.fma
// ROUND-NEXT: %[[NORMED:.*]] = arith.mulf
// ROUND-NEXT: arith.truncf %[[NORMED]] : vector<8xf32> to vector<8xbf16>
// ROUND-NOT: arith.subf
// ROUND-COUNT-2: nvvm.mma.sync
// ROUND-NOT: nvvm.mma.sync
// ROUND: gpu.barrier
// ROUND: math.rsqrt
// ROUND: function(@photon_gemv_mma_r8_64x64)
// ROUND: vector.load %{{.*}} : memref<?xf32>, vector<8xf32>
// ROUND: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// ROUND-NOT: arith.subf
// ROUND-COUNT-2: nvvm.mma.sync
// ROUND-NOT: nvvm.mma.sync
// ROUND: gpu.barrier

// gemv-norm-kernel-min-rows=8: the 8-row bucket reads the norm kernel's
// split rows too (QKV, gate/up); the one-row GEMVs still apply the norm, and
// so does the LM head, whose normed rows are bf16 (no room for hi + lo).
// NORM8-LABEL: func.func private @photon_stack_model(
// NORM8: function(@photon_gemv_qkv_norm_r1_128x64)
// NORM8: function(@photon_rmsnorm_split_64)
// NORM8-NEXT: arith.cmpi ult
// NORM8: function(@photon_gemv_mma_qkv_r8_128x64)
// NORM8: function(@photon_rmsnorm_split_64)
// NORM8: function(@photon_gemv_mma_qkv_r16_128x64)
// NORM8: function(@photon_gemv_gate_up_norm_r1_96x64)
// NORM8: function(@photon_rmsnorm_split_64)
// NORM8: function(@photon_gemv_mma_gate_up_r8_96x64)
// NORM8: function(@photon_rmsnorm_split_64)
// NORM8: function(@photon_gemv_mma_gate_up_r16_96x64)
// NORM8-LABEL: func.func private @photon_lm_head(
// NORM8-NOT: photon_rmsnorm_split
// NORM8: function(@photon_gemv_mma_norm_r8_40x64)
// NORM8: function(@photon_gemv_mma_norm_r16_40x64)

// BADNORM: gemv-norm-kernel-min-rows must not be negative, got -2

// gemv-split-swiglu=false: SwiGLU's product stays f32, which the down GEMV
// splits.
// NOSPLIT-LABEL: func.func private @photon_stack_model(
// NOSPLIT: function(@photon_gemv_mma_gate_up_norm_r8_96x64)
// NOSPLIT: math.exp
// NOSPLIT-NOT: memref<?xbf16>
// NOSPLIT: memref.store %{{.*}} : memref<?xf32>
// NOSPLIT: function(@photon_gemv_mma_r8_64x96)
// NOSPLIT: vector.load %{{.*}} : memref<?xf32>, vector<8xf32>
// NOSPLIT: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// NOSPLIT: arith.subf

// gemv-split-attention=false: attention's output stays f32, which the output
// projection's GEMV splits.
// NOATTN-LABEL: func.func private @photon_stack_model(
// NOATTN: function(@photon_gemv_mma_r8_64x64)
// NOATTN: vector.load %{{.*}} : memref<?xf32>, vector<8xf32>
// NOATTN: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// NOATTN: arith.subf
// NOATTN: nvvm.mma.sync

// photon-to-nvvm splits attention's output by default, and not with
// group-stack-calls, whose paired calls run the o GEMV of the larger call's
// row bucket while each call's attention decides on its own rows. (The
// pipeline is printed before it runs; on no model it then fails.)
// PIPELINE: convert-photon-kernel-to-gpu{{[{].*}} gemv-split-attention=true
// GROUPED: convert-photon-kernel-to-gpu{{[{].*}} gemv-split-attention=false

// gemv-tensor-core-prefetch (default; one matrix and tile, no fused norm):
// at one warp a block and one step an iteration (gemv-loads-in-flight=2
// over hi + lo), the 16-row QKV GEMV takes two iterations. Iteration 0's
// weight vectors (rows g and g + 8) are loaded before the loop; each
// iteration loads the next one's, where there is one, before its MMAs,
// which use the carried vectors. Not for gate/up's two matrices.
// PREFETCH-LABEL: func.func private @photon_stack_model(
// PREFETCH: function(@photon_gemv_mma_qkv_r16_128x64)
// PREFETCH: %[[W0:.*]] = vector.load %arg0[%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// PREFETCH: %[[W8:.*]] = vector.load %arg0[%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// PREFETCH-NEXT: scf.for %[[IT:.*]] = %c0 to %c2 step %c1 iter_args({{.*}}, %[[A:.*]] = %[[W0]], %[[B:.*]] = %[[W8]]) -> ({{.*}}, vector<8xbf16>, vector<8xbf16>)
// PREFETCH: %[[NEXT:.*]] = arith.addi %[[IT]], %c1 : index
// PREFETCH-NEXT: %[[MORE:.*]] = arith.cmpi ult, %[[NEXT]], %c2 : index
// PREFETCH-NEXT: %[[AHEAD:.*]]:2 = scf.if %[[MORE]] -> (vector<8xbf16>, vector<8xbf16>) {
// PREFETCH: %[[N0:.*]] = vector.load %arg0[%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// PREFETCH: %[[N8:.*]] = vector.load %arg0[%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// PREFETCH-NEXT: scf.yield %[[N0]], %[[N8]]
// PREFETCH-NEXT: } else {
// PREFETCH-NEXT: scf.yield %[[A]], %[[B]]
// PREFETCH: vector.bitcast %[[A]] : vector<8xbf16> to vector<4xi32>
// PREFETCH: vector.bitcast %[[B]] : vector<8xbf16> to vector<4xi32>
// PREFETCH: nvvm.mma.sync
// PREFETCH: scf.yield {{.*}}, %[[AHEAD]]#0, %[[AHEAD]]#1 : {{.*}}, vector<8xbf16>, vector<8xbf16>
// PREFETCH: function(@photon_gemv_mma_gate_up_r16_96x64)
// PREFETCH-NOT: gpu.launch
// PREFETCH: scf.for %{{.*}} iter_args({{.*}}) -> ({{[^v]*}}) {
// Off, the loop carries only the sums and loads its own weights.
// NOPREFETCH-LABEL: func.func private @photon_stack_model(
// NOPREFETCH: function(@photon_gemv_mma_qkv_r16_128x64)
// NOPREFETCH-NOT: gpu.launch
// NOPREFETCH: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{.*}}) -> ({{[^v]*}}) {
// NOPREFETCH-NEXT: arith.addi
// NOPREFETCH-NOT: scf.if
// NOPREFETCH: vector.load %arg0
