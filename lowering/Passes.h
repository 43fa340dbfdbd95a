//===- Passes.h - Conversions out of the photon dialect ---------*- C++ -*-===//
#ifndef PHOTON_LOWERING_PASSES_H
#define PHOTON_LOWERING_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::photon {
/// Where photon-lower-to-kernels and photon-lower-programs put their work
/// (the passes' `target` option).
enum class KernelTarget { CPU, GPU };
/// The tensor-core GEMM of photon-lower-to-kernels (tensor-core-kernel).
enum class TensorCoreKernel { Tile128, Tile128x128, Tile128x64, Tile64 };
/// Which projections round f32 inputs to bf16 (matmul-input-rounding).
enum class MatmulInputRounding { None, Gemm, All };

#define GEN_PASS_DECL
#include "lowering/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "lowering/Passes.h.inc"

/// Registers the named pipelines (photon-to-llvm, ...).
void registerPhotonPipelines();
} // namespace mlir::photon

#endif // PHOTON_LOWERING_PASSES_H
