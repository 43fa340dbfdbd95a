//===- StatePlan.cpp - The state arena of a compiled program --------------===//

#include "model/StatePlan.h"

#include <algorithm>

namespace photon {
namespace {
bool mulAdd(int64_t &acc, int64_t a, int64_t b) {
  int64_t p;
  return !__builtin_mul_overflow(a, b, &p) && !__builtin_add_overflow(acc, p, &acc);
}
} // namespace

std::optional<int64_t> StateRegion::bytes(int64_t batch, int64_t steps) const {
  int64_t n = tile > 0 ? std::min(batch, tile) : batch;
  int64_t perStepBytes = fixedPerStep, total = fixed;
  if (!mulAdd(perStepBytes, n, perStep) || !mulAdd(total, n, perSeq) ||
      !mulAdd(total, steps, perStepBytes))
    return std::nullopt;
  return total;
}

int64_t planSteps(int64_t maxTokens, int64_t tokensPerStep) {
  return (maxTokens + tokensPerStep - 1) / tokensPerStep + 1;
}

std::optional<StateLayout> layoutState(const std::vector<StateRegion> &regions,
                                       int64_t batch, int64_t steps) {
  StateLayout layout;
  int64_t at = 0;
  for (const StateRegion &r : regions) {
    std::optional<int64_t> size = r.bytes(batch, steps);
    if (!size || at > INT64_MAX - *size - kRegionAlignment)
      return std::nullopt;
    at = (at + kRegionAlignment - 1) / kRegionAlignment * kRegionAlignment;
    layout.offsets.push_back(at);
    at += *size;
  }
  layout.totalBytes = at;
  return layout;
}

} // namespace photon
