//===- Sampler.cpp - Choosing the next token from logits ------------------===//

#include "runtime/Sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
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

// NaN compares as -inf.
static float key(float v) { return std::isnan(v) ? -std::numeric_limits<float>::infinity() : v; }

int Sampler::argmax(const float *logits, int vocab) {
  if (vocab <= 0)
    return -1;
  int best = 0;
  for (int i = 1; i < vocab; ++i)
    if (key(logits[i]) > key(logits[best])) // strict: ties keep the lower id
      best = i;
  return best;
}

int Sampler::sample(const float *logits, int vocab) {
  if (vocab <= 0)
    return -1;
  float maxKey = key(logits[argmax(logits, vocab)]);
  // Greedy, and the cases where exp() below is meaningless (every logit -inf
  // or NaN, or some +inf: all the mass sits on the maximum).
  if (params_.greedy() || !std::isfinite(maxKey))
    return argmax(logits, vocab);

  ids_.resize(static_cast<size_t>(vocab));
  for (int i = 0; i < vocab; ++i)
    ids_[static_cast<size_t>(i)] = i;
  auto byLogitThenId = [&](int a, int b) {
    float ka = key(logits[a]), kb = key(logits[b]);
    return ka != kb ? ka > kb : a < b;
  };
  bool topK = params_.top_k > 0 && params_.top_k < vocab;
  bool topP = params_.top_p < 1;
  if (topK) {
    std::partial_sort(ids_.begin(), ids_.begin() + params_.top_k, ids_.end(), byLogitThenId);
    ids_.resize(static_cast<size_t>(params_.top_k));
  } else if (topP) {
    std::sort(ids_.begin(), ids_.end(), byLogitThenId);
  }

  weights_.resize(ids_.size());
  double total = 0;
  for (size_t i = 0; i < ids_.size(); ++i) {
    weights_[i] = std::exp((double(key(logits[ids_[i]])) - maxKey) / params_.temperature);
    total += weights_[i];
  }

  size_t kept = ids_.size();
  if (topP) { // ids_ is sorted by decreasing probability here
    double target = params_.top_p * total, cum = 0;
    for (kept = 0; kept < ids_.size();) {
      cum += weights_[kept++];
      if (cum >= target)
        break;
    }
    total = cum;
  }

  double u = rng_.nextDouble() * total, acc = 0;
  for (size_t i = 0; i < kept; ++i) {
    acc += weights_[i];
    if (u < acc)
      return ids_[i];
  }
  // Rounding left u at the very top: take the last kept token of nonzero weight.
  for (size_t i = kept; i-- > 0;)
    if (weights_[i] > 0)
      return ids_[i];
  return ids_[0];
}

} // namespace photon::rt
