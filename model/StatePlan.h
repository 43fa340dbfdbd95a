//===- StatePlan.h - The state arena of a compiled program ------*- C++ -*-===//
//
// A compiled generation program (prefill + decode step) keeps all of its
// state — KV caches, coarse state, carries, token history, scratch — in one
// byte arena that the runtime allocates and never looks into. The compiler
// (photon-plan-memory) describes the arena as a list of regions; each
// region's size is a function of the batch and of the number of decode steps
// the caches must hold:
//
//   n     = tile ? min(batch, tile) : batch        (tiled regions serve one
//                                                   tile of sequences at a time)
//   steps = ceil(max_tokens / tokens_per_step) + 1 (one spare step: sequences
//                                                   of a ragged batch step in
//                                                   lockstep)
//   bytes = fixed + n·per_seq + steps·(fixed_per_step + n·per_step)
//
// Regions are laid out in order, each starting on a kRegionAlignment
// boundary. The compiled code computes the same offsets from the same
// numbers; this header is the one definition both sides share (plain C++,
// linked by the compiler and by the MLIR-free runtime).
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_MODEL_STATEPLAN_H
#define PHOTON_MODEL_STATEPLAN_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace photon {

/// Every region starts on this many bytes (cp.async and vector loads need 16;
/// 256 keeps regions on separate cache lines and DRAM bursts).
constexpr int64_t kRegionAlignment = 256;

struct StateRegion {
  std::string name;
  int64_t tile = 0; // 0: one copy per sequence of the whole batch
  int64_t fixed = 0, perSeq = 0, fixedPerStep = 0, perStep = 0;

  /// Bytes for `batch` sequences and `steps` planned steps; nullopt on
  /// overflow.
  std::optional<int64_t> bytes(int64_t batch, int64_t steps) const;
};

/// The decode steps a state arena is planned for: ceil(maxTokens / tps) + 1.
int64_t planSteps(int64_t maxTokens, int64_t tokensPerStep);

/// Region offsets (bytes, in order) and the arena's total size; nullopt when
/// a size overflows int64.
struct StateLayout {
  std::vector<int64_t> offsets;
  int64_t totalBytes = 0;
};
std::optional<StateLayout> layoutState(const std::vector<StateRegion> &regions,
                                       int64_t batch, int64_t steps);

} // namespace photon

#endif // PHOTON_MODEL_STATEPLAN_H
