//===- PhotonDialect.h - The photon dialect ---------------------*- C++ -*-===//
//
// Attributes, types and the dialect class. Ops are in PhotonOps.h.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_DIALECT_PHOTONDIALECT_H
#define PHOTON_DIALECT_PHOTONDIALECT_H

#include "model/ModelConfig.h"
#include "model/StatePlan.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialect/PhotonDialect.h.inc"
#include "dialect/PhotonEnums.h.inc"

namespace mlir::photon {
// Custom parameter parsers and printers used by the generated attribute code.
FailureOr<SmallVector<int64_t>> parseIntList(AsmParser &parser);
void printIntList(AsmPrinter &printer, ArrayRef<int64_t> values);
FailureOr<llvm::APFloat> parseF64(AsmParser &parser);
void printF64(AsmPrinter &printer, const llvm::APFloat &value);
} // namespace mlir::photon

#define GET_ATTRDEF_CLASSES
#include "dialect/PhotonAttrs.h.inc"

namespace mlir::photon {
FailureOr<SmallVector<StateRegionAttr>> parseRegionList(AsmParser &parser);
void printRegionList(AsmPrinter &printer, ArrayRef<StateRegionAttr> regions);
} // namespace mlir::photon
#define GET_TYPEDEF_CLASSES
#include "dialect/PhotonTypes.h.inc"

#endif // PHOTON_DIALECT_PHOTONDIALECT_H
