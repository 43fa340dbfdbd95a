//===- KernelFusion.cpp - Fuse photon_kernel ops into projections ---------===//
//
// photon-kernel-fusion: one rewrite pattern per fusion, each behind its
// option (Passes.td). The kernel-level ops work on buffers, not values, so a
// pattern joins ops that are next to each other in a block and whose
// buffer operands (memref and base) say that one's output is the other's
// input; the fused op then names the same buffers.
//
//===----------------------------------------------------------------------===//

#include "dialect/kernel/KernelOps.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONKERNELFUSION
#include "passes/Passes.h.inc"
} // namespace mlir::photon

namespace mlir::photon {
namespace {

namespace pk = ::mlir::photon::kernel;

/// The op `n` places before `op` in its block (n < 0: after), if it is an OpTy.
template <typename OpTy>
OpTy neighbour(Operation *op, int n) {
  for (; op && n > 0; --n)
    op = op->getPrevNode();
  for (; op && n < 0; ++n)
    op = op->getNextNode();
  return dyn_cast_or_null<OpTy>(op);
}

/// A plain projection: no bias, not added to its output.
bool isPlain(pk::MatmulOp m) { return !m.getBias() && !m.getAccumulate(); }

/// Whether projections `a` and `b` read the same rows (and bf16 copy) with
/// the same arena.
bool sameInput(pk::MatmulOp a, pk::MatmulOp b) {
  return a.getIn() == b.getIn() && a.getInBase() == b.getInBase() &&
         a.getRounded() == b.getRounded() && a.getRoundedBase() == b.getRoundedBase() &&
         a.getRows() == b.getRows() && a.getWeights() == b.getWeights() && a.getK() == b.getK();
}

/// fuse-qkv: Q, K and V `matmul`s of one input whose outputs the
/// `rope_cache` right after them reads become one `qkv`; the `rope_cache`
/// stays (fuse-rope-cache folds it in).
struct FuseQkvProjections : OpRewritePattern<pk::RopeCacheOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(pk::RopeCacheOp rope, PatternRewriter &rewriter) const override {
    auto q = neighbour<pk::MatmulOp>(rope, 3), k = neighbour<pk::MatmulOp>(rope, 2),
         v = neighbour<pk::MatmulOp>(rope, 1);
    if (!q || !k || !v)
      return rewriter.notifyMatchFailure(rope, "not after three matmuls");
    pk::LayerShapeAttr shape = rope.getShape();
    const int64_t D = shape.getDModel(), KV = shape.getKvHeads() * shape.getHeadDim();
    Value scratch = rope.getScratch();
    auto writes = [&](pk::MatmulOp m, Value base, int64_t width) {
      return isPlain(m) && m.getOut() == scratch && m.getOutBase() == base &&
             int64_t(m.getM()) == width && int64_t(m.getK()) == D && m.getRows() == rope.getRows();
    };
    if (!writes(q, rope.getQBase(), D) || !writes(k, rope.getKBase(), KV) ||
        !writes(v, rope.getVBase(), KV) || !sameInput(q, k) || !sameInput(q, v))
      return rewriter.notifyMatchFailure(rope, "the matmuls are not its Q, K and V");
    rewriter.setInsertionPoint(q);
    // v's next weights are what follows the three (q's and k's: each other's).
    pk::QkvOp::create(
        rewriter, q.getLoc(), q.getIn(), q.getInBase(), q.getRows(), q.getWeights(), q.getWeight(),
        k.getWeight(), v.getWeight(), scratch, rope.getQBase(), rope.getKBase(), rope.getVBase(),
        q.getRounded(), q.getRoundedBase(), /*gain=*/Value(), /*normed_base=*/Value(),
        /*pos=*/Value(), /*seq=*/Value(), /*k_cache=*/Value(), /*v_cache=*/Value(),
        /*layer=*/Value(), /*capacity=*/Value(), ValueRange(v.getNext()), shape,
        ArrayRef<int64_t>{int64_t(q.getWeightAlign()), int64_t(k.getWeightAlign()),
                          int64_t(v.getWeightAlign())},
        /*gain_align=*/IntegerAttr(), /*layers=*/IntegerAttr(), v.getNextElements(),
        v.getNextAligns());
    for (pk::MatmulOp m : {q, k, v})
      rewriter.eraseOp(m);
    return success();
  }
};

/// fuse-rope-cache: a `rope_cache` right after the `qkv` that writes its Q,
/// K and V becomes that op's epilogue.
struct FuseRopeCacheIntoQkv : OpRewritePattern<pk::QkvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(pk::QkvOp qkv, PatternRewriter &rewriter) const override {
    auto rope = neighbour<pk::RopeCacheOp>(qkv, -1);
    if (qkv.hasRopeCache() || !rope)
      return rewriter.notifyMatchFailure(qkv, "no rope_cache to take");
    if (rope.getScratch() != qkv.getScratch() || rope.getQBase() != qkv.getQBase() ||
        rope.getKBase() != qkv.getKBase() || rope.getVBase() != qkv.getVBase() ||
        rope.getRows() != qkv.getRows() || rope.getShape() != qkv.getShape())
      return rewriter.notifyMatchFailure(qkv, "the rope_cache reads other rows");
    rewriter.modifyOpInPlace(qkv, [&] {
      qkv.getPosMutable().assign(rope.getPos());
      qkv.getSeqMutable().assign(rope.getSeq());
      qkv.getKCacheMutable().assign(rope.getKCache());
      qkv.getVCacheMutable().assign(rope.getVCache());
      qkv.getLayerMutable().assign(rope.getLayer());
      qkv.getCapacityMutable().assign(rope.getCapacity());
      qkv.setLayers(rope.getLayers());
    });
    rewriter.eraseOp(rope);
    return success();
  }
};

