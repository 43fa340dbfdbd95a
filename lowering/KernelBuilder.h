//===- KernelBuilder.h - IR-building helpers of the lowerings --*- C++ -*-===//
//
// Small builders shared by the kernel emitter (lowering/kernels/) and the
// program lowering (ProgramToHost.cpp): index/float arithmetic, loops, and the
// one primitive for data-parallel work, which is `scf.parallel` on the host and
// a `gpu.launch` with a thread per point on the GPU.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_LOWERING_KERNELBUILDER_H
#define PHOTON_LOWERING_KERNELBUILDER_H

#include "lowering/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"

#include <array>

namespace mlir::photon {

using Builder = ImplicitLocOpBuilder;

/// The kernel function of stack `stack` ("encoder.1" -> photon_stack_encoder_1).
inline std::string stackKernelName(StringRef stack) {
  std::string s = ("photon_stack_" + stack).str();
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

//===----------------------------------------------------------------------===//
// Loop and arithmetic helpers
//===----------------------------------------------------------------------===//

inline Value cIdx(Builder &b, int64_t v) { return arith::ConstantIndexOp::create(b, v); }
inline Value cF32(Builder &b, double v) {
  return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
}
inline Value cF64(Builder &b, double v) {
  return arith::ConstantOp::create(b, b.getF64FloatAttr(v));
}
inline Value addI(Builder &b, Value x, Value y) { return arith::AddIOp::create(b, x, y); }
inline Value mulI(Builder &b, Value x, Value y) { return arith::MulIOp::create(b, x, y); }
inline Value addI(Builder &b, Value x, int64_t y) { return addI(b, x, cIdx(b, y)); }
inline Value mulI(Builder &b, Value x, int64_t y) { return mulI(b, x, cIdx(b, y)); }
inline Value addF(Builder &b, Value x, Value y) { return arith::AddFOp::create(b, x, y); }
inline Value subF(Builder &b, Value x, Value y) { return arith::SubFOp::create(b, x, y); }
inline Value mulF(Builder &b, Value x, Value y) { return arith::MulFOp::create(b, x, y); }
inline Value divF(Builder &b, Value x, Value y) { return arith::DivFOp::create(b, x, y); }
inline Value maximumF(Builder &b, Value x, Value y) { return arith::MaximumFOp::create(b, x, y); }
inline Value divU(Builder &b, Value x, int64_t y) { return arith::DivUIOp::create(b, x, cIdx(b, y)); }
inline Value remU(Builder &b, Value x, int64_t y) { return arith::RemUIOp::create(b, x, cIdx(b, y)); }
inline Value ult(Builder &b, Value x, Value y) {
  return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, y);
}

/// Names the kernel a gpu.launch is outlined into ("photon_rmsnorm_1664"),
/// so that PTX, profiles and the kernel benchmark say what each kernel is,
/// and outlines every kernel into one gpu.module: one NVVM/PTX compilation
/// for the model instead of one per kernel. Outlining numbers repeated names.
inline void nameKernel(gpu::LaunchOp launch, const Twine &name) {
  MLIRContext *ctx = launch.getContext();
  launch.setFunctionAttr(FlatSymbolRefAttr::get(ctx, name.str()));
  launch.setModuleAttr(FlatSymbolRefAttr::get(ctx, "photon_kernels"));
}

/// Clones the body of `from` (but its terminator) at `b`, inside the launch
/// `into`: `from`'s block ids and grid sizes become `blockIds` and
/// `gridSize`, its threads, block size and workgroup buffers `into`'s (the
/// buffers appended to `into`'s). `m` maps the values from above.
inline void cloneLaunchBody(Builder &b, gpu::LaunchOp from, gpu::LaunchOp into,
                            gpu::KernelDim3 blockIds, gpu::KernelDim3 gridSize, IRMapping &m) {
  for (auto [source, target] : {std::pair(from.getBlockIds(), blockIds),
                                std::pair(from.getGridSize(), gridSize),
                                std::pair(from.getThreadIds(), into.getThreadIds()),
                                std::pair(from.getBlockSize(), into.getBlockSize())}) {
    m.map(source.x, target.x);
    m.map(source.y, target.y);
    m.map(source.z, target.z);
  }
  for (BlockArgument a : from.getWorkgroupAttributions())
    m.map(a, into.addWorkgroupAttribution(a.getType(), a.getLoc()));
  for (Operation &op : from.getBody().front().without_terminator())
    b.clone(op, m);
}

/// `v` where `inside` holds, else zero of its type (a scalar or a vector).
inline Value orZero(Builder &b, Value inside, Value v) {
  Value zero = arith::ConstantOp::create(b, cast<TypedAttr>(b.getZeroAttr(v.getType())));
  return arith::SelectOp::create(b, inside, v, zero);
}

/// Loads an i32 element and returns it as an index.
inline Value loadIndex(Builder &b, Value mem, Value i) {
  Value v = memref::LoadOp::create(b, mem, ValueRange{i});
  return arith::IndexCastOp::create(b, b.getIndexType(), v);
}

/// Runs `then` in an `scf.if cond` without an else branch.
inline void ifThen(Builder &b, Value cond, function_ref<void(Builder &)> then) {
  auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/false);
  Builder tb(b.getLoc(), b.getContext());
  tb.setInsertionPointToStart(&ifOp.getThenRegion().front());
  then(tb);
}

