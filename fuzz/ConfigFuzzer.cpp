//===- ConfigFuzzer.cpp - libFuzzer target: config.json import ------------===//
//
// config.json -> ModelConfig (parseModelConfig) -> photon IR
// (buildModelModule) -> verifier, as `photon-translate --import-config` does.
// A config the importer accepts must yield IR that verifies: a verifier
// failure after a successful parse is a bug (the importer let through a
// config the dialect rejects) and aborts.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonDialect.h"
#include "translate/ConfigImport.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;

// LLVM's BumpPtrAllocator poisons its slabs when the including code is built
// with ASan (LLVM_ADDRESS_SANITIZER_BUILD); libMLIR.so is not, so its inline
// allocations would write into memory our instrumented copy poisoned: false
// use-after-poison reports. Ignoring manual poisoning keeps the real checks.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static MLIRContext *ctx = [] {
    auto *c = new MLIRContext();
    c->getOrLoadDialect<mlir::photon::PhotonDialect>();
    return c;
  }();
  bool parsed = false;
  std::string lastError;
  ScopedDiagnosticHandler quiet(ctx, [&](Diagnostic &d) {
    if (parsed)
      lastError = d.str();
    return success();
  });
  StringRef text(reinterpret_cast<const char *>(data), size);
  FailureOr<::photon::ModelConfig> config =
      mlir::photon::parseModelConfig(text, "fuzz.json", ctx);
  if (failed(config))
    return 0;
  // Huge but valid models are legal; building their IR only costs time
  // (layers x ops), not insight. Keep each input fast.
  if (config->weights().size() > 1024)
    return 0;
  parsed = true;
  Location loc = FileLineColLoc::get(ctx, "fuzz.json", 1, 1);
  OwningOpRef<ModuleOp> module =
      mlir::photon::buildModelModule(*config, "fuzz", Float32Type::get(ctx), loc);
  if (!module || failed(verify(*module))) {
    std::fprintf(stderr, "ConfigFuzzer: accepted config does not verify: %s\n",
                 lastError.c_str());
    std::abort();
  }
  return 0;
}
