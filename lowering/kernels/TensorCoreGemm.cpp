//===- TensorCoreGemm.cpp - Tiled tensor-core GEMMs -----------------------===//
//
// Projections over many rows (prefill, batched decode): 64x64 mma.sync
// tiles, 128-row tiles on mma.sync (sm_80) or warpgroup MMA (sm_90a), with
// cp.async / ldmatrix pipelines.
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelEmitter.h"
#include "lowering/TargetInfo.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <numeric>

namespace mlir::photon {

/// The runtime's tensor maps (runtime/CudaBackend.cpp): `void
/// *photon_tensor_map_2d(void *base, i64 rows, i64 cols, i32 boxRows, i32
/// boxCols)`, the device address of a tiled map of a bf16 [rows x cols]
/// matrix, box boxRows x boxCols, swizzled as wide as the box's rows; `void
/// *photon_tensor_map_pairs(void *base, i64 rows, i64 cols, i64 second, i32
/// groupRows, i32 groups, i32 boxCols)`, one of two such matrices, the
/// second `second` elements on, whose box is `groups` groups of groupRows
/// rows of each.
static constexpr llvm::StringLiteral kTensorMapSymbol = "photon_tensor_map_2d";
static constexpr llvm::StringLiteral kTensorMapPairsSymbol = "photon_tensor_map_pairs";

/// A call of the runtime's `symbol`, which returns a tensor map's device
/// address: the bf16 matrix at element `offset` of `mem`, then `args`
/// (declared once per module).
static Value tensorMapCall(Builder &b, StringRef symbol, Value mem, Value offset,
                           function_ref<SmallVector<Value>()> args) {
  MLIRContext *ctx = b.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, mem);
  Value at = arith::IndexCastUIOp::create(b, b.getI64Type(), addI(b, base, mulI(b, offset, 2)));
  SmallVector<Value> operands{LLVM::IntToPtrOp::create(b, ptr, at)};
  operands.append(args());
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  if (!module.lookupSymbol<func::FuncOp>(symbol)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    func::FuncOp::create(b, symbol, FunctionType::get(ctx, ValueRange(operands).getTypes(), {ptr}))
        .setPrivate();
  }
  return func::CallOp::create(b, symbol, TypeRange{ptr}, operands).getResult(0);
}

Value KernelEmitter::tensorMap2d(Builder &b, Value mem, Value offset, Value rows, int64_t cols,
                                 int64_t boxRows, int64_t boxCols) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  return tensorMapCall(b, kTensorMapSymbol, mem, offset, [&]() -> SmallVector<Value> {
    return {arith::IndexCastUIOp::create(b, i64, rows), arith::ConstantIntOp::create(b, i64, cols),
            arith::ConstantIntOp::create(b, i32, boxRows),
            arith::ConstantIntOp::create(b, i32, boxCols)};
  });
}

Value KernelEmitter::tensorMapPairs(Builder &b, Value mem, Value offset, const PairedRows &pairs,
                                    int64_t cols, int64_t groups, int64_t boxCols) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  return tensorMapCall(b, kTensorMapPairsSymbol, mem, offset, [&]() -> SmallVector<Value> {
    return {arith::ConstantIntOp::create(b, i64, pairs.rows),
            arith::ConstantIntOp::create(b, i64, cols),
            arith::ConstantIntOp::create(b, i64, pairs.second),
            arith::ConstantIntOp::create(b, i32, PairedRows::kGroupRows),
            arith::ConstantIntOp::create(b, i32, groups), arith::ConstantIntOp::create(b, i32, boxCols)};
  });
}

void KernelEmitter::storeMmaTiles(Builder &kb, Buf out, int64_t M, Value rows, Value mLimit,
                                  Value row0, Value col0, Value lane, int64_t mTiles,
                                  int64_t nTiles, ValueRange acc, Value bOff, bool accumulate) {
  if (!bOff && !accumulate)
    return forMmaTiles(kb, rows, mLimit, row0, col0, lane, mTiles, nTiles,
                       [&](Builder &b, Value row, Value col, int64_t i) {
                         storeOutput(b, out, M, row, col, acc[i], Value(), false);
                       });
  // The bias and residual of kStoreBatch elements are loaded (outside ones
  // from element 0) ahead of their guarded stores: a load inside each
  // element's branch would wait out one memory round trip per element (a
  // wgmma thread stores up to 128).
  constexpr size_t kStoreBatch = 16;
  struct Element {
    Value col, at, inside; // at: the element's index in out
    int64_t i;
  };
  SmallVector<Element> elements;
  forMmaTileElements(kb, rows, mLimit, row0, col0, lane, mTiles, nTiles,
                     [&](Value row, Value col, Value inside, int64_t i) {
                       elements.push_back({col, addI(kb, mulI(kb, row, M), col), inside, i});
                     });
  Value zero = cIdx(kb, 0);
  for (size_t first = 0; first < elements.size(); first += kStoreBatch) {
    ArrayRef<Element> batch =
        ArrayRef(elements).slice(first, std::min(kStoreBatch, elements.size() - first));
    SmallVector<Value> bias, residual;
    for (const Element &e : batch) {
      if (bOff)
        bias.push_back(loadWeight(kb, bOff, arith::SelectOp::create(kb, e.inside, e.col, zero)));
      if (accumulate)
        residual.push_back(out.load(kb, arith::SelectOp::create(kb, e.inside, e.at, zero)));
    }
    for (size_t k = 0; k < batch.size(); ++k)
      ifThen(kb, batch[k].inside, [&](Builder &b) {
        const Element &e = batch[k];
        Value v = acc[e.i];
        if (bOff)
          v = addF(b, v, bias[k]);
        if (accumulate)
          v = addF(b, v, residual[k]);
        out.store(b, v, e.at);
      });
  }
}

