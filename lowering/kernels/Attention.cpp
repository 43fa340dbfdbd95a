//===- Attention.cpp - RoPE and decode attention --------------------------===//
//
// RoPE and the K/V cache write, and attention over the caches at decode:
// one online-softmax pass for short caches, split (flash-decoding) attention
// for long ones, and the merge of its splits.
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelPatterns.h"

namespace mlir::photon {

std::pair<Value, Value> KernelEmitter::ropeCosSin(Builder &b, Value pos, Value row, Value j) {
  Value p = memref::LoadOp::create(b, pos, ValueRange{row});
  return ropeCosSinAt(b, arith::SIToFPOp::create(b, b.getF64Type(), p), ropeInverseFrequency(b, j));
}

Value KernelEmitter::ropeInverseFrequency(Builder &b, Value j) {
  Value jf = arith::UIToFPOp::create(b, b.getF64Type(),
                                     arith::IndexCastUIOp::create(b, b.getI64Type(), j));
  Value exponent = mulF(b, jf, cF64(b, -2.0 * std::log2(c.ropeTheta) / double(c.headDim())));
  return math::Exp2Op::create(b, exponent);
}

std::pair<Value, Value> KernelEmitter::ropeCosSinAt(Builder &b, Value position,
                                                    Value inverseFrequency, bool approx) {
  Value angle = mulF(b, position, inverseFrequency);
  constexpr double kTwoPi = 2 * llvm::numbers::pi;
  Value turns = math::RoundEvenOp::create(b, mulF(b, angle, cF64(b, 1.0 / kTwoPi)));
  Value reduced = arith::TruncFOp::create(
      b, b.getF32Type(), arith::SubFOp::create(b, angle, mulF(b, turns, cF64(b, kTwoPi))));
  auto fastmath = arith::FastMathFlagsAttr::get(
      b.getContext(), approx ? arith::FastMathFlags::afn : arith::FastMathFlags::none);
  return {math::CosOp::create(b, reduced, fastmath), math::SinOp::create(b, reduced, fastmath)};
}

void KernelEmitter::ropeRotate(Builder &b, Buf src, Value i1, Buf dst, Value o1, Value cs,
                               Value sn) {
  Value i2 = addI(b, i1, c.headDim() / 2);
  Value x1 = src.load(b, i1), x2 = src.load(b, i2);
  storeRotated(b, x1, x2, cs, sn, dst, o1);
}

void KernelEmitter::storeRotated(Builder &b, Value x1, Value x2, Value cs, Value sn, Buf dst,
                                 Value o1) {
  dst.store(b, subF(b, mulF(b, x1, cs), mulF(b, x2, sn)), o1);
  dst.store(b, addF(b, mulF(b, x2, cs), mulF(b, x1, sn)), addI(b, o1, c.headDim() / 2));
}

void KernelEmitter::rope(Builder &b, Buf buf, Value rows, int64_t heads, Value pos) {
  int64_t hd = c.headDim(), half = hd / 2;
  parallel(b, "photon_rope", {rows, cIdx(b, heads * half)}, [&](Builder &b, ValueRange iv) {
    Value h = arith::DivUIOp::create(b, iv[1], cIdx(b, half));
    Value j = arith::RemUIOp::create(b, iv[1], cIdx(b, half));
    auto [cs, sn] = ropeCosSin(b, pos, iv[0], j);
    Value i1 = addI(b, addI(b, mulI(b, iv[0], heads * hd), mulI(b, h, hd)), j);
    ropeRotate(b, buf, i1, buf, i1, cs, sn);
  });
}

void KernelEmitter::ropeAndCacheWrite(Builder &b, Buf Q, Buf K, Buf V, Buf kCache, Buf vCache,
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

void KernelEmitter::attentionFused(Builder &b, Buf Q, Buf kCache, Buf vCache, Buf A, Value rows,
                                   Value pos, Value seq, int64_t layers, Value layer,
                                   Value capacity) {
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

Value KernelEmitter::splitChunk(Builder &b, Value end, Value splits) {
  return arith::MaxUIOp::create(b, arith::CeilDivUIOp::create(b, end, splits),
                                cIdx(b, kSplitAttnMinPositions));
}

SmallVector<Value> KernelEmitter::loadAhead(Builder &b, Value inside, ValueRange otherwise,
                                            function_ref<SmallVector<Value>(Builder &)> load,
                                            bool guarded) {
  if (!guarded)
    return load(b);
  auto guard = scf::IfOp::create(b, otherwise.getTypes(), inside, /*withElseRegion=*/true);
  Builder tb(b.getLoc(), ctx), eb(b.getLoc(), ctx);
  tb.setInsertionPointToStart(&guard.getThenRegion().front());
  scf::YieldOp::create(tb, load(tb));
  eb.setInsertionPointToStart(&guard.getElseRegion().front());
  scf::YieldOp::create(eb, otherwise);
  return SmallVector<Value>(guard.getResults());
}

std::optional<KernelEmitter::SplitAttentionShape> KernelEmitter::splitAttentionShape() const {
  const int64_t hd = c.headDim(), group = c.nHeads / c.nKvHeads;
  int64_t vec = 16 / byteWidth(actElt);
  while (hd % vec != 0)
    vec /= 2;
  const int64_t chunks = hd / vec;
  // Vectors a lane: as asked, at most the head's and kSplitAttnMaxLaneAcc
  // features.
  const int64_t perLane = std::clamp<int64_t>(
      std::min(options.splitAttentionLaneVectors, kSplitAttnMaxLaneAcc / vec), 1, chunks);
  const int64_t lanes = llvm::divideCeil(chunks, perLane);
  if (lanes > kWarpSize)
    return std::nullopt;
  const int64_t features = vec * perLane;
  int64_t heads = 1;
  for (int64_t d = 1; d <= group; ++d)
    if (group % d == 0 && d * features <= kSplitAttnMaxLaneAcc)
      heads = d;
  // K and V loads in flight a lane and step: 4 vectors each for up to 16
  // accumulators, else 2 (a lane's vectors count).
  const int64_t unroll = std::max<int64_t>(1, (heads * vec <= 16 ? 4 : 2) / perLane);
  return SplitAttentionShape{vec, perLane, chunks, int64_t(llvm::PowerOf2Ceil(lanes)), heads,
                             unroll};
}

void KernelEmitter::attentionSplit(Builder &b, const SplitAttentionShape &shape, Buf Q, Buf kCache,
                                   Buf vCache, Buf A, Buf partials, Value semaphores, Value rows,
                                   Value pos, Value seq, int64_t layers, Value layer,
                                   Value capacity, bool oneSplit,
                                   function_ref<void(Builder &)> fallback) {
  const int64_t D = c.dModel, H = c.nHeads, KVH = c.nKvHeads, hd = c.headDim();
  const int64_t group = H / KVH, heads = shape.headsPerBlock, runs = group / heads;
  const int64_t vec = shape.vec, lpp = shape.lanesPerPosition, U = shape.unroll;
  const int64_t V = shape.vecsPerLane, F = shape.laneFeatures();
  const int64_t perWarp = kWarpSize / lpp, W = kSplitAttnWarps, threads = W * kWarpSize;
  const int64_t stride = 2 + F; // per head of a state: m, l, acc[F]
  const int64_t stepLoads = 2 * U * V; // K and V vectors of a lane's loop step
  Type f32 = b.getF32Type(), cacheElt = kCache.elementType();
  Value one = cIdx(b, 1);
  Value someRows = arith::MaxUIOp::create(b, rows, one);
  // Cluster blocks (split-attention-cluster-blocks): the splits of a (row,
  // run) form one cluster and merge in distributed shared memory; else
  // `partials` holds their states for the combine.
  const int64_t clusterBlocks =
      oneSplit || semaphores ? 0 : options.splitAttentionClusterBlocks;
  // Splits: enough blocks for the card, at most one per
  // kSplitAttnMinPositions of the capacity, at least one, and as many as
  // the cluster (or the partials' scratch) holds.
  Value splits = one;
  if (!oneSplit) {
    Value wanted = arith::CeilDivUIOp::create(b, cIdx(b, splitAttnTargetBlocks()),
                                              mulI(b, someRows, KVH * runs));
    Value fit = arith::MinUIOp::create(
        b, clusterBlocks ? cIdx(b, clusterBlocks)
                         : arith::DivUIOp::create(b, addI(b, capacity, 2), cIdx(b, hd + 2)),
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
    // `ahead`: loop steps whose K/V loads are in flight (block kernels),
    // in registers or, with `stages`, in that many shared-memory stages;
    // `oneRow`: the kernel serves calls of one row only.
    auto emitKernel = [&](Builder &b, bool warpPerPair, int64_t ahead, bool oneRow,
                          int64_t stages) {
      auto shared = [&](int64_t n) { return workgroupBuffer({n}, f32); };
      const int64_t pairsPerRow = KVH * runs;
      // Per warp and head: m, l, acc; the last-block flag where the
      // splits' last block combines, the block's state per head (m, l,
      // acc) where the cluster does; the staged steps' K/V vectors.
      SmallVector<Type> wgTypes{shared(W * heads), shared(W * heads), shared(W * heads * hd)};
      if (semaphores)
        wgTypes.push_back(workgroupBuffer({1}, b.getI32Type()));
      if (clusterBlocks)
        wgTypes.push_back(shared(heads * (hd + 2)));
      if (stages)
        wgTypes.push_back(workgroupBuffer({stages * stepLoads * threads * vec}, cacheElt));
      auto launch =
          warpPerPair
              ? gpu::LaunchOp::create(
                    b, arith::CeilDivUIOp::create(b, mulI(b, someRows, pairsPerRow), cIdx(b, W)),
                    one, one, cIdx(b, threads), one, one)
              : launchInClusters(b, {splits, cIdx(b, pairsPerRow), someRows},
                                 cIdx(b, threads), clusterBlocks ? splits : Value(), wgTypes);
      nameKernel(launch, warpPerPair ? "photon_attention_short_warps"
                         : oneSplit  ? "photon_attention_short"
                         : oneRow    ? "photon_attention_split_one_row"
                                     : "photon_attention_split");
      Builder kb(b.getLoc(), ctx);
      kb.setInsertionPointToStart(&launch.getBody().front());
      ValueRange wg = launch.getWorkgroupAttributions();
      Value tid = launch.getThreadIds().x;
      Value warp = divU(kb, tid, kWarpSize), lane = remU(kb, tid, kWarpSize);
      Value s = launch.getBlockIds().x, run = launch.getBlockIds().y, i = launch.getBlockIds().z;
      if (oneRow && options.splitAttentionL2Prefetch)
        prefetchSplitBeforeWait(kb, launch, kCache, vCache, rows, pos, seq, layers, layer,
                                capacity);
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
        Value kvHead = divU(b, run, runs);
        Value head0 = addI(b, mulI(b, kvHead, group), mulI(b, remU(b, run, runs), heads));
        auto attendSplit = [&](Builder &b) {
          Value at = remU(b, lane, lpp), inGroup = divU(b, lane, lpp);
          // The lane's vectors at * V + v of the head; those past the head
          // read vector 0 with q = 0 (holds[v] false).
          SmallVector<Value> holds, f;
          for (int64_t v = 0; v < V; ++v) {
            Value idx = V == 1 ? at : addI(b, mulI(b, at, V), v);
            holds.push_back(lpp * V > shape.chunks ? ult(b, idx, cIdx(b, shape.chunks)) : Value());
            f.push_back(mulI(b, holds[v] ? arith::SelectOp::create(b, holds[v], idx, cIdx(b, 0)) : idx,
                             vec));
          }
          // Stores of the first lane group's features: lanes past the
          // head's vectors skip them, and so do vectors past it in the
          // last lane.
          const int64_t lanes = llvm::divideCeil(shape.chunks, V);
          auto ifHolds = [&](Builder &b, int64_t v, function_ref<void(Builder &)> body) {
            if (shape.chunks % V != 0 && holds[v])
              return ifThen(b, holds[v], body);
            body(b);
          };
          SmallVector<Value> kvOff;
          for (int64_t v = 0; v < V; ++v)
            kvOff.push_back(addI(b, mulI(b, kvHead, hd), f[v]));
          Value slot = loadIndex(b, seq, i);
          // q · 1/sqrt(head_dim), this lane's features of each head.
          Value scale = cF32(b, 1.0 / std::sqrt(double(hd)));
          SmallVector<Value> q;
          for (int64_t h = 0; h < heads; ++h) {
            Value qHead = addI(b, mulI(b, i, D), mulI(b, addI(b, head0, h), hd));
            for (int64_t v = 0; v < V; ++v) {
              Value qBase = addI(b, qHead, f[v]);
              for (int64_t e = 0; e < vec; ++e) {
                Value x = mulF(b, Q.load(b, addI(b, qBase, e)), scale);
                q.push_back(holds[v] ? arith::SelectOp::create(b, holds[v], x, cF32(b, 0)) : x);
              }
            }
          }
          SmallVector<Value> init;
          for (int64_t h = 0; h < heads; ++h) {
            init.append({negInf, cF32(b, 0)});
            init.append(F, cF32(b, 0));
          }
          // Warp w's steps start at lo + w·perWarp·U (lo with a warp per
          // pair); within a step, lane group j takes positions base +
          // k·perWarp + j (adjacent groups adjacent positions). Every lane of
          // a warp runs the same steps.
          const int64_t warpsOnRange = warpPerPair ? 1 : W;
          Value start = warpPerPair ? lo : addI(b, lo, mulI(b, warp, perWarp * U));
          const int64_t stepPositions = warpsOnRange * perWarp * U;
          Value stepSize = cIdx(b, stepPositions);
          auto positionOf = [&](Builder &b, Value base, int64_t k) {
            return addI(b, base, addI(b, inGroup, k * perWarp));
          };
          // The U·V K vectors, then the U·V V vectors, of the step at
          // `base` (position k's vector v at k·V + v); positions past hi
          // read position lo (in the cache, not used).
          auto stepRows = [&](Builder &b, Value base, function_ref<void(Value)> onRow) {
            SmallVector<Value> rows;
            for (int64_t k = 0; k < U; ++k) {
              Value u = positionOf(b, base, k);
              Value row = cacheIndex(b, slot, layers, layer, capacity,
                                     arith::SelectOp::create(b, ult(b, u, hi), u, lo));
              for (int64_t v = 0; v < V; ++v) {
                rows.push_back(addI(b, row, kvOff[v]));
                onRow(rows.back());
              }
            }
            return rows;
          };
          auto loadStep = [&](Builder &b, Value base) {
            SmallVector<Value> kv;
            SmallVector<Value> rows =
                stepRows(b, base, [&](Value row) { kv.push_back(vecLoad(b, kCache, row)); });
            for (Value row : rows)
              kv.push_back(vecLoad(b, vCache, row));
            return kv;
          };
          // With `stages`, each lane copies its own vectors of a step
          // (cp.async, one commit group a step) into stage `stage` of the
          // shared buffer, vector j at (stage · stepLoads + j) · threads +
          // tid, and reads them back once its group landed: no barrier,
          // and the loads in flight hold no registers.
          Value staged = stages ? wg.back() : Value();
          Type tokenType = nvgpu::DeviceAsyncTokenType::get(ctx);
          auto stagedAt = [&](Builder &b, Value stage, int64_t j) {
            return mulI(b, addI(b, mulI(b, addI(b, mulI(b, stage, stepLoads), j), threads), tid),
                        vec);
          };
          auto copyStep = [&](Builder &b, Value base, Value stage) -> Value {
            SmallVector<Value> rows = stepRows(b, base, [](Value) {}), tokens;
            for (Buf buf : {kCache, vCache})
              for (Value row : rows)
                tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
                    b, tokenType, staged, ValueRange{stagedAt(b, stage, tokens.size())}, buf.mem,
                    ValueRange{addI(b, buf.base, row)}, b.getIndexAttr(vec),
                    /*srcElements=*/Value(), vec * byteWidth(cacheElt) == 16 ? b.getUnitAttr()
                                                                             : UnitAttr()));
            return nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, tokens).getResult();
          };
          auto readStep = [&](Builder &b, Value stage) {
            SmallVector<Value> kv;
            for (int64_t j = 0; j < stepLoads; ++j)
              kv.push_back(vector::LoadOp::create(b, VectorType::get({vec}, cacheElt), staged,
                                                  ValueRange{stagedAt(b, stage, j)}));
            return kv;
          };
          // The block kernels are software-pipelined: each step issues the
          // loads of the step `ahead` steps on (split-attention-prefetch-
          // steps) before it computes with the oldest ones carried in, so a
          // warp waits for memory once, not once per step (in registers,
          // only with guard-register-prefetch: loadAhead). A warp per pair
          // (the local decoders' few positions: mostly one step) loads each
          // step's own.
          const int64_t nState = init.size();
          auto stepAt = [&](Builder &b, Value base, int64_t a) {
            return a == 0 ? base : addI(b, base, mulI(b, stepSize, a));
          };
          for (int64_t a = 0; a < ahead; ++a) {
            if (stages)
              copyStep(b, stepAt(b, start, a), cIdx(b, a));
            else
              llvm::append_range(init, loadStep(b, stepAt(b, start, a)));
          }
          auto loop = scf::ForOp::create(
              b, start, hi, stepSize, init,
              [&](OpBuilder &ob, Location loc, Value base, ValueRange carried) {
                Builder b(loc, ob);
                SmallVector<Value> kv, prefetched;
                if (stages) {
                  // Step n = (base - start) / stepSize issues step n + ahead
                  // into the stage step n - 1 read, then waits for its own.
                  Value n = divU(b, arith::SubIOp::create(b, base, start), stepPositions);
                  Value group = copyStep(b, stepAt(b, base, ahead),
                                         remU(b, addI(b, n, ahead), stages));
                  nvgpu::DeviceAsyncWaitOp::create(b, group, b.getI32IntegerAttr(ahead));
                  kv = readStep(b, remU(b, n, stages));
                } else if (ahead) {
                  Value later = ahead == 1 ? stepSize : mulI(b, stepSize, ahead);
                  auto inFlight = carried.drop_front(nState);
                  prefetched.assign(inFlight.begin() + stepLoads, inFlight.end());
                  kv.assign(inFlight.begin(), inFlight.begin() + stepLoads);
                  // Step `next` exists iff the loop reaches it; else this
                  // step's vectors stand in (no step reads them).
                  Value next = addI(b, base, later);
                  llvm::append_range(prefetched,
                                     loadAhead(b, ult(b, next, hi), kv,
                                               [&](Builder &b) { return loadStep(b, next); },
                                               options.guardRegisterPrefetch));
                } else {
                  kv = loadStep(b, base);
                }
                ValueRange st = carried.take_front(nState);
                SmallVector<Value> valid, keys, values;
                for (int64_t k = 0; k < U; ++k) {
                  valid.push_back(ult(b, positionOf(b, base, k), hi));
                  for (int64_t v = 0; v < V; ++v) {
                    keys.push_back(widen(b, kv[k * V + v]));
                    values.push_back(widen(b, kv[(U + k) * V + v]));
                  }
                }
                // Feature e of the lane's features of position k.
                auto feature = [&](Builder &b, ArrayRef<Value> vecs, int64_t k, int64_t e) -> Value {
                  return vector::ExtractOp::create(b, vecs[k * V + e / vec], e % vec);
                };
                SmallVector<Value> next;
                for (int64_t h = 0; h < heads; ++h) {
                  ValueRange old = st.slice(h * stride, stride);
                  SmallVector<Value> scores;
                  Value m = old[0];
                  for (int64_t k = 0; k < U; ++k) {
                    Value dot = cF32(b, 0);
                    for (int64_t e = 0; e < F; ++e)
                      dot = math::FmaOp::create(b, q[h * F + e], feature(b, keys, k, e), dot);
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
                  for (int64_t e = 0; e < F; ++e)
                    acc.push_back(mulF(b, old[2 + e], rescale));
                  for (int64_t k = 0; k < U; ++k) {
                    Value p = math::ExpOp::create(b, subF(b, scores[k], ref));
                    l = addF(b, l, p);
                    for (int64_t e = 0; e < F; ++e)
                      acc[e] = math::FmaOp::create(b, p, feature(b, values, k, e), acc[e]);
                  }
                  next.append({m, l});
                  next.append(acc);
                }
                llvm::append_range(next, prefetched);
                scf::YieldOp::create(b, next);
              });
          // The steps past the loop's end copied into stages no one reads:
          // they land before the block goes on.
          if (stages)
            nvgpu::DeviceAsyncWaitOp::create(
                b, nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, ValueRange{}),
                b.getI32IntegerAttr(0));
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
            // Every lane holds the merged state: the first lane group
            // writes its features of each head.
            ifThen(b, ult(b, lane, cIdx(b, lanes)), [&](Builder &b) {
              for (int64_t h = 0; h < heads; ++h) {
                Value head = addI(b, mulI(b, i, D), mulI(b, addI(b, head0, h), hd));
                for (int64_t v = 0; v < V; ++v)
                  ifHolds(b, v, [&](Builder &b) {
                    Value row = addI(b, head, f[v]);
                    for (int64_t e = 0; e < vec; ++e)
                      A.store(b,
                              divF(b, state[h * stride + 2 + v * vec + e], state[h * stride + 1]),
                              addI(b, row, e));
                  });
              }
            });
            return;
          }
          Value mS = wg[0], lS = wg[1], accS = wg[2];
          // The first lane group publishes the warp's features, lane 0 its
          // m, l.
          ifThen(b, ult(b, lane, cIdx(b, lanes)), [&](Builder &b) {
            for (int64_t h = 0; h < heads; ++h) {
              Value head = mulI(b, addI(b, mulI(b, warp, heads), h), hd);
              for (int64_t v = 0; v < V; ++v)
                ifHolds(b, v, [&](Builder &b) {
                  Value row = addI(b, head, f[v]);
                  for (int64_t e = 0; e < vec; ++e)
                    memref::StoreOp::create(b, state[h * stride + 2 + v * vec + e], accS,
                                            ValueRange{addI(b, row, e)});
                });
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
            if (clusterBlocks)
              return ifElse(
                  b, single, [&](Builder &b) { storeA(b, h, d, num, den); },
                  [&](Builder &b) {
                    Value at = mulI(b, h, hd + 2);
                    memref::StoreOp::create(b, num, wg[3], ValueRange{addI(b, addI(b, at, 2), d)});
                    onLaneZero(b, d, [&](Builder &b) {
                      memref::StoreOp::create(b, mAll, wg[3], ValueRange{at});
                      memref::StoreOp::create(b, den, wg[3], ValueRange{addI(b, at, 1)});
                    });
                  });
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
        };
        if (!clusterBlocks)
          return ifThen(b, ult(b, lo, hi), attendSplit);
        // A cluster of one block (a call whose grid is full without
        // splitting) wrote the output directly, as without clusters.
        Value several = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, nSplits, one);
        // An empty split's state: m = -inf, l = acc = 0.
        ifElse(b, ult(b, lo, hi), attendSplit, [&](Builder &b) {
          scf::ForOp::create(
              b, tid, cIdx(b, heads * (hd + 2)), cIdx(b, threads), ValueRange{},
              [&](OpBuilder &ob, Location loc, Value t, ValueRange) {
                Builder b(loc, ob);
                Value first = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                                    remU(b, t, hd + 2), cIdx(b, 0));
                memref::StoreOp::create(
                    b, arith::SelectOp::create(b, first, negInf, cF32(b, 0)), wg[3], ValueRange{t});
                scf::YieldOp::create(b);
              });
        });
        ifThen(b, several, [&](Builder &b) {
          clusterMergeSplits(b, wg[3], s, nSplits, tid, threads, heads, clusterBlocks,
                             [&](Builder &b, Value h, Value d, Value out) {
            Value head = addI(b, head0, h);
            A.store(b, out, addI(b, addI(b, mulI(b, i, D), mulI(b, head, hd)), d));
          });
        });
      });
      gpu::TerminatorOp::create(kb);
    };
    auto blockKernel = [&](Builder &b) {
      emitKernel(b, false, options.splitAttentionPrefetchSteps, false, 0);
    };
    if (oneSplit)
      return ifElse(
          b,
          arith::CmpIOp::create(b, arith::CmpIPredicate::ule, capacity,
                                cIdx(b, kShortAttnWarpMaxCapacity)),
          [&](Builder &b) { emitKernel(b, true, 0, false, 0); }, blockKernel);
    // One row (batch-1 decode) has the card to itself: its kernel may keep
    // more steps' loads in flight, whose registers would halve the blocks
    // an SM of larger calls; or stage them in shared memory
    // (split-attention-one-row-stages), as many as fit and where the
    // cache's vectors are a cp.async size.
    const int64_t vecBytes = vec * byteWidth(cacheElt);
    int64_t stages = vecBytes == 4 || vecBytes == 8 || vecBytes == 16
                         ? std::min(options.splitAttentionOneRowStages,
                                    kSplitAttnMaxStagedBytes / (stepLoads * threads * vecBytes))
                         : 0;
    if (stages < 2)
      stages = 0;
    const int64_t oneRowAhead = stages ? stages - 1 : options.splitAttentionOneRowPrefetchSteps;
    if (!stages && oneRowAhead == options.splitAttentionPrefetchSteps)
      blockKernel(b);
    else
      ifElse(
          b, arith::CmpIOp::create(b, arith::CmpIPredicate::ule, rows, one),
          [&](Builder &b) { emitKernel(b, false, oneRowAhead, true, stages); }, blockKernel);
    if (semaphores || clusterBlocks)
      return;
    ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, splits, one),
           [&](Builder &b) { attentionCombine(b, A, partials, rows, someRows, pos, splits); });
      },
      fallback);
}

