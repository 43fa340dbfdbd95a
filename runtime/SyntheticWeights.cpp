//===- SyntheticWeights.cpp - Deterministic random model weights ----------===//

#include "runtime/SyntheticWeights.h"
#include "runtime/Random.h"

#include <cassert>
#include <cmath>
#include <string_view>

namespace photon::rt {

static bool startsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
static bool endsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
static bool contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}

SyntheticScale syntheticScale(const TensorSpec &spec) {
  std::string_view name = spec.name;
  const auto &shape = spec.shape;
  auto invSqrt = [](int64_t n) { return n > 0 ? 1.0 / std::sqrt(double(n)) : 1.0; };
  if (startsWith(name, "start_latent."))
    return {0, 1};
  if (name == "lm_head.weight")
    return {0, 3.0 * invSqrt(shape.size() == 2 ? shape[1] : 1)};
  if (contains(name, "embed"))
    return {0, 1};
  if (shape.size() == 1 && contains(name, "norm") && endsWith(name, ".weight"))
    return {1, 0.1};
  if (endsWith(name, ".bias"))
    return {0, 0.1};
  if (shape.size() == 2 && endsWith(name, ".weight"))
    return {0, invSqrt(shape[1])};
  return {0, shape.empty() ? 1.0 : invSqrt(shape.back())};
}

void syntheticFill(const TensorSpec &spec, uint64_t seed, int64_t begin, int64_t end,
                   float *out) {
  assert(begin % 2 == 0 && "a part starts at a Box-Muller pair");
  uint64_t mix = seed ^ fnv1a64(spec.name);
  Rng rng(splitmix64(mix));
  rng.discard(uint64_t(begin)); // one draw per element, in pairs
  SyntheticScale scale = syntheticScale(spec);
  for (int64_t i = begin; i < end; ++i)
    *out++ = static_cast<float>(scale.mean + scale.std * rng.nextNormal());
}

std::vector<float> syntheticTensor(const TensorSpec &spec, uint64_t seed) {
  int64_t n = numElements(spec.shape);
  std::vector<float> out(static_cast<size_t>(n > 0 ? n : 0));
  syntheticFill(spec, seed, 0, int64_t(out.size()), out.data());
  return out;
}

std::vector<SyntheticTensor> syntheticWeights(const std::vector<TensorSpec> &specs,
                                              uint64_t seed) {
  std::vector<SyntheticTensor> out;
  out.reserve(specs.size());
  for (const TensorSpec &spec : specs)
    out.push_back({spec, syntheticTensor(spec, seed)});
  return out;
}

} // namespace photon::rt