void KernelEmitter::forMmaTileElements(Builder &kb, Value rows, Value mLimit, Value row0,
                                       Value col0, Value lane, int64_t mTiles, int64_t nTiles,
                                       function_ref<void(Value, Value, Value, int64_t)> element) {
  for (int64_t mi = 0; mi < mTiles; ++mi)
    for (int64_t ni = 0; ni < nTiles; ++ni)
      for (int64_t v = 0; v < 4; ++v) {
        Value row = addI(kb, row0, addI(kb, divU(kb, lane, 4), mi * 16 + (v / 2) * 8));
        Value col = addI(kb, col0, addI(kb, mulI(kb, remU(kb, lane, 4), 2), ni * 8 + v % 2));
        Value inside = arith::AndIOp::create(kb, ult(kb, row, rows), ult(kb, col, mLimit));
        element(row, col, inside, (mi * nTiles + ni) * 4 + v);
      }
}

void KernelEmitter::forMmaTiles(Builder &kb, Value rows, Value mLimit, Value row0, Value col0,
                                Value lane, int64_t mTiles, int64_t nTiles,
                                function_ref<void(Builder &, Value, Value, int64_t)> store) {
  forMmaTileElements(kb, rows, mLimit, row0, col0, lane, mTiles, nTiles,
                     [&](Value row, Value col, Value inside, int64_t i) {
                       ifThen(kb, inside, [&](Builder &gb) { store(gb, row, col, i); });
                     });
}

void KernelEmitter::storeOutput(Builder &b, Buf out, int64_t M, Value row, Value col, Value acc,
                                Value bOff, bool accumulate, Value residual) {
  if (bOff)
    acc = addF(b, acc, loadWeight(b, bOff, col));
  Value o = addI(b, mulI(b, row, M), col);
  if (accumulate)
    acc = addF(b, acc, residual ? residual : out.load(b, o));
  out.store(b, acc, o);
}

void KernelEmitter::warpgroupsBarrier(Builder &b, bool producerWarp, int64_t threads) {
  if (!producerWarp) {
    gpu::BarrierOp::create(b);
    return;
  }
  Type i32 = b.getI32Type();
  NVVM::BarrierOp::create(b, Type(), arith::ConstantIntOp::create(b, i32, 1),
                          arith::ConstantIntOp::create(b, i32, threads),
                          /*reductionOp=*/nullptr, /*reductionPredicate=*/Value());
}

void KernelEmitter::lateDependents(gpu::LaunchOp launch) {
  if (options.programmaticLaunch)
    launch->setAttr(kLaunchDependentsAtEnd, UnitAttr::get(ctx));
}

bool KernelEmitter::roundsMatmulInputs(MatmulKind kind) const {
  using R = MatmulInputRounding;
  const R r = options.matmulInputRounding;
  const bool rounds = r == R::All || (r == R::TensorCores && kind != MatmulKind::CudaCores) ||
                      (r == R::Gemm && kind == MatmulKind::Gemm);
  return rounds && actElt.isBF16();
}

Value KernelEmitter::roundedToBF16(Builder &b, Value x) {
  Type bf16 = b.getBF16Type();
  if (auto vec = dyn_cast<VectorType>(x.getType()))
    bf16 = VectorType::get(vec.getShape(), bf16);
  Value rounded = arith::TruncFOp::create(b, bf16, x);
  return arith::ExtFOp::create(b, x.getType(), rounded);
}

SmallVector<Value, 4> KernelEmitter::ldmatrixX4(Builder &b, Value mem, ValueRange at) {
  auto vecType = VectorType::get({4, 2}, b.getBF16Type());
  Value m = nvgpu::LdMatrixOp::create(b, vecType, mem, at, /*transpose=*/false,
                                      /*numTiles=*/4);
  SmallVector<Value, 4> regs;
  for (int64_t i = 0; i < 4; ++i)
    regs.push_back(LLVM::BitcastOp::create(b, b.getI32Type(), vector::ExtractOp::create(b, m, i)));
  return regs;
}