void KernelEmitter::prefetchSplitBeforeWait(Builder &b, gpu::LaunchOp launch, Buf kCache,
                                            Buf vCache, Value rows, Value pos, Value seq,
                                            int64_t layers, Value layer, Value capacity) {
  const int64_t eltBytes = byteWidth(kCache.elementType());
  const int64_t rowBytes = c.nKvHeads * c.headDim() * eltBytes;
  launch->setAttr(kGridWaitPlaced, UnitAttr::get(ctx));
  // The bulk prefetch takes 16-byte aligned ranges: whole rows where a row
  // is a multiple of 16 bytes.
  if (rowBytes % 16 == 0) {
    Value s = launch.getBlockIds().x, block = launch.getBlockIds().y;
    Value blocks = launch.getGridSizeY();
    Value zero = cIdx(b, 0);
    Value first = arith::AndIOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, launch.getThreadIds().x, zero),
        arith::AndIOp::create(b, ult(b, zero, rows),
                              arith::AndIOp::create(b, alignedTo(b, kCache.mem, kCache.base, 16),
                                                    alignedTo(b, vCache.mem, vCache.base, 16))));
    ifThen(b, first, [&](Builder &b) {
      Value end = addI(b, loadIndex(b, pos, zero), 1);
      Value chunk = splitChunk(b, end, launch.getGridSizeX());
      Value lo = mulI(b, s, chunk);
      Value hi = arith::MinUIOp::create(b, addI(b, lo, chunk), end);
      // Block `block` of the split's (KV head group) blocks takes a piece,
      // inside each cache only (the position and slot were read before the
      // wait).
      ifThen(b, ult(b, lo, hi), [&](Builder &b) {
        Value bytes = mulI(b, arith::SubIOp::create(b, hi, lo), rowBytes);
        forPieceOf(b, bytes, block, blocks, [&](Builder &b, Value start, Value size) {
          Value row = cacheIndex(b, loadIndex(b, seq, zero), layers, layer, capacity, lo);
          for (Buf cache : {kCache, vCache}) {
            Value from = addI(b, mulI(b, addI(b, cache.base, row), eltBytes), start);
            Value bufferBytes = mulI(b, memref::DimOp::create(b, cache.mem, 0), eltBytes);
            ifThen(b,
                   arith::CmpIOp::create(b, arith::CmpIPredicate::ule, addI(b, from, size),
                                         bufferBytes),
                   [&](Builder &b) { prefetchToL2(b, cache.mem, from, size); });
          }
        });
      });
    });
  }
  gridDependencyWait(b, b.getLoc());
}

