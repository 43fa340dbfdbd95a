//===- photon-opt.cpp - The photon optimizer driver -----------------------===//
//
// mlir-opt with the photon dialect, photon's passes and pipelines, and the
// upstream dialects and passes its lowering uses.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "dialect/kernel/KernelOps.h"
#include "lowering/Passes.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::photon::registerPhotonPasses();
  mlir::photon::registerPhotonLoweringPasses();
  mlir::photon::registerPhotonPipelines();

  mlir::DialectRegistry registry;
  registry.insert<mlir::photon::PhotonDialect, mlir::photon::kernel::PhotonKernelDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary serializes through these; without them it fails.
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Photon optimizer driver\n", registry));
}
