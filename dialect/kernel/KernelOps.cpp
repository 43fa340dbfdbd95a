//===- KernelOps.cpp - The photon_kernel dialect --------------------------===//

#include "dialect/kernel/KernelOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::photon::kernel;

#include "dialect/kernel/KernelDialect.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialect/kernel/KernelAttrs.cpp.inc"
#define GET_OP_CLASSES
#include "dialect/kernel/KernelOps.cpp.inc"

void PhotonKernelDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/kernel/KernelAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialect/kernel/KernelOps.cpp.inc"
      >();
}

LogicalResult LayerShapeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     int64_t dModel, int64_t heads, int64_t kvHeads,
                                     int64_t ffn, llvm::APFloat eps,
                                     llvm::APFloat ropeTheta) {
  if (dModel <= 0 || heads <= 0 || kvHeads <= 0 || ffn <= 0)
    return emitError() << "widths must be positive";
  if (dModel % heads != 0)
    return emitError() << "d_model " << dModel << " is not a multiple of heads " << heads;
  if (heads % kvHeads != 0)
    return emitError() << "heads " << heads << " is not a multiple of kv_heads " << kvHeads;
  if ((dModel / heads) % 2 != 0)
    return emitError() << "head_dim " << dModel / heads << " is odd (RoPE rotates pairs)";
  if (eps.isNegative() || eps.isNaN())
    return emitError() << "eps must not be negative";
  if (!ropeTheta.isNormal() || ropeTheta.isNegative())
    return emitError() << "rope_theta must be positive";
  return success();
}

/// Alignments are powers of two (what divides a weight's offset).
static LogicalResult verifyPowersOfTwo(Operation *op, StringRef name, ArrayRef<int64_t> aligns) {
  for (int64_t a : aligns)
    if (a <= 0 || !llvm::isPowerOf2_64(a))
      return op->emitOpError() << name << " must be powers of two, got " << a;
  return success();
}

/// `expected` alignments, powers of two.
static LogicalResult verifyAligns(Operation *op, StringRef name, ArrayRef<int64_t> aligns,
                                  size_t expected) {
  if (aligns.size() != expected)
    return op->emitOpError() << "expects " << expected << " " << name << ", got "
                             << aligns.size();
  return verifyPowersOfTwo(op, name, aligns);
}

/// A bf16 copy and its base go together.
static LogicalResult verifyRounded(Operation *op, Value rounded, Value base) {
  if (bool(rounded) != bool(base))
    return op->emitOpError("rounded needs its base");
  return success();
}

/// `next` weights come with one element count and one alignment each.
static LogicalResult verifyNext(Operation *op, size_t count, ArrayRef<int64_t> elements,
                                ArrayRef<int64_t> aligns) {
  if (elements.size() != count)
    return op->emitOpError() << "has " << count << " next weights but "
                             << elements.size() << " next_elements";
  if (llvm::any_of(elements, [](int64_t e) { return e <= 0; }))
    return op->emitOpError() << "next_elements must be positive";
  return verifyAligns(op, "next_aligns", aligns, count);
}

LogicalResult RmsNormOp::verify() {
  if (failed(verifyRounded(*this, getRounded(), getRoundedBase())))
    return failure();
  if (getEps().isNegative() || getEps().isNaN())
    return emitOpError("eps must not be negative");
  return verifyAligns(*this, "gain_align", {int64_t(getGainAlign())}, 1);
}

LogicalResult MatmulOp::verify() {
  if (failed(verifyRounded(*this, getRounded(), getRoundedBase())))
    return failure();
  if (bool(getBias()) != getBiasAlign().has_value())
    return emitOpError("bias and bias_align go together");
  SmallVector<int64_t, 2> aligns{int64_t(getWeightAlign())};
  if (std::optional<uint64_t> a = getBiasAlign())
    aligns.push_back(int64_t(*a));
  if (failed(verifyPowersOfTwo(*this, "alignments", aligns)))
    return failure();
  const bool norm = bool(getGain());
  if (norm != bool(getNormed()) || norm != bool(getNormedBase()) || norm != getEps().has_value() ||
      norm != getGainAlign().has_value())
    return emitOpError("norm, its normed rows, eps and gain_align go together");
  if (norm && (getAccumulate() || getBias() || getRounded()))
    return emitOpError("a norm in front excludes accumulate, bias and rounded");
  if (std::optional<uint64_t> a = getGainAlign())
    if (failed(verifyPowersOfTwo(*this, "gain_align", {int64_t(*a)})))
      return failure();
  return verifyNext(*this, getNext().size(), getNextElements(), getNextAligns());
}

LogicalResult BiasAddOp::verify() {
  return verifyAligns(*this, "bias_align", {int64_t(getBiasAlign())}, 1);
}

LogicalResult QkvOp::verify() {
  if (failed(verifyRounded(*this, getRounded(), getRoundedBase())) ||
      failed(verifyAligns(*this, "weight_aligns", getWeightAligns(), 3)))
    return failure();
  if (bool(getGain()) != getGainAlign().has_value() || bool(getGain()) != bool(getNormedBase()))
    return emitOpError("norm, its normed_base and gain_align go together");
  if (std::optional<uint64_t> a = getGainAlign())
    if (failed(verifyPowersOfTwo(*this, "gain_align", {int64_t(*a)})))
      return failure();
  const bool ropeOperands = getPos() && getSeq() && getKCache() && getVCache() && getLayer() &&
                           getCapacity();
  if (hasRopeCache() != ropeOperands || (!hasRopeCache() && getPos()))
    return emitOpError("pos, seq, the caches, layer and capacity go together");
  if (hasRopeCache() != getLayers().has_value())
    return emitOpError("caches and layers go together");
  if (hasRopeCache() && getKCache().getType() != getVCache().getType())
    return emitOpError("K and V caches must have one type");
  return verifyNext(*this, getNext().size(), getNextElements(), getNextAligns());
}

LogicalResult AttentionOp::verify() {
  return verifyRounded(*this, getRounded(), getRoundedBase());
}

LogicalResult MlpOp::verify() {
  if (failed(verifyRounded(*this, getRounded(), getRoundedBase())) ||
      failed(verifyAligns(*this, "weight_aligns", getWeightAligns(), 3)))
    return failure();
  if (bool(getGain()) != getGainAlign().has_value() || bool(getGain()) != getEps().has_value())
    return emitOpError("norm, gain_align and eps go together");
  if (std::optional<llvm::APFloat> eps = getEps())
    if (eps->isNegative() || eps->isNaN())
      return emitOpError("eps must not be negative");
  if (std::optional<uint64_t> a = getGainAlign())
    return verifyPowersOfTwo(*this, "gain_align", {int64_t(*a)});
  return success();
}