void KernelEmitter::clusterMergeSplits(Builder &b, Value state, Value rank, Value blocks,
                                       Value tid, int64_t threads, int64_t heads,
                                       int64_t maxBlocks,
                                       function_ref<void(Builder &, Value, Value, Value)> sink) {
  const int64_t hd = c.headDim();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto clusterPtr =
      LLVM::LLVMPointerType::get(ctx, unsigned(NVVM::NVVMMemorySpace::SharedCluster));
  auto clusterSync = [&](Builder &b) {
    NVVM::ClusterArriveOp::create(b, /*aligned=*/b.getUnitAttr());
    NVVM::ClusterWaitOp::create(b, /*aligned=*/b.getUnitAttr());
  };
  // Every block's state is written (the barrier releases and acquires).
  clusterSync(b);
  Value local = sharedPointer(b, sharedAddress(b, state));
  Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
  // Block `rank` takes features rank, rank + blocks, ... of the heads.
  scf::ForOp::create(
      b, addI(b, rank, mulI(b, blocks, tid)), cIdx(b, heads * hd), mulI(b, blocks, cIdx(b, threads)),
      ValueRange{}, [&](OpBuilder &ob, Location loc, Value t, ValueRange) {
        Builder b(loc, ob);
        Value h = divU(b, t, hd), d = remU(b, t, hd);
        Value mAt = mulI(b, h, hd + 2);
        auto at = [&](Builder &b, Value base, Value index) -> Value {
          Value offset = arith::IndexCastUIOp::create(b, i32, index);
          Value ptr = LLVM::GEPOp::create(b, clusterPtr, f32, base, ValueRange{offset});
          return LLVM::LoadOp::create(b, f32, ptr);
        };
        // Block k's m, l and acc[d] (blocks past the cluster's read block
        // 0's and weigh 0), all loads in flight at once.
        SmallVector<Value> m, l, acc;
        Value mAll = negInf;
        for (int64_t k = 0; k < maxBlocks; ++k) {
          Value inside = ult(b, cIdx(b, k), blocks);
          Value peer = arith::SelectOp::create(b, inside, arith::ConstantIntOp::create(b, i32, k),
                                               arith::ConstantIntOp::create(b, i32, 0));
          Value base = NVVM::MapaOp::create(b, clusterPtr, local, peer);
          m.push_back(arith::SelectOp::create(b, inside, at(b, base, mAt), negInf));
          l.push_back(at(b, base, addI(b, mAt, 1)));
          acc.push_back(at(b, base, addI(b, addI(b, mAt, 2), d)));
          mAll = maximumF(b, mAll, m.back());
        }
        // Block 0 holds position 0, so the max is finite; empty splits
        // (m = -inf) weigh 0.
        Value num = cF32(b, 0), den = cF32(b, 0);
        for (int64_t k = 0; k < maxBlocks; ++k) {
          Value w = math::ExpOp::create(b, subF(b, m[k], mAll));
          num = math::FmaOp::create(b, w, acc[k], num);
          den = math::FmaOp::create(b, w, l[k], den);
        }
        sink(b, h, d, divF(b, num, den));
        scf::YieldOp::create(b);
      });
  // No block leaves (its shared memory) before the others have read it.
  clusterSync(b);
}