void KernelEmitter::mmaBF16(Builder &b, ArrayRef<Value> aRegs, ValueRange bRegs, Value *acc) {
  Type f32 = b.getF32Type();
  auto accType = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
  Value d = NVVM::MmaOp::create(b, accType, aRegs, bRegs, ValueRange{acc[0], acc[1], acc[2], acc[3]},
                                {16, 8, 16}, std::nullopt, std::nullopt,
                                std::array{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
                                std::array{NVVM::MMALayout::row, NVVM::MMALayout::col});
  for (int64_t v = 0; v < 4; ++v)
    acc[v] = LLVM::ExtractValueOp::create(b, d, v);
}

void KernelEmitter::matmulTensorCore(Builder &b, Buf in, Buf out, Value rows, int64_t M, int64_t K,
                                     Value w, Value bOff, bool accumulate) {
  if (tensorCoreKernel == TensorCoreKernel::Tile64)
    return matmulTensorCoreTile64(b, in, out, rows, M, K, w, bOff, accumulate);
  MmaColumns columns{
      M, [&](Builder &b, Value n) { return addI(b, w, mulI(b, n, K)); },
      [&](Builder &b, Value row0, Value col0, Value lane, int64_t mTiles, int64_t nTiles,
          ValueRange acc) {
        storeMmaTiles(b, out, M, rows, cIdx(b, M), row0, col0, lane, mTiles, nTiles, acc, bOff,
                      accumulate);
      },
      /*staged=*/nullptr, w};
  TileEpilogue storeTile{"store", 8, 0, 0, [&](Builder &b, const StagedTile &t) {
                           storeStagedRuns(b, t, plainRuns(t), out, rows, M, bOff, accumulate);
                         }};
  if (accumulate)
    storeTile.prefetch = [&](Builder &b, const StagedTile &t) {
      return stagedResiduals(b, t, plainRuns(t), out, rows, M);
    };
  const bool split = splitsGemmInput(in);
  tile128ByRows(b, in, rows, M, [&](Builder &b, int64_t tileCols) {
    MmaColumns tileColumns = columns;
    if (storesStaged(tileCols, split, storeTile))
      tileColumns.staged = &storeTile;
    matmulTensorCoreTile128(b, shape(M, K), in, rows, K, tileColumns, tileCols);
  });
}

bool KernelEmitter::storesStaged(int64_t tileCols, bool split,
                                 const TileEpilogue &epilogue) const {
  return options.wgmmaStagedStore && tile128OnWgmma() &&
         wgmmaSharedBytes(tileCols, split, &epilogue) <= TargetInfo::kSm90MaxSharedBytesPerBlock;
}

Value KernelEmitter::loadVector8(Builder &b, const Buf &out, Value at) {
  Value i = addI(b, out.base, at);
  if (out.elementType().isF32())
    return loadF32x8(b, out.mem, i);
  Value v = vector::LoadOp::create(b, VectorType::get({8}, out.elementType()), out.mem,
                                   ValueRange{i}, /*nontemporal=*/false, llvm::MaybeAlign(16));
  return arith::ExtFOp::create(b, VectorType::get({8}, b.getF32Type()), v);
}

void KernelEmitter::storeVector8(Builder &b, const Buf &out, Value v, Value at) {
  auto storeTo = [&](Value mem, Value base) {
    Type elt = cast<MemRefType>(mem.getType()).getElementType();
    Value i = addI(b, base, at);
    if (!elt.isF32()) {
      vector::StoreOp::create(b, arith::TruncFOp::create(b, VectorType::get({8}, elt), v), mem,
                              ValueRange{i}, /*nontemporal=*/false, llvm::MaybeAlign(16));
      return;
    }
    for (int64_t h = 0; h < 2; ++h)
      vector::StoreOp::create(
          b,
          vector::ShuffleOp::create(b, v, v,
                                    ArrayRef<int64_t>{4 * h, 4 * h + 1, 4 * h + 2, 4 * h + 3}),
          mem, ValueRange{addI(b, i, 4 * h)}, /*nontemporal=*/false, llvm::MaybeAlign(16));
  };
  storeTo(out.mem, out.base);
  if (out.mirrorMem)
    storeTo(out.mirrorMem, out.mirrorBase);
}

KernelEmitter::StagedRuns KernelEmitter::plainRuns(const StagedTile &t) {
  auto at = [t](Builder &b, Value r, Value run) {
    return addI(b, mulI(b, r, t.stride), mulI(b, run, 8));
  };
  return {t.cols / 8, [t](Builder &b, Value run) { return addI(b, t.n0, mulI(b, run, 8)); },
          [t, at](Builder &b, Value r, Value run, Value j) -> Value {
            return memref::LoadOp::create(b, t.tile, ValueRange{addI(b, at(b, r, run), j)});
          },
          [this, t, at](Builder &b, Value r, Value run) {
            return loadF32x8(b, t.tile, at(b, r, run));
          }};
}

namespace {
/// Run e of a staged tile (rows · perRow of them) that a thread takes on
/// trip `trip`: its tile row and run in the row, its row and first column
/// in out, and whether it is inside the call's rows; `whole`: and inside M
/// (a whole vector, M a multiple of 8).
struct StagedRun {
  Value r, run, row, col, inside, whole;
};
} // namespace

static StagedRun stagedRun(Builder &b, const KernelEmitter::StagedTile &t,
                           const KernelEmitter::StagedRuns &runs, Value rows, int64_t M,
                           Value trip) {
  const int64_t items = t.rows * runs.perRow;
  Value e = addI(b, t.tid, mulI(b, trip, t.threads));
  Value r = divU(b, e, runs.perRow), run = remU(b, e, runs.perRow);
  Value inside = ult(b, addI(b, t.m0, r), rows);
  if (items % t.threads != 0) {
    // Past the tile: row 0's runs stand in, not stored.
    Value valid = ult(b, e, cIdx(b, items));
    inside = arith::AndIOp::create(b, inside, valid);
    r = arith::SelectOp::create(b, valid, r, cIdx(b, 0));
  }
  Value col = runs.column(b, run);
  return {r, run, addI(b, t.m0, r), col, inside,
          arith::AndIOp::create(b, inside, ult(b, col, cIdx(b, M)))};
}

/// Whether out (and its mirror) start on a 16-byte boundary.
static Value alignedTo16(Builder &b, KernelEmitter &k, const Buf &out) {
  Value aligned = k.alignedTo(b, out.mem, out.base, 16);
  if (out.mirrorMem)
    aligned = arith::AndIOp::create(b, aligned, k.alignedTo(b, out.mirrorMem, out.mirrorBase, 16));
  return aligned;
}

SmallVector<Value> KernelEmitter::stagedResiduals(Builder &b, const StagedTile &t,
                                                  const StagedRuns &runs, Buf out, Value rows,
                                                  int64_t M) {
  if (M % 8 != 0)
    return {};
  const int64_t trips = llvm::divideCeil(t.rows * runs.perRow, t.threads);
  auto f32x8 = VectorType::get({8}, b.getF32Type());
  auto ifOp = scf::IfOp::create(b, SmallVector<Type>(trips, f32x8), alignedTo16(b, *this, out),
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    SmallVector<Value> loaded;
    for (int64_t trip = 0; trip < trips; ++trip) {
      StagedRun run = stagedRun(b, t, runs, rows, M, cIdx(b, trip));
      Value at = addI(b, mulI(b, run.row, M), run.col);
      loaded.push_back(loadVector8(b, out, arith::SelectOp::create(b, run.whole, at, cIdx(b, 0))));
    }
    scf::YieldOp::create(b, loaded);
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    Value zeros = arith::ConstantOp::create(b, DenseElementsAttr::get(f32x8, 0.0f));
    scf::YieldOp::create(b, SmallVector<Value>(trips, zeros));
  }
  return ifOp.getResults();
}

void KernelEmitter::storeStagedRuns(Builder &b, const StagedTile &t, const StagedRuns &runs,
                                    Buf out, Value rows, int64_t M, Value bOff, bool accumulate) {
  const int64_t trips = llvm::divideCeil(t.rows * runs.perRow, t.threads);
  Value zero = cIdx(b, 0), mLimit = cIdx(b, M);
  // Element by element, each guarded (M not a multiple of 8, or out not
  // 16-byte aligned).
  auto scalars = [&](Builder &b) {
    forRange(b, zero, cIdx(b, trips), 1, [&](Builder &b, Value trip) {
      StagedRun run = stagedRun(b, t, runs, rows, M, trip);
      ifThen(b, run.inside, [&](Builder &b) {
        forRange(b, zero, cIdx(b, 8), 1, [&](Builder &b, Value j) {
          Value col = addI(b, run.col, j);
          ifThen(b, ult(b, col, mLimit), [&](Builder &b) {
            storeOutput(b, out, M, run.row, col, runs.element(b, run.r, run.run, j), bOff,
                        accumulate);
          });
        });
      });
    });
  };
  if (M % 8 != 0)
    return scalars(b);
  // Every residual is loaded before any store (a store could alias a later
  // load, so would order them).
  SmallVector<Value> residuals;
  if (accumulate)
    residuals = t.prefetched.empty() ? stagedResiduals(b, t, runs, out, rows, M) : t.prefetched;
  auto vectors = [&](Builder &b) {
    for (int64_t trip = 0; trip < trips; ++trip) {
      StagedRun run = stagedRun(b, t, runs, rows, M, cIdx(b, trip));
      ifThen(b, run.whole, [&](Builder &b) {
        Value v = runs.vector(b, run.r, run.run);
        if (bOff) {
          SmallVector<Value, 8> bias;
          for (int64_t j = 0; j < 8; ++j)
            bias.push_back(loadWeight(b, bOff, addI(b, run.col, j)));
          v = addF(b, v, vector::FromElementsOp::create(b, v.getType(), bias));
        }
        if (accumulate)
          v = addF(b, v, residuals[trip]);
        storeVector8(b, out, v, addI(b, mulI(b, run.row, M), run.col));
      });
    }
  };
  ifElse(b, alignedTo16(b, *this, out), vectors, scalars);
}

void KernelEmitter::tile128ByRows(Builder &b, const Buf &in, Value rows, int64_t M,
                                  function_ref<void(Builder &, int64_t)> kernel) {
  tileByRows(b, rows, M, mmaTileCols(M), projectionTileCols(M, splitsGemmInput(in)), kernel);
}

void KernelEmitter::tileByRows(Builder &b, Value rows, int64_t M, int64_t narrow, int64_t wide,
                               function_ref<void(Builder &, int64_t)> kernel) {
  if (wide == narrow)
    return kernel(b, narrow);
  // A wide tile takes about as long as a 64-wide one with 3 times the
  // blocks resident beside it (H200: 43 against 28 us at 1664x1664), so it
  // pays where its grid fills most of the card: from 3/4 of the SMs (1664
  // rows of 1664 outputs on 132 SMs; 256 rows took 45 us wide, 28 narrow).
  int64_t minRows = options.wgmmaWideTileMinRows;
  if (minRows == 0)
    minRows = 128 * llvm::divideCeil(llvm::divideCeil(3 * options.multiprocessors, 4),
                                     llvm::divideCeil(M, wide));
  ifElse(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows, cIdx(b, minRows)),
      [&](Builder &b) { kernel(b, wide); }, [&](Builder &b) { kernel(b, narrow); });
}

