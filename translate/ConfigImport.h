//===- ConfigImport.h - config.json to photon IR ----------------*- C++ -*-===//
//
// Imports an HF-style config.json (spec §1 fields, or a plain HF LlamaConfig
// for vanilla) and builds the photon.model that describes it: the config
// attribute, typed weight parameters, the forward graph and the generation
// programs. Errors are diagnostics located at the offending JSON field.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_TRANSLATE_CONFIGIMPORT_H
#define PHOTON_TRANSLATE_CONFIGIMPORT_H

#include "model/ModelConfig.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::photon {

/// Parses and validates the JSON in `buffer`; emits diagnostics (located at
/// the field) and returns failure on any problem.
FailureOr<::photon::ModelConfig> parseModelConfig(llvm::StringRef buffer,
                                                  llvm::StringRef filename,
                                                  MLIRContext *ctx);

/// Builds a module holding one photon.model for `config`, whose weights have
/// element type `weightType` (f32, bf16 or f16).
OwningOpRef<ModuleOp> buildModelModule(const ::photon::ModelConfig &config,
                                       llvm::StringRef name, Type weightType,
                                       Location loc);

/// Registers the `--import-config` translation (config.json -> photon IR).
void registerConfigImportTranslation();

/// Registers `--export-manifest` (planned photon IR -> runtime manifest JSON).
void registerManifestExportTranslation();

} // namespace mlir::photon

#endif // PHOTON_TRANSLATE_CONFIGIMPORT_H
