//===- ArtifactDescription.h - What a compiled model was built for -*- C++ -*-===//
//
// The part of an artifact's manifest that the compiled code depends on
// (model/ArtifactSchema.h): the vocabulary, the activation type, the weight
// arena's element type and size, the plan's fingerprint, and every program's
// entry points and state plan. photon-translate --export-manifest writes it
// into model.json, and convert-photon-programs-to-host embeds the same JSON in the
// kernel library (`photon_description()`), so the runtime can check an
// (untrusted) manifest against what the library was really compiled for.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_PASSES_ARTIFACTDESCRIPTION_H
#define PHOTON_PASSES_ARTIFACTDESCRIPTION_H

#include "dialect/PhotonOps.h"
#include "model/ArtifactSchema.h"

namespace mlir::photon {

/// "f32", "bf16" or "f16".
std::string elementTypeName(Type type);

/// The description of a planned model (photon-plan-memory has run); fails
/// with a diagnostic when a plan is missing.
FailureOr<nlohmann::ordered_json> describeCompiledModel(ModelOp model);

} // namespace mlir::photon

#endif // PHOTON_PASSES_ARTIFACTDESCRIPTION_H
