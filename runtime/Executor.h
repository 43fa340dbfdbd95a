//===- Executor.h - Prefill and generation over compiled kernels -*- C++ -*-===//
//
// Generator runs spec §4 on an artifact's kernels: prefill (encoder caches
// over the prompt's complete meta-contexts and the decoder carries), then one
// meta-context at a time top-down (Dec_L..Dec_2 latent rollouts, then the
// meta-context's token chunks through Dec_1 and the LM head, prompt tokens
// forced), then HierGen (encode the finished meta-context's tokens) or
// RecGen (step Enc_L on Chunk_L of the decoder's own level-(L-1) items).
// Vanilla models decode one token per step with a global KV cache.
//
// The sequences of a batch run together: every kernel call holds the rows of
// all sequences (and of all independent chunks of a meta-context). All
// buffers live on the Backend; kernels are called through KernelABI.h.
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
#include <string>
#include <vector>

namespace photon::rt {

enum class GenMode { HierGen, RecGen };
/// "hiergen" / "recgen".
Expected<GenMode> parseGenMode(const std::string &s);

struct GenerationOptions {
  GenMode mode = GenMode::HierGen;
  int64_t maxNewTokens = 32;
  /// Greedy (temperature 0) uses the compiled argmax kernel. Sequence s of a
  /// batch draws from its own stream seeded with sampling.seed + s.
  SamplingParams sampling;
  /// Keep the logits of every generated position (those its token was
  /// chosen from): GenerationResult::logits.
  bool collectLogits = false;
};

struct MemoryStats {
  size_t weightBytes = 0;
  /// Per sequence: encoder KV caches (vanilla: the global KV cache) and the
  /// coarse state (top-level latents, carries).
  size_t kvBytesPerSequence = 0;
  size_t stateBytesPerSequence = 0;
  /// Decoder caches, activations and scratch shared by the batch.
  size_t workingBytes = 0;
  /// Peak bytes allocated through the backend.
  size_t peakBytes = 0;
};

struct GenerationResult {
  /// Generated ids per sequence (the prompt not included).
  std::vector<std::vector<int32_t>> tokens;
  /// Per sequence, [n_new, V] row-major (empty unless collectLogits).
  std::vector<std::vector<float>> logits;
  int64_t promptTokens = 0, generatedTokens = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
  MemoryStats memory;
};

/// Called for every generated token, in order within each sequence:
/// (sequence index, index among its generated tokens, id).
using TokenCallback = std::function<void(size_t seq, int64_t index, int32_t token)>;

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

  ~Generator();

  struct Impl;

private:
  explicit Generator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_EXECUTOR_H
