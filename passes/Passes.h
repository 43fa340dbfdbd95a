//===- Passes.h - photon -> photon transformations --------------*- C++ -*-===//
#ifndef PHOTON_PASSES_PASSES_H
#define PHOTON_PASSES_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::photon {
/// The element type of activations between kernels (photon-plan-memory's
/// activation-type).
enum class ActivationType { F32, BF16 };
/// activation-type's values (photon-plan-memory and the pipelines).
inline ::llvm::cl::ValuesClass activationTypeValues() {
  return ::llvm::cl::values(clEnumValN(ActivationType::F32, "f32", "f32"),
                            clEnumValN(ActivationType::BF16, "bf16", "bf16"));
}

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace mlir::photon

#endif // PHOTON_PASSES_PASSES_H
