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

namespace mlir::photon::kernel {
class PhotonKernelDialect;
} // namespace mlir::photon::kernel

namespace mlir::photon {
/// Where convert-photon-programs-to-host puts its work (its `target` option).
enum class KernelTarget { CPU, GPU };
/// The tensor-core GEMM of convert-photon-kernel-to-gpu (tensor-core-kernel).
enum class TensorCoreKernel { Tile128, Tile128x128, Tile128x64, Tile64 };
/// Which projections round f32 inputs to bf16 (matmul-input-rounding).
enum class MatmulInputRounding { None, Gemm, TensorCores, All };
/// Which kernels let their successor be scheduled before they wait for the
/// previous kernel (photon-to-nvvm's early-trigger).
enum class EarlyTrigger { None, Gemv, All };

/// The values of the enum options, shared by the passes (Passes.td) and the
/// pipelines that forward them.
inline ::llvm::cl::ValuesClass kernelTargetValues() {
  return ::llvm::cl::values(clEnumValN(KernelTarget::CPU, "cpu", "scf.parallel loops"),
                            clEnumValN(KernelTarget::GPU, "gpu", "gpu.launch kernels"));
}
inline ::llvm::cl::ValuesClass tensorCoreKernelValues() {
  return ::llvm::cl::values(
      clEnumValN(TensorCoreKernel::Tile128, "tile128",
                 "128-row tiles, 128 or 64 outputs wide by projection"),
      clEnumValN(TensorCoreKernel::Tile128x128, "tile128x128", "128 x 128 tiles"),
      clEnumValN(TensorCoreKernel::Tile128x64, "tile128x64", "128 x 64 tiles"),
      clEnumValN(TensorCoreKernel::Tile64, "tile64", "the earlier 64 x 64 tiles"));
}
inline ::llvm::cl::ValuesClass matmulInputRoundingValues() {
  return ::llvm::cl::values(
      clEnumValN(MatmulInputRounding::None, "none",
                 "no projection rounds (hi + lo on tensor cores)"),
      clEnumValN(MatmulInputRounding::Gemm, "gemm",
                 "the wide projections on tensor cores read bf16"),
      clEnumValN(MatmulInputRounding::TensorCores, "tensor-cores",
                 "every projection on tensor cores reads bf16: the GEMMs and the 2-16-row "
                 "GEMVs (their fused norm stays fused)"),
      clEnumValN(MatmulInputRounding::All, "all", "every projection rounds, on every target"));
}

inline ::llvm::cl::ValuesClass earlyTriggerValues() {
  return ::llvm::cl::values(
      clEnumValN(EarlyTrigger::None, "none", "every kernel after its wait"),
      clEnumValN(EarlyTrigger::Gemv, "gemv", "the decode GEMVs at their start"),
      clEnumValN(EarlyTrigger::All, "all",
                 "every kernel at its start (but those that trigger at their end)"));
}

#define GEN_PASS_DECL
#include "lowering/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "lowering/Passes.h.inc"

/// The stack whose rows the LM head reads, in a model of `levels` levels:
/// vanilla's, else Dec_1. With lm-head-norm its final norm is the LM head's.
inline std::string lmHeadStack(int64_t levels) { return levels == 0 ? "model" : "decoder.1"; }

/// lm-head-norm as the GPU pipeline compiles it: off with group-stack-calls,
/// which pairs Dec_1's stack calls with Dec_L's, and they share one stack
/// function only where Dec_1 keeps its final norm.
inline bool lmHeadNormCompiled(bool lmHeadNorm, bool groupStackCalls) {
  return lmHeadNorm && !groupStackCalls;
}

/// gemv-split-attention as the GPU pipeline compiles it: off with
/// group-stack-calls, whose pairs of calls run the output projection's GEMV
/// of the larger call's rows while each call's attention decides alone
/// whether to write its rows split.
inline bool gemvSplitAttentionCompiled(bool split, bool groupStackCalls) {
  return split && !groupStackCalls;
}

/// Registers the named pipelines (photon-to-llvm, ...).
void registerPhotonPipelines();
} // namespace mlir::photon

#endif // PHOTON_LOWERING_PASSES_H