/// fuse-gate-up: the gate and up `matmul`s of one input, the `swiglu` of
/// their outputs and the down `matmul` that adds its result to the rows
/// become one `mlp`.
struct FuseGateUpProjections : OpRewritePattern<pk::SwigluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(pk::SwigluOp swiglu, PatternRewriter &rewriter) const override {
    auto gate = neighbour<pk::MatmulOp>(swiglu, 2), up = neighbour<pk::MatmulOp>(swiglu, 1),
         down = neighbour<pk::MatmulOp>(swiglu, -1);
    if (!gate || !up || !down)
      return rewriter.notifyMatchFailure(swiglu, "not between gate/up and down matmuls");
    const int64_t F = swiglu.getWidth(), D = gate.getK();
    Value scratch = swiglu.getScratch();
    auto writes = [&](pk::MatmulOp m, Value base) {
      return isPlain(m) && m.getOut() == scratch && m.getOutBase() == base &&
             int64_t(m.getM()) == F && m.getRows() == swiglu.getRows();
    };
    if (!writes(gate, swiglu.getGateBase()) || !writes(up, swiglu.getUpBase()) ||
        !sameInput(gate, up))
      return rewriter.notifyMatchFailure(swiglu, "the matmuls are not its gate and up");
    if (gate.getIn() != scratch)
      return rewriter.notifyMatchFailure(swiglu, "gate and up do not read scratch rows");
    // The down projection adds into the rows: as its epilogue, or through a
    // residual_add right after it.
    Value x = down.getOut(), xBase = down.getOutBase();
    auto add = neighbour<pk::ResidualAddOp>(down, -1);
    if (!down.getAccumulate()) {
      if (!add || add.getSrc() != down.getOut() || add.getSrcBase() != down.getOutBase() ||
          add.getRows() != down.getRows() || int64_t(add.getWidth()) != D)
        return rewriter.notifyMatchFailure(swiglu, "the down projection adds into no rows");
      x = add.getX();
      xBase = add.getXBase();
    }
    if (down.getIn() != scratch || down.getInBase() != swiglu.getGateBase() ||
        down.getRounded() || down.getBias() || down.getRows() != swiglu.getRows() ||
        down.getWeights() != gate.getWeights() || int64_t(down.getK()) != F ||
        int64_t(down.getM()) != D)
      return rewriter.notifyMatchFailure(swiglu, "no down projection of SwiGLU's output after it");
    rewriter.setInsertionPoint(gate);
    pk::MlpOp::create(
        rewriter, gate.getLoc(), x, xBase, swiglu.getRows(),
        gate.getWeights(), gate.getWeight(), up.getWeight(), down.getWeight(), scratch,
        gate.getInBase(), swiglu.getGateBase(), swiglu.getUpBase(), gate.getRounded(),
        gate.getRoundedBase(), /*gain=*/Value(), rewriter.getI64IntegerAttr(D),
        rewriter.getI64IntegerAttr(F),
        rewriter.getDenseI64ArrayAttr({int64_t(gate.getWeightAlign()),
                                       int64_t(up.getWeightAlign()),
                                       int64_t(down.getWeightAlign())}),
        /*eps=*/FloatAttr(), /*gain_align=*/IntegerAttr());
    if (!down.getAccumulate())
      rewriter.eraseOp(add);
    for (Operation *op : {gate.getOperation(), up.getOperation(), swiglu.getOperation(),
                          down.getOperation()})
      rewriter.eraseOp(op);
    return success();
  }
};

/// fuse-residual: a `residual_add` right after the projection that writes
/// its source becomes that projection's epilogue (it accumulates into the
/// rows). Not where the projection reads the rows it would add into.
struct FuseResidualAdd : OpRewritePattern<pk::ResidualAddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(pk::ResidualAddOp add, PatternRewriter &rewriter) const override {
    auto m = neighbour<pk::MatmulOp>(add, 1);
    if (!m || m.getAccumulate() || m.getOut() != add.getSrc() ||
        m.getOutBase() != add.getSrcBase() || m.getRows() != add.getRows() ||
        int64_t(m.getM()) != int64_t(add.getWidth()) || m.getIn() == add.getX())
      return rewriter.notifyMatchFailure(add, "no projection of other rows writes its source");
    rewriter.modifyOpInPlace(m, [&] {
      m.getOutMutable().assign(add.getX());
      m.getOutBaseMutable().assign(add.getXBase());
      m.setAccumulate(true);
    });
    rewriter.eraseOp(add);
    return success();
  }
};