void KernelEmitter::inLastBlock(Builder &b, Value tid, Value semaphores, Value counter,
                                Value arrivals, Value flag, function_ref<void(Builder &)> body) {
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

void KernelEmitter::attentionCombine(Builder &b, Buf A, Buf partials, Value rows, Value someRows,
                                     Value pos, Value splits) {
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

Value KernelEmitter::newCacheEntry(Builder &b, Value seq, Value pos, Value row, int64_t layers,
                                   Value layer, Value capacity) {
  Value s = loadIndex(b, seq, row), t = loadIndex(b, pos, row);
  return cacheIndex(b, s, layers, layer, capacity, t);
}

Value KernelEmitter::cacheIndex(Builder &b, Value s, int64_t layers, Value layer, Value capacity,
                                Value t) {
  int64_t kv = c.nKvHeads * c.headDim();
  Value sl = addI(b, mulI(b, s, layers), layer);
  return mulI(b, addI(b, mulI(b, sl, capacity), t), kv);
}

//===----------------------------------------------------------------------===//
// A layer's attention: photon_kernel.qkv and photon_kernel.attention
//===----------------------------------------------------------------------===//

void KernelEmitter::ropeCache(Builder &b, Buf Q, Buf K, Buf V, Buf kCache, Buf vCache, Value rows,
                              Value pos, Value seq, int64_t layers, Value layer, Value capacity) {
  if (gpu)
    return ropeAndCacheWrite(b, Q, K, V, kCache, vCache, rows, pos, seq, layers, layer, capacity);
  const int64_t KV = c.nKvHeads * c.headDim();
  rope(b, Q, rows, c.nHeads, pos);
  rope(b, K, rows, c.nKvHeads, pos);
  parallel(b, "photon_cache_write", {rows, cIdx(b, KV)}, [&](Builder &b, ValueRange iv) {
    Value dst = addI(b, newCacheEntry(b, seq, pos, iv[0], layers, layer, capacity), iv[1]);
    Value src = addI(b, mulI(b, iv[0], KV), iv[1]);
    kCache.store(b, K.load(b, src), dst);
    vCache.store(b, V.load(b, src), dst);
  });
}

void KernelEmitter::qkv(Builder &b, kernel::QkvOp op) {
  const int64_t D = c.dModel, KV = c.nKvHeads * c.headDim(), hd = c.headDim();
  const int64_t layers = op.getLayers().value_or(1);
  Value rows = op.getRows(), pos = op.getPos(), seq = op.getSeq();
  Value layer = op.getLayer(), capacity = op.getCapacity(), scratch = op.getScratch();
  Value zero = cIdx(b, 0);
  Buf X{op.getX(), op.getXBase()}, Q{scratch, op.getQBase()}, K{scratch, op.getKBase()},
      Vb{scratch, op.getVBase()}, kCache{op.getKCache(), zero}, vCache{op.getVCache(), zero};
  ArrayRef<int64_t> aligns = op.getWeightAligns();
  Buf rounded{op.getRounded(), op.getRoundedBase()};
  std::optional<NormFirst> inputNorm;
  if (op.getGain())
    inputNorm = NormFirst{{op.getGain(), int64_t(*op.getGainAlign())},
                          Buf{scratch, op.getNormedBase()}, rounded};
  else if (rounded.mem && wideInputsRounded())
    X.mirrorMem = rounded.mem, X.mirrorBase = rounded.base;
  // RoPE on Q and K and the K/V cache write, where they are the op's
  // epilogue: the QKV GEMV's (fuse-qkv-rope; its warps compute the pairs
  // (j, j + hd / 2) that rotate together), the wgmma GEMM's
  // (fuse-qkv-rope-gemm), else a kernel after the projections.
  auto ropeCacheAfter = [&](Builder &b) {
    ropeCache(b, Q, K, Vb, kCache, vCache, rows, pos, seq, layers, layer, capacity);
  };
  Projection q{{op.getQWeight(), aligns[0]}, Q, D}, k{{op.getKWeight(), aligns[1]}, K, KV},
      v{{op.getVWeight(), aligns[2]}, Vb, KV};
  const bool epilogue = op.hasRopeCache();
  const bool ropeInQkv = gpu && epilogue && options.fuseQkvRope;
  const bool ropeInGemm = gpu && epilogue && options.fuseQkvRopeGemm && tile128OnWgmma();
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
      storeRotated(b, sums[0], sums[1], sums[2], sums[3], kCache, addI(b, cacheRow(b, r), j));
    };
    v.gemvStore = [&](Builder &b, Value r, Value j, ArrayRef<Value> sums) {
      vCache.store(b, sums[0], addI(b, cacheRow(b, r), j));
    };
  }
  // The tensor-core GEMM's epilogue (fuse-qkv-rope-gemm, wgmma): tiles of
  // whole heads staged in shared memory, each thread rotating pairs (j,
  // j + hd / 2) of a row with the cos and sin of a table of the tile's rows
  // (an angle depends on the position and j only), or storing V. After the
  // table come the rows' cache entries (i64) and positions (f64), loaded
  // once per row, and the inverse frequencies of j (f64): 2 · half + 4
  // floats a row and 2 · half more.
  const int64_t half = hd / 2;
  TileEpilogue ropeTile{"rope", hd, 2 * half + 4, 2 * half,
                        [&](Builder &b, const StagedTile &t) {
    auto tableAt = [&](Builder &b, Value r, Value j, int64_t value) {
      return addI(b, addI(b, mulI(b, addI(b, mulI(b, r, half), j), 2), t.extraAt()), value);
    };
    Type i64 = b.getI64Type(), f64 = b.getF64Type();
    const int64_t entriesAt = (t.extraAt() + t.rows * half * 2) * 4;
    Value entries = dynamicShared(b, {t.rows}, i64, entriesAt);
    Value positions = dynamicShared(b, {t.rows}, f64, entriesAt + t.rows * 8);
    Value inverse = dynamicShared(b, {half}, f64, entriesAt + 2 * t.rows * 8);
    Value lastRow =
        arith::SubIOp::create(b, arith::MaxUIOp::create(b, rows, cIdx(b, 1)), cIdx(b, 1));
    auto tileRow = [&](Builder &b, Value r) {
      return arith::MinUIOp::create(b, addI(b, t.m0, r), lastRow);
    };
    // Items e < n, thread tid taking tid, tid + threads, ...: a loop of a
    // constant trip count, unrolled 4 times so that items' latency chains
    // (loads; the table's cos and sin) overlap, then the remaining trips.
    auto strided = [&](Builder &b, int64_t n, function_ref<void(Builder &, Value)> body) {
      const int64_t trips = llvm::divideCeil(n, t.threads);
      const int64_t unroll = std::min<int64_t>(4, trips), bulk = trips - trips % unroll;
      auto items = [&](Builder &b, Value i, int64_t count) {
        for (int64_t u = 0; u < count; ++u) {
          Value e = addI(b, t.tid, mulI(b, addI(b, i, u), t.threads));
          if (n % t.threads == 0)
            body(b, e);
          else
            ifThen(b, ult(b, e, cIdx(b, n)), [&](Builder &b) { body(b, e); });
        }
      };
      forRange(b, cIdx(b, 0), cIdx(b, bulk), unroll,
               [&](Builder &b, Value i) { items(b, i, unroll); });
      items(b, cIdx(b, bulk), trips - bulk);
    };
    ifThen(b, ult(b, t.tid, cIdx(b, t.rows)), [&](Builder &b) {
      Value row = tileRow(b, t.tid);
      Value entry = cacheRow(b, row);
      memref::StoreOp::create(b, arith::IndexCastUIOp::create(b, i64, entry), entries,
                              ValueRange{t.tid});
      Value p = memref::LoadOp::create(b, pos, ValueRange{row});
      memref::StoreOp::create(b, arith::SIToFPOp::create(b, f64, p), positions, ValueRange{t.tid});
    });
    // A tile of V heads only needs no table (uniform across the block).
    ifThen(b, ult(b, t.n0, cIdx(b, D + KV)), [&](Builder &b) {
      strided(b, half, [&](Builder &b, Value j) {
        memref::StoreOp::create(b, ropeInverseFrequency(b, j), inverse, ValueRange{j});
      });
      warpgroupsBarrier(b, t.producerWarp, t.threads);
      strided(b, t.rows * half, [&](Builder &b, Value e) {
        Value r = divU(b, e, half), j = remU(b, e, half);
        auto [cs, sn] = ropeCosSinAt(b, memref::LoadOp::create(b, positions, ValueRange{r}),
                                     memref::LoadOp::create(b, inverse, ValueRange{j}),
                                     options.ropeApproxTrig);
        memref::StoreOp::create(b, cs, t.tile, ValueRange{tableAt(b, r, j, 0)});
        memref::StoreOp::create(b, sn, t.tile, ValueRange{tableAt(b, r, j, 1)});
      });
    });
    warpgroupsBarrier(b, t.producerWarp, t.threads);
    // For column n of tile row r (row `row`) inside the call: `rotated`
    // with Q's or the K cache's element of it, `plain` with the V cache's.
    auto route = [&](Builder &b, Value r, Value row, Value n,
                     function_ref<void(Builder &, Buf, Value)> rotated,
                     function_ref<void(Builder &, Value)> plain) {
      Value entry = arith::IndexCastUIOp::create(b, b.getIndexType(),
                                                 memref::LoadOp::create(b, entries, ValueRange{r}));
      ifThen(b, arith::AndIOp::create(b, ult(b, row, rows), ult(b, n, cIdx(b, D + 2 * KV))),
             [&](Builder &b) {
        ifElse(
            b, ult(b, n, cIdx(b, D + KV)),
            [&](Builder &b) {
              ifElse(
                  b, ult(b, n, cIdx(b, D)),
                  [&](Builder &b) { rotated(b, Q, addI(b, mulI(b, row, D), n)); },
                  [&](Builder &b) {
                    rotated(b, kCache, addI(b, entry, arith::SubIOp::create(b, n, cIdx(b, D))));
                  });
            },
            [&](Builder &b) {
              plain(b, addI(b, entry, arith::SubIOp::create(b, n, cIdx(b, D + KV))));
            });
      });
    };
    // A thread per pair (j, j + hd / 2) of a row: 2-byte stores.
    auto pairStores = [&](Builder &b) {
      const int64_t pairs = t.cols / 2;
      strided(b, t.rows * pairs, [&](Builder &b, Value e) {
        Value r = divU(b, e, pairs), p = remU(b, e, pairs);
        Value j = remU(b, p, half), c1 = addI(b, mulI(b, divU(b, p, half), hd), j);
        Value row = addI(b, t.m0, r), n = addI(b, t.n0, c1);
        // Every shared-memory load ahead of the branches (all in bounds; a V
        // pair's cos and sin are not used).
        Value x1At = addI(b, mulI(b, r, t.stride), c1);
        Value x1 = memref::LoadOp::create(b, t.tile, ValueRange{x1At});
        Value x2 = memref::LoadOp::create(b, t.tile, ValueRange{addI(b, x1At, half)});
        Value cs = memref::LoadOp::create(b, t.tile, ValueRange{tableAt(b, r, j, 0)});
        Value sn = memref::LoadOp::create(b, t.tile, ValueRange{tableAt(b, r, j, 1)});
        route(
            b, r, row, n,
            [&](Builder &b, Buf dst, Value at) { storeRotated(b, x1, x2, cs, sn, dst, at); },
            [&](Builder &b, Value at) {
              vCache.store(b, x1, at);
              vCache.store(b, x2, addI(b, at, half));
            });
      });
    };
    // wgmma-staged-store: a thread per run of 8 columns of a row (each in
    // Q, K or V, as D and KV are multiples of 8), every element rotated
    // with its partner i -/+ hd / 2 of its head, stored as one vector. The
    // elements go in pairs (i even; hd / 2 is even): a pair's partners are
    // 8 bytes, its cos and sin 16 bytes, side by side in shared memory.
    auto runStores = [&](Builder &b) {
      const int64_t perRow = t.cols / 8;
      strided(b, t.rows * perRow, [&](Builder &b, Value e) {
        Value r = divU(b, e, perRow), c0 = mulI(b, remU(b, e, perRow), 8);
        Value row = addI(b, t.m0, r), n = addI(b, t.n0, c0);
        Value rowAt = mulI(b, r, t.stride);
        Value x = loadF32x8(b, t.tile, addI(b, rowAt, c0));
        route(
            b, r, row, n,
            [&](Builder &b, Buf dst, Value at) {
              SmallVector<Value, 8> rotated;
              for (int64_t k = 0; k < 8; k += 2) {
                Value c = addI(b, c0, k), i = remU(b, c, hd);
                Value first = ult(b, i, cIdx(b, half));
                Value j = arith::SelectOp::create(b, first, i,
                                                  arith::SubIOp::create(b, i, cIdx(b, half)));
                Value partner = arith::SelectOp::create(b, first, addI(b, c, half),
                                                        arith::SubIOp::create(b, c, cIdx(b, half)));
                Value p = loadF32s(b, t.tile, addI(b, rowAt, partner), 2);
                Value cosSin = loadF32s(b, t.tile, tableAt(b, r, j, 0), 4);
                for (int64_t u = 0; u < 2; ++u) {
                  Value xk = vector::ExtractOp::create(b, x, k + u);
                  Value pk = vector::ExtractOp::create(b, p, u);
                  Value cs = vector::ExtractOp::create(b, cosSin, 2 * u);
                  Value sn = vector::ExtractOp::create(b, cosSin, 2 * u + 1);
                  // storeRotated's x1 cs - x2 sn and x2 cs + x1 sn.
                  rotated.push_back(arith::SelectOp::create(
                      b, first, subF(b, mulF(b, xk, cs), mulF(b, pk, sn)),
                      addF(b, mulF(b, xk, cs), mulF(b, pk, sn))));
                }
              }
              storeVector8(b, dst, vector::FromElementsOp::create(b, x.getType(), rotated), at);
            },
            [&](Builder &b, Value at) { storeVector8(b, vCache, x, at); });
      });
    };
    if (!options.wgmmaStagedStore || D % 8 != 0 || KV % 8 != 0 || half % 2 != 0)
      return pairStores(b);
    Value aligned = arith::AndIOp::create(
        b, alignedTo(b, Q.mem, Q.base, 16),
        arith::AndIOp::create(b, alignedTo(b, kCache.mem, kCache.base, 16),
                              alignedTo(b, vCache.mem, vCache.base, 16)));
    ifElse(b, aligned, runStores, pairStores);
  }};
  withNextWeights(nextWeightsOf(op.getNext(), op.getNextElements(), op.getNextAligns()), [&] {
    matmulShared(b, "qkv", X, rows, D, {q, k, v}, inputNorm,
                 ropeInQkv || ropeInGemm ? function_ref<void(Builder &)>(ropeCacheAfter) : nullptr,
                 ropeInQkv ? GemvPairValues{2, cosSin} : GemvPairValues{},
                 ropeInGemm ? &ropeTile : nullptr);
  });
  if (epilogue && !ropeInQkv && !ropeInGemm)
    ropeCacheAfter(b);
}

