//===- KernelPatterns.h - photon_kernel ops to loops or GPU kernels -*- C++ -*-===//
//
// The conversion patterns of convert-photon-kernel-to-gpu and -to-scf: one
// OpConversionPattern per photon_kernel op, defined in its family's file
// with that family's populate function.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_LOWERING_KERNELS_KERNELPATTERNS_H
#define PHOTON_LOWERING_KERNELS_KERNELPATTERNS_H

#include "lowering/kernels/KernelEmitter.h"

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::photon {

/// Lowers one photon_kernel op: `lower` builds its kernels (or host loops)
/// in front of it with a KernelEmitter for the op's widths and element
/// types, then the op is erased.
template <typename OpTy>
struct KernelOpLowering : OpConversionPattern<OpTy> {
  KernelOpLowering(MLIRContext *ctx, const KernelLoweringOptions &options)
      : OpConversionPattern<OpTy>(ctx), options(options) {}

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor,
                                ConversionPatternRewriter &rewriter) const final {
    rewriter.setInsertionPoint(op);
    Builder b(op.getLoc(), rewriter);
    lower(b, op);
    rewriter.eraseOp(op);
    return success();
  }

  /// Builds `op`'s work at `b`.
  virtual void lower(Builder &b, OpTy op) const = 0;

  /// An emitter for widths `dims`, the element types of the weights and
  /// activations, and the op's weight arena `weights` (if it reads one).
  KernelEmitter emitter(OpTy op, const KernelDims &dims, Type weightElt, Type actElt,
                        Value weights = {}) const {
    KernelEmitter e(dims, weightElt, actElt, options, op.getLoc());
    e.weights = weights;
    return e;
  }

  const KernelLoweringOptions options;
};

/// The element type of a flat buffer.
inline Type elementTypeOf(Value buffer) {
  return cast<MemRefType>(buffer.getType()).getElementType();
}

/// One populate function per kernel family (the file named in KernelEmitter.h).
void populateEmbedPatterns(RewritePatternSet &patterns, const KernelLoweringOptions &options);
void populateProjectionPatterns(RewritePatternSet &patterns,
                                const KernelLoweringOptions &options);
void populateNormPatterns(RewritePatternSet &patterns, const KernelLoweringOptions &options);
void populateAttentionPatterns(RewritePatternSet &patterns,
                               const KernelLoweringOptions &options);
void populateVocabPatterns(RewritePatternSet &patterns, const KernelLoweringOptions &options);

/// Marks (kSplitForGemv) each attention op with bf16 activations, and the op
/// right after it where that op, the output projection, reads its output:
/// for the rows its GEMV reads on tensor cores with split inputs
/// (gemvSplitInputRows), attention then writes them split
/// (gemv-split-attention). Run by the GPU conversion before its patterns.
void markSplitAttentionOutputs(ModuleOp module, const KernelLoweringOptions &options);
inline constexpr llvm::StringLiteral kSplitForGemv = "photon.split_for_gemv";

/// All of them: what both conversions apply.
void populatePhotonKernelLoweringPatterns(RewritePatternSet &patterns,
                                          const KernelLoweringOptions &options);

} // namespace mlir::photon

#endif // PHOTON_LOWERING_KERNELS_KERNELPATTERNS_H