/// fuse-bias: a `bias_add` right after the projection that writes its rows
/// becomes that projection's epilogue.
struct FuseBiasAdd : OpRewritePattern<pk::BiasAddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(pk::BiasAddOp add, PatternRewriter &rewriter) const override {
    auto m = neighbour<pk::MatmulOp>(add, 1);
    if (!m || m.getBias() || m.getOut() != add.getOut() || m.getOutBase() != add.getOutBase() ||
        m.getRows() != add.getRows() || m.getWeights() != add.getWeights() ||
        int64_t(m.getM()) != int64_t(add.getWidth()))
      return rewriter.notifyMatchFailure(add, "no projection writes its rows");
    rewriter.modifyOpInPlace(m, [&] {
      m.getBiasMutable().assign(add.getBias());
      m.setBiasAlign(add.getBiasAlign());
    });
    rewriter.eraseOp(add);
    return success();
  }
};

/// Whether `norm` writes the rows (and their bf16 copy) that `op` reads as
/// its normed input: `scratch` rows at `base`, from rows elsewhere, of
/// `width` features, with the op's weight arena. The normed rows are the
/// op's alone (what convert-photon-to-photon-kernel builds): the fused op
/// may leave them unwritten.
template <typename OpTy>
bool normFeeds(pk::RmsNormOp norm, OpTy op, Value base, int64_t width) {
  return norm.getOut() == op.getScratch() && norm.getOutBase() == base &&
         norm.getRounded() == op.getRounded() && norm.getRoundedBase() == op.getRoundedBase() &&
         norm.getIn() != op.getScratch() && norm.getRows() == op.getRows() &&
         norm.getWeights() == op.getWeights() && int64_t(norm.getWidth()) == width;
}

/// fuse-norm into a `qkv`: the `rms_norm` right before it that writes its
/// input becomes its prologue.
struct FuseNormIntoQkv : OpRewritePattern<pk::QkvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(pk::QkvOp qkv, PatternRewriter &rewriter) const override {
    auto norm = neighbour<pk::RmsNormOp>(qkv, 1);
    if (qkv.getGain() || !norm)
      return rewriter.notifyMatchFailure(qkv, "no rms_norm to take");
    pk::LayerShapeAttr shape = qkv.getShape();
    if (qkv.getX() != qkv.getScratch() ||
        !normFeeds(norm, qkv, qkv.getXBase(), shape.getDModel()) ||
        norm.getEps() != shape.getEps())
      return rewriter.notifyMatchFailure(qkv, "the rms_norm does not write its input");
    rewriter.modifyOpInPlace(qkv, [&] {
      qkv.getNormedBaseMutable().assign(qkv.getXBase());
      qkv.getXMutable().assign(norm.getIn());
      qkv.getXBaseMutable().assign(norm.getInBase());
      qkv.getGainMutable().assign(norm.getGain());
      qkv.setGainAlign(norm.getGainAlign());
    });
    rewriter.eraseOp(norm);
    return success();
  }
};

/// fuse-norm into an `mlp`: the `rms_norm` right before it that norms its
/// rows into its normed rows becomes its prologue.
struct FuseNormIntoMlp : OpRewritePattern<pk::MlpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(pk::MlpOp mlp, PatternRewriter &rewriter) const override {
    auto norm = neighbour<pk::RmsNormOp>(mlp, 1);
    if (mlp.getGain() || !norm)
      return rewriter.notifyMatchFailure(mlp, "no rms_norm to take");
    if (!normFeeds(norm, mlp, mlp.getNormedBase(), mlp.getDModel()) ||
        norm.getIn() != mlp.getX() || norm.getInBase() != mlp.getXBase())
      return rewriter.notifyMatchFailure(mlp, "the rms_norm does not norm its rows");
    rewriter.modifyOpInPlace(mlp, [&] {
      mlp.getGainMutable().assign(norm.getGain());
      mlp.setGainAlign(norm.getGainAlign());
      mlp.setEpsAttr(norm.getEpsAttr());
    });
    rewriter.eraseOp(norm);
    return success();
  }
};

struct PhotonKernelFusion : impl::PhotonKernelFusionBase<PhotonKernelFusion> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (fuseQkv)
      patterns.add<FuseQkvProjections>(&getContext());
    if (fuseRopeCache)
      patterns.add<FuseRopeCacheIntoQkv>(&getContext());
    if (fuseGateUp)
      patterns.add<FuseGateUpProjections>(&getContext());
    if (fuseNorm)
      patterns.add<FuseNormIntoQkv, FuseNormIntoMlp>(&getContext());
    if (fuseResidual)
      patterns.add<FuseResidualAdd>(&getContext());
    if (fuseBias)
      patterns.add<FuseBiasAdd>(&getContext());
    // Only the patterns: no folding, constant CSE or region simplification
    // of the host code around the ops.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace
} // namespace mlir::photon
