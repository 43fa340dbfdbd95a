//===- PhotonToKernels.cpp - photon.model to kernel entry points ----------===//
//
// Each building block of the model becomes a function over flat 1-D buffers,
// specialised to the model's widths and to the planned weight offsets. Work
// over rows and output features is `scf.parallel`; reductions are `scf.for`.
// The programs' entry points (ProgramToHost.cpp) call these functions to run
// prefill, HierGen and RecGen; the same IR is lowered for the host or the GPU.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "lowering/KernelBuilder.h"
#include "lowering/ProgrammaticLaunch.h"
#include "lowering/Passes.h"
#include "passes/StatePlanning.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/STLForwardCompat.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONLOWERTOKERNELS
#include "lowering/Passes.h.inc"

namespace {

using ::photon::ModelConfig;

//===----------------------------------------------------------------------===//
// The kernels of one model
//===----------------------------------------------------------------------===//

class KernelEmitter {
public:
  KernelEmitter(ModuleOp module, const ModelConfig &c,
                const llvm::StringMap<int64_t> &offsets, Type weightElt,
                Type actElt, const PhotonLowerToKernelsOptions &options, Location loc)
      : module(module), c(c), offsets(offsets), weightElt(weightElt),
        actElt(actElt), options(options), gpu(options.target == KernelTarget::GPU),
        tensorCoreKernel(options.tensorCoreKernel), loc(loc), ctx(module.getContext()) {}

  /// Set when the model asks for a weight the plan does not have.
  bool failed = false;

