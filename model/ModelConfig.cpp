//===- ModelConfig.cpp - The model family's configuration -----------------===//

#include "model/ModelConfig.h"

#include <cstdint>
#include <optional>

namespace photon {

// Sizes are bounded so that every product the compiler and the runtime form
// (weights, caches, token ids in i32) fits its integer type.
static constexpr int64_t kMaxSize = int64_t(1) << 24;
// Counts that set how long the weight list is are bounded before anything
// builds it: 4096 layers in all is ~37k tensors (a real model has ~100s).
static constexpr int64_t kMaxLevels = 16;
static constexpr int64_t kMaxLayers = 4096;
// Weight elements in all: f32 bytes of the whole arena still fit in int64.
static constexpr int64_t kMaxWeightElements = INT64_MAX / 4;

const char *toString(ModelKind kind) {
  switch (kind) {
  case ModelKind::Vanilla: return "vanilla";
  case ModelKind::Block: return "block";
  case ModelKind::Photon: return "photon";
  }
  return "?";
}

const char *toString(ChunkerKind kind) {
  return kind == ChunkerKind::Concat ? "concat" : "linear";
}

std::optional<ModelKind> parseModelKind(const std::string &s) {
  if (s == "vanilla") return ModelKind::Vanilla;
  if (s == "block") return ModelKind::Block;
  if (s == "photon") return ModelKind::Photon;
  return std::nullopt;
}

std::optional<ChunkerKind> parseChunkerKind(const std::string &s) {
  if (s == "concat") return ChunkerKind::Concat;
  if (s == "linear") return ChunkerKind::Linear;
  return std::nullopt;
}

/// a * b, or INT64_MAX when that overflows: a saturated size is rejected by
/// validate() instead of wrapping into a plausible one.
static int64_t mulSat(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

std::optional<int64_t> TensorSpec::checkedNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  return n;
}

int64_t TensorSpec::numElements() const {
  return checkedNumElements().value_or(INT64_MAX);
}

int64_t ModelConfig::span(int64_t level) const {
  int64_t s = 1;
  for (int64_t l = 0; l < level && l < numLevels(); ++l)
    s = mulSat(s, chunkSizes[l]); // saturates only for configs validate() rejects
  return s;
}

/// The config field that sets the size of weight `name` (spec §5 names), for
/// errors about the total.
static const char *fieldOfWeight(const std::string &name) {
  auto starts = [&](const char *p) { return name.rfind(p, 0) == 0; };
  if (starts("model.layers.") || starts("model.norm"))
    return "layers";
  if (starts("encoder."))
    return "encoder_layers";
  if (starts("decoder."))
    return "decoder_layers";
  if (starts("converter."))
    return "prefix_lengths";
  if (starts("chunker."))
    return "chunk_sizes";
  if (starts("start_latent."))
    return "d_model";
  return "vocab_size"; // embeddings and the LM head
}

int64_t ModelConfig::chunkerInputWidth(int64_t level) const {
  return level == 1 ? dEmbed : dModel;
}

bool ModelConfig::chunkerIsLinear(int64_t level) const {
  return level >= 2 || level1Chunker == ChunkerKind::Linear;
}

bool ModelConfig::decoderCarriesAreLocal() const {
  const int64_t L = numLevels();
  for (int64_t m = 1; m < L; ++m) {
    int64_t j = 1;
    for (int64_t i = m; i < L; ++i)
      j *= chunkSizes[i];
    for (int64_t l = m; l < L - 1; ++l) {
      j = (j + chunkSizes[l] - 1) / chunkSizes[l] - 1;
      if (j < 1)
        return false;
    }
  }
  return true;
}

/// validate()'s last step, on an otherwise valid config: every weight's
/// element count and their sum fit. The counts are bounded by then, so the
/// list is short; single tensors (converter: R·D x D) and the total can still
/// overflow.
static void checkWeightSizes(const ModelConfig &c, std::vector<ConfigError> &errs) {
  int64_t total = 0;
  for (const TensorSpec &w : c.weights()) {
    std::optional<int64_t> n = w.checkedNumElements();
    if (!n || __builtin_add_overflow(total, *n, &total) || total > kMaxWeightElements) {
      std::string shape;
      for (int64_t d : w.shape)
        shape += (shape.empty() ? "" : " x ") + std::to_string(d);
      errs.push_back({fieldOfWeight(w.name),
                      "makes the weights too large: at '" + w.name + "' [" + shape +
                          "] they pass " + std::to_string(kMaxWeightElements) +
                          " elements"});
      return;
    }
  }
}

std::vector<ConfigError> ModelConfig::validate() const {
  std::vector<ConfigError> errs;
  auto err = [&](const std::string &field, const std::string &msg) {
    errs.push_back({field, msg});
  };
  auto positive = [&](const char *field, int64_t v, int64_t max = kMaxSize) {
    if (v <= 0)
      err(field, "must be positive, got " + std::to_string(v));
    else if (v > max)
      err(field, "is too large: " + std::to_string(v) + " (at most " +
                     std::to_string(max) + ")");
  };
  positive("vocab_size", vocabSize, INT32_MAX);
  positive("d_model", dModel);
  positive("n_heads", nHeads);
  positive("n_kv_heads", nKvHeads);
  positive("ffn_dim", ffnDim);
  if (!(ropeTheta > 0)) err("rope_theta", "must be positive");
  if (!(rmsNormEps > 0)) err("rms_norm_eps", "must be positive");

  if (dModel > 0 && nHeads > 0) {
    if (dModel % nHeads != 0)
      err("n_heads", "d_model (" + std::to_string(dModel) +
                         ") is not divisible by n_heads (" +
                         std::to_string(nHeads) + ")");
    else if (headDim() % 2 != 0)
      err("n_heads", "head_dim = d_model / n_heads = " +
                         std::to_string(headDim()) +
                         " must be even for rotate-half RoPE");
  }
  if (nHeads > 0 && nKvHeads > 0 && nHeads % nKvHeads != 0)
    err("n_kv_heads", "n_heads (" + std::to_string(nHeads) +
                          ") is not divisible by n_kv_heads (" +
                          std::to_string(nKvHeads) + ")");

  const int64_t L = numLevels();
  switch (kind) {
  case ModelKind::Vanilla:
    if (L != 0)
      err("model_type", "'vanilla' has no levels, but chunk_sizes has " +
                            std::to_string(L) + " entries");
    positive("layers", layers, kMaxLayers);
    if (errs.empty())
      checkWeightSizes(*this, errs);
    return errs;
  case ModelKind::Block:
    if (L != 1)
      err("model_type", "'block' needs exactly one level, but chunk_sizes has " +
                            std::to_string(L) + " entries");
    break;
  case ModelKind::Photon:
    if (L < 2)
      err("model_type", "'photon' needs at least two levels, but chunk_sizes "
                        "has " + std::to_string(L) + " entries");
    break;
  }
  if (layers != 0)
    err("layers", "is for vanilla models only; use encoder_layers and "
                  "decoder_layers");
  if (tieWordEmbeddings)
    err("tie_word_embeddings", "is for vanilla models only");
  positive("d_embed", dEmbed);
  if (L > kMaxLevels) {
    err("chunk_sizes", "has " + std::to_string(L) + " entries (levels); at most " +
                           std::to_string(kMaxLevels) + " are supported");
    return errs; // the per-level checks below would only repeat it
  }
  auto checkList = [&](const char *field, const std::vector<int64_t> &list,
                       int64_t max = kMaxSize) {
    if (int64_t(list.size()) != L) {
      err(field, "has " + std::to_string(list.size()) +
                     " entries but chunk_sizes has " + std::to_string(L));
      return false;
    }
    bool ok = true;
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] <= 0 || list[i] > max) {
        err(field, "entry " + std::to_string(i) + " must be in [1, " +
                       std::to_string(max) + "], got " + std::to_string(list[i]));
        ok = false;
      }
    return ok;
  };
  if (checkList("chunk_sizes", chunkSizes)) {
    int64_t b = 1;
    for (int64_t cs : chunkSizes)
      if (__builtin_mul_overflow(b, cs, &b) || b > kMaxSize) {
        err("chunk_sizes", "the meta-context C_1 * ... * C_L must be at most " +
                               std::to_string(kMaxSize) + " tokens");
        break;
      }
  }
  checkList("prefix_lengths", prefixLengths);
  bool layersOk = checkList("encoder_layers", encoderLayers, kMaxLayers);
  layersOk &= checkList("decoder_layers", decoderLayers, kMaxLayers);
  if (layersOk) {
    int64_t total = 0; // entries are <= kMaxLayers and L <= kMaxLevels: no overflow
    for (size_t i = 0; i < encoderLayers.size(); ++i)
      total += encoderLayers[i] + decoderLayers[i];
    if (total > kMaxLayers)
      err("encoder_layers", "the stacks have " + std::to_string(total) +
                                " layers in all (encoder_layers + decoder_layers); "
                                "at most " + std::to_string(kMaxLayers) + " are supported");
  }
  if (L >= 1 && level1Chunker == ChunkerKind::Concat && chunkSizes[0] > 0 &&
      mulSat(chunkSizes[0], dEmbed) != dModel)
    err("level1_chunker", "'concat' needs chunk_sizes[0] * d_embed = d_model, "
                          "but " + std::to_string(chunkSizes[0]) + " * " +
                              std::to_string(dEmbed) + " != " +
                              std::to_string(dModel));
  if (errs.empty())
    checkWeightSizes(*this, errs);
  return errs;
}