int64_t KernelEmitter::mmaTileCols(int64_t M) const {
  if (tensorCoreKernel == TensorCoreKernel::Tile128x64 ||
      (tensorCoreKernel == TensorCoreKernel::Tile128 && M <= 2048))
    return 64;
  return 128;
}

/// The width of equal tiles over M columns: as many as tiles of at most
/// `limit` columns (at least one unit) need, rounded up to a multiple of
/// `unit`.
static int64_t equalTileCols(int64_t M, int64_t limit, int64_t unit) {
  const int64_t tiles = llvm::divideCeil(M, unit * std::max<int64_t>(1, limit / unit));
  return unit * llvm::divideCeil(llvm::divideCeil(M, tiles), unit);
}

int64_t KernelEmitter::projectionTileCols(int64_t M, bool split, int64_t unit) const {
  if (!tile128OnWgmma())
    return mmaTileCols(M);
  const int64_t limit = M > options.wgmmaWideTileMaxOutputs ? options.wgmmaWideOutputTileCols
                                                           : options.wgmmaTileCols;
  const int64_t cols = equalTileCols(M, limit, unit);
  return wgmmaSharedBytes(cols, split, nullptr) <= TargetInfo::kSm90MaxSharedBytesPerBlock
             ? cols
             : mmaTileCols(M);
}

int64_t KernelEmitter::wgmmaStageBytes(int64_t tileCols, bool split, int64_t tileRows) const {
  const int64_t stageRows = std::max(tileRows, tile128WeightRows(tileCols));
  return (split ? 3 : 2) * stageRows * options.wgmmaKStep * 2;
}

int64_t KernelEmitter::wgmmaStages(int64_t tileCols, bool split, int64_t tileRows) const {
  return std::max<int64_t>(
      3, std::min<int64_t>(options.wgmmaStages,
                           TargetInfo::kSm90MaxSharedBytesPerBlock /
                               (wgmmaStageBytes(tileCols, split, tileRows) +
                                wgmmaBarriers(tileCols) * kMbarrierBytes)));
}

int64_t KernelEmitter::wgmmaSharedBytes(int64_t tileCols, bool split, const TileEpilogue *staged,
                                        int64_t tileRows) const {
  const int64_t stages = wgmmaStages(tileCols, split, tileRows);
  int64_t bytes = stages * wgmmaStageBytes(tileCols, split, tileRows);
  if (staged)
    bytes = std::max(bytes, (tileRows * stagedStride(tileCols) + staged->extraFloatsFor(tileRows)) * 4);
  // wgmma-tma: each stage's mbarrier, after the stages and the staged tile.
  if (wgmmaTmaTiles(tileCols))
    bytes = llvm::alignTo(bytes, kMbarrierBytes) + wgmmaBarriers(tileCols) * stages * kMbarrierBytes;
  return bytes;
}

std::optional<std::pair<int64_t, int64_t>>
KernelEmitter::stagedTileCols(int64_t M, bool split, const TileEpilogue &epilogue) const {
  if (!tile128OnWgmma())
    return std::nullopt;
  const int64_t unit = std::lcm<int64_t>(epilogue.colsMultiple, 8);
  const int64_t narrow = equalTileCols(M, 128, unit);
  const int64_t wide = equalTileCols(M, options.wgmmaTileCols, unit);
  auto fits = [&](int64_t cols) {
    return cols <= 256 &&
           wgmmaSharedBytes(cols, split, &epilogue) <= TargetInfo::kSm90MaxSharedBytesPerBlock;
  };
  if (!fits(narrow))
    return std::nullopt;
  return std::make_pair(narrow, fits(wide) ? wide : narrow);
}

