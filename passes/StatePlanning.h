//===- StatePlanning.h - The state arena of a generation program -*- C++ -*-===//
//
// What a compiled program keeps between and inside its prefill and step calls,
// as the regions of one arena (model/StatePlan.h). photon-plan-memory writes
// the plan; convert-photon-programs-to-host lays its buffers out from it, by region name:
//
//   positions         i32 [batch][2]: (cursor, prompt length); the cursor is
//                     the first token position of the next step's window
//   tokens            i32 [batch][steps·B]: prompt and generated tokens
//   top               act [batch][D]: X^L of the newest encoded meta-context,
//                     or s^L (vanilla: the last hidden state)
//   carries           act [batch][L-1][D]: the last X̂^l of the previous
//                     meta-context (l < L)
//   enc.<l>.{k,v}     encoder KV caches [slots][layers][steps·B/span(l)][KV]
//                     (vanilla: kv.{k,v} [batch][layers][steps][KV]); the
//                     levels a RecGen program does not keep are prefill tiles
//   prefill.*         one prefill call: ids, embeddings / items (ping-pong)
//   dec.<l>.{k,v}, items.<l>, cond, tok_cond, prefix, step, hidden, logits,
//   ids, uniforms, encode.*
//                     one decode tile: the local decoders' caches and rows
//   vocab_partials    one decode tile: argmax's per-block partial maxima
//                     (VocabPartition), f32 values then i32 ids
//   rows              i32 [2][max_rows]: positions and cache slots of a stack call
//   local_rows        i32: the positions and cache slots of the local
//                     decoders' stack calls, the same in every step; written
//                     once by prefill (LocalRowsLayout)
//   semaphores        i32, zero between kernels: the arrival counters of
//                     kernels whose last block combines (a stack call's
//                     rows x heads, or a decode tile's token rows), then
//                     kFusedLaunchCounters for fused launches (fuse-launches)
//   stack_scratch     f32: the scratch of one stack call (stackScratchPerRow)
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_PASSES_STATEPLANNING_H
#define PHOTON_PASSES_STATEPLANNING_H

#include "dialect/PhotonOps.h"

namespace mlir::photon {

/// The i32 counters at the end of a lane's semaphores that a fused launch
/// (convert-photon-kernel-to-gpu's fuse-launches) takes its tickets and
/// counts its phases with.
inline constexpr int64_t kFusedLaunchCounters = 3;

/// f32 scratch elements per row of a stack call with a cache of `capacity`
/// positions. Regions, each holding every row: h[D] q[D] k[KV] v[KV] attn[D]
/// gate[F] up[F] scores[H][capacity] stats[H][2].
int64_t stackScratchPerRow(const ::photon::ModelConfig &c, int64_t capacity);

/// How the GPU argmax splits a row of the vocabulary over blocks: `parts`
/// blocks of `width` logits (the last may be shorter), each leaving one
/// (max, index) partial in the plan's `vocab_partials` region. At most
/// kMaxParts, so one warp combines a row's partials in a single round.
struct VocabPartition {
  static constexpr int64_t kMaxParts = 32;
  int64_t width, parts;
};
VocabPartition vocabPartition(int64_t vocabSize);

/// The row indices of the local decoders' stack calls, which are the same in
/// every decode step: call j of Dec_l over m instances (m at most the decode
/// tile times the level's items per meta-context) is, for j = 0, the prefix:
/// R_l rows per instance at positions 0..R_l-1; for j >= 1, one row per
/// instance at position R_l + j - 1. Row r is in cache slot r / perSlot (the
/// instance). prefill writes them into the plan's `local_rows` region (i32:
/// a call's positions at `at`, its slots `rows` after them) so that a step's
/// stack calls read them instead of computing them with a kernel each.
struct LocalRowsLayout {
  struct Call {
    int64_t level, index, perSlot, p0, rows, at;
  };
  SmallVector<Call> calls;
  int64_t elements = 0;
  const Call &of(int64_t level, int64_t index) const;
};
LocalRowsLayout localRowsLayout(const ::photon::ModelConfig &c, int64_t decodeTile);

/// Suffix of the scratch regions of RecGen's latent chain when it runs ahead
/// of the tokens: "prefix.latent", "rows.latent", ...
inline constexpr llvm::StringLiteral kLatentLane = ".latent";
/// The region of the next meta-context's token conditions, which a plan has
/// when its latent chain runs ahead.
inline constexpr llvm::StringLiteral kNextTokenConditions = "tok_cond.next";

/// How a program's work is split, and so how large its tiles are.
struct StateSchedule {
  int64_t prefillTile = 16;  // sequences per prefill call
  int64_t decodeTile = 1024; // sequences decoded together inside a step
  int64_t maxRows = 4096;    // rows per stack call
  // RecGen: each step decodes the next meta-context's latents while it
  // samples this one's tokens (spec §4: the latent chain may run ahead), so
  // the latent chain has scratch of its own, Enc_L one more position and
  // the token conditions a second buffer.
  bool latentLookahead = true;
};

/// Whether a program of this plan decodes the next meta-context's latents
/// beside this one's tokens (StateSchedule::latentLookahead, RecGen).
bool runsLatentsAhead(StatePlanAttr plan);

/// The state plan of a program of `mode` for a model of config `c`.
StatePlanAttr planProgramState(MLIRContext *ctx, const ::photon::ModelConfig &c,
                               GenerationMode mode, int64_t activationBytes,
                               const StateSchedule &schedule);

/// The bytes a program keeps per sequence once `tokens` tokens (prompt +
/// generated) are in its caches: what its plan allocates (regions of the
/// whole batch; tiles excluded) and spec §4's analytic bytes (KV of the
/// kept caches + coarse state).
struct PerSequenceBytes {
  int64_t allocated = 0, analytic = 0;
};
PerSequenceBytes perSequenceBytes(StatePlanAttr plan, int64_t tokens);

} // namespace mlir::photon

#endif // PHOTON_PASSES_STATEPLANNING_H
