//===- Sampler.cpp - Sampling parameters and their random stream ----------===//

#include "runtime/Sampler.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace photon::rt {

static std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Status SamplingParams::validate() const {
  if (!(std::isfinite(temperature) && temperature >= 0))
    return Status::error("temperature must be a finite number >= 0 (got " +
                         num(temperature) + "; 0 means greedy)");
  if (top_k < 0)
    return Status::error("top_k must be >= 0 (got " + std::to_string(top_k) +
                         "; 0 means off)");
  if (!(top_p > 0 && top_p <= 1))
    return Status::error("top_p must be in (0, 1] (got " + num(top_p) + "; 1 means off)");
  return Status::success();
}

Expected<Sampler> Sampler::create(const SamplingParams &params) {
  Status s = params.validate();
  if (!s.ok())
    return s.withContext("invalid sampling parameters");
  return Sampler(params);
}

float Sampler::nextUniform() {
  // Rounding to float can reach 1.0; the kernel treats that as the last token.
  return float(rng_.nextDouble());
}

} // namespace photon::rt
