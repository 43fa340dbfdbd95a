//===- photon-translate.cpp - Translations into and out of photon IR -------===//
//
//   photon-translate --import-config examples/tiny-photon-l2.json -o tiny.mlir
//   photon-translate --export-manifest planned.mlir -o model.json
//   photon-translate --mlir-to-llvmir kernels.mlir -o kernels.ll
//
//===----------------------------------------------------------------------===//

#include "translate/ConfigImport.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::registerToLLVMIRTranslation();
  mlir::photon::registerConfigImportTranslation();
  mlir::photon::registerManifestExportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "Photon translation driver\n"));
}
