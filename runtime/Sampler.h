//===- Sampler.h - Choosing the next token from logits ---------*- C++ -*-===//
//
// temperature == 0 is greedy: argmax, ties to the lowest id (the spec's rule,
// so greedy output is reproducible across backends). Otherwise, in order:
// divide the logits by the temperature, keep the top_k largest (0 = all),
// keep the smallest prefix (by decreasing probability, ties by lower id) whose
// probability reaches top_p (1 = all; always at least one token), then draw
// from the renormalized distribution with a seeded, portable RNG. NaN logits
// count as -inf.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_SAMPLER_H
#define PHOTON_RUNTIME_SAMPLER_H

#include "runtime/Random.h"
#include "runtime/Status.h"

#include <cstdint>
#include <vector>

namespace photon::rt {

struct SamplingParams {
  double temperature = 0; // 0 = greedy
  int top_k = 0;          // 0 = off
  double top_p = 1;       // 1 = off
  uint64_t seed = 0;

  /// temperature finite and >= 0, top_p in (0, 1], top_k >= 0.
  Status validate() const;
  bool greedy() const { return temperature == 0; }
};

class Sampler {
public:
  /// Validates `params` first.
  static Expected<Sampler> create(const SamplingParams &params);

  /// The chosen token id in [0, vocab); -1 when vocab <= 0.
  int sample(const float *logits, int vocab);

  /// Argmax with ties to the lowest id (NaN never wins unless all are NaN,
  /// then 0); -1 when vocab <= 0.
  static int argmax(const float *logits, int vocab);

  const SamplingParams &params() const { return params_; }
  /// The next uniform draw in [0, 1) of this sampler's seeded stream (the
  /// compiled sampling kernel consumes one per token).
  float nextUniform() { return float(rng_.nextDouble()); }

private:
  explicit Sampler(const SamplingParams &params) : params_(params), rng_(params.seed) {}

  SamplingParams params_;
  Rng rng_;
  std::vector<int> ids_;         // scratch: candidate ids
  std::vector<double> weights_;  // scratch: their unnormalized probabilities
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_SAMPLER_H