using BodyFn = function_ref<void(Builder &, ValueRange)>;

/// Host target: `scf.parallel` over the iteration space.
inline void parallelLoops(Builder &b, ArrayRef<Value> ubs, BodyFn body) {
  SmallVector<Value> lbs(ubs.size(), cIdx(b, 0)), steps(ubs.size(), cIdx(b, 1));
  scf::ParallelOp::create(b, lbs, ubs, steps,
                          [&](OpBuilder &ob, Location loc, ValueRange ivs) {
                            Builder nb(loc, ob);
                            body(nb, ivs);
                          });
}

/// GPU target: one `gpu.launch` with one thread per point of the flattened
/// iteration space (blocks of `kThreadsPerBlock`), each thread recovering its
/// indices. The launch is outlined into a kernel by gpu-kernel-outlining.
inline constexpr int64_t kThreadsPerBlock = 256;
inline constexpr int64_t kWarpSize = 32;
/// Threads of a warpgroup (sm_90 wgmma: 4 consecutive warps).
inline constexpr int64_t kWarpgroupSize = 4 * kWarpSize;
/// A `gpu.launch` of `grid` blocks of `threads`, in clusters of `cluster`
/// blocks along x (none where null), with workgroup buffers of `workgroup`
/// types. MLIR 22's builder leaves out the six region arguments of a cluster
/// launch (cluster ids and sizes, after the twelve others), which the op's
/// accessors and the kernel outlining expect: they are added here.
inline gpu::LaunchOp launchInClusters(Builder &b, std::array<Value, 3> grid, Value threads,
                                      Value cluster, TypeRange workgroup) {
  Value one = cIdx(b, 1);
  auto launch = gpu::LaunchOp::create(
      b, grid[0], grid[1], grid[2], threads, one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/ValueRange{}, workgroup, /*privateAttributions=*/{}, cluster,
      cluster ? one : Value(), cluster ? one : Value());
  if (cluster)
    for (unsigned k = 0; k < 6; ++k)
      launch.getBody().insertArgument(gpu::LaunchOp::kNumConfigRegionAttributes + k,
                                      b.getIndexType(), b.getLoc());
  return launch;
}

inline gpu::LaunchOp parallelLaunch(Builder &b, ArrayRef<Value> ubs, BodyFn body) {
  Value total = ubs.front();
  for (Value ub : ubs.drop_front())
    total = mulI(b, total, ub);
  Value one = cIdx(b, 1), threads = cIdx(b, kThreadsPerBlock);
  // An empty space still launches one (idle) block: a zero grid is an error.
  Value blocks = arith::MaxUIOp::create(
      b, arith::CeilDivUIOp::create(b, total, threads), one);
  auto launch = gpu::LaunchOp::create(b, blocks, one, one, threads, one, one);
  Builder lb(b.getLoc(), b.getContext());
  lb.setInsertionPointToStart(&launch.getBody().front());
  Value g = addI(lb, mulI(lb, launch.getBlockIds().x, threads),
                 launch.getThreadIds().x);
  ifThen(lb, ult(lb, g, total), [&](Builder &ib) {
    SmallVector<Value> ivs(ubs.size());
    Value rest = g;
    for (int64_t d = int64_t(ubs.size()) - 1; d >= 0; --d) {
      if (d == 0) {
        ivs[d] = rest;
        break;
      }
      ivs[d] = arith::RemUIOp::create(ib, rest, ubs[d]);
      rest = arith::DivUIOp::create(ib, rest, ubs[d]);
    }
    body(ib, ivs);
  });
  gpu::TerminatorOp::create(lb);
  return launch;
}

/// Data-parallel work over [0, ubs): one GPU kernel named `kernel` with a
/// thread per point (`gpu`), else host loops.
inline void parallelWork(Builder &b, bool gpu, const Twine &kernel, ArrayRef<Value> ubs,
                         BodyFn body) {
  if (gpu)
    nameKernel(parallelLaunch(b, ubs, body), kernel);
  else
    parallelLoops(b, ubs, body);
}

/// A sequential reduction: acc = body(iv, acc) for iv in [lb, ub) by `step`.
inline Value reduce(Builder &b, Value lb, Value ub, Value init,
             function_ref<Value(Builder &, Value, Value)> body, int64_t step = 1) {
  auto loop = scf::ForOp::create(
      b, lb, ub, cIdx(b, step), ValueRange{init},
      [&](OpBuilder &ob, Location loc, Value iv, ValueRange args) {
        Builder nb(loc, ob);
        scf::YieldOp::create(nb, ValueRange{body(nb, iv, args[0])});
      });
  return loop.getResult(0);
}

