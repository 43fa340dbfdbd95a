//===- Vocab.cpp - Argmax and sampling ------------------------------------===//
//
// Token choice over the vocabulary: argmax (split over blocks of the
// vocabulary, ties to the lowest id) and temperature / top-k / top-p
// sampling (a block per row).
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelPatterns.h"

namespace mlir::photon {

void KernelEmitter::argmax(Builder &b, Buf logits, Value n, Value ids, Value partialV,
                           Value partialI, Value semaphores) {
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

Value KernelEmitter::notNaN(Builder &b, Value v) {
  Value nan = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, v, v);
  return arith::SelectOp::create(b, nan, cF32(b, -std::numeric_limits<float>::infinity()), v);
}

SmallVector<Value> KernelEmitter::argmaxInit(Builder &b) {
  return {cF32(b, -std::numeric_limits<float>::infinity()),
          arith::ConstantOp::create(b, b.getI32IntegerAttr(0))};
}

SmallVector<Value> KernelEmitter::argmaxCombine(Builder &b, ValueRange x, ValueRange y) {
  Value gt = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, y[0], x[0]);
  Value eq = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, y[0], x[0]);
  Value lower = arith::CmpIOp::create(b, arith::CmpIPredicate::slt, y[1], x[1]);
  Value take = arith::OrIOp::create(b, gt, arith::AndIOp::create(b, eq, lower));
  return {arith::SelectOp::create(b, take, y[0], x[0]),
          arith::SelectOp::create(b, take, y[1], x[1])};
}

SmallVector<Value> KernelEmitter::argmaxScan(Builder &b, Buf logits, Value row, Value first,
                                             Value last, int64_t width, Value tid,
                                             int64_t threads) {
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

void KernelEmitter::sample(Builder &b, Buf logits, Value n, Buf uniforms, Value temperature,
                           Value topK, Value topP, Value ids) {
  if (gpu && options.parallelVocab)
    return sampleBlock(b, logits, n, uniforms, temperature, topK, topP, ids);
  const int64_t V = c.vocabSize, block = (V + laneCount() - 1) / laneCount();
  const float inf = std::numeric_limits<float>::infinity();
  parallelLanes(b, "photon_sample", {n}, [&](Builder &b, ValueRange iv, Value lane) {
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

Value KernelEmitter::sampleWeight(Builder &b, Value l, Value mx, Value temperature, Value tau) {
  Value w = math::ExpOp::create(b, divF(b, subF(b, l, mx), temperature));
  return arith::SelectOp::create(b, atLeast(b, l, tau), w, cF32(b, 0));
}

Value KernelEmitter::bisect(Builder &b, Value from, Value to,
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

std::pair<Value, Value> KernelEmitter::topKRule(Builder &b, Value topK) {
  Value kF = arith::UIToFPOp::create(
      b, b.getF32Type(), arith::IndexCastUIOp::create(b, b.getI64Type(), topK));
  Value useK = arith::AndIOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, topK, cIdx(b, 0)),
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, topK, cIdx(b, c.vocabSize)));
  return {useK, kF};
}

Value KernelEmitter::warpInclusiveSum(Builder &b, Value v, Value lane) {
  for (int32_t offset = 1; offset < kWarpSize; offset *= 2) {
    Value up = gpu::ShuffleOp::create(b, v, offset, kWarpSize, gpu::ShuffleMode::UP)
                   .getShuffleResult();
    Value from = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, lane, cIdx(b, offset));
    v = arith::SelectOp::create(b, from, addF(b, v, up), v);
  }
  return v;
}

std::pair<Value, Value> KernelEmitter::drawInRange(Builder &b, Value lo, Value hi, Value share,
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

Value KernelEmitter::chooseDrawn(Builder &b, Value found, Value last, Value mx) {
  Value none = arith::ConstantOp::create(b, b.getI32IntegerAttr(-1));
  Value id = arith::SelectOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::ne, found, none), found, last);
  Value aboveNegInf = arith::CmpFOp::create(
      b, arith::CmpFPredicate::OGT, mx, cF32(b, -std::numeric_limits<float>::infinity()));
  return arith::SelectOp::create(b, aboveNegInf, id,
                                 arith::ConstantOp::create(b, b.getI32IntegerAttr(0)));
}

void KernelEmitter::sampleBlock(Builder &b, Buf logits, Value n, Buf uniforms, Value temperature,
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
    // The smallest logit above -inf (see sample).
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

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
KernelDims vocabDims(int64_t vocab) {
  KernelDims dims;
  dims.vocabSize = vocab;
  return dims;
}

struct ArgmaxLowering : KernelOpLowering<kernel::ArgmaxOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::ArgmaxOp op) const override {
    Type f32 = b.getF32Type();
    emitter(op, vocabDims(op.getVocab()), f32, f32)
        .argmax(b, Buf{op.getLogits(), cIdx(b, 0)}, op.getRows(), op.getIds(),
                op.getPartialValues(), op.getPartialIds(), op.getSemaphores());
  }
};

struct SampleLowering : KernelOpLowering<kernel::SampleOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::SampleOp op) const override {
    Type f32 = b.getF32Type();
    Value zero = cIdx(b, 0);
    emitter(op, vocabDims(op.getVocab()), f32, f32)
        .sample(b, Buf{op.getLogits(), zero}, op.getRows(), Buf{op.getUniforms(), zero},
                op.getTemperature(), op.getTopK(), op.getTopP(), op.getIds());
  }
};
} // namespace

void populateVocabPatterns(RewritePatternSet &patterns, const KernelLoweringOptions &options) {
  patterns.add<ArgmaxLowering, SampleLowering>(patterns.getContext(), options);
}

} // namespace mlir::photon
