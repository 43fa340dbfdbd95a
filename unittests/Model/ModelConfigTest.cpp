//===- ModelConfigTest.cpp - configuration validation and weight lists ----===//

#include "model/ModelConfig.h"
#include "unittests/ModelConfigs.h"

#include <gtest/gtest.h>

using namespace photon;
using photon::testing::photon600M;

namespace {

int64_t parameterCount(const ModelConfig &c) {
  int64_t n = 0;
  for (const TensorSpec &t : c.weights())
    n += t.numElements();
  return n;
}

/// The fields the errors of `c` name, in order.
std::vector<std::string> errorFields(const ModelConfig &c) {
  std::vector<std::string> fields;
  for (const ConfigError &e : c.validate())
    fields.push_back(e.field);
  return fields;
}

// The paper's parameter totals (Tables 10-12) pin down the weight list. The
// paper does not count the spec's learned start latents (one D-vector per
// level), so the totals here are the paper's plus L·D.
TEST(ModelConfig, Photon600MParameterCountMatchesPaper) {
  EXPECT_TRUE(photon600M().validate().empty());
  EXPECT_EQ(parameterCount(photon600M()), 646399104 + 2 * 1664);
}

TEST(ModelConfig, Block600MParameterCountMatchesPaper) {
  ModelConfig c = photon600M();
  c.kind = ModelKind::Block;
  c.chunkSizes = {4};
  c.prefixLengths = {2};
  c.encoderLayers = {8};
  c.decoderLayers = {8};
  EXPECT_TRUE(c.validate().empty());
  EXPECT_EQ(parameterCount(c), 629770752 + 1664);
}

TEST(ModelConfig, Vanilla600MParameterCountMatchesPaper) {
  ModelConfig c = photon600M();
  c.kind = ModelKind::Vanilla;
  c.dEmbed = 0;
  c.chunkSizes = c.prefixLengths = c.encoderLayers = c.decoderLayers = {};
  c.layers = 16;
  EXPECT_TRUE(c.validate().empty());
  EXPECT_EQ(parameterCount(c), 610915968);
  c.tieWordEmbeddings = true;
  EXPECT_EQ(parameterCount(c), 610915968 - 32000 * 1664);
}

TEST(ModelConfig, DerivedQuantities) {
  ModelConfig c = photon600M();
  EXPECT_EQ(c.numLevels(), 2);
  EXPECT_EQ(c.headDim(), 52);
  EXPECT_EQ(c.span(0), 1);
  EXPECT_EQ(c.span(1), 4);
  EXPECT_EQ(c.metaContext(), 16);
  EXPECT_FALSE(c.chunkerIsLinear(1));
  EXPECT_TRUE(c.chunkerIsLinear(2));
  EXPECT_EQ(c.chunkerInputWidth(1), 416);
  EXPECT_EQ(c.chunkerInputWidth(2), 1664);
  EXPECT_TRUE(c.decoderCarriesAreLocal());
  // A chunk size of 1 above level 1 chains the carries across meta-contexts
  // (spec §4): prefill replays Dec_L..Dec_2 over every prompt meta-context.
  c.chunkSizes = {2, 2, 1};
  c.prefixLengths = c.encoderLayers = c.decoderLayers = {1, 1, 1};
  EXPECT_FALSE(c.decoderCarriesAreLocal());
  c.chunkSizes = {4, 4, 4};
  EXPECT_TRUE(c.decoderCarriesAreLocal());
}

TEST(ModelConfig, ErrorsNameTheField) {
  ModelConfig c = photon600M();
  c.nHeads = 33;
  c.nKvHeads = 1;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"n_heads"});

  c = photon600M();
  c.nHeads = 64; // head_dim 26 is even; now make it odd:
  c.dModel = 1664 - 64 * 26 + 64 * 25;
  c.dEmbed = c.dModel / 4;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"n_heads"});

  c = photon600M();
  c.nKvHeads = 5;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"n_kv_heads"});

  c = photon600M();
  c.dEmbed = 400;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"level1_chunker"});
  c.level1Chunker = ChunkerKind::Linear; // a linear chunker takes any D0
  EXPECT_TRUE(c.validate().empty());

  c = photon600M();
  c.prefixLengths = {2};
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"prefix_lengths"});

  c = photon600M();
  c.kind = ModelKind::Block;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"model_type"});

  c = photon600M();
  c.rmsNormEps = 0;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"rms_norm_eps"});

  c = photon600M();
  c.chunkSizes = {4, 0};
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"chunk_sizes"});

  c = photon600M();
  c.vocabSize = -1;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"vocab_size"});

  // Sizes whose products would overflow are rejected, not wrapped.
  c = photon600M();
  c.ffnDim = int64_t(1) << 62;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"ffn_dim"});
  c = photon600M();
  c.vocabSize = (int64_t(1) << 31) + 5;
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"vocab_size"});
}

/// The messages of `c`'s errors.
std::vector<std::string> errorMessages(const ModelConfig &c) {
  std::vector<std::string> msgs;
  for (const ConfigError &e : c.validate())
    msgs.push_back(e.field + ": " + e.message);
  return msgs;
}

