//===- Projections.cpp - GEMVs and matmuls --------------------------------===//
//
// Projections of activation rows by weight matrices at every row count: GEMVs
// that read each weight once with vector loads (CUDA cores or mma.sync), a
// warp per output where they do not apply, and the dispatch to the tensor-core
// GEMMs; Q, K, V and gate, up (+ SwiGLU) fused into one kernel each.
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelPatterns.h"

namespace mlir::photon {

Value KernelEmitter::loadWeight(Builder &b, Value base, Value i) {
  Value v = memref::LoadOp::create(b, weights, ValueRange{addI(b, i, base)});
  if (!weightElt.isF32())
    v = arith::ExtFOp::create(b, b.getF32Type(), v);
  return v;
}

void KernelEmitter::matmulNT(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                             WeightRef weight, std::optional<WeightRef> bias, bool accumulate) {
  Value w = weight.at, bOff = bias ? bias->at : Value();
  // Rows their producer wrote split where `split` holds (gemvSplitInputRows).
  Value split = std::exchange(in.splitWhen, Value());
  // Each lane of the GEMV loads 16 bytes of a weight row at a time: rows of
  // W must start on 16-byte boundaries (K and the planned offset a
  // multiple of the vector) and the arena itself is checked on the host.
  if (!gemvApplies(K, weight.align)) {
    assert(!split && "split rows are for a GEMV");
    return matmulWide(b, in, out, rows, M, K, w, weight.align, bOff, accumulate);
  }
  Value aligned = arith::AndIOp::create(b, alignedTo(b, weights, w, 16),
                                        alignedTo(b, in.mem, in.base, gemvInputAlignment(in)));
  // Split rows have no reader but the GEMV, whose weights their producer
  // could not check: the runtime allocates the arena aligned (and the GEMV's
  // vector loads would fault on one that is not).
  if (split)
    aligned = arith::OrIOp::create(b, split, aligned);
  gemvOrWide(
      b, rows, aligned,
      [&](Builder &b, int64_t maxRows) {
        Buf gemvIn = in;
        gemvIn.splitChunks = split && gemvSplitsInputs(maxRows);
        matmulGemv(b, gemvIn, out, rows, maxRows, M, K, w, bOff, accumulate);
      },
      [&](Builder &b) { matmulWide(b, in, out, rows, M, K, w, weight.align, bOff, accumulate); });
}

bool KernelEmitter::gemvApplies(int64_t K, int64_t align) const {
  int64_t vec = gemvVectorLength();
  return gpu && options.gemvMaxRows > 0 && K % vec == 0 && align % vec == 0;
}

void KernelEmitter::gemvOrWide(Builder &b, Value rows, Value aligned,
                               function_ref<void(Builder &, int64_t)> gemv,
                               function_ref<void(Builder &)> wide) {
  Value use = arith::AndIOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows, cIdx(b, 1)),
      arith::CmpIOp::create(b, arith::CmpIPredicate::ule, rows, cIdx(b, options.gemvMaxRows)));
  SmallVector<int64_t> buckets = gemvBuckets();
  std::function<void(Builder &, size_t)> pick = [&](Builder &b, size_t i) {
    if (i + 1 == buckets.size())
      return gemv(b, buckets[i]);
    ifElse(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::ule, rows, cIdx(b, buckets[i])),
        [&](Builder &b) { gemv(b, buckets[i]); }, [&](Builder &b) { pick(b, i + 1); });
  };
  ifElse(b, arith::AndIOp::create(b, use, aligned), [&](Builder &b) { pick(b, 0); }, wide);
}

SmallVector<int64_t> KernelEmitter::gemvBuckets() const {
  // 1, 4, 8, 16: a PHOTON local decoder's prefix call (prefix · chunks, 8
  // rows for PHOTON-600M) must not pay for 16 rows of accumulators and
  // activation reads (measured: the 16-row kernel at 5-10% of the copy rate).
  // On tensor cores rows come in n-tiles of 8: no bucket of 4.
  SmallVector<int64_t> buckets;
  for (int64_t r = 1; r < options.gemvMaxRows; r = r == 1 ? 4 : 2 * r)
    if (r != 4 || !gemvOnTensorCores(r))
      buckets.push_back(r);
  buckets.push_back(options.gemvMaxRows);
  return buckets;
}

Value KernelEmitter::gemvSplitInputRows(Builder &b, Value rows, const Buf &in) {
  if (!gpu || options.gemvMaxRows == 0)
    return Value();
  // Buckets from the first whose kernel splits its inputs (gemvSplitsInputs
  // grows with the rows) to the last.
  SmallVector<int64_t> buckets = gemvBuckets();
  auto first = llvm::find_if(buckets, [&](int64_t r) { return gemvSplitsInputs(r); });
  if (first == buckets.end())
    return Value();
  int64_t minRows = first == buckets.begin() ? 1 : *std::prev(first) + 1;
  Value inBuckets = arith::AndIOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows, cIdx(b, minRows)),
      arith::CmpIOp::create(b, arith::CmpIPredicate::ule, rows, cIdx(b, options.gemvMaxRows)));
  return arith::AndIOp::create(b, inBuckets,
                               alignedTo(b, in.mem, in.base, gemvInputAlignment(in)));
}

void KernelEmitter::matmulWide(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
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

Value KernelEmitter::loadF32s(Builder &b, Value mem, Value at, int64_t n) {
  return vector::LoadOp::create(b, VectorType::get({n}, b.getF32Type()), mem, ValueRange{at},
                                /*nontemporal=*/false, llvm::MaybeAlign(4 * n));
}

Value KernelEmitter::loadF32x8(Builder &b, Value mem, Value at) {
  return vector::ShuffleOp::create(b, loadF32s(b, mem, at, 4), loadF32s(b, mem, addI(b, at, 4), 4),
                                   ArrayRef<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
}

bool KernelEmitter::tensorCoresApply(int64_t K, ArrayRef<int64_t> wAligns) const {
  return gpu && options.tensorCoreMinRows > 0 && weightElt.isBF16() && actElt.isBF16() &&
         K % 8 == 0 && llvm::all_of(wAligns, [](int64_t a) { return a % 8 == 0; });
}

Value KernelEmitter::tensorCoresUse(Builder &b, Buf in, Value rows, ArrayRef<Value> ws) {
  Value use = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows,
                                    cIdx(b, options.tensorCoreMinRows));
  for (Value w : ws)
    use = arith::AndIOp::create(b, use, alignedTo(b, weights, w, 16));
  if (in.elementType().isBF16() || tensorCoreKernel != TensorCoreKernel::Tile64)
    use = arith::AndIOp::create(b, use, alignedTo(b, in.mem, in.base, 16));
  return use;
}

Value KernelEmitter::alignedTo(Builder &b, Value mem, Value base, int64_t bytes) {
  int64_t elt = byteWidth(cast<MemRefType>(mem.getType()).getElementType());
  auto meta = memref::ExtractStridedMetadataOp::create(b, mem);
  Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, mem);
  Value at = addI(b, ptr, mulI(b, addI(b, meta.getOffset(), base), elt));
  return arith::CmpIOp::create(b, arith::CmpIPredicate::eq, remU(b, at, bytes), cIdx(b, 0));
}

void KernelEmitter::matmulGemv(Builder &b, Buf in, Buf out, Value rows, int64_t maxRows, int64_t M,
                               int64_t K, Value w, Value bOff, bool accumulate, Value normGain) {
  GemvRange range{M, {w}, [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
                     storeOutput(b, out, M, r, j, sums[0], bOff, accumulate,
                                 accumulate ? sums[1] : Value());
                   }};
  if (accumulate)
    range.preload = [&](Builder &b, Value r, Value j) {
      return out.load(b, addI(b, mulI(b, r, M), j));
    };
  gemv(b, Twine(normGain ? "norm_" : "") + "r" + Twine(maxRows) + "_" + shape(M, K), in, rows,
       maxRows, K, {range}, normGain);
}

int64_t KernelEmitter::gemvOutputsPerWarp(int64_t maxRows, int64_t nw, int64_t total) {
  if (maxRows == 1)
    return 1;
  int64_t f = std::max<int64_t>(1, 4 / nw);
  while (f > 1 && total / f < 512)
    f /= 2;
  return f;
}

