//===- AttentionTiled.cpp - Prefill attention on tensor cores -------------===//
//
// Causal attention of many rows (prefill) over long caches: tiles of rows
// and positions on tensor cores with an online softmax (flash attention).
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelEmitter.h"

namespace mlir::photon {

int64_t KernelEmitter::tiledAttentionChunk() const {
  int64_t hd = c.headDim();
  int64_t chunk = hd % 8 == 0 ? 8 : hd % 4 == 0 ? 4 : 2;
  return std::min<int64_t>(chunk, 16 / byteWidth(actElt));
}

Value KernelEmitter::tiledAttentionUse(Builder &b, Value rows, Value rowsPerSlot, Buf kCache,
                                       Buf vCache) {
  Value use = arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, rows,
                                    cIdx(b, kTiledAttentionRows));
  if (rowsPerSlot)
    use = arith::AndIOp::create(
        b, use, arith::CmpIOp::create(b, arith::CmpIPredicate::ne, rowsPerSlot, cIdx(b, 1)));
  int64_t bytes = tiledAttentionChunk() * byteWidth(kCache.elementType());
  use = arith::AndIOp::create(b, use, alignedTo(b, kCache.mem, kCache.base, bytes));
  return arith::AndIOp::create(b, use, alignedTo(b, vCache.mem, vCache.base, bytes));
}

void KernelEmitter::attentionTiled(Builder &b, Buf Q, Buf kCache, Buf vCache, Buf A, Value rows,
                                   Value pos, Value seq, int64_t layers, Value layer,
                                   Value capacity) {
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

void KernelEmitter::forRange(Builder &b, Value from, Value to, int64_t step,
                             function_ref<void(Builder &, Value)> body) {
  scf::ForOp::create(b, from, to, cIdx(b, step), ValueRange{},
                     [&](OpBuilder &ob, Location loc, Value iv, ValueRange) {
                       Builder fb(loc, ob);
                       body(fb, iv);
                       scf::YieldOp::create(fb);
                     });
}

void KernelEmitter::attentionTiledRows(Builder &b, const TiledAttentionTile &t) {
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

void KernelEmitter::attentionTiledMma(Builder &b, const TiledAttentionTile &t, ValueRange shared,
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
  // A thread's chunks of a K/V tile: item e = tid + i · threads is row
  // e / chunksPerRow, column (e % chunksPerRow) · chunk (past the tile:
  // row 0, not stored).
  const int64_t items = kPositions * chunksPerRow, trips = llvm::divideCeil(items, threads);
  auto itemOf = [&](Builder &b, int64_t i) -> std::tuple<Value, Value, Value> {
    Value e = addI(b, t.tid, i * threads);
    Value valid = items % threads == 0 ? cTrue(b) : ult(b, e, cIdx(b, items));
    Value r = arith::SelectOp::create(b, valid, divU(b, e, chunksPerRow), zero);
    return {r, mulI(b, remU(b, e, chunksPerRow), chunk), valid};
  };
  // Positions kt·P .. of s0, as each thread's K and V chunks and whether
  // they are inside (past `end` or head_dim they read element 0 and are
  // stored as zeros): loaded a tile ahead, so that the loads' latency
  // overlaps the MMAs of the tile before.
  auto loadKV = [&](Builder &b, Value kt) {
    SmallVector<Value> loaded;
    Value u0 = mulI(b, kt, kPositions);
    for (int64_t i = 0; i < trips; ++i) {
      auto [r, d, valid] = itemOf(b, i);
      Value u = addI(b, u0, r);
      Value inside = arith::AndIOp::create(
          b, valid, arith::AndIOp::create(b, ult(b, u, end), ult(b, d, hdLimit)));
      Value at = arith::SelectOp::create(
          b, inside, addI(b, addI(b, cacheIndex(b, t.s0, t.layers, t.layer, t.capacity, u), kvOff), d),
          zero);
      for (const Buf &cache : {t.kCache, t.vCache})
        loaded.push_back(vector::LoadOp::create(b, vecType, cache.mem,
                                                ValueRange{addI(b, cache.base, at)},
                                                /*nontemporal=*/false, llvm::MaybeAlign(chunk * 2)));
      loaded.push_back(inside);
    }
    return loaded;
  };
  // Stores loadKV's chunks into kS and vS.
  auto storeKV = [&](Builder &b, ValueRange loaded) {
    for (int64_t i = 0; i < trips; ++i) {
      Value r, d, valid;
      std::tie(r, d, valid) = itemOf(b, i);
      Value inside = loaded[3 * i + 2];
      const Value tiles[] = {kS, vS};
      ifThen(b, valid, [&](Builder &b) {
        for (int64_t k = 0; k < 2; ++k)
          vector::StoreOp::create(b, arith::SelectOp::create(b, inside, loaded[3 * i + k], zeros),
                                  tiles[k], ValueRange{r, d}, /*nontemporal=*/false,
                                  llvm::MaybeAlign(chunk * 2));
      });
    }
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

  // Carried: the two rows' max and partial sum, the output tiles, then
  // the thread's chunks of the next K/V tile (loadKV).
  SmallVector<Value> init{negInf, negInf, cF32(b, 0), cF32(b, 0)};
  init.append(outTiles * 4, cF32(b, 0));
  const int64_t carried = init.size();
  init.append(loadKV(b, zero));
  Value kvTiles = arith::CeilDivUIOp::create(b, end, cIdx(b, kPositions));
  auto loop = scf::ForOp::create(
      b, zero, kvTiles, cIdx(b, 1), init,
      [&](OpBuilder &ob, Location loc, Value kt, ValueRange st) {
        Builder b(loc, ob);
        gpu::BarrierOp::create(b); // every warp is done with the last tile
        storeKV(b, st.drop_front(carried));
        gpu::BarrierOp::create(b);
        // Tile kt + 1's loads (past the last tile: element 0, unused; with
        // guard-register-prefetch none past it, the branch yielding tile
        // kt's, which no tile stores).
        Value nextTile = addI(b, kt, 1);
        SmallVector<Value> ahead =
            loadAhead(b, ult(b, nextTile, kvTiles), st.drop_front(carried),
                      [&](Builder &b) { return loadKV(b, nextTile); },
                      options.guardRegisterPrefetch);
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
        SmallVector<Value> o(st.slice(4, outTiles * 4));
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
        next.append(ahead);
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

} // namespace mlir::photon