int64_t KernelEmitter::tile128WeightRows(int64_t tileCols) const {
  const int64_t kStep = options.wgmma ? options.wgmmaKStep : 32;
  // wgmma: two warpgroups; mma.sync: 2 x tileCols / 32 warps.
  const int64_t threads = options.wgmma ? 2 * kWarpgroupSize : 2 * tileCols;
  return llvm::alignTo(tileCols, threads / (kStep / 8));
}

std::pair<bool, bool> KernelEmitter::wgmmaTmaOperands(const Buf &in, int64_t K,
                                                      const MmaColumns &columns,
                                                      int64_t tileCols) const {
  const bool tiles = wgmmaTmaTiles(tileCols) && K % 8 == 0;
  // Paired rows: a tile is whole groups of both matrices.
  const bool groups = !columns.pairs || tileCols % (2 * PairedRows::kGroupRows) == 0;
  return {tiles && in.elementType().isBF16(),
          tiles && columns.matrix && groups && weightElt.isBF16()};
}

Value KernelEmitter::tallTilesPay(Builder &b, Value rows, int64_t M, int64_t K, int64_t tileCols) {
  const int64_t colTiles = llvm::divideCeil(M, tileCols);
  auto time = [&](int64_t tileRows) -> Value {
    Value tiles = mulI(b, arith::CeilDivUIOp::create(b, rows, cIdx(b, tileRows)), colTiles);
    Value waves = arith::CeilDivUIOp::create(b, tiles, cIdx(b, options.multiprocessors));
    return mulI(b, waves, TargetInfo::kWgmmaTileFixedK + K * tileRows / 128);
  };
  return ult(b, time(kTallTileRows), time(128));
}

void KernelEmitter::matmulTensorCoreTile128(Builder &b, const Twine &suffix, Buf in, Value rows,
                                            int64_t K, const MmaColumns &columns,
                                            int64_t tileCols) {
  auto [tmaA, tmaW] = wgmmaTmaOperands(in, K, columns, tileCols);
  const bool tallFits = tmaA && tmaW && options.wgmmaTileRows != 128 &&
                        wgmmaSharedBytes(tileCols, splitsGemmInput(in), columns.staged,
                                         kTallTileRows) <= TargetInfo::kSm90MaxSharedBytesPerBlock;
  auto kernel = [&](int64_t tileRows) {
    return [&, tileRows](Builder &b) {
      matmulTensorCoreTile(b, suffix, in, rows, K, columns, tileCols, tileRows);
    };
  };
  if (!tallFits)
    return kernel(128)(b);
  if (options.wgmmaTileRows == kTallTileRows)
    return kernel(kTallTileRows)(b);
  ifElse(b, tallTilesPay(b, rows, columns.M, K, tileCols), kernel(kTallTileRows), kernel(128));
}

