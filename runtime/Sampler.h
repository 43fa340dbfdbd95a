//===- Sampler.h - Sampling parameters and their random stream -*- C++ -*-===//
//
// temperature == 0 (in f32) is greedy: argmax, ties to the lowest id (the spec's rule,
// so greedy output is reproducible across backends), run by the compiled
// `photon_argmax`. Otherwise the compiled `photon_sample` divides the logits
// by the temperature, keeps the top_k largest (0 = all), then the smallest
// top set whose probability reaches top_p (1 = all; at least one token), and
// draws by inverse CDF at a uniform from this seeded, portable stream.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_SAMPLER_H
#define PHOTON_RUNTIME_SAMPLER_H

#include "runtime/Random.h"
#include "runtime/Status.h"

#include <cstdint>

namespace photon::rt {

struct SamplingParams {
  double temperature = 0; // 0 = greedy
  int top_k = 0;          // 0 = off
  double top_p = 1;       // 1 = off
  uint64_t seed = 0;

  /// temperature finite and >= 0, top_p in (0, 1], top_k >= 0.
  Status validate() const;
  /// Also for a temperature that rounds to 0 in the f32 the sampling kernel
  /// takes (below ~7e-46, e.g. 1e-320): dividing by it would give NaN, and
  /// its limit is the argmax anyway.
  bool greedy() const { return float(temperature) == 0; }
};

/// The sampling parameters of a sequence and its seeded stream of uniform
/// draws: the compiled `photon_sample` kernel (lowering/kernels/Vocab.cpp) consumes
/// one draw per sampled token.
class Sampler {
public:
  /// Validates `params` first.
  static Expected<Sampler> create(const SamplingParams &params);

  const SamplingParams &params() const { return params_; }
  /// The next uniform draw in [0, 1).
  float nextUniform();

private:
  explicit Sampler(const SamplingParams &params) : params_(params), rng_(params.seed) {}

  SamplingParams params_;
  Rng rng_;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_SAMPLER_H