/// Where a kernel finds a weight tensor in the arena: an offset (elements)
/// computed on the host, so that one kernel can serve every layer and stack
/// of its shape, and the largest power of two known to divide every value it
/// takes (what vector loads and cp.async may assume).
struct WeightRef {
  Value at;
  int64_t align;
};
inline int64_t powerOfTwoDividing(int64_t v) { return v == 0 ? int64_t(1) << 30 : (v & -v); }
/// The most alignment (elements) any kernel asks of a weight: 16 bytes of
/// vector load or cp.async. Capping what a layout records at it lets stacks
/// that differ only in larger alignments share their kernels.
constexpr int64_t kMaxAssumedAlign = 16;

/// x (f32, or a vector) as bf16 hi = round(x) and, when `withLo`, lo =
/// round(x - hi): hi + lo keeps ~16 bits of x.
inline std::pair<Value, Value> splitBF16(Builder &b, Value x, bool withLo) {
  Type bf16 = b.getBF16Type();
  if (auto vec = dyn_cast<VectorType>(x.getType()))
    bf16 = VectorType::get(vec.getShape(), bf16);
  Value hi = arith::TruncFOp::create(b, bf16, x);
  if (!withLo)
    return {hi, Value()};
  Value rest = subF(b, x, arith::ExtFOp::create(b, x.getType(), hi));
  return {hi, arith::TruncFOp::create(b, bf16, rest)};
}

/// A region of a flat buffer: element i is mem[base + i]. Values are f32 in
/// the kernels; a bf16 buffer is widened on load and rounded on store. With
/// a `mirror` region, stores also go there (in its element type): a
/// producer leaves f32 rows for the GEMVs and bf16 rows for the GEMMs.
struct Buf {
  Value mem, base;
  Value mirrorMem = {}, mirrorBase = {};
  /// f32 rows whose chunks of 8 elements hold 8 bf16 hi then 8 bf16 lo
  /// parts (rmsNormSplit): only the tensor-core GEMVs read such rows.
  bool splitChunks = false;
  /// Where the i1 `splitWhen` holds (on the host; a constant true: always)
  /// the rows are such chunks for a tensor-core GEMV: stores write them
  /// through `split` (the same bytes in bf16, its base twice this one's),
  /// and the GEMV loads them.
  Value splitWhen = {};
  Value splitMem = {}, splitBase = {};
  Type elementType() const {
    return cast<MemRefType>(mem.getType()).getElementType();
  }
  Value load(Builder &b, Value i) const {
    Value v = memref::LoadOp::create(b, mem, ValueRange{addI(b, base, i)});
    return elementType().isF32() ? v : arith::ExtFOp::create(b, b.getF32Type(), v);
  }
  void store(Builder &b, Value v, Value i) const {
    if (!splitWhen)
      return storePlain(b, v, i);
    Buf split{splitMem, splitBase};
    if (matchPattern(splitWhen, m_One()))
      return split.storeSplit(b, v, i);
    auto ifOp = scf::IfOp::create(b, splitWhen, /*withElseRegion=*/true);
    Builder tb(b.getLoc(), b.getContext()), eb(b.getLoc(), b.getContext());
    tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    eb.setInsertionPoint(ifOp.elseBlock()->getTerminator());
    split.storeSplit(tb, v, i);
    storePlain(eb, v, i);
  }
  /// The mirror as a region of its own.
  Buf mirror() const { return {mirrorMem, mirrorBase}; }
  /// The region `n` elements on (its mirror too).
  Buf shifted(Builder &b, Value n) const {
    assert(!splitWhen && "split stores place elements by their chunk");
    return {mem, addI(b, base, n), mirrorMem, mirrorMem ? addI(b, mirrorBase, n) : Value()};
  }

private:
  /// f32 element i (of rows that start on chunks: i % 8 is its place e in
  /// its chunk) split into bf16 hi + lo, this region being the f32 rows'
  /// bytes in bf16: hi at 2i - e, lo 8 on.
  void storeSplit(Builder &b, Value v, Value i) const {
    Value hiAt = arith::SubIOp::create(b, mulI(b, i, 2), remU(b, i, 8));
    auto [hi, lo] = splitBF16(b, v, /*withLo=*/true);
    memref::StoreOp::create(b, hi, mem, ValueRange{addI(b, base, hiAt)});
    memref::StoreOp::create(b, lo, mem, ValueRange{addI(b, base, addI(b, hiAt, 8))});
  }
  void storePlain(Builder &b, Value v, Value i) const {
    storeTo(b, mem, base, v, i);
    if (mirrorMem)
      storeTo(b, mirrorMem, mirrorBase, v, i);
  }
  static void storeTo(Builder &b, Value mem, Value base, Value v, Value i) {
    Type elt = cast<MemRefType>(mem.getType()).getElementType();
    if (!elt.isF32())
      v = arith::TruncFOp::create(b, elt, v);
    memref::StoreOp::create(b, v, mem, ValueRange{addI(b, base, i)});
  }
};


} // namespace mlir::photon

#endif // PHOTON_LOWERING_KERNELBUILDER_H
