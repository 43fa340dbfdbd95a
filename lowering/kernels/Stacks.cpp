//===- Stacks.cpp - Transformer stacks ------------------------------------===//
//
// A stack of transformer layers as one function per shape (weights reach
// it as offsets): the layer body that calls the kernel families in order.
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelEmitter.h"

namespace mlir::photon {

std::optional<std::pair<KernelEmitter::StackLayout, int64_t>>
KernelEmitter::stackLayout(const std::string &name, int64_t layers) {
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

SmallVector<Type> KernelEmitter::stackArgTypes() {
  return {weightBuf(), actBuf(), indexType(), i32Buf(), i32Buf(),
          actBuf(),    actBuf(), indexType(), f32Buf(),  actBuf(), i32Buf()};
}

void KernelEmitter::emitStack(const std::string &name, int64_t layers) {
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

func::FuncOp KernelEmitter::emitSharedStack(const StackLayout &shape) {
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

void KernelEmitter::emitStackBody(Builder &b, ValueRange args, int64_t layers,
                                  LayerLoopFn forEachLayer, WeightRef finalNorm) {
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

} // namespace mlir::photon
