//===- Pipelines.cpp - Named pass pipelines of photon-opt -----------------===//

#include "lowering/Passes.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::photon::registerPhotonPipelines() {
  PassPipelineRegistration<>(
      "photon-to-llvm",
      "Lower a photon model to LLVM IR for the host CPU: plan memory, emit "
      "kernels, lower loops, memrefs, math and functions to the LLVM dialect",
      [](OpPassManager &pm) {
        pm.addPass(createPhotonPlanMemory());
        pm.addPass(createPhotonLowerToKernels());
        pm.addPass(createCanonicalizerPass());
        pm.addPass(createCSEPass());
        pm.addPass(createSCFToControlFlowPass());
        pm.addPass(createConvertMathToLLVMPass());
        pm.addPass(memref::createExpandStridedMetadataPass());
        pm.addPass(createFinalizeMemRefToLLVMConversionPass());
        pm.addPass(createArithToLLVMConversionPass());
        pm.addPass(createConvertIndexToLLVMPass());
        pm.addPass(createConvertFuncToLLVMPass());
        pm.addPass(createConvertControlFlowToLLVMPass());
        pm.addPass(createReconcileUnrealizedCastsPass());
      });
}
