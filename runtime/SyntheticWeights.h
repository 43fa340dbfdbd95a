//===- SyntheticWeights.h - Deterministic random model weights -*- C++ -*-===//
//
// Synthetic weights for tests, benchmarks and `--synthetic` runs: the same
// (spec, seed) gives the same bytes on every machine and standard library
// (runtime/Random.h; no std::normal_distribution).
//
// Each tensor has its own stream, seeded from splitmix64(seed ^ fnv1a64(name)),
// so adding or removing a tensor never changes the others. Values are
// N(0, 1) draws (Box-Muller) scaled by the first rule that matches the name:
//
//   start_latent.*                     N(0, 1)
//   lm_head.weight                     std 3 / sqrt(D), D = shape[1]
//   *embed*                            N(0, 1)                (embeddings)
//   *norm*.weight, 1-D                 1 + 0.1 * N(0, 1)      (RMSNorm gains)
//   *.bias                             0.1 * N(0, 1)
//   *.weight, 2-D [out, in]            std 1 / sqrt(in)       (Linear layers)
//   anything else                      std 1 / sqrt(last dim) (1 for a scalar)
//
// The Linear scale keeps activations O(1) through the layers, and the LM-head
// scale keeps logits well separated so greedy argmax is stable in tests.
// Box-Muller uses std::log/sqrt/cos/sin in double precision and rounds to
// float once; libms that are not correctly rounded could in principle differ
// in the last double bit, which almost never survives the rounding to float.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_SYNTHETICWEIGHTS_H
#define PHOTON_RUNTIME_SYNTHETICWEIGHTS_H

#include "runtime/Safetensors.h"

#include <cstdint>
#include <vector>

namespace photon::rt {

/// A generated tensor: its spec and numElements(spec.shape) floats.
struct SyntheticTensor {
  TensorSpec spec;
  std::vector<float> data;
};

/// How a tensor's values are drawn: mean + std * N(0, 1).
struct SyntheticScale {
  double mean = 0;
  double std = 1;
};
SyntheticScale syntheticScale(const TensorSpec &spec);

/// The values of one tensor.
std::vector<float> syntheticTensor(const TensorSpec &spec, uint64_t seed);

/// Values [begin, end) of the tensor, the same as those elements of
/// syntheticTensor, into out[0 .. end-begin). `begin` must be even (normals
/// come in Box-Muller pairs, two draws per pair): the stream jumps ahead to
/// it, so that threads fill one tensor's parts independently.
void syntheticFill(const TensorSpec &spec, uint64_t seed, int64_t begin, int64_t end,
                   float *out);

/// Every tensor of `specs`, in order.
std::vector<SyntheticTensor> syntheticWeights(const std::vector<TensorSpec> &specs,
                                              uint64_t seed);

} // namespace photon::rt

#endif // PHOTON_RUNTIME_SYNTHETICWEIGHTS_H