void KernelEmitter::inFirstIteration(Builder &b, Value iv, MutableArrayRef<Value> values,
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

int64_t KernelEmitter::pairHalfOf(ArrayRef<GemvRange> ranges) {
  int64_t half = 0;
  for (const GemvRange &r : ranges) {
    assert((!half || !r.pairHalf || r.pairHalf == half) && "one pair layout per launch");
    half = std::max(half, r.pairHalf);
  }
  return half;
}

std::function<Value(function_ref<Value(int64_t)>)>
KernelEmitter::rangeSelector(Builder &b, Value index, ArrayRef<int64_t> firsts) {
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

SmallVector<KernelEmitter::WeightRange>
KernelEmitter::nextWeightsOf(ValueRange next, ArrayRef<int64_t> elements,
                             ArrayRef<int64_t> aligns) {
  SmallVector<WeightRange> ranges;
  for (auto [at, n, align] : llvm::zip_equal(next, elements, aligns))
    ranges.push_back({{at, align}, n});
  return ranges;
}

void KernelEmitter::withNextWeights(ArrayRef<WeightRange> ranges, function_ref<void()> emit) {
  if (options.prefetchNextWeights)
    nextWeights.assign(ranges.begin(), ranges.end());
  emit();
  nextWeights.clear();
}

void KernelEmitter::forPieceOf(Builder &b, Value bytes, Value piece, Value pieces,
                               function_ref<void(Builder &, Value, Value)> body) {
  Value size = mulI(b, arith::CeilDivUIOp::create(
                           b, arith::CeilDivUIOp::create(b, bytes, pieces), cIdx(b, 16)),
                    16);
  Value start = mulI(b, piece, size);
  ifThen(b, ult(b, start, bytes), [&](Builder &b) {
    body(b, start, arith::MinUIOp::create(b, size, arith::SubIOp::create(b, bytes, start)));
  });
}

Value KernelEmitter::globalPointer(Builder &b, Value mem, Value byteOffset) {
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, mem);
  Value at = arith::IndexCastUIOp::create(b, b.getI64Type(), addI(b, base, byteOffset));
  return LLVM::IntToPtrOp::create(b, LLVM::LLVMPointerType::get(ctx, 1), at);
}

void KernelEmitter::prefetchToL2(Builder &b, Value mem, Value byteOffset, Value bytes) {
  NVVM::CpAsyncBulkPrefetchOp::create(b, globalPointer(b, mem, byteOffset),
                                      arith::IndexCastUIOp::create(b, b.getI32Type(), bytes),
                                      /*l2CacheHint=*/Value());
}

void KernelEmitter::prefetchNextWeights(Builder &b, gpu::LaunchOp launch) {
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
    for (const WeightRange &r : ranges)
      forPieceOf(b, cIdx(b, r.elements * elt / 16 * 16), block, blocks,
                 [&](Builder &b, Value start, Value size) {
        prefetchToL2(b, weights, addI(b, mulI(b, r.weight.at, elt), start), size);
      });
  });
}

void KernelEmitter::gemvLaunchStart(Builder &b, gpu::LaunchOp launch) {
  if (options.programmaticLaunch) {
    launch->setAttr(kGridWaitPlaced, UnitAttr::get(ctx));
    if (options.gemvEarlyTrigger)
      launchDependents(b, b.getLoc());
  }
  prefetchNextWeights(b, launch);
}

void KernelEmitter::gemvGridWait(Builder &b) {
  if (options.programmaticLaunch)
    gridDependencyWait(b, b.getLoc(), /*thenLaunchDependents=*/!options.gemvEarlyTrigger);
}