  void emitAll() {
    if (c.kind == ::photon::ModelKind::Vanilla) {
      emitEmbed("tok", "model.embed_tokens.weight", c.dModel);
      emitStack("model", c.layers);
    } else {
      emitEmbed("enc", "enc_embed.weight", c.dEmbed);
      emitEmbed("dec", "dec_embed.weight", c.dModel);
      for (int64_t l = 1; l <= c.numLevels(); ++l) {
        std::string s = std::to_string(l);
        if (c.chunkerIsLinear(l))
          emitLinearChunker(l);
        emitStack("encoder." + s, c.encoderLayers[l - 1]);
        emitStack("decoder." + s, c.decoderLayers[l - 1]);
        emitConverter(l);
      }
    }
    emitLMHead();
    emitArgmax();
    emitSample();
  }

private:
  MemRefType f32Buf() { return MemRefType::get({ShapedType::kDynamic}, Float32Type::get(ctx)); }
  MemRefType i32Buf() { return MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 32)); }
  MemRefType weightBuf() { return MemRefType::get({ShapedType::kDynamic}, weightElt); }
  Type indexType() { return IndexType::get(ctx); }
  MemRefType actBuf() { return MemRefType::get({ShapedType::kDynamic}, actElt); }

  /// Creates a private `func.func @name(args)` (only the lowered programs
  /// call kernels) and returns it, its body holding just the return.
  func::FuncOp makeFunc(StringRef name, ArrayRef<Type> args) {
    OpBuilder ob(ctx);
    ob.setInsertionPointToEnd(module.getBody());
    auto fn = func::FuncOp::create(ob, loc, name,
                                   FunctionType::get(ctx, args, {}));
    fn.setPrivate();
    fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    Block *entry = fn.addEntryBlock();
    OpBuilder eb(ctx);
    eb.setInsertionPointToEnd(entry);
    func::ReturnOp::create(eb, loc);
    return fn;
  }
  Builder bodyBuilder(func::FuncOp fn) {
    Builder b(loc, ctx);
    b.setInsertionPoint(fn.getBody().front().getTerminator());
    return b;
  }

  int64_t offset(const std::string &name) {
    auto it = offsets.find(name);
    if (it != offsets.end())
      return it->second;
    module.emitError("photon-lower-to-kernels: no planned weight '") << name << "'";
    failed = true;
    return 0;
  }

  /// Where a kernel finds a weight tensor in the arena: an offset (elements)
  /// computed on the host, so that one kernel can serve every layer and
  /// stack of its shape, and the largest power of two known to divide every
  /// value it takes (what vector loads and cp.async may assume).
  struct WeightRef {
    Value at;
    int64_t align;
  };
  static int64_t powerOfTwoDividing(int64_t v) {
    return v == 0 ? int64_t(1) << 30 : (v & -v);
  }
  /// The most alignment (elements) any kernel asks of a weight: 16 bytes
  /// of vector load or cp.async. Capping what a layout records at it lets
  /// stacks that differ only in larger alignments share their kernels.
  static constexpr int64_t kMaxAssumedAlign = 16;
  /// A weight at its planned (constant) offset.
  WeightRef weight(Builder &b, const std::string &name) {
    int64_t off = offset(name);
    return {cIdx(b, off), powerOfTwoDividing(off)};
  }


  static std::string shape(int64_t m, int64_t k) {
    return std::to_string(m) + "x" + std::to_string(k);
  }

  /// Data-parallel work over [0, ubs): host loops or one GPU kernel `kernel`.
  void parallel(Builder &b, const Twine &kernel, ArrayRef<Value> ubs, BodyFn body) {
    if (gpu)
      nameKernel(parallelLaunch(b, ubs, body), kernel);
    else
      parallelLoops(b, ubs, body);
  }

  /// Lanes that share one reduction: a warp on the GPU, one "lane" on the
  /// host. A body strides its reduction by `laneCount()` from `lane` and
  /// combines the partial results with laneSum/laneMax.
  int64_t laneCount() const { return gpu ? kWarpSize : 1; }

  using LaneBodyFn = function_ref<void(Builder &, ValueRange, Value)>;
  void parallelLanes(Builder &b, const Twine &kernel, ArrayRef<Value> ubs, LaneBodyFn body) {
    if (!gpu) {
      parallelLoops(b, ubs, [&](Builder &b, ValueRange iv) { body(b, iv, cIdx(b, 0)); });
      return;
    }
    // One warp per point: the lane is the fastest index, so the lanes of a
    // warp read consecutive elements (coalesced).
    SmallVector<Value> withLanes(ubs.begin(), ubs.end());
    withLanes.push_back(cIdx(b, kWarpSize));
    nameKernel(parallelLaunch(b, withLanes, [&](Builder &b, ValueRange iv) {
                 body(b, iv.drop_back(), iv.back());
               }),
               kernel);
  }

  /// Combines a value across the lanes of a warp (xor butterfly: every lane
  /// gets the result). The identity on the host.
  Value laneReduce(Builder &b, Value v, function_ref<Value(Builder &, Value, Value)> combine) {
    if (!gpu)
      return v;
    for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
      auto shuffled = gpu::ShuffleOp::create(b, v, offset, kWarpSize, gpu::ShuffleMode::XOR);
      v = combine(b, v, shuffled.getShuffleResult());
    }
    return v;
  }
  Value laneSum(Builder &b, Value v) { return laneReduce(b, v, addF); }
  Value laneMin(Builder &b, Value v) {
    return laneReduce(b, v, [](Builder &b, Value x, Value y) -> Value {
      return arith::MinimumFOp::create(b, x, y);
    });
  }
  Value laneMaxI(Builder &b, Value v) {
    return laneReduce(b, v, [](Builder &b, Value x, Value y) -> Value {
      return arith::MaxSIOp::create(b, x, y);
    });
  }
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

  /// W[base + i] as f32.
  Value loadWeight(Builder &b, Value base, Value i) {
    Value v = memref::LoadOp::create(b, weights, ValueRange{addI(b, i, base)});
    if (!weightElt.isF32())
      v = arith::ExtFOp::create(b, b.getF32Type(), v);
    return v;
  }

  /// out[i, j] (+)= sum_k W[j, k] · in[i, k] (+ bias[j]) for i < rows, j < M.
  /// On the GPU, 1 to gemvMaxRows rows (decode) go to matmulGemv, which
  /// reads each weight once; with bf16 weights and activations, `rows` of at
  /// least tensorCoreMinRows go to tensor cores (matmulTensorCore); other
  /// calls are a warp per (row, output) (matmulLanes). The choice is made on
  /// the host, where rows and the buffers' alignment are known.
  void matmulNT(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                WeightRef weight, std::optional<WeightRef> bias = std::nullopt,
                bool accumulate = false) {
    Value w = weight.at, bOff = bias ? bias->at : Value();
    // Each lane of the GEMV loads 16 bytes of a weight row at a time: rows of
    // W must start on 16-byte boundaries (K and the planned offset a
    // multiple of the vector) and the arena itself is checked on the host.
    if (!gemvApplies(K, weight.align))
      return matmulWide(b, in, out, rows, M, K, w, weight.align, bOff, accumulate);
    gemvOrWide(
        b, rows,
        arith::AndIOp::create(b, alignedTo(b, weights, w, 16),
                              alignedTo(b, in.mem, in.base, gemvInputAlignment(in))),
        [&](Builder &b, int64_t maxRows) {
          matmulGemv(b, in, out, rows, maxRows, M, K, w, bOff, accumulate);
        },
        [&](Builder &b) { matmulWide(b, in, out, rows, M, K, w, weight.align, bOff, accumulate); });
  }

  /// Whether a GEMV over K-wide rows may read a weight matrix whose offsets
  /// are multiples of `align`: whole 16-byte vectors per row.
  bool gemvApplies(int64_t K, int64_t align) const {
    int64_t vec = gemvVectorLength();
    return gpu && options.gemvMaxRows > 0 && K % vec == 0 && align % vec == 0;
  }

  /// On the host: `gemv(maxRows)` for 1 <= rows <= gemvMaxRows when
  /// `aligned` holds, one kernel per bucket of rows (1, 4, 8, 16, ... up to
  /// gemvMaxRows: a kernel keeps one accumulator per row it may see, so
  /// batch 1 does not pay for 16); else `wide`.
  void gemvOrWide(Builder &b, Value rows, Value aligned,
                  function_ref<void(Builder &, int64_t)> gemv,
                  function_ref<void(Builder &)> wide) {
    Value use = arith::AndIOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows, cIdx(b, 1)),
        arith::CmpIOp::create(b, arith::CmpIPredicate::ule, rows, cIdx(b, options.gemvMaxRows)));
    // 1, 4, 8, 16: a PHOTON local decoder's prefix call (prefix · chunks, 8
    // rows for PHOTON-600M) must not pay for 16 rows of accumulators and
    // activation reads (measured: the 16-row kernel at 5-10% of the copy rate).
    // On tensor cores rows come in n-tiles of 8: no bucket of 4.
    SmallVector<int64_t> buckets;
    for (int64_t r = 1; r < options.gemvMaxRows; r = r == 1 ? 4 : 2 * r)
      if (r != 4 || !gemvOnTensorCores(r))
        buckets.push_back(r);
    buckets.push_back(options.gemvMaxRows);
    std::function<void(Builder &, size_t)> pick = [&](Builder &b, size_t i) {
      if (i + 1 == buckets.size())
        return gemv(b, buckets[i]);
      ifElse(
          b, arith::CmpIOp::create(b, arith::CmpIPredicate::ule, rows, cIdx(b, buckets[i])),
          [&](Builder &b) { gemv(b, buckets[i]); }, [&](Builder &b) { pick(b, i + 1); });
    };
    ifElse(b, arith::AndIOp::create(b, use, aligned), [&](Builder &b) { pick(b, 0); }, wide);
  }

  /// matmulNT without the GEMV: tensor cores when they apply, else
  /// matmulLanes. With wideInputsRounded, an `in` mirrored in bf16 (the
  /// attention output) is read from its mirror, so the GEMM loads bf16 A
  /// with cp.async instead of converting f32 in registers.
  void matmulWide(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                  Value w, int64_t wAlign, Value bOff, bool accumulate) {
    if (in.mirrorMem && wideInputsRounded())
      in = in.mirror();
    if (!tensorCoresApply(K, {wAlign}))
      return matmulLanes(b, in, out, rows, M, K, w, bOff, accumulate);
    ifElse(
        b, tensorCoresUse(b, in, rows, {w}),
        [&](Builder &b) { matmulTensorCore(b, in, out, rows, M, K, w, bOff, accumulate); },
        [&](Builder &b) { matmulLanes(b, in, out, rows, M, K, w, bOff, accumulate); });
  }

  /// mem[at .. at + 8) (f32, 16-byte aligned) as a vector<8xf32>, loaded as
  /// two 16-byte vectors.
  Value loadF32x8(Builder &b, Value mem, Value at) {
    auto f32x4 = VectorType::get({4}, b.getF32Type());
    SmallVector<Value, 2> halves;
    for (int64_t h = 0; h < 2; ++h)
      halves.push_back(vector::LoadOp::create(b, f32x4, mem, ValueRange{addI(b, at, 4 * h)},
                                              /*nontemporal=*/false, llvm::MaybeAlign(16)));
    return vector::ShuffleOp::create(b, halves[0], halves[1],
                                     ArrayRef<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  }

  /// Whether projections over K with weights of these alignments (elements)
  /// may take tensor cores: bf16 weights and activations, on the GPU.
  /// f32 activations keep f32 products: a hi + lo split of them is good to
  /// ~16 bits, which misses the f32 bound of spec §6 (measured 1.3e-4).
  bool tensorCoresApply(int64_t K, ArrayRef<int64_t> wAligns) const {
    return gpu && options.tensorCoreMinRows > 0 && weightElt.isBF16() && actElt.isBF16() &&
           K % 8 == 0 && llvm::all_of(wAligns, [](int64_t a) { return a % 8 == 0; });
  }
  /// Whether a call takes them (on the host): enough rows, and the weights
  /// (at `ws`) and `in` on 16-byte boundaries: cp.async moves 16 bytes (8
  /// bf16) at a time, and the tile128 kernels load an f32 `in` as 16-byte
  /// vectors too.
  Value tensorCoresUse(Builder &b, Buf in, Value rows, ArrayRef<Value> ws) {
    Value use = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows,
                                      cIdx(b, options.tensorCoreMinRows));
    for (Value w : ws)
      use = arith::AndIOp::create(b, use, alignedTo(b, weights, w, 16));
    if (in.elementType().isBF16() || tensorCoreKernel != TensorCoreKernel::Tile64)
      use = arith::AndIOp::create(b, use, alignedTo(b, in.mem, in.base, 16));
    return use;
  }

  /// Runs `then` or `otherwise` in an `scf.if cond`.
  void ifElse(Builder &b, Value cond, function_ref<void(Builder &)> then,
              function_ref<void(Builder &)> otherwise) {
    auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/true);
    Builder tb(b.getLoc(), ctx), eb(b.getLoc(), ctx);
    tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    eb.setInsertionPoint(ifOp.elseBlock()->getTerminator());
    then(tb);
    otherwise(eb);
  }

  static int64_t byteWidth(Type t) { return t.getIntOrFloatBitWidth() / 8; }
  /// Weights per 16-byte vector load of the GEMV.
  int64_t gemvVectorLength() const { return 16 / byteWidth(weightElt); }
  /// The GEMV loads as many activations as weights at a time: the alignment
  /// (at most 16 bytes) their vector loads assume.
  int64_t gemvInputAlignment(const Buf &in) const {
    return std::min<int64_t>(16, gemvVectorLength() * byteWidth(in.elementType()));
  }

  /// Whether &mem[base] is `bytes`-aligned, on the host.
  Value alignedTo(Builder &b, Value mem, Value base, int64_t bytes) {
    int64_t elt = byteWidth(cast<MemRefType>(mem.getType()).getElementType());
    auto meta = memref::ExtractStridedMetadataOp::create(b, mem);
    Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, mem);
    Value at = addI(b, ptr, mulI(b, addI(b, meta.getOffset(), base), elt));
    return arith::CmpIOp::create(b, arith::CmpIPredicate::eq, remU(b, at, bytes), cIdx(b, 0));
  }

  /// matmulNT for 1 <= rows <= maxRows (rows a runtime value) as a GEMV.
  void matmulGemv(Builder &b, Buf in, Buf out, Value rows, int64_t maxRows,
                  int64_t M, int64_t K, Value w, Value bOff, bool accumulate) {
    gemv(b, "r" + Twine(maxRows) + "_" + shape(M, K), in, rows, maxRows, K,
         {GemvRange{M, {w}, [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
                      storeOutput(b, out, M, r, j, sums[0], bOff, accumulate);
                    }}});
  }

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
  };

  /// Outputs per warp of a GEMV over up to maxRows rows with nw weight
  /// matrices and `total` outputs. Each activation vector a warp loads
  /// serves all of its outputs: over several rows the activations, not the
  /// weights, bound the kernel (the 16-row kernel with one output per warp
  /// read 16x its weight bytes from L1/L2 and reached 5% of the copy rate).
  /// One row needs no reuse and keeps every warp; otherwise up to 4 / nw
  /// outputs, as long as the grid keeps about 512 warps (4 per SM).
  static int64_t gemvOutputsPerWarp(int64_t maxRows, int64_t nw, int64_t total) {
    if (maxRows == 1)
      return 1;
    int64_t f = std::max<int64_t>(1, 4 / nw);
    while (f > 1 && total / f < 512)
      f /= 2;
    return f;
  }

  /// Loop-carried `values` that iteration 0 (of induction variable `iv`)
  /// computes with `compute` and later iterations pass on: work that
  /// overlaps the first iteration's loads instead of following the loop.
  void inFirstIteration(Builder &b, Value iv, MutableArrayRef<Value> values,
                        function_ref<SmallVector<Value>(Builder &)> compute) {
    auto first = scf::IfOp::create(b, ValueRange(values).getTypes(),
                                   arith::CmpIOp::create(b, arith::CmpIPredicate::eq, iv, cIdx(b, 0)),
                                   /*withElseRegion=*/true);
    Builder tb(b.getLoc(), ctx), eb(b.getLoc(), ctx);
    tb.setInsertionPointToStart(&first.getThenRegion().front());
    scf::YieldOp::create(tb, compute(tb));
    eb.setInsertionPointToStart(&first.getElseRegion().front());
    scf::YieldOp::create(eb, ValueRange(values));
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = first.getResult(i);
  }

  /// The pair layout of a GEMV launch's ranges: their pairHalf, 0 if none
  /// has pairs (one layout per launch).
  static int64_t pairHalfOf(ArrayRef<GemvRange> ranges) {
    int64_t half = 0;
    for (const GemvRange &r : ranges) {
      assert((!half || !r.pairHalf || r.pairHalf == half) && "one pair layout per launch");
      half = std::max(half, r.pairHalf);
    }
    return half;
  }

  /// Per-range values of a GEMV launch by a uniform index (warp or block)
  /// and the first index of each range (firsts[0] = 0): the selector maps
  /// value to value(k) of the last range k that starts at or before it.
  std::function<Value(function_ref<Value(int64_t)>)> rangeSelector(Builder &b, Value index,
                                                                   ArrayRef<int64_t> firsts) {
    SmallVector<Value> past; // index >= first of range k, k >= 1
    for (int64_t first : firsts.drop_front())
      past.push_back(arith::CmpIOp::create(b, arith::CmpIPredicate::uge, index, cIdx(b, first)));
    return [&b, past](function_ref<Value(int64_t)> value) {
      Value v = value(0);
      for (auto [k, in] : llvm::enumerate(past))
        v = arith::SelectOp::create(b, in, value(k + 1), v);
      return v;
    };
  }

  /// Weights (offset, elements) the decode GEMVs emitted meanwhile prefetch
  /// into L2 for the projection after them (prefetch-next-weights).
  struct WeightRange {
    WeightRef weight;
    int64_t elements;
  };
  SmallVector<WeightRange> nextWeights;
  /// Runs `emit` with the GEMVs it emits prefetching `ranges`.
  void withNextWeights(ArrayRef<WeightRange> ranges, function_ref<void()> emit) {
    if (options.prefetchNextWeights)
      nextWeights.assign(ranges.begin(), ranges.end());
    emit();
    nextWeights.clear();
  }
  /// At the start of a GEMV launch, before it waits for the previous
  /// kernel: thread 0 of each block prefetches its share of nextWeights
  /// into L2 with one cp.async.bulk.prefetch per range (16-byte aligned
  /// pieces; a range whose planned offset is not 16-byte aligned is left
  /// out). A hint: nothing waits for it.
  void prefetchNextWeights(Builder &b, gpu::LaunchOp launch) {
    const int64_t elt = byteWidth(weightElt);
    SmallVector<WeightRange> ranges;
    for (const WeightRange &r : nextWeights)
      if (r.weight.align * elt % 16 == 0 && r.elements * elt >= 16)
        ranges.push_back(r);
    if (ranges.empty())
      return;
    Value block = launch.getBlockIds().x, blocks = launch.getGridSizeX();
    ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, launch.getThreadIds().x, cIdx(b, 0)),
           [&](Builder &b) {
      Type i64 = b.getI64Type();
      Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, weights);
      auto global = LLVM::LLVMPointerType::get(ctx, 1);
      for (const WeightRange &r : ranges) {
        const int64_t bytes = r.elements * elt / 16 * 16;
        Value piece = mulI(b, arith::CeilDivUIOp::create(
                                  b, arith::CeilDivUIOp::create(b, cIdx(b, bytes), blocks), cIdx(b, 16)),
                           16);
        Value start = mulI(b, block, piece);
        ifThen(b, ult(b, start, cIdx(b, bytes)), [&](Builder &b) {
          Value size = arith::MinUIOp::create(b, piece, arith::SubIOp::create(b, cIdx(b, bytes), start));
          Value addr = addI(b, addI(b, base, mulI(b, r.weight.at, elt)), start);
          Value addr64 = arith::IndexCastUIOp::create(b, i64, addr);
          Value ptr = LLVM::IntToPtrOp::create(b, global, addr64);
          NVVM::CpAsyncBulkPrefetchOp::create(
              b, ptr, arith::IndexCastUIOp::create(b, b.getI32Type(), size), /*l2CacheHint=*/Value());
        });
      }
    });
  }

  /// One kernel `name` over 1 <= rows <= maxRows (rows a runtime value) of
  /// `in`, bound by the weight bytes: each warp computes F outputs
  /// (gemvOutputsPerWarp) of one of the ranges (kGemvWarps warps a block, a
  /// grid over all outputs; the warp's range picks its weights), its lanes
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
  /// With `normGain` (fuse-norm) the kernel reads the rows of `in` raw and
  /// applies RMSNorm on the way: activations times the gain vector at
  /// `normGain`, and each dot product times the row's 1 / rms, whose sum of
  /// squares the warp gathers from the same activation loads.
  /// The kernel is photon_gemv_<tag> (photon_gemv_mma_<tag> on tensor
  /// cores, gemvOnTensorCores).
  void gemv(Builder &b, const Twine &tag, Buf in, Value rows, int64_t maxRows, int64_t K,
            ArrayRef<GemvRange> ranges, Value normGain = Value(),
            const GemvPairValues &pairValues = {}) {
    if (gemvOnTensorCores(maxRows))
      return gemvTensorCore(b, "photon_gemv_mma_" + tag, in, rows, maxRows, K, ranges, normGain,
                            pairValues);
    constexpr int64_t kGemvWarps = 4, kGemvMaxOutputRowsPerStep = 64;
    const int64_t vec = gemvVectorLength();
    const int64_t chunks = K / vec, rounds = llvm::divideCeil(chunks, kWarpSize);
    const int64_t nw = ranges.front().weights.size();
    int64_t total = 0;
    for (const GemvRange &range : ranges)
      total += range.M;
    int64_t F = gemvOutputsPerWarp(maxRows, nw, total);
    // Ranges of pairs: a warp's F outputs are F / 2 pairs, which must not
    // straddle a head.
    const int64_t pairHalf = pairHalfOf(ranges);
    if (pairHalf && (F < 2 || pairHalf % (F / 2)))
      F = 2;
    const int64_t P = F / 2;
    // At one row a warp's F outputs are a RoPE pair (F = 2): each of its
    // weight rows takes the whole budget, as a single output's does (the
    // QKV GEMV's 7 rounds in one step measured 9.9 against 11.6 us on an
    // H200); over several rows the F outputs share it.
    const int64_t unroll = std::clamp<int64_t>(
        std::min(options.gemvLoadsInFlight / (maxRows == 1 ? 1 : F),
                 kGemvMaxOutputRowsPerStep / (F * maxRows)),
        1, rounds);
    const int64_t groups = llvm::divideCeil(rounds, unroll);
    const bool ragged = groups * unroll * kWarpSize != chunks;
    int64_t warps = 0;
    for (const GemvRange &range : ranges)
      warps += llvm::divideCeil(range.M, F);
    Type f32 = b.getF32Type();
    Value one = cIdx(b, 1);
    auto launch = gpu::LaunchOp::create(b, cIdx(b, llvm::divideCeil(warps, kGemvWarps)), one,
                                        one, cIdx(b, kGemvWarps * kWarpSize), one, one);
    nameKernel(launch, "photon_gemv_" + tag);
    if (options.programmaticLaunch)
      launch->setAttr(kGridWaitPlaced, UnitAttr::get(ctx));
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    prefetchNextWeights(kb, launch);
    Value tid = launch.getThreadIds().x;
    Value lane = remU(kb, tid, kWarpSize);
    Value warp = addI(kb, mulI(kb, launch.getBlockIds().x, kGemvWarps), divU(kb, tid, kWarpSize));
    Value last = arith::SubIOp::create(kb, rows, one);
    SmallVector<Value> rowIn;
    for (int64_t r = 0; r < maxRows; ++r)
      rowIn.push_back(addI(kb, in.base, mulI(kb, arith::MinUIOp::create(kb, cIdx(kb, r), last), K)));
    auto vecOf = [&](Type t) { return VectorType::get({vec}, t); };
    // vec elements of `mem` from `at`, as f32, zero where !inside.
    auto load = [&](Builder &b, Value mem, Value at, int64_t align, Value inside) -> Value {
      Type elt = cast<MemRefType>(mem.getType()).getElementType();
      Value v = vector::LoadOp::create(b, vecOf(elt), mem, ValueRange{at},
                                       /*nontemporal=*/false, llvm::MaybeAlign(align));
      if (!elt.isF32())
        v = arith::ExtFOp::create(b, vecOf(f32), v);
      return inside ? orZero(b, inside, v) : v;
    };
    auto element = [](Builder &b, Value v, int64_t e) -> Value {
      return vector::ExtractOp::create(b, v, e);
    };
    // One loop body for every range: a warp's range (uniform across the warp)
    // selects its first warp, its outputs and its weight matrices, so that
    // Q, K and V cost one copy of the unrolled loop, not three.
    const int64_t nAcc = F * nw * maxRows;
    SmallVector<int64_t> firstWarps{0};
    for (const GemvRange &range : ArrayRef(ranges).drop_back())
      firstWarps.push_back(firstWarps.back() + llvm::divideCeil(range.M, F));
    auto byRange = rangeSelector(kb, warp, firstWarps);
    Value rangeIdx = byRange([&](int64_t k) { return cIdx(kb, k); });
    Value M = byRange([&](int64_t k) { return cIdx(kb, ranges[k].M); });
    Value lastJ = byRange([&](int64_t k) { return cIdx(kb, ranges[k].M - 1); });
    Value rangeWarp = ranges.size() == 1 ? warp
                                         : arith::SubIOp::create(kb, warp, byRange([&](int64_t k) {
                                             return cIdx(kb, firstWarps[k]);
                                           }));
    Value j0 = mulI(kb, rangeWarp, F);
    // Output f of the warp: j0 + f; in a range of pairs, pair f % P of the
    // warp's P (from pair rangeWarp · P of the range), half f / P.
    Value isPaired = pairHalf ? byRange([&](int64_t k) -> Value {
      return arith::ConstantIntOp::create(kb, kb.getI1Type(), ranges[k].pairHalf != 0);
    }) : Value();
    auto output = [&](Builder &b, int64_t f) -> Value {
      Value plain = addI(b, j0, f);
      if (!pairHalf)
        return plain;
      Value pair = mulI(b, rangeWarp, P);
      Value paired = addI(b, addI(b, mulI(b, divU(b, pair, pairHalf), 2 * pairHalf), remU(b, pair, pairHalf)),
                          f % P + (f / P) * pairHalf);
      return arith::SelectOp::create(b, isPaired, paired, plain);
    };
    assert(llvm::all_of(ranges, [&](const GemvRange &r) { return int64_t(r.weights.size()) == nw; }) &&
           "ranges read equally many matrices");
    SmallVector<Value> w;
    for (int64_t m = 0; m < nw; ++m)
      w.push_back(byRange([&](int64_t k) { return ranges[k].weights[m]; }));
    // A whole warp takes or skips the branch, so its shuffles stay converged.
    ifThen(kb, ult(kb, warp, cIdx(kb, warps)), [&](Builder &b) {
      SmallVector<Value> js, rowW; // output f; weight row (f, m) at f · nw + m
      for (int64_t f = 0; f < F; ++f) {
        js.push_back(output(b, f));
        Value row = F > 1 ? arith::MinUIOp::create(b, js.back(), lastJ) : js.back();
        for (Value wm : w)
          rowW.push_back(addI(b, mulI(b, row, K), wm));
      }
      // Accumulator (output f, weight matrix m, row r) at (f · nw + m) ·
      // maxRows + r; with normGain, each row's sum of squares after them;
      // then the lane's pair values (pair f's at pairAt + f · count).
      const int64_t pairAt = nAcc + (normGain ? maxRows : 0);
      const int64_t nPairValues = pairHalf ? P * pairValues.count : 0;
      Value laneRow = arith::MinUIOp::create(b, lane, arith::SubIOp::create(b, rows, one));
      SmallVector<Value> init(pairAt + nPairValues, cF32(b, 0));
      auto loop = scf::ForOp::create(
          b, cIdx(b, 0), cIdx(b, groups), one, init,
          [&](OpBuilder &ob, Location loc, Value g, ValueRange accIn) {
            Builder b(loc, ob);
            SmallVector<Value> acc(accIn.begin(), accIn.end());
            SmallVector<Value> chunk, inside, wv;
            for (int64_t u = 0; u < unroll; ++u) {
              Value c = addI(b, lane, mulI(b, addI(b, mulI(b, g, unroll), u), kWarpSize));
              Value ok = ragged ? ult(b, c, cIdx(b, chunks)) : Value();
              if (ok)
                c = arith::SelectOp::create(b, ok, c, cIdx(b, 0));
              chunk.push_back(mulI(b, c, vec));
              inside.push_back(ok);
              for (Value at : rowW)
                wv.push_back(load(b, weights, addI(b, at, chunk.back()), 16, ok));
            }
            // Every weight load of the group before the first fma: the
            // NVPTX backend keeps this order, so the loads overlap. With
            // programmatic launch they are also issued before the wait for
            // the previous kernel (weights are never written).
            if (options.programmaticLaunch)
              gridDependencyWait(b, loc);
            if (nPairValues)
              inFirstIteration(b, g, MutableArrayRef(acc).slice(pairAt, nPairValues), [&](Builder &b) {
                SmallVector<Value> values;
                for (int64_t f = 0; f < P; ++f)
                  llvm::append_range(values, pairValues.compute(b, laneRow, js[f]));
                return values;
              });
            for (int64_t u = 0; u < unroll; ++u) {
              Value gain = normGain ? load(b, weights, addI(b, normGain, chunk[u]), 16, Value())
                                    : Value();
              for (int64_t r = 0; r < maxRows; ++r) {
                Value x = load(b, in.mem, addI(b, rowIn[r], chunk[u]), gemvInputAlignment(in),
                               inside[u]);
                if (gain) {
                  for (int64_t e = 0; e < vec; ++e)
                    acc[nAcc + r] = math::FmaOp::create(b, element(b, x, e), element(b, x, e),
                                                        acc[nAcc + r]);
                  x = mulF(b, x, gain);
                }
                if (roundsInput(in))
                  x = roundedToBF16(b, x);
                for (int64_t fm = 0; fm < F * nw; ++fm)
                  for (int64_t e = 0; e < vec; ++e)
                    acc[fm * maxRows + r] = math::FmaOp::create(
                        b, element(b, wv[u * F * nw + fm], e), element(b, x, e),
                        acc[fm * maxRows + r]);
              }
            }
            scf::YieldOp::create(b, acc);
          });
      SmallVector<Value> invRms;
      for (int64_t r = 0; normGain && r < maxRows; ++r) {
        Value mean = divF(b, laneSum(b, loop.getResult(nAcc + r)), cF32(b, double(K)));
        invRms.push_back(math::RsqrtOp::create(b, addF(b, mean, cF32(b, c.rmsNormEps))));
      }
      // The dot products of output f and row r, one per weight matrix.
      auto sumsOf = [&](int64_t f, int64_t r) {
        SmallVector<Value> sums;
        for (int64_t m = 0; m < nw; ++m) {
          Value s = laneSum(b, loop.getResult((f * nw + m) * maxRows + r));
          sums.push_back(normGain ? mulF(b, s, invRms[r]) : s);
        }
        return sums;
      };
      // With pairs, every output's first: a pair is stored at its first half;
      // then each pair's values for every row (lane r's, shuffled).
      SmallVector<SmallVector<Value>> all, pairExtra;
      for (int64_t f = 0; pairHalf && f < F; ++f)
        for (int64_t r = 0; r < maxRows; ++r)
          all.push_back(sumsOf(f, r));
      for (int64_t f = 0; nPairValues && f < P; ++f) {
        assert(maxRows <= kWarpSize && "a lane per row");
        for (int64_t r = 0; r < maxRows; ++r) {
          SmallVector<Value> atRow;
          for (int64_t i = 0; i < pairValues.count; ++i)
            atRow.push_back(gpu::ShuffleOp::create(
                                b, loop.getResult(pairAt + f * pairValues.count + i), int32_t(r),
                                kWarpSize, gpu::ShuffleMode::IDX)
                                .getShuffleResult());
          pairExtra.push_back(atRow);
        }
      }
      for (int64_t f = 0; f < F; ++f)
        for (int64_t r = 0; r < maxRows; ++r) {
          SmallVector<Value> sums = pairHalf ? all[f * maxRows + r] : sumsOf(f, r);
          Value mine = arith::AndIOp::create(
              b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, cIdx(b, 0)),
              ult(b, cIdx(b, r), rows));
          if (F > 1)
            mine = arith::AndIOp::create(b, mine, ult(b, js[f], M));
          auto store = [&](Builder &b, const GemvRange &range) {
            if (!range.pairHalf)
              return range.store(b, cIdx(b, r), js[f], sums);
            if (f >= P)
              return;
            SmallVector<Value> pair(sums);
            pair.append(all[(f + P) * maxRows + r]);
            if (nPairValues)
              pair.append(pairExtra[f * maxRows + r]);
            range.store(b, cIdx(b, r), js[f], pair);
          };
          ifThen(b, mine, [&](Builder &b) {
            if (ranges.size() == 1)
              return store(b, ranges.front());
            for (int64_t k = 0; k < int64_t(ranges.size()); ++k)
              ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, rangeIdx, cIdx(b, k)),
                     [&](Builder &b) { store(b, ranges[k]); });
          });
        }
    });
    gpu::TerminatorOp::create(kb);
  }

  /// Whether gemv's kernels over up to maxRows rows multiply on tensor cores
  /// (gemv-tensor-core-min-rows): bf16 weights and activations.
  bool gemvOnTensorCores(int64_t maxRows) const {
    return options.gemvTensorCoreMinRows > 0 && maxRows >= options.gemvTensorCoreMinRows &&
           options.tensorCoreMinRows > 0 &&
           weightElt.isBF16() && actElt.isBF16();
  }

  /// gemv on tensor cores (mma.sync m16n8k16, bf16 operands, f32
  /// accumulators), for several rows: there CUDA-core FMAs, rows of them
  /// per weight, bound the kernel long before the weight bytes do (16 rows:
  /// 4% of the copy rate). A block of W warps (gemvTensorCoreWarps) per 16 outputs of
  /// one range (8 pairs in a range of pairs: A rows g and g + 8 are a pair's
  /// halves), the warps splitting K into steps of 32 (warp w takes steps w,
  /// w + W, ...). Weights are the A operand, rows the B operand
  /// (n-tiles of 8 rows). Lane (g, t) = (lane / 4, lane % 4) loads 16 bytes
  /// of weight rows g and g + 8 at k = 8t..8t+7 of the step and 16 bytes of
  /// row g's activations at the same k: a dot product does not care about
  /// the order of k, so the step's first MMA takes physical k 8t + 0, 1 and
  /// 8t + 2, 3 as its logical 2t, 2t+1 and 2t+8, 2t+9, the second MMA 8t +
  /// 4..7, and both operands come straight from 16-byte global loads. Inputs
  /// that are no bf16 values (f32 scratch, or rows times the norm's gain)
  /// are split into bf16 hi + lo, two MMAs, as in the tensor-core GEMMs
  /// (matmul-input-rounding=all: rounded, one). The warps' partial tiles (and,
  /// with `normGain`, each row's partial sums of squares) meet in workgroup
  /// memory and warp 0 stores: lane (g, t) holds outputs g and g + 8 of rows
  /// 2t and 2t + 1 of each n-tile.
  /// Warps of a tensor-core GEMV block over `tiles` blocks: the option,
  /// or 16 where the grid has fewer blocks than multiprocessors (the
  /// 1664-output projections' 104), so that each warp's share of K fits in
  /// one or two iterations of loads; else 8 (gate/up at 16 warps, 128
  /// registers a thread, spills).
  int64_t gemvTensorCoreWarps(int64_t tiles) const {
    if (options.gemvTensorCoreWarps > 0)
      return options.gemvTensorCoreWarps;
    return tiles < options.multiprocessors ? 16 : 8;
  }
  void gemvTensorCore(Builder &b, const Twine &name, Buf in, Value rows, int64_t maxRows,
                      int64_t K, ArrayRef<GemvRange> ranges, Value normGain,
                      const GemvPairValues &pairValues) {
    SmallVector<int64_t> firstTiles{0};
    for (const GemvRange &range : ranges)
      firstTiles.push_back(firstTiles.back() + llvm::divideCeil(range.M, 16));
    const int64_t tiles = firstTiles.pop_back_val();
    const int64_t W = gemvTensorCoreWarps(tiles);
    const int64_t nTiles = llvm::divideCeil(maxRows, 8);
    const int64_t nw = ranges.front().weights.size();
    const int64_t chunks = K / 8, steps = llvm::divideCeil(chunks, 4);
    const bool bf16In = in.elementType().isBF16() && !normGain;
    // K steps a lane loads at once (2 vectors of each matrix a step: rows g
    // and g + 8). One matrix takes gemv-loads-in-flight steps, unless it
    // also holds the hi and lo of 16 rows (the fused norm's inputs);
    // otherwise gemv-loads-in-flight vectors over all matrices. Measured on
    // an H200 (PHOTON-600M): 8 steps against 4 took QKV's 4-row GEMV
    // from 13.4 to 12.3 us and down's from 9.4 to 8.8, but QKV's 16-row one
    // from 22.1 to 23.6; gate and up at 4 steps each 12.8 against 12.1 at 2.
    const int64_t budget = nw == 1 && (nTiles == 1 || bf16In)
                               ? options.gemvLoadsInFlight
                               : options.gemvLoadsInFlight / (2 * nw);
    const int64_t unroll = std::clamp<int64_t>(budget, 1, llvm::divideCeil(steps, W));
    const int64_t iterations = llvm::divideCeil(steps, W * unroll);
    const bool ragged = iterations * W * unroll * 4 != chunks;
    const bool split = !bf16In && !roundsInput(in);
    const int64_t pairHalf = pairHalfOf(ranges);
    assert(llvm::all_of(ranges, [&](const GemvRange &r) { return int64_t(r.weights.size()) == nw; }) &&
           "ranges read equally many matrices");
    Type f32 = b.getF32Type(), bf16 = b.getBF16Type(), i32 = b.getI32Type();
    // Per (warp, value, lane) in workgroup memory: the accumulators of
    // (weight matrix m, n-tile n) at (m · nTiles + n) · 4, then a sum of
    // squares per n-tile.
    const int64_t nAcc = nw * nTiles * 4, nValues = nAcc + (normGain ? nTiles : 0);
    Value one = cIdx(b, 1);
    auto launch = gpu::LaunchOp::create(
        b, cIdx(b, tiles), one, one, cIdx(b, W * kWarpSize), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{},
        TypeRange{workgroupBuffer({W * nValues * kWarpSize}, f32)});
    nameKernel(launch, name);
    if (options.programmaticLaunch)
      launch->setAttr(kGridWaitPlaced, UnitAttr::get(ctx));
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    prefetchNextWeights(kb, launch);
    Value partials = launch.getWorkgroupAttributions()[0];
    Value tid = launch.getThreadIds().x, block = launch.getBlockIds().x;
    Value lane = remU(kb, tid, kWarpSize), warp = divU(kb, tid, kWarpSize);
    Value g = divU(kb, lane, 4), t = remU(kb, lane, 4);
    // The block's range (uniform): its tile, outputs and weight matrices.
    auto byRange = rangeSelector(kb, block, firstTiles);
    Value rangeIdx = byRange([&](int64_t k) { return cIdx(kb, k); });
    Value tile = arith::SubIOp::create(kb, block, byRange([&](int64_t k) { return cIdx(kb, firstTiles[k]); }));
    Value lastJ = byRange([&](int64_t k) { return cIdx(kb, ranges[k].M - 1); });
    // Output of A row g + 8 · half: in a plain range 16 consecutive
    // outputs, in a range of pairs half `half` of pair 8 · tile + g.
    auto plainOutput = [&](Builder &b, int64_t half) { return addI(b, addI(b, mulI(b, tile, 16), g), 8 * half); };
    auto pairedOutput = [&](Builder &b, int64_t half) -> Value {
      Value pair = addI(b, mulI(b, tile, 8), g);
      return addI(b, addI(b, mulI(b, divU(b, pair, pairHalf), 2 * pairHalf), remU(b, pair, pairHalf)),
                  half * pairHalf);
    };
    Value isPaired = pairHalf ? byRange([&](int64_t k) -> Value {
      return arith::ConstantIntOp::create(kb, kb.getI1Type(), ranges[k].pairHalf != 0);
    }) : Value();
    // Weight rows (matrix m, half h) at m · 2 + h; outputs past the range's
    // end reread its last and are not stored.
    SmallVector<Value> rowW;
    for (int64_t m = 0; m < nw; ++m) {
      Value wm = byRange([&](int64_t k) { return ranges[k].weights[m]; });
      for (int64_t h = 0; h < 2; ++h) {
        Value j = plainOutput(kb, h);
        if (pairHalf)
          j = arith::SelectOp::create(kb, isPaired, pairedOutput(kb, h), j);
        rowW.push_back(addI(kb, wm, mulI(kb, arith::MinUIOp::create(kb, j, lastJ), K)));
      }
    }
    // Row g of n-tile n; rows past `rows` reread the last and are not stored.
    Value last = arith::SubIOp::create(kb, rows, one);
    SmallVector<Value> rowIn;
    for (int64_t n = 0; n < nTiles; ++n)
      rowIn.push_back(addI(kb, in.base, mulI(kb, arith::MinUIOp::create(kb, addI(kb, g, 8 * n), last), K)));
    auto vecOf = [](int64_t n, Type t) { return VectorType::get({n}, t); };
    // A vector of 8 bf16 as the 4 i32 registers of MMA operands.
    auto registers = [&](Builder &b, Value v) {
      Value words = vector::BitCastOp::create(b, vecOf(4, i32), v);
      SmallVector<Value, 4> regs;
      for (int64_t i = 0; i < 4; ++i)
        regs.push_back(vector::ExtractOp::create(b, words, i));
      return regs;
    };
    // RoPE's cos and sin (the pair values) of the pairs warp 0 stores, for
    // rows 2t + e of n-tile n at (2n + e) · count after the loop's partial
    // sums: computed in the first iteration, while its weight loads are in
    // flight (after the wait for the previous kernel, which may write what
    // they read), not after the loop.
    const int64_t nPairValues = pairHalf ? nTiles * 2 * pairValues.count : 0;
    SmallVector<Value> init(nValues + nPairValues, cF32(kb, 0));
    auto pairRow = [&](Builder &b, int64_t n, int64_t e) {
      return addI(b, addI(b, mulI(b, t, 2), e), 8 * n);
    };
    auto loop = scf::ForOp::create(
        kb, cIdx(kb, 0), cIdx(kb, iterations), one, init,
        [&](OpBuilder &ob, Location loc, Value it, ValueRange accIn) {
          Builder b(loc, ob);
          SmallVector<Value> acc(accIn.begin(), accIn.end());
          SmallVector<Value> at, inside;
          SmallVector<SmallVector<Value, 4>> wRegs; // (step u, matrix m, half h)
          for (int64_t u = 0; u < unroll; ++u) {
            Value step = addI(b, mulI(b, addI(b, mulI(b, it, unroll), u), W), warp);
            Value c = addI(b, mulI(b, step, 4), t);
            Value ok = ragged ? ult(b, c, cIdx(b, chunks)) : Value();
            if (ok)
              c = arith::SelectOp::create(b, ok, c, cIdx(b, 0));
            at.push_back(mulI(b, c, 8));
            inside.push_back(ok);
            for (Value row : rowW)
              wRegs.push_back(registers(
                  b, vector::LoadOp::create(b, vecOf(8, bf16), weights, ValueRange{addI(b, row, at.back())},
                                            /*nontemporal=*/false, llvm::MaybeAlign(16))));
          }
          // Every weight load of the group before the first MMA; with
          // programmatic launch also before the wait for the previous kernel
          // (weights are never written).
          if (options.programmaticLaunch)
            gridDependencyWait(b, loc);
          if (nPairValues)
            inFirstIteration(b, it, MutableArrayRef(acc).slice(nValues, nPairValues), [&](Builder &b) {
              SmallVector<Value> values;
              for (int64_t n = 0; n < nTiles; ++n)
                for (int64_t e = 0; e < 2; ++e)
                  llvm::append_range(values, pairValues.compute(b, arith::MinUIOp::create(b, pairRow(b, n, e), last),
                                                                pairedOutput(b, 0)));
              return values;
            });
          for (int64_t u = 0; u < unroll; ++u) {
            Value gain;
            if (normGain) {
              gain = vector::LoadOp::create(b, vecOf(8, bf16), weights, ValueRange{addI(b, normGain, at[u])},
                                            /*nontemporal=*/false, llvm::MaybeAlign(16));
              gain = arith::ExtFOp::create(b, vecOf(8, f32), gain);
            }
            for (int64_t n = 0; n < nTiles; ++n) {
              Value x = vector::LoadOp::create(b, vecOf(8, in.elementType()), in.mem,
                                               ValueRange{addI(b, rowIn[n], at[u])},
                                               /*nontemporal=*/false,
                                               llvm::MaybeAlign(gemvInputAlignment(in)));
              SmallVector<Value, 4> hi, lo;
              if (bf16In) {
                if (inside[u])
                  x = orZero(b, inside[u], x);
                hi = registers(b, x);
              } else {
                if (!in.elementType().isF32())
                  x = arith::ExtFOp::create(b, vecOf(8, f32), x);
                if (inside[u])
                  x = orZero(b, inside[u], x);
                if (gain) {
                  for (int64_t e = 0; e < 8; ++e) {
                    Value xe = vector::ExtractOp::create(b, x, e);
                    acc[nAcc + n] = math::FmaOp::create(b, xe, xe, acc[nAcc + n]);
                  }
                  x = mulF(b, x, gain);
                }
                if (roundsInput(in))
                  x = roundedToBF16(b, x);
                auto [xHi, xLo] = splitBF16(b, x, split);
                hi = registers(b, xHi);
                if (split)
                  lo = registers(b, xLo);
              }
              for (int64_t m = 0; m < nw; ++m) {
                ArrayRef<Value> r0 = wRegs[(u * nw + m) * 2], r8 = wRegs[(u * nw + m) * 2 + 1];
                Value *tileAcc = &acc[(m * nTiles + n) * 4];
                for (int64_t kk = 0; kk < 2; ++kk) {
                  SmallVector<Value> a{r0[2 * kk], r8[2 * kk], r0[2 * kk + 1], r8[2 * kk + 1]};
                  mmaBF16(b, a, ValueRange{hi[2 * kk], hi[2 * kk + 1]}, tileAcc);
                  if (split)
                    mmaBF16(b, a, ValueRange{lo[2 * kk], lo[2 * kk + 1]}, tileAcc);
                }
              }
            }
          }
          scf::YieldOp::create(b, acc);
        });
    auto slot = [&](Builder &b, Value w, int64_t v) {
      return addI(b, mulI(b, addI(b, mulI(b, w, nValues), v), kWarpSize), lane);
    };
    for (int64_t v = 0; v < nValues; ++v)
      memref::StoreOp::create(kb, loop.getResult(v), partials, ValueRange{slot(kb, warp, v)});
    gpu::BarrierOp::create(kb);
    // A whole warp takes the branch, so its shuffles stay converged.
    ifThen(kb, arith::CmpIOp::create(kb, arith::CmpIPredicate::eq, warp, cIdx(kb, 0)), [&](Builder &b) {
      SmallVector<Value> total;
      for (int64_t v = 0; v < nValues; ++v) {
        Value sum = memref::LoadOp::create(b, partials, ValueRange{slot(b, cIdx(b, 0), v)});
        for (int64_t w = 1; w < W; ++w)
          sum = addF(b, sum, memref::LoadOp::create(b, partials, ValueRange{slot(b, cIdx(b, w), v)}));
        total.push_back(sum);
      }
      // 1 / rms of rows 2t and 2t + 1 of each n-tile: row g's sum of squares
      // over the lanes of group g, then from lanes 4 · 2t and 4 · (2t + 1).
      SmallVector<Value> invRms; // (n-tile n, row 2t + e) at 2n + e
      for (int64_t n = 0; normGain && n < nTiles; ++n) {
        Value sq = total[nAcc + n];
        for (int32_t off : {1, 2})
          sq = addF(b, sq, gpu::ShuffleOp::create(b, sq, off, kWarpSize, gpu::ShuffleMode::XOR)
                               .getShuffleResult());
        for (int64_t e = 0; e < 2; ++e) {
          Value from = arith::IndexCastOp::create(b, i32, mulI(b, addI(b, mulI(b, t, 2), e), 4));
          Value rowSq = gpu::ShuffleOp::create(b, sq, from, arith::ConstantIntOp::create(b, i32, kWarpSize),
                                               gpu::ShuffleMode::IDX)
                            .getShuffleResult();
          Value mean = divF(b, rowSq, cF32(b, double(K)));
          invRms.push_back(math::RsqrtOp::create(b, addF(b, mean, cF32(b, c.rmsNormEps))));
        }
      }
      for (int64_t n = 0; n < nTiles; ++n)
        for (int64_t e = 0; e < 2; ++e) {
          Value r = pairRow(b, n, e);
          // The dot products of A row g + 8 · half and row r, one per matrix.
          auto sumsOf = [&](Builder &b, int64_t half) {
            SmallVector<Value> sums;
            for (int64_t m = 0; m < nw; ++m) {
              Value s = total[(m * nTiles + n) * 4 + half * 2 + e];
              sums.push_back(normGain ? mulF(b, s, invRms[2 * n + e]) : s);
            }
            return sums;
          };
          auto store = [&](Builder &b, const GemvRange &range) {
            Value inRows = ult(b, r, rows), M = cIdx(b, range.M);
            if (range.pairHalf) {
              Value j = pairedOutput(b, 0);
              ifThen(b, arith::AndIOp::create(b, inRows, ult(b, j, M)), [&](Builder &b) {
                SmallVector<Value> pair = sumsOf(b, 0);
                pair.append(sumsOf(b, 1));
                for (int64_t i = 0; i < pairValues.count; ++i)
                  pair.push_back(loop.getResult(nValues + (2 * n + e) * pairValues.count + i));
                range.store(b, r, j, pair);
              });
              return;
            }
            for (int64_t half = 0; half < 2; ++half) {
              Value j = plainOutput(b, half);
              ifThen(b, arith::AndIOp::create(b, inRows, ult(b, j, M)),
                     [&](Builder &b) { range.store(b, r, j, sumsOf(b, half)); });
            }
          };
          if (ranges.size() == 1) {
            store(b, ranges.front());
            continue;
          }
          for (int64_t k = 0; k < int64_t(ranges.size()); ++k)
            ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, rangeIdx, cIdx(b, k)),
                   [&](Builder &b) { store(b, ranges[k]); });
        }
    });
    gpu::TerminatorOp::create(kb);
  }

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

  /// The rows a projection of `in` reads: `in`, or with `norm` its normed
  /// rows, written by a norm kernel launched here (in bf16 with `wide`, for
  /// wide projections alone, when their inputs are rounded).
  Buf normed(Builder &b, Buf in, Value rows, int64_t K, const std::optional<NormFirst> &norm,
             bool wide = false) {
    if (!norm)
      return in;
    Buf out = wide && wideInputsRounded() ? norm->rounded : norm->out;
    rmsNorm(b, in, out, rows, K, norm->gain);
    return out;
  }

  /// Whether the wide projections (those no GEMV computes: prefill, batched
  /// decode) read bf16 inputs (matmul-input-rounding gemm or all, bf16
  /// activations, on tensor cores): their producers write them in bf16, or
  /// a copy rounds them, so the GEMMs load both operands with cp.async.
  bool wideInputsRounded() const {
    return gpu && actElt.isBF16() && weightElt.isBF16() && options.tensorCoreMinRows > 0 &&
           options.matmulInputRounding != MatmulInputRounding::None;
  }

  /// Whether GEMVs over K-wide rows apply `norm` on the way in (fuse-norm):
  /// whole 16-byte vectors of the gain, and no rounding of the normed rows
  /// (matmul-input-rounding=all rounds them before the projection, which needs
  /// their 1 / rms before the first product).
  bool gemvFusesNorm(int64_t K, const NormFirst &norm) const {
    return options.fuseNorm && options.matmulInputRounding != MatmulInputRounding::All &&
           gemvApplies(K, norm.gain.align);
  }

  /// A projection of `in` (normed first with `norm`) that may be a GEMV
  /// (every weight matrix `aligned`): on the host, `gemv(in, maxRows, gain)`
  /// for the GEMV's rows (gemvOrWide) — with fuse-norm `in` raw and the gain
  /// offset, else the normed rows and no gain — otherwise `wide(normed rows)`.
  void projectRows(Builder &b, Buf in, Value rows, int64_t K, std::optional<NormFirst> norm,
                   Value aligned, function_ref<void(Builder &, Buf, int64_t, Value)> gemv,
                   function_ref<void(Builder &, Buf)> wide) {
    bool fuse = norm && gemvFusesNorm(K, *norm);
    if (!fuse)
      in = normed(b, in, rows, K, norm);
    aligned = arith::AndIOp::create(b, aligned,
                                    alignedTo(b, in.mem, in.base, gemvInputAlignment(in)));
    if (fuse)
      aligned = arith::AndIOp::create(b, aligned, alignedTo(b, weights, norm->gain.at, 16));
    gemvOrWide(
        b, rows, aligned,
        [&](Builder &b, int64_t maxRows) { gemv(b, in, maxRows, fuse ? norm->gain.at : Value()); },
        [&](Builder &b) { wide(b, fuse ? normed(b, in, rows, K, norm, /*wide=*/true) : in); });
  }

  /// Projections of one input (Q, K and V), normed first with `norm`.
  /// fuse-qkv: one kernel (photon_gemv_<tag>... at decode, a GEMV whose
  /// output ranges read their own weight matrices; photon_mma..._<tag>_...
  /// on tensor cores above); otherwise a matmul each.
  void matmulShared(Builder &b, StringRef tag, Buf in, Value rows, int64_t K,
                    ArrayRef<Projection> ps, std::optional<NormFirst> norm,
                    function_ref<void(Builder &)> afterOutputs = nullptr,
                    const GemvPairValues &pairValues = {}) {
    if (!options.fuseQkv) {
      Buf x = normed(b, in, rows, K, norm);
      for (const Projection &p : ps)
        matmulNT(b, x, p.out, rows, p.M, K, p.w);
      if (afterOutputs)
        afterOutputs(b);
      return;
    }
    // More rows: one tensor-core kernel where the projections may take them
    // and write one buffer; else a kernel each.
    auto wideOutputs = [&](Builder &b, Buf in) {
      SmallVector<int64_t> aligns;
      SmallVector<Value> ws;
      for (const Projection &p : ps) {
        aligns.push_back(p.w.align);
        ws.push_back(p.w.at);
      }
      bool oneBuffer = llvm::all_of(ps, [&](const Projection &p) { return p.out.mem == ps[0].out.mem; });
      if (!oneBuffer || tensorCoreKernel == TensorCoreKernel::Tile64 || !tensorCoresApply(K, aligns)) {
        for (const Projection &p : ps)
          matmulWide(b, in, p.out, rows, p.M, K, p.w.at, p.w.align, Value(), false);
        return;
      }
      ifElse(
          b, tensorCoresUse(b, in, rows, ws),
          [&](Builder &b) { matmulSharedTensorCore(b, tag, in, rows, K, ps); },
          [&](Builder &b) {
            for (const Projection &p : ps)
              matmulLanes(b, in, p.out, rows, p.M, K, p.w.at, Value(), false);
          });
    };
    auto wide = [&](Builder &b, Buf in) {
      wideOutputs(b, in);
      if (afterOutputs)
        afterOutputs(b);
    };
    if (!llvm::all_of(ps, [&](const Projection &p) { return gemvApplies(K, p.w.align); }))
      return wide(b, normed(b, in, rows, K, norm, /*wide=*/true));
    Value aligned = alignedTo(b, weights, ps[0].w.at, 16);
    int64_t total = ps[0].M;
    for (const Projection &p : ps.drop_front()) {
      aligned = arith::AndIOp::create(b, aligned, alignedTo(b, weights, p.w.at, 16));
      total += p.M;
    }
    projectRows(
        b, in, rows, K, norm, aligned,
        [&](Builder &b, Buf in, int64_t maxRows, Value gain) {
          SmallVector<GemvRange> ranges;
          for (const Projection &p : ps) {
            GemvRange range{p.M, {p.w.at}, p.gemvStore, p.pairHalf};
            if (!range.store)
              range.store = [p, this](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
                storeOutput(b, p.out, p.M, r, j, sums[0], Value(), false);
              };
            ranges.push_back(range);
          }
          gemv(b, tag + Twine(gain ? "_norm" : "") + "_r" + Twine(maxRows) + "_" + shape(total, K),
               in, rows, maxRows, K, ranges, gain, pairValues);
        },
        wide);
  }

  /// Projections of one input as one tensor-core kernel (tile128): column n
  /// belongs to the projection whose range holds it (the first ps[0].M
  /// columns to ps[0], ...), reads that projection's weight row and stores
  /// to its output (all in one buffer).
  void matmulSharedTensorCore(Builder &b, StringRef tag, Buf in, Value rows, int64_t K,
                              ArrayRef<Projection> ps) {
    SmallVector<int64_t> firsts{0};
    for (const Projection &p : ps)
      firsts.push_back(firsts.back() + p.M);
    const int64_t total = firsts.pop_back_val();
    // The projection's value for column n: `value(k)` of the last k whose
    // range starts at or before n.
    auto byColumn = [&](Builder &b, Value n, function_ref<Value(int64_t)> value) {
      Value v = value(0);
      for (int64_t k = 1; k < int64_t(ps.size()); ++k)
        v = arith::SelectOp::create(
            b, arith::CmpIOp::create(b, arith::CmpIPredicate::uge, n, cIdx(b, firsts[k])),
            value(k), v);
      return v;
    };
    auto local = [&](Builder &b, Value n) {
      return arith::SubIOp::create(b, n, byColumn(b, n, [&](int64_t k) { return cIdx(b, firsts[k]); }));
    };
    const int64_t tileCols = mmaTileCols(total);
    MmaColumns columns{
        total,
        [&](Builder &b, Value n) {
          return addI(b, byColumn(b, n, [&](int64_t k) { return ps[k].w.at; }),
                      mulI(b, local(b, n), K));
        },
        [&](Builder &b, Value row0, Value col0, Value lane, int64_t mTiles, int64_t nTiles,
            ValueRange acc) {
          forMmaTiles(b, rows, cIdx(b, total), row0, col0, lane, mTiles, nTiles,
                      [&](Builder &b, Value row, Value col, int64_t i) {
                        Value base = byColumn(b, col, [&](int64_t k) { return ps[k].out.base; });
                        Value width = byColumn(b, col, [&](int64_t k) { return cIdx(b, ps[k].M); });
                        Buf out{ps[0].out.mem, base};
                        out.store(b, acc[i], addI(b, mulI(b, row, width), local(b, col)));
                      });
        }};
    matmulTensorCoreTile128(b, Twine(tag) + "_" + shape(total, K), in, rows, K, columns, tileCols);
  }

  static Value silu(Builder &b, Value g) {
    return mulF(b, g, divF(b, cF32(b, 1.0),
                           addF(b, cF32(b, 1.0), math::ExpOp::create(b, arith::NegFOp::create(b, g)))));
  }

  /// G = silu(x · Wgᵀ) · (x · Wuᵀ), SwiGLU over F features, x the rows of
  /// `in` normed first with `norm`. fuse-gate-up: one kernel (at decode a
  /// GEMV whose warps read a row of each matrix and store the product; on
  /// tensor cores above, gateUpTensorCore); otherwise two matmuls (into G
  /// and U) and an elementwise kernel.
  void gateUpSwiGLU(Builder &b, Buf in, Value rows, int64_t F, int64_t K, WeightRef gate,
                    WeightRef up, Buf G, Buf U, std::optional<NormFirst> norm) {
    using Matmul = function_ref<void(Builder &, Buf, Buf, WeightRef)>;
    auto unfused = [&](Builder &b, Buf in, Matmul matmul) {
      matmul(b, in, G, gate);
      matmul(b, in, U, up);
      swiGlu(b, G, U, rows, F);
    };
    auto matmulWideOf = [&](Builder &b, Buf in, Buf out, WeightRef w) {
      matmulWide(b, in, out, rows, F, K, w.at, w.align, Value(), false);
    };
    auto wide = [&](Builder &b, Buf in) {
      if (tensorCoreKernel == TensorCoreKernel::Tile64 ||
          !tensorCoresApply(K, {gate.align, up.align}))
        return unfused(b, in, matmulWideOf);
      ifElse(
          b, tensorCoresUse(b, in, rows, {gate.at, up.at}),
          [&](Builder &b) { gateUpTensorCore(b, in, rows, F, K, gate.at, up.at, G); },
          [&](Builder &b) {
            unfused(b, in, [&](Builder &b, Buf in, Buf out, WeightRef w) {
              matmulLanes(b, in, out, rows, F, K, w.at, Value(), false);
            });
          });
    };
    if (!options.fuseGateUp)
      return unfused(b, normed(b, in, rows, K, norm), [&](Builder &b, Buf in, Buf out, WeightRef w) {
        matmulNT(b, in, out, rows, F, K, w);
      });
    if (!gemvApplies(K, gate.align) || !gemvApplies(K, up.align))
      return wide(b, normed(b, in, rows, K, norm, /*wide=*/true));
    projectRows(
        b, in, rows, K, norm,
        arith::AndIOp::create(b, alignedTo(b, weights, gate.at, 16),
                              alignedTo(b, weights, up.at, 16)),
        [&](Builder &b, Buf in, int64_t maxRows, Value gain) {
          gateUpGemv(b, in, rows, maxRows, F, K, gate.at, up.at, G, gain);
        },
        wide);
  }

  /// G = silu(G) · U over rows x F.
  void swiGlu(Builder &b, Buf G, Buf U, Value rows, int64_t F) {
    parallel(b, "photon_swiglu_" + Twine(F), {rows, cIdx(b, F)}, [&](Builder &b, ValueRange iv) {
      Value i = addI(b, mulI(b, iv[0], F), iv[1]);
      G.store(b, mulF(b, silu(b, G.load(b, i)), U.load(b, i)), i);
    });
  }

  /// Gate, up and SwiGLU as one GEMV over up to maxRows rows of `in` (raw,
  /// normed with `gain` when given).
  void gateUpGemv(Builder &b, Buf in, Value rows, int64_t maxRows, int64_t F, int64_t K,
                  Value gate, Value up, Buf G, Value gain) {
    gemv(b, "gate_up" + Twine(gain ? "_norm" : "") + "_r" + Twine(maxRows) + "_" + shape(F, K), in,
         rows, maxRows, K,
         {GemvRange{F, {gate, up},
                    [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
                      G.store(b, mulF(b, silu(b, sums[0]), sums[1]), addI(b, mulI(b, r, F), j));
                    }}},
         gain);
  }

  /// The MLP: x += down(SwiGLU(gate/up(rmsnorm(x)))). With wideInputsRounded
  /// and the default fusions, one choice on the host covers the whole MLP
  /// (GEMVs, or wide kernels), so the wide gate/up kernel can leave SwiGLU's
  /// output in bf16 (`Gr`, over G's bytes) for the down GEMM to load with
  /// cp.async; otherwise gateUpSwiGLU, then matmulNT.
  void mlp(Builder &b, Buf X, Value rows, int64_t F, int64_t D, WeightRef gate, WeightRef up,
           WeightRef down, Buf G, Buf U, Buf Gr, const NormFirst &norm) {
    const bool oneChoice =
        wideInputsRounded() && options.fuseGateUp && tensorCoreKernel != TensorCoreKernel::Tile64 &&
        gemvApplies(D, gate.align) && gemvApplies(D, up.align) && gemvApplies(F, down.align) &&
        gemvFusesNorm(D, norm) && tensorCoresApply(D, {gate.align, up.align}) &&
        tensorCoresApply(F, {down.align});
    if (!oneChoice) {
      withNextWeights({{down, D * F}}, [&] { gateUpSwiGLU(b, X, rows, F, D, gate, up, G, U, norm); });
      matmulNT(b, G, X, rows, D, F, down, std::nullopt, /*accumulate=*/true);
      return;
    }
    Value aligned = arith::AndIOp::create(b, alignedTo(b, X.mem, X.base, gemvInputAlignment(X)),
                                          alignedTo(b, G.mem, G.base, gemvInputAlignment(G)));
    for (Value w : {gate.at, up.at, down.at, norm.gain.at})
      aligned = arith::AndIOp::create(b, aligned, alignedTo(b, weights, w, 16));
    gemvOrWide(
        b, rows, aligned,
        [&](Builder &b, int64_t maxRows) {
          withNextWeights({{down, D * F}}, [&] {
            gateUpGemv(b, X, rows, maxRows, F, D, gate.at, up.at, G, norm.gain.at);
          });
          matmulGemv(b, G, X, rows, maxRows, D, F, down.at, Value(), /*accumulate=*/true);
        },
        [&](Builder &b) {
          Buf h = normed(b, X, rows, D, norm, /*wide=*/true);
          Value use = arith::AndIOp::create(b, tensorCoresUse(b, h, rows, {gate.at, up.at}),
                                            tensorCoresUse(b, Gr, rows, {down.at}));
          ifElse(
              b, use,
              [&](Builder &b) {
                gateUpTensorCore(b, h, rows, F, D, gate.at, up.at, Gr);
                matmulTensorCore(b, Gr, X, rows, D, F, down.at, Value(), /*accumulate=*/true);
              },
              [&](Builder &b) {
                matmulLanes(b, h, G, rows, F, D, gate.at, Value(), false);
                matmulLanes(b, h, U, rows, F, D, up.at, Value(), false);
                swiGlu(b, G, U, rows, F);
                matmulLanes(b, G, X, rows, D, F, down.at, Value(), /*accumulate=*/true);
              });
        });
  }

  /// Gate, up and SwiGLU as one tensor-core kernel (tile128): a tile's
  /// columns are half gate rows, half up rows of the same features, so that
  /// every warp's 32 columns are 16 features' gate (n-tiles 0, 1) then their
  /// up (n-tiles 2, 3), and a thread holds gate and up of the same (row,
  /// feature) in its accumulators: the epilogue stores silu(gate) · up.
  void gateUpTensorCore(Builder &b, Buf in, Value rows, int64_t F, int64_t K, Value gate,
                        Value up, Buf G) {
    constexpr int64_t kWarpCols = 32, kHalf = kWarpCols / 2;
    const int64_t tileCols = mmaTileCols(2 * F), tileFeatures = tileCols / 2;
    const int64_t tiles = llvm::divideCeil(F, tileFeatures);
    // Column n: feature (n / tileCols) · tileFeatures + warp column group ·
    // 16 + n % 16; up where n % 32 >= 16.
    auto feature = [&](Builder &b, Value n) {
      Value s = remU(b, n, tileCols);
      return addI(b, addI(b, mulI(b, divU(b, n, tileCols), tileFeatures), mulI(b, divU(b, s, kWarpCols), kHalf)),
                  remU(b, s, kHalf));
    };
    MmaColumns columns{
        tiles * tileCols,
        [&](Builder &b, Value n) {
          Value isUp = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, remU(b, n, kWarpCols),
                                             cIdx(b, kHalf));
          // Features past F (the last tile) read the last row; not stored.
          Value j = arith::MinUIOp::create(b, feature(b, n), cIdx(b, F - 1));
          return addI(b, arith::SelectOp::create(b, isUp, up, gate), mulI(b, j, K));
        },
        [&](Builder &b, Value row0, Value col0, Value lane, int64_t mTiles, int64_t nTiles,
            ValueRange acc) {
          assert(nTiles * 8 == kWarpCols && "a warp's columns: 16 gate, then 16 up");
          // Gate n-tiles 0 and 1; the matching up accumulators are 2 n-tiles on.
          forMmaTiles(b, rows, cIdx(b, tiles * tileCols), row0, col0, lane, mTiles, nTiles / 2,
                      [&](Builder &b, Value row, Value col, int64_t i) {
                        int64_t mi = i / (nTiles / 2 * 4), rest = i % (nTiles / 2 * 4);
                        int64_t gi = mi * nTiles * 4 + rest, ui = gi + nTiles / 2 * 4;
                        Value j = feature(b, col);
                        ifThen(b, ult(b, j, cIdx(b, F)), [&](Builder &b) {
                          G.store(b, mulF(b, silu(b, acc[gi]), acc[ui]), addI(b, mulI(b, row, F), j));
                        });
                      });
        }};
    matmulTensorCoreTile128(b, "gate_up_" + shape(F, K), in, rows, K, columns, tileCols);
  }

  /// Stores a warp's mma.sync results: mTiles x nTiles m16n8 tiles from
  /// (row0, col0), tile (mi, ni) in acc[(mi · nTiles + ni) · 4 ..], within
  /// rows and mLimit. Accumulator v of a tile: row lane/4 (+8 for v >= 2),
  /// column 2 (lane % 4) + v % 2.
  void storeMmaTiles(Builder &kb, Buf out, int64_t M, Value rows, Value mLimit, Value row0,
                     Value col0, Value lane, int64_t mTiles, int64_t nTiles, ValueRange acc,
                     Value bOff, bool accumulate) {
    forMmaTiles(kb, rows, mLimit, row0, col0, lane, mTiles, nTiles,
                [&](Builder &b, Value row, Value col, int64_t i) {
                  storeOutput(b, out, M, row, col, acc[i], bOff, accumulate);
                });
  }
  /// Calls `store` with (row, column, index in the accumulators) for each
  /// element of the tiles inside rows x mLimit.
  void forMmaTiles(Builder &kb, Value rows, Value mLimit, Value row0, Value col0, Value lane,
                   int64_t mTiles, int64_t nTiles,
                   function_ref<void(Builder &, Value, Value, int64_t)> store) {
    for (int64_t mi = 0; mi < mTiles; ++mi)
      for (int64_t ni = 0; ni < nTiles; ++ni)
        for (int64_t v = 0; v < 4; ++v) {
          Value row = addI(kb, row0, addI(kb, divU(kb, lane, 4), mi * 16 + (v / 2) * 8));
          Value col = addI(kb, col0, addI(kb, mulI(kb, remU(kb, lane, 4), 2), ni * 8 + v % 2));
          Value inside = arith::AndIOp::create(kb, ult(kb, row, rows), ult(kb, col, mLimit));
          ifThen(kb, inside,
                 [&](Builder &gb) { store(gb, row, col, (mi * nTiles + ni) * 4 + v); });
        }
  }

  /// Stores out[row, col] = acc (+ bias[col]) (+ out[row, col]).
  void storeOutput(Builder &b, Buf out, int64_t M, Value row, Value col, Value acc,
                   Value bOff, bool accumulate) {
    if (bOff)
      acc = addF(b, acc, loadWeight(b, bOff, col));
    Value o = addI(b, mulI(b, row, M), col);
    if (accumulate)
      acc = addF(b, acc, out.load(b, o));
    out.store(b, acc, o);
  }

  /// matmulNT with one warp per output, its lanes reading consecutive
  /// weights of row j (one "lane" on the host).
  void matmulLanes(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                   Value w, Value bOff, bool accumulate) {
    parallelLanes(b, "photon_matmul_" + shape(M, K), {rows, cIdx(b, M)},
                  [&](Builder &b, ValueRange iv, Value lane) {
      Value rowIn = mulI(b, iv[0], K), rowW = mulI(b, iv[1], K);
      Value acc = laneLoop(b, lane, cIdx(b, K), cF32(b, 0),
                           [&](Builder &b, Value k, Value acc) {
                             Value x = in.load(b, addI(b, rowIn, k));
                             if (roundsInput(in))
                               x = roundedToBF16(b, x);
                             Value wv = loadWeight(b, w, addI(b, rowW, k));
                             return addF(b, acc, mulF(b, x, wv));
                           });
      acc = laneSum(b, acc);
      onLaneZero(b, lane, [&](Builder &b) {
        storeOutput(b, out, M, iv[0], iv[1], acc, bOff, accumulate);
      });
    });
  }

  /// With programmatic launch, `launch` (a grid that fills the card) lets its
  /// successor be scheduled only at its end (kLaunchDependentsAtEnd).
  void lateDependents(gpu::LaunchOp launch) {
    if (options.programmaticLaunch)
      launch->setAttr(kLaunchDependentsAtEnd, UnitAttr::get(ctx));
  }

  /// Whether f32 inputs of projections (of a tensor-core GEMM: `gemm`) are
  /// rounded to bf16 before they meet the weights (matmul-input-rounding;
  /// bf16-activation models only).
  bool roundsInput(const Buf &in, bool gemm = false) const {
    const bool rounds = options.matmulInputRounding == MatmulInputRounding::All ||
                        (gemm && options.matmulInputRounding == MatmulInputRounding::Gemm);
    return rounds && actElt.isBF16() && in.elementType().isF32();
  }
  /// x (f32 or a vector of f32) rounded to bf16 and widened back.
  Value roundedToBF16(Builder &b, Value x) {
    Type bf16 = b.getBF16Type();
    if (auto vec = dyn_cast<VectorType>(x.getType()))
      bf16 = VectorType::get(vec.getShape(), bf16);
    Value rounded = arith::TruncFOp::create(b, bf16, x);
    return arith::ExtFOp::create(b, x.getType(), rounded);
  }
  /// x (f32, or a vector) as bf16 hi = round(x) and, when `withLo`, lo =
  /// round(x - hi): hi + lo keeps ~16 bits of x.
  std::pair<Value, Value> splitBF16(Builder &b, Value x, bool withLo) {
    Type bf16 = b.getBF16Type();
    if (auto vec = dyn_cast<VectorType>(x.getType()))
      bf16 = VectorType::get(vec.getShape(), bf16);
    Value hi = arith::TruncFOp::create(b, bf16, x);
    if (!withLo)
      return {hi, Value()};
    Value rest = subF(b, x, arith::ExtFOp::create(b, x.getType(), hi));
    return {hi, arith::TruncFOp::create(b, bf16, rest)};
  }

  /// An x4 ldmatrix from shared memory as the four i32 registers of an
  /// mma.sync operand: lane l names row l % 8 of 8x8 matrix l / 8.
  SmallVector<Value, 4> ldmatrixX4(Builder &b, Value mem, ValueRange at) {
    auto vecType = VectorType::get({4, 2}, b.getBF16Type());
    Value m = nvgpu::LdMatrixOp::create(b, vecType, mem, at, /*transpose=*/false,
                                        /*numTiles=*/4);
    SmallVector<Value, 4> regs;
    for (int64_t i = 0; i < 4; ++i)
      regs.push_back(LLVM::BitcastOp::create(b, b.getI32Type(), vector::ExtractOp::create(b, m, i)));
    return regs;
  }
  /// acc[0..3] += A (4 regs, row-major 16x16) x B (2 regs, col-major 16x8),
  /// mma.sync m16n8k16 with bf16 operands and f32 accumulators.
  /// nvvm.mma.sync, not nvgpu.mma.sync: the latter does not take bf16.
  void mmaBF16(Builder &b, ArrayRef<Value> aRegs, ValueRange bRegs, Value *acc) {
    Type f32 = b.getF32Type();
    auto accType = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    Value d = NVVM::MmaOp::create(b, accType, aRegs, bRegs, ValueRange{acc[0], acc[1], acc[2], acc[3]},
                                  {16, 8, 16}, std::nullopt, std::nullopt,
                                  std::array{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
                                  std::array{NVVM::MMALayout::row, NVVM::MMALayout::col});
    for (int64_t v = 0; v < 4; ++v)
      acc[v] = LLVM::ExtractValueOp::create(b, d, v);
  }

  /// matmulNT on tensor cores: bf16 operands, f32 accumulation.
  void matmulTensorCore(Builder &b, Buf in, Buf out, Value rows, int64_t M,
                        int64_t K, Value w, Value bOff, bool accumulate) {
    if (tensorCoreKernel == TensorCoreKernel::Tile64)
      return matmulTensorCoreTile64(b, in, out, rows, M, K, w, bOff, accumulate);
    const int64_t tileCols = mmaTileCols(M);
    MmaColumns columns{
        M, [&](Builder &b, Value n) { return addI(b, w, mulI(b, n, K)); },
        [&](Builder &b, Value row0, Value col0, Value lane, int64_t mTiles, int64_t nTiles,
            ValueRange acc) {
          storeMmaTiles(b, out, M, rows, cIdx(b, M), row0, col0, lane, mTiles, nTiles, acc, bOff,
                        accumulate);
        }};
    matmulTensorCoreTile128(b, shape(M, K), in, rows, K, columns, tileCols);
  }

  /// Output columns of a tile128 kernel: 64 a tile for up to 2048 outputs
  /// (tile128): at ~1K rows (batched decode) 128-wide tiles of such a
  /// projection would give at most 8 x 16 blocks, fewer than an H100/H200
  /// has SMs.
  int64_t mmaTileCols(int64_t M) const {
    if (tensorCoreKernel == TensorCoreKernel::Tile128x64 ||
        (tensorCoreKernel == TensorCoreKernel::Tile128 && M <= 2048))
      return 64;
    return 128;
  }

  /// The columns of a tile128 tensor-core kernel: M over the tile grid; the
  /// offset of the weight row column n < M reads; and the epilogue, which
  /// stores a warp's mTiles x nTiles m16n8 accumulator tiles from (row0,
  /// col0) (forMmaTiles' layout).
  struct MmaColumns {
    int64_t M;
    std::function<Value(Builder &, Value)> weightRow;
    std::function<void(Builder &, Value, Value, Value, int64_t, int64_t, ValueRange)> store;
  };

  /// Shared-memory stages of the wgmma GEMM: 4 of K 32 (64 KB, or 96 KB
  /// with an f32 input's lo part), 3 of K 64 (96 KB, or 144 KB): two blocks
  /// an SM where the lo part is not loaded.
  int64_t wgmmaStages() const { return options.wgmmaKStep == 64 ? 3 : 4; }

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
  /// wgmma (sm_90a): the block is two warpgroups, each computing 64 rows x
  /// tileCols with warpgroup MMAs (m64n<tileCols>k16, both operands read
  /// from the same swizzled stages through matrix descriptors, accumulators
  /// in registers), over wgmmaStages() stages in dynamic shared memory
  /// (matmulWgmmaLoop). The epilogue is the same callback: a warp's 16 rows
  /// of the accumulators are m16n8 tiles in mma.sync's layout, 32 columns a
  /// call.
  /// Kernels are named photon_wgmma128x<tileCols>_..., else photon_mma....
  void matmulTensorCoreTile128(Builder &b, const Twine &suffix, Buf in, Value rows, int64_t K,
                               const MmaColumns &columns, int64_t tileCols) {
    const int64_t M = columns.M;
    const bool wgmma = options.wgmma;
    constexpr int64_t kTile = 128; // rows of a tile
    const int64_t kStep = wgmma ? options.wgmmaKStep : 32; // K per step
    constexpr int64_t kWarpRows = 64, kWarpCols = 32; // warps as 2 x tileCols / 32
    constexpr int64_t kMmaRows = kWarpRows / 16, kMmaCols = kWarpCols / 8;
    const int64_t kChunksPerRow = kStep / 8; // 16-byte chunks of bf16
    const int64_t warpsAcross = tileCols / kWarpCols;
    const bool convert = !in.elementType().isBF16();
    const int64_t threads =
        wgmma ? (kTile / 64) * kWarpgroupSize : (kTile / kWarpRows) * warpsAcross * kWarpSize;
    const bool split = convert && !roundsInput(in, /*gemm=*/true);
    // Stages of K steps, and how many steps ahead the copies run: wgmma
    // keeps one step's MMAs in flight past the next barrier, so a stage is
    // refilled only two steps after it was read.
    const int64_t stages = wgmma ? wgmmaStages() : split ? 2 : 3;
    const int64_t ahead = wgmma ? stages - 2 : stages - 1;
    Type bf16 = b.getBF16Type();
    // One buffer [operand][stage][row][column], operands A, W (, A lo): a
    // lone shared array starts the block's shared memory, so every 16-byte
    // chunk is 16-byte aligned (the lowering declares arrays 2-byte aligned).
    // wgmma's stages pass the 48 KB of static shared memory: they are the
    // launch's dynamic shared memory (the runtime raises the kernel's limit).
    auto tilesType = workgroupBuffer({split ? 3 : 2, stages, kTile, kStep}, bf16);
    const int64_t tilesBytes = tilesType.getNumElements() * 2;
    Value one = cIdx(b, 1);
    Value rowTiles = arith::MaxUIOp::create(
        b, arith::CeilDivUIOp::create(b, rows, cIdx(b, kTile)), one);
    auto launch = gpu::LaunchOp::create(
        b, rowTiles, cIdx(b, llvm::divideCeil(M, tileCols)), one, cIdx(b, threads), one, one,
        /*dynamicSharedMemorySize=*/
        wgmma ? arith::ConstantIntOp::create(b, b.getI32Type(), tilesBytes).getResult() : Value(),
        /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{}, wgmma ? TypeRange{} : TypeRange{tilesType});
    nameKernel(launch, Twine(wgmma ? "photon_wgmma128x" : "photon_mma128x") + Twine(tileCols) + "_" +
                           suffix);
    lateDependents(launch);
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    Value tiles;
    if (wgmma) {
      auto bytes = MemRefType::get({ShapedType::kDynamic}, kb.getI8Type(), MemRefLayoutAttrInterface{},
                                   tilesType.getMemorySpace());
      tiles = memref::ViewOp::create(kb, tilesType, gpu::DynamicSharedMemoryOp::create(kb, bytes),
                                     cIdx(kb, 0), ValueRange{});
    } else {
      tiles = launch.getWorkgroupAttributions()[0];
    }
    Value opA = cIdx(kb, 0), opW = cIdx(kb, 1), opALo = cIdx(kb, 2);
    Value tid = launch.getThreadIds().x;
    Value m0 = mulI(kb, launch.getBlockIds().x, kTile);
    Value n0 = mulI(kb, launch.getBlockIds().y, tileCols);
    Value warp = divU(kb, tid, kWarpSize), lane = remU(kb, tid, kWarpSize);
    Value wm = mulI(kb, divU(kb, warp, warpsAcross), kWarpRows);
    Value wn = mulI(kb, remU(kb, warp, warpsAcross), kWarpCols);
    Value zero = cIdx(kb, 0), kLimit = cIdx(kb, K), mLimit = cIdx(kb, M);
    // Where copies past the matrices point (they move no bytes).
    Value wFirst = columns.weightRow(kb, zero);
    Type tokenType = nvgpu::DeviceAsyncTokenType::get(ctx);

    // The column in a stage row of its 16-byte chunk `chunk`, XOR-swizzled
    // by the row's 128-byte line of banks modulo the chunks of a row: 64-byte
    // rows 2r and 2r + 1 share a line, so XOR with r % 4 spreads 8
    // consecutive rows over the line's 8 chunks; a 128-byte row is a line
    // (XOR with row % 8).
    auto swizzled = [&](Builder &b, Value row, Value chunk) -> Value {
      Value line = kChunksPerRow == 8 ? row : divU(b, row, 8 / kChunksPerRow);
      Value key = remU(b, line, kChunksPerRow);
      return mulI(b, arith::XOrIOp::create(b, chunk, key), 8);
    };
    // The chunks this thread moves of an operand tile of `tileRows` rows at
    // every step: 4 threads per row, 16 bytes each (consecutive threads,
    // consecutive bytes).
    struct Chunk {
      Value row, kOffset, column;
    };
    auto chunksOf = [&](int64_t tileRows) {
      SmallVector<Chunk, 4> mine;
      for (int64_t part = 0; part < tileRows * kChunksPerRow / threads; ++part) {
        Value c = addI(kb, tid, part * threads);
        Value row = divU(kb, c, kChunksPerRow), chunk = remU(kb, c, kChunksPerRow);
        mine.push_back({row, mulI(kb, chunk, 8), swizzled(kb, row, chunk)});
      }
      return mine;
    };
    SmallVector<Chunk, 4> chunksA = chunksOf(kTile), chunksW = chunksOf(tileCols);
    // Element (first + row, k) of a [limit x K] matrix at `base`, and
    // whether it is inside (else `base`, which is).
    auto source = [&](Builder &b, Value base, Value first, Value limit, const Chunk &c,
                      Value k) -> std::pair<Value, Value> {
      Value g = addI(b, first, c.row);
      Value inside = arith::AndIOp::create(b, ult(b, g, limit), ult(b, k, kLimit));
      Value at = arith::SelectOp::create(b, inside, addI(b, base, addI(b, mulI(b, g, K), k)), base);
      return {at, inside};
    };
    // Issues the copies of step `kt` into its stage as one commit group (an
    // f32 `in` is not copied: loadStep).
    auto copyStep = [&](Builder &b, Value kt) -> Value {
      Value stage = remU(b, kt, stages), k0 = mulI(b, kt, kStep);
      SmallVector<Value> tokens;
      // 8 elements of `src` at `at` (none where !inside) into row c.row of
      // the operand's stage.
      auto copyChunk = [&](Value operand, Value src, Value at, Value inside, const Chunk &c) {
        Value n = arith::SelectOp::create(b, inside, cIdx(b, 8), zero);
        tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
            b, tokenType, tiles, ValueRange{operand, stage, c.row, c.column}, src, ValueRange{at},
            b.getIndexAttr(8), n, b.getUnitAttr()));
      };
      for (const Chunk &c : convert ? ArrayRef<Chunk>() : ArrayRef<Chunk>(chunksA)) {
        auto [at, inside] = source(b, in.base, m0, rows, c, addI(b, k0, c.kOffset));
        copyChunk(opA, in.mem, at, inside, c);
      }
      for (const Chunk &c : chunksW) {
        Value k = addI(b, k0, c.kOffset), n = addI(b, n0, c.row);
        Value inside = arith::AndIOp::create(b, ult(b, n, mLimit), ult(b, k, kLimit));
        Value at = arith::SelectOp::create(b, inside, addI(b, columns.weightRow(b, n), k), wFirst);
        copyChunk(opW, weights, at, inside, c);
      }
      return nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, tokens).getResult();
    };
    // An f32 `in`'s chunks of step `kt`, loaded into registers, each with
    // whether it is inside (for storeStep, which zeroes the others: a select
    // here would wait for the load at once); nothing for a bf16 `in`.
    auto loadStep = [&](Builder &b, Value kt) {
      SmallVector<Value> loaded;
      for (const Chunk &c : convert ? ArrayRef<Chunk>(chunksA) : ArrayRef<Chunk>()) {
        auto [at, inside] = source(b, in.base, m0, rows, c, addI(b, mulI(b, kt, kStep), c.kOffset));
        loaded.push_back(loadF32x8(b, in.mem, at));
        loaded.push_back(inside);
      }
      return loaded;
    };
    // Stores the f32 chunks loadStep loaded for step `kt`, as bf16.
    auto storeStep = [&](Builder &b, Value kt, ArrayRef<Value> loaded) {
      Value stage = remU(b, kt, stages);
      for (int64_t i = 0; i < int64_t(loaded.size()) / 2; ++i) {
        const Chunk &c = chunksA[i];
        Value v = orZero(b, loaded[2 * i + 1], loaded[2 * i]);
        auto [hi, lo] = splitBF16(b, v, split);
        vector::StoreOp::create(b, hi, tiles, ValueRange{opA, stage, c.row, c.column},
                                /*nontemporal=*/false, llvm::MaybeAlign(16));
        if (split)
          vector::StoreOp::create(b, lo, tiles, ValueRange{opALo, stage, c.row, c.column},
                                  /*nontemporal=*/false, llvm::MaybeAlign(16));
      }
    };

    // Prologue: steps 0 .. ahead - 1 in flight.
    Value lastGroup;
    for (int64_t s = 0; s < ahead; ++s) {
      SmallVector<Value> loaded = loadStep(kb, cIdx(kb, s));
      lastGroup = copyStep(kb, cIdx(kb, s));
      storeStep(kb, cIdx(kb, s), loaded);
    }
    if (wgmma) {
      matmulWgmmaLoop(kb, tiles, stages, ahead, K, kStep, split, lastGroup, tileCols, copyStep,
                      loadStep, storeStep, columns, m0, n0, tid);
      gpu::TerminatorOp::create(kb);
      return;
    }
    SmallVector<Value> init{lastGroup};
    init.append(kMmaRows * kMmaCols * 4, cF32(kb, 0));
    auto loop = scf::ForOp::create(
        kb, zero, cIdx(kb, llvm::divideCeil(K, kStep)), one, init,
        [&](OpBuilder &ob, Location loc, Value kt, ValueRange carried) {
          Builder b(loc, ob);
          // Step kt's group is complete when at most the stages - 2 newer
          // ones (the last carried) are pending; the barrier makes every
          // thread's copies visible and frees the stage read at kt - 1,
          // which step kt + stages - 1 now fills (zero-length past K).
          nvgpu::DeviceAsyncWaitOp::create(b, carried[0], b.getI32IntegerAttr(stages - 2));
          gpu::BarrierOp::create(b);
          Value ahead = addI(b, kt, stages - 1);
          SmallVector<Value> loaded = loadStep(b, ahead);
          Value group = copyStep(b, ahead);
          Value stage = remU(b, kt, stages);
          SmallVector<Value> sums(carried.drop_front());
          for (int64_t ks = 0; ks < kStep / 16; ++ks) {
            // A: matrices (rows 0-7, 8-15) x (k 0-7, 8-15), lanes 16+ on k 8-15.
            Value aRow = addI(b, wm, remU(b, lane, 16));
            Value aChunk = addI(b, divU(b, lane, 16), 2 * ks);
            // W: matrices (k 0-7, 8-15) of n-tile 0 then of n-tile 1.
            Value wRow = addI(b, addI(b, wn, remU(b, lane, 8)), mulI(b, divU(b, lane, 16), 8));
            Value wChunk = addI(b, remU(b, divU(b, lane, 8), 2), 2 * ks);
            SmallVector<SmallVector<Value, 4>> a, aLo, wt;
            for (int64_t mi = 0; mi < kMmaRows; ++mi) {
              Value row = addI(b, aRow, mi * 16);
              Value col = swizzled(b, row, aChunk);
              a.push_back(ldmatrixX4(b, tiles, {opA, stage, row, col}));
              if (split)
                aLo.push_back(ldmatrixX4(b, tiles, {opALo, stage, row, col}));
            }
            for (int64_t np = 0; np < kMmaCols / 2; ++np) {
              Value row = addI(b, wRow, np * 16);
              wt.push_back(ldmatrixX4(b, tiles, {opW, stage, row, swizzled(b, row, wChunk)}));
            }
            for (int64_t mi = 0; mi < kMmaRows; ++mi)
              for (int64_t ni = 0; ni < kMmaCols; ++ni) {
                Value *c = &sums[(mi * kMmaCols + ni) * 4];
                ValueRange bRegs = ArrayRef<Value>(wt[ni / 2]).slice((ni % 2) * 2, 2);
                mmaBF16(b, a[mi], bRegs, c);
                if (split)
                  mmaBF16(b, aLo[mi], bRegs, c);
              }
          }
          // Stage `ahead` was free since the barrier; it is read after the
          // barrier of step `ahead`.
          storeStep(b, ahead, loaded);
          SmallVector<Value> next{group};
          next.append(sums);
          scf::YieldOp::create(b, next);
        });
    columns.store(kb, addI(kb, m0, wm), addI(kb, n0, wn), lane, kMmaRows, kMmaCols,
                  loop.getResults().drop_front());
    gpu::TerminatorOp::create(kb);
  }

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
  void matmulWgmmaLoop(Builder &kb, Value tiles, int64_t stages, int64_t ahead, int64_t K,
                       int64_t kStep, bool split, Value firstGroup, int64_t tileCols,
                       function_ref<Value(Builder &, Value)> copyStep,
                       function_ref<SmallVector<Value>(Builder &, Value)> loadStep,
                       function_ref<void(Builder &, Value, ArrayRef<Value>)> storeStep,
                       const MmaColumns &columns, Value m0, Value n0, Value tid) {
    Type i64 = kb.getI64Type(), f32 = kb.getF32Type();
    const int64_t accs = tileCols / 2; // m64nNk16: N / 2 floats a thread
    auto accType = LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(accs, f32));
    // Byte offsets: a stage of an operand is 128 x kStep bf16; operand A
    // first, then W, then A's lo part ([operand][stage][128][kStep]).
    const int64_t stageBytes = 128 * kStep * 2, rowBytes = kStep * 2;
    auto i64c = [&](Builder &b, int64_t v) { return arith::ConstantIntOp::create(b, i64, v).getResult(); };
    // Descriptor of a K-major operand at `tiles` + 0 in the 64-byte (bits
    // 62-63 = 2) or 128-byte (1) swizzle mode, as wide as a stage row: the
    // 16-byte chunks sit XOR-swizzled exactly as matmulTensorCoreTile128's
    // copies place them (the hardware swizzles by address bits, and every
    // operand tile starts on a multiple of 8 KB from the start of shared
    // memory); 8-row groups 8 rows apart (the stride byte offset, bits
    // 32-45, / 16); the leading byte offset is unused (1). Start address
    // / 16 in bits 0-13: offsets add to it.
    Value addr = arith::IndexCastUIOp::create(
        kb, i64, memref::ExtractAlignedPointerAsIndexOp::create(kb, tiles));
    Value desc0 = arith::OrIOp::create(
        kb, arith::ShRUIOp::create(kb, arith::AndIOp::create(kb, addr, i64c(kb, 0x3ffff)), i64c(kb, 4)),
        i64c(kb, int64_t(uint64_t(rowBytes == 128 ? 1 : 2) << 62 | uint64_t(8 * rowBytes / 16) << 32 |
                         uint64_t(1) << 16)));
    auto descAt = [&](Builder &b, Value byteOffset) {
      return addI(b, desc0, arith::ShRUIOp::create(b, byteOffset, i64c(b, 4)));
    };
    Value warp = divU(kb, tid, kWarpSize), lane = remU(kb, tid, kWarpSize);
    Value warpgroup = divU(kb, tid, kWarpgroupSize);
    // This warpgroup's 64 rows of A.
    Value aRows = arith::IndexCastUIOp::create(kb, i64, mulI(kb, warpgroup, 64 * rowBytes));
    Value zero = cIdx(kb, 0), one = cIdx(kb, 1);
    SmallVector<Value> init{firstGroup, LLVM::ZeroOp::create(kb, accType)};
    SmallVector<Value> firstLoaded = loadStep(kb, cIdx(kb, ahead));
    const int64_t nLoaded = firstLoaded.size();
    init.append(firstLoaded);
    auto loop = scf::ForOp::create(
        kb, zero, cIdx(kb, llvm::divideCeil(K, kStep)), one, init,
        [&](OpBuilder &ob, Location loc, Value kt, ValueRange carried) {
          Builder b(loc, ob);
          nvgpu::DeviceAsyncWaitOp::create(b, carried[0], b.getI32IntegerAttr(ahead - 1));
          NVVM::FenceProxyOp::create(b, NVVM::ProxyKind::async_shared,
                                     NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
          gpu::BarrierOp::create(b);
          Value stage = arith::IndexCastUIOp::create(b, i64, remU(b, kt, stages));
          auto operandBase = [&](int64_t operand) -> Value {
            return arith::MulIOp::create(b, addI(b, stage, i64c(b, operand * stages)),
                                         i64c(b, stageBytes));
          };
          Value wBase = operandBase(1);
          SmallVector<Value, 2> aBases{addI(b, operandBase(0), aRows)};
          if (split)
            aBases.push_back(addI(b, operandBase(2), aRows));
          NVVM::WgmmaFenceAlignedOp::create(b);
          Value acc = carried[1];
          for (int64_t ks = 0; ks < kStep / 16; ++ks) {
            // A k16 slice is 32 bytes of every row on.
            Value step = i64c(b, ks * 32);
            for (Value aBase : aBases)
              acc = NVVM::WgmmaMmaAsyncOp::create(
                  b, accType, acc, descAt(b, addI(b, aBase, step)), descAt(b, addI(b, wBase, step)),
                  NVVM::MMAShapeAttr::get(ctx, 64, tileCols, 16), NVVM::WGMMATypes::bf16,
                  NVVM::WGMMATypes::bf16, NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one,
                  NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
                  NVVM::MMALayout::col, /*satfinite=*/nullptr);
          }
          NVVM::WgmmaGroupSyncAlignedOp::create(b);
          Value later = addI(b, kt, ahead);
          Value group = copyStep(b, later);
          SmallVector<Value> next{group, acc};
          next.append(loadStep(b, addI(b, later, 1)));
          NVVM::WgmmaWaitGroupSyncOp::create(b, 1);
          storeStep(b, later, SmallVector<Value>(carried.take_back(nLoaded)));
          scf::YieldOp::create(b, next);
        });
    NVVM::WgmmaWaitGroupSyncOp::create(kb, 0);
    // Warp w holds rows 16w .. 16w + 15 of the tile; accumulator 4j + v is
    // n8 block j's m16n8 value v.
    SmallVector<Value> acc;
    for (int64_t i = 0; i < accs; ++i)
      acc.push_back(LLVM::ExtractValueOp::create(kb, loop.getResult(1), ArrayRef<int64_t>{i}));
    Value row0 = addI(kb, m0, mulI(kb, warp, 16));
    for (int64_t g = 0; g < tileCols / 32; ++g)
      columns.store(kb, row0, addI(kb, n0, g * 32), lane, 1, 4, ArrayRef<Value>(acc).slice(g * 16, 16));
  }

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
                              int64_t K, Value w, Value bOff, bool accumulate) {
    constexpr int64_t kTile = 64, kStep = 32, kWarps = 4;
    constexpr int64_t kChunks = kTile * kStep / 8; // 16-byte copies per stage
    // A row of a stage is padded from 64 to 80 bytes, so the eight rows one
    // ldmatrix reads fall in different banks.
    auto stageType = workgroupBuffer({2, kTile, kStep + 8}, b.getBF16Type());
    bool convert = !in.elementType().isBF16(), split = convert && !roundsInput(in, /*gemm=*/true);
    SmallVector<Type, 3> stages(split ? 3 : 2, stageType); // A, W (, A lo)
    Value one = cIdx(b, 1);
    Value gridY = arith::MaxUIOp::create(
        b, arith::CeilDivUIOp::create(b, rows, cIdx(b, kTile)), one);
    auto launch = gpu::LaunchOp::create(
        b, cIdx(b, llvm::divideCeil(M, kTile)), gridY, one, cIdx(b, kWarps * kWarpSize),
        one, one, /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{}, stages);
    nameKernel(launch, "photon_mma_" + shape(M, K));
    lateDependents(launch);
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    Value sA = launch.getWorkgroupAttributions()[0];
    Value sW = launch.getWorkgroupAttributions()[1];
    Value sALo = split ? Value(launch.getWorkgroupAttributions()[2]) : Value();
    Value tid = launch.getThreadIds().x;
    Value m0 = mulI(kb, launch.getBlockIds().y, kTile);
    Value n0 = mulI(kb, launch.getBlockIds().x, kTile);
    Value warp = divU(kb, tid, kWarpSize), lane = remU(kb, tid, kWarpSize);
    Value wm = mulI(kb, divU(kb, warp, 2), 32), wn = mulI(kb, remU(kb, warp, 2), 32);
    Value zero = cIdx(kb, 0), mLimit = cIdx(kb, M);
    Type tokenType = nvgpu::DeviceAsyncTokenType::get(ctx);

    // Issues the copies of columns [k0, k0 + kStep) into `stage`, as one group.
    auto loadStage = [&](Builder &b, Value stage, Value k0) {
      SmallVector<Value> tokens;
      for (int64_t part = 0; part < kChunks / (kWarps * kWarpSize); ++part) {
        Value chunk = addI(b, tid, part * kWarps * kWarpSize);
        Value r = divU(b, chunk, kStep / 8), kc = mulI(b, remU(b, chunk, kStep / 8), 8);
        Value k = addI(b, k0, kc);
        Value left = arith::MaxSIOp::create(
            b, arith::MinSIOp::create(b, arith::SubIOp::create(b, cIdx(b, K), k), cIdx(b, 8)),
            zero);
        if (convert) {
          Value g = addI(b, m0, r);
          for (int64_t e = 0; e < 8; ++e) {
            Value ke = addI(b, k, e);
            Value inside = arith::AndIOp::create(b, ult(b, g, rows), ult(b, ke, cIdx(b, K)));
            Value at = arith::SelectOp::create(b, inside, addI(b, mulI(b, g, K), ke), zero);
            Value v = arith::SelectOp::create(b, inside, in.load(b, at), cF32(b, 0));
            SmallVector<Value, 3> at3{stage, r, addI(b, kc, e)};
            auto [hi, lo] = splitBF16(b, v, split);
            memref::StoreOp::create(b, hi, sA, at3);
            if (split)
              memref::StoreOp::create(b, lo, sALo, at3);
          }
        }
        auto copy = [&](Value dst, Value src, Value base, Value first, Value limit) {
          Value g = addI(b, first, r);
          Value n = arith::SelectOp::create(b, ult(b, g, limit), left, zero);
          // A zero-length copy still names an address: keep it in bounds.
          Value at = arith::SelectOp::create(
              b, ult(b, zero, n), addI(b, base, addI(b, mulI(b, g, K), k)), base);
          tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
              b, tokenType, dst, ValueRange{stage, r, kc}, src, ValueRange{at},
              b.getIndexAttr(8), n, b.getUnitAttr()));
        };
        if (!convert)
          copy(sA, in.mem, in.base, m0, rows);
        copy(sW, weights, w, n0, mLimit);
      }
      return nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, tokens).getResult();
    };

    auto fragments = [&](Builder &b, Value stage, Value mem, Value row, Value col) {
      return ldmatrixX4(b, mem, {stage, row, col});
    };

    loadStage(kb, zero, zero);
    SmallVector<Value> init(2 * 4 * 4, cF32(kb, 0));
    int64_t steps = llvm::divideCeil(K, kStep);
    auto loop = scf::ForOp::create(
        kb, zero, cIdx(kb, steps), one, init,
        [&](OpBuilder &ob, Location loc, Value kt, ValueRange acc) {
          Builder b(loc, ob);
          // Prefetch the next step (all zero-length past K), then wait for
          // all but that group.
          Value next = addI(b, kt, 1);
          Value group = loadStage(b, remU(b, next, 2), mulI(b, next, kStep));
          nvgpu::DeviceAsyncWaitOp::create(b, group, b.getI32IntegerAttr(1));
          gpu::BarrierOp::create(b);
          Value stage = remU(b, kt, 2);
          SmallVector<Value> sums(acc.begin(), acc.end());
          for (int64_t ks = 0; ks < kStep; ks += 16) {
            // A: matrices (rows 0-7, 8-15) x (k 0-7, 8-15), lanes 16+ on k 8-15.
            Value aRow = addI(b, wm, remU(b, lane, 16));
            Value aCol = addI(b, mulI(b, divU(b, lane, 16), 8), ks);
            // W: matrices (k 0-7, 8-15) of n-tile 0 then of n-tile 1.
            Value wRow = addI(b, addI(b, wn, remU(b, lane, 8)), mulI(b, divU(b, lane, 16), 8));
            Value wCol = addI(b, mulI(b, remU(b, divU(b, lane, 8), 2), 8), ks);
            SmallVector<Value, 4> a[2], aLo[2], wt[2];
            for (int64_t mi = 0; mi < 2; ++mi) {
              a[mi] = fragments(b, stage, sA, addI(b, aRow, mi * 16), aCol);
              if (split)
                aLo[mi] = fragments(b, stage, sALo, addI(b, aRow, mi * 16), aCol);
            }
            for (int64_t np = 0; np < 2; ++np)
              wt[np] = fragments(b, stage, sW, addI(b, wRow, np * 16), wCol);
            for (int64_t mi = 0; mi < 2; ++mi)
              for (int64_t ni = 0; ni < 4; ++ni) {
                Value *c = &sums[(mi * 4 + ni) * 4];
                ValueRange bRegs = ArrayRef<Value>(wt[ni / 2]).slice((ni % 2) * 2, 2);
                mmaBF16(b, a[mi], bRegs, c);
                if (split)
                  mmaBF16(b, aLo[mi], bRegs, c);
              }
          }
          // The next iteration's prefetch overwrites this stage.
          gpu::BarrierOp::create(b);
          scf::YieldOp::create(b, sums);
        });
    storeMmaTiles(kb, out, M, rows, mLimit, addI(kb, m0, wm), addI(kb, n0, wn), lane, 2, 4,
                  loop.getResults(), bOff, accumulate);
    gpu::TerminatorOp::create(kb);
  }

  /// One block of `threads` threads per row r < rows (GPU only), with one
  /// workgroup buffer of kWarpSize elements per type of `shared` (see
  /// blockReduce). `body` gets the row, the thread and the buffers.
  using RowBlockBodyFn = function_ref<void(Builder &, Value, Value, ValueRange)>;
  void blockPerRowLaunch(Builder &b, const Twine &kernel, Value rows, int64_t threads,
                         ArrayRef<Type> shared, RowBlockBodyFn body) {
    Value one = cIdx(b, 1);
    // An empty batch still launches one (idle) block: a zero grid is an error.
    auto launch = gpu::LaunchOp::create(
        b, arith::MaxUIOp::create(b, rows, one), one, one, cIdx(b, threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{}, rowReductionBuffers(shared));
    nameKernel(launch, kernel);
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    Value row = launch.getBlockIds().x;
    // The whole block takes or skips the branch: its barriers stay uniform.
    ifThen(kb, ult(kb, row, rows), [&](Builder &b) {
      body(b, row, launch.getThreadIds().x, launch.getWorkgroupAttributions());
    });
    gpu::TerminatorOp::create(kb);
  }

  /// A workgroup (shared) memory buffer, a whole number of 16 bytes (a 1-D
  /// buffer is padded): the NVPTX backend turns runs of shared loads into
  /// 16-byte vector loads but declares the buffers only element-aligned and
  /// lays a kernel's buffers out back to back, so a buffer of another size
  /// misaligns the ones after it (a 14-wide attention head did:
  /// CUDA_ERROR_MISALIGNED_ADDRESS).
  MemRefType workgroupBuffer(SmallVector<int64_t> shape, Type elt) {
    int64_t bytes = byteWidth(elt);
    for (int64_t d : shape)
      bytes *= d;
    if (shape.size() == 1)
      shape[0] = llvm::alignTo(shape[0] * byteWidth(elt), 16) / byteWidth(elt);
    else
      assert(bytes % 16 == 0 && "multi-dimensional workgroup buffers are whole 16 bytes");
    (void)bytes;
    return MemRefType::get(shape, elt, MemRefLayoutAttrInterface{},
                           gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  }

  /// Workgroup buffers of kWarpSize elements, one per type (blockReduce).
  SmallVector<Type> rowReductionBuffers(ArrayRef<Type> types) {
    SmallVector<Type> buffers;
    for (Type t : types)
      buffers.push_back(workgroupBuffer({kWarpSize}, t));
    return buffers;
  }

  using CombineFn = function_ref<SmallVector<Value>(Builder &, ValueRange, ValueRange)>;
  /// laneReduce for tuples of values (e.g. a value and its index).
  SmallVector<Value> laneCombine(Builder &b, ValueRange values, CombineFn combine) {
    SmallVector<Value> v(values.begin(), values.end());
    if (!gpu)
      return v;
    for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
      SmallVector<Value> other;
      for (Value x : v)
        other.push_back(
            gpu::ShuffleOp::create(b, x, offset, kWarpSize, gpu::ShuffleMode::XOR).getShuffleResult());
      v = combine(b, v, other);
    }
    return v;
  }

  /// Combines tuples of values over the `threads` threads of a block: a
  /// butterfly within each warp, the warps' results through `shared` (one
  /// kWarpSize buffer per value), then every thread combines those in warp
  /// order, so every thread returns the same result. `combine` must be
  /// associative and commutative (for argmax: ties to the lowest index).
  SmallVector<Value> blockReduce(Builder &b, Value tid, int64_t threads, ValueRange values,
                                 ValueRange shared, CombineFn combine) {
    SmallVector<Value> v = laneCombine(b, values, combine);
    Value warp = divU(b, tid, kWarpSize);
    onLaneZero(b, remU(b, tid, kWarpSize), [&](Builder &b) {
      for (auto [x, buf] : llvm::zip(v, shared))
        memref::StoreOp::create(b, x, buf, ValueRange{warp});
    });
    gpu::BarrierOp::create(b);
    auto fromWarp = [&](int64_t w) {
      SmallVector<Value> r;
      for (Value buf : shared)
        r.push_back(memref::LoadOp::create(b, buf, ValueRange{cIdx(b, w)}));
      return r;
    };
    SmallVector<Value> total = fromWarp(0);
    for (int64_t w = 1; w < threads / kWarpSize; ++w)
      total = combine(b, total, fromWarp(w));
    return total;
  }
  /// blockReduce of one value per thread with a binary `op` (addF,
  /// maximumF, ...), through `buf`.
  Value blockReduceOne(Builder &b, Value tid, int64_t threads, Value v, Value buf,
                       function_ref<Value(Builder &, Value, Value)> op) {
    return blockReduce(b, tid, threads, ValueRange{v}, ValueRange{buf},
                       [&](Builder &b, ValueRange x, ValueRange y) {
                         return SmallVector<Value>{op(b, x[0], y[0])};
                       })[0];
  }

  /// out[i, :] = in[i, :] / sqrt(mean(in[i, :]²) + eps) · w (in may be out).
  void rmsNorm(Builder &b, Buf in, Buf out, Value rows, int64_t width,
               WeightRef weight) {
    Value w = weight.at;
    if (gpu && options.blockPerRow)
      return rmsNormBlock(b, in, out, rows, width, w);
    parallelLanes(b, "photon_rmsnorm_" + Twine(width), {rows},
                  [&](Builder &b, ValueRange iv, Value lane) {
      Value row = mulI(b, iv[0], width);
      Value ss = laneLoop(b, lane, cIdx(b, width), cF32(b, 0),
                          [&](Builder &b, Value k, Value acc) {
                            Value x = in.load(b, addI(b, row, k));
                            return addF(b, acc, mulF(b, x, x));
                          });
      ss = laneSum(b, ss);
      Value mean = divF(b, ss, cF32(b, double(width)));
      Value inv = math::RsqrtOp::create(b, addF(b, mean, cF32(b, c.rmsNormEps)));
      scf::ForOp::create(b, lane, cIdx(b, width), cIdx(b, laneCount()), ValueRange{},
                         [&](OpBuilder &ob, Location loc, Value k, ValueRange) {
                           Builder b(loc, ob);
                           Value idx = addI(b, row, k);
                           Value y = mulF(b, mulF(b, in.load(b, idx), inv),
                                          loadWeight(b, w, k));
                           out.store(b, y, idx);
                           scf::YieldOp::create(b);
                         });
    });
  }

  /// rmsNorm on the GPU with a block per row: each thread holds about four
  /// elements of its row in registers (coalesced: element tid + T·i), the
  /// sum of squares is a block reduction, and each thread scales and stores
  /// its own elements (so `in` may be `out`).
  void rmsNormBlock(Builder &b, Buf in, Buf out, Value rows, int64_t width, Value w) {
    const int64_t threads = std::clamp<int64_t>(
        llvm::alignTo(llvm::divideCeil(width, 4), kWarpSize), kWarpSize, 1024);
    const int64_t per = llvm::divideCeil(width, threads);
    Type f32 = b.getF32Type();
    blockPerRowLaunch(b, "photon_rmsnorm_" + Twine(width), rows, threads, {f32},
                      [&](Builder &b, Value r, Value tid, ValueRange shared) {
      Value row = mulI(b, r, width);
      SmallVector<Value> ks, inside, xs, gains;
      Value ss = cF32(b, 0);
      for (int64_t i = 0; i < per; ++i) {
        Value k = addI(b, tid, i * threads);
        // Only the last round can pass the row's end.
        Value ok = (i + 1) * threads > width ? ult(b, k, cIdx(b, width)) : Value();
        Value at = ok ? arith::SelectOp::create(b, ok, k, cIdx(b, 0)) : k;
        Value x = in.load(b, addI(b, row, at));
        // The gain is loaded with the row, so its latency hides behind the
        // reduction.
        gains.push_back(loadWeight(b, w, at));
        if (ok)
          x = arith::SelectOp::create(b, ok, x, cF32(b, 0));
        ks.push_back(k);
        inside.push_back(ok);
        xs.push_back(x);
        ss = addF(b, ss, mulF(b, x, x));
      }
      Value total = blockReduceOne(b, tid, threads, ss, shared[0], addF);
      Value mean = divF(b, total, cF32(b, double(width)));
      Value inv = math::RsqrtOp::create(b, addF(b, mean, cF32(b, c.rmsNormEps)));
      for (int64_t i = 0; i < per; ++i) {
        auto store = [&, i](Builder &b) {
          out.store(b, mulF(b, mulF(b, xs[i], inv), gains[i]), addI(b, row, ks[i]));
        };
        if (inside[i])
          ifThen(b, inside[i], store);
        else
          store(b);
      }
    });
  }

  /// cos and sin of RoPE's angle for pair j of a head at position pos[row].
  /// The angle pos · θ^(−2j/hd) = pos · 2^(j · (−2 log2 θ / hd)) is formed in
  /// f64, so long contexts keep their precision, and reduced to [−π, π]
  /// there; cos and sin of the reduced angle are f32 (libdevice's f64 pow,
  /// cos and sin are long sequences in every thread of the QKV GEMV's RoPE
  /// epilogue; the f32 results are within 2e-7 of the f64 ones rounded).
  std::pair<Value, Value> ropeCosSin(Builder &b, Value pos, Value row, Value j) {
    Type f64 = b.getF64Type(), f32 = b.getF32Type();
    Value p = memref::LoadOp::create(b, pos, ValueRange{row});
    Value pf = arith::SIToFPOp::create(b, f64, p);
    Value jf = arith::UIToFPOp::create(b, f64, arith::IndexCastUIOp::create(b, b.getI64Type(), j));
    Value exponent = mulF(b, jf, cF64(b, -2.0 * std::log2(c.ropeTheta) / double(c.headDim())));
    Value angle = mulF(b, pf, math::Exp2Op::create(b, exponent));
    constexpr double kTwoPi = 2 * llvm::numbers::pi;
    Value turns = math::RoundEvenOp::create(b, mulF(b, angle, cF64(b, 1.0 / kTwoPi)));
    Value reduced = arith::TruncFOp::create(
        b, f32, arith::SubFOp::create(b, angle, mulF(b, turns, cF64(b, kTwoPi))));
    return {math::CosOp::create(b, reduced), math::SinOp::create(b, reduced)};
  }

  /// Rotates the pair (src[i1], src[i1 + half]) by (cs, sn) into
  /// (dst[o1], dst[o1 + half]); src may be dst with i1 == o1.
  void ropeRotate(Builder &b, Buf src, Value i1, Buf dst, Value o1, Value cs, Value sn) {
    Value i2 = addI(b, i1, c.headDim() / 2);
    Value x1 = src.load(b, i1), x2 = src.load(b, i2);
    storeRotated(b, x1, x2, cs, sn, dst, o1);
  }
  /// The pair (x1, x2) of a head's features i and i + head_dim / 2 rotated
  /// by (cs, sn), stored at o1 and o1 + head_dim / 2 of `dst`.
  void storeRotated(Builder &b, Value x1, Value x2, Value cs, Value sn, Buf dst, Value o1) {
    dst.store(b, subF(b, mulF(b, x1, cs), mulF(b, x2, sn)), o1);
    dst.store(b, addF(b, mulF(b, x2, cs), mulF(b, x1, sn)), addI(b, o1, c.headDim() / 2));
  }

  /// Rotate-half RoPE in place on `heads` heads per row at positions pos[i].
  void rope(Builder &b, Buf buf, Value rows, int64_t heads, Value pos) {
    int64_t hd = c.headDim(), half = hd / 2;
    parallel(b, "photon_rope", {rows, cIdx(b, heads * half)}, [&](Builder &b, ValueRange iv) {
      Value h = arith::DivUIOp::create(b, iv[1], cIdx(b, half));
      Value j = arith::RemUIOp::create(b, iv[1], cIdx(b, half));
      auto [cs, sn] = ropeCosSin(b, pos, iv[0], j);
      Value i1 = addI(b, addI(b, mulI(b, iv[0], heads * hd), mulI(b, h, hd)), j);
      ropeRotate(b, buf, i1, buf, i1, cs, sn);
    });
  }

  /// GPU (fuse-rope-cache): RoPE on Q in place, RoPE on K written straight
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
                         Value capacity) {
    const int64_t H = c.nHeads, KVH = c.nKvHeads, hd = c.headDim(), half = hd / 2;
    const int64_t qPairs = H * half, kPairs = KVH * half, KV = KVH * hd;
    const int64_t threads = kRopeCacheThreads;
    Type f32 = b.getF32Type();
    // [cos | sin][pair], a row padded to whole 16 bytes.
    auto tableType = workgroupBuffer({2, int64_t(llvm::alignTo(half, 4))}, f32);
    Value one = cIdx(b, 1);
    // An empty batch still launches one (idle) block: a zero grid is an error.
    auto launch = gpu::LaunchOp::create(
        b, arith::MaxUIOp::create(b, rows, one),
        cIdx(b, llvm::divideCeil(qPairs + kPairs + KV, threads)), one, cIdx(b, threads), one,
        one, /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{}, TypeRange{tableType});
    nameKernel(launch, "photon_rope_cache");
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    Value table = launch.getWorkgroupAttributions()[0];
    Value i = launch.getBlockIds().x, tid = launch.getThreadIds().x;
    Value e0 = mulI(kb, launch.getBlockIds().y, threads), e = addI(kb, e0, tid);
    Value cosRow = cIdx(kb, 0), sinRow = cIdx(kb, 1);
    // Whole blocks take or skip both branches: the barrier stays uniform.
    ifThen(kb, ult(kb, i, rows), [&](Builder &b) {
      ifThen(b, ult(b, e0, cIdx(b, qPairs + kPairs)), [&](Builder &b) {
        scf::ForOp::create(b, tid, cIdx(b, half), cIdx(b, threads), ValueRange{},
                           [&](OpBuilder &ob, Location loc, Value j, ValueRange) {
                             Builder b(loc, ob);
                             auto [cs, sn] = ropeCosSin(b, pos, i, j);
                             memref::StoreOp::create(b, cs, table, ValueRange{cosRow, j});
                             memref::StoreOp::create(b, sn, table, ValueRange{sinRow, j});
                             scf::YieldOp::create(b);
                           });
        gpu::BarrierOp::create(b);
      });
      auto cacheRow = [&](Builder &b) {
        return newCacheEntry(b, seq, pos, i, layers, layer, capacity);
      };
      auto inRange = [&](Builder &b, int64_t lo, int64_t hi) -> Value {
        Value ge = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, e, cIdx(b, lo));
        return arith::AndIOp::create(b, ge, ult(b, e, cIdx(b, hi)));
      };
      // Pair f of a run of pairs: its feature in a row (head f / half, pair
      // j = f % half) and the table's cos and sin of angle j.
      auto pairAt = [&](Builder &b, Value f) -> std::array<Value, 3> {
        Value h = divU(b, f, half), j = remU(b, f, half);
        Value cs = memref::LoadOp::create(b, table, ValueRange{cosRow, j});
        Value sn = memref::LoadOp::create(b, table, ValueRange{sinRow, j});
        return {addI(b, mulI(b, h, hd), j), cs, sn};
      };
      ifThen(b, ult(b, e, cIdx(b, qPairs)), [&](Builder &b) {
        auto [feature, cs, sn] = pairAt(b, e);
        Value i1 = addI(b, mulI(b, i, H * hd), feature);
        ropeRotate(b, Q, i1, Q, i1, cs, sn);
      });
      ifThen(b, inRange(b, qPairs, qPairs + kPairs), [&](Builder &b) {
        auto [feature, cs, sn] = pairAt(b, addI(b, e, -qPairs));
        ropeRotate(b, K, addI(b, mulI(b, i, KV), feature), kCache,
                   addI(b, cacheRow(b), feature), cs, sn);
      });
      ifThen(b, inRange(b, qPairs + kPairs, qPairs + kPairs + KV), [&](Builder &b) {
        Value f = addI(b, e, -(qPairs + kPairs));
        vCache.store(b, V.load(b, addI(b, mulI(b, i, KV), f)), addI(b, cacheRow(b), f));
      });
    });
    gpu::TerminatorOp::create(kb);
  }

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
  int64_t tiledAttentionChunk() const {
    int64_t hd = c.headDim();
    int64_t chunk = hd % 8 == 0 ? 8 : hd % 4 == 0 ? 4 : 2;
    return std::min<int64_t>(chunk, 16 / byteWidth(actElt));
  }
  /// On the host: whether a call takes attentionTiled: more than one tile
  /// of rows (prefill, large decode batches) and caches aligned to a chunk
  /// for the vector loads.
  Value tiledAttentionUse(Builder &b, Value rows, Buf kCache, Buf vCache) {
    Value use = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, rows,
                                      cIdx(b, kTiledAttentionRows));
    int64_t bytes = tiledAttentionChunk() * byteWidth(kCache.elementType());
    use = arith::AndIOp::create(b, use, alignedTo(b, kCache.mem, kCache.base, bytes));
    return arith::AndIOp::create(b, use, alignedTo(b, vCache.mem, vCache.base, bytes));
  }

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
                      Value pos, Value seq, int64_t layers, Value layer, Value capacity) {
    constexpr int64_t kRows = kTiledAttentionRows, kPositions = kTiledAttentionPositions;
    constexpr int64_t kWarps = kRows / 16, threads = kWarps * kWarpSize;
    const int64_t H = c.nHeads, hd = c.headDim();
    const bool tensorCores = kCache.elementType().isBF16();
    // Q, K and V tiles as bf16 [row][feature], head_dim padded to whole
    // 16-wide MMA steps (zero-filled), rows padded by 16 bytes: the 8 rows
    // one ldmatrix reads (a stride of an odd number of 16 bytes) fall in 8
    // different bank groups.
    const int64_t width = llvm::alignTo(hd, 16) + 8;
    Type bf16 = b.getBF16Type();
    SmallVector<Type, 3> shared;
    if (tensorCores)
      shared = {workgroupBuffer({kRows, width}, bf16), workgroupBuffer({kPositions, width}, bf16),
                workgroupBuffer({kPositions, width}, bf16)};
    Value one = cIdx(b, 1);
    // An empty batch still launches one (idle) block: a zero grid is an error.
    Value tiles = arith::MaxUIOp::create(
        b, arith::CeilDivUIOp::create(b, rows, cIdx(b, kRows)), one);
    auto launch = gpu::LaunchOp::create(
        b, tiles, cIdx(b, H), cIdx(b, kTiledAttentionRowSplit), cIdx(b, threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{}, shared);
    nameKernel(launch, "photon_attention_tiled");
    lateDependents(launch);
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    // The last tiles (the longest causal spans, in prefill) start first, so
    // that short ones fill the end of the grid.
    Value tile = arith::SubIOp::create(kb, addI(kb, launch.getGridSizeX(), -1),
                                       launch.getBlockIds().x);
    Value r0 = mulI(kb, tile, kRows), h = launch.getBlockIds().y;
    Value tid = launch.getThreadIds().x;
    // The whole block takes or skips the branches: its barriers stay uniform.
    ifThen(kb, ult(kb, r0, rows), [&](Builder &b) {
      TiledAttentionTile t{Q, kCache, vCache, A, pos, seq, layers, layer, capacity};
      t.r0 = r0;
      t.n = arith::MinUIOp::create(b, arith::SubIOp::create(b, rows, r0), cIdx(b, kRows));
      t.rows = rows;
      t.h = h;
      t.warp = divU(b, tid, kWarpSize);
      t.lane = remU(b, tid, kWarpSize);
      t.tid = tid;
      t.part = launch.getBlockIds().z;
      if (!tensorCores)
        return attentionTiledRows(b, t);
      // Lane l checks rows l, l + 32, ... of the tile against its first.
      Value s0 = loadIndex(b, seq, r0), p0 = loadIndex(b, pos, r0);
      Value uniform = arith::ConstantIntOp::create(b, b.getI32Type(), 1);
      for (int64_t j = 0; j < kRows / kWarpSize; ++j) {
        Value r = addI(b, t.lane, j * kWarpSize);
        Value inTile = ult(b, r, t.n);
        Value i = arith::SelectOp::create(b, inTile, addI(b, r0, r), r0);
        Value same = arith::AndIOp::create(
            b,
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, loadIndex(b, seq, i), s0),
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, loadIndex(b, pos, i),
                                  addI(b, p0, r)));
        Value ok = arith::OrIOp::create(b, arith::XOrIOp::create(b, inTile, cTrue(b)), same);
        uniform = arith::AndIOp::create(
            b, uniform, arith::ExtUIOp::create(b, b.getI32Type(), ok));
      }
      uniform = laneReduce(b, uniform, [](Builder &b, Value x, Value y) -> Value {
        return arith::AndIOp::create(b, x, y);
      });
      Value isUniform = arith::CmpIOp::create(b, arith::CmpIPredicate::ne, uniform,
                                              arith::ConstantIntOp::create(b, b.getI32Type(), 0));
      ifElse(
          b, isUniform,
          [&](Builder &b) {
            t.s0 = s0;
            t.p0 = p0;
            Value first = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, t.part, cIdx(b, 0));
            ifThen(b, first, [&](Builder &b) {
              attentionTiledMma(b, t, launch.getWorkgroupAttributions(), width);
            });
          },
          [&](Builder &b) { attentionTiledRows(b, t); });
    });
    gpu::TerminatorOp::create(kb);
  }

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
                       function_ref<void(Builder &, Value)> body) {
    scf::ForOp::create(b, from, to, cIdx(b, step), ValueRange{},
                       [&](OpBuilder &ob, Location loc, Value iv, ValueRange) {
                         Builder fb(loc, ob);
                         body(fb, iv);
                         scf::YieldOp::create(fb);
                       });
  }

  /// attentionTiled for any tile: warp w of the tile's block k takes rows
  /// 4k + w, 4k + w + 16, ... of the tile, one at a time, over blocks of 32
  /// positions u0 .. u0 + 31 below pos[i] + 1: lane l scores position
  /// u0 + l (a head_dim-long dot product, its K row read in vector chunks,
  /// q as broadcasts), the warp's max updates the online softmax
  /// (running max m, sum l, rescaled by exp(m_old - m_new)), then the lanes
  /// switch to features (l, l + 32, ...) and accumulate the block's
  /// positions' V rows, each weight broadcast from its lane by a shuffle
  /// (coalesced V reads). f32 arithmetic, any cache type.
  void attentionTiledRows(Builder &b, const TiledAttentionTile &t) {
    const int64_t D = c.dModel, H = c.nHeads, KVH = c.nKvHeads, hd = c.headDim();
    const int64_t perLane = llvm::divideCeil(hd, kWarpSize), chunk = tiledAttentionChunk();
    Type cacheElt = t.kCache.elementType();
    auto chunkType = VectorType::get({chunk}, cacheElt);
    Value zero = cIdx(b, 0);
    Value kvOff = mulI(b, divU(b, t.h, H / KVH), hd);
    Value scale = cF32(b, 1.0 / std::sqrt(double(hd)));
    Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
    // Lane l's features l, l + 32, ...; those past head_dim read feature 0
    // (in bounds) and are not stored.
    SmallVector<Value, 4> feature, valid;
    for (int64_t j = 0; j < perLane; ++j) {
      Value d = addI(b, t.lane, j * kWarpSize);
      valid.push_back((j + 1) * kWarpSize <= hd ? cTrue(b) : ult(b, d, cIdx(b, hd)));
      feature.push_back(arith::SelectOp::create(b, valid[j], d, zero));
    }
    constexpr int64_t kWarps = kTiledAttentionRows / 16;
    forRange(b, addI(b, t.warp, mulI(b, t.part, kWarps)), t.n, kWarps * kTiledAttentionRowSplit,
             [&](Builder &b, Value r) {
      Value i = addI(b, t.r0, r);
      Value s = loadIndex(b, t.seq, i);
      Value end = addI(b, loadIndex(b, t.pos, i), 1); // causal: positions 0..pos[i]
      Value qBase = addI(b, mulI(b, i, D), mulI(b, t.h, hd));
      auto kvRow = [&](Builder &b, Value u) {
        return addI(b, cacheIndex(b, s, t.layers, t.layer, t.capacity, u), kvOff);
      };
      SmallVector<Value> init{negInf, cF32(b, 0)};
      init.append(perLane, cF32(b, 0));
      auto blocks = scf::ForOp::create(
          b, zero, end, cIdx(b, kWarpSize), init,
          [&](OpBuilder &ob, Location loc, Value u0, ValueRange st) {
            Builder b(loc, ob);
            Value u = addI(b, u0, t.lane);
            Value inside = ult(b, u, end);
            Value kBase = kvRow(b, arith::SelectOp::create(b, inside, u, zero));
            Value dot = cF32(b, 0);
            for (int64_t d0 = 0; d0 < hd; d0 += chunk) {
              Value k = vector::LoadOp::create(
                  b, chunkType, t.kCache.mem, ValueRange{addI(b, t.kCache.base, addI(b, kBase, d0))},
                  /*nontemporal=*/false, llvm::MaybeAlign(chunk * byteWidth(cacheElt)));
              for (int64_t e = 0; e < chunk; ++e) {
                Value x = vector::ExtractOp::create(b, k, e);
                if (!cacheElt.isF32())
                  x = arith::ExtFOp::create(b, b.getF32Type(), x);
                dot = addF(b, dot, mulF(b, t.Q.load(b, addI(b, qBase, cIdx(b, d0 + e))), x));
              }
            }
            Value score = arith::SelectOp::create(b, inside, mulF(b, dot, scale), negInf);
            Value m = maximumF(b, st[0], laneMax(b, score));
            Value rescale = math::ExpOp::create(b, subF(b, st[0], m)); // 0 at u0 = 0
            Value p = math::ExpOp::create(b, subF(b, score, m));       // 0 past end
            SmallVector<Value> next{m, addF(b, mulF(b, st[1], rescale), laneSum(b, p))};
            SmallVector<Value> acc;
            for (int64_t j = 0; j < perLane; ++j)
              acc.push_back(mulF(b, st[2 + j], rescale));
            Value count = arith::MinUIOp::create(b, arith::SubIOp::create(b, end, u0),
                                                 cIdx(b, kWarpSize));
            auto values = scf::ForOp::create(
                b, zero, count, cIdx(b, 1), acc,
                [&](OpBuilder &ob, Location loc, Value k, ValueRange acc) {
                  Builder b(loc, ob);
                  Value from = arith::IndexCastOp::create(b, b.getI32Type(), k);
                  Value w = gpu::ShuffleOp::create(b, p, from,
                                                   arith::ConstantIntOp::create(b, b.getI32Type(), kWarpSize),
                                                   gpu::ShuffleMode::IDX)
                                .getShuffleResult();
                  Value vBase = kvRow(b, addI(b, u0, k));
                  SmallVector<Value> next;
                  for (int64_t j = 0; j < perLane; ++j)
                    next.push_back(addF(b, acc[j],
                                        mulF(b, w, t.vCache.load(b, addI(b, vBase, feature[j])))));
                  scf::YieldOp::create(b, next);
                });
            next.append(values.getResults().begin(), values.getResults().end());
            scf::YieldOp::create(b, next);
          });
      Value l = blocks.getResult(1);
      for (int64_t j = 0; j < perLane; ++j)
        ifThen(b, valid[j], [&](Builder &b) {
          t.A.store(b, divF(b, blocks.getResult(2 + j), l), addI(b, qBase, feature[j]));
        });
    });
  }

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
                         int64_t width) {
    constexpr int64_t kRows = kTiledAttentionRows, kPositions = kTiledAttentionPositions;
    constexpr int64_t threads = kRows / 16 * kWarpSize;
    constexpr int64_t kScoreTiles = kPositions / 8; // m16n8 score tiles per warp
    const int64_t D = c.dModel, H = c.nHeads, KVH = c.nKvHeads, hd = c.headDim();
    const int64_t hdPad = llvm::alignTo(hd, 16), steps = hdPad / 16, outTiles = hdPad / 8;
    const int64_t chunk = tiledAttentionChunk(), chunksPerRow = hdPad / chunk;
    Value qS = shared[0], kS = shared[1], vS = shared[2];
    Type f32 = b.getF32Type(), bf16 = b.getBF16Type();
    Value zero = cIdx(b, 0);
    Value kvOff = mulI(b, divU(b, t.h, H / KVH), hd), headOff = mulI(b, t.h, hd);
    Value end = addI(b, t.p0, t.n); // positions 0 .. end - 1
    Value scale = cF32(b, 1.0 / std::sqrt(double(hd)));
    Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
    Value hdLimit = cIdx(b, hd);

    // The Q tile as bf16; rows past n and features past head_dim are 0.
    forRange(b, t.tid, cIdx(b, kRows * hdPad), threads, [&](Builder &b, Value e) {
      Value r = divU(b, e, hdPad), d = remU(b, e, hdPad);
      Value inside = arith::AndIOp::create(b, ult(b, r, t.n), ult(b, d, hdLimit));
      Value at = arith::SelectOp::create(
          b, inside, addI(b, addI(b, mulI(b, addI(b, t.r0, r), D), headOff), d), zero);
      Value q = arith::SelectOp::create(b, inside, t.Q.load(b, at), cF32(b, 0));
      memref::StoreOp::create(b, arith::TruncFOp::create(b, bf16, q), qS, ValueRange{r, d});
    });
    gpu::BarrierOp::create(b);
    Value wm = mulI(b, t.warp, 16);
    // A operands of the warp's rows: matrices (rows 0-7, 8-15) x (features
    // 0-7, 8-15) of each 16-wide step, lanes 16+ on features 8-15.
    SmallVector<SmallVector<Value, 4>> qA;
    for (int64_t ks = 0; ks < steps; ++ks)
      qA.push_back(ldmatrixX4(b, qS, {addI(b, wm, remU(b, t.lane, 16)),
                                      addI(b, mulI(b, divU(b, t.lane, 16), 8), ks * 16)}));
    // Positions of the thread's two rows (lane / 4 and lane / 4 + 8).
    Value quadRow = addI(b, wm, divU(b, t.lane, 4));
    Value rowPos[2] = {addI(b, t.p0, quadRow), addI(b, addI(b, t.p0, quadRow), 8)};
    Value quadCol = mulI(b, remU(b, t.lane, 4), 2);

    auto vecType = VectorType::get({chunk}, bf16);
    Value zeros = arith::ConstantOp::create(
        b, DenseElementsAttr::get(vecType, b.getFloatAttr(bf16, 0.0)));
    // Positions kt·P .. of s0 into kS / vS; past `end` or head_dim: zeros.
    auto loadKV = [&](Builder &b, Value kt) {
      Value u0 = mulI(b, kt, kPositions);
      forRange(b, t.tid, cIdx(b, kPositions * chunksPerRow), threads, [&](Builder &b, Value e) {
        Value r = divU(b, e, chunksPerRow), d = mulI(b, remU(b, e, chunksPerRow), chunk);
        Value u = addI(b, u0, r);
        Value inside = arith::AndIOp::create(b, ult(b, u, end), ult(b, d, hdLimit));
        Value at = arith::SelectOp::create(
            b, inside, addI(b, addI(b, cacheIndex(b, t.s0, t.layers, t.layer, t.capacity, u), kvOff), d),
            zero);
        for (auto [cache, tile] : {std::pair{t.kCache, kS}, std::pair{t.vCache, vS}}) {
          Value v = vector::LoadOp::create(b, vecType, cache.mem, ValueRange{addI(b, cache.base, at)},
                                           /*nontemporal=*/false, llvm::MaybeAlign(chunk * 2));
          v = arith::SelectOp::create(b, inside, v, zeros);
          vector::StoreOp::create(b, v, tile, ValueRange{r, d}, /*nontemporal=*/false,
                                  llvm::MaybeAlign(chunk * 2));
        }
      });
    };
    // Two f32 as the bf16 pair of one mma.sync register (the first low).
    auto packBF16 = [&](Builder &b, Value lo, Value hi) -> Value {
      Value v = vector::FromElementsOp::create(b, VectorType::get({2}, f32), ValueRange{lo, hi});
      v = arith::TruncFOp::create(b, VectorType::get({2}, bf16), v);
      return LLVM::BitcastOp::create(b, b.getI32Type(), v);
    };
    // Combines a value over the 4 lanes that hold one row.
    auto quadReduce = [&](Builder &b, Value v, function_ref<Value(Builder &, Value, Value)> combine) {
      for (int32_t offset = 1; offset < 4; offset *= 2) {
        auto shuffled = gpu::ShuffleOp::create(b, v, offset, kWarpSize, gpu::ShuffleMode::XOR);
        v = combine(b, v, shuffled.getShuffleResult());
      }
      return v;
    };

    // Carried: the two rows' max and partial sum, then the output tiles.
    SmallVector<Value> init{negInf, negInf, cF32(b, 0), cF32(b, 0)};
    init.append(outTiles * 4, cF32(b, 0));
    Value kvTiles = arith::CeilDivUIOp::create(b, end, cIdx(b, kPositions));
    auto loop = scf::ForOp::create(
        b, zero, kvTiles, cIdx(b, 1), init,
        [&](OpBuilder &ob, Location loc, Value kt, ValueRange st) {
          Builder b(loc, ob);
          gpu::BarrierOp::create(b); // every warp is done with the last tile
          loadKV(b, kt);
          gpu::BarrierOp::create(b);
          // Scores: K rows as the column-major B operand, n-tiles 2np, 2np + 1.
          SmallVector<Value> s(kScoreTiles * 4, cF32(b, 0));
          Value kRow = addI(b, remU(b, t.lane, 8), mulI(b, divU(b, t.lane, 16), 8));
          Value kCol = mulI(b, remU(b, divU(b, t.lane, 8), 2), 8);
          for (int64_t ks = 0; ks < steps; ++ks)
            for (int64_t np = 0; np < kScoreTiles / 2; ++np) {
              SmallVector<Value, 4> kB =
                  ldmatrixX4(b, kS, {addI(b, kRow, np * 16), addI(b, kCol, ks * 16)});
              for (int64_t half = 0; half < 2; ++half)
                mmaBF16(b, qA[ks], ArrayRef<Value>(kB).slice(half * 2, 2),
                        &s[(np * 2 + half) * 4]);
            }
          // Scale, causal mask, row max.
          Value u0 = addI(b, mulI(b, kt, kPositions), quadCol);
          Value rowMax[2] = {st[0], st[1]};
          for (int64_t ni = 0; ni < kScoreTiles; ++ni)
            for (int64_t v = 0; v < 4; ++v) {
              Value u = addI(b, u0, ni * 8 + v % 2);
              Value future = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, u, rowPos[v / 2]);
              Value &x = s[ni * 4 + v];
              x = arith::SelectOp::create(b, future, negInf, mulF(b, x, scale));
              rowMax[v / 2] = maximumF(b, rowMax[v / 2], x);
            }
          SmallVector<Value> next;
          Value rescale[2];
          for (int64_t j = 0; j < 2; ++j) {
            rowMax[j] = quadReduce(b, rowMax[j], maximumF);
            rescale[j] = math::ExpOp::create(b, subF(b, st[j], rowMax[j])); // 0 at kt = 0
            next.push_back(rowMax[j]);
          }
          Value sum[2] = {mulF(b, st[2], rescale[0]), mulF(b, st[3], rescale[1])};
          for (int64_t ni = 0; ni < kScoreTiles; ++ni)
            for (int64_t v = 0; v < 4; ++v) {
              Value &x = s[ni * 4 + v];
              x = math::ExpOp::create(b, subF(b, x, rowMax[v / 2])); // masked: 0
              sum[v / 2] = addF(b, sum[v / 2], x);
            }
          next.push_back(sum[0]);
          next.push_back(sum[1]);
          SmallVector<Value> o(st.drop_front(4));
          for (int64_t i = 0; i < outTiles * 4; ++i)
            o[i] = mulF(b, o[i], rescale[(i % 4) / 2]);
          // P·V: positions 16kk .. 16kk + 15 as one k-step; V's matrices
          // (positions 0-7, 8-15) x (features 0-7, 8-15), transposed.
          Value vRow = addI(b, remU(b, t.lane, 8), mulI(b, remU(b, divU(b, t.lane, 8), 2), 8));
          Value vCol = mulI(b, divU(b, t.lane, 16), 8);
          for (int64_t kk = 0; kk < kScoreTiles / 2; ++kk) {
            const Value *p0 = &s[kk * 2 * 4], *p1 = &s[(kk * 2 + 1) * 4];
            SmallVector<Value, 4> pA{packBF16(b, p0[0], p0[1]), packBF16(b, p0[2], p0[3]),
                                     packBF16(b, p1[0], p1[1]), packBF16(b, p1[2], p1[3])};
            for (int64_t dp = 0; dp < outTiles / 2; ++dp) {
              auto vecType = VectorType::get({4, 2}, bf16);
              Value m = nvgpu::LdMatrixOp::create(
                  b, vecType, vS, ValueRange{addI(b, vRow, kk * 16), addI(b, vCol, dp * 16)},
                  /*transpose=*/true, /*numTiles=*/4);
              SmallVector<Value, 4> vB;
              for (int64_t i = 0; i < 4; ++i)
                vB.push_back(LLVM::BitcastOp::create(b, b.getI32Type(),
                                                     vector::ExtractOp::create(b, m, i)));
              for (int64_t half = 0; half < 2; ++half)
                mmaBF16(b, pA, ArrayRef<Value>(vB).slice(half * 2, 2), &o[(dp * 2 + half) * 4]);
            }
          }
          next.append(o);
          scf::YieldOp::create(b, next);
        });
    Value inverse[2];
    for (int64_t j = 0; j < 2; ++j)
      inverse[j] = divF(b, cF32(b, 1.0), quadReduce(b, loop.getResult(2 + j), addF));
    SmallVector<Value> out;
    for (int64_t i = 0; i < outTiles * 4; ++i)
      out.push_back(mulF(b, loop.getResult(4 + i), inverse[(i % 4) / 2]));
    storeMmaTiles(b, t.A.shifted(b, headOff), D, t.rows, hdLimit,
                  addI(b, t.r0, wm), zero, t.lane, 1, outTiles, out, Value(), /*accumulate=*/false);
  }

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
                      Value pos, Value seq, int64_t layers, Value layer, Value capacity) {
    constexpr int64_t kAttnWarps = 8;
    const int64_t threads = kAttnWarps * kWarpSize;
    const int64_t D = c.dModel, H = c.nHeads, KVH = c.nKvHeads, hd = c.headDim();
    Type f32 = b.getF32Type();
    auto shared = [&](int64_t n) { return workgroupBuffer({n}, f32); };
    Value one = cIdx(b, 1);
    Value pairs = mulI(b, rows, H);
    // An empty batch still launches one (idle) block: a zero grid is an error.
    auto launch = gpu::LaunchOp::create(
        b, arith::MaxUIOp::create(b, pairs, one), one, one, cIdx(b, threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{},
        TypeRange{shared(hd), shared(kAttnWarps), shared(kAttnWarps), shared(kAttnWarps * hd)});
    nameKernel(launch, "photon_attention");
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    ValueRange wg = launch.getWorkgroupAttributions();
    Value qS = wg[0], mS = wg[1], lS = wg[2], accS = wg[3];
    Value pair = launch.getBlockIds().x, tid = launch.getThreadIds().x;
    // The whole block takes or skips the branch: its barriers stay uniform.
    ifThen(kb, ult(kb, pair, pairs), [&](Builder &b) {
      Value i = divU(b, pair, H), h = remU(b, pair, H);
      Value warp = divU(b, tid, kWarpSize), lane = remU(b, tid, kWarpSize);
      Value s = loadIndex(b, seq, i);
      Value end = addI(b, loadIndex(b, pos, i), 1); // causal: positions 0..pos[i]
      Value kvHead = mulI(b, divU(b, h, H / KVH), hd);
      Value qBase = addI(b, mulI(b, i, D), mulI(b, h, hd));
      Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
      auto forEachFeature = [&](Builder &b, function_ref<void(Builder &, Value)> body) {
        scf::ForOp::create(b, tid, cIdx(b, hd), cIdx(b, threads), ValueRange{},
                           [&](OpBuilder &ob, Location loc, Value d, ValueRange) {
                             Builder fb(loc, ob);
                             body(fb, d);
                             scf::YieldOp::create(fb);
                           });
      };
      forEachFeature(b, [&](Builder &b, Value d) {
        memref::StoreOp::create(b, Q.load(b, addI(b, qBase, d)), qS, ValueRange{d});
      });
      gpu::BarrierOp::create(b);

      Value scale = cF32(b, 1.0 / std::sqrt(double(hd)));
      SmallVector<Value> init{negInf, cF32(b, 0)};
      init.append(hd, cF32(b, 0));
      auto loop = scf::ForOp::create(
          b, tid, end, cIdx(b, threads), init,
          [&](OpBuilder &ob, Location loc, Value u, ValueRange st) {
            Builder b(loc, ob);
            Value kvBase = addI(b, cacheIndex(b, s, layers, layer, capacity, u), kvHead);
            Value dot = cF32(b, 0);
            for (int64_t d = 0; d < hd; ++d) {
              Value q = memref::LoadOp::create(b, qS, ValueRange{cIdx(b, d)});
              dot = addF(b, dot, mulF(b, q, kCache.load(b, addI(b, kvBase, d))));
            }
            Value score = mulF(b, dot, scale);
            Value m = maximumF(b, st[0], score);
            Value rescale = math::ExpOp::create(b, subF(b, st[0], m)); // 0 at the first u
            Value p = math::ExpOp::create(b, subF(b, score, m));
            SmallVector<Value> next{m, addF(b, mulF(b, st[1], rescale), p)};
            for (int64_t d = 0; d < hd; ++d) {
              Value v = vCache.load(b, addI(b, kvBase, d));
              next.push_back(addF(b, mulF(b, st[2 + d], rescale), mulF(b, p, v)));
            }
            scf::YieldOp::create(b, next);
          });
      // exp(m - mAll), or 0 for a state without positions (m = -inf).
      auto weightOf = [&](Builder &b, Value m, Value mAll) -> Value {
        Value none = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, m, negInf);
        return arith::SelectOp::create(b, none, cF32(b, 0),
                                       math::ExpOp::create(b, subF(b, m, mAll)));
      };
      // Merge the warp's lanes; lane 0 publishes the warp's state.
      Value m = loop.getResult(0);
      Value mWarp = laneMax(b, m);
      Value w = weightOf(b, m, mWarp);
      Value lWarp = laneSum(b, mulF(b, loop.getResult(1), w));
      SmallVector<Value> accWarp;
      for (int64_t d = 0; d < hd; ++d)
        accWarp.push_back(laneSum(b, mulF(b, loop.getResult(2 + d), w)));
      onLaneZero(b, lane, [&](Builder &b) {
        memref::StoreOp::create(b, mWarp, mS, ValueRange{warp});
        memref::StoreOp::create(b, lWarp, lS, ValueRange{warp});
        Value row = mulI(b, warp, hd);
        for (int64_t d = 0; d < hd; ++d)
          memref::StoreOp::create(b, accWarp[d], accS, ValueRange{addI(b, row, d)});
      });
      gpu::BarrierOp::create(b);
      // Merge the warps (warp 0 holds position 0, so mAll is finite); a
      // thread per output feature.
      forEachFeature(b, [&](Builder &b, Value d) {
        SmallVector<Value> ms;
        Value mAll = negInf;
        for (int64_t k = 0; k < kAttnWarps; ++k) {
          ms.push_back(memref::LoadOp::create(b, mS, ValueRange{cIdx(b, k)}));
          mAll = maximumF(b, mAll, ms[k]);
        }
        Value num = cF32(b, 0), den = cF32(b, 0);
        for (int64_t k = 0; k < kAttnWarps; ++k) {
          Value wk = weightOf(b, ms[k], mAll);
          Value lk = memref::LoadOp::create(b, lS, ValueRange{cIdx(b, k)});
          Value ak = memref::LoadOp::create(b, accS, ValueRange{addI(b, d, k * hd)});
          den = addF(b, den, mulF(b, wk, lk));
          num = addF(b, num, mulF(b, wk, ak));
        }
        A.store(b, divF(b, num, den), addI(b, qBase, d));
      });
    });
    gpu::TerminatorOp::create(kb);
  }

  /// How split attention lays a head over a warp: lanes per cache position
  /// (`lanesPerPosition`, a power of two), each loading `vec` features of
  /// the position's K and V rows at once (16 bytes at most; `vec` divides
  /// head_dim, so every row of the head starts vector-aligned) and the
  /// first `chunks` of them holding features; query heads of a KV group per
  /// block; positions per lane group per loop step (`unroll`: that many K
  /// and V loads in flight per lane).
  struct SplitAttentionShape {
    int64_t vec, chunks, lanesPerPosition, headsPerBlock, unroll;
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
  static Value splitChunk(Builder &b, Value end, Value splits) {
    return arith::MaxUIOp::create(b, arith::CeilDivUIOp::create(b, end, splits),
                                  cIdx(b, kSplitAttnMinPositions));
  }
  /// Most accumulator floats of one lane (query heads x vec): registers.
  static constexpr int64_t kSplitAttnMaxLaneAcc = 32;

  /// The shape of split attention for this model, or none where a head is
  /// wider than a warp's vectors (f32 caches: 128 features when head_dim is
  /// a multiple of 4, else 64; bf16: 256, 128 or 64 for head_dim a multiple
  /// of 8, 4 or 2). Those heads keep the unfused kernels.
  std::optional<SplitAttentionShape> splitAttentionShape() const {
    const int64_t hd = c.headDim(), group = c.nHeads / c.nKvHeads;
    int64_t vec = 16 / byteWidth(actElt);
    while (hd % vec != 0)
      vec /= 2;
    const int64_t chunks = hd / vec;
    if (chunks > kWarpSize)
      return std::nullopt;
    int64_t heads = 1;
    for (int64_t d = 1; d <= group; ++d)
      if (group % d == 0 && d * vec <= kSplitAttnMaxLaneAcc)
        heads = d;
    return SplitAttentionShape{vec, chunks, int64_t(llvm::PowerOf2Ceil(chunks)), heads,
                               heads * vec <= 16 ? 4 : 2};
  }

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
  /// writes nothing and the combine does not read it. Falls back to
  /// `fallback` where the caches are not aligned to the vectors.
  ///
  /// With `oneSplit` (short caches, split-short-caches) the kernel
  /// (photon_attention_short) has one split and writes A itself, no
  /// combine; on caches of at most kShortAttnWarpMaxCapacity positions
  /// (photon_attention_short_warps) a warp per (row, KV head group) walks
  /// the whole cache, W of them a block, with no workgroup memory.
  void attentionSplit(Builder &b, const SplitAttentionShape &shape, Buf Q, Buf kCache,
                      Buf vCache, Buf A, Buf partials, Value semaphores, Value rows, Value pos,
                      Value seq, int64_t layers, Value layer, Value capacity, bool oneSplit,
                      function_ref<void(Builder &)> fallback) {
    const int64_t D = c.dModel, H = c.nHeads, KVH = c.nKvHeads, hd = c.headDim();
    const int64_t group = H / KVH, heads = shape.headsPerBlock, runs = group / heads;
    const int64_t vec = shape.vec, lpp = shape.lanesPerPosition, U = shape.unroll;
    const int64_t perWarp = kWarpSize / lpp, W = kSplitAttnWarps, threads = W * kWarpSize;
    const int64_t stride = 2 + vec; // per head of a state: m, l, acc[vec]
    Type f32 = b.getF32Type();
    Value one = cIdx(b, 1);
    Value someRows = arith::MaxUIOp::create(b, rows, one);
    // Splits: enough blocks for the card, as many as the scratch holds, at
    // most one per kSplitAttnMinPositions of the capacity, at least one.
    Value splits = one;
    if (!oneSplit) {
      Value wanted = arith::CeilDivUIOp::create(b, cIdx(b, splitAttnTargetBlocks()),
                                                mulI(b, someRows, KVH * runs));
      Value fit = arith::MinUIOp::create(
          b, arith::DivUIOp::create(b, addI(b, capacity, 2), cIdx(b, hd + 2)),
          divU(b, capacity, kSplitAttnMinPositions));
      splits = arith::MaxUIOp::create(b, arith::MinUIOp::create(b, wanted, fit), one);
    }
    // K and V vectors stay in the caches' type until used (half the
    // registers of a prefetched step with bf16 caches).
    auto vecLoad = [&](Builder &b, Buf buf, Value at) -> Value {
      Type elt = buf.elementType();
      return vector::LoadOp::create(b, VectorType::get({vec}, elt), buf.mem,
                                    ValueRange{addI(b, buf.base, at)},
                                    /*nontemporal=*/false, llvm::MaybeAlign(vec * byteWidth(elt)));
    };
    auto widen = [&](Builder &b, Value v) -> Value {
      return cast<VectorType>(v.getType()).getElementType().isF32()
                 ? v
                 : arith::ExtFOp::create(b, VectorType::get({vec}, f32), v);
    };
    Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
    // Merges online-softmax states (m, l, acc...) of one head: weights
    // exp(m - max), a state without positions (m = -inf) weighing 0.
    auto merge = [&](Builder &b, ValueRange x, ValueRange y) {
      Value m = maximumF(b, x[0], y[0]);
      Value ref = arith::SelectOp::create(
          b, arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, m, negInf), cF32(b, 0), m);
      Value wx = math::ExpOp::create(b, subF(b, x[0], ref));
      Value wy = math::ExpOp::create(b, subF(b, y[0], ref));
      SmallVector<Value> out{m};
      for (size_t k = 1; k < x.size(); ++k)
        out.push_back(addF(b, mulF(b, wx, x[k]), mulF(b, wy, y[k])));
      return out;
    };

    ifElse(
        b,
        arith::AndIOp::create(b, alignedTo(b, kCache.mem, kCache.base, vec * byteWidth(actElt)),
                              alignedTo(b, vCache.mem, vCache.base, vec * byteWidth(actElt))),
        [&](Builder &b) {
      // The kernel: a block per (split, run of query heads, row), or with
      // `warpPerPair` (short caches of at most kShortAttnWarpMaxCapacity
      // positions) a warp per (row, run), W pairs a block, walking the whole
      // cache with no merge across warps: a block per pair left 3 of its 4
      // warps idle on the local decoders' few positions (measured 2.8x
      // faster at 256 PHOTON-600M sequences on an H200), but one warp walking
      // 65 positions made vanilla's batch-1 attention 1.8x slower.
      auto emitKernel = [&](Builder &b, bool warpPerPair) {
        auto shared = [&](int64_t n) { return workgroupBuffer({n}, f32); };
        const int64_t pairsPerRow = KVH * runs;
        // Per warp and head: m, l, acc; the last-block flag where the
        // splits' last block combines.
        SmallVector<Type> wgTypes{shared(W * heads), shared(W * heads), shared(W * heads * hd)};
        if (semaphores)
          wgTypes.push_back(workgroupBuffer({1}, b.getI32Type()));
        auto launch =
            warpPerPair
                ? gpu::LaunchOp::create(
                      b, arith::CeilDivUIOp::create(b, mulI(b, someRows, pairsPerRow), cIdx(b, W)),
                      one, one, cIdx(b, threads), one, one)
                : gpu::LaunchOp::create(
                      b, splits, cIdx(b, pairsPerRow), someRows, cIdx(b, threads), one, one,
                      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
                      /*asyncDependencies=*/ValueRange{},
                      wgTypes);
        nameKernel(launch, warpPerPair ? "photon_attention_short_warps"
                           : oneSplit  ? "photon_attention_short"
                                       : "photon_attention_split");
        Builder kb(b.getLoc(), ctx);
        kb.setInsertionPointToStart(&launch.getBody().front());
        ValueRange wg = launch.getWorkgroupAttributions();
        Value tid = launch.getThreadIds().x;
        Value warp = divU(kb, tid, kWarpSize), lane = remU(kb, tid, kWarpSize);
        Value s = launch.getBlockIds().x, run = launch.getBlockIds().y, i = launch.getBlockIds().z;
        if (warpPerPair) {
          Value pair = addI(kb, mulI(kb, launch.getBlockIds().x, W), warp);
          s = cIdx(kb, 0);
          run = remU(kb, pair, pairsPerRow);
          i = divU(kb, pair, pairsPerRow);
        }
        Value nSplits = launch.getGridSize().x;
        // The whole block takes or skips the branches: its barrier stays
        // uniform (a warp per pair has none).
        ifThen(kb, ult(kb, i, rows), [&](Builder &b) {
          Value end = addI(b, loadIndex(b, pos, i), 1); // causal: positions 0..pos[i]
          Value chunk = warpPerPair ? end : splitChunk(b, end, nSplits);
          Value lo = mulI(b, s, chunk);
          Value hi = arith::MinUIOp::create(b, addI(b, lo, chunk), end);
          ifThen(b, ult(b, lo, hi), [&](Builder &b) {
            Value at = remU(b, lane, lpp), inGroup = divU(b, lane, lpp);
            // Lanes past the head's vectors read vector 0 with q = 0.
            Value holds = shape.chunks < lpp ? ult(b, at, cIdx(b, shape.chunks)) : Value();
            Value f = mulI(b, holds ? arith::SelectOp::create(b, holds, at, cIdx(b, 0)) : at, vec);
            Value kvHead = divU(b, run, runs);
            Value head0 = addI(b, mulI(b, kvHead, group), mulI(b, remU(b, run, runs), heads));
            Value kvOff = addI(b, mulI(b, kvHead, hd), f);
            Value slot = loadIndex(b, seq, i);
            // q · 1/sqrt(head_dim), this lane's features of each head.
            Value scale = cF32(b, 1.0 / std::sqrt(double(hd)));
            SmallVector<Value> q;
            for (int64_t h = 0; h < heads; ++h) {
              Value qBase = addI(b, addI(b, mulI(b, i, D), mulI(b, addI(b, head0, h), hd)), f);
              for (int64_t e = 0; e < vec; ++e) {
                Value x = mulF(b, Q.load(b, addI(b, qBase, e)), scale);
                q.push_back(holds ? arith::SelectOp::create(b, holds, x, cF32(b, 0)) : x);
              }
            }
            SmallVector<Value> init;
            for (int64_t h = 0; h < heads; ++h) {
              init.append({negInf, cF32(b, 0)});
              init.append(vec, cF32(b, 0));
            }
            // Warp w's steps start at lo + w·perWarp·U (lo with a warp per
            // pair); within a step, lane group j takes positions base +
            // k·perWarp + j (adjacent groups adjacent positions). Every lane of
            // a warp runs the same steps.
            const int64_t warpsOnRange = warpPerPair ? 1 : W;
            Value start = warpPerPair ? lo : addI(b, lo, mulI(b, warp, perWarp * U));
            Value stepSize = cIdx(b, warpsOnRange * perWarp * U);
            auto positionOf = [&](Builder &b, Value base, int64_t k) {
              return addI(b, base, addI(b, inGroup, k * perWarp));
            };
            // The U K vectors, then the U V vectors, of the step at `base`;
            // positions past hi read position lo (in the cache, not used).
            auto loadStep = [&](Builder &b, Value base) {
              SmallVector<Value> rows, kv;
              for (int64_t k = 0; k < U; ++k) {
                Value u = positionOf(b, base, k);
                rows.push_back(addI(b, cacheIndex(b, slot, layers, layer, capacity,
                                                  arith::SelectOp::create(b, ult(b, u, hi), u, lo)),
                                    kvOff));
                kv.push_back(vecLoad(b, kCache, rows.back()));
              }
              for (Value row : rows)
                kv.push_back(vecLoad(b, vCache, row));
              return kv;
            };
            // The block kernels are software-pipelined: each step issues the
            // next step's loads before it computes with the ones carried in,
            // so a warp waits for memory once, not once per step. A warp per
            // pair (the local decoders' few positions: mostly one step) loads
            // each step's own.
            const bool pipelined = !warpPerPair;
            const int64_t nState = init.size();
            if (pipelined)
              llvm::append_range(init, loadStep(b, start));
            auto loop = scf::ForOp::create(
                b, start, hi, stepSize, init,
                [&](OpBuilder &ob, Location loc, Value base, ValueRange carried) {
                  Builder b(loc, ob);
                  SmallVector<Value> kv, prefetched;
                  if (pipelined) {
                    prefetched = loadStep(b, addI(b, base, stepSize));
                    kv.assign(carried.begin() + nState, carried.end());
                  } else {
                    kv = loadStep(b, base);
                  }
                  ValueRange st = carried.take_front(nState);
                  SmallVector<Value> valid, keys, values;
                  for (int64_t k = 0; k < U; ++k) {
                    valid.push_back(ult(b, positionOf(b, base, k), hi));
                    keys.push_back(widen(b, kv[k]));
                    values.push_back(widen(b, kv[U + k]));
                  }
                  SmallVector<Value> next;
                  for (int64_t h = 0; h < heads; ++h) {
                    ValueRange old = st.slice(h * stride, stride);
                    SmallVector<Value> scores;
                    Value m = old[0];
                    for (int64_t k = 0; k < U; ++k) {
                      Value dot = cF32(b, 0);
                      for (int64_t e = 0; e < vec; ++e)
                        dot = math::FmaOp::create(b, q[h * vec + e],
                                                  vector::ExtractOp::create(b, keys[k], e), dot);
                      for (int32_t off = lpp / 2; off > 0; off /= 2)
                        dot = addF(b, dot,
                                   gpu::ShuffleOp::create(b, dot, off, kWarpSize, gpu::ShuffleMode::XOR)
                                       .getShuffleResult());
                      scores.push_back(arith::SelectOp::create(b, valid[k], dot, negInf));
                      m = maximumF(b, m, scores.back());
                    }
                    // The U positions at once: one rescale by exp(m_old - m).
                    Value ref = arith::SelectOp::create(
                        b, arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, m, negInf),
                        cF32(b, 0), m);
                    Value rescale = math::ExpOp::create(b, subF(b, old[0], ref));
                    Value l = mulF(b, old[1], rescale);
                    SmallVector<Value> acc;
                    for (int64_t e = 0; e < vec; ++e)
                      acc.push_back(mulF(b, old[2 + e], rescale));
                    for (int64_t k = 0; k < U; ++k) {
                      Value p = math::ExpOp::create(b, subF(b, scores[k], ref));
                      l = addF(b, l, p);
                      for (int64_t e = 0; e < vec; ++e)
                        acc[e] = math::FmaOp::create(b, p, vector::ExtractOp::create(b, values[k], e),
                                                     acc[e]);
                    }
                    next.append({m, l});
                    next.append(acc);
                  }
                  llvm::append_range(next, prefetched);
                  scf::YieldOp::create(b, next);
                });
            // Merge the warp's lane groups (lanes lpp apart hold the same
            // features of other positions).
            SmallVector<Value> state(loop.getResults().take_front(nState));
            for (int32_t off = lpp; off < kWarpSize; off *= 2) {
              SmallVector<Value> merged;
              for (int64_t h = 0; h < heads; ++h) {
                ValueRange mine = ArrayRef<Value>(state).slice(h * stride, stride);
                SmallVector<Value> other;
                for (Value x : mine)
                  other.push_back(gpu::ShuffleOp::create(b, x, off, kWarpSize, gpu::ShuffleMode::XOR)
                                      .getShuffleResult());
                merged.append(merge(b, mine, other));
              }
              state = merged;
            }
            if (warpPerPair) {
              // Every lane holds the merged state: lanes 0..chunks-1 write
              // their features of each head.
              ifThen(b, ult(b, lane, cIdx(b, shape.chunks)), [&](Builder &b) {
                for (int64_t h = 0; h < heads; ++h) {
                  Value row = addI(b, addI(b, mulI(b, i, D), mulI(b, addI(b, head0, h), hd)), f);
                  for (int64_t e = 0; e < vec; ++e)
                    A.store(b, divF(b, state[h * stride + 2 + e], state[h * stride + 1]),
                            addI(b, row, e));
                }
              });
              return;
            }
            Value mS = wg[0], lS = wg[1], accS = wg[2];
            // Lanes 0..chunks-1 publish the warp's features, lane 0 its m, l.
            ifThen(b, ult(b, lane, cIdx(b, shape.chunks)), [&](Builder &b) {
              for (int64_t h = 0; h < heads; ++h) {
                Value row = addI(b, mulI(b, addI(b, mulI(b, warp, heads), h), hd), f);
                for (int64_t e = 0; e < vec; ++e)
                  memref::StoreOp::create(b, state[h * stride + 2 + e], accS,
                                          ValueRange{addI(b, row, e)});
              }
            });
            onLaneZero(b, lane, [&](Builder &b) {
              for (int64_t h = 0; h < heads; ++h) {
                Value at = addI(b, mulI(b, warp, heads), h);
                memref::StoreOp::create(b, state[h * stride], mS, ValueRange{at});
                memref::StoreOp::create(b, state[h * stride + 1], lS, ValueRange{at});
              }
            });
            gpu::BarrierOp::create(b);
            // Merges the W states of each head in workgroup memory (state w of
            // head h at w · heads + h), a thread per (head, feature): `sink`
            // gets the head, the feature, the weighted sum of acc, of l and
            // the max. State 0 holds a position, so the max is finite.
            auto mergeStates = [&](Builder &b,
                                   function_ref<void(Builder &, Value, Value, Value, Value, Value)> sink) {
              scf::ForOp::create(
                  b, tid, cIdx(b, heads * hd), cIdx(b, threads), ValueRange{},
                  [&](OpBuilder &ob, Location loc, Value t, ValueRange) {
                    Builder b(loc, ob);
                    Value h = divU(b, t, hd), d = remU(b, t, hd);
                    SmallVector<Value> ms;
                    Value mAll = negInf;
                    for (int64_t w = 0; w < W; ++w) {
                      ms.push_back(memref::LoadOp::create(b, mS, ValueRange{addI(b, h, w * heads)}));
                      mAll = maximumF(b, mAll, ms[w]);
                    }
                    Value num = cF32(b, 0), den = cF32(b, 0);
                    for (int64_t w = 0; w < W; ++w) {
                      Value wk = math::ExpOp::create(b, subF(b, ms[w], mAll)); // 0 for m = -inf
                      Value at = addI(b, h, w * heads);
                      den = math::FmaOp::create(b, wk, memref::LoadOp::create(b, lS, ValueRange{at}), den);
                      num = math::FmaOp::create(
                          b, wk,
                          memref::LoadOp::create(b, accS, ValueRange{addI(b, mulI(b, at, hd), d)}),
                          num);
                    }
                    sink(b, h, d, num, den, mAll);
                    scf::YieldOp::create(b);
                  });
            };
            auto storeA = [&](Builder &b, Value h, Value d, Value num, Value den) {
              Value head = addI(b, head0, h);
              A.store(b, divF(b, num, den), addI(b, addI(b, mulI(b, i, D), mulI(b, head, hd)), d));
            };
            // Split s of (row i, query head): (m, l, acc[hd]) in `partials`.
            auto stateOf = [&](Builder &b, Value h, Value split) {
              Value head = addI(b, head0, h);
              return mulI(b, addI(b, mulI(b, addI(b, mulI(b, i, H), head), nSplits), split), hd + 2);
            };
            Value single = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, nSplits, one);
            mergeStates(b, [&](Builder &b, Value h, Value d, Value num, Value den, Value mAll) {
              if (oneSplit)
                return storeA(b, h, d, num, den);
              ifElse(
                  b, single, [&](Builder &b) { storeA(b, h, d, num, den); },
                  [&](Builder &b) {
                    Value at = stateOf(b, h, s);
                    partials.store(b, num, addI(b, addI(b, at, 2), d));
                    onLaneZero(b, d, [&](Builder &b) {
                      partials.store(b, mAll, at);
                      partials.store(b, den, addI(b, at, 1));
                    });
                  });
            });
            if (oneSplit || !semaphores)
              return;
            // The last of the row's nonempty splits merges them
            // (fuse-attention-combine), counted on the semaphore of (row, run
            // of query heads).
            ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::ne, nSplits, one),
                   [&](Builder &b) {
              Value used = arith::CeilDivUIOp::create(b, end, chunk);
              Value counter = addI(b, mulI(b, i, pairsPerRow), run);
              inLastBlock(b, tid, semaphores, counter, used, wg[3], [&](Builder &b) {
                // Group w of threads (w < W) merges splits w, w + W, ...
                // (kCombineUnroll loads of each in flight) into state w of
                // the workgroup buffers; then the W states merge as the
                // warps' did.
                constexpr int64_t kCombineUnroll = 4;
                scf::ForOp::create(
                    b, tid, cIdx(b, W * heads * hd), cIdx(b, threads), ValueRange{},
                    [&](OpBuilder &ob, Location loc, Value t, ValueRange) {
                      Builder b(loc, ob);
                      Value w = divU(b, t, heads * hd), hdIdx = remU(b, t, heads * hd);
                      Value h = divU(b, hdIdx, hd), d = remU(b, hdIdx, hd);
                      SmallVector<Value> init{negInf, cF32(b, 0), cF32(b, 0)};
                      auto merged = scf::ForOp::create(
                          b, w, used, cIdx(b, W * kCombineUnroll), init,
                          [&](OpBuilder &ob, Location loc, Value s0, ValueRange st) {
                            Builder b(loc, ob);
                            SmallVector<Value> acc(st.begin(), st.end());
                            SmallVector<SmallVector<Value>> loaded;
                            for (int64_t k = 0; k < kCombineUnroll; ++k) {
                              // Splits past `used` read split s0 and weigh 0.
                              Value sk = addI(b, s0, k * W), inside = ult(b, sk, used);
                              Value at = stateOf(b, h, arith::SelectOp::create(b, inside, sk, s0));
                              Value m = partials.load(b, at);
                              loaded.push_back({arith::SelectOp::create(b, inside, m, negInf),
                                                partials.load(b, addI(b, at, 1)),
                                                partials.load(b, addI(b, addI(b, at, 2), d))});
                            }
                            for (const SmallVector<Value> &x : loaded)
                              acc = merge(b, acc, x);
                            scf::YieldOp::create(b, acc);
                          });
                      Value at = addI(b, mulI(b, w, heads), h);
                      memref::StoreOp::create(b, merged.getResult(2), accS,
                                              ValueRange{addI(b, mulI(b, at, hd), d)});
                      onLaneZero(b, d, [&](Builder &b) {
                        memref::StoreOp::create(b, merged.getResult(0), mS, ValueRange{at});
                        memref::StoreOp::create(b, merged.getResult(1), lS, ValueRange{at});
                      });
                      scf::YieldOp::create(b);
                    });
                gpu::BarrierOp::create(b);
                mergeStates(b, [&](Builder &b, Value h, Value d, Value num, Value den, Value) {
                  storeA(b, h, d, num, den);
                });
              });
            });
          });
        });
        gpu::TerminatorOp::create(kb);
      };
      if (oneSplit)
        return ifElse(
            b,
            arith::CmpIOp::create(b, arith::CmpIPredicate::ule, capacity,
                                  cIdx(b, kShortAttnWarpMaxCapacity)),
            [&](Builder &b) { emitKernel(b, true); }, [&](Builder &b) { emitKernel(b, false); });
      emitKernel(b, false);
      if (semaphores)
        return;
      ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, splits, one),
             [&](Builder &b) { attentionCombine(b, A, partials, rows, someRows, pos, splits); });
        },
        fallback);
  }

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
                   Value flag, function_ref<void(Builder &)> body) {
    Type i32 = b.getI32Type();
    Value zero = cIdx(b, 0);
    gpu::BarrierOp::create(b);
    onLaneZero(b, tid, [&](Builder &b) {
      NVVM::MembarOp::create(b, NVVM::MemScopeKind::GPU);
      Value before = memref::AtomicRMWOp::create(b, arith::AtomicRMWKind::addi,
                                                 arith::ConstantIntOp::create(b, i32, 1),
                                                 semaphores, ValueRange{counter});
      NVVM::MembarOp::create(b, NVVM::MemScopeKind::GPU);
      Value last = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                         arith::IndexCastOp::create(b, b.getIndexType(), before),
                                         arith::SubIOp::create(b, arrivals, cIdx(b, 1)));
      memref::StoreOp::create(b, arith::ExtUIOp::create(b, i32, last), flag, ValueRange{zero});
    });
    gpu::BarrierOp::create(b);
    Value isLast = arith::CmpIOp::create(b, arith::CmpIPredicate::ne,
                                         memref::LoadOp::create(b, flag, ValueRange{zero}),
                                         arith::ConstantIntOp::create(b, i32, 0));
    ifThen(b, isLast, [&](Builder &b) {
      body(b);
      onLaneZero(b, tid, [&](Builder &b) {
        memref::StoreOp::create(b, arith::ConstantIntOp::create(b, i32, 0), semaphores,
                                ValueRange{counter});
      });
    });
  }

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
                        Value splits) {
    const int64_t D = c.dModel, H = c.nHeads, hd = c.headDim();
    Type f32 = b.getF32Type();
    Value one = cIdx(b, 1);
    Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
    constexpr int64_t kCombineThreads = 256, kCombineUnroll = 4;
    assert(hd <= kCombineThreads && "split attention takes heads of at most 256 features");
    const int64_t groups = kCombineThreads / hd, maxSplits = splitAttnTargetBlocks();
    auto launch = gpu::LaunchOp::create(
        b, cIdx(b, H), someRows, one, cIdx(b, kCombineThreads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange{},
        TypeRange{workgroupBuffer({kWarpSize}, f32), workgroupBuffer({kWarpSize}, f32),
                  workgroupBuffer({maxSplits}, f32), workgroupBuffer({groups * hd}, f32)});
    nameKernel(launch, "photon_attention_combine");
    Builder kb(b.getLoc(), ctx);
    kb.setInsertionPointToStart(&launch.getBody().front());
    ValueRange wg = launch.getWorkgroupAttributions();
    Value weightS = wg[2], numS = wg[3];
    Value h = launch.getBlockIds().x, i = launch.getBlockIds().y, tid = launch.getThreadIds().x;
    // The whole block takes or skips the branch: its barriers stay uniform.
    ifThen(kb, ult(kb, i, rows), [&](Builder &b) {
      Value end = addI(b, loadIndex(b, pos, i), 1);
      Value used = arith::CeilDivUIOp::create(b, end, splitChunk(b, end, splits));
      Value first = mulI(b, mulI(b, addI(b, mulI(b, i, H), h), splits), hd + 2);
      auto stateOf = [&](Builder &b, Value s) { return addI(b, first, mulI(b, s, hd + 2)); };
      auto overSplits = [&](Builder &b, Value init, function_ref<Value(Builder &, Value, Value)> body) {
        return reduce(b, tid, used, init, body, kCombineThreads);
      };
      Value mAll = blockReduceOne(b, tid, kCombineThreads,
                                  overSplits(b, negInf, [&](Builder &b, Value s, Value m) {
                                    return maximumF(b, m, partials.load(b, stateOf(b, s)));
                                  }),
                                  wg[0], maximumF);
      Value lSum = overSplits(b, cF32(b, 0), [&](Builder &b, Value s, Value l) {
        Value at = stateOf(b, s);
        Value w = math::ExpOp::create(b, subF(b, partials.load(b, at), mAll));
        memref::StoreOp::create(b, w, weightS, ValueRange{s});
        return math::FmaOp::create(b, w, partials.load(b, addI(b, at, 1)), l);
      });
      // The reduction's barrier also publishes the weights.
      Value den = blockReduceOne(b, tid, kCombineThreads, lSum, wg[1], addF);
      Value g = divU(b, tid, hd), d = remU(b, tid, hd);
      ifThen(b, ult(b, tid, cIdx(b, groups * hd)), [&](Builder &b) {
        auto sums = scf::ForOp::create(
            b, g, used, cIdx(b, groups * kCombineUnroll), ValueRange{cF32(b, 0)},
            [&](OpBuilder &ob, Location loc, Value s0, ValueRange acc) {
              Builder b(loc, ob);
              Value num = acc[0];
              for (int64_t k = 0; k < kCombineUnroll; ++k) {
                // Splits past `used` weigh 0 (they read split s0's state).
                Value s = addI(b, s0, k * groups), inside = ult(b, s, used);
                Value at = arith::SelectOp::create(b, inside, s, s0);
                Value w = orZero(b, inside, memref::LoadOp::create(b, weightS, ValueRange{at}));
                num = math::FmaOp::create(
                    b, w, partials.load(b, addI(b, addI(b, stateOf(b, at), 2), d)), num);
              }
              scf::YieldOp::create(b, num);
            });
        memref::StoreOp::create(b, sums.getResult(0), numS, ValueRange{tid});
      });
      gpu::BarrierOp::create(b);
      ifThen(b, ult(b, tid, cIdx(b, hd)), [&](Builder &b) {
        Value num = memref::LoadOp::create(b, numS, ValueRange{tid});
        for (int64_t k = 1; k < groups; ++k)
          num = addF(b, num, memref::LoadOp::create(b, numS, ValueRange{addI(b, tid, k * hd)}));
        A.store(b, divF(b, num, den), addI(b, addI(b, mulI(b, i, D), mulI(b, h, hd)), tid));
      });
    });
    gpu::TerminatorOp::create(kb);
  }

  /// Element index of (sequence s, layer, position t, feature 0) in a cache
  /// laid out [seq][layer][capacity][n_kv_heads · head_dim].
  /// The cache entry of row `row`'s new position (slot seq[row], position
  /// pos[row]), where its K and V go.
  Value newCacheEntry(Builder &b, Value seq, Value pos, Value row, int64_t layers, Value layer,
                      Value capacity) {
    Value s = loadIndex(b, seq, row), t = loadIndex(b, pos, row);
    return cacheIndex(b, s, layers, layer, capacity, t);
  }
  Value cacheIndex(Builder &b, Value s, int64_t layers, Value layer,
                   Value capacity, Value t) {
    int64_t kv = c.nKvHeads * c.headDim();
    Value sl = addI(b, mulI(b, s, layers), layer);
    return mulI(b, addI(b, mulI(b, sl, capacity), t), kv);
  }

  void emitEmbed(StringRef tag, const std::string &table, int64_t width) {
    auto fn = makeFunc(("photon_embed_" + tag).str(),
                       {weightBuf(), i32Buf(), indexType(), actBuf()});
    Builder b = bodyBuilder(fn);
    weights = fn.getArgument(0);
    Value ids = fn.getArgument(1), n = fn.getArgument(2);
    Buf out{fn.getArgument(3), cIdx(b, 0)};
    Value w = weight(b, table).at;
    parallel(b, "photon_embed_" + tag, {n, cIdx(b, width)}, [&](Builder &b, ValueRange iv) {
      Value tok = loadIndex(b, ids, iv[0]);
      Value v = loadWeight(b, w, addI(b, mulI(b, tok, width), iv[1]));
      out.store(b, v, addI(b, mulI(b, iv[0], width), iv[1]));
    });
  }

  void emitLinearChunker(int64_t l) {
    std::string s = std::to_string(l);
    auto fn = makeFunc("photon_chunk_" + s, {weightBuf(), actBuf(), indexType(),
                                             actBuf(), f32Buf()});
    Builder b = bodyBuilder(fn);
    weights = fn.getArgument(0);
    Value n = fn.getArgument(2);
    int64_t width = c.chunkSizes[l - 1] * c.chunkerInputWidth(l);
    Buf in{fn.getArgument(1), cIdx(b, 0)}, out{fn.getArgument(3), cIdx(b, 0)};
    Buf normed{fn.getArgument(4), cIdx(b, 0)};
    rmsNorm(b, in, normed, n, width, weight(b, "chunker." + s + ".norm.weight"));
    matmulNT(b, normed, out, n, c.dModel, width, weight(b, "chunker." + s + ".proj.weight"),
             weight(b, "chunker." + s + ".proj.bias"));
  }

  void emitConverter(int64_t l) {
    std::string s = std::to_string(l);
    auto fn = makeFunc("photon_converter_" + s,
                       {weightBuf(), actBuf(), indexType(), actBuf()});
    Builder b = bodyBuilder(fn);
    weights = fn.getArgument(0);
    Buf in{fn.getArgument(1), cIdx(b, 0)}, out{fn.getArgument(3), cIdx(b, 0)};
    matmulNT(b, in, out, fn.getArgument(2), c.prefixLengths[l - 1] * c.dModel,
             c.dModel, weight(b, "converter." + s + ".weight"),
             weight(b, "converter." + s + ".bias"));
  }

  void emitLMHead() {
    auto fn = makeFunc("photon_lm_head",
                       {weightBuf(), actBuf(), indexType(), f32Buf()});
    Builder b = bodyBuilder(fn);
    weights = fn.getArgument(0);
    Buf in{fn.getArgument(1), cIdx(b, 0)}, out{fn.getArgument(3), cIdx(b, 0)};
    std::string table = c.tieWordEmbeddings ? "model.embed_tokens.weight"
                                            : "lm_head.weight";
    matmulNT(b, in, out, fn.getArgument(2), c.vocabSize, c.dModel, weight(b, table));
  }

  /// ids[i] = argmax_j logits[i, j], ties to the lowest j. A NaN logit counts
  /// as -inf (a bad weight or an overflow must not yield an invalid id), so
  /// a row with nothing above -inf yields id 0 (docs/design.md).
  /// `partialV`/`partialI` (the plan's vocab_partials, n·parts each) hold
  /// the GPU's per-block partials (parallel-vocab); the host ignores them.
  void emitArgmax() {
    auto fn = makeFunc("photon_argmax",
                       {f32Buf(), indexType(), i32Buf(), f32Buf(), i32Buf(), i32Buf()});
    Builder b = bodyBuilder(fn);
    Buf logits{fn.getArgument(0), cIdx(b, 0)};
    Value n = fn.getArgument(1), ids = fn.getArgument(2);
    Value partialV = fn.getArgument(3), partialI = fn.getArgument(4);
    Value semaphores = fn.getArgument(5);
    int64_t V = c.vocabSize;
    Type i32 = b.getI32Type();
    auto store = [&](Builder &b, Value id, Value mem, Value at) {
      memref::StoreOp::create(b, id, mem, ValueRange{at});
    };
    if (gpu && options.parallelVocab) {
      // Every block of a row takes `width` logits (grid: parts x rows), its
      // 256 threads four loads a round, then a block reduction; the row's
      // last block (fuse-argmax-combine, counted on the row's semaphore)
      // or a warp per row in a second kernel combines the row's partials.
      // Enough blocks for a batch-1 argmax to spread over the card.
      const VocabPartition vp = vocabPartition(V);
      const int64_t threads = std::min<int64_t>(256, vp.width);
      const bool combineInBlock = options.fuseArgmaxCombine;
      Value one = cIdx(b, 1), parts = cIdx(b, vp.parts);
      SmallVector<Type> shared = rowReductionBuffers({b.getF32Type(), i32});
      if (combineInBlock)
        shared.push_back(workgroupBuffer({1}, i32));
      auto launch = gpu::LaunchOp::create(
          b, parts, arith::MaxUIOp::create(b, n, one), one, cIdx(b, threads), one, one,
          /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
          /*asyncDependencies=*/ValueRange{}, shared);
      nameKernel(launch, "photon_argmax_partials");
      Builder kb(b.getLoc(), ctx);
      kb.setInsertionPointToStart(&launch.getBody().front());
      Value part = launch.getBlockIds().x, r = launch.getBlockIds().y;
      Value tid = launch.getThreadIds().x;
      ValueRange wg = launch.getWorkgroupAttributions();
      // The whole block takes or skips the branch: its barriers stay uniform.
      ifThen(kb, ult(kb, r, n), [&](Builder &b) {
        Value first = mulI(b, part, vp.width);
        Value last = arith::MinUIOp::create(b, addI(b, first, vp.width), cIdx(b, V));
        SmallVector<Value> best =
            argmaxScan(b, logits, mulI(b, r, V), first, last, vp.width, tid, threads);
        best = blockReduce(b, tid, threads, best, wg.take_front(2), argmaxCombine);
        Value row = mulI(b, r, vp.parts);
        onLaneZero(b, tid, [&](Builder &b) {
          store(b, best[0], partialV, addI(b, row, part));
          store(b, best[1], partialI, addI(b, row, part));
        });
        if (!combineInBlock)
          return;
        inLastBlock(b, tid, semaphores, r, parts, wg[2], [&](Builder &b) {
          // Thread p < parts holds partial p, the others argmax's start.
          Value inside = ult(b, tid, parts);
          Value at = addI(b, row, arith::SelectOp::create(b, inside, tid, cIdx(b, 0)));
          SmallVector<Value> mine = argmaxInit(b);
          for (auto [k, mem] : llvm::enumerate(ValueRange{partialV, partialI}))
            mine[k] = arith::SelectOp::create(b, inside, memref::LoadOp::create(b, mem, ValueRange{at}),
                                              mine[k]);
          Value bestJ = blockReduce(b, tid, threads, mine, wg.take_front(2), argmaxCombine)[1];
          onLaneZero(b, tid, [&](Builder &b) { store(b, bestJ, ids, r); });
        });
      });
      gpu::TerminatorOp::create(kb);
      if (combineInBlock)
        return;
      parallelLanes(b, "photon_argmax_combine", {n}, [&](Builder &b, ValueRange iv, Value lane) {
        Value row = mulI(b, iv[0], vp.parts);
        auto loop = scf::ForOp::create(
            b, lane, parts, cIdx(b, laneCount()), argmaxInit(b),
            [&](OpBuilder &ob, Location loc, Value p, ValueRange acc) {
              Builder b(loc, ob);
              Value at = addI(b, row, p);
              Value v = memref::LoadOp::create(b, partialV, ValueRange{at});
              Value j = memref::LoadOp::create(b, partialI, ValueRange{at});
              scf::YieldOp::create(b, argmaxCombine(b, acc, ValueRange{v, j}));
            });
        Value bestJ = laneCombine(b, loop.getResults(), argmaxCombine)[1];
        onLaneZero(b, lane, [&](Builder &b) { store(b, bestJ, ids, iv[0]); });
      });
      return;
    }
    if (gpu && options.blockPerRow) {
      // A block of 1024 threads per row, then a block reduction.
      constexpr int64_t kThreads = 1024;
      blockPerRowLaunch(b, "photon_argmax", n, kThreads, {b.getF32Type(), i32},
                        [&](Builder &b, Value r, Value tid, ValueRange shared) {
        SmallVector<Value> best =
            argmaxScan(b, logits, mulI(b, r, V), cIdx(b, 0), cIdx(b, V), V, tid, kThreads);
        best = blockReduce(b, tid, kThreads, best, shared, argmaxCombine);
        ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, cIdx(b, 0)),
               [&](Builder &b) { store(b, best[1], ids, r); });
      });
      return;
    }
    parallelLanes(b, "photon_argmax", {n}, [&](Builder &b, ValueRange iv, Value lane) {
      Value row = mulI(b, iv[0], V);
      auto loop = scf::ForOp::create(
          b, lane, cIdx(b, V), cIdx(b, laneCount()), argmaxInit(b),
          [&](OpBuilder &ob, Location loc, Value j, ValueRange acc) {
            Builder b(loc, ob);
            Value v = notNaN(b, logits.load(b, addI(b, row, j)));
            Value j32 = arith::IndexCastOp::create(b, i32, j);
            scf::YieldOp::create(b, argmaxCombine(b, acc, ValueRange{v, j32}));
          });
      Value bestJ = laneCombine(b, loop.getResults(), argmaxCombine)[1];
      onLaneZero(b, lane, [&](Builder &b) { store(b, bestJ, ids, iv[0]); });
    });
  }

  /// A NaN logit as -inf.
  static Value notNaN(Builder &b, Value v) {
    Value nan = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, v, v);
    return arith::SelectOp::create(b, nan, cF32(b, -std::numeric_limits<float>::infinity()), v);
  }
  /// Argmax's (value, index) before any logit: -inf at index 0, so a row
  /// with nothing above -inf yields id 0.
  static SmallVector<Value> argmaxInit(Builder &b) {
    return {cF32(b, -std::numeric_limits<float>::infinity()),
            arith::ConstantOp::create(b, b.getI32IntegerAttr(0))};
  }
  /// Combines two (value, index) pairs: the larger value, or on equal values
  /// the lower index (associative and commutative, so any order of
  /// combination gives the same pair).
  static SmallVector<Value> argmaxCombine(Builder &b, ValueRange x, ValueRange y) {
    Value gt = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, y[0], x[0]);
    Value eq = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, y[0], x[0]);
    Value lower = arith::CmpIOp::create(b, arith::CmpIPredicate::slt, y[1], x[1]);
    Value take = arith::OrIOp::create(b, gt, arith::AndIOp::create(b, eq, lower));
    return {arith::SelectOp::create(b, take, y[0], x[0]),
            arith::SelectOp::create(b, take, y[1], x[1])};
  }

  /// One thread's (max, index) over logits [first, last) of the row at
  /// `row` (at most `width` of them), threads striding by `threads` from
  /// `tid` (coalesced), kArgmaxUnroll loads a round in flight.
  SmallVector<Value> argmaxScan(Builder &b, Buf logits, Value row, Value first, Value last,
                                int64_t width, Value tid, int64_t threads) {
    constexpr int64_t kArgmaxUnroll = 4;
    const int64_t groups = llvm::divideCeil(width, threads * kArgmaxUnroll);
    Type i32 = b.getI32Type();
    Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
    auto loop = scf::ForOp::create(
        b, cIdx(b, 0), cIdx(b, groups), cIdx(b, 1), argmaxInit(b),
        [&](OpBuilder &ob, Location loc, Value g, ValueRange acc) {
          Builder b(loc, ob);
          SmallVector<Value> best(acc.begin(), acc.end()), js, vs;
          for (int64_t u = 0; u < kArgmaxUnroll; ++u) {
            Value j = addI(b, first,
                           addI(b, tid, mulI(b, addI(b, mulI(b, g, kArgmaxUnroll), u), threads)));
            Value ok = ult(b, j, last);
            Value v = logits.load(b, addI(b, row, arith::SelectOp::create(b, ok, j, first)));
            vs.push_back(arith::SelectOp::create(b, ok, notNaN(b, v), negInf));
            js.push_back(arith::IndexCastOp::create(b, i32, j));
          }
          for (int64_t u = 0; u < kArgmaxUnroll; ++u)
            best = argmaxCombine(b, best, ValueRange{vs[u], js[u]});
          scf::YieldOp::create(b, best);
        });
    return loop.getResults();
  }

  /// ids[i] sampled from softmax(logits[i] / temperature) restricted to the
  /// top_k largest logits (0: all) and then to the smallest top set holding
  /// top_p of that mass (1: all), by inverse CDF in index order at
  /// uniforms[i] in [0, 1). Thresholds are found by bisection over logit
  /// values, so no sort is needed; on the GPU a warp takes a row, each lane a
  /// contiguous block of the vocabulary. As in emitArgmax a NaN logit counts
  /// as -inf: it and -inf tokens are never drawn, and a row with nothing
  /// above -inf yields id 0, argmax's rule (docs/design.md).
  void emitSample() {
    Type f32 = Float32Type::get(ctx);
    auto fn = makeFunc("photon_sample", {f32Buf(), indexType(), f32Buf(), f32,
                                         indexType(), f32, i32Buf()});
    Builder b = bodyBuilder(fn);
    Buf logits{fn.getArgument(0), cIdx(b, 0)}, uniforms{fn.getArgument(2), cIdx(b, 0)};
    Value temperature = fn.getArgument(3), topK = fn.getArgument(4);
    Value topP = fn.getArgument(5), ids = fn.getArgument(6);
    if (gpu && options.parallelVocab)
      return sampleBlock(b, logits, fn.getArgument(1), uniforms, temperature, topK, topP, ids);
    const int64_t V = c.vocabSize, block = (V + laneCount() - 1) / laneCount();
    const float inf = std::numeric_limits<float>::infinity();
    parallelLanes(b, "photon_sample", {fn.getArgument(1)}, [&](Builder &b, ValueRange iv, Value lane) {
      Value row = mulI(b, iv[0], V);
      Value lo = mulI(b, lane, block);
      Value hi = arith::MinUIOp::create(b, addI(b, lo, block), cIdx(b, V));
      // NaN would poison the max, the masses and every comparison (the draw
      // used to find no token and return -1).
      auto logit = [&](Builder &b, Value i) -> Value {
        Value l = logits.load(b, addI(b, row, i));
        Value nan = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, l, l);
        return arith::SelectOp::create(b, nan, cF32(b, -inf), l);
      };
      auto overBlock = [&](Builder &b, Value init,
                           function_ref<Value(Builder &, Value, Value)> body) {
        return reduce(b, lo, hi, init, body);
      };
      Value mx = laneMax(b, overBlock(b, cF32(b, -inf),
                                      [&](Builder &b, Value i, Value acc) -> Value {
                                        return maximumF(b, acc, logit(b, i));
                                      }));
      // The smallest logit above -inf: bisection from -inf would never move
      // (its midpoints are -inf), and -inf tokens must stay ineligible.
      Value mn = laneMin(b, overBlock(b, cF32(b, inf),
                                      [&](Builder &b, Value i, Value acc) -> Value {
                                        Value l = logit(b, i);
                                        Value above = arith::CmpFOp::create(
                                            b, arith::CmpFPredicate::OGT, l, cF32(b, -inf));
                                        return arith::MinimumFOp::create(
                                            b, acc, arith::SelectOp::create(b, above, l,
                                                                            cF32(b, inf)));
                                      }));
      auto weight = [&](Builder &b, Value i, Value tau) {
        return sampleWeight(b, logit(b, i), mx, temperature, tau);
      };
      auto countFrom = [&](Builder &b, Value tau) {
        return laneSum(b, overBlock(b, cF32(b, 0), [&](Builder &b, Value i, Value acc) -> Value {
          return addF(b, acc, arith::SelectOp::create(b, atLeast(b, logit(b, i), tau),
                                                      cF32(b, 1), cF32(b, 0)));
        }));
      };
      auto massFrom = [&](Builder &b, Value tau) {
        return laneSum(b, overBlock(b, cF32(b, 0), [&](Builder &b, Value i, Value acc) -> Value {
          return addF(b, acc, weight(b, i, tau));
        }));
      };
      Value useK, kF;
      std::tie(useK, kF) = topKRule(b, topK);
      Value tauK = arith::SelectOp::create(
          b, useK, bisect(b, mn, mx, [&](Builder &b, Value t) { return atLeast(b, countFrom(b, t), kF); }),
          mn);
      Value massK = massFrom(b, tauK);
      Value useP = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, topP, cF32(b, 1));
      Value need = mulF(b, topP, massK);
      Value tau = arith::SelectOp::create(
          b, useP, bisect(b, tauK, mx, [&](Builder &b, Value t) { return atLeast(b, massFrom(b, t), need); }),
          tauK);
      // Inverse CDF in index order: the lane whose share of the mass holds
      // the target finds the token in its block.
      Value share = overBlock(b, cF32(b, 0), [&](Builder &b, Value i, Value acc) -> Value {
        return addF(b, acc, weight(b, i, tau));
      });
      Value total = laneSum(b, share);
      Value before = cF32(b, 0); // mass of the lanes below this one
      if (gpu)
        before = subF(b, warpInclusiveSum(b, share, lane), share);
      Value target = subF(b, mulF(b, uniforms.load(b, iv[0]), total), before);
      auto [found, last] = drawInRange(b, lo, hi, share, target, logit, [&](Builder &b, Value l) {
        return sampleWeight(b, l, mx, temperature, tau);
      }, tau);
      Value id = chooseDrawn(b, laneMaxI(b, found), laneMaxI(b, last), mx);
      onLaneZero(b, lane, [&](Builder &b) {
        memref::StoreOp::create(b, id, ids, ValueRange{iv[0]});
      });
    });
  }

  /// Bisection steps of photon_sample's top-k and top-p thresholds.
  static constexpr int kSampleBisections = 40;

  static Value atLeast(Builder &b, Value x, Value y) {
    return arith::CmpFOp::create(b, arith::CmpFPredicate::OGE, x, y);
  }
  /// The unnormalised probability of a token of logit l if l is at least
  /// tau: exp((l - mx) / temperature), else 0.
  static Value sampleWeight(Builder &b, Value l, Value mx, Value temperature, Value tau) {
    Value w = math::ExpOp::create(b, divF(b, subF(b, l, mx), temperature));
    return arith::SelectOp::create(b, atLeast(b, l, tau), w, cF32(b, 0));
  }
  /// The largest tau in [from, to] with keep(tau), given keep(from).
  static Value bisect(Builder &b, Value from, Value to,
                      function_ref<Value(Builder &, Value)> keep) {
    auto loop = scf::ForOp::create(
        b, cIdx(b, 0), cIdx(b, kSampleBisections), cIdx(b, 1), ValueRange{from, to},
        [&](OpBuilder &ob, Location loc, Value, ValueRange lh) {
          Builder b(loc, ob);
          Value mid = mulF(b, addF(b, lh[0], lh[1]), cF32(b, 0.5));
          Value ok = keep(b, mid);
          scf::YieldOp::create(b, ValueRange{arith::SelectOp::create(b, ok, mid, lh[0]),
                                             arith::SelectOp::create(b, ok, lh[1], mid)});
        });
    return loop.getResult(0);
  }
  /// Whether top_k restricts the draw (0 < top_k < V), and top_k as f32.
  std::pair<Value, Value> topKRule(Builder &b, Value topK) {
    Value kF = arith::UIToFPOp::create(
        b, b.getF32Type(), arith::IndexCastUIOp::create(b, b.getI64Type(), topK));
    Value useK = arith::AndIOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, topK, cIdx(b, 0)),
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, topK, cIdx(b, c.vocabSize)));
    return {useK, kF};
  }
  /// Inclusive prefix sum over the lanes of a warp, in lane order.
  static Value warpInclusiveSum(Builder &b, Value v, Value lane) {
    for (int32_t offset = 1; offset < kWarpSize; offset *= 2) {
      Value up = gpu::ShuffleOp::create(b, v, offset, kWarpSize, gpu::ShuffleMode::UP)
                     .getShuffleResult();
      Value from = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, lane, cIdx(b, offset));
      v = arith::SelectOp::create(b, from, addF(b, v, up), v);
    }
    return v;
  }
  /// The inverse-CDF walk over tokens [lo, hi) in index order, whose
  /// weights sum to `share`: when the target mass falls in this range, the
  /// first eligible token (logit >= tau) whose running mass passes it; and
  /// the range's last eligible token. -1 where there is none.
  static std::pair<Value, Value> drawInRange(Builder &b, Value lo, Value hi, Value share,
                                             Value target,
                                             function_ref<Value(Builder &, Value)> logitAt,
                                             function_ref<Value(Builder &, Value)> weightOf,
                                             Value tau) {
    Value mine = arith::AndIOp::create(
        b, arith::CmpFOp::create(b, arith::CmpFPredicate::OGE, target, cF32(b, 0)),
        arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, target, share));
    Value none = arith::ConstantOp::create(b, b.getI32IntegerAttr(-1));
    auto scan = scf::ForOp::create(
        b, lo, hi, cIdx(b, 1), ValueRange{cF32(b, 0), none, none},
        [&](OpBuilder &ob, Location loc, Value i, ValueRange st) {
          Builder b(loc, ob);
          Value l = logitAt(b, i);
          Value acc = addF(b, st[0], weightOf(b, l));
          Value i32v = arith::IndexCastOp::create(b, b.getI32Type(), i);
          Value eligible = atLeast(b, l, tau);
          Value first = arith::AndIOp::create(
              b, arith::AndIOp::create(b, mine, eligible),
              arith::AndIOp::create(
                  b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, st[1], none),
                  arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, acc, target)));
          scf::YieldOp::create(b, ValueRange{acc, arith::SelectOp::create(b, first, i32v, st[1]),
                                             arith::SelectOp::create(b, eligible, i32v, st[2])});
        });
    return {scan.getResult(1), scan.getResult(2)};
  }
  /// The drawn id from the row's (found, last) of drawInRange: rounding can
  /// leave the target past every share, then the last eligible token; with
  /// nothing above -inf (mx; all NaN/-inf) no token is eligible: id 0.
  static Value chooseDrawn(Builder &b, Value found, Value last, Value mx) {
    Value none = arith::ConstantOp::create(b, b.getI32IntegerAttr(-1));
    Value id = arith::SelectOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::ne, found, none), found, last);
    Value aboveNegInf = arith::CmpFOp::create(
        b, arith::CmpFPredicate::OGT, mx, cF32(b, -std::numeric_limits<float>::infinity()));
    return arith::SelectOp::create(b, aboveNegInf, id,
                                   arith::ConstantOp::create(b, b.getI32IntegerAttr(0)));
  }

  /// emitSample on the GPU with a block of threads per row (parallel-vocab):
  /// the same thresholds and draw, each pass over the vocabulary spread
  /// over the block (threads strided, coalesced) and finished by a block
  /// reduction in a fixed order, so every thread holds the same sums and
  /// takes the same branches. Top-k counts are exact, so its threshold is
  /// the warp kernel's; a bisection that is not asked for is skipped. The
  /// draw walks the vocabulary in index order: thread t owns the t-th
  /// contiguous slice, and an exclusive scan of the slices' masses tells
  /// it whether the target falls in its slice.
  void sampleBlock(Builder &b, Buf logits, Value n, Buf uniforms, Value temperature,
                   Value topK, Value topP, Value ids) {
    const int64_t V = c.vocabSize;
    const int64_t threads = std::clamp<int64_t>(
        llvm::alignTo(llvm::divideCeil(V, 4), kWarpSize), kWarpSize, 1024);
    const int64_t perThread = llvm::divideCeil(V, threads), warps = threads / kWarpSize;
    const float inf = std::numeric_limits<float>::infinity();
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    blockPerRowLaunch(b, "photon_sample", n, threads, {f32, i32, i32},
                      [&](Builder &b, Value r, Value tid, ValueRange shared) {
      Value row = mulI(b, r, V), vocab = cIdx(b, V);
      auto logit = [&](Builder &b, Value i) { return notNaN(b, logits.load(b, addI(b, row, i))); };
      // fold(acc, logit) over this thread's logits tid, tid + threads, ...,
      // kUnroll loads issued before their folds (several in flight).
      constexpr int64_t kUnroll = 4;
      const int64_t unroll = std::min(perThread, kUnroll);
      auto overRow = [&](Builder &b, Value init, function_ref<Value(Builder &, Value, Value)> fold) {
        return reduce(b, cIdx(b, 0), cIdx(b, llvm::divideCeil(perThread, unroll)), init,
                      [&](Builder &b, Value g, Value acc) -> Value {
                        SmallVector<Value, kUnroll> inside, ls;
                        for (int64_t u = 0; u < unroll; ++u) {
                          // Rounds past perThread land past V: masked.
                          Value k = addI(b, mulI(b, g, unroll), u);
                          Value i = addI(b, tid, mulI(b, k, threads));
                          inside.push_back(ult(b, i, vocab));
                          ls.push_back(logit(b, arith::SelectOp::create(b, inside.back(), i,
                                                                        cIdx(b, 0))));
                        }
                        for (int64_t u = 0; u < unroll; ++u)
                          acc = arith::SelectOp::create(b, inside[u], fold(b, acc, ls[u]), acc);
                        return acc;
                      });
      };
      // The block's combination of one value per thread; the barrier lets
      // the next reduction reuse the buffer.
      auto acrossBlock = [&](Builder &b, Value v, function_ref<Value(Builder &, Value, Value)> op) {
        Value buf = v.getType().isF32() ? shared[0] : shared[1];
        Value all = blockReduceOne(b, tid, threads, v, buf, op);
        gpu::BarrierOp::create(b);
        return all;
      };
      auto minF = [](Builder &b, Value x, Value y) -> Value {
        return arith::MinimumFOp::create(b, x, y);
      };
      auto maxI = [](Builder &b, Value x, Value y) -> Value {
        return arith::MaxSIOp::create(b, x, y);
      };
      Value mx = acrossBlock(b, overRow(b, cF32(b, -inf), maximumF), maximumF);
      // The smallest logit above -inf (see emitSample).
      Value mn = acrossBlock(b, overRow(b, cF32(b, inf), [&](Builder &b, Value acc, Value l) -> Value {
        Value above = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, l, cF32(b, -inf));
        return minF(b, acc, arith::SelectOp::create(b, above, l, cF32(b, inf)));
      }), minF);
      auto weight = [&](Builder &b, Value l, Value tau) {
        return sampleWeight(b, l, mx, temperature, tau);
      };
      auto countFrom = [&](Builder &b, Value tau) {
        return acrossBlock(b, overRow(b, cF32(b, 0), [&](Builder &b, Value acc, Value l) -> Value {
          return addF(b, acc, arith::SelectOp::create(b, atLeast(b, l, tau), cF32(b, 1), cF32(b, 0)));
        }), addF);
      };
      auto massFrom = [&](Builder &b, Value tau) {
        return acrossBlock(b, overRow(b, cF32(b, 0), [&](Builder &b, Value acc, Value l) -> Value {
          return addF(b, acc, weight(b, l, tau));
        }), addF);
      };
      // `then` when cond (uniform over the block: its barriers stay
      // uniform), else `otherwise`.
      auto select = [&](Builder &b, Value cond, function_ref<Value(Builder &)> then, Value otherwise) {
        auto ifOp = scf::IfOp::create(b, TypeRange{f32}, cond, /*withElseRegion=*/true);
        Builder tb(b.getLoc(), ctx), eb(b.getLoc(), ctx);
        tb.setInsertionPointToStart(ifOp.thenBlock());
        scf::YieldOp::create(tb, then(tb));
        eb.setInsertionPointToStart(ifOp.elseBlock());
        scf::YieldOp::create(eb, otherwise);
        return ifOp.getResult(0);
      };
      Value useK, kF;
      std::tie(useK, kF) = topKRule(b, topK);
      Value tauK = select(b, useK, [&](Builder &b) {
        return bisect(b, mn, mx, [&](Builder &b, Value t) { return atLeast(b, countFrom(b, t), kF); });
      }, mn);
      Value useP = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, topP, cF32(b, 1));
      Value tau = select(b, useP, [&](Builder &b) {
        Value need = mulF(b, topP, massFrom(b, tauK));
        return bisect(b, tauK, mx, [&](Builder &b, Value t) { return atLeast(b, massFrom(b, t), need); });
      }, tauK);

      // The draw: this thread's slice [lo, hi) and its mass.
      Value lo = arith::MinUIOp::create(b, mulI(b, tid, perThread), vocab);
      Value hi = arith::MinUIOp::create(b, addI(b, lo, perThread), vocab);
      Value share = reduce(b, lo, hi, cF32(b, 0), [&](Builder &b, Value i, Value acc) -> Value {
        return addF(b, acc, weight(b, logit(b, i), tau));
      });
      // Inclusive scan within the warp, then the warps' totals in order.
      Value lane = remU(b, tid, kWarpSize), warp = divU(b, tid, kWarpSize);
      Value inclusive = warpInclusiveSum(b, share, lane);
      ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, cIdx(b, kWarpSize - 1)),
             [&](Builder &b) { memref::StoreOp::create(b, inclusive, shared[0], ValueRange{warp}); });
      gpu::BarrierOp::create(b);
      Value total = cF32(b, 0), before = subF(b, inclusive, share);
      Value warpsBefore = cF32(b, 0);
      for (int64_t w = 0; w < warps; ++w) {
        Value t = memref::LoadOp::create(b, shared[0], ValueRange{cIdx(b, w)});
        total = addF(b, total, t);
        warpsBefore = arith::SelectOp::create(b, ult(b, cIdx(b, w), warp),
                                              addF(b, warpsBefore, t), warpsBefore);
      }
      gpu::BarrierOp::create(b);
      before = addF(b, warpsBefore, before);
      Value target = subF(b, mulF(b, uniforms.load(b, r), total), before);
      auto [found, last] = drawInRange(b, lo, hi, share, target, logit, [&](Builder &b, Value l) {
        return weight(b, l, tau);
      }, tau);
      SmallVector<Value> any = blockReduce(
          b, tid, threads, ValueRange{found, last}, ValueRange{shared[1], shared[2]},
          [&](Builder &b, ValueRange x, ValueRange y) {
            return SmallVector<Value>{maxI(b, x[0], y[0]), maxI(b, x[1], y[1])};
          });
      Value id = chooseDrawn(b, any[0], any[1], mx);
      ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, cIdx(b, 0)),
             [&](Builder &b) { memref::StoreOp::create(b, id, ids, ValueRange{r}); });
    });
  }

  /// A causal stack over rows (sequence seq[i], position pos[i]). Each layer
  /// first writes every row's K/V into the cache, then every row attends to
  /// cache positions 0..pos[i] of its sequence, so one call can hold several
  /// positions and several sequences.

  /// The weights of one layer, by suffix of "<stack>.layers.<l>.".
  using LayerWeightFn = function_ref<WeightRef(Builder &, StringRef)>;
  /// Runs a layer body for every layer of a stack, with its index and weights.
  using LayerLoopFn =
      function_ref<void(Builder &, function_ref<void(Builder &, Value, LayerWeightFn)>)>;

  /// Per-layer weights of a stack, by suffix of "<stack>.layers.<l>.".
  static constexpr std::array<const char *, 9> kLayerWeights = {
      "input_layernorm.weight",        "self_attn.q_proj.weight",
      "self_attn.k_proj.weight",       "self_attn.v_proj.weight",
      "self_attn.o_proj.weight",       "post_attention_layernorm.weight",
      "mlp.gate_proj.weight",          "mlp.up_proj.weight",
      "mlp.down_proj.weight"};
  static constexpr const char *kFinalNorm = "norm.weight";

  /// Where a stack's weights sit when every layer has the same layout:
  /// weight s of layer l at base + l·stride + rel[s], the final norm at
  /// base + normRel. Stacks with equal layouts (and layer counts) share one
  /// function, and its layers one set of kernels: the offsets are kernel
  /// arguments, computed on the host.
  struct StackLayout {
    int64_t layers, stride, normRel, baseAlign;
    std::array<int64_t, kLayerWeights.size()> rel;
    using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, decltype(rel)>;
    Key key() const { return {layers, stride, normRel, baseAlign, rel}; }
  };
  std::optional<std::pair<StackLayout, int64_t>> stackLayout(const std::string &name,
                                                              int64_t layers) {
    auto at = [&](int64_t l, StringRef suffix) {
      return offset(name + ".layers." + std::to_string(l) + "." + suffix.str());
    };
    int64_t base = std::numeric_limits<int64_t>::max();
    for (const char *suffix : kLayerWeights)
      base = std::min(base, at(0, suffix));
    StackLayout layout{layers, layers > 1 ? at(1, kLayerWeights[0]) - at(0, kLayerWeights[0]) : 0,
                       offset(name + "." + kFinalNorm) - base,
                       std::min<int64_t>(powerOfTwoDividing(base), kMaxAssumedAlign), {}};
    for (auto [i, suffix] : llvm::enumerate(kLayerWeights)) {
      layout.rel[i] = at(0, suffix) - base;
      for (int64_t l = 1; l < layers; ++l)
        if (at(l, suffix) != base + l * layout.stride + layout.rel[i])
          return std::nullopt;
    }
    return std::make_pair(layout, base);
  }

  /// A stack's arguments: weights, x, rows, pos, seq, K and V caches, cache
  /// capacity, and its scratch, as f32 and as activations (the same bytes:
  /// bf16 GEMM inputs are written over the f32 rows they replace).
  SmallVector<Type> stackArgTypes() {
    return {weightBuf(), actBuf(), indexType(), i32Buf(), i32Buf(),
            actBuf(),    actBuf(), indexType(), f32Buf(),  actBuf(), i32Buf()};
  }

  /// A causal stack over rows (sequence seq[i], position pos[i]): the
  /// function the programs call. With an affine weight layout it calls the
  /// stack function shared by its layout (one per shape, its layers an
  /// scf.for); otherwise its layers are unrolled with constant offsets.
  void emitStack(const std::string &name, int64_t layers) {
    auto fn = makeFunc(stackKernelName(name), stackArgTypes());
    Builder b = bodyBuilder(fn);
    std::optional<std::pair<StackLayout, int64_t>> layout = stackLayout(name, layers);
    if (failed)
      return;
    if (!layout) {
      weights = fn.getArgument(0);
      emitStackBody(b, fn.getArguments(), layers,
                    [&](Builder &b, function_ref<void(Builder &, Value, LayerWeightFn)> layer) {
                      for (int64_t l = 0; l < layers; ++l) {
                        std::string p = name + ".layers." + std::to_string(l) + ".";
                        layer(b, cIdx(b, l), [&](Builder &b, StringRef suffix) {
                          return weight(b, p + suffix.str());
                        });
                      }
                    },
                    weight(b, name + "." + kFinalNorm));
      return;
    }
    auto [shape, base] = *layout;
    func::FuncOp &shared = sharedStacks[shape.key()];
    if (!shared)
      shared = emitSharedStack(shape);
    SmallVector<Value> args(fn.getArguments());
    args.push_back(cIdx(b, base));
    func::CallOp::create(b, shared, args);
  }

  /// The stack function of one layout: the stack's arguments and the
  /// offset of its first weight.
  func::FuncOp emitSharedStack(const StackLayout &shape) {
    SmallVector<Type> types = stackArgTypes();
    types.push_back(indexType());
    auto fn = makeFunc("photon_stack_shape" + std::to_string(sharedStacks.size() - 1), types);
    Builder b = bodyBuilder(fn);
    weights = fn.getArgument(0);
    Value base = fn.getArguments().back();
    auto rel = [&](Builder &b, Value at, int64_t r) -> WeightRef {
      return {addI(b, at, r), std::min({shape.baseAlign, powerOfTwoDividing(shape.stride),
                                        powerOfTwoDividing(r)})};
    };
    emitStackBody(
        b, fn.getArguments().drop_back(), shape.layers,
        [&](Builder &b, function_ref<void(Builder &, Value, LayerWeightFn)> layer) {
          scf::ForOp::create(b, cIdx(b, 0), cIdx(b, shape.layers), cIdx(b, 1), ValueRange{},
                             [&](OpBuilder &ob, Location loc, Value l, ValueRange) {
                               Builder lb(loc, ob);
                               Value at = addI(lb, base, mulI(lb, l, shape.stride));
                               layer(lb, l, [&](Builder &b, StringRef suffix) {
                                 auto i = llvm::find(kLayerWeights, suffix) - kLayerWeights.begin();
                                 return rel(b, at, shape.rel[i]);
                               });
                               scf::YieldOp::create(lb);
                             });
        },
        rel(b, base, shape.normRel));
    return fn;
  }

  /// The body of a stack function with arguments `args` (stackArgTypes):
  /// `forEachLayer` runs the layer body for every layer with its index and
  /// weights; each layer first writes every row's K/V into the cache, then
  /// every row attends to cache positions 0..pos[i] of its sequence, so one
  /// call can hold several positions and several sequences.
  void emitStackBody(Builder &b, ValueRange args, int64_t layers, LayerLoopFn forEachLayer,
                     WeightRef finalNorm) {
    Value x = args[1], rows = args[2];
    Value pos = args[3], seq = args[4];
    Value kc = args[5], vc = args[6];
    Value capacity = args[7], scratch = args[8], scratchAct = args[9];
    Value semaphores = args[10];
    const int64_t D = c.dModel, H = c.nHeads, KVH = c.nKvHeads;
    const int64_t hd = c.headDim(), KV = KVH * hd, F = c.ffnDim;
    // Scratch, per row: h[D] q[D] k[KV] v[KV] attn[D] gate[F] up[F]
    // scores[H][capacity] stats[H][2] (passes/StatePlanning.h: stackScratchPerRow).
    const int64_t fixed = 3 * D + 2 * KV + 2 * F;
    Value zero = cIdx(b, 0);
    auto region = [&](int64_t rowsBefore) {
      return Buf{scratch, mulI(b, rows, rowsBefore)};
    };
    Buf kCache{kc, zero}, vCache{vc, zero};
    Buf X{x, zero}, Hb = region(0), Q = region(D), K = region(2 * D),
        Vb = region(2 * D + KV), A = region(2 * D + 2 * KV),
        G = region(3 * D + 2 * KV), U = region(3 * D + 2 * KV + F);
    // bf16 inputs of the wide projections (wideInputsRounded), over the
    // bytes of f32 rows: the normed rows over h's, the attention output's
    // bf16 mirror over h's too (the normed rows are read by then), SwiGLU's
    // output over G's.
    Buf Hr{scratchAct, zero}, Gr{scratchAct, mulI(b, rows, 2 * (3 * D + 2 * KV))};
    if (wideInputsRounded()) {
      A.mirrorMem = Hr.mem;
      A.mirrorBase = Hr.base;
    }
    Buf S{scratch, mulI(b, rows, fixed)};
    Buf St{scratch, addI(b, S.base, mulI(b, mulI(b, rows, H), capacity))};
    Value scale = cF32(b, 1.0 / std::sqrt(double(hd)));
    Value negInf = cF32(b, -std::numeric_limits<float>::infinity());

    forEachLayer(b, [&](Builder &b, Value layer, LayerWeightFn w) {
      // Attention.
      NormFirst inputNorm{w(b, "input_layernorm.weight"), Hb, Hr};
      // RoPE on Q and K and the K/V cache write: the QKV GEMV's epilogue
      // (fuse-qkv-rope; its warps compute the pairs (j, j + hd / 2) that
      // rotate together), else a kernel after the projections.
      auto ropeCache = [&](Builder &b) {
        if (gpu && options.fuseRopeCache)
          return ropeAndCacheWrite(b, Q, K, Vb, kCache, vCache, rows, pos, seq, layers, layer,
                                   capacity);
        rope(b, Q, rows, H, pos);
        rope(b, K, rows, KVH, pos);
        parallel(b, "photon_cache_write", {rows, cIdx(b, KV)}, [&](Builder &b, ValueRange iv) {
          Value dst = addI(b, newCacheEntry(b, seq, pos, iv[0], layers, layer, capacity), iv[1]);
          Value src = addI(b, mulI(b, iv[0], KV), iv[1]);
          kCache.store(b, K.load(b, src), dst);
          vCache.store(b, Vb.load(b, src), dst);
        });
      };
      Projection q{w(b, "self_attn.q_proj.weight"), Q, D}, k{w(b, "self_attn.k_proj.weight"), K, KV},
          v{w(b, "self_attn.v_proj.weight"), Vb, KV};
      const bool ropeInQkv = gpu && options.fuseRopeCache && options.fuseQkvRope;
      auto cacheRow = [&](Builder &b, Value r) {
        return newCacheEntry(b, seq, pos, r, layers, layer, capacity);
      };
      // The GEMV's pairs: features j, j + hd / 2 (sums 0, 1), rotated by the
      // cos and sin of cosSin (sums 2, 3).
      auto cosSin = [&](Builder &b, Value r, Value j) -> SmallVector<Value> {
        auto [cs, sn] = ropeCosSin(b, pos, r, remU(b, j, hd));
        return {cs, sn};
      };
      if (ropeInQkv) {
        q.pairHalf = k.pairHalf = hd / 2;
        q.gemvStore = [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
          storeRotated(b, sums[0], sums[1], sums[2], sums[3], Q, addI(b, mulI(b, r, D), j));
        };
        k.gemvStore = [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
          storeRotated(b, sums[0], sums[1], sums[2], sums[3], kCache,
                       addI(b, cacheRow(b, r), j));
        };
        v.gemvStore = [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
          vCache.store(b, sums[0], addI(b, cacheRow(b, r), j));
        };
      }
      WeightRef o = w(b, "self_attn.o_proj.weight");
      WeightRef gate = w(b, "mlp.gate_proj.weight"), up = w(b, "mlp.up_proj.weight");
      withNextWeights({{o, D * D}}, [&] {
        matmulShared(b, "qkv", X, rows, D, {q, k, v}, inputNorm,
                     ropeInQkv ? function_ref<void(Builder &)>(ropeCache) : nullptr,
                     ropeInQkv ? GemvPairValues{2, cosSin} : GemvPairValues{});
      });
      if (!ropeInQkv)
        ropeCache(b);
      // The fused kernel walks a row's positions with one block per (row,
      // head): best for the short caches of local decoders, while long
      // caches (encoders, vanilla) take split attention, which spreads
      // positions over the whole card. The capacity decides, on the host.
      auto unfused = [&](Builder &b) {
          // Row i, head h attends to positions 0..pos[i] of slot seq[i]; query
          // head h reads KV head h / (H / KVH) (GQA). Scores, one per position:
          auto scoreIndex = [&](Builder &b, Value i, Value h, Value u) {
            return addI(b, mulI(b, addI(b, mulI(b, i, H), h), capacity), u);
          };
          parallel(b, "photon_attention_scores", {rows, cIdx(b, H), capacity},
                   [&](Builder &b, ValueRange iv) {
            Value t = loadIndex(b, pos, iv[0]);
            Value causal = arith::CmpIOp::create(b, arith::CmpIPredicate::ule, iv[2], t);
            ifThen(b, causal, [&](Builder &tb) {
              Value s = loadIndex(tb, seq, iv[0]);
              Value g = arith::DivUIOp::create(tb, iv[1], cIdx(tb, H / KVH));
              Value qBase = addI(tb, mulI(tb, iv[0], D), mulI(tb, iv[1], hd));
              Value kBase = addI(tb, cacheIndex(tb, s, layers, layer, capacity, iv[2]),
                                 mulI(tb, g, hd));
              Value dot = reduce(tb, cIdx(tb, 0), cIdx(tb, hd), cF32(tb, 0),
                                 [&](Builder &b, Value d, Value acc) {
                                   Value kv = kCache.load(b, addI(b, kBase, d));
                                   return addF(b, acc, mulF(b, Q.load(b, addI(b, qBase, d)), kv));
                                 });
              S.store(tb, mulF(tb, dot, scale), scoreIndex(tb, iv[0], iv[1], iv[2]));
            });
          });
          // Softmax statistics per (row, head): the max and 1 / sum of exp.
          parallelLanes(b, "photon_attention_softmax", {rows, cIdx(b, H)},
                        [&](Builder &b, ValueRange iv, Value lane) {
            Value end = addI(b, loadIndex(b, pos, iv[0]), 1);
            Value base = scoreIndex(b, iv[0], iv[1], cIdx(b, 0));
            Value m = laneMax(b, laneLoop(b, lane, end, negInf, [&](Builder &b, Value u, Value acc) {
              return maximumF(b, acc, S.load(b, addI(b, base, u)));
            }));
            Value den = laneSum(b, laneLoop(b, lane, end, cF32(b, 0), [&](Builder &b, Value u, Value acc) {
              return addF(b, acc, math::ExpOp::create(b, subF(b, S.load(b, addI(b, base, u)), m)));
            }));
            onLaneZero(b, lane, [&](Builder &b) {
              Value at = mulI(b, addI(b, mulI(b, iv[0], H), iv[1]), 2);
              St.store(b, m, at);
              St.store(b, divF(b, cF32(b, 1.0), den), addI(b, at, 1));
            });
          });
          // Output feature d of head h: sum_u softmax(u) · V[u, d], the lanes
          // of a warp splitting the positions.
          parallelLanes(b, "photon_attention_values", {rows, cIdx(b, H), cIdx(b, hd)},
                        [&](Builder &b, ValueRange iv, Value lane) {
            Value s = loadIndex(b, seq, iv[0]);
            Value end = addI(b, loadIndex(b, pos, iv[0]), 1);
            Value g = arith::DivUIOp::create(b, iv[1], cIdx(b, H / KVH));
            Value at = mulI(b, addI(b, mulI(b, iv[0], H), iv[1]), 2);
            Value m = St.load(b, at), inv = St.load(b, addI(b, at, 1));
            Value base = scoreIndex(b, iv[0], iv[1], cIdx(b, 0));
            Value acc = laneLoop(b, lane, end, cF32(b, 0), [&](Builder &b, Value u, Value acc) {
              Value w = mulF(b, math::ExpOp::create(b, subF(b, S.load(b, addI(b, base, u)), m)), inv);
              Value vIdx = addI(b, addI(b, cacheIndex(b, s, layers, layer, capacity, u),
                                        mulI(b, g, hd)), iv[2]);
              return addF(b, acc, mulF(b, w, vCache.load(b, vIdx)));
            });
            acc = laneSum(b, acc);
            onLaneZero(b, lane, [&](Builder &b) {
              A.store(b, acc, addI(b, addI(b, mulI(b, iv[0], D), mulI(b, iv[1], hd)), iv[2]));
            });
          });
};
      // Long caches: split attention (flash-decoding) where it applies.
      std::optional<SplitAttentionShape> split;
      if (gpu && options.fuseAttention && options.splitAttention)
        split = splitAttentionShape();
      auto splitOrUnfused = [&](Builder &b) {
        if (!split)
          return unfused(b);
        attentionSplit(b, *split, Q, kCache, vCache, A, S,
                       options.fuseAttentionCombine ? semaphores : Value(), rows, pos, seq,
                       layers, layer, capacity, /*oneSplit=*/false, unfused);
      };
      // Many rows (prefill) over them take the tiled kernel instead (the rows
      // are checked on the host).
      auto longCache = [&](Builder &b) {
        if (!tiledAttentionApplies())
          return splitOrUnfused(b);
        ifElse(b, tiledAttentionUse(b, rows, kCache, vCache),
               [&](Builder &b) {
                 attentionTiled(b, Q, kCache, vCache, A, rows, pos, seq, layers, layer, capacity);
               },
               splitOrUnfused);
      };
      if (gpu && options.fuseAttention && hd <= kFusedAttentionMaxHeadDim)
        ifElse(b,
               arith::CmpIOp::create(b, arith::CmpIPredicate::ule, capacity,
                                     cIdx(b, options.fusedAttentionMaxCapacity)),
               [&](Builder &b) {
                 auto fused = [&](Builder &b) {
                   attentionFused(b, Q, kCache, vCache, A, rows, pos, seq, layers, layer, capacity);
                 };
                 std::optional<SplitAttentionShape> shape;
                 if (options.splitShortCaches)
                   shape = splitAttentionShape();
                 if (!shape)
                   return fused(b);
                 attentionSplit(b, *shape, Q, kCache, vCache, A, S, Value(), rows, pos, seq,
                                layers, layer, capacity, /*oneSplit=*/true, fused);
               },
               longCache);
      else
        longCache(b);
      withNextWeights({{gate, F * D}, {up, F * D}}, [&] {
        matmulNT(b, A, X, rows, D, D, o, std::nullopt, /*accumulate=*/true);
      });
      // SwiGLU MLP.
      NormFirst mlpNorm{w(b, "post_attention_layernorm.weight"), Hb, Hr};
      mlp(b, X, rows, F, D, gate, up, w(b, "mlp.down_proj.weight"), G, U, Gr, mlpNorm);
    });
    rmsNorm(b, X, X, rows, D, finalNorm);
  }

  ModuleOp module;
  const ModelConfig c;
  const llvm::StringMap<int64_t> &offsets;
  Type weightElt;
  Type actElt; // activations kept between kernels: x, caches, latents
  const PhotonLowerToKernelsOptions options;
  const bool gpu; // options.target == KernelTarget::GPU
  const TensorCoreKernel tensorCoreKernel;
  Location loc;
  MLIRContext *ctx;
  Value weights; // the arena argument of the function being emitted
  /// The shared stack functions, by layout (StackLayout::key).
  std::map<StackLayout::Key, func::FuncOp> sharedStacks;
};

