//===- KernelEmitter.h - The kernels of photon_kernel ops -------*- C++ -*-===//
//
// What convert-photon-kernel-to-gpu and convert-photon-kernel-to-scf build
// for each photon_kernel op: its parallel work as `gpu.launch` kernels on the
// GPU (gpu, nvgpu, nvvm) or `scf.parallel` on the host. One class holds an
// op's widths, the options and the helpers every kernel family shares; its
// members are defined in one file per family, named in the banners below;
// the files of families with ops also hold their conversion patterns and
// populate function (KernelPatterns.h):
//
//   ../PhotonKernelToLoops.cpp the two passes, shared helpers, embeddings
//   Projections.cpp            GEMVs, matmuls, fused QKV and gate/up + SwiGLU
//                              (photon_kernel.matmul, .mlp)
//   TensorCoreGemm.cpp         tiled mma.sync and wgmma GEMMs
//   Norms.cpp                  block-per-row reductions and RMSNorm (.rms_norm)
//   Attention.cpp              RoPE, the K/V cache write, decode attention
//                              (.qkv, .attention)
//   AttentionTiled.cpp         prefill (flash) attention on tensor cores
//   Vocab.cpp                  argmax and sampling over the vocabulary
//                              (.argmax, .sample)
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_LOWERING_KERNELS_KERNELEMITTER_H
#define PHOTON_LOWERING_KERNELS_KERNELEMITTER_H

#include "dialect/kernel/KernelOps.h"
#include "lowering/KernelBuilder.h"
#include "lowering/Passes.h"
#include "lowering/ProgrammaticLaunch.h"
#include "passes/StatePlanning.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/STLForwardCompat.h"

#include <algorithm>
#include <array>
#include <functional>

namespace mlir::photon {

/// The widths a kernel family reads, from its op (photon_kernel.layer and
/// the ops' own attributes); fields an op does not carry stay zero.
struct KernelDims {
  int64_t dModel = 0, nHeads = 0, nKvHeads = 0, ffnDim = 0, vocabSize = 0;
  double rmsNormEps = 0, ropeTheta = 0;
  int64_t headDim() const { return nHeads > 0 ? dModel / nHeads : 0; }
  static KernelDims of(kernel::LayerShapeAttr shape);
};

/// What the kernel patterns lower with: the GPU conversion's options (the
/// host conversion sets only matmul-input-rounding) and the target.
struct KernelLoweringOptions : ConvertPhotonKernelToGPUOptions {
  bool gpu = false;
};

class KernelEmitter {
public:
  KernelEmitter(const KernelDims &c, Type weightElt, Type actElt,
                const KernelLoweringOptions &options, Location loc)
      : c(c), weightElt(weightElt), actElt(actElt), options(options), gpu(options.gpu),
        tensorCoreKernel(options.tensorCoreKernel), loc(loc), ctx(loc.getContext()) {}

  static std::string shape(int64_t m, int64_t k) {
    return std::to_string(m) + "x" + std::to_string(k);
  }

  /// Data-parallel work over [0, ubs): host loops or one GPU kernel `kernel`.
  void parallel(Builder &b, const Twine &kernel, ArrayRef<Value> ubs, BodyFn body) {
    parallelWork(b, gpu, kernel, ubs, body);
  }

  /// Lanes that share one reduction: a warp on the GPU, one "lane" on the
  /// host. A body strides its reduction by `laneCount()` from `lane` and
  /// combines the partial results with laneSum/laneMax.
  int64_t laneCount() const { return gpu ? kWarpSize : 1; }

  using LaneBodyFn = function_ref<void(Builder &, ValueRange, Value)>;
  void parallelLanes(Builder &b, const Twine &kernel, ArrayRef<Value> ubs, LaneBodyFn body);

