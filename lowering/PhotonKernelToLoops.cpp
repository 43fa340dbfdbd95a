//===- PhotonKernelToLoops.cpp - photon_kernel ops to GPU kernels or loops -===//
//
// convert-photon-kernel-to-gpu and convert-photon-kernel-to-scf: every
// photon_kernel op becomes its kernels (gpu.launch with gpu, nvgpu and nvvm
// inside) or host loops (scf.parallel), through the conversion patterns of
// the kernel families (lowering/kernels/, KernelPatterns.h). This file holds
// the passes, the embedding pattern and the helpers every family shares.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "lowering/FuseLaunches.h"
#include "lowering/TargetInfo.h"
#include "lowering/kernels/KernelPatterns.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::photon {
#define GEN_PASS_DEF_CONVERTPHOTONKERNELTOGPU
#define GEN_PASS_DEF_CONVERTPHOTONKERNELTOSCF
#include "lowering/Passes.h.inc"

//===----------------------------------------------------------------------===//
// Shared helpers of the kernel families
//===----------------------------------------------------------------------===//

KernelDims KernelDims::of(kernel::LayerShapeAttr shape) {
  KernelDims d;
  d.dModel = shape.getDModel();
  d.nHeads = shape.getHeads();
  d.nKvHeads = shape.getKvHeads();
  d.ffnDim = shape.getFfn();
  d.rmsNormEps = shape.getEps().convertToDouble();
  d.ropeTheta = shape.getRopeTheta().convertToDouble();
  return d;
}

void KernelEmitter::parallelLanes(Builder &b, const Twine &kernel, ArrayRef<Value> ubs,
                                  LaneBodyFn body) {
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

Value KernelEmitter::laneReduce(Builder &b, Value v,
                                function_ref<Value(Builder &, Value, Value)> combine) {
  if (!gpu)
    return v;
  for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    auto shuffled = gpu::ShuffleOp::create(b, v, offset, kWarpSize, gpu::ShuffleMode::XOR);
    v = combine(b, v, shuffled.getShuffleResult());
  }
  return v;
}

Value KernelEmitter::laneMin(Builder &b, Value v) {
  return laneReduce(b, v, [](Builder &b, Value x, Value y) -> Value {
    return arith::MinimumFOp::create(b, x, y);
  });
}

Value KernelEmitter::laneMaxI(Builder &b, Value v) {
  return laneReduce(b, v, [](Builder &b, Value x, Value y) -> Value {
    return arith::MaxSIOp::create(b, x, y);
  });
}

void KernelEmitter::ifElse(Builder &b, Value cond, function_ref<void(Builder &)> then,
                           function_ref<void(Builder &)> otherwise) {
  auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/true);
  Builder tb(b.getLoc(), ctx), eb(b.getLoc(), ctx);
  tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  eb.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  then(tb);
  otherwise(eb);
}

void KernelEmitter::embed(Builder &b, Value table, Value ids, Value n, Buf out, int64_t width,
                          StringRef tag) {
  parallel(b, "photon_embed_" + tag, {n, cIdx(b, width)}, [&](Builder &b, ValueRange iv) {
    Value tok = loadIndex(b, ids, iv[0]);
    Value v = loadWeight(b, table, addI(b, mulI(b, tok, width), iv[1]));
    out.store(b, v, addI(b, mulI(b, iv[0], width), iv[1]));
  });
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
struct EmbedLowering : KernelOpLowering<kernel::EmbedOp> {
  using KernelOpLowering::KernelOpLowering;
  void lower(Builder &b, kernel::EmbedOp op) const override {
    KernelEmitter e = emitter(op, {}, elementTypeOf(op.getWeights()), elementTypeOf(op.getOut()),
                              op.getWeights());
    e.embed(b, op.getTable(), op.getIds(), op.getRows(), Buf{op.getOut(), op.getOutBase()},
            op.getWidth(), op.getTag());
  }
};
} // namespace

void populateEmbedPatterns(RewritePatternSet &patterns, const KernelLoweringOptions &options) {
  patterns.add<EmbedLowering>(patterns.getContext(), options);
}

void populatePhotonKernelLoweringPatterns(RewritePatternSet &patterns,
                                          const KernelLoweringOptions &options) {
  populateEmbedPatterns(patterns, options);
  populateProjectionPatterns(patterns, options);
  populateNormPatterns(patterns, options);
  populateAttentionPatterns(patterns, options);
  populateVocabPatterns(patterns, options);
}

//===----------------------------------------------------------------------===//
// The passes
//===----------------------------------------------------------------------===//

/// Applies the kernel patterns to every photon_kernel op of `module`.
static LogicalResult lowerKernelOps(ModuleOp module, const KernelLoweringOptions &options) {
  MLIRContext *ctx = module.getContext();
  ConversionTarget target(*ctx);
  target.addIllegalDialect<kernel::PhotonKernelDialect>();
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
  RewritePatternSet patterns(ctx);
  populatePhotonKernelLoweringPatterns(patterns, options);
  return applyPartialConversion(module, target, std::move(patterns));
}