void KernelEmitter::matmulTensorCoreTile(Builder &b, const Twine &suffix, Buf in, Value rows,
                                         int64_t K, const MmaColumns &columns, int64_t tileCols,
                                         int64_t tileRows) {
  const int64_t M = columns.M;
  const bool wgmma = options.wgmma;
  assert((tileRows == 128 || (wgmma && tileRows == kTallTileRows)) && "tall tiles are wgmma's");
  const int64_t kTile = tileRows;
  const int64_t kStep = wgmma ? options.wgmmaKStep : 32; // K per step
  constexpr int64_t kWarpRows = 64, kWarpCols = 32; // warps as 2 x tileCols / 32
  constexpr int64_t kMmaRows = kWarpRows / 16, kMmaCols = kWarpCols / 8;
  const int64_t kChunksPerRow = kStep / 8; // 16-byte chunks of bf16
  const int64_t warpsAcross = tileCols / kWarpCols;
  const bool convert = !in.elementType().isBF16();
  const int64_t threads =
      wgmma ? (kTile / 64) * kWarpgroupSize : (kTile / kWarpRows) * warpsAcross * kWarpSize;
  const bool split = splitsGemmInput(in);
  // Stages of K steps, and how many steps ahead the copies run: wgmma
  // keeps one step's MMAs in flight past the next barrier, so a stage is
  // refilled only two steps after it was read.
  const int64_t stages = wgmma ? wgmmaStages(tileCols, split, kTile) : split ? 2 : 3;
  const int64_t ahead = wgmma ? stages - 2 : stages - 1;
  Type bf16 = b.getBF16Type();
  // One buffer [operand][stage][row][column], operands A, W (, A lo): a
  // lone shared array starts the block's shared memory, so every 16-byte
  // chunk is 16-byte aligned (the lowering declares arrays 2-byte aligned).
  // wgmma's stages pass the 48 KB of static shared memory: they are the
  // launch's dynamic shared memory (the runtime raises the kernel's limit).
  const int64_t wRows = tile128WeightRows(tileCols), stageRows = std::max(kTile, wRows);
  auto tilesType = workgroupBuffer({split ? 3 : 2, stages, stageRows, kStep}, bf16);
  const int64_t sharedBytes =
      wgmma ? wgmmaSharedBytes(tileCols, split, columns.staged, kTile)
            : tilesType.getNumElements() * 2;
  // wgmma-tma: the tiles of a bf16 `in` and of weights that are one
  // matrix by TMA, where rows are 16 bytes apart (K % 8 == 0; the host
  // sends only 16-byte aligned operands to tensor cores: tensorCoresUse).
  // `in`'s map spans its buffer from in.base: rows past `rows` are read and
  // their outputs not stored, and one map serves every row count.
  const int64_t steps = llvm::divideCeil(K, kStep);
  const std::pair<bool, bool> tmaOperands = wgmmaTmaOperands(in, K, columns, tileCols);
  const bool tmaA = tmaOperands.first, tmaW = tmaOperands.second;
  const bool tma = tmaA || tmaW;
  // wgmma-producer-warp: where both operands come by TMA, a ninth warp
  // issues every copy and the warpgroups hand stages back through a second
  // barrier each. Not beside three warpgroups: ptxas would give 13 warps
  // 128 registers a thread (a sub-partition's 16K registers over 4 of
  // them), too few for their accumulators.
  const bool producerWarp = tmaA && tmaW && options.wgmmaProducerWarp && kTile == 128;
  Value mapA, mapW;
  if (tmaA) {
    Value size = memref::DimOp::create(b, in.mem, 0);
    mapA = tensorMap2d(b, in.mem, in.base, divU(b, arith::SubIOp::create(b, size, in.base), K), K,
                       kTile, kStep);
  }
  const int64_t pairGroup = 2 * PairedRows::kGroupRows;
  if (tmaW)
    mapW = columns.pairs ? tensorMapPairs(b, weights, columns.matrix, *columns.pairs, K,
                                          tileCols / pairGroup, kStep)
                         : tensorMap2d(b, weights, columns.matrix, cIdx(b, M), K, tileCols, kStep);
  Value one = cIdx(b, 1);
  Value rowTiles = arith::MaxUIOp::create(
      b, arith::CeilDivUIOp::create(b, rows, cIdx(b, kTile)), one);
  auto launch = gpu::LaunchOp::create(
      b, rowTiles, cIdx(b, llvm::divideCeil(M, tileCols)), one,
      cIdx(b, threads + (producerWarp ? kWarpSize : 0)), one, one,
      /*dynamicSharedMemorySize=*/
      wgmma ? arith::ConstantIntOp::create(b, b.getI32Type(), sharedBytes).getResult() : Value(),
      /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/ValueRange{}, wgmma ? TypeRange{} : TypeRange{tilesType});
  nameKernel(launch, Twine(wgmma ? "photon_wgmma" : "photon_mma") + Twine(kTile) + "x" +
                         Twine(tileCols) + "_" + suffix);
  lateDependents(launch);
  Builder kb(b.getLoc(), ctx);
  kb.setInsertionPointToStart(&launch.getBody().front());
  Value tiles;
  if (wgmma) {
    tiles = dynamicShared(kb, SmallVector<int64_t>(tilesType.getShape()), bf16);
  } else {
    tiles = launch.getWorkgroupAttributions()[0];
  }
  Value opA = cIdx(kb, 0), opW = cIdx(kb, 1), opALo = cIdx(kb, 2);
  Value tid = launch.getThreadIds().x;
  Type i32 = kb.getI32Type(), i64 = kb.getI64Type();
  auto i64c = [&](Builder &b, int64_t v) { return arith::ConstantIntOp::create(b, i64, v).getResult(); };
  // wgmma-tma: the shared addresses of the stages and of their mbarriers
  // (the last bytes of the dynamic shared memory), which thread 0 sets up
  // for one arrival (the expect_tx) a phase before any thread waits; with a
  // producer warp each stage's second barrier, for the two warpgroups'
  // releases, follows.
  Value tilesAddr, barriers;
  const int64_t stageBytes = stageRows * kStep * 2;
  auto barrierOf = [&](Builder &b, Value stage) -> Value {
    return sharedPointer(b, arith::AddIOp::create(
                            b, barriers,
                            arith::MulIOp::create(b, arith::IndexCastUIOp::create(b, i64, stage),
                                                  i64c(b, kMbarrierBytes))));
  };
  if (tma) {
    tilesAddr = sharedAddress(kb, tiles);
    barriers = arith::AddIOp::create(kb, tilesAddr,
                                     i64c(kb, sharedBytes - wgmmaBarriers(tileCols) * stages *
                                                                kMbarrierBytes));
    ifThen(kb, arith::CmpIOp::create(kb, arith::CmpIPredicate::eq, tid, cIdx(kb, 0)),
           [&](Builder &b) {
             for (int64_t s = 0; s < stages; ++s)
               mbarrierInit(b, barrierOf(b, cIdx(b, s)), 1);
             for (int64_t s = 0; producerWarp && s < stages; ++s)
               mbarrierInit(b, barrierOf(b, cIdx(b, stages + s)), kTile / 64);
             NVVM::FenceMbarrierInitOp::create(b);
           });
    gpu::BarrierOp::create(kb);
  }
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
  SmallVector<Chunk, 4> chunksA = tmaA ? SmallVector<Chunk, 4>() : chunksOf(kTile),
                        chunksW = tmaW ? SmallVector<Chunk, 4>() : chunksOf(wRows);
  // Element (first + row, k) of a [limit x K] matrix at `base`, and
  // whether it is inside (else `base`, which is).
  auto source = [&](Builder &b, Value base, Value first, Value limit, const Chunk &c,
                    Value k) -> std::pair<Value, Value> {
    Value g = addI(b, first, c.row);
    Value inside = arith::AndIOp::create(b, ult(b, g, limit), ult(b, k, kLimit));
    Value at = arith::SelectOp::create(b, inside, addI(b, base, addI(b, mulI(b, g, K), k)), base);
    return {at, inside};
  };
  // wgmma-tma: arms step kt's stage barrier for the boxes' bytes and issues
  // their copies, A's at (k0, m0) and W's at (k0, n0) (one thread).
  auto issueBoxes = [&](Builder &b, Value kt) {
    Value stage = remU(b, kt, stages), k0 = mulI(b, kt, kStep);
    Value barrier = barrierOf(b, stage);
    const int64_t boxBytes = ((tmaA ? kTile : 0) + (tmaW ? tileCols : 0)) * kStep * 2;
    mbarrierExpectBytes(b, barrier, boxBytes);
    auto copyBox = [&](Value map, int64_t operand, ArrayRef<Value> box) {
      // Operand `operand`'s stage ([operand][stage]) of the block's own
      // shared memory, in the shared::cluster window the copy writes to (a
      // block outside a cluster is its own).
      Value at = arith::IndexCastUIOp::create(b, i64, addI(b, stage, operand * stages));
      Value dst = sharedClusterPointer(
          b, arith::AddIOp::create(b, tilesAddr, arith::MulIOp::create(b, at, i64c(b, stageBytes))));
      SmallVector<Value, 4> coords{arith::IndexCastUIOp::create(b, i32, k0)};
      for (Value c : box)
        coords.push_back(arith::IndexCastUIOp::create(b, i32, c));
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, dst, map, coords, barrier, /*im2colOffsets=*/ValueRange{}, /*multicastMask=*/Value(),
          /*l2CacheHint=*/Value(), NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false,
          /*group=*/nullptr, /*predicate=*/Value());
    };
    if (tmaA)
      copyBox(mapA, 0, {m0});
    // Paired rows: (k0, row 0 of a group, the first matrix, group n0 / 32).
    if (tmaW && columns.pairs)
      copyBox(mapW, 1, {zero, zero, divU(b, n0, pairGroup)});
    else if (tmaW)
      copyBox(mapW, 1, {n0});
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
    for (const Chunk &c : convert || tmaA ? ArrayRef<Chunk>() : ArrayRef<Chunk>(chunksA)) {
      auto [at, inside] = source(b, in.base, m0, rows, c, addI(b, k0, c.kOffset));
      copyChunk(opA, in.mem, at, inside, c);
    }
    for (const Chunk &c : chunksW) {
      Value k = addI(b, k0, c.kOffset), n = addI(b, n0, c.row);
      Value inside = arith::AndIOp::create(b, ult(b, n, mLimit), ult(b, k, kLimit));
      if (wRows > tileCols && M > tileCols)
        inside = arith::AndIOp::create(b, inside, ult(b, c.row, cIdx(b, tileCols)));
      Value at = arith::SelectOp::create(b, inside, addI(b, columns.weightRow(b, n), k), wFirst);
      copyChunk(opW, weights, at, inside, c);
    }
    // wgmma-tma: thread 0 issues the boxes' copies, for steps inside K.
    if (tma && !producerWarp)
      ifThen(b,
             arith::AndIOp::create(
                 b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, zero),
                 ult(b, kt, cIdx(b, steps))),
             [&](Builder &b) { issueBoxes(b, kt); });
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

  if (producerWarp) {
    // The warpgroups multiply; the ninth warp's first lane fills stage
    // p % stages for every step p, once both warpgroups have released the
    // step `stages` before it (phase p / stages - 1 of its second barrier).
    // The branch is on the warp's index shuffled from its lane 0, which
    // ptxas knows is warp-uniform: on tid itself it takes the branch for a
    // divergent one and serializes the wgmma in it (C7520).
    Value warpIndex = arith::IndexCastUIOp::create(
        kb, kb.getIndexType(),
        gpu::ShuffleOp::create(kb, arith::IndexCastUIOp::create(kb, i32, divU(kb, tid, kWarpSize)),
                               0, kWarpSize, gpu::ShuffleMode::IDX)
            .getShuffleResult());
    ifElse(
        kb, ult(kb, warpIndex, cIdx(kb, threads / kWarpSize)),
        [&](Builder &b) {
          matmulWgmmaLoop(b, tiles, stages, stageRows, ahead, K, kStep, split,
                          nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, ValueRange{}),
                          tileCols, kTile, copyStep, loadStep, storeStep, barrierOf, columns, m0, n0,
                          tid, /*released=*/[&](Builder &b, Value stage) {
                            return barrierOf(b, addI(b, stage, stages));
                          });
        },
        [&](Builder &b) {
          ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, cIdx(b, threads)),
                 [&](Builder &b) {
            scf::ForOp::create(
                b, zero, cIdx(b, steps), one, ValueRange{},
                [&](OpBuilder &ob, Location loc, Value p, ValueRange) {
                  Builder b(loc, ob);
                  ifThen(b, arith::CmpIOp::create(b, arith::CmpIPredicate::uge, p, cIdx(b, stages)),
                         [&](Builder &b) {
                    Value round = divU(b, p, stages);
                    Value phase = arith::IndexCastUIOp::create(b, i32, remU(b, addI(b, round, 1), 2));
                    mbarrierWaitParity(b, barrierOf(b, addI(b, remU(b, p, stages), stages)), phase);
                  });
                  issueBoxes(b, p);
                  scf::YieldOp::create(b);
                });
          });
        });
    gpu::TerminatorOp::create(kb);
    return;
  }
  // Prologue: steps 0 .. ahead - 1 in flight.
  Value lastGroup;
  for (int64_t s = 0; s < ahead; ++s) {
    SmallVector<Value> loaded = loadStep(kb, cIdx(kb, s));
    lastGroup = copyStep(kb, cIdx(kb, s));
    storeStep(kb, cIdx(kb, s), loaded);
  }
  if (wgmma) {
    matmulWgmmaLoop(kb, tiles, stages, stageRows, ahead, K, kStep, split, lastGroup, tileCols, kTile,
                    copyStep, loadStep, storeStep, tma ? barrierOf : StageBarrier(), columns, m0,
                    n0, tid);
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

void KernelEmitter::matmulWgmmaLoop(Builder &kb, Value tiles, int64_t stages, int64_t stageRows,
                                    int64_t ahead, int64_t K, int64_t kStep, bool split,
                                    Value firstGroup, int64_t tileCols, int64_t tileRows,
                                    function_ref<Value(Builder &, Value)> copyStep,
                                    function_ref<SmallVector<Value>(Builder &, Value)> loadStep,
                                    function_ref<void(Builder &, Value, ArrayRef<Value>)> storeStep,
                                    StageBarrier stageBarrier,
                                    const MmaColumns &columns, Value m0, Value n0, Value tid,
                                    StageBarrier released) {
  Type i64 = kb.getI64Type(), f32 = kb.getF32Type();
  const int64_t accs = tileCols / 2; // m64nNk16: N / 2 floats a thread
  auto accType = LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(accs, f32));
  // Byte offsets: a stage of an operand is stageRows x kStep bf16; operand
  // A first, then W, then A's lo part ([operand][stage][stageRows][kStep]).
  const int64_t rowBytes = kStep * 2, stageBytes = stageRows * rowBytes;
  auto i64c = [&](Builder &b, int64_t v) { return arith::ConstantIntOp::create(b, i64, v).getResult(); };
  // Descriptor of a K-major operand at `tiles` + 0 in the 64-byte (bits
  // 62-63 = 2) or 128-byte (1) swizzle mode, as wide as a stage row: the
  // 16-byte chunks sit XOR-swizzled exactly as matmulTensorCoreTile128's
  // copies place them (the hardware swizzles by address bits, and every
  // operand tile starts on a multiple of 8 KB from the start of shared
  // memory); 8-row groups 8 rows apart (the stride byte offset, bits
  // 32-45, / 16); the leading byte offset is unused (1). Start address
  // / 16 in bits 0-13: offsets add to it.
  Value addr = sharedAddress(kb, tiles);
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
        if (!released)
          nvgpu::DeviceAsyncWaitOp::create(b, carried[0], b.getI32IntegerAttr(ahead - 1));
        if (stageBarrier) {
          Type i32 = b.getI32Type();
          Value phase = arith::IndexCastUIOp::create(b, i32, remU(b, divU(b, kt, stages), 2));
          mbarrierWaitParity(b, stageBarrier(b, remU(b, kt, stages)), phase);
        }
        // Shared-memory writes of this block's threads (cp.async, stored
        // f32 inputs) for the MMAs' async proxy; a producer warp's TMA
        // copies need neither the fence nor the block's barrier.
        if (!released) {
          NVVM::FenceProxyOp::create(b, NVVM::ProxyKind::async_shared,
                                     NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
          gpu::BarrierOp::create(b);
        }
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
        Value group = released ? carried[0] : copyStep(b, later);
        SmallVector<Value> next{group, acc};
        next.append(loadStep(b, addI(b, later, 1)));
        NVVM::WgmmaWaitGroupSyncOp::create(b, 1);
        // Step kt - 1's MMAs are done: the warpgroup's first thread hands
        // its stage back to the producer warp.
        if (released)
          ifThen(b,
                 arith::AndIOp::create(
                     b, arith::CmpIOp::create(b, arith::CmpIPredicate::uge, kt, one),
                     arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                           remU(b, tid, kWarpgroupSize), zero)),
                 [&](Builder &b) {
                   NVVM::MBarrierArriveOp::create(
                       b, TypeRange{}, released(b, remU(b, arith::SubIOp::create(b, kt, one), stages)));
                 });
        storeStep(b, later, SmallVector<Value>(carried.take_back(nLoaded)));
        scf::YieldOp::create(b, next);
      });
  const bool producerWarp = bool(released);
  const int64_t stride = stagedStride(tileCols);
  const int64_t threads = tileRows / 64 * kWarpgroupSize;
  StagedTile stagedTile{Value(), m0, n0, tid, stride, tileCols, tileRows, threads, producerWarp};
  // (Only in 8-warp blocks: 9 warps leave 168 registers a thread, 12 too,
  // and the prefetched residuals then spill.)
  if (columns.staged && columns.staged->prefetch && !producerWarp && tileRows == 128)
    stagedTile.prefetched = columns.staged->prefetch(kb, stagedTile);
  NVVM::WgmmaWaitGroupSyncOp::create(kb, 0);
  // Warp w holds rows 16w .. 16w + 15 of the tile; accumulator 4j + v is
  // n8 block j's m16n8 value v.
  SmallVector<Value> acc;
  for (int64_t i = 0; i < accs; ++i)
    acc.push_back(LLVM::ExtractValueOp::create(kb, loop.getResult(1), ArrayRef<int64_t>{i}));
  if (columns.staged) {
    // Over the stages, once both warpgroups' MMAs (async-proxy reads of
    // them) are done and so are the last steps' copies (zero-fills past K,
    // still in flight after the loop): values v, v + 1 of an m16n8 tile
    // are one row's neighbouring columns, one 64-bit store.
    nvgpu::DeviceAsyncWaitOp::create(kb, loop.getResult(0), kb.getI32IntegerAttr(0));
    NVVM::FenceProxyOp::create(kb, NVVM::ProxyKind::async_shared,
                               NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
    warpgroupsBarrier(kb, producerWarp, threads);
    Value staged =
        dynamicShared(kb, {tileRows * stride + columns.staged->extraFloatsFor(tileRows)}, f32);
    Value first = addI(kb, mulI(kb, addI(kb, mulI(kb, warp, 16), divU(kb, lane, 4)), stride),
                       mulI(kb, remU(kb, lane, 4), 2));
    for (int64_t i = 0; i < accs; i += 2) {
      const int64_t at = (i % 4) / 2 * 8 * stride + i / 4 * 8;
      Value pair = vector::FromElementsOp::create(kb, VectorType::get({2}, f32),
                                                  ValueRange{acc[i], acc[i + 1]});
      vector::StoreOp::create(kb, pair, staged, ValueRange{addI(kb, first, at)},
                              /*nontemporal=*/false, llvm::MaybeAlign(8));
    }
    warpgroupsBarrier(kb, producerWarp, threads);
    stagedTile.tile = staged;
    columns.staged->emit(kb, stagedTile);
    return;
  }
  Value row0 = addI(kb, m0, mulI(kb, warp, 16));
  for (int64_t g = 0; g < tileCols; g += 32) {
    const int64_t blocks = std::min<int64_t>(32, tileCols - g) / 8;
    columns.store(kb, row0, addI(kb, n0, g), lane, 1, blocks,
                  ArrayRef<Value>(acc).slice(g / 2, 4 * blocks));
  }
}

void KernelEmitter::matmulTensorCoreTile64(Builder &b, Buf in, Buf out, Value rows, int64_t M,
                                           int64_t K, Value w, Value bOff, bool accumulate) {
  constexpr int64_t kTile = 64, kStep = 32, kWarps = 4;
  constexpr int64_t kChunks = kTile * kStep / 8; // 16-byte copies per stage
  // A row of a stage is padded from 64 to 80 bytes, so the eight rows one
  // ldmatrix reads fall in different banks.
  auto stageType = workgroupBuffer({2, kTile, kStep + 8}, b.getBF16Type());
  bool convert = !in.elementType().isBF16(), split = splitsGemmInput(in);
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

} // namespace mlir::photon
