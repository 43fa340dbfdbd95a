//===- Passes.td - Conversions out of the photon dialect -------------------===//
#ifndef PHOTON_LOWERING_PASSES_TD
#define PHOTON_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertPhotonToPhotonKernel : Pass<"convert-photon-to-photon-kernel", "::mlir::ModuleOp"> {
  let summary = "Build the kernel-level functions of a planned photon.model";
  let description = [{
    Adds, next to the (memory-planned) `photon.model`, one private function
    per building block of the model, specialised to its widths and to the
    weight offsets of the plan, whose body is `photon_kernel` ops
    (`convert-photon-programs-to-host` then calls these functions from the
    programs' entry points; `convert-photon-kernel-to-gpu` or `-to-scf`
    lowers the ops). A stack's layer is `photon_kernel.qkv`, `.attention`,
    `.matmul` (the output projection, accumulating into x) and `.mlp`;
    stacks whose layers share one weight layout call one
    `photon_stack_shape<n>` function whose layers are an `scf.for` over
    offsets computed from the stack's first weight.

    Functions (buffers are flat 1-D memrefs, `W` is the weight arena;
    activations — x, caches, embeddings, latents — have the plan's
    activation type, f32 or bf16; logits and scratch are f32):
      photon_embed_{enc,dec,tok}(W, ids, n, out)
      photon_chunk_<l>(W, in, n, out, scratch)          linear chunkers only
      photon_stack_<name>(W, x, rows, pos, seq, k, v, capacity, scratch,
                          scratch_act, semaphores, rows_per_slot)
          x is updated in place (layers, then the final norm: with
          lm-head-norm, not in the stack the LM head reads). Row i is the
          item at position pos[i] of cache slot seq[i]; it attends to
          positions 0..pos[i] of that slot, its own K/V written there first.
          Caches are [slot][layer][capacity][kv_heads*head_dim]. scratch and
          scratch_act are the plan's stack_scratch as f32 and activations;
          semaphores (i32) the plan's semaphores region, zero on entry and
          on exit: a kernel whose blocks combine their results counts them
          there and its last block combines. rows_per_slot: the rows come
          in runs of that many consecutive rows of one slot (1 in decode
          steps, where the tiled prefill attention does not apply).
      photon_converter_<l>(W, x, n, out)
      photon_lm_head(W, x, n, logits)
          with lm-head-norm, x are the raw rows of its stack, normed on the
          way in (or in place, where the projection is no GEMV): one launch
          a step fewer than the stack's own norm kernel
      photon_argmax(logits, n, ids, partial_max, partial_ids, semaphores)
          ties to the lowest id; the partials (f32, i32: n x parts, parts
          from passes/StatePlanning.h: vocabPartition) are the plan's
          vocab_partials, the GPU's scratch; semaphores as the stack's
      photon_sample(logits, n, uniforms, temperature, top_k, top_p, ids)
  }];
  let options = [
    Option<"lmHeadNorm", "lm-head-norm", "bool", "true",
           "the final norm of the stack the LM head reads (vanilla's, Dec_1) as "
           "the LM head's prologue, not the stack's last op (Dec_1 then has a "
           "stack function of its own)">,
  ];
  let dependentDialects = [
    "::mlir::photon::kernel::PhotonKernelDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::scf::SCFDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

def ConvertPhotonKernelToGPU : Pass<"convert-photon-kernel-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower photon_kernel ops to GPU kernels (gpu, nvgpu, nvvm)";
  let description = [{
    One conversion pattern per op, in its kernel family's file
    (lowering/kernels/), builds the op's kernels in front of it: the choice
    between them is made on the host, from the rows of the call and the
    alignment of its buffers. Projections over few rows (decode,
    `gemv-max-rows`) are GEMVs that read every weight once with vector
    loads; projections with bf16 weights and activations over enough rows
    (prefill, batched decode) become tiled tensor-core GEMMs; the rest use
    one warp per (row, output). RMSNorm runs one block per row
    (`block-per-row`); argmax splits each row's vocabulary over blocks and
    sampling gives each row a block (`parallel-vocab`). Attention is one
    kernel per layer with an online softmax (`fuse-attention`), long caches
    split over blocks and merged by a second kernel (`split-attention`;
    prefill over them: a tiled flash-attention kernel, `tiled-attention`),
    and RoPE with the K/V cache write another, which at decode is the QKV
    GEMV's epilogue (`fuse-qkv-rope`) and on sm_90a the wgmma QKV GEMM's
    (`fuse-qkv-rope-gemm`) where `photon-kernel-fusion` made it the
    `photon_kernel.qkv`'s. The fused ops (`qkv`, `mlp`) are one kernel
    each over their projections (GEMV or tensor cores).
  }];
  let options = [
    Option<"tensorCoreMinRows", "tensor-core-min-rows", "int64_t", "16",
           "GPU, bf16 weights and activations: projections over at least this "
           "many rows run on tensor cores (nvgpu cp.async and ldmatrix, "
           "nvvm.mma.sync); 0 never">,
    Option<"gemvMaxRows", "gemv-max-rows", "int64_t", "16",
           "GPU: projections over 1 to this many rows (decode) read each "
           "weight row once with 16-byte vector loads, each warp computing "
           "1 to 4 output features for every row (a GEMV); 0 keeps the "
           "warp-per-(row, output) kernel">,
    Option<"gemvTensorCoreMinRows", "gemv-tensor-core-min-rows", "int64_t", "2",
           "GPU, bf16 weights and activations: the GEMV kernels for up to n "
           "rows, n at least this (the buckets 8 and 16 by default), multiply "
           "on tensor cores (mma.sync m16n8k16: 16 outputs a block as the A "
           "operand straight from 16-byte weight loads, rows as the B "
           "operand, K split over the block's warps); the others use "
           "CUDA-core FMAs, rows of them per weight; 0 never">,
    Option<"gemvLoadsInFlight", "gemv-loads-in-flight", "int64_t", "8",
           "GPU: the 16-byte weight loads each lane of a GEMV issues before "
           "its first product, the unroll of the K loop (at most all of a "
           "lane's K): per weight matrix (gate and up are two) on CUDA cores, "
           "over all of them on tensor cores, as measured best on an H200. "
           "Each iteration waits for its loads, so fewer iterations mean "
           "fewer round trips to memory, at more registers">,
    Option<"gemvTensorCoreTiles", "gemv-tensor-core-tiles", "int64_t", "0",
           "GPU: output tiles of 16 a tensor-core GEMV block takes; each "
           "activation fragment a lane loads (and widens, scales by the "
           "fused norm's gain and splits) feeds all of them, at more "
           "registers a thread and fewer blocks. 0: by shape, more where "
           "split inputs of 9-16 rows leave many blocks (4 for 12 tiles an "
           "SM, 2 for 1.5; not for RoPE's pairs), else 1">,
    Option<"gemvTensorCorePrefetch", "gemv-tensor-core-prefetch", "bool",
           "true",
           "GPU: a tensor-core GEMV of several K iterations of at most 4 "
           "steps, one weight matrix, one output tile a block and no fused "
           "norm (16 rows: QKV, o, down) issues the next iteration's weight "
           "loads before this one's MMAs, carried by the loop, so that a "
           "warp's loads stay in flight while it multiplies (twice the weight "
           "registers), instead of after them">,
    Option<"gemvNormKernelMinRows", "gemv-norm-kernel-min-rows", "int64_t", "9",
           "GPU: from this many rows (the GEMV's bucket: 8 or 16) a "
           "tensor-core GEMV does not apply its RMSNorm itself: a norm "
           "kernel writes the normed rows split into bf16 hi + lo parts, "
           "which every block of the GEMV would otherwise widen, scale by "
           "the gain and split again. 0: the GEMVs always apply it">,
    Option<"gemvSplitSwiGLU", "gemv-split-swiglu", "bool", "true",
           "GPU: where a tensor-core GEMV with split inputs reads SwiGLU's "
           "product (the down projection's, 2-16 rows), the gate/up GEMV "
           "writes it split into bf16 hi + lo, as the norm kernel writes "
           "normed rows, so that the down GEMV's blocks do not each split "
           "it again">,
    Option<"gemvSplitAttention", "gemv-split-attention", "bool", "true",
           "GPU: where the output projection after attention runs as a "
           "tensor-core GEMV with split inputs (2-16 rows), attention writes "
           "its output split into bf16 hi + lo, as the norm kernel writes "
           "normed rows, so that the GEMV's blocks do not each split it "
           "again (photon-to-nvvm turns it off with group-stack-calls, whose "
           "paired calls take the GEMV's row bucket together)">,
    Option<"gemvTensorCoreWarps", "gemv-tensor-core-warps", "int64_t", "0",
           "GPU: warps of a tensor-core GEMV block (they split K); 0: 16 "
           "where the grid has fewer blocks (16 outputs each) than "
           "multiprocessors, so that each warp's share of K is in flight at "
           "once (more registers: gate/up spills at 16); 4 for the kernels "
           "whose f32 inputs split into bf16 hi + lo over one matrix or 16 "
           "rows (the fused-norm QKV, and gate/up at 16 rows) where 4-warp "
           "blocks hold the grid at once; else 8">,
    Option<"blockPerRow", "block-per-row", "bool", "true",
           "GPU: RMSNorm and argmax give each row a block of threads "
           "(shared-memory reductions); false: one warp per row">,
    Option<"parallelVocab", "parallel-vocab", "bool", "true",
           "GPU: argmax splits each row's vocabulary over up to 32 blocks "
           "(a (max, index) partial per block in the plan's vocab_partials, "
           "then a warp per row combines them) and sampling gives each row "
           "a block of up to 1024 threads; false: argmax as block-per-row "
           "says, sampling one warp per row">,
    Option<"fuseAttention", "fuse-attention", "bool", "true",
           "GPU: attention is one online-softmax kernel per layer, no scores "
           "in memory (short caches: split-short-caches, else a block per "
           "(row, query head) whose threads split positions 0..pos, head_dim "
           "up to 128; long caches: split or tiled attention); false: scores, "
           "softmax statistics and output as three kernels through the "
           "scratch">,
    Option<"fusedAttentionMaxCapacity", "fused-attention-max-capacity", "int64_t",
           "256",
           "GPU, fuse-attention: caches of at most this many positions (local "
           "decoders) use one pass over the cache (split-short-caches), longer "
           "ones (encoders, vanilla) kernels that spread positions over the "
           "card; the capacity is checked on the host">,
    Option<"tiledAttention", "tiled-attention", "bool", "true",
           "GPU: calls of more than 64 rows (prefill; not decode steps, one "
           "row a sequence) that the fused kernel "
           "does not take (caches longer than fused-attention-max-capacity, "
           "or fuse-attention=false) attend in one tiled "
           "(flash) kernel, a block per (64 rows, query head): tiles of "
           "consecutive positions of one sequence stream K/V tiles through "
           "workgroup memory (QK^T and PV on tensor cores for bf16 caches), "
           "other tiles go row by row; false: split attention (or the three "
           "unfused kernels)">,
    Option<"splitAttention", "split-attention", "bool", "true",
           "GPU, fuse-attention: caches longer than fused-attention-max-capacity "
           "use flash-decoding: a block per (row, KV head, split of positions "
           "0..pos) reads each K/V row once for the KV group's query heads "
           "(warps over positions, lanes over features with vector loads), "
           "an online softmax per split, merged by a second kernel (or the "
           "splits' last block, fuse-attention-combine); splits chosen on the host to fill the "
           "card. head_dim up to 32 vectors of 16 bytes or less (bf16 caches: "
           "256 when a multiple of 8). false: the three unfused kernels">,
    Option<"fuseArgmaxCombine", "fuse-argmax-combine", "bool", "false",
           "GPU, parallel-vocab: the last block of a row's argmax partials "
           "combines them (counted on the plan's semaphores) instead of "
           "photon_argmax_combine, a kernel after the partials (one launch "
           "fewer, but not faster with programmatic launch on an H200)">,
    Option<"fuseAttentionCombine", "fuse-attention-combine", "bool", "false",
           "GPU, split-attention: the last block of a (row, KV head group) "
           "to finish its split merges the splits' states and writes the "
           "output (the blocks count themselves on the plan's semaphores) "
           "instead of photon_attention_combine, a kernel after the splits "
           "(one launch fewer a layer, but not faster with programmatic "
           "launch on an H200)">,
    Option<"splitShortCaches", "split-short-caches", "bool", "true",
           "GPU, fuse-attention: caches of at most fused-attention-max-capacity "
           "positions (local decoders) also take split attention, with one "
           "split and no combine (photon_attention_short: a block per (KV head "
           "group, row) reads each K/V row once for the group's query heads, "
           "warps over positions, lanes over features with vector loads); "
           "false: the fused kernel, a block per (row, query head)">,
    Option<"splitAttentionLaneVectors", "split-attention-lane-vectors", "int64_t", "1",
           "GPU, split attention: the K/V vectors (16 bytes at most, head_dim "
           "a multiple of them) each lane of a cache position loads: more "
           "mean fewer lanes a position, so fewer shuffles summing its dot "
           "product and fewer idle lanes where a power of two of lanes does "
           "not fit the head (bf16 head_dim 52: 13 vectors of 4 on 16 lanes "
           "at 1, 4 lanes at 4), at more registers; capped at 32 "
           "accumulator floats a lane">,
    Option<"splitAttentionPrefetchSteps", "split-attention-prefetch-steps", "int64_t", "1",
           "GPU, split attention over more than one warp's positions: the "
           "loop steps whose K/V loads are in flight while a step computes "
           "(1 to 4; registers: a step's loads each)">,
    Option<"splitAttentionOneRowPrefetchSteps", "split-attention-one-row-prefetch-steps",
           "int64_t", "4",
           "GPU, split attention over long caches: the prefetch steps of calls "
           "of one row (batch-1 decode), which get a kernel of their own where "
           "this differs from split-attention-prefetch-steps (1 to 4; deeper "
           "prefetch measured 2% faster at vanilla-600M's batch 1 on an H200 "
           "and 26% slower at 16 rows, its registers halving the blocks an "
           "SM)">,
    Option<"guardRegisterPrefetch", "guard-register-prefetch", "bool", "false",
           "GPU, the loops that carry the next step's loads in registers (split "
           "attention's steps ahead, split-attention-prefetch-steps and "
           "split-attention-one-row-prefetch-steps; tiled attention's next K/V "
           "tile): issue those loads under a branch on the step being inside "
           "the loop. Unguarded, gpu-module-to-binary's LLVM optimization turns "
           "a loop-carried value that is a load in the preheader and a load "
           "in the latch into one load at the loop's head (a phi of "
           "addresses), so the loads are "
           "issued by the step that uses them and none is in flight while "
           "another step computes; the branch keeps them where they are "
           "issued (the tensor-core GEMV's prefetch has one by construction)">,
    Option<"splitAttentionOneRowStages", "split-attention-one-row-stages", "int64_t", "0",
           "GPU, split attention over long caches, calls of one row: 0 keeps "
           "the loads in flight in registers (split-attention-one-row-"
           "prefetch-steps); n (2 to 8) stages them in n shared-memory stages "
           "instead, n - 1 steps in flight: each lane copies its own K/V "
           "vectors by cp.async (4-, 8- or 16-byte vectors) and reads them "
           "back, as many stages as fit 40 KiB">,
    Option<"splitAttentionL2Prefetch", "split-attention-l2-prefetch", "bool", "true",
           "GPU, programmatic-launch: the one-row split-attention kernel "
           "reads the row's position and slot and prefetches its splits' K "
           "and V rows into L2 (cp.async.bulk.prefetch, a piece per block) "
           "before it waits for the previous kernel (the QKV projection), "
           "so the HBM reads overlap that kernel. A hint: what the kernel "
           "computes is unchanged">,
    Option<"splitAttentionClusterBlocks", "split-attention-cluster-blocks", "int64_t", "16",
           "GPU from sm_90, split attention over long caches: the splits of a "
           "(row, KV head group) run as one thread block cluster of at most this "
           "many blocks (1 to 16; past 8 the kernel opts in to non-portable "
           "sizes) and merge their states through distributed shared memory, "
           "with no partials in global memory and no combine kernel (16: "
           "vanilla-600M's batch-1 decode 5% faster on an H200, 8: 1.5% "
           "slower). 0: the splits fill the card and photon_attention_combine "
           "merges them (or fuse-attention-combine, which takes precedence)">,
    Option<"fuseQkvRope", "fuse-qkv-rope", "bool", "true",
           "GPU, a photon_kernel.qkv with RoPE and the cache write: at decode "
           "the QKV GEMV's epilogue applies RoPE to Q and K (a warp computes output pairs j, "
           "j + head_dim / 2) and writes K and V to the cache; false: the "
           "RoPE / cache-write kernel after it">,
    Option<"fuseQkvRopeGemm", "fuse-qkv-rope-gemm", "bool", "true",
           "GPU, a photon_kernel.qkv with RoPE and the cache write, sm_90a "
           "(wgmma): the tensor-core QKV GEMM's epilogue applies RoPE to Q and K and writes K and V to "
           "the cache, over its tile staged in shared memory (tiles of whole "
           "heads: multiples of lcm(head_dim, 8) columns up to 128, or up to "
           "wgmma-tile-cols from wgmma-wide-tile-min-rows rows, whatever the "
           "outputs); false: the RoPE / cache-write kernel after it">,
    Option<"ropeApproxTrig", "rope-approx-trig", "bool", "true",
           "fuse-qkv-rope-gemm: the RoPE table of the tensor-core QKV GEMM's "
           "epilogue takes cos and sin of the angle reduced (in f64) to [-pi, "
           "pi] by the multifunction unit's approximations (fastmath afn: "
           "__nv_fast_cosf / __nv_fast_sinf, absolute error under 1e-6) "
           "instead of libdevice's cosf / sinf. H100 (ncu, vanilla-600M, "
           "4,096 rows, with the paired loads): 159.9 -> 150.4 us. The decode "
           "GEMVs and the RoPE kernel keep libdevice: with the approximations "
           "vanilla-600M's batch-1 decode was 0.5% slower">,
    Option<"prefetchNextWeights", "prefetch-next-weights", "bool", "false",
           "GPU (sm_90+): the decode GEMVs prefetch the next projection's "
           "weights into L2 (cp.async.bulk.prefetch, a slice per block, "
           "before they wait for the previous kernel): QKV's the output "
           "projection's, that one gate and up, gate/up's down. Off: "
           "measured slower on an H200 (docs/perf.md)">,
    Option<"gemvBulkMaxWarpRows", "gemv-bulk-max-warp-rows", "int64_t", "-1",
           "GPU (sm_90+): the one-row CUDA-core GEMVs whose warps read at "
           "most this many weight rows (QKV's RoPE pairs and gate/up read 2, "
           "the others 1) bring them into shared memory by bulk copies "
           "(cp.async.bulk, one a row, on the warp's mbarrier) issued before "
           "the grid wait, and the activation row after it, instead of 16-byte "
           "loads into registers: no registers hold the loads in flight, so "
           "more blocks are resident (the QKV GEMV's 166-register warps ran "
           "1.6 waves). Kernels whose rows would take more than 64 KB a block "
           "keep the loads; 0: none. -1 (auto): 2, unless a program runs "
           "RecGen's latent chain beside its tokens (photon.recgen_latents, "
           "a second stream) or fuse-launches is on, then 0 (H100: "
           "vanilla-600M's batch-1 decode 1% faster, 6% at short contexts; "
           "PHOTON-600M's RecGen 9% slower; bulk copies for only part of the "
           "GEMVs no faster than for none)">,
    Option<"gemvBulkWarps", "gemv-bulk-warps", "int64_t", "4",
           "GPU (sm_90+): warps of a one-row GEMV block with bulk copies "
           "(gemv-bulk-max-warp-rows). A block copies its activation row "
           "(and the fused norm's gain) once for all its warps, so more "
           "warps copy fewer bytes beside the weights, at more shared "
           "memory a block (halved while more than 4 would take more than "
           "64 KB)">,
    Option<"gemvBulkMaxOutputs", "gemv-bulk-max-outputs", "int64_t", "0",
           "GPU (sm_90+): only the one-row GEMVs of at most this many "
           "outputs take bulk copies (gemv-bulk-max-warp-rows); larger ones, "
           "such as the LM head, keep 16-byte loads into registers. 0: any "
           "number (on an H200 the LM head ran 29.8 us by register loads "
           "against 38.6 by bulk copies, docs/perf.md)">,
    Option<"gemvEarlyTrigger", "gemv-early-trigger", "bool", "false",
           "GPU, programmatic-launch: the decode GEMVs let their successor be "
           "scheduled at their start (griddepcontrol.launch_dependents before "
           "their weight loads and their wait) instead of after their wait, "
           "so the next kernel's blocks, a GEMV's weight loads among them, "
           "may start while the kernel before this one still runs. Safe "
           "because a GEMV reads only weights before its wait, and every "
           "kernel's wait still returns only after all kernels before it "
           "completed. Off: measured slower on an H200 (docs/perf.md)">,
    Option<"fuseLaunches", "fuse-launches", "bool", "false",
           "GPU: a stack's kernels that run one after the other with blocks "
           "of one size (at decode a layer's QKV, attention, output, gate/up "
           "and down) are one launch: blocks take tickets in order and a "
           "kernel's tiles wait for the tiles before theirs (counters at the "
           "end of the plan's semaphores). Off: right on an H200 but slower "
           "there, every phase at the registers of the heaviest (docs/perf.md)">,
    Option<"programmaticLaunch", "programmatic-launch", "bool", "false",
           "GPU, for photon-programmatic-launch (sm_90+): the decode GEMVs "
           "issue their first weight loads, then wait for the previous kernel "
           "(griddepcontrol.wait) before they read activations, and let their "
           "successor be scheduled; their launches are marked "
           "photon.grid_wait_placed. The tensor-core GEMMs and tiled attention "
           "are marked photon.launch_dependents_at_end">,
    Option<"tensorCoreKernel", "tensor-core-kernel",
           "::mlir::photon::TensorCoreKernel",
           "::mlir::photon::TensorCoreKernel::Tile128",
           "GPU: the tensor-core GEMM. tile128: tiles of 128 rows by 128 "
           "outputs (8 warps) or, for projections of up to 2048 outputs, 64 "
           "(4 warps; on wgmma see wgmma-tile-cols); each warp 64x32, K steps "
           "of 32 through 3 cp.async "
           "stages in XOR-swizzled shared memory (48 KB). tile128x128 and "
           "tile128x64 force one width; tile64: the earlier 64x64 tile per "
           "block of 4 warps, 2 padded stages",
           [{::mlir::photon::tensorCoreKernelValues()}]>,
    Option<"chip", "chip", "std::string", "\"\"",
           "The GPU (sm_90a, sm_90, sm_80, ...; lowering/TargetInfo.h): "
           "multiprocessors=0 means its count, and wgmma, "
           "programmatic-launch and prefetch-next-weights are off where it "
           "lacks their instructions. Empty: take the options as given">,
    Option<"multiprocessors", "multiprocessors", "int64_t", "0",
           "GPU: multiprocessors the grids should fill (split attention "
           "aims at 4 blocks each, tensor-core GEMVs take 16 warps a block "
           "below one each); 0: the chip's (lowering/TargetInfo.h: 132 for "
           "sm_90, 108 for sm_80), 132 without a chip">,
    Option<"wgmma", "wgmma", "bool", "false",
           "GPU, sm_90a only: the tile128 tensor-core kernels multiply with "
           "warpgroup MMA (wgmma.mma_async m64nNk16 from shared-memory "
           "descriptors in the 64-byte swizzle mode; 2 warpgroups a block, 3 "
           "with wgmma-tile-rows' 192-row tiles, "
           "each 64 rows of the tile; wgmma-stages stages in dynamic shared memory, one "
           "step's MMAs in flight past the next barrier). photon-to-nvvm turns "
           "it on for chip=sm_90a">,
    Option<"wgmmaKStep", "wgmma-k-step", "int64_t", "32",
           "wgmma: K per pipeline step (and barrier) of the tile128 GEMMs. "
           "32: 64-byte stage rows in the 64-byte swizzle mode; 64: 128-byte "
           "rows in the 128-byte swizzle mode, half the barriers, stages twice "
           "the bytes (wgmma-stages)">,
    Option<"wgmmaStages", "wgmma-stages", "int64_t", "6",
           "wgmma: shared-memory stages of the tile128 GEMMs (3 to 8), at most "
           "as many as fit a block's 227 KB (K 64 and 208-wide tiles: 3); the "
           "copies run stages - 2 K steps ahead of the MMAs. 6 against 4 on an "
           "H200 (ncu): a 4,096-row prefill call's kernels 2-3% faster, a "
           "256-row decode step's 17%">,
    Option<"wgmmaTma", "wgmma-tma", "bool", "true",
           "wgmma: the tile128 GEMMs of tiles at least wgmma-tma-min-tile-cols "
           "wide load their tiles of bf16 inputs, and of weights that are one "
           "[M x K] matrix (Q/K/V too, laid out one after another; gate/up's "
           "two matrices through one map of groups of 16 rows of each), "
           "with TMA: one "
           "thread issues cp.async.bulk.tensor per operand and stage against "
           "tensor maps the runtime makes (photon_tensor_map_2d, "
           "photon_tensor_map_pairs), completing "
           "on the stage's mbarrier, in the same swizzle as the cp.async "
           "copies (docs/design.md)">,
    Option<"wgmmaTmaMinTileCols", "wgmma-tma-min-tile-cols", "int64_t", "192",
           "wgmma-tma: the narrowest output tile that loads by TMA (0: every "
           "tile). H100 (ncu, 4,096-row prefill of vanilla-600M): 208-wide "
           "tiles 13-16% faster by TMA, 128-wide 6% slower; 64-wide (256 "
           "rows) 2-3% slower">,
    Option<"wgmmaProducerWarp", "wgmma-producer-warp", "bool", "true",
           "wgmma-tma: the GEMMs whose two operands come by TMA take a ninth "
           "warp that issues every copy up to wgmma-stages steps ahead, and "
           "the two warpgroups hand each stage back through a second "
           "mbarrier instead of passing the block's barrier every K step "
           "(warp specialization). H100 (ncu, 4,096 rows of vanilla-600M): "
           "o 50.3 -> 48.3 us, Q/K/V and down within 0.6%">,
    Option<"wgmmaTileRows", "wgmma-tile-rows", "int64_t", "0",
           "wgmma-tma: rows of the tiles of the GEMMs whose two operands come "
           "by TMA: 128 (two warpgroups, beside wgmma-producer-warp's warp), "
           "192 (three warpgroups, thread 0 issuing the copies), or 0: 192 "
           "where, by the rows of the call (on the host), its fewer waves of "
           "blocks over multiprocessors take less time than 128-row tiles do. "
           "H100 (ncu, vanilla-600M's 4,096-row Q/K/V: 528 tiles in 4 waves "
           "against 768 in 5.82): 147.1 -> 130.3 us">,
    Option<"wgmmaStagedStore", "wgmma-staged-store", "bool", "true",
           "wgmma: the tile128 GEMMs of projections (o, down, the LM head) and "
           "of gate/up stage their accumulators in shared memory, then store "
           "each row in runs of 8 outputs (16-byte loads of the residual, "
           "16-byte stores) where out is 16-byte aligned and its width a "
           "multiple of 8, instead of each thread storing its accumulators' "
           "scattered pairs; the QKV GEMM's RoPE epilogue stores runs of 8 "
           "rotated columns instead of pairs (j, j + head_dim / 2). H200 "
           "(ncu, vanilla-600M, 4,096 rows): o 62 -> 44 us, down 113 -> 95, "
           "gate/up 237 -> 220, Q/K/V 174 -> 159; the LM head at 1,024 rows "
           "269 -> 218">,
    Option<"wgmmaTileCols", "wgmma-tile-cols", "int64_t", "208",
           "wgmma: the widest output tile of a tile128 GEMM of up to "
           "wgmma-wide-tile-max-outputs outputs (a multiple of 8, 64 to "
           "256): the outputs split into ceil(M / this) tiles of equal "
           "width, rounded up to 8 (1664 -> 8 of 208). Wider tiles read each input row from L2 fewer times "
           "and each wgmma more outputs per operand byte of shared memory; "
           "64 keeps the 64-wide tiles where M is a multiple of 64">,
    Option<"wgmmaWideTileMaxOutputs", "wgmma-wide-tile-max-outputs", "int64_t",
           "2048",
           "wgmma: projections (and Q/K/V as one, gate/up as one of 2 x ffn "
           "outputs) of up to this many outputs take the wide tiles of "
           "wgmma-tile-cols; wider ones those of "
           "wgmma-wide-output-tile-cols">,
    Option<"wgmmaWideOutputTileCols", "wgmma-wide-output-tile-cols", "int64_t",
           "256",
           "wgmma: the widest output tile of a projection of more than "
           "wgmma-wide-tile-max-outputs outputs (LM heads; gate/up, in units "
           "of 32), as wgmma-tile-cols is for the others (a multiple of 8, 64 "
           "to 256; 128: their 128-wide tiles at every row count). H200 "
           "(ncu, vanilla-600M): 256 against 128, gate/up at 4,096 rows 237 "
           "against 260 us, the LM head at 256 rows 79 against 87 us; 192 "
           "(gate/up) and 208 (the LM head) were slower than 128">,
    Option<"wgmmaWideTileMinRows", "wgmma-wide-tile-min-rows", "int64_t", "0",
           "wgmma: calls of at least this many rows take the wide tiles of "
           "wgmma-tile-cols, fewer the 64-wide ones (the host picks). 0: the "
           "rows whose grid of wide tiles covers 3/4 of the multiprocessors "
           "(1664 rows for 1664 outputs on 132 SMs)">,
    Option<"matmulInputRounding", "matmul-input-rounding",
           "::mlir::photon::MatmulInputRounding",
           "::mlir::photon::MatmulInputRounding::Gemm",
           "bf16 activations: which projections round their f32 inputs (the "
           "stacks' scratch: normed rows, attention output, SwiGLU output) to "
           "bf16, as a bf16 PyTorch model holds them. Unrounded f32 inputs "
           "keep ~16 bits on tensor cores (bf16 hi + lo, two MMAs) and full "
           "f32 products elsewhere. gemm (default): on tensor-core targets "
           "the wide projections (more rows than a GEMV takes: prefill, "
           "batched decode) read bf16 inputs, one MMA per product (measured "
           "on an H200: +16% RecGen tok/s at batch 1024, +13% prefill); their "
           "producers write them in bf16 over the f32 scratch (the wide "
           "branch's RMSNorm, the gate/up kernel; the attention kernels "
           "write both), so the GEMMs load them with cp.async like the "
           "weights; the GEMVs, bound by the weight bytes, and the CPU keep "
           "f32. tensor-cores: the tensor-core GEMVs (2-16 rows) too, rounding "
           "in registers, their fused norm's product included (H100, ncu, "
           "vanilla-600M's 16-row LM head: 72.8 us with split inputs, 54.7 "
           "rounded; +6% vanilla-600M tok/s at batch 16; not the default: on "
           "an H100 it took one tiny-photon-l2 RecGen logit to 1.07e-1, past "
           "spec 6's bf16 bound). all: "
           "every projection on every target rounds (on tiny-photon-l2, CPU, "
           "the worst bf16 logit error of spec 6 goes from 4.7e-2 to 9.2e-2, "
           "near the 1e-1 bound)",
           [{::mlir::photon::matmulInputRoundingValues()}]>,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def ConvertPhotonKernelToSCF : Pass<"convert-photon-kernel-to-scf", "::mlir::ModuleOp"> {
  let summary = "Lower photon_kernel ops to host loops (scf.parallel)";
  let description = [{
    The same patterns as `convert-photon-kernel-to-gpu`, building host loops:
    data-parallel work is `scf.parallel` (photon-to-llvm runs it on the
    CPU's cores), reductions are `scf.for` with f32 products.
  }];
  let options = [
    Option<"matmulInputRounding", "matmul-input-rounding",
           "::mlir::photon::MatmulInputRounding",
           "::mlir::photon::MatmulInputRounding::Gemm",
           "bf16 activations: gemm (default) and tensor-cores keep f32 inputs "
           "on the host; all "
           "rounds every projection's f32 input to bf16 first "
           "(convert-photon-kernel-to-gpu's option of the same name)",
           [{::mlir::photon::matmulInputRoundingValues()}]>,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def ConvertPhotonProgramsToHost : Pass<"convert-photon-programs-to-host", "::mlir::ModuleOp"> {
  let summary = "Lower every photon.program to host prefill and step entry points";
  let description = [{
    Runs after `convert-photon-to-photon-kernel`. Each `photon.program` of the model
    (spec §4: prefill, then HierGen or RecGen steps) becomes two host
    functions made of calls to the model's kernels on views of the program's
    state arena (its `#photon.state_plan`), with the loops over levels, chunk
    sizes and prefix lengths unrolled:

      photon_prefill_<program>(W, S, batch, max_tokens, first, count,
                               prompt_len, encode_len, prompt)
      photon_step_<program>(W, S, batch, max_tokens, uniforms, out, logits,
                            temperature, top_k, top_p)

    Prefill encodes the first `encode_len` of its `prompt_len` known tokens
    (generation: all of them); the steps force every known token after
    those, so their logits are teacher-forced (photon-run --score).
    A step decodes one meta-context of every sequence (vanilla: one token);
    what it does follows the program's decode step op (`photon.hiergen_step`
    re-encodes the tokens, `photon.recgen_step` advances Enc_L on the
    decoder's own latents). Everything a step reads between calls lives in
    the arena, so a step is the same launches every time for a batch.
    It also adds `photon_description() -> !llvm.ptr`, the JSON description
    of what the library is compiled for (the manifest's version, vocabulary, types,
    arena size, fingerprint and programs; passes/ArtifactDescription.h), which
    the runtime checks an artifact's manifest against. Finally the model is
    erased: the module holds kernels and entry points.
  }];
  let options = [
    Option<"target", "target", "::mlir::photon::KernelTarget",
           "::mlir::photon::KernelTarget::CPU",
           "Where the small data-movement kernels run: cpu (scf.parallel) or "
           "gpu (gpu.launch); must match the kernels' conversion "
           "(convert-photon-kernel-to-scf or -to-gpu)",
           [{::mlir::photon::kernelTargetValues()}]>,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

def PhotonGroupStackCalls : Pass<"photon-group-stack-calls", "::mlir::ModuleOp"> {
  let summary = "Run the two streams' stack calls of one shape as one launch per kernel";
  let description = [{
    Runs after `convert-photon-programs-to-host` on the GPU. Where a step
    forks a second stream (`photon_use_stream`: RecGen's latent chain, which
    runs a meta-context ahead of its tokens), the k-th stack call on the
    second stream and the k-th on the main stream, when both call one shape
    function (PHOTON-600M: Dec_2 and Dec_1), become one call of
    `<shape>_x2`: that function with each `gpu.launch` run once for both
    calls, the grid the larger x and y of the two and their z one after
    the other, every block the kernel of its call with that call's values
    (blocks outside their call's grid do nothing). The latent chain's work
    before a pair moves in front of it on the main stream, after a join (an
    earlier decode tile's latent work may still run on the second stream);
    its work after the last pair stays on the second stream, forked anew
    (the runtime forks a stream at its first use since a join). A pair runs
    grouped where both calls are one chunk of at most `max-rows` rows, else
    on their two streams as before, then joined.

    The grouped function takes its host decisions once: a row bucket
    (`scf.if rows <= n`) on the larger call's rows, so both run the kernel
    of the larger bucket, and every other decision (alignment, cache
    length) on the first call's values. It first traces those decisions for
    the second call; where one differs, it runs the two calls one after the
    other. Launches it cannot group (dynamic block sizes, async tokens,
    clusters) run one after the other inside it. An argument both calls of
    every pair pass as one constant (a local decoder's cache length) is
    that constant in the grouped function. Only calls of up to
    `max-rows` rows run grouped (decode at small batches, where a call's
    launches cost more than its work); the grouped function then holds the
    kernels such calls take (conditions on the rows decided for 1 to
    `max-rows` rows fold), and larger calls run one after the other.

    At batch 1 this takes PHOTON-600M's RecGen step from 224 to 140
    launches, and on an H200 makes it 12% slower (docs/scheduling.md): the
    latent chain's launches it saves ran on the second stream, where the
    CUDA graph overlapped them with the main stream's. The pipelines
    leave it off.
  }];
  let options = [
    Option<"maxRows", "max-rows", "int64_t", "8",
           "Calls of up to this many rows run grouped (batch-1 decode: Dec_1's "
           "4 chunks x 2 prefix rows); larger ones one after the other. The "
           "grouped function holds only the kernels of such calls, which keeps "
           "the compile short">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"
  ];
}

def PhotonProgrammaticLaunch : Pass<"photon-programmatic-launch", "::mlir::ModuleOp"> {
  let summary = "Let each GPU kernel start while the one before it finishes (Hopper)";
  let description = [{
    Runs after `convert-photon-programs-to-host`, on the GPU's `gpu.launch` ops (sm_90
    and later). With programmatic dependent launch a kernel may be scheduled
    while the kernel before it in the stream still runs; it must wait
    (`nvvm.griddepcontrol wait`: the previous grid has completed and its
    writes are visible) before it touches memory that kernel may read or
    write. Every kernel therefore starts with the wait, then lets its own
    successor be scheduled (`nvvm.griddepcontrol launch_dependents`), so the
    successor's launch overlaps this kernel's work; launches marked
    `photon.launch_dependents_at_end` (tensor-core GEMMs, tiled attention:
    grids that fill the card) let it be scheduled only at their end. Kernels
    marked
    `photon.grid_wait_placed` (the decode GEMVs with
    `convert-photon-kernel-to-gpu{programmatic-launch}`) already wait after they
    have issued their first weight loads: weights are never written, so
    those loads overlap the previous kernel's tail.

    The pass also adds `photon_programmatic_launch() -> i32` (1): the runtime
    launches a library's kernels with the programmatic-serialization
    attribute only when it exports this function, so libraries compiled
    without the waits keep plain stream order.

    With `trigger-at-start` a kernel lets its successor be scheduled before
    it waits (still after everything for launches marked
    `photon.launch_dependents_at_end`). That is safe because no kernel
    reads anything but weights before its wait, and a kernel's wait still
    returns only once every kernel before it has completed: its
    predecessor completes only after its own wait returned.
  }];
  let options = [
    Option<"triggerAtStart", "trigger-at-start", "bool", "false",
           "Let the successor be scheduled before the wait, not after it">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::func::FuncDialect",
    "::mlir::arith::ArithDialect", "::mlir::NVVM::NVVMDialect"
  ];
}

#endif // PHOTON_LOWERING_PASSES_TD