void KernelEmitter::attention(Builder &b, kernel::AttentionOp op) {
  const int64_t D = c.dModel, H = c.nHeads, KVH = c.nKvHeads, hd = c.headDim();
  const int64_t layers = op.getLayers();
  Value rows = op.getRows(), pos = op.getPos(), seq = op.getSeq();
  Value layer = op.getLayer(), capacity = op.getCapacity(), scratch = op.getScratch();
  Value semaphores = op.getSemaphores();
  Value zero = cIdx(b, 0);
  Buf Q{scratch, op.getQBase()}, A{scratch, op.getOutBase()}, S{scratch, op.getScoresBase()},
      St{scratch, op.getStatsBase()}, kCache{op.getKCache(), zero}, vCache{op.getVCache(), zero};
  // The wide projection after it reads the output's bf16 copy.
  if (op.getRounded() && wideInputsRounded()) {
    A.mirrorMem = op.getRounded();
    A.mirrorBase = op.getRoundedBase();
  }
  // Tiled attention runs for more rows than a GEMV takes: never split.
  Buf plainA = A;
  // The GEMV after it reads split rows: `rounded` is the scratch in bf16.
  if (op->hasAttr(kSplitForGemv)) {
    A.splitWhen = gemvSplitInputRows(b, rows, A);
    A.splitMem = op.getRounded();
    A.splitBase = mulI(b, op.getOutBase(), 2);
  }
  Value scale = cF32(b, 1.0 / std::sqrt(double(hd)));
  Value negInf = cF32(b, -std::numeric_limits<float>::infinity());
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
  // Many rows of a prefill over them take the tiled kernel instead (the
  // rows are checked on the host).
  auto longCache = [&](Builder &b) {
    if (!tiledAttentionApplies())
      return splitOrUnfused(b);
    ifElse(b, tiledAttentionUse(b, rows, op.getRowsPerSlot(), kCache, vCache),
           [&](Builder &b) {
             attentionTiled(b, Q, kCache, vCache, plainA, rows, pos, seq, layers, layer,
                            capacity);
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
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
struct QkvLowering : KernelOpLowering<kernel::QkvOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::QkvOp op) const override {
    // The activation type: the bf16 copy's, else the caches', else x's.
    Value act = op.getRounded() ? op.getRounded() : op.hasRopeCache() ? op.getKCache() : op.getX();
    emitter(op, KernelDims::of(op.getShape()), elementTypeOf(op.getWeights()),
            elementTypeOf(act), op.getWeights())
        .qkv(b, op);
  }
};

struct RopeCacheLowering : KernelOpLowering<kernel::RopeCacheOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::RopeCacheOp op) const override {
    Type act = elementTypeOf(op.getKCache());
    Value scratch = op.getScratch(), zero = cIdx(b, 0);
    emitter(op, KernelDims::of(op.getShape()), act, act)
        .ropeCache(b, Buf{scratch, op.getQBase()}, Buf{scratch, op.getKBase()},
                   Buf{scratch, op.getVBase()}, Buf{op.getKCache(), zero},
                   Buf{op.getVCache(), zero}, op.getRows(), op.getPos(), op.getSeq(),
                   op.getLayers(), op.getLayer(), op.getCapacity());
  }
};