namespace {

struct ConvertPhotonKernelToGPU
    : impl::ConvertPhotonKernelToGPUBase<ConvertPhotonKernelToGPU> {
  using Base::Base;

  /// Rejects option values no kernel can be built with.
  LogicalResult checkOptions() {
    auto bad = [&](const Twine &message) {
      return getOperation().emitError("convert-photon-kernel-to-gpu: ") << message;
    };
    // Bounds of the integer options, checked in this order (no upper bound:
    // "must be positive" from 1, "must not be negative" from 0).
    constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
    struct Bound {
      StringRef name;
      int64_t value, lo, hi;
    };
    const Bound bounds[] = {
        {"gemv-loads-in-flight", gemvLoadsInFlight, 1, kNone},
        {"gemv-bulk-max-warp-rows", gemvBulkMaxWarpRows, -1, kNone},
        {"gemv-bulk-warps", gemvBulkWarps, 1, 32},
        {"gemv-bulk-max-outputs", gemvBulkMaxOutputs, 0, kNone},
        {"gemv-tensor-core-warps", gemvTensorCoreWarps, 0, 32},
        {"gemv-tensor-core-tiles", gemvTensorCoreTiles, 0, 8},
        {"gemv-norm-kernel-min-rows", gemvNormKernelMinRows, 0, kNone},
        {"split-attention-lane-vectors", splitAttentionLaneVectors, 1, kNone},
        {"split-attention-prefetch-steps", splitAttentionPrefetchSteps, 1, 4},
        {"split-attention-one-row-prefetch-steps", splitAttentionOneRowPrefetchSteps, 1, 4},
        {"split-attention-cluster-blocks", splitAttentionClusterBlocks, 0, 16},
        {"gemv-tensor-core-min-rows", gemvTensorCoreMinRows, 0, kNone},
        {"gemv-max-rows", gemvMaxRows, 0, kNone},
        {"tensor-core-min-rows", tensorCoreMinRows, 0, kNone},
        {"multiprocessors", multiprocessors, 0, kNone},
        {"wgmma-wide-tile-max-outputs", wgmmaWideTileMaxOutputs, 1, kNone},
        {"wgmma-wide-tile-min-rows", wgmmaWideTileMinRows, 0, kNone},
        {"wgmma-tma-min-tile-cols", wgmmaTmaMinTileCols, 0, kNone}};
    if (splitAttentionOneRowStages < 0 || splitAttentionOneRowStages == 1 ||
        splitAttentionOneRowStages > 8)
      return bad("split-attention-one-row-stages must be 0 or 2 to 8, got " +
                 Twine(int64_t(splitAttentionOneRowStages)));
    for (const Bound &o : bounds) {
      if (o.value >= o.lo && o.value <= o.hi)
        continue;
      std::string must = o.hi != kNone ? ("be " + Twine(o.lo) + " to " + Twine(o.hi)).str()
                         : o.lo == 1   ? "be positive"
                                       : "not be negative";
      return bad(o.name + " must " + must + ", got " + Twine(o.value));
    }
    if (wgmmaKStep != 32 && wgmmaKStep != 64)
      return bad("wgmma-k-step must be 32 or 64, got " + Twine(int64_t(wgmmaKStep)));
    if (wgmmaTileRows != 0 && wgmmaTileRows != 128 && wgmmaTileRows != 192)
      return bad("wgmma-tile-rows must be 0, 128 or 192, got " + Twine(int64_t(wgmmaTileRows)));
    if (wgmmaStages < 3 || wgmmaStages > 8)
      return bad("wgmma-stages must be 3 to 8, got " + Twine(int64_t(wgmmaStages)));
    for (auto [name, cols] : {std::pair{"wgmma-tile-cols", int64_t(wgmmaTileCols)},
                              std::pair{"wgmma-wide-output-tile-cols",
                                        int64_t(wgmmaWideOutputTileCols)}})
      if (cols < 64 || cols > 256 || cols % 8 != 0)
        return bad(Twine(name) + " must be a multiple of 8 from 64 to 256, got " + Twine(cols));
    if (!chip.empty() && TargetInfo::forChip(chip).smVersion == 0)
      return bad("chip must be sm_<number>[a], got '" + chip + "'");
    return success();
  }

  void runOnOperation() override {
    if (failed(checkOptions()))
      return signalPassFailure();
    KernelLoweringOptions options;
    options.gpu = true;
    options.tensorCoreMinRows = tensorCoreMinRows;
    options.tensorCoreKernel = tensorCoreKernel;
    options.matmulInputRounding = matmulInputRounding;
    options.gemvMaxRows = gemvMaxRows;
    options.gemvTensorCoreMinRows = gemvTensorCoreMinRows;
    options.gemvLoadsInFlight = gemvLoadsInFlight;
    options.gemvTensorCoreWarps = gemvTensorCoreWarps;
    options.gemvTensorCoreTiles = gemvTensorCoreTiles;
    options.gemvTensorCorePrefetch = gemvTensorCorePrefetch;
    options.gemvNormKernelMinRows = gemvNormKernelMinRows;
    options.gemvSplitSwiGLU = gemvSplitSwiGLU;
    options.gemvSplitAttention = gemvSplitAttention;
    options.blockPerRow = blockPerRow;
    options.fuseAttention = fuseAttention;
    options.fusedAttentionMaxCapacity = fusedAttentionMaxCapacity;
    options.tiledAttention = tiledAttention;
    options.splitAttention = splitAttention;
    options.splitShortCaches = splitShortCaches;
    options.splitAttentionLaneVectors = splitAttentionLaneVectors;
    options.splitAttentionPrefetchSteps = splitAttentionPrefetchSteps;
    options.splitAttentionOneRowPrefetchSteps = splitAttentionOneRowPrefetchSteps;
    options.splitAttentionOneRowStages = splitAttentionOneRowStages;
    options.guardRegisterPrefetch = guardRegisterPrefetch;
    options.splitAttentionClusterBlocks = splitAttentionClusterBlocks;
    options.fuseAttentionCombine = fuseAttentionCombine;
    options.fuseArgmaxCombine = fuseArgmaxCombine;
    options.wgmma = wgmma;
    options.wgmmaKStep = wgmmaKStep;
    options.wgmmaStages = wgmmaStages;
    options.wgmmaTma = wgmmaTma;
    options.wgmmaTmaMinTileCols = wgmmaTmaMinTileCols;
    options.wgmmaProducerWarp = wgmmaTma && wgmmaProducerWarp;
    options.wgmmaTileRows = wgmmaTileRows;
    options.wgmmaTileCols = wgmmaTileCols;
    options.wgmmaStagedStore = wgmmaStagedStore;
    options.wgmmaWideTileMinRows = wgmmaWideTileMinRows;
    options.wgmmaWideTileMaxOutputs = wgmmaWideTileMaxOutputs;
    options.wgmmaWideOutputTileCols = wgmmaWideOutputTileCols;
    options.multiprocessors = multiprocessors;
    options.fuseQkvRope = fuseQkvRope;
    options.fuseQkvRopeGemm = fuseQkvRopeGemm;
    options.ropeApproxTrig = ropeApproxTrig;
    options.prefetchNextWeights = prefetchNextWeights;
    options.gemvBulkMaxWarpRows = gemvBulkMaxWarpRows;
    options.gemvBulkWarps = gemvBulkWarps;
    options.gemvBulkMaxOutputs = gemvBulkMaxOutputs;
    if (gemvBulkMaxWarpRows < 0) {
      // Every one-row GEMV (bulk copies for only some measured slower), but
      // none beside RecGen's latent chain on its second stream, nor where
      // fuse-launches runs a layer's kernels as one launch (dynamic shared
      // memory would keep the GEMVs out of it).
      bool latentChain = getOperation()
                             ->walk([](RecGenLatentsOp) { return WalkResult::interrupt(); })
                             .wasInterrupted();
      options.gemvBulkMaxWarpRows = latentChain || fuseLaunches ? 0 : 2;
    }
    options.programmaticLaunch = programmaticLaunch;
    options.gemvEarlyTrigger = gemvEarlyTrigger;
    options.parallelVocab = parallelVocab;
    TargetInfo target = chip.empty() ? TargetInfo{} : TargetInfo::forChip(chip);
    if (multiprocessors == 0)
      options.multiprocessors = target.multiprocessors;
    if (!chip.empty()) {
      options.wgmma = wgmma && target.hasWgmma();
      options.programmaticLaunch = programmaticLaunch && target.hasProgrammaticLaunch();
      options.prefetchNextWeights = prefetchNextWeights && target.hasBulkCopy();
      if (!target.hasBulkCopy())
        options.gemvBulkMaxWarpRows = 0;
      if (!target.hasClusters())
        options.splitAttentionClusterBlocks = 0;
    }
    options.splitAttentionL2Prefetch = splitAttentionL2Prefetch && options.programmaticLaunch;
    // The semaphores of each stack function (its attention ops'), before
    // the ops are gone.
    llvm::MapVector<func::FuncOp, Value> semaphores;
    if (fuseLaunches)
      getOperation().walk([&](kernel::AttentionOp op) {
        auto arg = dyn_cast<BlockArgument>(op.getSemaphores());
        auto fn = op->getParentOfType<func::FuncOp>();
        if (arg && fn && arg.getOwner() == &fn.getBody().front())
          semaphores.insert({fn, arg});
      });
    markSplitAttentionOutputs(getOperation(), options);
    if (failed(lowerKernelOps(getOperation(), options)))
      return signalPassFailure();
    for (auto [fn, buffer] : semaphores)
      photon::fuseLaunches(fn, buffer);
  }
};

struct ConvertPhotonKernelToSCF
    : impl::ConvertPhotonKernelToSCFBase<ConvertPhotonKernelToSCF> {
  using Base::Base;

  void runOnOperation() override {
    KernelLoweringOptions options;
    options.matmulInputRounding = matmulInputRounding;
    if (failed(lowerKernelOps(getOperation(), options)))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::photon