void KernelEmitter::gemv(Builder &b, const Twine &tag, Buf in, Value rows, int64_t maxRows,
                         int64_t K, ArrayRef<GemvRange> ranges, Value normGain,
                         const GemvPairValues &pairValues) {
  if (gemvOnTensorCores(maxRows))
    return gemvTensorCore(b, "photon_gemv_mma_" + tag, in, rows, maxRows, K, ranges, normGain,
                          pairValues);
  constexpr int64_t kGemvMaxOutputRowsPerStep = 64;
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
  // gemv-bulk-max-warp-rows (one row): shared memory holds each warp's F · nw
  // weight rows, the norm's gain and the block's activation row, then an
  // mbarrier a warp (its rows) and one for the block (gain and row). A
  // block has gemv-bulk-warps warps, halved while more than 4 would not
  // fit; where 4 or fewer do not, the loads stay in registers.
  const int64_t warpRows = F * nw, rowBytes = K * byteWidth(weightElt);
  const int64_t gainBytes = normGain ? rowBytes : 0;
  const int64_t inBytes = K * byteWidth(in.elementType());
  auto bulkBytesOf = [&](int64_t warpsPerBlock) {
    return warpsPerBlock * warpRows * rowBytes + gainBytes + inBytes +
           (warpsPerBlock + 1) * kMbarrierBytes;
  };
  int64_t bulkWarps = options.gemvBulkWarps;
  while (bulkWarps > 4 && bulkBytesOf(bulkWarps) > kGemvBulkMaxSharedBytes)
    bulkWarps /= 2;
  const bool bulk = warpRows <= options.gemvBulkMaxWarpRows &&
                    (options.gemvBulkMaxOutputs == 0 || total <= options.gemvBulkMaxOutputs) &&
                    maxRows == 1 && rowBytes % 16 == 0 &&
                    inBytes % 16 == 0 && bulkBytesOf(bulkWarps) <= kGemvBulkMaxSharedBytes;
  const int64_t blockWarps = bulk ? bulkWarps : 4;
  const int64_t tileBytes = blockWarps * warpRows * rowBytes;
  const int64_t barriersAt = tileBytes + gainBytes + inBytes;
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Value one = cIdx(b, 1);
  auto launch = gpu::LaunchOp::create(
      b, cIdx(b, llvm::divideCeil(warps, blockWarps)), one, one,
      cIdx(b, blockWarps * kWarpSize), one, one,
      /*dynamicSharedMemorySize=*/
      bulk ? arith::ConstantIntOp::create(b, i32, bulkBytesOf(blockWarps)).getResult() : Value());
  nameKernel(launch, "photon_gemv_" + tag);
  Builder kb(b.getLoc(), ctx);
  kb.setInsertionPointToStart(&launch.getBody().front());
  gemvLaunchStart(kb, launch);
  Value tid = launch.getThreadIds().x;
  Value lane = remU(kb, tid, kWarpSize), warpInBlock = divU(kb, tid, kWarpSize);
  Value warp = addI(kb, mulI(kb, launch.getBlockIds().x, blockWarps), warpInBlock);
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
  Value inGrid = ult(kb, warp, cIdx(kb, warps));
  SmallVector<Value> js, rowW; // output f; weight row (f, m) at f · nw + m
  for (int64_t f = 0; f < F; ++f) {
    js.push_back(output(kb, f));
    Value row = F > 1 ? arith::MinUIOp::create(kb, js.back(), lastJ) : js.back();
    for (Value wm : w)
      rowW.push_back(addI(kb, mulI(kb, row, K), wm));
  }
  // With bulk copies: weight row i of the warp is row warpInBlock ·
  // warpRows + i of `tile`. Lane 0 arms the warp's barrier for them and
  // issues them, thread 0 the block's for the gain and the activations,
  // before the grid wait (weights are never written); then thread 0 copies
  // the activation row. The lanes wait for both barriers' first phase.
  Value tile, gainTile, inTile, barrier, rowBarrier;
  if (bulk) {
    tile = dynamicShared(kb, {blockWarps * warpRows * K}, weightElt);
    if (normGain)
      gainTile = dynamicShared(kb, {K}, weightElt, tileBytes);
    inTile = dynamicShared(kb, {K}, in.elementType(), tileBytes + gainBytes);
    Value base = sharedAddress(kb, tile);
    Value warpBarrierAt = addI(kb, mulI(kb, warpInBlock, kMbarrierBytes), cIdx(kb, barriersAt));
    barrier = sharedPointer(kb, sharedAddressAt(kb, base, warpBarrierAt));
    rowBarrier = sharedPointer(
        kb, sharedAddressAt(kb, base, cIdx(kb, barriersAt + blockWarps * kMbarrierBytes)));
    // `bytes` bytes from element `at` of `mem` (global) to byte `to` of the
    // block's shared memory.
    auto copy = [&](Builder &b, Value mem, Value at, Value to, int64_t bytes, Value bar) {
      bulkCopyToShared(b, sharedAddressAt(b, base, to), mem, at, bytes, bar);
    };
    Value isThread0 = arith::CmpIOp::create(kb, arith::CmpIPredicate::eq, tid, cIdx(kb, 0));
    onLaneZero(kb, lane, [&](Builder &b) {
      mbarrierInit(b, barrier, 1);
      ifThen(b, isThread0, [&](Builder &b) { mbarrierInit(b, rowBarrier, 1); });
      NVVM::FenceMbarrierInitOp::create(b);
      ifThen(b, inGrid, [&](Builder &b) {
        mbarrierExpectBytes(b, barrier, warpRows * rowBytes);
        for (auto [i, at] : llvm::enumerate(rowW))
          copy(b, weights, at, mulI(b, addI(b, mulI(b, warpInBlock, warpRows), int64_t(i)), rowBytes),
               rowBytes, barrier);
      });
      ifThen(b, isThread0, [&](Builder &b) {
        mbarrierExpectBytes(b, rowBarrier, gainBytes + inBytes);
        if (normGain)
          copy(b, weights, normGain, cIdx(b, tileBytes), gainBytes, rowBarrier);
      });
    });
    // The barriers are initialized before any thread waits on them.
    gpu::BarrierOp::create(kb);
    gemvGridWait(kb);
    ifThen(kb, isThread0, [&](Builder &b) {
      copy(b, in.mem, in.base, cIdx(b, tileBytes + gainBytes), inBytes, rowBarrier);
    });
  }
  // A whole warp takes or skips the branch, so its shuffles stay converged.
  ifThen(kb, inGrid, [&](Builder &b) {
    // Accumulator (output f, weight matrix m, row r) at (f · nw + m) ·
    // maxRows + r; with normGain, each row's sum of squares after them;
    // then the lane's pair values (pair f's at pairAt + f · count).
    const int64_t pairAt = nAcc + (normGain ? maxRows : 0);
    const int64_t nPairValues = pairHalf ? P * pairValues.count : 0;
    Value laneRow = arith::MinUIOp::create(b, lane, arith::SubIOp::create(b, rows, one));
    // The pair values: with bulk copies before the loop (the grid wait is
    // behind), where no loads in flight add to their registers; else in
    // the first iteration, behind its loads.
    auto computePairValues = [&](Builder &b) {
      SmallVector<Value> values;
      for (int64_t f = 0; f < P; ++f)
        llvm::append_range(values, pairValues.compute(b, laneRow, js[f]));
      return values;
    };
    SmallVector<Value> init(pairAt, cF32(b, 0));
    if (bulk && nPairValues)
      llvm::append_range(init, computePairValues(b));
    else
      init.append(nPairValues, cF32(b, 0));
    // The bulk copies land once, before the first group reads them.
    if (bulk) {
      Value phase0 = arith::ConstantIntOp::create(b, i32, 0);
      mbarrierWaitParity(b, barrier, phase0);
      mbarrierWaitParity(b, rowBarrier, phase0);
    }
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
            for (Value at : bulk ? ArrayRef<Value>() : ArrayRef<Value>(rowW))
              wv.push_back(load(b, weights, addI(b, at, chunk.back()), 16, ok));
          }
          // Every weight load of the group before the first fma: the
          // NVPTX backend keeps this order, so the loads overlap. With
          // programmatic launch they are also issued before the wait for
          // the previous kernel (weights are never written).
          if (!bulk)
            gemvGridWait(b);
          else {
            Value first = mulI(b, mulI(b, warpInBlock, warpRows), K);
            for (int64_t u = 0; u < unroll; ++u)
              for (int64_t i = 0; i < warpRows; ++i)
                wv.push_back(load(b, tile, addI(b, addI(b, first, i * K), chunk[u]), 16, inside[u]));
          }
          if (nPairValues && !bulk)
            inFirstIteration(b, g, MutableArrayRef(acc).slice(pairAt, nPairValues),
                             computePairValues);
          for (int64_t u = 0; u < unroll; ++u) {
            Value gain = !normGain ? Value()
                         : bulk        ? load(b, gainTile, chunk[u], 16, Value())
                                       : load(b, weights, addI(b, normGain, chunk[u]), 16, Value());
            for (int64_t r = 0; r < maxRows; ++r) {
              Value x = bulk ? load(b, inTile, chunk[u], 16, inside[u])
                             : load(b, in.mem, addI(b, rowIn[r], chunk[u]),
                                    gemvInputAlignment(in), inside[u]);
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
          if (!range.pairHalf) {
            SmallVector<Value> values(sums);
            if (range.preload)
              values.push_back(range.preload(b, cIdx(b, r), js[f]));
            return range.store(b, cIdx(b, r), js[f], values);
          }
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

bool KernelEmitter::gemvOnTensorCores(int64_t maxRows) const {
  return options.gemvTensorCoreMinRows > 0 && maxRows >= options.gemvTensorCoreMinRows &&
         options.tensorCoreMinRows > 0 &&
         weightElt.isBF16() && actElt.isBF16();
}

bool KernelEmitter::gemvSplitsInputs(int64_t maxRows) const {
  return gemvOnTensorCores(maxRows) && !roundsMatmulInputs(MatmulKind::TensorCoreGemv);
}

int64_t KernelEmitter::gemvTensorCoreWarps(int64_t blocks, int64_t matrices, int64_t nTiles,
                                            bool f32In, bool split,
                                            int64_t valuesPerLane) const {
  int64_t W = [&]() -> int64_t {
    if (options.gemvTensorCoreWarps > 0)
      return options.gemvTensorCoreWarps;
    if (blocks < options.multiprocessors)
      return 16;
    // Split inputs with one matrix (its whole loads-in-flight budget) or two
    // n-tiles need more registers than two 8-warp blocks an SM leave them:
    // ptxas holds PHOTON-600M's QKV at 128 (spilling at 16 rows) and takes
    // gate/up's 16-row kernel to 152, one block an SM, so neither grid is
    // resident at once. 4-warp blocks take 127-161 registers with no spill
    // and 3-4 blocks an SM, the whole grid where it is at most 3 blocks an
    // SM. H200 (docs/perf.md, 2026-12-05 03:03): QKV 12.70 -> 11.80 us at 4
    // rows and 22.12 -> 19.64 at 16, gate/up 19.65 -> 18.00 at 16; gate/up at
    // up to 8 rows (94 registers, two blocks an SM) was slower at 4 warps.
    // Rounded f32 inputs need that only for one matrix of 16 rows: QKV's,
    // which spills 24 bytes at 8 warps.
    const bool manyRegisters =
        split ? matrices == 1 || nTiles > 1 : f32In && matrices == 1 && nTiles > 1;
    if (manyRegisters && blocks <= 3 * options.multiprocessors)
      return 4;
    return 8;
  }();
  // The warps' partials are static shared memory, at most 48 KB a block.
  constexpr int64_t kMaxStaticSharedBytes = 48 * 1024;
  while (W > 1 && W * valuesPerLane * kWarpSize * 4 > kMaxStaticSharedBytes)
    W /= 2;
  return W;
}

int64_t KernelEmitter::gemvTensorCoreTiles(int64_t outputTiles, int64_t nTiles, bool split,
                                            bool pairs) const {
  if (options.gemvTensorCoreTiles > 0)
    return options.gemvTensorCoreTiles;
  // Each block widens the rows' fragments, multiplies them by the fused
  // norm's gain and splits them for its tile alone: at 16 rows that work,
  // not the weight bytes, bounds the kernel (rounded inputs, bf16 in
  // memory: 40% less time). Shared by more tiles it is done fewer times.
  // H100 (docs/perf.md, 2026-12-07 08:33 and 09:40), 16 rows, µs: the LM
  // head's 2,000 tiles 71.8 -> 51.6 at 4 a block; gate/up's 256 20.7 -> 19.6
  // at 2 (26.7 at 4: too few blocks); o and down (104 tiles) lose at 2. At
  // 4 rows (one n-tile) all but the LM head (2% faster at 2) lose. QKV
  // gained 2% at 2, where its RoPE pairs' cos and sin, one per tile, spill:
  // ranges of pairs keep 1.
  if (!split || nTiles < 2 || pairs)
    return 1;
  const int64_t sms = options.multiprocessors;
  if (outputTiles >= 12 * sms)
    return 4;
  if (2 * outputTiles >= 3 * sms)
    return 2;
  return 1;
}

void KernelEmitter::gemvTensorCore(Builder &b, const Twine &name, Buf in, Value rows,
                                   int64_t maxRows, int64_t K, ArrayRef<GemvRange> ranges,
                                   Value normGain, const GemvPairValues &pairValues) {
  const int64_t nTiles = llvm::divideCeil(maxRows, 8);
  const int64_t nw = ranges.front().weights.size();
  const int64_t chunks = K / 8, steps = llvm::divideCeil(chunks, 4);
  const bool bf16In = in.elementType().isBF16() && !normGain;
  // The MMAs' f32 operands (an f32 input, or any input times the fused
  // norm's gain) split into hi + lo unless rounded: splitBF16's hi alone is
  // the rounded value. Rows of split chunks come split.
  assert((!in.splitChunks || !normGain) && "split rows are normed already");
  const bool split =
      in.splitChunks || (!bf16In && !roundsMatmulInputs(MatmulKind::TensorCoreGemv));
  // T output tiles a block (gemv-tensor-core-tiles): each activation
  // fragment a lane loads feeds the MMAs of all T, so the grid reads the
  // rows from L2 T times fewer. A range's blocks take its tiles T at a time
  // (the last block's tiles past the range reread its last output and store
  // nothing).
  int64_t outputTiles = 0;
  for (const GemvRange &range : ranges)
    outputTiles += llvm::divideCeil(range.M, 16);
  const int64_t pairHalf = pairHalfOf(ranges);
  const int64_t T = gemvTensorCoreTiles(outputTiles, nTiles, split, pairHalf != 0);
  SmallVector<int64_t> firstBlocks{0};
  for (const GemvRange &range : ranges)
    firstBlocks.push_back(firstBlocks.back() + llvm::divideCeil(range.M, 16 * T));
  const int64_t blocks = firstBlocks.pop_back_val();
  // Per (warp, value, lane) in workgroup memory: the accumulators of
  // (output tile τ, weight matrix m, n-tile n) at ((τ · nw + m) · nTiles +
  // n) · 4, then a sum of squares per n-tile.
  const int64_t nAcc = T * nw * nTiles * 4, nValues = nAcc + (normGain ? nTiles : 0);
  const int64_t W = gemvTensorCoreWarps(blocks, nw, nTiles, !bf16In, split, nValues);
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
  const int64_t unroll = std::clamp<int64_t>(budget / T, 1, llvm::divideCeil(steps, W));
  const int64_t iterations = llvm::divideCeil(steps, W * unroll);
  const bool ragged = iterations * W * unroll * 4 != chunks;
  assert(llvm::all_of(ranges, [&](const GemvRange &r) { return int64_t(r.weights.size()) == nw; }) &&
         "ranges read equally many matrices");
  Type f32 = b.getF32Type(), bf16 = b.getBF16Type(), i32 = b.getI32Type();
  Value one = cIdx(b, 1);
  auto launch = gpu::LaunchOp::create(
      b, cIdx(b, blocks), one, one, cIdx(b, W * kWarpSize), one, one,
      /*dynamicSharedMemorySize=*/Value(), /*asyncTokenType=*/nullptr, /*asyncDependencies=*/ValueRange{},
      TypeRange{workgroupBuffer({W * nValues * kWarpSize}, f32)});
  nameKernel(launch, name);
  Builder kb(b.getLoc(), ctx);
  kb.setInsertionPointToStart(&launch.getBody().front());
  gemvLaunchStart(kb, launch);
  Value partials = launch.getWorkgroupAttributions()[0];
  Value tid = launch.getThreadIds().x, block = launch.getBlockIds().x;
  Value lane = remU(kb, tid, kWarpSize), warp = divU(kb, tid, kWarpSize);
  Value g = divU(kb, lane, 4), t = remU(kb, lane, 4);
  // The block's range (uniform): its tiles, outputs and weight matrices.
  auto byRange = rangeSelector(kb, block, firstBlocks);
  Value rangeIdx = byRange([&](int64_t k) { return cIdx(kb, k); });
  Value firstTile = mulI(
      kb, arith::SubIOp::create(kb, block, byRange([&](int64_t k) { return cIdx(kb, firstBlocks[k]); })),
      T);
  SmallVector<Value> tiles;
  for (int64_t tau = 0; tau < T; ++tau)
    tiles.push_back(addI(kb, firstTile, tau));
  Value lastJ = byRange([&](int64_t k) { return cIdx(kb, ranges[k].M - 1); });
  // Output of A row g + 8 · half of tile τ: in a plain range 16
  // consecutive outputs, in a range of pairs half `half` of pair 8 · tile + g.
  auto plainOutput = [&](Builder &b, int64_t tau, int64_t half) {
    return addI(b, addI(b, mulI(b, tiles[tau], 16), g), 8 * half);
  };
  auto pairedOutput = [&](Builder &b, int64_t tau, int64_t half) -> Value {
    Value pair = addI(b, mulI(b, tiles[tau], 8), g);
    return addI(b, addI(b, mulI(b, divU(b, pair, pairHalf), 2 * pairHalf), remU(b, pair, pairHalf)),
                half * pairHalf);
  };
  Value isPaired = pairHalf ? byRange([&](int64_t k) -> Value {
    return arith::ConstantIntOp::create(kb, kb.getI1Type(), ranges[k].pairHalf != 0);
  }) : Value();
  // Weight rows (tile τ, matrix m, half h) at (τ · nw + m) · 2 + h;
  // outputs past the range's end reread its last and are not stored.
  SmallVector<Value> w, rowW;
  for (int64_t m = 0; m < nw; ++m)
    w.push_back(byRange([&](int64_t k) { return ranges[k].weights[m]; }));
  for (int64_t tau = 0; tau < T; ++tau)
    for (int64_t m = 0; m < nw; ++m)
      for (int64_t h = 0; h < 2; ++h) {
        Value j = plainOutput(kb, tau, h);
        if (pairHalf)
          j = arith::SelectOp::create(kb, isPaired, pairedOutput(kb, tau, h), j);
        rowW.push_back(addI(kb, w[m], mulI(kb, arith::MinUIOp::create(kb, j, lastJ), K)));
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
  // tile τ and rows 2t + e of n-tile n at ((τ · nTiles + n) · 2 + e) ·
  // count after the loop's partial sums: computed in the first iteration,
  // while its weight loads are in flight (after the wait for the previous
  // kernel, which may write what they read), not after the loop.
  const int64_t nPairValues = pairHalf ? T * nTiles * 2 * pairValues.count : 0;
  SmallVector<Value> init(nValues + nPairValues, cF32(kb, 0));
  auto pairRow = [&](Builder &b, int64_t n, int64_t e) {
    return addI(b, addI(b, mulI(b, t, 2), e), 8 * n);
  };
  // The lane's chunk (in elements) of step u of iteration `it`, and
  // whether it is inside K (ragged loops; outside chunks read chunk 0).
  auto chunkOf = [&](Builder &b, Value it, int64_t u) -> std::pair<Value, Value> {
    Value step = addI(b, mulI(b, addI(b, mulI(b, it, unroll), u), W), warp);
    Value c = addI(b, mulI(b, step, 4), t);
    Value ok = ragged ? ult(b, c, cIdx(b, chunks)) : Value();
    if (ok)
      c = arith::SelectOp::create(b, ok, c, cIdx(b, 0));
    return {mulI(b, c, 8), ok};
  };
  // The weight vectors of iteration `it`, (step u, tile τ, matrix m, half
  // h); where given, each vector's registers to `regs` and its steps'
  // chunks and whether they are inside K to `at` and `inside`.
  using Registers = SmallVector<Value, 4>;
  auto loadWeights = [&](Builder &b, Value it, SmallVector<Registers> *regs = nullptr,
                         SmallVector<Value> *at = nullptr, SmallVector<Value> *inside = nullptr) {
    SmallVector<Value> vectors;
    for (int64_t u = 0; u < unroll; ++u) {
      auto [c, ok] = chunkOf(b, it, u);
      if (at) {
        at->push_back(c);
        inside->push_back(ok);
      }
      for (Value row : rowW) {
        vectors.push_back(vector::LoadOp::create(b, vecOf(8, bf16), weights,
                                                 ValueRange{addI(b, row, c)},
                                                 /*nontemporal=*/false, llvm::MaybeAlign(16)));
        if (regs)
          regs->push_back(registers(b, vectors.back()));
      }
    }
    return vectors;
  };
  // gemv-tensor-core-prefetch: iteration it + 1's weight loads are issued
  // before iteration it's MMAs (carried by the loop), so that a warp's
  // loads stay in flight while it waits on and multiplies the previous
  // ones; iteration 0's go before the loop and the grid wait. Only for one
  // matrix and tile, no fused norm and at most 4 steps an iteration (8
  // vectors, 32 registers, carried). H100 (docs/perf.md, 2026-12-07
  // 23:16), µs: 16 rows QKV 15.06 -> 14.63, down 12.40 -> 11.11; elsewhere
  // slower or equal: the fused-norm QKV at 4 rows (8 steps) 13.36 -> 17.20
  // (161 -> 231 registers), gate/up at 16 16.33 -> 18.33, the LM head's
  // 4-tile blocks 50.50 -> 53.86; PHOTON-600M's 8-row 1664 x 6656 (8 steps)
  // spilled.
  const bool prefetch = options.gemvTensorCorePrefetch && iterations > 1 && nw == 1 &&
                        T == 1 && !normGain && unroll <= 4;
  const int64_t nCarried = nValues + nPairValues;
  if (prefetch) {
    llvm::append_range(init, loadWeights(kb, cIdx(kb, 0)));
    gemvGridWait(kb);
  }
  auto loop = scf::ForOp::create(
      kb, cIdx(kb, 0), cIdx(kb, iterations), one, init,
      [&](OpBuilder &ob, Location loc, Value it, ValueRange carried) {
        Builder b(loc, ob);
        SmallVector<Value> acc = llvm::to_vector(carried.take_front(nCarried));
        SmallVector<Value> at, inside, next;
        SmallVector<Registers> wRegs; // (step u, tile τ, matrix m, half h)
        if (prefetch) {
          for (int64_t u = 0; u < unroll; ++u) {
            auto [c, ok] = chunkOf(b, it, u);
            at.push_back(c);
            inside.push_back(ok);
          }
          ValueRange vectors = carried.drop_front(nCarried);
          Value nextIt = addI(b, it, 1);
          next = loadAhead(b, ult(b, nextIt, cIdx(b, iterations)), vectors,
                           [&](Builder &b) { return loadWeights(b, nextIt); });
          for (Value v : vectors)
            wRegs.push_back(registers(b, v));
        } else {
          loadWeights(b, it, &wRegs, &at, &inside);
          // Every weight load of the group before the first MMA; with
          // programmatic launch also before the wait for the previous
          // kernel (weights are never written).
          gemvGridWait(b);
        }
        if (nPairValues)
          inFirstIteration(b, it, MutableArrayRef(acc).slice(nValues, nPairValues), [&](Builder &b) {
            SmallVector<Value> values;
            for (int64_t tau = 0; tau < T; ++tau)
              for (int64_t n = 0; n < nTiles; ++n)
                for (int64_t e = 0; e < 2; ++e)
                  llvm::append_range(values,
                                     pairValues.compute(b, arith::MinUIOp::create(b, pairRow(b, n, e), last),
                                                        pairedOutput(b, tau, 0)));
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
            SmallVector<Value, 4> hi, lo;
            if (in.splitChunks) {
              // The chunk's 8 hi parts, then its 8 lo parts (rmsNormSplit).
              for (auto [part, regs] : {std::pair{0, &hi}, std::pair{4, &lo}}) {
                Value v = loadF32s(b, in.mem, addI(b, addI(b, rowIn[n], at[u]), part), 4);
                *regs = registers(b, inside[u] ? orZero(b, inside[u], v) : v);
              }
            } else {
              Value x = vector::LoadOp::create(b, vecOf(8, in.elementType()), in.mem,
                                               ValueRange{addI(b, rowIn[n], at[u])},
                                               /*nontemporal=*/false,
                                               llvm::MaybeAlign(gemvInputAlignment(in)));
              if (!in.elementType().isF32() && !bf16In)
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
              if (bf16In) {
                hi = registers(b, x);
              } else {
                auto [xHi, xLo] = splitBF16(b, x, split);
                hi = registers(b, xHi);
                if (split)
                  lo = registers(b, xLo);
              }
            }
            for (int64_t tm = 0; tm < T * nw; ++tm) { // tile τ, matrix m at τ · nw + m
              ArrayRef<Value> r0 = wRegs[(u * T * nw + tm) * 2], r8 = wRegs[(u * T * nw + tm) * 2 + 1];
              Value *tileAcc = &acc[(tm * nTiles + n) * 4];
              for (int64_t kk = 0; kk < 2; ++kk) {
                SmallVector<Value> a{r0[2 * kk], r8[2 * kk], r0[2 * kk + 1], r8[2 * kk + 1]};
                mmaBF16(b, a, ValueRange{hi[2 * kk], hi[2 * kk + 1]}, tileAcc);
                if (split)
                  mmaBF16(b, a, ValueRange{lo[2 * kk], lo[2 * kk + 1]}, tileAcc);
              }
            }
          }
        }
        acc.append(next);
        scf::YieldOp::create(b, acc);
      });
  // Value v (an index or a constant) of warp w.
  auto slot = [&](Builder &b, Value w, auto v) {
    return addI(b, mulI(b, addI(b, mulI(b, w, nValues), v), kWarpSize), lane);
  };
  auto partial = [&](Builder &b, Value w, auto v) -> Value {
    return memref::LoadOp::create(b, partials, ValueRange{slot(b, w, v)});
  };
  // Value v's sum over the warps, in warp order.
  auto sumOverWarps = [&](Builder &b, auto v) {
    Value sum = partial(b, cIdx(b, 0), v);
    for (int64_t w = 1; w < W; ++w)
      sum = addF(b, sum, partial(b, cIdx(b, w), v));
    return sum;
  };
  for (int64_t v = 0; v < nValues; ++v)
    memref::StoreOp::create(kb, loop.getResult(v), partials, ValueRange{slot(kb, warp, v)});
  gpu::BarrierOp::create(kb);
  // Blocks of several tiles have many values (the 600M LM head's 4-tile
  // blocks 34 of 8 warps): warp w sums values w, w + W, ... into warp 0's
  // slots, and warp 0 reads the sums. Warp 0 summing them all took 255
  // registers (ptxas hoists the loads) and spilled; for one tile it is the
  // faster (docs/perf.md, 2026-12-07 09:53).
  const bool sharedSums = T > 1;
  if (sharedSums) {
    for (int64_t k = 0; k * W < nValues; ++k) {
      Value v = addI(kb, warp, k * W);
      auto store = [&](Builder &b) {
        memref::StoreOp::create(b, sumOverWarps(b, v), partials, ValueRange{slot(b, cIdx(b, 0), v)});
      };
      if ((k + 1) * W <= nValues)
        store(kb);
      else
        ifThen(kb, ult(kb, v, cIdx(kb, nValues)), store);
    }
    gpu::BarrierOp::create(kb);
  }
  // A whole warp takes the branch, so its shuffles stay converged.
  ifThen(kb, arith::CmpIOp::create(kb, arith::CmpIPredicate::eq, warp, cIdx(kb, 0)), [&](Builder &b) {
    SmallVector<Value> total;
    for (int64_t v = 0; v < nValues; ++v)
      total.push_back(sharedSums ? partial(b, cIdx(b, 0), v) : sumOverWarps(b, v));
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
    // The range's preloaded values (its residuals) for every output of the
    // thread, (tile τ, n-tile n, row 2t + e, half) at ((τ · nTiles + n) · 2
    // + e) · 2 + half, before any store (an outside output reads row 0,
    // output 0).
    assert((ranges.size() == 1 || llvm::none_of(ranges, [](const GemvRange &r) {
              return bool(r.preload);
            })) && "a preloading range is a launch's only one");
    SmallVector<Value> preloaded;
    if (ranges.front().preload) {
      const GemvRange &range = ranges.front();
      Value zero = cIdx(b, 0);
      for (int64_t tau = 0; tau < T; ++tau)
        for (int64_t n = 0; n < nTiles; ++n)
          for (int64_t e = 0; e < 2; ++e)
            for (int64_t half = 0; half < 2; ++half) {
              Value r = pairRow(b, n, e), j = plainOutput(b, tau, half);
              Value inside = arith::AndIOp::create(b, ult(b, r, rows), ult(b, j, cIdx(b, range.M)));
              preloaded.push_back(range.preload(b, arith::SelectOp::create(b, inside, r, zero),
                                                arith::SelectOp::create(b, inside, j, zero)));
            }
    }
    for (int64_t tau = 0; tau < T; ++tau)
      for (int64_t n = 0; n < nTiles; ++n)
        for (int64_t e = 0; e < 2; ++e) {
          Value r = pairRow(b, n, e);
          const int64_t at = (tau * nTiles + n) * 2 + e; // (τ, n, e)
          // The dot products of A row g + 8 · half of tile τ and row r,
          // one per matrix.
          auto sumsOf = [&](Builder &b, int64_t half) {
            SmallVector<Value> sums;
            for (int64_t m = 0; m < nw; ++m) {
              Value s = total[((tau * nw + m) * nTiles + n) * 4 + half * 2 + e];
              sums.push_back(normGain ? mulF(b, s, invRms[2 * n + e]) : s);
            }
            return sums;
          };
          auto store = [&](Builder &b, const GemvRange &range) {
            Value inRows = ult(b, r, rows), M = cIdx(b, range.M);
            if (range.pairHalf) {
              Value j = pairedOutput(b, tau, 0);
              ifThen(b, arith::AndIOp::create(b, inRows, ult(b, j, M)), [&](Builder &b) {
                SmallVector<Value> pair = sumsOf(b, 0);
                pair.append(sumsOf(b, 1));
                for (int64_t i = 0; i < pairValues.count; ++i)
                  pair.push_back(loop.getResult(nValues + at * pairValues.count + i));
                range.store(b, r, j, pair);
              });
              return;
            }
            for (int64_t half = 0; half < 2; ++half) {
              Value j = plainOutput(b, tau, half);
              ifThen(b, arith::AndIOp::create(b, inRows, ult(b, j, M)), [&](Builder &b) {
                SmallVector<Value> values = sumsOf(b, half);
                if (range.preload)
                  values.push_back(preloaded[at * 2 + half]);
                range.store(b, r, j, values);
              });
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

void KernelEmitter::matmulNormFirst(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                                    WeightRef weight, const NormFirst &norm) {
  auto wide = [&](Builder &b, Buf in) {
    matmulWide(b, in, out, rows, M, K, weight.at, weight.align, Value(), false);
  };
  if (!gemvApplies(K, weight.align))
    return wide(b, normed(b, in, rows, K, norm, /*wide=*/true));
  projectRows(
      b, in, rows, K, norm, alignedTo(b, weights, weight.at, 16),
      [&](Builder &b, Buf in, int64_t maxRows, Value gain) {
        matmulGemv(b, in, out, rows, maxRows, M, K, weight.at, Value(), false, gain);
      },
      wide);
}

Buf KernelEmitter::normed(Builder &b, Buf in, Value rows, int64_t K,
                          const std::optional<NormFirst> &norm, bool wide) {
  if (!norm)
    return in;
  Buf out = wide && wideInputsRounded() && norm->rounded.mem ? norm->rounded : norm->out;
  rmsNorm(b, in, out, rows, K, norm->gain);
  return out;
}

bool KernelEmitter::wideInputsRounded() const {
  return gpu && actElt.isBF16() && weightElt.isBF16() && options.tensorCoreMinRows > 0 &&
         options.matmulInputRounding != MatmulInputRounding::None;
}

bool KernelEmitter::gemvFusesNorm(int64_t K, const NormFirst &norm) const {
  return options.matmulInputRounding != MatmulInputRounding::All &&
         gemvApplies(K, norm.gain.align);
}

bool KernelEmitter::gemvNormKernel(int64_t maxRows, const NormFirst &norm) const {
  return options.gemvNormKernelMinRows > 0 && maxRows >= options.gemvNormKernelMinRows &&
         gemvSplitsInputs(maxRows) && norm.out.elementType().isF32();
}

std::pair<Buf, Value> KernelEmitter::gemvNormInput(Builder &b, Buf in, Value rows,
                                                   int64_t maxRows, int64_t K,
                                                   const NormFirst &norm) {
  if (!gemvNormKernel(maxRows, norm))
    return {in, norm.gain.at};
  return {rmsNormSplit(b, in, norm.out, rows, K, norm.gain.at), Value()};
}

Value KernelEmitter::gemvNormKernelAligned(Builder &b, const NormFirst &norm) {
  if (!gemvNormKernel(options.gemvMaxRows, norm))
    return arith::ConstantIntOp::create(b, b.getI1Type(), 1);
  return alignedTo(b, norm.out.mem, norm.out.base, 16);
}

void KernelEmitter::projectRows(Builder &b, Buf in, Value rows, int64_t K,
                                std::optional<NormFirst> norm, Value aligned,
                                function_ref<void(Builder &, Buf, int64_t, Value)> gemv,
                                function_ref<void(Builder &, Buf)> wide) {
  bool fuse = norm && gemvFusesNorm(K, *norm);
  if (!fuse)
    in = normed(b, in, rows, K, norm);
  aligned = arith::AndIOp::create(b, aligned,
                                  alignedTo(b, in.mem, in.base, gemvInputAlignment(in)));
  if (fuse) {
    aligned = arith::AndIOp::create(b, aligned, alignedTo(b, weights, norm->gain.at, 16));
    aligned = arith::AndIOp::create(b, aligned, gemvNormKernelAligned(b, *norm));
  }
  gemvOrWide(
      b, rows, aligned,
      [&](Builder &b, int64_t maxRows) {
        if (!fuse)
          return gemv(b, in, maxRows, Value());
        std::pair<Buf, Value> input = gemvNormInput(b, in, rows, maxRows, K, *norm);
        gemv(b, input.first, maxRows, input.second);
      },
      [&](Builder &b) { wide(b, fuse ? normed(b, in, rows, K, norm, /*wide=*/true) : in); });
}

void KernelEmitter::matmulShared(Builder &b, StringRef tag, Buf in, Value rows, int64_t K,
                                 ArrayRef<Projection> ps, std::optional<NormFirst> norm,
                                 function_ref<void(Builder &)> afterOutputs,
                                 const GemvPairValues &pairValues, const TileEpilogue *staged) {
  auto after = [&](Builder &b) {
    if (afterOutputs)
      afterOutputs(b);
  };
  // More rows: one tensor-core kernel where the projections may take them
  // and write one buffer; else a kernel each.
  auto wide = [&](Builder &b, Buf in) {
    if (in.mirrorMem && wideInputsRounded())
      in = in.mirror();
    SmallVector<int64_t> aligns;
    SmallVector<Value> ws;
    int64_t total = 0;
    for (const Projection &p : ps) {
      aligns.push_back(p.w.align);
      ws.push_back(p.w.at);
      total += p.M;
    }
    bool oneBuffer = llvm::all_of(ps, [&](const Projection &p) { return p.out.mem == ps[0].out.mem; });
    if (!oneBuffer || tensorCoreKernel == TensorCoreKernel::Tile64 || !tensorCoresApply(K, aligns)) {
      for (const Projection &p : ps)
        matmulWide(b, in, p.out, rows, p.M, K, p.w.at, p.w.align, Value(), false);
      return after(b);
    }
    // With the staged epilogue only the CUDA-core branch runs afterOutputs.
    const bool epilogue = staged && stagedTileCols(total, splitsGemmInput(in), *staged);
    ifElse(
        b, tensorCoresUse(b, in, rows, ws),
        [&](Builder &b) {
          matmulSharedTensorCore(b, tag, in, rows, K, ps, epilogue ? staged : nullptr);
        },
        [&](Builder &b) {
          for (const Projection &p : ps)
            matmulLanes(b, in, p.out, rows, p.M, K, p.w.at, Value(), false);
          if (epilogue)
            after(b);
        });
    if (!epilogue)
      after(b);
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
        if (!pairValues.count)
          after(b);
      },
      wide);
}

/// `v` as a value plus a constant: (base, c) where v is base + c (an
/// arith.addi with a constant operand), (nullptr, c) for a constant, else
/// (v, 0).
static std::pair<Value, int64_t> splitConstantOffset(Value v) {
  if (auto c = getConstantIntValue(v))
    return {Value(), *c};
  if (auto add = v.getDefiningOp<arith::AddIOp>())
    for (int i = 0; i < 2; ++i)
      if (auto c = getConstantIntValue(add->getOperand(i)))
        return {add->getOperand(1 - i), *c};
  return {v, 0};
}

/// Whether the weights of `ps` follow each other in the arena, so that they
/// are one [sum of M x K] matrix at ps[0].w.at (Q, K and V as the planner
/// lays them out).
static bool oneMatrix(ArrayRef<KernelEmitter::Projection> ps, int64_t K) {
  auto [base, at] = splitConstantOffset(ps[0].w.at);
  for (size_t k = 1; k < ps.size(); ++k) {
    at += ps[k - 1].M * K;
    if (splitConstantOffset(ps[k].w.at) != std::make_pair(base, at))
      return false;
  }
  return true;
}

void KernelEmitter::matmulSharedTensorCore(Builder &b, StringRef tag, Buf in, Value rows, int64_t K,
                                           ArrayRef<Projection> ps, const TileEpilogue *staged) {
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
  // One matrix: wgmma-tma loads its tiles through one tensor map.
  if (oneMatrix(ps, K))
    columns.matrix = ps[0].w.at;
  auto kernel = [&](Builder &b, int64_t tileCols) {
    const std::string name = (Twine(tag) + (staged ? "_" + staged->name : "")).str();
    matmulTensorCoreTile128(b, name + "_" + shape(total, K), in, rows, K, columns, tileCols);
  };
  if (!staged)
    return tile128ByRows(b, in, rows, total, kernel);
  auto [narrow, wide] = *stagedTileCols(total, splitsGemmInput(in), *staged);
  columns.staged = staged;
  tileByRows(b, rows, total, narrow, wide, kernel);
}

Value KernelEmitter::silu(Builder &b, Value g) {
  return mulF(b, g, divF(b, cF32(b, 1.0),
                         addF(b, cF32(b, 1.0), math::ExpOp::create(b, arith::NegFOp::create(b, g)))));
}

void KernelEmitter::gateUpSwiGLU(Builder &b, Buf in, Value rows, int64_t F, int64_t K,
                                 WeightRef gate, WeightRef up, Buf G, Buf U,
                                 std::optional<NormFirst> norm) {
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
    if (in.mirrorMem && wideInputsRounded())
      in = in.mirror();
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

void KernelEmitter::swiGlu(Builder &b, Buf G, Buf U, Value rows, int64_t F) {
  parallel(b, "photon_swiglu_" + Twine(F), {rows, cIdx(b, F)}, [&](Builder &b, ValueRange iv) {
    Value i = addI(b, mulI(b, iv[0], F), iv[1]);
    G.store(b, mulF(b, silu(b, G.load(b, i)), U.load(b, i)), i);
  });
}

void KernelEmitter::gateUpGemv(Builder &b, Buf in, Value rows, int64_t maxRows, int64_t F,
                               int64_t K, Value gate, Value up, Buf G, Value gain) {
  assert((!G.splitWhen || F % 8 == 0) && "split rows are whole chunks");
  gemv(b, "gate_up" + Twine(gain ? "_norm" : "") + "_r" + Twine(maxRows) + "_" + shape(F, K), in,
       rows, maxRows, K,
       {GemvRange{F, {gate, up},
                  [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
                    G.store(b, mulF(b, silu(b, sums[0]), sums[1]), addI(b, mulI(b, r, F), j));
                  }}},
       gain);
}

void KernelEmitter::mlp(Builder &b, Buf X, Buf in, Value rows, int64_t F, int64_t D, WeightRef gate,
                        WeightRef up, WeightRef down, Buf G, Buf U, Buf Gr,
                        const std::optional<NormFirst> &norm) {
  const bool oneChoice =
      wideInputsRounded() && tensorCoreKernel != TensorCoreKernel::Tile64 &&
      gemvApplies(D, gate.align) && gemvApplies(D, up.align) && gemvApplies(F, down.align) &&
      norm && gemvFusesNorm(D, *norm) && tensorCoresApply(D, {gate.align, up.align}) &&
      tensorCoresApply(F, {down.align});
  if (!oneChoice) {
    withNextWeights({{down, D * F}}, [&] { gateUpSwiGLU(b, in, rows, F, D, gate, up, G, U, norm); });
    matmulNT(b, G, X, rows, D, F, down, std::nullopt, /*accumulate=*/true);
    return;
  }
  Value aligned = arith::AndIOp::create(b, alignedTo(b, X.mem, X.base, gemvInputAlignment(X)),
                                        alignedTo(b, G.mem, G.base, gemvInputAlignment(G)));
  for (Value w : {gate.at, up.at, down.at, norm->gain.at})
    aligned = arith::AndIOp::create(b, aligned, alignedTo(b, weights, w, 16));
  aligned = arith::AndIOp::create(b, aligned, gemvNormKernelAligned(b, *norm));
  gemvOrWide(
      b, rows, aligned,
      [&](Builder &b, int64_t maxRows) {
        std::pair<Buf, Value> input = gemvNormInput(b, X, rows, maxRows, D, *norm);
        // SwiGLU's product split for a down GEMV that splits its inputs:
        // written through the bf16 view of G's bytes (Gr), read as split rows.
        Buf product = G, downIn = G;
        downIn.splitChunks =
            options.gemvSplitSwiGLU && Gr.elementType().isBF16() && gemvSplitsInputs(maxRows);
        if (downIn.splitChunks) {
          product.splitWhen = arith::ConstantOp::create(b, b.getBoolAttr(true));
          product.splitMem = Gr.mem;
          product.splitBase = Gr.base;
        }
        withNextWeights({{down, D * F}}, [&] {
          gateUpGemv(b, input.first, rows, maxRows, F, D, gate.at, up.at, product, input.second);
        });
        matmulGemv(b, downIn, X, rows, maxRows, D, F, down.at, Value(), /*accumulate=*/true);
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

void KernelEmitter::gateUpTensorCore(Builder &b, Buf in, Value rows, int64_t F, int64_t K,
                                     Value gate, Value up, Buf G) {
  // The wide tiles of a projection of 2F outputs, in units of a warp's 32
  // columns, for calls of enough rows.
  const int64_t wide = projectionTileCols(2 * F, splitsGemmInput(in), 32);
  tileByRows(b, rows, 2 * F, mmaTileCols(2 * F), wide, [&](Builder &b, int64_t tileCols) {
    gateUpTile128(b, in, rows, F, K, gate, up, G, tileCols);
  });
}

void KernelEmitter::gateUpTile128(Builder &b, Buf in, Value rows, int64_t F, int64_t K,
                                  Value gate, Value up, Buf G, int64_t tileCols) {
  constexpr int64_t kWarpCols = 32, kHalf = kWarpCols / 2;
  const int64_t tileFeatures = tileCols / 2;
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
  // wgmma-tma: W's tiles come by one map of gate and up (PairedRows) where
  // up lies a constant multiple of 8 elements past gate (the planner's
  // order) and F is whole groups of 16 features.
  auto [gateBase, gateAt] = splitConstantOffset(gate);
  auto [upBase, upAt] = splitConstantOffset(up);
  if (gateBase == upBase && upAt > gateAt && (upAt - gateAt) % 8 == 0 &&
      F % PairedRows::kGroupRows == 0) {
    columns.matrix = gate;
    columns.pairs = PairedRows{F, upAt - gateAt};
  }
  // wgmma-staged-store: run k of 8 features of a tile row reads gate
  // columns 32 (k / 2) + 8 (k % 2) .. + 7 of the staged tile, up 16 on.
  TileEpilogue swigluTile{"swiglu", 32, 0, 0, [&](Builder &b, const StagedTile &t) {
    auto gateAt = [&](Builder &b, Value r, Value run) {
      return addI(b, mulI(b, r, t.stride),
                  addI(b, mulI(b, divU(b, run, 2), kWarpCols), mulI(b, remU(b, run, 2), 8)));
    };
    StagedRuns runs{
        t.cols / 16,
        [&](Builder &b, Value run) { return addI(b, divU(b, t.n0, 2), mulI(b, run, 8)); },
        [&](Builder &b, Value r, Value run, Value j) -> Value {
          Value at = addI(b, gateAt(b, r, run), j);
          Value g = memref::LoadOp::create(b, t.tile, ValueRange{at});
          Value u = memref::LoadOp::create(b, t.tile, ValueRange{addI(b, at, kHalf)});
          return mulF(b, silu(b, g), u);
        },
        [&](Builder &b, Value r, Value run) -> Value {
          Value at = gateAt(b, r, run);
          Value g = loadF32x8(b, t.tile, at), u = loadF32x8(b, t.tile, addI(b, at, kHalf));
          SmallVector<Value, 8> h;
          for (int64_t j = 0; j < 8; ++j)
            h.push_back(mulF(b, silu(b, vector::ExtractOp::create(b, g, j)),
                             vector::ExtractOp::create(b, u, j)));
          return vector::FromElementsOp::create(b, g.getType(), h);
        }};
    storeStagedRuns(b, t, runs, G, rows, F, Value(), false);
  }};
  if (storesStaged(tileCols, splitsGemmInput(in), swigluTile))
    columns.staged = &swigluTile;
  matmulTensorCoreTile128(b, "gate_up_" + shape(F, K), in, rows, K, columns, tileCols);
}

void KernelEmitter::matmulLanes(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
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

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
/// The model's activation type as a projection sees it: the first of its
/// buffers (the bf16 copy, the output, the input) that is not f32 (the LM
/// head writes f32 logits, a chunker reads f32 normed rows, the output
/// projection the f32 attention output), else f32. With f32 activations
/// products stay f32 (spec §6); with bf16 ones tensor cores may multiply.
Type activationType(kernel::MatmulOp op) {
  for (Value v : {op.getRounded(), op.getOut(), op.getIn()})
    if (v && !elementTypeOf(v).isF32())
      return elementTypeOf(v);
  return Float32Type::get(op.getContext());
}

struct MatmulLowering : KernelOpLowering<kernel::MatmulOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::MatmulOp op) const override {
    KernelDims dims;
    if (std::optional<llvm::APFloat> eps = op.getEps())
      dims.rmsNormEps = eps->convertToDouble();
    KernelEmitter e =
        emitter(op, dims, elementTypeOf(op.getWeights()), activationType(op), op.getWeights());
    Buf in{op.getIn(), op.getInBase()};
    WeightRef weight{op.getWeight(), int64_t(op.getWeightAlign())};
    Buf out{op.getOut(), op.getOutBase()};
    // The wide projections read the input's bf16 copy.
    if (op.getRounded() && e.wideInputsRounded()) {
      in.mirrorMem = op.getRounded();
      in.mirrorBase = op.getRoundedBase();
    }
    // Attention wrote the rows split where the GEMV splits its inputs.
    if (op->hasAttr(kSplitForGemv))
      in.splitWhen = e.gemvSplitInputRows(b, op.getRows(), in);
    std::optional<WeightRef> bias;
    if (op.getBias())
      bias = WeightRef{op.getBias(), int64_t(*op.getBiasAlign())};
    e.withNextWeights(e.nextWeightsOf(op.getNext(), op.getNextElements(), op.getNextAligns()),
                      [&] {
                        if (!op.getGain())
                          return e.matmulNT(b, in, out, op.getRows(), op.getM(), op.getK(),
                                            weight, bias, op.getAccumulate());
                        // The normed rows' bf16 copy for wide projections is
                        // themselves.
                        Buf normed{op.getNormed(), op.getNormedBase()};
                        KernelEmitter::NormFirst norm{
                            {op.getGain(), int64_t(*op.getGainAlign())}, normed,
                            normed.elementType().isBF16() ? normed : Buf{}};
                        e.matmulNormFirst(b, in, out, op.getRows(), op.getM(), op.getK(), weight,
                                          norm);
                      });
  }
};

struct MlpLowering : KernelOpLowering<kernel::MlpOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::MlpOp op) const override {
    KernelDims dims;
    dims.dModel = op.getDModel();
    dims.ffnDim = op.getFfn();
    if (std::optional<llvm::APFloat> eps = op.getEps())
      dims.rmsNormEps = eps->convertToDouble();
    KernelEmitter e =
        emitter(op, dims, elementTypeOf(op.getWeights()), elementTypeOf(op.getX()), op.getWeights());
    ArrayRef<int64_t> aligns = op.getWeightAligns();
    Value scratch = op.getScratch();
    Buf X{op.getX(), op.getXBase()}, normed{scratch, op.getNormedBase()};
    Buf rounded{op.getRounded(), op.getRoundedBase()};
    std::optional<KernelEmitter::NormFirst> norm;
    if (op.getGain())
      norm = KernelEmitter::NormFirst{{op.getGain(), int64_t(*op.getGainAlign())}, normed, rounded};
    else if (rounded.mem && e.wideInputsRounded())
      normed.mirrorMem = rounded.mem, normed.mirrorBase = rounded.base;
    // SwiGLU's output in bf16 over G's bytes: `rounded` is the scratch in
    // bf16 (twice the f32 offset).
    Buf G{scratch, op.getGateBase()};
    Buf Gr = rounded.mem && e.wideInputsRounded()
                 ? Buf{rounded.mem, mulI(b, op.getGateBase(), 2)}
                 : G;
    e.mlp(b, X, norm ? X : normed, op.getRows(), e.c.ffnDim, e.c.dModel,
          {op.getGateWeight(), aligns[0]}, {op.getUpWeight(), aligns[1]},
          {op.getDownWeight(), aligns[2]}, G, Buf{scratch, op.getUpBase()}, Gr, norm);
  }
};

struct ResidualAddLowering : KernelOpLowering<kernel::ResidualAddOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::ResidualAddOp op) const override {
    Type act = elementTypeOf(op.getX());
    const int64_t width = op.getWidth();
    Buf x{op.getX(), op.getXBase()}, src{op.getSrc(), op.getSrcBase()};
    emitter(op, {}, act, act)
        .parallel(b, "photon_residual_add_" + Twine(width), {op.getRows(), cIdx(b, width)},
                  [&](Builder &b, ValueRange iv) {
                    Value i = addI(b, mulI(b, iv[0], width), iv[1]);
                    x.store(b, addF(b, x.load(b, i), src.load(b, i)), i);
                  });
  }
};

struct BiasAddLowering : KernelOpLowering<kernel::BiasAddOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::BiasAddOp op) const override {
    Type act = elementTypeOf(op.getOut());
    const int64_t width = op.getWidth();
    Buf out{op.getOut(), op.getOutBase()};
    KernelEmitter e = emitter(op, {}, elementTypeOf(op.getWeights()), act, op.getWeights());
    e.parallel(b, "photon_bias_add_" + Twine(width), {op.getRows(), cIdx(b, width)},
               [&](Builder &b, ValueRange iv) {
                 Value i = addI(b, mulI(b, iv[0], width), iv[1]);
                 out.store(b, addF(b, out.load(b, i), e.loadWeight(b, op.getBias(), iv[1])), i);
               });
  }
};

struct SwigluLowering : KernelOpLowering<kernel::SwigluOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::SwigluOp op) const override {
    Type f32 = b.getF32Type();
    Value scratch = op.getScratch();
    emitter(op, {}, f32, f32)
        .swiGlu(b, Buf{scratch, op.getGateBase()}, Buf{scratch, op.getUpBase()}, op.getRows(),
                op.getWidth());
  }
};
} // namespace

void populateProjectionPatterns(RewritePatternSet &patterns,
                                const KernelLoweringOptions &options) {
  patterns.add<MatmulLowering, MlpLowering, SwigluLowering, ResidualAddLowering,
               BiasAddLowering>(patterns.getContext(), options);
}

} // namespace mlir::photon
