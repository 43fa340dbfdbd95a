//===- StatePlanning.cpp - The state arena of a generation program --------===//

#include "passes/StatePlanning.h"

#include "model/StatePlan.h"

#include <algorithm>

namespace mlir::photon {

int64_t stackScratchPerRow(const ::photon::ModelConfig &c, int64_t capacity) {
  int64_t kv = c.nKvHeads * c.headDim();
  return 3 * c.dModel + 2 * kv + 2 * c.ffnDim + c.nHeads * (capacity + 2);
}

VocabPartition vocabPartition(int64_t vocabSize) {
  // Widths are whole warps; 32,000 logits become 32 blocks of 1,024 (the
  // last 256), enough blocks for a batch-1 argmax to be a single wave.
  int64_t width = std::max<int64_t>(
      32, (vocabSize + VocabPartition::kMaxParts - 1) / VocabPartition::kMaxParts);
  width = (width + 31) / 32 * 32;
  return {width, (vocabSize + width - 1) / width};
}

LocalRowsLayout localRowsLayout(const ::photon::ModelConfig &c, int64_t decodeTile) {
  LocalRowsLayout layout;
  const int64_t B = c.metaContext();
  for (int64_t l = 1; l <= c.numLevels(); ++l) {
    const int64_t R = c.prefixLengths[l - 1], C = c.chunkSizes[l - 1];
    const int64_t instances = decodeTile * (B / c.span(l));
    for (int64_t j = 0; j < C; ++j) {
      const int64_t perSlot = j == 0 ? R : 1;
      LocalRowsLayout::Call call{l, j, perSlot, j == 0 ? 0 : R + j - 1, instances * perSlot,
                                 layout.elements};
      layout.calls.push_back(call);
      layout.elements += 2 * call.rows;
    }
  }
  return layout;
}

const LocalRowsLayout::Call &LocalRowsLayout::of(int64_t level, int64_t index) const {
  for (const Call &call : calls)
    if (call.level == level && call.index == index)
      return call;
  llvm_unreachable("no such local decoder call");
}

namespace {
/// Collects regions in layout order.
struct RegionList {
  MLIRContext *ctx;
  SmallVector<StateRegionAttr> regions;