// Chunk sizes that are each in range but whose product (the span of a level,
// the meta-context B) overflows int64 used to wrap into a small span.
TEST(ModelConfig, RejectsMetaContextOverflow) {
  ModelConfig c = photon600M();
  c.level1Chunker = ChunkerKind::Linear;
  c.chunkSizes = {65536, 65536, 65536, 65536}; // 2^64
  c.prefixLengths = c.encoderLayers = c.decoderLayers = {1, 1, 1, 1};
  EXPECT_EQ(errorMessages(c),
            std::vector<std::string>{"chunk_sizes: the meta-context C_1 * ... * C_L must be "
                                     "at most 16777216 tokens"});
  EXPECT_EQ(c.span(4), INT64_MAX); // saturates, never wraps
  c.chunkSizes = {8192, 4096, 1, 1}; // 2^25: no overflow, still too long
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"chunk_sizes"});
  c.chunkSizes = {4096, 4096, 1, 1}; // 2^24 is the limit
  EXPECT_TRUE(c.validate().empty());
  EXPECT_EQ(c.metaContext(), 16777216);
}

// Counts that size the weight list are bounded before the list is built:
// encoder_layers [16777216, 2] used to pass and build a 5 GB list.
TEST(ModelConfig, BoundsLayerAndLevelCounts) {
  ModelConfig c = photon600M();
  c.encoderLayers = {16777216, 2};
  EXPECT_EQ(errorMessages(c),
            std::vector<std::string>{"encoder_layers: entry 0 must be in [1, 4096], got 16777216"});
  c.encoderLayers = {4, 4};
  c.decoderLayers = {4, 4097};
  EXPECT_EQ(errorFields(c), std::vector<std::string>{"decoder_layers"});
  c.encoderLayers = {2048, 2048};
  c.decoderLayers = {1, 1};
  EXPECT_EQ(errorMessages(c),
            std::vector<std::string>{"encoder_layers: the stacks have 4098 layers in all "
                                     "(encoder_layers + decoder_layers); at most 4096 are "
                                     "supported"});
  c.encoderLayers = {2047, 2047};
  EXPECT_TRUE(c.validate().empty());

  c = photon600M();
  c.level1Chunker = ChunkerKind::Linear;
  c.chunkSizes = std::vector<int64_t>(17, 1);
  c.prefixLengths = c.encoderLayers = c.decoderLayers = std::vector<int64_t>(17, 1);
  EXPECT_EQ(errorMessages(c),
            std::vector<std::string>{"chunk_sizes: has 17 entries (levels); at most 16 are "
                                     "supported"});

  ModelConfig v;
  v.kind = ModelKind::Vanilla;
  v.vocabSize = 256;
  v.dModel = 64;
  v.nHeads = v.nKvHeads = 4;
  v.ffnDim = 128;
  v.layers = 16777216;
  EXPECT_EQ(errorMessages(v),
            std::vector<std::string>{"layers: is too large: 16777216 (at most 4096)"});
  v.layers = 4096;
  EXPECT_TRUE(v.validate().empty());
}

// Fields each in range whose product overflows: one tensor (the converter,
// R·D x D) or the sum over all tensors. The error names the field.
TEST(ModelConfig, RejectsWeightSizeOverflow) {
  ModelConfig c = photon600M();
  c.dModel = int64_t(1) << 24;
  c.dEmbed = c.dModel / 4;
  c.nHeads = c.nKvHeads = 4096;
  c.encoderLayers = c.decoderLayers = {1, 1};
  EXPECT_TRUE(c.validate().empty());
  c.prefixLengths = {int64_t(1) << 24, 2}; // converter.1.weight: 2^48 x 2^24
  EXPECT_EQ(errorMessages(c),
            std::vector<std::string>{
                "prefix_lengths: makes the weights too large: at 'converter.1.weight' "
                "[281474976710656 x 16777216] they pass 2305843009213693951 elements"});

  ModelConfig v; // 4096 layers of 4·2^48 + 3·2^24·2^14 elements: past 2^61
  v.kind = ModelKind::Vanilla;
  v.vocabSize = 256;
  v.dModel = int64_t(1) << 24;
  v.nHeads = v.nKvHeads = 4096;
  v.ffnDim = 16384;
  v.layers = 4096;
  EXPECT_EQ(errorFields(v), std::vector<std::string>{"layers"});
  v.layers = 1024;
  EXPECT_TRUE(v.validate().empty());
}

TEST(ModelConfig, WeightNamesFollowTheSpec) {
  ModelConfig c = photon600M();
  std::vector<TensorSpec> w = c.weights();
  auto find = [&](const std::string &name) -> const TensorSpec * {
    for (const TensorSpec &t : w)
      if (t.name == name)
        return &t;
    return nullptr;
  };
  ASSERT_NE(find("encoder.2.layers.3.mlp.down_proj.weight"), nullptr);
  EXPECT_EQ(find("encoder.2.layers.3.mlp.down_proj.weight")->shape,
            (std::vector<int64_t>{1664, 4096}));
  EXPECT_EQ(find("converter.1.weight")->shape, (std::vector<int64_t>{3328, 1664}));
  EXPECT_EQ(find("chunker.2.norm.weight")->shape, (std::vector<int64_t>{6656}));
  EXPECT_EQ(find("chunker.1.proj.weight"), nullptr); // concat has no weights
  EXPECT_EQ(find("encoder.3.norm.weight"), nullptr);
  EXPECT_NE(find("start_latent.2"), nullptr);
}

} // namespace