struct AttentionLowering : KernelOpLowering<kernel::AttentionOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::AttentionOp op) const override {
    // No weights: a bf16 copy of the output (`rounded`) is there only
    // with bf16 weights, which is all the emitter asks of their type.
    Type act = elementTypeOf(op.getKCache());
    Type weightElt = op.getRounded() ? elementTypeOf(op.getRounded()) : act;
    emitter(op, KernelDims::of(op.getShape()), weightElt, act).attention(b, op);
  }
};
} // namespace

void markSplitAttentionOutputs(ModuleOp module, const KernelLoweringOptions &options) {
  // Tiled attention (more rows than any GEMV takes) writes its own tiles.
  if (!options.gemvSplitAttention ||
      options.gemvMaxRows > KernelEmitter::kTiledAttentionRows)
    return;
  module.walk([&](kernel::AttentionOp attention) {
    auto project = dyn_cast_or_null<kernel::MatmulOp>(attention->getNextNode());
    // Both emitters see bf16 weights and activations (the same GEMV
    // buckets), and the projection's weights are whole vectors (gemvApplies).
    if (!project || project.getIn() != attention.getScratch() ||
        project.getInBase() != attention.getOutBase() ||
        project.getRows() != attention.getRows() || project.getGain() ||
        !attention.getRounded() || !project.getRounded() ||
        !elementTypeOf(attention.getKCache()).isBF16() ||
        !elementTypeOf(project.getWeights()).isBF16() || project.getK() % 8 != 0 ||
        project.getWeightAlign() % 8 != 0)
      return;
    attention->setAttr(kSplitForGemv, UnitAttr::get(module.getContext()));
    project->setAttr(kSplitForGemv, UnitAttr::get(module.getContext()));
  });
}

void populateAttentionPatterns(RewritePatternSet &patterns,
                               const KernelLoweringOptions &options) {
  patterns.add<QkvLowering, RopeCacheLowering, AttentionLowering>(patterns.getContext(), options);
}

} // namespace mlir::photon
