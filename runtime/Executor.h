//===- Executor.h - Generation over a compiled program ---------*- C++ -*-===//
//
// Generator runs a compiled generation program (runtime/ProgramABI.h): it
// allocates the state arena the program's plan asks for, calls the compiled
// prefill for groups of prompts and the compiled step until every sequence
// has its tokens, draws the sampling uniforms, and streams the tokens each
// step returns. It knows nothing of the model beyond the manifest's numbers:
// no levels, chunk sizes, layers or cache arithmetic (the compiler owns those).
// On the GPU the step is captured once as a CUDA graph and replayed.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_EXECUTOR_H
#define PHOTON_RUNTIME_EXECUTOR_H

#include "runtime/Artifact.h"
#include "runtime/Backend.h"
#include "runtime/Sampler.h"
#include "runtime/Status.h"
#include "runtime/Weights.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace photon::rt {

struct GenerationOptions {
  /// The program to run: "hiergen" or "recgen".
  std::string mode = "hiergen";
  int64_t maxNewTokens = 32;
  /// Greedy (temperature 0) uses the compiled argmax. Sequence s of a batch
  /// draws from its own stream seeded with sampling.seed + s.
  SamplingParams sampling;
  /// Keep the logits of every generated position (those its token was
  /// chosen from): GenerationResult::logits.
  bool collectLogits = false;
  /// Replay the step as a captured graph where the backend has them.
  bool useGraphs = true;
  /// Queue each decode step before the previous one's tokens are read (where
  /// it is certainly needed), so the device does not wait for the host.
  bool overlapSteps = true;
  /// The decode step (0-based) whose launches alone a profiler records
  /// (Backend::setProfiling around it, the device idle before and after), so
  /// that Nsight Compute sees exactly one step; -1: none.
  int64_t profileStep = -1;
  /// Record the first prefill call instead (its prompts: prefill_tile at most).
  bool profilePrefill = false;
  /// End of sequence: a sequence that generates this id stops there (the id
  /// is its last token); the others go on. The batch ends when every
  /// sequence has stopped or has maxNewTokens tokens. None: never stop early.
  std::optional<int32_t> stopToken;
};

struct MemoryStats {
  size_t weightBytes = 0;
  /// The program's state arena for this batch and length.
  size_t stateBytes = 0;
  /// Of the arena, the regions kept per sequence (caches, coarse state,
  /// token history), per sequence; and spec §4's analytic bytes for the same
  /// tokens (KV of the kept caches + coarse state).
  size_t bytesPerSequence = 0;
  size_t analyticBytesPerSequence = 0;
  /// Peak bytes allocated through the backend.
  size_t peakBytes = 0;
};

struct GenerationResult {
  /// Generated ids per sequence (the prompt not included); shorter than
  /// maxNewTokens where the sequence stopped at the stop token.
  std::vector<std::vector<int32_t>> tokens;
  /// Per sequence, whether it ended on the stop token.
  std::vector<bool> stopped;
  /// Per sequence, [tokens generated, V] row-major (empty unless collectLogits).
  std::vector<std::vector<float>> logits;
  int64_t promptTokens = 0, generatedTokens = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
  int64_t steps = 0;
  /// Kernel launches one step makes (0 where the backend does not count),
  /// host seconds per step spent issuing it, and whether it was a graph.
  int64_t launchesPerStep = 0;
  double hostSecondsPerStep = 0;
  bool graphs = false;
  /// Steps queued while the step before them was still unread.
  int64_t stepsQueuedAhead = 0;
  MemoryStats memory;
};

/// Called for every generated token, in order within each sequence:
/// (sequence index, index among its generated tokens, id).
using TokenCallback = std::function<void(size_t seq, int64_t index, int32_t token)>;

/// Teacher-forced scoring of token windows (photon-run --score).
struct ScoreResult {
  /// Per window, the natural-log probability of each scored token (those
  /// after the context) under the logits that predict it.
  std::vector<std::vector<double>> logProbs;
  int64_t contextTokens = 0, scoredTokens = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
  int64_t steps = 0;
};

/// Called as scoring advances: (tokens scored so far, tokens to score).
using ScoreProgress = std::function<void(int64_t done, int64_t total)>;

/// The largest batch whose decode steps launch kernels with programmatic
/// stream serialization (when the artifact allows it). Measured on an H200,
/// PHOTON-600M decode-heavy: +2% tok/s at batch 1, but -9% (RecGen) and -3%
/// (HierGen) at batch 1024 and -7% for a 2,048-token vanilla-600M prefill,
/// whose grids fill the card; 16 is the largest decode GEMV.
inline constexpr int64_t kProgrammaticLaunchMaxBatch = 16;

class Generator {
public:
  /// Uploads the weights to the backend. `artifact` and `backend` must
  /// outlive the Generator.
  static Expected<std::unique_ptr<Generator>>
  create(const Artifact &artifact, Backend &backend, const WeightArena &weights);

  /// Checks the prompts (non-empty, ids in [0, V)) and the options, then
  /// generates. Tokens stream through `onToken` as they become final.
  Expected<GenerationResult> generate(const std::vector<std::vector<int32_t>> &prompts,
                                      const GenerationOptions &options,
                                      const TokenCallback &onToken = {});

  /// Scores every window: its first `context` tokens are encoded as a
  /// prompt (1 <= context < window length), and each later token is forced,
  /// never sampled; its log-probability comes from the logits that predict
  /// it (spec §3), i.e. a teacher-forced forward for HierGen, and spec §4
  /// RecGen over the context's complete meta-contexts for RecGen.
  /// `options.mode` and `options.useGraphs` apply; the rest is ignored.
  Expected<ScoreResult> score(const std::vector<std::vector<int32_t>> &windows, int64_t context,
                              const GenerationOptions &options,
                              const ScoreProgress &progress = {});

private:
  /// A known token emitted by the step, with the logits that predict it
  /// (null unless logits are collected): (sequence, index past the encoded
  /// tokens, id, logits).
  using RowCallback =
      std::function<void(size_t seq, int64_t index, int32_t token, const float *logits)>;
  /// Generation and scoring: sequence s's first encodeLengths[s] tokens are
  /// prefilled; every later position, its remaining known (forced) tokens
  /// and then maxNewTokens chosen ones, goes through `onRow` in order.
  Expected<GenerationResult> decode(const std::vector<std::vector<int32_t>> &known,
                                    const std::vector<int64_t> &encodeLengths,
                                    const GenerationOptions &options, const RowCallback &onRow);

  Generator(const Artifact &artifact, Backend &backend, DeviceBuffer weights)
      : artifact_(artifact), backend_(backend), weights_(std::move(weights)) {}

  const Artifact &artifact_;
  Backend &backend_;
  DeviceBuffer weights_;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_EXECUTOR_H
