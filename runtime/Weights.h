//===- Weights.h - The weight arena of an artifact -------------*- C++ -*-===//
//
// The compiled kernels read every weight from one arena: `elements` values of
// the manifest's dtype, tensor t at element offset t.offset (runtime/
// Artifact.h). These functions build that arena on the host, from a
// safetensors file (f32, bf16 or f16; converted to the arena's dtype) or from
// seeded synthetic values (runtime/SyntheticWeights.h). The executor copies it
// to the device.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_WEIGHTS_H
#define PHOTON_RUNTIME_WEIGHTS_H

#include "runtime/Artifact.h"
#include "runtime/Safetensors.h"
#include "runtime/Status.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace photon::rt {

class WeightArena {
public:
  WeightArena() = default;
  /// A zero-filled arena of `elements` values of `dtype`.
  WeightArena(DType dtype, int64_t elements);

  DType dtype() const { return dtype_; }
  int64_t elements() const { return elements_; }
  size_t bytes() const { return data_.size(); }
  const uint8_t *data() const { return data_.data(); }
  uint8_t *data() { return data_.data(); }

  /// Stores `n` f32 values at element `offset`, converted to the dtype.
  void store(int64_t offset, const float *values, int64_t n);
  /// Reads `n` values at element `offset` as f32.
  void load(int64_t offset, float *values, int64_t n) const;

private:
  DType dtype_ = DType::F32;
  int64_t elements_ = 0;
  std::vector<uint8_t> data_;
};

/// Names in a weights file that are accepted and not loaded: HF rotary
/// buffers, and `lm_head.weight` when the model ties it to the embedding.
std::vector<std::string> ignoredWeightNames(const Manifest &manifest);

/// Builds the arena from safetensors weights: a file, a directory as HF's
/// save_pretrained writes it (model.safetensors, or shards listed by
/// model.safetensors.index.json), or such an index file. Together the files
/// must hold exactly the manifest's tensors with the manifest's shapes
/// (ignoring ignoredWeightNames), each once and in the shard the index names;
/// otherwise one error lists every missing, unexpected or mis-shaped tensor.
/// Called while an arena fills: (bytes done, bytes in all).
using LoadProgress = std::function<void(size_t done, size_t total)>;

Expected<WeightArena> loadWeights(const Manifest &manifest, const std::string &path,
                                  const LoadProgress &progress = {});

/// The arena of seeded synthetic weights (runtime/SyntheticWeights.h),
/// filled on all cores.
WeightArena syntheticArena(const Manifest &manifest, uint64_t seed,
                           const LoadProgress &progress = {});

} // namespace photon::rt

#endif // PHOTON_RUNTIME_WEIGHTS_H
