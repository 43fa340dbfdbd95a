//===- ArtifactSchema.h - The artifact manifest, for writer and reader -*- C++ -*-===//
//
// model.json's field names and its program entries, shared by every side
// that writes or reads them: photon-translate --export-manifest writes the
// manifest, convert-photon-programs-to-host embeds the compiled-for part of it in the
// kernel library (photon_description()), and the runtime reads both and
// checks one against the other. Plain C++ and nlohmann-json (header-only).
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_MODEL_ARTIFACTSCHEMA_H
#define PHOTON_MODEL_ARTIFACTSCHEMA_H

#include "model/StatePlan.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace photon {

constexpr const char *kArtifactFormat = "photon-artifact";
/// 5: prefill takes encode_len (teacher-forced scoring).
constexpr int64_t kArtifactVersion = 5;

/// The manifest's fields. The compiled-for part (kVersion, kVocabSize ..
/// kPrograms) is also the kernel library's description.
namespace field {
constexpr const char *kFormat = "format", *kVersion = "version", *kModel = "model",
                     *kKernels = "kernels", *kConfig = "config";
constexpr const char *kVocabSize = "vocab_size", *kActivationType = "activation_type",
                     *kFingerprint = "fingerprint", *kWeights = "weights",
                     *kPrograms = "programs";
// weights
constexpr const char *kDtype = "dtype", *kElements = "elements", *kTensors = "tensors",
                     *kIgnored = "ignored", *kName = "name", *kShape = "shape",
                     *kOffset = "offset";
// programs[i]
constexpr const char *kMode = "mode", *kPrefill = "prefill", *kStep = "step",
                     *kTokensPerStep = "tokens_per_step", *kPrefillTile = "prefill_tile",
                     *kAnalyticPerSeq = "analytic_per_seq",
                     *kAnalyticPerStep = "analytic_per_step", *kRegions = "regions";
// programs[i].regions[k]
constexpr const char *kTile = "tile", *kFixed = "fixed", *kPerSeq = "per_seq",
                     *kFixedPerStep = "fixed_per_step", *kPerStep = "per_step";
} // namespace field

/// A compiled generation program: its entry points and its state plan.
struct ProgramInfo {
  std::string name;
  std::string mode; // "hiergen" or "recgen"
  std::string prefillSymbol, stepSymbol;
  int64_t tokensPerStep = 1; // a meta-context; 1 for vanilla
  int64_t prefillTile = 1;   // most sequences one prefill call takes
  /// Spec §4's bytes per sequence (KV of the kept caches + coarse state)
  /// for t tokens: analyticPerSeq + ceil(t / tokensPerStep) · analyticPerStep.
  int64_t analyticPerSeq = 0, analyticPerStep = 0;
  std::vector<StateRegion> regions;

  bool operator==(const ProgramInfo &o) const;
  bool operator!=(const ProgramInfo &o) const { return !(*this == o); }
};

bool operator==(const StateRegion &a, const StateRegion &b);

nlohmann::ordered_json toJson(const StateRegion &region);
nlohmann::ordered_json toJson(const ProgramInfo &program);

} // namespace photon

#endif // PHOTON_MODEL_ARTIFACTSCHEMA_H