  /// Combines a value across the lanes of a warp (xor butterfly: every lane
  /// gets the result). The identity on the host.
  Value laneReduce(Builder &b, Value v, function_ref<Value(Builder &, Value, Value)> combine);
  Value laneSum(Builder &b, Value v) { return laneReduce(b, v, addF); }
  Value laneMin(Builder &b, Value v);
  Value laneMaxI(Builder &b, Value v);
  Value laneMax(Builder &b, Value v) { return laneReduce(b, v, maximumF); }
  /// Runs `then` on lane 0 only (folds away on the host, where lane is 0).
  void onLaneZero(Builder &b, Value lane, function_ref<void(Builder &)> then) {
    ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, cIdx(b, 0)), then);
  }
  /// A strided reduction over [lane, ub) step laneCount().
  Value laneLoop(Builder &b, Value lane, Value ub, Value init,
                 function_ref<Value(Builder &, Value, Value)> body) {
    return reduce(b, lane, ub, init, body, laneCount());
  }
  /// Runs `then` or `otherwise` in an `scf.if cond`.
  void ifElse(Builder &b, Value cond, function_ref<void(Builder &)> then,
              function_ref<void(Builder &)> otherwise);

  // Projections: GEMVs, matmuls, fused QKV and gate/up (kernels/Projections.cpp) ------------------
  /// W[base + i] as f32.
  Value loadWeight(Builder &b, Value base, Value i);

  /// out[i, j] (+)= sum_k W[j, k] · in[i, k] (+ bias[j]) for i < rows, j < M.
  /// On the GPU, 1 to gemvMaxRows rows (decode) go to matmulGemv, which
  /// reads each weight once; with bf16 weights and activations, `rows` of at
  /// least tensorCoreMinRows go to tensor cores (matmulTensorCore); other
  /// calls are a warp per (row, output) (matmulLanes). The choice is made on
  /// the host, where rows and the buffers' alignment are known.
  void matmulNT(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                WeightRef weight, std::optional<WeightRef> bias = std::nullopt,
                bool accumulate = false);

  /// Whether a GEMV over K-wide rows may read a weight matrix whose offsets
  /// are multiples of `align`: whole 16-byte vectors per row.
  bool gemvApplies(int64_t K, int64_t align) const;

  /// On the host: `gemv(maxRows)` for 1 <= rows <= gemvMaxRows when
  /// `aligned` holds, one kernel per bucket of rows (1, 4, 8, 16, ... up to
  /// gemvMaxRows: a kernel keeps one accumulator per row it may see, so
  /// batch 1 does not pay for 16); else `wide`.
  void gemvOrWide(Builder &b, Value rows, Value aligned,
                  function_ref<void(Builder &, int64_t)> gemv,
                  function_ref<void(Builder &)> wide);
  /// gemvOrWide's buckets: the most rows of each GEMV kernel, ascending.
  SmallVector<int64_t> gemvBuckets() const;

  /// On the host: whether a GEMV reads `rows` rows of `in` (f32, whole
  /// chunks of 8 a row) on tensor cores with split inputs, so that their
  /// producer may write them split (Buf::splitWhen): rows in the buckets
  /// whose kernels do, `in` aligned as the GEMV asks (the weights' arena
  /// is taken to be: matmulNT). Null where no bucket's kernel splits its
  /// inputs.
  Value gemvSplitInputRows(Builder &b, Value rows, const Buf &in);

  /// matmulNT without the GEMV: tensor cores when they apply, else
  /// matmulLanes. With wideInputsRounded, an `in` mirrored in bf16 (the
  /// attention output) is read from its mirror, so the GEMM loads bf16 A
  /// with cp.async instead of converting f32 in registers.
  void matmulWide(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                  Value w, int64_t wAlign, Value bOff, bool accumulate);

  /// mem[at .. at + n) (f32, 4n-byte aligned; global or shared) as one
  /// vector<n x f32> load (n = 2 or 4).
  Value loadF32s(Builder &b, Value mem, Value at, int64_t n);
  /// mem[at .. at + 8) (f32, 16-byte aligned) as a vector<8xf32>, loaded as
  /// two 16-byte vectors.
  Value loadF32x8(Builder &b, Value mem, Value at);

  /// Whether projections over K with weights of these alignments (elements)
  /// may take tensor cores: bf16 weights and activations, on the GPU.
  /// f32 activations keep f32 products: a hi + lo split of them is good to
  /// ~16 bits, which misses the f32 bound of spec §6 (measured 1.3e-4).
  bool tensorCoresApply(int64_t K, ArrayRef<int64_t> wAligns) const;
  /// Whether a call takes them (on the host): enough rows, and the weights
  /// (at `ws`) and `in` on 16-byte boundaries: cp.async moves 16 bytes (8
  /// bf16) at a time, and the tile128 kernels load an f32 `in` as 16-byte
  /// vectors too.
  Value tensorCoresUse(Builder &b, Buf in, Value rows, ArrayRef<Value> ws);

  static int64_t byteWidth(Type t) { return t.getIntOrFloatBitWidth() / 8; }
  /// Weights per 16-byte vector load of the GEMV.
  int64_t gemvVectorLength() const { return 16 / byteWidth(weightElt); }
  /// The GEMV loads as many activations as weights at a time: the alignment
  /// (at most 16 bytes) their vector loads assume.
  int64_t gemvInputAlignment(const Buf &in) const {
    return std::min<int64_t>(16, gemvVectorLength() * byteWidth(in.elementType()));
  }

  /// Whether &mem[base] is `bytes`-aligned, on the host.
  Value alignedTo(Builder &b, Value mem, Value base, int64_t bytes);

  /// matmulNT for 1 <= rows <= maxRows (rows a runtime value) as a GEMV;
  /// with `normGain`, of the rows normed on the way in (gemv).
  void matmulGemv(Builder &b, Buf in, Buf out, Value rows, int64_t maxRows,
                  int64_t M, int64_t K, Value w, Value bOff, bool accumulate,
                  Value normGain = Value());

  /// A range of a GEMV launch's outputs: M outputs, output j reading row j
  /// of each weight matrix in `weights` (offsets; one, or gate and up; the
  /// same number for every range of a launch), and `store` writing output
  /// (row r, j) from the dot products, one per weight matrix. With
  /// pairHalf > 0 the outputs are pairs (j, j + pairHalf) within blocks of
  /// 2 · pairHalf (RoPE's halves of a head), a warp computes both of each
  /// of its pairs, and `store` takes the pair at once: j in the first half,
  /// the products of j, then of j + pairHalf, then the GemvPairValues of
  /// (row r, j).
  /// `count` f32 values a pair's store needs per (row, j) (RoPE's cos and
  /// sin): lane l of the warp computes them for row l, so that their code is
  /// emitted once per pair of the warp, not once per row, in the K loop's
  /// first step while its weight loads are in flight (after the wait for the
  /// previous kernel, which may write what they read).
  struct GemvPairValues {
    int64_t count; // 0: none
    std::function<SmallVector<Value>(Builder &, Value, Value)> compute;
  };
  struct GemvRange {
    int64_t M;
    SmallVector<Value, 2> weights;
    std::function<void(Builder &, Value, Value, ArrayRef<Value>)> store;
    int64_t pairHalf = 0;
    /// What a plain output's store reads at (row, j) (a residual): `store`
    /// gets it after the products. The tensor-core GEMV loads those of all
    /// of a thread's outputs before their guarded stores (a load inside
    /// each store's branch would wait out one memory round trip each).
    std::function<Value(Builder &, Value, Value)> preload = nullptr;
  };

  /// Outputs per warp of a GEMV over up to maxRows rows with nw weight
  /// matrices and `total` outputs. Each activation vector a warp loads
  /// serves all of its outputs: over several rows the activations, not the
  /// weights, bound the kernel (the 16-row kernel with one output per warp
  /// read 16x its weight bytes from L1/L2 and reached 5% of the copy rate).
  /// One row needs no reuse and keeps every warp; otherwise up to 4 / nw
  /// outputs, as long as the grid keeps about 512 warps (4 per SM).
  static int64_t gemvOutputsPerWarp(int64_t maxRows, int64_t nw, int64_t total);

  /// Loop-carried `values` that iteration 0 (of induction variable `iv`)
  /// computes with `compute` and later iterations pass on: work that
  /// overlaps the first iteration's loads instead of following the loop.
  void inFirstIteration(Builder &b, Value iv, MutableArrayRef<Value> values,
                        function_ref<SmallVector<Value>(Builder &)> compute);

  /// The pair layout of a GEMV launch's ranges: their pairHalf, 0 if none
  /// has pairs (one layout per launch).
  static int64_t pairHalfOf(ArrayRef<GemvRange> ranges);

  /// Per-range values of a GEMV launch by a uniform index (warp or block)
  /// and the first index of each range (firsts[0] = 0): the selector maps
  /// value to value(k) of the last range k that starts at or before it.
  std::function<Value(function_ref<Value(int64_t)>)> rangeSelector(Builder &b, Value index,
                                                                   ArrayRef<int64_t> firsts);

  /// Weights (offset, elements) the decode GEMVs emitted meanwhile prefetch
  /// into L2 for the projection after them (prefetch-next-weights).
  struct WeightRange {
    WeightRef weight;
    int64_t elements;
  };
  SmallVector<WeightRange> nextWeights;
  /// An op's `next` weights (offsets, element counts, alignments).
  static SmallVector<WeightRange> nextWeightsOf(ValueRange next, ArrayRef<int64_t> elements,
                                                ArrayRef<int64_t> aligns);
  /// Runs `emit` with the GEMVs it emits prefetching `ranges`.
  void withNextWeights(ArrayRef<WeightRange> ranges, function_ref<void()> emit);
  /// At the start of a GEMV launch, before it waits for the previous
  /// kernel: thread 0 of each block prefetches its share of nextWeights
  /// into L2 with one cp.async.bulk.prefetch per range (16-byte aligned
  /// pieces; a range whose planned offset is not 16-byte aligned is left
  /// out). A hint: nothing waits for it.
  void prefetchNextWeights(Builder &b, gpu::LaunchOp launch);
  /// Piece `piece` of `pieces` (16-byte multiples) of `bytes` bytes: `body`
  /// gets its start and size where it is not empty.
  void forPieceOf(Builder &b, Value bytes, Value piece, Value pieces,
                  function_ref<void(Builder &, Value, Value)> body);
  /// The global (address space 1) pointer to byte `byteOffset` of `mem`.
  Value globalPointer(Builder &b, Value mem, Value byteOffset);
  /// cp.async.bulk.prefetch.L2 of `bytes` bytes at byte `byteOffset` of `mem`.
  void prefetchToL2(Builder &b, Value mem, Value byteOffset, Value bytes);
  /// The start of a GEMV launch (`b` at its body's start): with
  /// programmatic launch, marks it photon.grid_wait_placed and, with
  /// gemv-early-trigger, lets its successor be scheduled now; then
  /// prefetchNextWeights.
  void gemvLaunchStart(Builder &b, gpu::LaunchOp launch);
  /// Where a GEMV's first weight loads are in flight: the wait for the
  /// previous kernel (with programmatic launch), and the successor's
  /// trigger unless gemvLaunchStart gave it.
  void gemvGridWait(Builder &b);

  /// One kernel `name` over 1 <= rows <= maxRows (rows a runtime value) of
  /// `in`, bound by the weight bytes: each warp computes F outputs
  /// (gemvOutputsPerWarp) of one of the ranges (4 warps a block, or
  /// gemv-bulk-warps with bulk copies; a grid over all outputs; the warp's
  /// range picks its weights), its lanes
  /// reading consecutive 16-byte vectors of the F weight rows (vector.load,
  /// aligned) and, for every row of `in`, the matching activations once for
  /// all F outputs, f32 products summed by fma per (output, row), then
  /// across the warp (shuffles). Weights are read once whatever the rows;
  /// rows past `rows` reread the last one and are not stored; outputs past
  /// a range's end reread its last and are not stored. The K loop is
  /// unrolled so that each lane has gemv-loads-in-flight vectors of each
  /// weight matrix in flight,
  /// but at most kGemvMaxOutputRowsPerStep (output, row) products a step (the
  /// 16-row kernels' unrolled bodies dominated the compile time); vectors
  /// past K (the last round) read element 0 and count as zero.
  /// With `normGain` (a fused norm) the kernel reads the rows of `in` raw and
  /// applies RMSNorm on the way: activations times the gain vector at
  /// `normGain`, and each dot product times the row's 1 / rms, whose sum of
  /// squares the warp gathers from the same activation loads.
  /// The kernel is photon_gemv_<tag> (photon_gemv_mma_<tag> on tensor
  /// cores, gemvOnTensorCores).
  void gemv(Builder &b, const Twine &tag, Buf in, Value rows, int64_t maxRows, int64_t K,
            ArrayRef<GemvRange> ranges, Value normGain = Value(),
            const GemvPairValues &pairValues = {});

  /// Whether gemv's kernels over up to maxRows rows multiply on tensor cores
  /// (gemv-tensor-core-min-rows): bf16 weights and activations.
  bool gemvOnTensorCores(int64_t maxRows) const;
  /// Whether those tensor-core GEMVs split f32 inputs into bf16 hi + lo
  /// (not rounded: matmul-input-rounding), so that a producer may write
  /// them split (Buf::splitChunks).
  bool gemvSplitsInputs(int64_t maxRows) const;

  /// gemv on tensor cores (mma.sync m16n8k16, bf16 operands, f32
  /// accumulators), for several rows: there CUDA-core FMAs, rows of them
  /// per weight, bound the kernel long before the weight bytes do (16 rows:
  /// 4% of the copy rate). A block of W warps (gemvTensorCoreWarps) per 16
  /// outputs of one range (8 pairs in a range of pairs: A rows g and g + 8
  /// are a pair's halves; T tiles of 16 with gemv-tensor-core-tiles, each
  /// activation fragment feeding the MMAs of all T), the warps splitting K
  /// into steps of 32 (warp w takes steps w, w + W, ...). Weights are the A operand, rows the B operand
  /// (n-tiles of 8 rows). Lane (g, t) = (lane / 4, lane % 4) loads 16 bytes
  /// of weight rows g and g + 8 at k = 8t..8t+7 of the step and 16 bytes of
  /// row g's activations at the same k: a dot product does not care about
  /// the order of k, so the step's first MMA takes physical k 8t + 0, 1 and
  /// 8t + 2, 3 as its logical 2t, 2t+1 and 2t+8, 2t+9, the second MMA 8t +
  /// 4..7, and both operands come straight from 16-byte global loads. Inputs
  /// that are no bf16 values (f32 scratch, or rows times the norm's gain)
  /// are split into bf16 hi + lo, two MMAs, as in the tensor-core GEMMs
  /// (matmul-input-rounding=all: rounded, one), or come split by their
  /// producer (Buf::splitChunks: a chunk's 16-byte hi and lo halves). The warps' partial tiles (and,
  /// with `normGain`, each row's partial sums of squares) meet in workgroup
  /// memory and warp 0 stores: lane (g, t) holds outputs g and g + 8 of rows
  /// 2t and 2t + 1 of each n-tile.
  /// Warps of a tensor-core GEMV block over `blocks` blocks of `matrices`
  /// weight matrices and `nTiles` n-tiles of rows, its inputs f32 (`f32In`;
  /// `split` into bf16 hi + lo, else rounded) or bf16: the option, or
  /// 16 where the grid has fewer blocks than multiprocessors (the
  /// 1664-output projections' 104), so that each warp's share of K fits in
  /// one or two iterations of loads; 4 for the kernels that need the most
  /// registers (split inputs of one matrix or two n-tiles; rounded ones of
  /// one matrix and two n-tiles), where 4-warp blocks hold the grid at
  /// once; else 8 (gate/up at 16 warps, 128 registers a thread, spills).
  /// Fewer (halved) where the warps' `valuesPerLane` partials a
  /// lane pass the 48 KB of static shared memory a block.
  int64_t gemvTensorCoreWarps(int64_t blocks, int64_t matrices, int64_t nTiles, bool f32In,
                              bool split, int64_t valuesPerLane) const;
  /// Output tiles a tensor-core GEMV block takes, of the launch's
  /// `outputTiles` tiles of 16 outputs: the option, or with split inputs of two n-tiles (9-16 rows),
  /// whose per-block work on the rows' fragments (widened, times the norm's
  /// gain, split) bounds them, 4 where there are 12 tiles an SM (the LM
  /// head), 2 where there are 1.5 (gate/up); else, and for ranges of RoPE
  /// `pairs`, 1.
  int64_t gemvTensorCoreTiles(int64_t outputTiles, int64_t nTiles, bool split,
                              bool pairs) const;
  void gemvTensorCore(Builder &b, const Twine &name, Buf in, Value rows, int64_t maxRows,
                      int64_t K, ArrayRef<GemvRange> ranges, Value normGain,
                      const GemvPairValues &pairValues);

  /// A wgmma tile128 block's accumulators staged in shared memory, for an
  /// epilogue whose outputs combine columns no one thread holds (RoPE's
  /// pairs j, j + head_dim / 2) or that stores rows in runs
  /// (wgmma-staged-store): f32 `tile`, row r of the block's `rows` (128, or
  /// 192 with wgmma-tile-rows) at r · stride (tile row m0 + r, columns
  /// n0 ..), then the epilogue's own `extra` floats. The block's warpgroups
  /// (`threads`) run the epilogue (a producer warp has left): they
  /// synchronize with warpgroupsBarrier.
  struct StagedTile {
    Value tile, m0, n0, tid;
    int64_t stride, cols, rows, threads;
    /// Where the epilogue's own floats start in `tile`.
    int64_t extraAt() const { return rows * stride; }
    /// Whether the block has a producer warp (wgmma-producer-warp).
    bool producerWarp = false;
    /// What the epilogue's `prefetch` loaded before the last MMAs ended.
    SmallVector<Value> prefetched = {};
  };
  /// A barrier of the warpgroups of a wgmma tile128 block: the block's,
  /// or with a producer warp (which does not take part) barrier 1 of
  /// their `threads`.
  static void warpgroupsBarrier(Builder &b, bool producerWarp, int64_t threads);
  struct TileEpilogue {
    /// In the kernel's name, after the projection's tag.
    StringRef name;
    /// Tile widths are multiples of this (and of 8): whole heads.
    int64_t colsMultiple;
    /// The epilogue's own floats after the staged tile: these per tile row
    /// and `extraFloats` more.
    int64_t extraFloatsPerRow, extraFloats;
    int64_t extraFloatsFor(int64_t rows) const { return extraFloatsPerRow * rows + extraFloats; }
    std::function<void(Builder &, const StagedTile &)> emit;
    /// Loads that do not depend on the tile (o's and down's residuals),
    /// issued before the wait for the last MMAs so that their latency
    /// overlaps it and the staging (`tile` is not set yet).
    std::function<SmallVector<Value>(Builder &, const StagedTile &)> prefetch = nullptr;
  };

  /// W's rows as groups of kGroupRows rows of a [rows x K] matrix, then the
  /// same rows of a second one `second` elements on (gateUpTile128's
  /// columns: 16 gate features, then the same 16 up).
  struct PairedRows {
    static constexpr int64_t kGroupRows = 16;
    int64_t rows, second;
  };

  /// A projection of a shared input: out (rows x M) = in · Wᵀ.
  struct Projection {
    WeightRef w;
    Buf out;
    int64_t M;
    /// The GEMV's store instead of into `out` (GemvRange::store; with
    /// pairHalf, of pairs).
    std::function<void(Builder &, Value, Value, ArrayRef<Value>)> gemvStore = nullptr;
    int64_t pairHalf = 0;
  };

  /// RMSNorm in front of a projection: its input is rmsnorm(rows) · gain,
  /// written to `out` by a norm kernel unless the GEMV applies it; to
  /// `rounded` (bf16) where only wide projections read it
  /// (wideInputsRounded).
  struct NormFirst {
    WeightRef gain;
    Buf out, rounded;
  };

  /// matmulNT (no bias, no accumulation) of the rows of `in` normed first
  /// with `norm`: the GEMV applies it, else a norm kernel before.
  void matmulNormFirst(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                       WeightRef weight, const NormFirst &norm);

  /// The rows a projection of `in` reads: `in`, or with `norm` its normed
  /// rows, written by a norm kernel launched here (in bf16 with `wide`, for
  /// wide projections alone, when their inputs are rounded).
  Buf normed(Builder &b, Buf in, Value rows, int64_t K, const std::optional<NormFirst> &norm,
             bool wide = false);

  /// Whether the wide projections (those no GEMV computes: prefill, batched
  /// decode) read bf16 inputs (matmul-input-rounding gemm or all, bf16
  /// activations, on tensor cores): their producers write them in bf16, or
  /// a copy rounds them, so the GEMMs load both operands with cp.async.
  bool wideInputsRounded() const;

  /// Whether GEMVs over K-wide rows apply `norm` on the way in:
  /// whole 16-byte vectors of the gain, and no rounding of the normed rows
  /// (matmul-input-rounding=all rounds them before the projection, which needs
  /// their 1 / rms before the first product).
  bool gemvFusesNorm(int64_t K, const NormFirst &norm) const;

  /// Whether the GEMV of a fused `norm` for `maxRows` rows reads the rows
  /// rmsNormSplit wrote instead (gemv-norm-kernel-min-rows: tensor cores, hi
  /// + lo products, and f32 normed rows to write them over).
  bool gemvNormKernel(int64_t maxRows, const NormFirst &norm) const;

  /// The rows a fused-norm GEMV for `maxRows` rows reads, and the gain it
  /// applies: `in` and the gain, or the rows rmsNormSplit writes to
  /// `norm.out` (launched here) and none (gemvNormKernel).
  std::pair<Buf, Value> gemvNormInput(Builder &b, Buf in, Value rows, int64_t maxRows, int64_t K,
                                      const NormFirst &norm);

  /// Whether the GEMVs of a fused `norm` can take its rows from the norm
  /// kernel (gemvNormKernel, for the largest bucket), on the host: its rows
  /// 16-byte aligned, else true.
  Value gemvNormKernelAligned(Builder &b, const NormFirst &norm);

  /// A projection of `in` (normed first with `norm`) that may be a GEMV
  /// (every weight matrix `aligned`): on the host, `gemv(in, maxRows, gain)`
  /// for the GEMV's rows (gemvOrWide) — with a fused norm `in` raw and the gain
  /// offset, else the normed rows and no gain — otherwise `wide(normed rows)`.
  void projectRows(Builder &b, Buf in, Value rows, int64_t K, std::optional<NormFirst> norm,
                   Value aligned, function_ref<void(Builder &, Buf, int64_t, Value)> gemv,
                   function_ref<void(Builder &, Buf)> wide);

  /// Projections of one input (Q, K and V), normed first with `norm`, as
  /// one kernel (photon_gemv_<tag>... at decode, a GEMV whose output ranges
  /// read their own weight matrices; photon_mma..._<tag>_... on tensor cores
  /// above; a kernel each where neither applies).
  /// `afterOutputs` runs after the kernels that do not do its work in
  /// their epilogue: the GEMV with `pairValues`, the tensor-core kernel
  /// with `staged` (where stagedTileCols applies).
  void matmulShared(Builder &b, StringRef tag, Buf in, Value rows, int64_t K,
                    ArrayRef<Projection> ps, std::optional<NormFirst> norm,
                    function_ref<void(Builder &)> afterOutputs = nullptr,
                    const GemvPairValues &pairValues = {},
                    const TileEpilogue *staged = nullptr);

  /// Projections of one input as one tensor-core kernel (tile128): column n
  /// belongs to the projection whose range holds it (the first ps[0].M
  /// columns to ps[0], ...), reads that projection's weight row and stores
  /// to its output (all in one buffer).
  /// With `staged` (stagedTileCols applies) its epilogue stores instead.
  void matmulSharedTensorCore(Builder &b, StringRef tag, Buf in, Value rows, int64_t K,
                              ArrayRef<Projection> ps, const TileEpilogue *staged = nullptr);

  static Value silu(Builder &b, Value g);

  /// G = silu(x · Wgᵀ) · (x · Wuᵀ), SwiGLU over F features, x the rows of
  /// `in` normed first with `norm`, as one kernel (at decode a GEMV whose
  /// warps read a row of each matrix and store the product; on tensor cores
  /// above, gateUpTensorCore); where neither applies two matmuls (into G and
  /// U) and an elementwise kernel.
  void gateUpSwiGLU(Builder &b, Buf in, Value rows, int64_t F, int64_t K, WeightRef gate,
                    WeightRef up, Buf G, Buf U, std::optional<NormFirst> norm);

  /// G = silu(G) · U over rows x F.
  void swiGlu(Builder &b, Buf G, Buf U, Value rows, int64_t F);

  /// Gate, up and SwiGLU as one GEMV over up to maxRows rows of `in` (raw,
  /// normed with `gain` when given), the product stored to G (split where
  /// G says so: Buf::splitWhen).
  void gateUpGemv(Builder &b, Buf in, Value rows, int64_t maxRows, int64_t F, int64_t K,
                  Value gate, Value up, Buf G, Value gain);

  /// The MLP: x += down(SwiGLU(gate/up(h))), h the rows of `in`: X normed
  /// with `norm`, else normed rows. With wideInputsRounded and the norm, one
  /// choice on the host covers the whole MLP (GEMVs, or wide kernels), so
  /// the wide gate/up kernel can leave SwiGLU's output in bf16 (`Gr`, over
  /// G's bytes) for the down GEMM to load with cp.async; otherwise
  /// gateUpSwiGLU, then matmulNT.
  void mlp(Builder &b, Buf X, Buf in, Value rows, int64_t F, int64_t D, WeightRef gate,
           WeightRef up, WeightRef down, Buf G, Buf U, Buf Gr,
           const std::optional<NormFirst> &norm);

  /// Gate, up and SwiGLU as one tensor-core kernel (tile128): a tile's
  /// columns are half gate rows, half up rows of the same features, so that
  /// every warp's 32 columns are 16 features' gate (n-tiles 0, 1) then their
  /// up (n-tiles 2, 3), and a thread holds gate and up of the same (row,
  /// feature) in its accumulators: the epilogue stores silu(gate) · up.
  /// On wgmma, calls of enough rows take the wide tiles of a projection of
  /// 2F outputs (projectionTileCols, tileByRows).
  void gateUpTensorCore(Builder &b, Buf in, Value rows, int64_t F, int64_t K, Value gate,
                        Value up, Buf G);
  /// gateUpTensorCore's kernel of tiles tileCols wide.
  void gateUpTile128(Builder &b, Buf in, Value rows, int64_t F, int64_t K, Value gate, Value up,
                     Buf G, int64_t tileCols);

  /// matmulNT with one warp per output, its lanes reading consecutive
  /// weights of row j (one "lane" on the host).
  void matmulLanes(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                   Value w, Value bOff, bool accumulate);

  // Tensor-core GEMMs (kernels/TensorCoreGemm.cpp): mma.sync and wgmma tiles ----------------------
  /// Stores a warp's mma.sync results: mTiles x nTiles m16n8 tiles from
  /// (row0, col0), tile (mi, ni) in acc[(mi · nTiles + ni) · 4 ..], within
  /// rows and mLimit. Accumulator v of a tile: row lane/4 (+8 for v >= 2),
  /// column 2 (lane % 4) + v % 2. Bias and residual loads run ahead of
  /// the guarded stores, kStoreBatch elements at a time.
  void storeMmaTiles(Builder &kb, Buf out, int64_t M, Value rows, Value mLimit, Value row0,
                     Value col0, Value lane, int64_t mTiles, int64_t nTiles, ValueRange acc,
                     Value bOff, bool accumulate);
  /// Calls `element` with (row, column, whether inside rows x mLimit,
  /// index in the accumulators) for each element of the tiles.
  void forMmaTileElements(Builder &kb, Value rows, Value mLimit, Value row0, Value col0,
                          Value lane, int64_t mTiles, int64_t nTiles,
                          function_ref<void(Value, Value, Value, int64_t)> element);
  /// Calls `store` with (row, column, index in the accumulators) for each
  /// element of the tiles inside rows x mLimit.
  void forMmaTiles(Builder &kb, Value rows, Value mLimit, Value row0, Value col0, Value lane,
                   int64_t mTiles, int64_t nTiles,
                   function_ref<void(Builder &, Value, Value, int64_t)> store);

  /// wgmma-staged-store: a staged tile stored as runs of 8 consecutive
  /// outputs of a row. `column`: a run's first output column; `element`
  /// and `vector`: value j, and all 8, of run `run` of tile row r.
  struct StagedRuns {
    int64_t perRow;
    std::function<Value(Builder &, Value run)> column;
    std::function<Value(Builder &, Value r, Value run, Value j)> element;
    std::function<Value(Builder &, Value r, Value run)> vector;
  };
  /// Whether a wgmma tile128 GEMM of tiles tileCols wide stores through
  /// `epilogue` (wgmma-staged-store, where the staged tile fits).
  bool storesStaged(int64_t tileCols, bool split, const TileEpilogue &epilogue) const;
  /// The runs of a projection's tile: its columns, 8 at a time.
  StagedRuns plainRuns(const StagedTile &t);
  /// Stores out[row, col] = run value (+ bias) (+ out), each thread taking
  /// runs strided over the block: 16-byte loads and stores where out is
  /// 16-byte aligned and M a multiple of 8 (else element by element), the
  /// residuals (t.prefetched, else stagedResiduals) loaded before any store.
  void storeStagedRuns(Builder &b, const StagedTile &t, const StagedRuns &runs, Buf out,
                       Value rows, int64_t M, Value bOff, bool accumulate);
  /// The 16-byte residual of each run this thread stores (out's first 8
  /// elements for runs outside), where storeStagedRuns stores vectors;
  /// none where M is not a multiple of 8, zeros where out is unaligned.
  SmallVector<Value> stagedResiduals(Builder &b, const StagedTile &t, const StagedRuns &runs,
                                     Buf out, Value rows, int64_t M);
  /// out[at .. at + 8) as f32, and its store (to the mirror too): 16-byte
  /// aligned vectors.
  Value loadVector8(Builder &b, const Buf &out, Value at);
  void storeVector8(Builder &b, const Buf &out, Value v, Value at);

  /// Stores out[row, col] = acc (+ bias[col]) (+ out[row, col], or
  /// `residual` where the caller loaded it).
  void storeOutput(Builder &b, Buf out, int64_t M, Value row, Value col, Value acc,
                   Value bOff, bool accumulate, Value residual = Value());

  /// With programmatic launch, `launch` (a grid that fills the card) lets its
  /// successor be scheduled only at its end (kLaunchDependentsAtEnd).
  void lateDependents(gpu::LaunchOp launch);

  /// The kinds of projection matmul-input-rounding tells apart.
  enum class MatmulKind { CudaCores, TensorCoreGemv, Gemm };
  /// Whether a projection of `kind` rounds the f32 values it multiplies to
  /// bf16 before they meet the weights (matmul-input-rounding;
  /// bf16-activation models only).
  bool roundsMatmulInputs(MatmulKind kind) const;
  /// roundsMatmulInputs for an f32 `in`.
  bool roundsInput(const Buf &in, MatmulKind kind = MatmulKind::CudaCores) const {
    return in.elementType().isF32() && roundsMatmulInputs(kind);
  }

  /// Whether a tensor-core GEMM stages an f32 `in` as bf16 hi and lo parts
  /// (two MMAs a product) rather than rounded or already bf16.
  bool splitsGemmInput(const Buf &in) const {
    return !in.elementType().isBF16() && !roundsInput(in, MatmulKind::Gemm);
  }
  /// x (f32 or a vector of f32) rounded to bf16 and widened back.
  Value roundedToBF16(Builder &b, Value x);

  /// An x4 ldmatrix from shared memory as the four i32 registers of an
  /// mma.sync operand: lane l names row l % 8 of 8x8 matrix l / 8.
  SmallVector<Value, 4> ldmatrixX4(Builder &b, Value mem, ValueRange at);
  /// acc[0..3] += A (4 regs, row-major 16x16) x B (2 regs, col-major 16x8),
  /// mma.sync m16n8k16 with bf16 operands and f32 accumulators.
  /// nvvm.mma.sync, not nvgpu.mma.sync: the latter does not take bf16.
  void mmaBF16(Builder &b, ArrayRef<Value> aRegs, ValueRange bRegs, Value *acc);

  /// matmulNT on tensor cores: bf16 operands, f32 accumulation.
  void matmulTensorCore(Builder &b, Buf in, Buf out, Value rows, int64_t M,
                        int64_t K, Value w, Value bOff, bool accumulate);

  /// Output columns of a tile128 kernel: 64 a tile for up to 2048 outputs
  /// (tile128): at ~1K rows (batched decode) 128-wide tiles of such a
  /// projection would give at most 8 x 16 blocks, fewer than an H100/H200
  /// has SMs.
  int64_t mmaTileCols(int64_t M) const;

  /// Output columns of a projection's wide tile128 kernel (matmulTensorCore,
  /// Q/K/V as one GEMM): on wgmma, M of up to wgmma-wide-tile-max-outputs
  /// split into equal tiles of at most wgmma-tile-cols (1664 -> 8 x 208: at
  /// 4096 rows 256 blocks, 1.94 waves of 132 SMs, where 64-wide tiles read
  /// every input row from L2 26 times and each m64n64k16 reads as many
  /// shared-memory bytes as the tensor cores multiply), wider M (LM heads,
  /// gate/up) into tiles of at most wgmma-wide-output-tile-cols (32000 ->
  /// 125 x 256); where its stages would not fit in shared memory, or on
  /// mma.sync, mmaTileCols. `split`: the input's hi and lo parts are staged
  /// (splitsGemmInput); `unit`: tiles are a multiple of it (gate/up: 32, a
  /// warp's 16 features' gate and up).
  int64_t projectionTileCols(int64_t M, bool split, int64_t unit = 8) const;

  /// Emits `kernel` for a tile128 GEMM of M outputs: with projectionTileCols'
  /// wide tiles for calls of at least wgmma-wide-tile-min-rows rows (by
  /// default those whose wide grid covers 3/4 of the SMs) and mmaTileCols'
  /// below, the host choosing by `rows`; one kernel where the two agree.
  void tile128ByRows(Builder &b, const Buf &in, Value rows, int64_t M,
                     function_ref<void(Builder &, int64_t)> kernel);
  /// `kernel(wide)` for calls of at least wgmma-wide-tile-min-rows rows (0:
  /// those whose wide grid covers 3/4 of the SMs), else `kernel(narrow)`.
  void tileByRows(Builder &b, Value rows, int64_t M, int64_t narrow, int64_t wide,
                  function_ref<void(Builder &, int64_t)> kernel);

  /// W's rows of a stage in the tile128 kernel: tileCols rounded up so that
  /// every thread copies as many 16-byte chunks (208 -> 256 at K steps of
  /// 32); the rows past tileCols are zero-filled. An operand's stage holds
  /// the larger of this and A's 128 ([operand][stage][rows][K step]).
  int64_t tile128WeightRows(int64_t tileCols) const;

  /// The columns of a tile128 tensor-core kernel: M over the tile grid; the
  /// offset of the weight row column n < M reads; and the epilogue, which
  /// stores a warp's mTiles x nTiles m16n8 accumulator tiles from (row0,
  /// col0) (forMmaTiles' layout).
  struct MmaColumns {
    int64_t M;
    std::function<Value(Builder &, Value)> weightRow;
    std::function<void(Builder &, Value, Value, Value, int64_t, int64_t, ValueRange)> store;
    /// wgmma, instead of `store`: the epilogue over the block's tile staged
    /// in shared memory (stagedTileCols' widths).
    const TileEpilogue *staged = nullptr;
    /// Where weightRow(n) is matrix + n · K (one [M x K] matrix in the
    /// arena): its offset, which wgmma-tma loads through a tensor map.
    /// With `pairs`, W's rows are instead groups of 16 rows of the matrix
    /// at `matrix` and the same rows of the one pairs.second on (gate/up).
    Value matrix = Value();
    std::optional<PairedRows> pairs = std::nullopt;
  };

  /// The narrow and wide tile widths (chosen by rows as tile128ByRows' are)
  /// of a wgmma tile128 GEMM of M outputs with a staged epilogue: M split
  /// into equal tiles of at most 128 and wgmma-tile-cols columns, rounded
  /// up to a multiple of lcm(colsMultiple, 8) (at least one), where the
  /// stages and the staged tile fit in shared memory; none on mma.sync or
  /// where they do not fit.
  std::optional<std::pair<int64_t, int64_t>> stagedTileCols(int64_t M, bool split,
                                                            const TileEpilogue &epilogue) const;
  /// Whether the tile128 GEMMs are wgmma's (wide and staged tiles apply).
  bool tile128OnWgmma() const {
    return options.wgmma && tensorCoreKernel == TensorCoreKernel::Tile128;
  }
  /// Dynamic shared memory of a wgmma tile128 kernel: its stages, or with
  /// a staged epilogue the larger of those and the staged tile.
  int64_t wgmmaSharedBytes(int64_t tileCols, bool split, const TileEpilogue *staged,
                           int64_t tileRows = 128) const;
  /// Floats of a staged tile's row: 8 or 24 past a multiple of 32, so the
  /// 64-bit stores of a half warp (rows g, columns 2t) hit 32 banks.
  static int64_t stagedStride(int64_t tileCols) {
    return tileCols + (8 - tileCols % 16 + 16) % 16;
  }

  /// Bytes of one shared-memory stage of a wgmma tile128 GEMM (every
  /// operand's rows of one K step).
  int64_t wgmmaStageBytes(int64_t tileCols, bool split, int64_t tileRows = 128) const;
  /// Shared-memory stages of the wgmma GEMM: wgmma-stages (default 6: 96
  /// KB for a 128-wide tile of K 32, two blocks an SM), as many as fit a
  /// block where fewer do, at least 3 (a tile that 3 do not fit is not
  /// chosen).
  int64_t wgmmaStages(int64_t tileCols, bool split, int64_t tileRows = 128) const;
  /// Whether a wgmma tile128 GEMM of tiles tileCols wide loads by TMA
  /// (wgmma-tma, wgmma-tma-min-tile-cols), where its operands allow.
  bool wgmmaTmaTiles(int64_t tileCols) const {
    return options.wgmma && options.wgmmaTma && tileCols >= options.wgmmaTmaMinTileCols;
  }
  /// An mbarrier object (wgmma-tma: one a stage; with a producer warp, two).
  static constexpr int64_t kMbarrierBytes = 8;
  /// mbarrier.try_wait's suspend-time hint (ns): it returns when the phase
  /// completes or this passes, and the op loops until the phase completes.
  static constexpr int32_t kTryWaitSuspendNs = 10'000'000;
  /// gemv-bulk-max-warp-rows: the most shared memory a GEMV block takes (three
  /// blocks an SM at least; down's 4,096-wide rows and f32 input take 49 KB).
  static constexpr int64_t kGemvBulkMaxSharedBytes = 64 * 1024;
  int64_t wgmmaBarriers(int64_t tileCols) const {
    return wgmmaTmaTiles(tileCols) ? (options.wgmmaProducerWarp ? 2 : 1) : 0;
  }
  /// wgmma-tma: whether a tile128 GEMM loads `in`'s tiles, and W's, by TMA.
  std::pair<bool, bool> wgmmaTmaOperands(const Buf &in, int64_t K, const MmaColumns &columns,
                                         int64_t tileCols) const;
  /// The rows of a tall wgmma tile (wgmma-tile-rows): three warpgroups.
  static constexpr int64_t kTallTileRows = 192;
  /// On the host: the device address of a tensor map (runtime
  /// photon_tensor_map_2d) of the bf16 [rows x cols] matrix at element
  /// `offset` of `mem`, box boxRows x boxCols.
  Value tensorMap2d(Builder &b, Value mem, Value offset, Value rows, int64_t cols, int64_t boxRows,
                    int64_t boxCols);
  /// The same (runtime photon_tensor_map_pairs) of `pairs`' two matrices,
  /// the first at `offset`, cols wide: a box is `groups` groups of
  /// kGroupRows rows of each x boxCols.
  Value tensorMapPairs(Builder &b, Value mem, Value offset, const PairedRows &pairs, int64_t cols,
                       int64_t groups, int64_t boxCols);

  /// The tensor-core GEMM for many rows (prefill, batched decode;
  /// tensor-core-kernel=tile128*). A block of 8 (4) warps computes a 128x128
  /// (128x64: tileCols) tile of `out` (rows x outputs), each warp a 64x32
  /// part as 4x4 mma.sync m16n8k16 per 16 of K (6 ldmatrix.x4 feed 16 MMAs).
  /// K advances 32 at a time through 3 shared-memory stages: the copies of
  /// the next two steps (nvgpu.device_async_copy, one commit group per step)
  /// are in flight while the warps multiply the current one, with one
  /// barrier per step. A stage row is 64 bytes whose four 16-byte chunks are
  /// XOR-swizzled by (row / 2) % 4: the 8 rows one ldmatrix reads then fall
  /// in 8 different 16-byte bank groups without padding, so 3 stages x
  /// (A + W) x 8 KB fit the 48 KB of static shared memory (128x64 tiles leave
  /// half of W's unused). Blocks run over rows fastest, so neighbouring
  /// blocks share a tile of W (the LM head's W streams about once while `in`
  /// stays in L2). Rows past `rows`, outputs past M and columns past K
  /// (K % 8 == 0: a chunk is all in or all out) are zero-filled.
  /// An f32 `in` (the stacks' scratch) is loaded as 16-byte vectors into
  /// registers before a step is multiplied and stored to shared memory as
  /// bf16 after it, so its latency hides behind the MMAs: rounded
  /// (matmul-input-rounding gemm or all, one MMA) or as hi + lo parts (two MMAs, a third
  /// operand, so 2 stages).
  ///
  /// wgmma (sm_90a): the block is two warpgroups (three in 192-row
  /// tiles, below), each computing 64 rows x
  /// tileCols with warpgroup MMAs (m64n<tileCols>k16, both operands read
  /// from the same swizzled stages through matrix descriptors, accumulators
  /// in registers), over wgmmaStages() stages in dynamic shared memory
  /// (matmulWgmmaLoop). The epilogue is the same callback: a warp's 16 rows
  /// of the accumulators are m16n8 tiles in mma.sync's layout, 32 columns a
  /// call (the last call of a tile not a multiple of 32 fewer).
  /// Kernels are named photon_wgmma128x<tileCols>_..., else photon_mma....
  ///
  /// wgmma-tma: thread 0 loads a stage's tile of a bf16 `in` (box 128 x
  /// kStep of a map over its buffer) and, where the weights are one matrix
  /// (columns.matrix), of W (box tileCols x kStep) with one TMA copy each,
  /// in the 64- or 128-byte swizzle the cp.async copies and the wgmma
  /// descriptors use; they complete on the stage's mbarrier (expect_tx of
  /// the boxes' bytes: TMA counts the zero-filled bytes past the matrix
  /// too). Copies past K are not issued.
  ///
  /// wgmma-tile-rows: where both operands come by TMA, a tile may be 192
  /// rows of three warpgroups (photon_wgmma192x..., thread 0 issuing the
  /// copies; 12 warps leave 168 registers a thread, enough for 256-wide
  /// tiles' accumulators): by default where fewer waves of blocks pay for
  /// the longer tiles (tallTilesPay), chosen on the host by the rows.
  void matmulTensorCoreTile128(Builder &b, const Twine &suffix, Buf in, Value rows, int64_t K,
                               const MmaColumns &columns, int64_t tileCols);
  /// matmulTensorCoreTile128's kernel of tiles tileRows (128 or 192) high.
  void matmulTensorCoreTile(Builder &b, const Twine &suffix, Buf in, Value rows, int64_t K,
                            const MmaColumns &columns, int64_t tileCols, int64_t tileRows);
  /// On the host: whether 192-row tiles of a GEMM of `rows` x M outputs
  /// (tiles tileCols wide) over K take less time than 128-row ones. One
  /// block runs an SM at a time, so a grid takes waves of
  /// ceil(tiles / multiprocessors) blocks, each the tile's fixed time
  /// (TargetInfo::kWgmmaTileFixedK) plus its MMAs, K · tileRows / 128.
  Value tallTilesPay(Builder &b, Value rows, int64_t M, int64_t K, int64_t tileCols);

  /// The K loop and epilogue of matmulTensorCoreTile128 on wgmma: step kt
  /// waits for its copies, fences its shared-memory writes (cp.async and
  /// stores) for the async proxy and passes the barrier; its warpgroup
  /// issues the MMAs of the step's k16 slices (with `split`, the hi and
  /// the lo part of A each), the copies of step kt + ahead and the register
  /// loads of an f32 A of step kt + ahead + 1, then waits until only these
  /// MMAs are in flight, and stores the f32 A of step kt + ahead that the
  /// previous step loaded, so no step waits for a load it issued. The
  /// barrier of step kt + 1 is thus passed once every warpgroup finished
  /// the MMAs of step kt - 1: with ahead = stages - 2 the stage step
  /// kt + ahead fills was last read at step kt - 2. Accumulators travel as
  /// wgmma's register struct.
  /// With `stageBarrier` (wgmma-tma: a stage's mbarrier) step kt also
  /// waits for its stage's barrier, phase (kt / stages) % 2. With
  /// `released` (wgmma-producer-warp: a stage's second barrier) the steps
  /// issue no copies and pass no block barrier: after waiting for its MMAs
  /// of step kt - 1, each warpgroup's first thread arrives on that stage's
  /// second barrier.
  using StageBarrier = function_ref<Value(Builder &, Value)>;
  void matmulWgmmaLoop(Builder &kb, Value tiles, int64_t stages, int64_t stageRows, int64_t ahead,
                       int64_t K, int64_t kStep, bool split, Value firstGroup, int64_t tileCols,
                       int64_t tileRows,
                       function_ref<Value(Builder &, Value)> copyStep,
                       function_ref<SmallVector<Value>(Builder &, Value)> loadStep,
                       function_ref<void(Builder &, Value, ArrayRef<Value>)> storeStep,
                       StageBarrier stageBarrier, const MmaColumns &columns, Value m0, Value n0,
                       Value tid, StageBarrier released = StageBarrier());

  /// The earlier tensor-core GEMM (tensor-core-kernel=tile64). A block
  /// of four warps computes a 64x64 tile of `out`, each warp a 32x32 quarter
  /// as 2x4 mma.sync m16n8k16. K advances 32 at a time through two
  /// shared-memory stages: cp.async (nvgpu.device_async_copy) fills one
  /// stage while the warps read the other with ldmatrix (nvgpu.ldmatrix).
  /// Rows past `rows`, outputs past M and columns past K are zero-filled.
  /// An f32 `in` (the stack's scratch) is split on its way to shared memory
  /// into bf16 hi + lo parts, each multiplied by W: the product keeps ~16
  /// bits of the activation, not bf16's 8 (closer to the CPU kernels' f32
  /// products), at twice the MMAs (matmul-input-rounding gemm or all: rounded, one MMA).
  void matmulTensorCoreTile64(Builder &b, Buf in, Buf out, Value rows, int64_t M,
                              int64_t K, Value w, Value bOff, bool accumulate);

  // Row reductions and RMSNorm (kernels/Norms.cpp) ------------------------------------------------
  /// One block of `threads` threads per row r < rows (GPU only), with one
  /// workgroup buffer of kWarpSize elements per type of `shared` (see
  /// blockReduce). `body` gets the row, the thread and the buffers.
  using RowBlockBodyFn = function_ref<void(Builder &, Value, Value, ValueRange)>;
  void blockPerRowLaunch(Builder &b, const Twine &kernel, Value rows, int64_t threads,
                         ArrayRef<Type> shared, RowBlockBodyFn body);

  /// A workgroup (shared) memory buffer, a whole number of 16 bytes (a 1-D
  /// buffer is padded): the NVPTX backend turns runs of shared loads into
  /// 16-byte vector loads but declares the buffers only element-aligned and
  /// lays a kernel's buffers out back to back, so a buffer of another size
  /// misaligns the ones after it (a 14-wide attention head did:
  /// CUDA_ERROR_MISALIGNED_ADDRESS).
  MemRefType workgroupBuffer(SmallVector<int64_t> shape, Type elt);
  /// The launch's dynamic shared memory from `byteOffset` on, viewed as a
  /// workgroupBuffer of `shape` and `elt`.
  Value dynamicShared(Builder &b, SmallVector<int64_t> shape, Type elt, int64_t byteOffset = 0);
  /// A workgroup memref's shared-window address (i64), as wgmma descriptors,
  /// mbarriers and mapa take it.
  Value sharedAddress(Builder &b, Value workgroupMemref);
  /// The shared-memory (address space 3) pointer at a shared-window address.
  Value sharedPointer(Builder &b, Value address);
  /// That pointer in the shared::cluster window (address space 7), where
  /// bulk copies write (a block outside a cluster is its own cluster).
  Value sharedClusterPointer(Builder &b, Value address);
  /// The shared-window address `byteOffset` (index) bytes past `address`.
  Value sharedAddressAt(Builder &b, Value address, Value byteOffset);
  /// A bulk copy (cp.async.bulk) of `bytes` bytes from element `at` of the
  /// global memref `mem` to the shared-window address `to`, completing on
  /// the mbarrier `barrier`.
  void bulkCopyToShared(Builder &b, Value to, Value mem, Value at, int64_t bytes, Value barrier);
  /// mbarrier.init of the barrier at `barrier` (a shared pointer) for
  /// `arrivals` arrivals a phase.
  void mbarrierInit(Builder &b, Value barrier, int64_t arrivals);
  /// One arrival that also expects `bytes` more bytes of bulk copies.
  void mbarrierExpectBytes(Builder &b, Value barrier, int64_t bytes);
  /// Waits until the phase of parity `phase` (i32) has completed.
  void mbarrierWaitParity(Builder &b, Value barrier, Value phase);

  /// Workgroup buffers of kWarpSize elements, one per type (blockReduce).
  SmallVector<Type> rowReductionBuffers(ArrayRef<Type> types);

  using CombineFn = function_ref<SmallVector<Value>(Builder &, ValueRange, ValueRange)>;
  /// laneReduce for tuples of values (e.g. a value and its index).
  SmallVector<Value> laneCombine(Builder &b, ValueRange values, CombineFn combine);

  /// Combines tuples of values over the `threads` threads of a block: a
  /// butterfly within each warp, the warps' results through `shared` (one
  /// kWarpSize buffer per value), then every thread combines those in warp
  /// order, so every thread returns the same result. `combine` must be
  /// associative and commutative (for argmax: ties to the lowest index).
  SmallVector<Value> blockReduce(Builder &b, Value tid, int64_t threads, ValueRange values,
                                 ValueRange shared, CombineFn combine);
  /// blockReduce of one value per thread with a binary `op` (addF,
  /// maximumF, ...), through `buf`.
  Value blockReduceOne(Builder &b, Value tid, int64_t threads, Value v, Value buf,
                       function_ref<Value(Builder &, Value, Value)> op);

  /// out[i, :] = in[i, :] / sqrt(mean(in[i, :]²) + eps) · w (in may be out).
  void rmsNorm(Builder &b, Buf in, Buf out, Value rows, int64_t width,
               WeightRef weight);

  /// Loads of one unit of a row at element `i` of the rows and `k` of the
  /// row: its values and the gain's (f32, or vectors of f32).
  using RmsNormUnitLoad = function_ref<std::pair<Value, Value>(Builder &, Value i, Value k)>;
  /// Stores a unit's normed values `y` at element `i` of the rows.
  using RmsNormUnitStore = function_ref<void(Builder &, Value i, Value y)>;
  /// RMSNorm on the GPU with a block per row of `threads` threads: each
  /// holds units of `unit` elements of its row in registers (unit tid + T·i),
  /// the sum of squares is a block reduction, and each thread scales and
  /// stores its own units (so the input may be the output).
  void rmsNormBlocks(Builder &b, const Twine &kernel, Value rows, int64_t width, int64_t unit,
                     int64_t threads, RmsNormUnitLoad load, RmsNormUnitStore store);

  /// rmsNorm by rmsNormBlocks, about four elements a thread.
  void rmsNormBlock(Builder &b, Buf in, Buf out, Value rows, int64_t width, Value w);

  /// rmsNorm (GPU, bf16 gain, width a multiple of 8) into the f32 rows
  /// `out` as chunks of 8: each chunk's 32 bytes hold its 8 values' bf16 hi
  /// parts, then their lo parts (splitBF16), the tensor-core GEMVs' B
  /// operands as they load them. rmsNormBlocks, a thread per chunk.
  /// Returns `out` marked splitChunks.
  Buf rmsNormSplit(Builder &b, Buf in, Buf out, Value rows, int64_t width, Value w);

  // RoPE and the K/V cache write (kernels/Attention.cpp) ------------------------------------------
  /// cos and sin of RoPE's angle for pair j of a head at position pos[row].
  /// The angle pos · θ^(−2j/hd) = pos · 2^(j · (−2 log2 θ / hd)) is formed in
  /// f64, so long contexts keep their precision, and reduced to [−π, π]
  /// there; cos and sin of the reduced angle are f32 (libdevice's f64 pow,
  /// cos and sin are long sequences in every thread of the QKV GEMV's RoPE
  /// epilogue; the f32 results are within 2e-7 of the f64 ones rounded).
  std::pair<Value, Value> ropeCosSin(Builder &b, Value pos, Value row, Value j);
  /// Its parts: θ^(−2j/hd) (f64), and cos and sin at an f64 position;
  /// `approx`: by the multifunction unit's approximations (fastmath afn:
  /// cos.approx / sin.approx, within 1e-6 on [−π, π]).
  Value ropeInverseFrequency(Builder &b, Value j);
  std::pair<Value, Value> ropeCosSinAt(Builder &b, Value position, Value inverseFrequency,
                                       bool approx = false);

  /// Rotates the pair (src[i1], src[i1 + half]) by (cs, sn) into
  /// (dst[o1], dst[o1 + half]); src may be dst with i1 == o1.
  void ropeRotate(Builder &b, Buf src, Value i1, Buf dst, Value o1, Value cs, Value sn);
  /// The pair (x1, x2) of a head's features i and i + head_dim / 2 rotated
  /// by (cs, sn), stored at o1 and o1 + head_dim / 2 of `dst`.
  void storeRotated(Builder &b, Value x1, Value x2, Value cs, Value sn, Buf dst, Value o1);

  /// Rotate-half RoPE in place on `heads` heads per row at positions pos[i].
  void rope(Builder &b, Buf buf, Value rows, int64_t heads, Value pos);

  /// GPU: RoPE on Q in place, RoPE on K written straight
  /// into the cache, and V copied into the cache, as one kernel. Per row the
  /// flat index e covers, in order, Q's H·hd/2 rotation pairs, K's
  /// KVH·hd/2 pairs and V's KVH·hd features (hd is even: ModelConfig); a
  /// block of kRopeCacheThreads threads takes consecutive e of one row, a
  /// thread one e. A row's angles depend on the pair j < hd/2 only, so a
  /// block that rotates first puts the cos and sin of its row's hd/2 angles
  /// (ropeCosSin) in workgroup memory: 26 evaluations a block for
  /// PHOTON-600M instead of one a thread. (A thread per pair rotating every
  /// head with one angle measured 2.2x slower on an H200, 274 against
  /// 122 us for 4096 rows of vanilla-600M: a 26th of the threads, each with
  /// all heads' loads.)
  static constexpr int64_t kRopeCacheThreads = 256;
  void ropeAndCacheWrite(Builder &b, Buf Q, Buf K, Buf V, Buf kCache, Buf vCache,
                         Value rows, Value pos, Value seq, int64_t layers, Value layer,
                         Value capacity);

  // Prefill attention on tensor cores (kernels/AttentionTiled.cpp) --------------------------------
  /// Rows of a tile of the tiled attention kernel (a warp per 16 rows), and
  /// cache positions per K/V tile it streams through workgroup memory.
  static constexpr int64_t kTiledAttentionRows = 64, kTiledAttentionPositions = 32;
  /// Blocks per tile of attentionTiled: they split a tile's rows when it
  /// goes row by row (decode batches: 4x the warps), and all but the first
  /// leave a tensor-core tile at once.
  static constexpr int64_t kTiledAttentionRowSplit = 4;

  /// Whether calls over long caches may take attentionTiled (the head's
  /// accumulators live in registers, as in attentionFused).
  bool tiledAttentionApplies() const {
    return gpu && options.tiledAttention && c.headDim() <= kFusedAttentionMaxHeadDim;
  }
  /// Cache elements per vector load of attentionTiled (K/V rows): the most
  /// of 8, 4, 2 dividing head_dim, at most 16 bytes. A chunk never straddles
  /// a head (head_dim is even), and every chunk of an aligned cache is
  /// aligned to its size.
  int64_t tiledAttentionChunk() const;
  /// On the host: whether a call takes attentionTiled: more than one tile
  /// of rows, not one row a slot (`rowsPerSlot` 1: a decode step, whose
  /// rows of different sequences the tiled kernel would walk one by one;
  /// split attention spreads them over the card), and caches aligned to a
  /// chunk for the vector loads.
  Value tiledAttentionUse(Builder &b, Value rows, Value rowsPerSlot, Buf kCache, Buf vCache);

  /// GPU (tiled-attention): attention of many rows (prefill) as one
  /// flash-attention kernel, kTiledAttentionRowSplit blocks of
  /// kTiledAttentionRows / 16 warps per (tile of kTiledAttentionRows
  /// consecutive rows, query head h); h reads KV head h / (H / KVH). A tile whose rows are consecutive positions
  /// p0, p0 + 1, ... of one sequence (checked by every warp alike, so the
  /// branch is block-uniform) and whose cache is bf16 runs on tensor cores
  /// (attentionTiledMma); other tiles (mixed sequences: batched decode) and
  /// f32/f16 caches go row by row (attentionTiledRows). No score leaves
  /// the kernel.
  void attentionTiled(Builder &b, Buf Q, Buf kCache, Buf vCache, Buf A, Value rows,
                      Value pos, Value seq, int64_t layers, Value layer, Value capacity);

  /// What attentionTiled's tile paths share: the call's buffers and the
  /// block's tile (rows r0 .. r0 + n - 1 of `rows`, query head h).
  struct TiledAttentionTile {
    Buf Q, kCache, vCache, A;
    Value pos, seq;
    int64_t layers;
    Value layer, capacity;
    // Set per tile, in the kernel:
    Value r0 = {}, n = {}, rows = {}, h = {}, warp = {}, lane = {}, tid = {};
    Value part = {}; // which of the tile's kTiledAttentionRowSplit blocks
    Value s0 = {}, p0 = {}; // the uniform tile's sequence and first position
  };

  static Value cTrue(Builder &b) { return arith::ConstantIntOp::create(b, b.getI1Type(), 1); }

  /// A loop over [from, to) by `step` without results.
  static void forRange(Builder &b, Value from, Value to, int64_t step,
                       function_ref<void(Builder &, Value)> body);

  /// attentionTiled for any tile: warp w of the tile's block k takes rows
  /// 4k + w, 4k + w + 16, ... of the tile, one at a time, over blocks of 32
  /// positions u0 .. u0 + 31 below pos[i] + 1: lane l scores position
  /// u0 + l (a head_dim-long dot product, its K row read in vector chunks,
  /// q as broadcasts), the warp's max updates the online softmax
  /// (running max m, sum l, rescaled by exp(m_old - m_new)), then the lanes
  /// switch to features (l, l + 32, ...) and accumulate the block's
  /// positions' V rows, each weight broadcast from its lane by a shuffle
  /// (coalesced V reads). f32 arithmetic, any cache type.
  void attentionTiledRows(Builder &b, const TiledAttentionTile &t);

  /// attentionTiled for a tile of consecutive positions p0 .. p0 + n - 1 of
  /// sequence s0 with a bf16 cache, flash-attention style on tensor cores.
  /// The Q tile goes to workgroup memory as bf16 once and warp w keeps the
  /// mma.sync A operands of its 16 rows in registers. K/V tiles of
  /// kTiledAttentionPositions positions of s0, up to the tile's last
  /// position p0 + n - 1 (later ones zero-filled, never read past the
  /// cache), stream through workgroup memory with vector loads. Per K/V
  /// tile, a warp computes its 16 x 32 scores as mma.sync m16n8k16 (bf16,
  /// f32 accumulation; K as the column-major B operand by ldmatrix), masks
  /// positions past each row's own (causal), and keeps an online softmax:
  /// each thread holds rows lane / 4 and lane / 4 + 8, their max combined
  /// across the 4 lanes of a row, partial sums l combined at the end. The
  /// exp'd scores, rounded to bf16, are directly the A operand of P·V (the
  /// m16n8 accumulator layout of two n-tiles is that of an m16k16 A), V
  /// the B operand by a transposing ldmatrix; the head_dim-wide output
  /// accumulators are rescaled by exp(m_old - m_new) and divided by l at
  /// the end. The first K/V tile holds position 0, which every row sees,
  /// so every row's max is finite from then on.
  void attentionTiledMma(Builder &b, const TiledAttentionTile &t, ValueRange shared,
                         int64_t width);

  // Decode attention: fused, split, combine (kernels/Attention.cpp) -------------------------------
  /// Largest head_dim of the fused attention kernel: each thread keeps a
  /// head_dim-wide accumulator in registers. Larger heads keep the unfused
  /// kernels.
  static constexpr int64_t kFusedAttentionMaxHeadDim = 128;

  /// GPU (fuse-attention): attention as one kernel, a block of kAttnWarps
  /// warps per (row i, query head h) (flash-decoding within a block). Query
  /// head h reads KV head h / (H / KVH) (GQA). Thread t of the block takes
  /// cache positions u = t, t + T, ... up to pos[i] of slot seq[i] (T
  /// threads: the loads of T positions are in flight at once), and keeps an
  /// online softmax over them: running max m, sum l = sum exp(score - m)
  /// and the head_dim-wide accumulator acc = sum exp(score - m) · V[u],
  /// both rescaled by exp(m_old - m_new) when the max grows. The threads'
  /// states are merged by the same rule: across each warp with shuffles,
  /// then across the warps through workgroup memory. A state without any
  /// position (m = -inf) weighs 0. No score leaves the kernel; q is staged
  /// in workgroup memory (every thread reads all of it).
  void attentionFused(Builder &b, Buf Q, Buf kCache, Buf vCache, Buf A, Value rows,
                      Value pos, Value seq, int64_t layers, Value layer, Value capacity);

  /// How split attention lays a head over a warp: the head is `chunks`
  /// vectors of `vec` features (16 bytes at most; `vec` divides head_dim,
  /// so every row of the head starts vector-aligned); a lane loads
  /// `vecsPerLane` consecutive ones of a position's K and V rows
  /// (split-attention-lane-vectors), `lanesPerPosition` lanes (a power of
  /// two) a position, lanes or vectors past the head idle; query heads of
  /// a KV group per block; positions per lane group per loop step
  /// (`unroll`).
  struct SplitAttentionShape {
    int64_t vec, vecsPerLane, chunks, lanesPerPosition, headsPerBlock, unroll;
    /// Features of a head one lane holds.
    int64_t laneFeatures() const { return vec * vecsPerLane; }
  };
  /// Warps per block of split attention.
  static constexpr int64_t kSplitAttnWarps = 4;
  /// Short caches of at most this many positions take a warp per (row, KV
  /// head group) (attentionSplit's warpPerPair).
  static constexpr int64_t kShortAttnWarpMaxCapacity = 32;
  /// A split covers at least this many positions: shorter ones would spend
  /// more on the combine than they save.
  static constexpr int64_t kSplitAttnMinPositions = 64;
  /// Blocks to aim for: four per multiprocessor (eight, with 8 positions a
  /// lane group at once, measured 11.4 against 9.3 us at vanilla-600M's
  /// batch 1 on an H200, 70.6 against 63.9 at 16 rows).
  int64_t splitAttnTargetBlocks() const { return 4 * options.multiprocessors; }
  /// Positions of each of `splits` splits of a row with `end` positions;
  /// split s is nonempty for s below ceil(end / chunk).
  static Value splitChunk(Builder &b, Value end, Value splits);
  /// The values `load` builds for a later loop step, which the loop
  /// carries; `guarded`, built under a branch on `inside` (that step
  /// exists) that yields `otherwise` (values no step reads) where not, so
  /// that the loads stay ahead of their step: without the branch LLVM
  /// folds the carried loads into one at the loop's head
  /// (guard-register-prefetch; the tensor-core GEMV's prefetch always).
  SmallVector<Value> loadAhead(Builder &b, Value inside, ValueRange otherwise,
                               function_ref<SmallVector<Value>(Builder &)> load,
                               bool guarded = true);
  /// Most accumulator floats of one lane (query heads x features a lane):
  /// registers.
  static constexpr int64_t kSplitAttnMaxLaneAcc = 32;
  /// split-attention-one-row-stages: the most shared memory the stages
  /// take (static shared memory ends at 48 KiB a block).
  static constexpr int64_t kSplitAttnMaxStagedBytes = 40 * 1024;

  /// The shape of split attention for this model, or none where a head is
  /// wider than a warp's lanes times their vectors (at one vector a lane,
  /// f32 caches: 128 features when head_dim is a multiple of 4, else 64;
  /// bf16: 256, 128 or 64 for head_dim a multiple of 8, 4 or 2). Those
  /// heads keep the unfused kernels.
  std::optional<SplitAttentionShape> splitAttentionShape() const;
  /// The one-row split kernel under programmatic launch
  /// (split-attention-l2-prefetch): thread 0 of each block reads the row's
  /// position and slot and bulk-prefetches its piece of the split's K and V
  /// rows into L2 (where a cache row is a 16-byte multiple, the caches are
  /// 16-byte aligned and the piece lies inside each), then every thread
  /// waits for the previous grid; the launch is marked
  /// photon.grid_wait_placed. A hint only: the previous grid writes the
  /// newest row, which the kernel reads after the wait as before.
  void prefetchSplitBeforeWait(Builder &b, gpu::LaunchOp launch, Buf kCache, Buf vCache,
                               Value rows, Value pos, Value seq, int64_t layers, Value layer,
                               Value capacity);

  /// GPU (split-attention): flash-decoding for caches too long for
  /// attentionFused. A block per (split s, KV head g and a run of its query
  /// heads, row i): positions 0..pos[i] of slot seq[i] are cut into
  /// `splits` contiguous ranges of at least kSplitAttnMinPositions (chosen
  /// on the host from rows, KV heads and capacity so that the grid fills
  /// the card); the block walks range s, reading each K/V row once for all
  /// its query heads (GQA). A warp takes kWarpSize / lanesPerPosition
  /// positions at a time (times `unroll`), the lanes of a position loading
  /// consecutive vectors of its K and V rows (coalesced), the dot product
  /// summed over those lanes by shuffles. Each lane group keeps an online
  /// softmax per query head (max m, sum l of exp(score - m), its features
  /// of acc = sum exp(score - m) · V); the states merge across the warp
  /// (shuffles), then across warps (workgroup memory). With one split the
  /// block writes A; otherwise it leaves (m, l, acc[head_dim]) per (row,
  /// query head, split) in `partials` (the scores region of the stack
  /// scratch: splits · (head_dim + 2) <= capacity + 2 floats per (row,
  /// head)) and photon_attention_combine merges the splits, or, given the
  /// plan's `semaphores` (fuse-attention-combine), the last block of the
  /// (row, run) to finish does (inLastBlock). A split with no positions
  /// writes nothing and the combine does not read it. With
  /// split-attention-cluster-blocks (sm_90, and no semaphores) the splits,
  /// at most that many, form one thread block cluster and merge in it
  /// (clusterMergeSplits), an empty split publishing an empty state; no
  /// partials, no combine. Falls back to `fallback` where the caches are not
  /// aligned to the vectors.
  ///
  /// With `oneSplit` (short caches, split-short-caches) the kernel
  /// (photon_attention_short) has one split and writes A itself, no
  /// combine; on caches of at most kShortAttnWarpMaxCapacity positions
  /// (photon_attention_short_warps) a warp per (row, KV head group) walks
  /// the whole cache, W of them a block, with no workgroup memory.
  void attentionSplit(Builder &b, const SplitAttentionShape &shape, Buf Q, Buf kCache,
                      Buf vCache, Buf A, Buf partials, Value semaphores, Value rows, Value pos,
                      Value seq, int64_t layers, Value layer, Value capacity, bool oneSplit,
                      function_ref<void(Builder &)> fallback);

  /// Split attention's cluster merge (split-attention-cluster-blocks): each
  /// of the `blocks` (at most `maxBlocks`) blocks of a cluster along x left
  /// its split's state of `heads` heads, (m, l, acc[head_dim]) a head, in
  /// workgroup buffer `state`; between two cluster barriers, block `rank`
  /// reads the others' through distributed shared memory and hands `sink`
  /// (head, feature, output) for features rank, rank + blocks, ...
  void clusterMergeSplits(Builder &b, Value state, Value rank, Value blocks, Value tid,
                          int64_t threads, int64_t heads, int64_t maxBlocks,
                          function_ref<void(Builder &, Value, Value, Value)> sink);

  /// Runs `body` in the last of `arrivals` blocks to get here (uniformly
  /// across each block, every thread arriving), as cooperative groups' grid
  /// barrier counts blocks: after a barrier orders the block's earlier
  /// global stores before thread 0, thread 0 fences at the GPU scope, counts
  /// the block on the i32 `semaphores[counter]` and fences again; the block
  /// that brings the count to `arrivals` then sees every other block's
  /// stores, runs `body` and sets the counter back to zero (the plan's
  /// semaphores are zero between kernels). `flag`: an i32 workgroup buffer
  /// of one element that carries thread 0's verdict to the block.
  void inLastBlock(Builder &b, Value tid, Value semaphores, Value counter, Value arrivals,
                   Value flag, function_ref<void(Builder &)> body);

  /// photon_attention_combine: merges into A the nonempty splits' states
  /// that attentionSplit left in `partials` ((m, l, acc[head_dim]) per
  /// (row, query head, split)). A block of kCombineThreads per (head, row):
  /// its threads read the splits' maxima and sums side by side (block
  /// reductions; each split's weight exp(m_s - max) kept in workgroup
  /// memory), then threads (group g, feature d) sum the accumulators of
  /// splits g, g + groups, ..., kCombineUnroll loads at a time, and the
  /// groups' sums meet in workgroup memory. A thread per feature walking
  /// the splits one dependent load after another took 9.8 us for 17 splits
  /// at vanilla-600M's batch 1 on an H200, a warp per (row, head) 11.1 us
  /// for 33: too few threads for the loads' latency. `someRows` is
  /// max(rows, 1), the grid's rows.
  void attentionCombine(Builder &b, Buf A, Buf partials, Value rows, Value someRows, Value pos,
                        Value splits);

  /// The cache entry of row `row`'s new position (slot seq[row], position
  /// pos[row]), where its K and V go.
  Value newCacheEntry(Builder &b, Value seq, Value pos, Value row, int64_t layers, Value layer,
                      Value capacity);
  /// Element index of (sequence s, layer, position t, feature 0) in a cache
  /// laid out [seq][layer][capacity][n_kv_heads · head_dim].
  Value cacheIndex(Builder &b, Value s, int64_t layers, Value layer,
                   Value capacity, Value t);

  // Embeddings (PhotonKernelToLoops.cpp) ----------------------------------------------------------
  /// out[i, :] = the table's row ids[i] (`width` wide), i < n: photon_embed_<tag>.
  void embed(Builder &b, Value table, Value ids, Value n, Buf out, int64_t width, StringRef tag);

  // Argmax and sampling over the vocabulary (kernels/Vocab.cpp) -----------------------------------
  /// ids[i] = argmax_j logits[i, j], ties to the lowest j. A NaN logit counts
  /// as -inf (a bad weight or an overflow must not yield an invalid id), so
  /// a row with nothing above -inf yields id 0 (docs/design.md).
  /// `partialV`/`partialI` (the plan's vocab_partials, n·parts each) hold
  /// the GPU's per-block partials (parallel-vocab); the host ignores them.
  void argmax(Builder &b, Buf logits, Value n, Value ids, Value partialV, Value partialI,
              Value semaphores);

  /// A NaN logit as -inf.
  static Value notNaN(Builder &b, Value v);
  /// Argmax's (value, index) before any logit: -inf at index 0, so a row
  /// with nothing above -inf yields id 0.
  static SmallVector<Value> argmaxInit(Builder &b);
  /// Combines two (value, index) pairs: the larger value, or on equal values
  /// the lower index (associative and commutative, so any order of
  /// combination gives the same pair).
  static SmallVector<Value> argmaxCombine(Builder &b, ValueRange x, ValueRange y);

  /// One thread's (max, index) over logits [first, last) of the row at
  /// `row` (at most `width` of them), threads striding by `threads` from
  /// `tid` (coalesced), kArgmaxUnroll loads a round in flight.
  SmallVector<Value> argmaxScan(Builder &b, Buf logits, Value row, Value first, Value last,
                                int64_t width, Value tid, int64_t threads);

  /// ids[i] sampled from softmax(logits[i] / temperature) restricted to the
  /// top_k largest logits (0: all) and then to the smallest top set holding
  /// top_p of that mass (1: all), by inverse CDF in index order at
  /// uniforms[i] in [0, 1). Thresholds are found by bisection over logit
  /// values, so no sort is needed; on the GPU a warp takes a row, each lane a
  /// contiguous block of the vocabulary. As in argmax a NaN logit counts
  /// as -inf: it and -inf tokens are never drawn, and a row with nothing
  /// above -inf yields id 0, argmax's rule (docs/design.md).
  void sample(Builder &b, Buf logits, Value n, Buf uniforms, Value temperature, Value topK,
              Value topP, Value ids);

  /// Bisection steps of photon_sample's top-k and top-p thresholds.
  static constexpr int kSampleBisections = 40;

  static Value atLeast(Builder &b, Value x, Value y) {
    return arith::CmpFOp::create(b, arith::CmpFPredicate::OGE, x, y);
  }
  /// The unnormalised probability of a token of logit l if l is at least
  /// tau: exp((l - mx) / temperature), else 0.
  static Value sampleWeight(Builder &b, Value l, Value mx, Value temperature, Value tau);
  /// The largest tau in [from, to] with keep(tau), given keep(from).
  static Value bisect(Builder &b, Value from, Value to,
                      function_ref<Value(Builder &, Value)> keep);
  /// Whether top_k restricts the draw (0 < top_k < V), and top_k as f32.
  std::pair<Value, Value> topKRule(Builder &b, Value topK);
  /// Inclusive prefix sum over the lanes of a warp, in lane order.
  static Value warpInclusiveSum(Builder &b, Value v, Value lane);
  /// The inverse-CDF walk over tokens [lo, hi) in index order, whose
  /// weights sum to `share`: when the target mass falls in this range, the
  /// first eligible token (logit >= tau) whose running mass passes it; and
  /// the range's last eligible token. -1 where there is none.
  static std::pair<Value, Value> drawInRange(Builder &b, Value lo, Value hi, Value share,
                                             Value target,
                                             function_ref<Value(Builder &, Value)> logitAt,
                                             function_ref<Value(Builder &, Value)> weightOf,
                                             Value tau);
  /// The drawn id from the row's (found, last) of drawInRange: rounding can
  /// leave the target past every share, then the last eligible token; with
  /// nothing above -inf (mx; all NaN/-inf) no token is eligible: id 0.
  static Value chooseDrawn(Builder &b, Value found, Value last, Value mx);

  /// sample on the GPU with a block of threads per row (parallel-vocab):
  /// the same thresholds and draw, each pass over the vocabulary spread
  /// over the block (threads strided, coalesced) and finished by a block
  /// reduction in a fixed order, so every thread holds the same sums and
  /// takes the same branches. Top-k counts are exact, so its threshold is
  /// the warp kernel's; a bisection that is not asked for is skipped. The
  /// draw walks the vocabulary in index order: thread t owns the t-th
  /// contiguous slice, and an exclusive scan of the slices' masses tells
  /// it whether the target falls in its slice.
  void sampleBlock(Builder &b, Buf logits, Value n, Buf uniforms, Value temperature,
                   Value topK, Value topP, Value ids);

  // A layer's attention ops (kernels/Attention.cpp) ---------------------------------------------
  /// photon_kernel.qkv: the normed rows' Q, K and V, RoPE and the cache write.
  void qkv(Builder &b, kernel::QkvOp op);
  /// RoPE on Q and K, then K and V into the caches (photon_kernel.rope_cache):
  /// one kernel on the GPU (ropeAndCacheWrite), three host loops.
  void ropeCache(Builder &b, Buf Q, Buf K, Buf V, Buf kCache, Buf vCache, Value rows, Value pos,
                 Value seq, int64_t layers, Value layer, Value capacity);
  /// photon_kernel.attention: fused, split, tiled or the unfused kernels.
  void attention(Builder &b, kernel::AttentionOp op);

  // State -----------------------------------------------------------------------------------------
  const KernelDims c;
  Type weightElt;
  Type actElt; // activations kept between kernels: x, caches, latents
  const KernelLoweringOptions options;
  const bool gpu; // options.gpu
  const TensorCoreKernel tensorCoreKernel;
  Location loc;
  MLIRContext *ctx;
  Value weights; // the weight arena of the op being lowered
};

} // namespace mlir::photon

#endif // PHOTON_LOWERING_KERNELS_KERNELEMITTER_H
