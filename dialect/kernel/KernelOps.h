//===- KernelOps.h - The photon_kernel dialect ------------------*- C++ -*-===//
//
// Kernel-level ops over flat buffers, one per kernel family (KernelOps.td).
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_DIALECT_KERNEL_KERNELOPS_H
#define PHOTON_DIALECT_KERNEL_KERNELOPS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/kernel/KernelDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/kernel/KernelAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialect/kernel/KernelOps.h.inc"

#endif // PHOTON_DIALECT_KERNEL_KERNELOPS_H
