//===- PhotonOps.h - photon operations --------------------------*- C++ -*-===//
#ifndef PHOTON_DIALECT_PHOTONOPS_H
#define PHOTON_DIALECT_PHOTONOPS_H

#include "dialect/PhotonDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialect/PhotonOps.h.inc"

namespace mlir::photon {
/// The configuration of the model that encloses `op`, or an error at `op`
/// when it is not nested in a `photon.model`.
FailureOr<::photon::ModelConfig> getEnclosingModelConfig(Operation *op);

/// The one `photon.model` of `module`, or an error naming `pass` that says
/// how many there are.
FailureOr<ModelOp> getOnlyModel(ModuleOp module, StringRef pass);
} // namespace mlir::photon

#endif // PHOTON_DIALECT_PHOTONOPS_H
