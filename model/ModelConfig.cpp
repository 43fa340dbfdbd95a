//===- ModelConfig.cpp - The model family's configuration -----------------===//

#include "model/ModelConfig.h"

#include <cstdint>

namespace photon {

// Sizes are bounded so that every product the compiler and the runtime form
// (weights, caches, token ids in i32) fits its integer type.
static constexpr int64_t kMaxSize = int64_t(1) << 24;

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

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t ModelConfig::span(int64_t level) const {
  int64_t s = 1;
  for (int64_t l = 0; l < level && l < numLevels(); ++l) s *= chunkSizes[l];
  return s;
}

int64_t ModelConfig::chunkerInputWidth(int64_t level) const {
  return level == 1 ? dEmbed : dModel;
}

bool ModelConfig::chunkerIsLinear(int64_t level) const {
  return level >= 2 || level1Chunker == ChunkerKind::Linear;
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
    positive("layers", layers);
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
  auto checkList = [&](const char *field, const std::vector<int64_t> &list) {
    if (int64_t(list.size()) != L) {
      err(field, "has " + std::to_string(list.size()) +
                     " entries but chunk_sizes has " + std::to_string(L));
      return;
    }
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] <= 0 || list[i] > kMaxSize)
        err(field, "entry " + std::to_string(i) + " must be in [1, " +
                       std::to_string(kMaxSize) + "], got " +
                       std::to_string(list[i]));
  };
  checkList("chunk_sizes", chunkSizes);
  checkList("prefix_lengths", prefixLengths);
  checkList("encoder_layers", encoderLayers);
  checkList("decoder_layers", decoderLayers);
  if (L >= 1 && level1Chunker == ChunkerKind::Concat && chunkSizes[0] > 0 &&
      chunkSizes[0] * dEmbed != dModel)
    err("level1_chunker", "'concat' needs chunk_sizes[0] * d_embed = d_model, "
                          "but " + std::to_string(chunkSizes[0]) + " * " +
                              std::to_string(dEmbed) + " != " +
                              std::to_string(dModel));
  return errs;
}

void ModelConfig::appendStackWeights(const std::string &stack, int64_t n,
                                     std::vector<TensorSpec> &out) const {
  const int64_t D = dModel, kv = nKvHeads * headDim(), F = ffnDim;
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
      int64_t in = chunkSizes[l - 1] * chunkerInputWidth(l);
      w.push_back({"chunker." + s + ".norm.weight", {in}});
      w.push_back({"chunker." + s + ".proj.weight", {D, in}});
      w.push_back({"chunker." + s + ".proj.bias", {D}});
    }
    appendStackWeights("encoder." + s, encoderLayers[l - 1], w);
    appendStackWeights("decoder." + s, decoderLayers[l - 1], w);
    w.push_back({"converter." + s + ".weight", {prefixLengths[l - 1] * D, D}});
    w.push_back({"converter." + s + ".bias", {prefixLengths[l - 1] * D}});
    w.push_back({"start_latent." + s, {D}});
  }
  w.push_back({"dec_embed.weight", {V, D}});
  w.push_back({"lm_head.weight", {V, D}});
  return w;
}

} // namespace photon
