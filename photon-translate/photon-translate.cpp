//===- photon-translate.cpp - Translations into and out of photon IR -------===//
//
//   photon-translate --import-config examples/tiny-photon-l2.json -o tiny.mlir
//
//===----------------------------------------------------------------------===//

#include "import/ConfigImport.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::photon::registerConfigImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "Photon translation driver\n"));
}