  void add(StringRef name, int64_t tile, int64_t fixed, int64_t perSeq,
           int64_t fixedPerStep, int64_t perStep) {
    regions.push_back(
        StateRegionAttr::get(ctx, name, tile, fixed, perSeq, fixedPerStep, perStep));
  }
  void perSequence(StringRef name, int64_t perSeq, int64_t perStep = 0) {
    add(name, 0, 0, perSeq, 0, perStep);
  }
  void tiled(StringRef name, int64_t tile, int64_t perSeq, int64_t perStep = 0) {
    add(name, tile, 0, perSeq, 0, perStep);
  }
};
} // namespace

StatePlanAttr planProgramState(MLIRContext *ctx, const ::photon::ModelConfig &c,
                               GenerationMode mode, int64_t act,
                               const StateSchedule &s) {
  const int64_t L = c.numLevels(), D = c.dModel, V = c.vocabSize;
  const int64_t KV = c.nKvHeads * c.headDim(), B = c.metaContext();
  const bool recgen = mode == GenerationMode::recgen;
  const bool lookahead = recgen && s.latentLookahead;
  auto per = [&](int64_t l) { return B / c.span(l); }; // level-l items per meta-context
  RegionList r{ctx, {}};

  r.perSequence("positions", 8);
  r.perSequence("tokens", 0, B * 4);
  r.perSequence("top", D * act);
  int64_t analyticPerSeq = 0, analyticPerStep = 0, maxDecoderCapacity = 0;
  if (L == 0) {
    int64_t cache = c.layers * KV * act;
    r.perSequence("kv.k", 0, cache);
    r.perSequence("kv.v", 0, cache);
    analyticPerStep = 2 * cache;
    r.tiled("prefill.x0", s.prefillTile, 0, D * act);
  } else {
    if (L >= 2)
      r.perSequence("carries", (L - 1) * D * act);
    analyticPerSeq = L * D * act; // top + carries: the coarse state
    // A RecGen program keeps only Enc_L after prefill; the lower levels are
    // prefill scratch, one tile of sequences at a time.
    for (int64_t l = 1; l <= L; ++l) {
      int64_t cache = c.encoderLayers[l - 1] * per(l) * KV * act;
      std::string name = "enc." + std::to_string(l);
      bool kept = !recgen || l == L;
      int64_t tile = kept ? 0 : s.prefillTile;
      // Running one meta-context ahead, Enc_L's last step writes one more.
      int64_t ahead = lookahead && l == L ? cache : 0;
      r.tiled(name + ".k", tile, ahead, cache);
      r.tiled(name + ".v", tile, ahead, cache);
      if (kept)
        analyticPerStep += 2 * cache;
    }
    // Embeddings (B·D0) and level-1 items (B/C1·D) of a meta-context.
    int64_t itemsWidth = std::max(B * c.dEmbed, per(1) * D) * act;
    r.tiled("prefill.ids", s.prefillTile, 0, B * 4);
    r.tiled("prefill.x0", s.prefillTile, 0, itemsWidth);
    r.tiled("prefill.x1", s.prefillTile, 0, itemsWidth);

    // One decode tile: chunk instances of every level, in lockstep.
    int64_t maxCond = 0, maxPrefix = 0, maxStep = 0;
    for (int64_t l = 1; l <= L; ++l) {
      int64_t R = c.prefixLengths[l - 1], C = c.chunkSizes[l - 1];
      int64_t cap = R + C - 1;
      maxDecoderCapacity = std::max(maxDecoderCapacity, cap);
      int64_t cache = per(l) * c.decoderLayers[l - 1] * cap * KV * act;
      std::string name = "dec." + std::to_string(l);
      r.tiled(name + ".k", s.decodeTile, cache);
      r.tiled(name + ".v", s.decodeTile, cache);
      maxPrefix = std::max(maxPrefix, per(l) * R);
      if (l >= 2) {
        maxStep = std::max(maxStep, per(l));
        if (l < L)
          maxCond = std::max(maxCond, per(l));
      }
    }
    for (int64_t l = 1; l < L; ++l)
      r.tiled("items." + std::to_string(l), s.decodeTile, per(l) * D * act);
    if (maxCond)
      r.tiled("cond", s.decodeTile, maxCond * D * act);
    // Running ahead, a step reads the token conditions the previous one
    // left and leaves the next ones (of every tile) beside them.
    if (lookahead) {
      r.perSequence("tok_cond", per(1) * D * act);
      r.perSequence(kNextTokenConditions, per(1) * D * act);
    } else if (L >= 2) {
      r.tiled("tok_cond", s.decodeTile, per(1) * D * act);
    }
    r.tiled("prefix", s.decodeTile, maxPrefix * D * act);
    if (lookahead)
      r.tiled("prefix" + std::string(kLatentLane), s.decodeTile, maxPrefix * D * act);
    if (maxStep)
      r.tiled("step", s.decodeTile, maxStep * D * act);
    r.tiled("hidden", s.decodeTile, per(1) * D * act);
    if (!recgen) {
      r.tiled("encode.x0", s.decodeTile, itemsWidth);
      r.tiled("encode.x1", s.decodeTile, itemsWidth);
    }
  }
  int64_t rowsPerSeq = L == 0 ? 1 : per(1); // token rows decoded together
  r.tiled("logits", s.decodeTile, rowsPerSeq * V * 4);
  r.tiled("ids", s.decodeTile, (recgen ? rowsPerSeq : B) * 4);
  r.tiled("uniforms", s.decodeTile, rowsPerSeq * 4);
  // One (f32 max, i32 index) pair per block of a row (photon_argmax).
  r.tiled("vocab_partials", s.decodeTile, rowsPerSeq * vocabPartition(V).parts * 8);
  // The scratch of stack calls, once per lane of stack calls that may run
  // at the same time (running ahead: the latent chain's).
  int64_t perRow = stackScratchPerRow(c, maxDecoderCapacity);
  for (int64_t l = 1; l <= L; ++l)
    perRow = std::max(perRow, c.chunkSizes[l - 1] * c.chunkerInputWidth(l));
  SmallVector<std::string, 2> lanes{""};
  if (lookahead)
    lanes.push_back(kLatentLane.str());
  if (L >= 1)
    r.add("local_rows", 0, localRowsLayout(c, s.decodeTile).elements * 4, 0, 0, 0);
  for (const std::string &lane : lanes) {
    r.add("rows" + lane, 0, 2 * s.maxRows * 4, 0, 0, 0);
    // i32 counters of a stack call's (row, KV head group) or a decode tile's
    // rows, zeroed by prefill: blocks of a kernel that combine their results
    // count themselves there, and the last leaves them zero.
    r.add("semaphores" + lane, 0,
          (std::max(s.maxRows * c.nHeads, s.decodeTile * rowsPerSeq) + kFusedLaunchCounters) * 4,
          0, 0, 0);
    // Stack calls and linear chunkers (their normed inputs) share it; scores
    // grow with the largest encoder cache: level 1 (or vanilla's).
    r.add("stack_scratch" + lane, 0, s.maxRows * perRow * 4, 0,
          s.maxRows * c.nHeads * (L == 0 ? 1 : per(1)) * 4, 0);
  }

  return StatePlanAttr::get(ctx, B, s.prefillTile, s.decodeTile, s.maxRows,
                            analyticPerSeq, analyticPerStep, r.regions);
}

bool runsLatentsAhead(StatePlanAttr plan) {
  return llvm::any_of(plan.getRegions(),
                      [](StateRegionAttr r) { return r.getName() == kNextTokenConditions; });
}

PerSequenceBytes perSequenceBytes(StatePlanAttr plan, int64_t tokens) {
  int64_t tps = plan.getTokensPerStep();
  int64_t steps = ::photon::planSteps(tokens, tps);
  PerSequenceBytes bytes;
  for (StateRegionAttr r : plan.getRegions())
    if (r.getTile() == 0)
      bytes.allocated += r.getPerSeq() + steps * r.getPerStep();
  bytes.analytic =
      plan.getAnalyticPerSeq() + (tokens + tps - 1) / tps * plan.getAnalyticPerStep();
  return bytes;
}

} // namespace mlir::photon