struct LowerToKernels : impl::PhotonLowerToKernelsBase<LowerToKernels> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto models = llvm::to_vector(module.getOps<ModelOp>());
    if (models.size() != 1) {
      module.emitError("photon-lower-to-kernels expects exactly one "
                       "photon.model, found ")
          << models.size();
      return signalPassFailure();
    }
    ModelOp model = models.front();
    llvm::StringMap<int64_t> offsets;
    Type weightElt;
    for (ParamOp p : model.getBody().front().getOps<ParamOp>()) {
      auto off = p->getAttrOfType<IntegerAttr>("photon.offset");
      if (!off) {
        p.emitOpError("has no 'photon.offset': run -photon-plan-memory first");
        return signalPassFailure();
      }
      offsets[p.getSymName()] = off.getInt();
      weightElt = p.getTensorType().getElementType();
    }
    if (offsets.empty()) {
      model.emitOpError("has no planned weights: run -photon-plan-memory first");
      return signalPassFailure();
    }
    if (gemvLoadsInFlight < 1) {
      module.emitError("photon-lower-to-kernels: gemv-loads-in-flight must be positive, got ")
          << static_cast<int64_t>(gemvLoadsInFlight);
      return signalPassFailure();
    }
    if (gemvTensorCoreWarps < 0 || gemvTensorCoreWarps > 32) {
      module.emitError("photon-lower-to-kernels: gemv-tensor-core-warps must be 0 to 32, got ")
          << static_cast<int64_t>(gemvTensorCoreWarps);
      return signalPassFailure();
    }
    if (gemvTensorCoreMinRows < 0) {
      module.emitError("photon-lower-to-kernels: gemv-tensor-core-min-rows must not be negative, got ")
          << static_cast<int64_t>(gemvTensorCoreMinRows);
      return signalPassFailure();
    }
    if (gemvMaxRows < 0) {
      module.emitError("photon-lower-to-kernels: gemv-max-rows must not be "
                       "negative, got ")
          << static_cast<int64_t>(gemvMaxRows);
      return signalPassFailure();
    }
    if (tensorCoreMinRows < 0) {
      module.emitError("photon-lower-to-kernels: tensor-core-min-rows must "
                       "not be negative, got ")
          << static_cast<int64_t>(tensorCoreMinRows);
      return signalPassFailure();
    }
    if (multiprocessors < 1) {
      module.emitError("photon-lower-to-kernels: multiprocessors must be at "
                       "least 1, got ")
          << static_cast<int64_t>(multiprocessors);
      return signalPassFailure();
    }
    if (wgmmaKStep != 32 && wgmmaKStep != 64) {
      module.emitError("photon-lower-to-kernels: wgmma-k-step must be 32 or 64, got ")
          << static_cast<int64_t>(wgmmaKStep);
      return signalPassFailure();
    }
    std::optional<MemoryPlanAttr> plan = model.getMemoryPlan();
    if (!plan) {
      model.emitOpError("has no memory plan: run -photon-plan-memory first");
      return signalPassFailure();
    }
    PhotonLowerToKernelsOptions options;
    options.target = target;
    options.tensorCoreMinRows = tensorCoreMinRows;
    options.tensorCoreKernel = tensorCoreKernel;
    options.matmulInputRounding = matmulInputRounding;
    options.gemvMaxRows = gemvMaxRows;
    options.gemvTensorCoreMinRows = gemvTensorCoreMinRows;
    options.gemvLoadsInFlight = gemvLoadsInFlight;
    options.gemvTensorCoreWarps = gemvTensorCoreWarps;
    options.blockPerRow = blockPerRow;
    options.fuseAttention = fuseAttention;
    options.fuseRopeCache = fuseRopeCache;
    options.fusedAttentionMaxCapacity = fusedAttentionMaxCapacity;
    options.tiledAttention = tiledAttention;
    options.splitAttention = splitAttention;
    options.splitShortCaches = splitShortCaches;
    options.fuseAttentionCombine = fuseAttentionCombine;
    options.fuseArgmaxCombine = fuseArgmaxCombine;
    options.wgmma = wgmma;
    options.wgmmaKStep = wgmmaKStep;
    options.multiprocessors = multiprocessors;
    options.fuseQkv = fuseQkv;
    options.fuseQkvRope = fuseQkvRope;
    options.fuseGateUp = fuseGateUp;
    options.fuseNorm = fuseNorm;
    options.prefetchNextWeights = prefetchNextWeights;
    options.programmaticLaunch = programmaticLaunch;
    options.parallelVocab = parallelVocab;
    KernelEmitter emitter(module, model.getModelConfig(), offsets, weightElt,
                          plan->getActivationType(), options, model.getLoc());
    emitter.emitAll();
    if (emitter.failed)
      return signalPassFailure();
  }
};

} // namespace
} // namespace mlir::photon