void ModelConfig::appendStackWeights(const std::string &stack, int64_t n,
                                     std::vector<TensorSpec> &out) const {
  const int64_t D = dModel, kv = mulSat(nKvHeads, headDim()), F = ffnDim;
  for (int64_t i = 0; i < n; ++i) {
    std::string p = stack + ".layers." + std::to_string(i) + ".";
    out.push_back({p + "self_attn.q_proj.weight", {D, D}});
    out.push_back({p + "self_attn.k_proj.weight", {kv, D}});
    out.push_back({p + "self_attn.v_proj.weight", {kv, D}});
    out.push_back({p + "self_attn.o_proj.weight", {D, D}});
    out.push_back({p + "mlp.gate_proj.weight", {F, D}});
    out.push_back({p + "mlp.up_proj.weight", {F, D}});
    out.push_back({p + "mlp.down_proj.weight", {D, F}});
    out.push_back({p + "input_layernorm.weight", {D}});
    out.push_back({p + "post_attention_layernorm.weight", {D}});
  }
  out.push_back({stack + ".norm.weight", {D}});
}

std::vector<TensorSpec> ModelConfig::weights() const {
  std::vector<TensorSpec> w;
  const int64_t V = vocabSize, D = dModel;
  if (kind == ModelKind::Vanilla) {
    w.push_back({"model.embed_tokens.weight", {V, D}});
    appendStackWeights("model", layers, w);
    if (!tieWordEmbeddings)
      w.push_back({"lm_head.weight", {V, D}});
    return w;
  }
  w.push_back({"enc_embed.weight", {V, dEmbed}});
  for (int64_t l = 1; l <= numLevels(); ++l) {
    std::string s = std::to_string(l);
    if (chunkerIsLinear(l)) {
      int64_t in = mulSat(chunkSizes[l - 1], chunkerInputWidth(l));
      w.push_back({"chunker." + s + ".norm.weight", {in}});
      w.push_back({"chunker." + s + ".proj.weight", {D, in}});
      w.push_back({"chunker." + s + ".proj.bias", {D}});
    }
    appendStackWeights("encoder." + s, encoderLayers[l - 1], w);
    appendStackWeights("decoder." + s, decoderLayers[l - 1], w);
    int64_t rd = mulSat(prefixLengths[l - 1], D);
    w.push_back({"converter." + s + ".weight", {rd, D}});
    w.push_back({"converter." + s + ".bias", {rd}});
    w.push_back({"start_latent." + s, {D}});
  }
  w.push_back({"dec_embed.weight", {V, D}});
  w.push_back({"lm_head.weight", {V, D}});
  return w;
}

} // namespace photon
