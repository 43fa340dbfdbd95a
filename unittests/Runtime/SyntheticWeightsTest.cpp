//===- SyntheticWeightsTest.cpp - Tests of the synthetic weights ----------===//

#include "runtime/Random.h"
#include "runtime/SyntheticWeights.h"
#include "runtime/Weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iterator>

using namespace photon::rt;

namespace {

const std::vector<TensorSpec> kSpecs = {
    {"enc_embed.weight", {64, 8}},
    {"encoder.1.layers.0.self_attn.q_proj.weight", {32, 16}},
    {"encoder.1.layers.0.input_layernorm.weight", {32}},
    {"chunker.2.proj.bias", {32}},
    {"start_latent.1", {32}},
    {"lm_head.weight", {64, 32}},
};

bool sameBytes(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

TEST(Random, SplitmixAndXoshiroKnownValues) {
  // splitmix64's published first output for seed 0.
  uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xE220A8397B1DCDAFull);
  // Pinned outputs: any change to the generator changes every synthetic
  // weight and sampled token, so it must be deliberate.
  // (The xoshiro256** values were checked against an independent Python
  // transcription of the reference C code.)
  Rng a(1), c(2);
  EXPECT_EQ(a.nextU64(), 0xB3F2AF6D0FC710C5ull);
  EXPECT_EQ(a.nextU64(), 0x853B559647364CEAull);
  EXPECT_NE(c.nextU64(), 0xB3F2AF6D0FC710C5ull);
  Rng u(7);
  for (int i = 0; i < 1000; ++i) {
    double d = u.nextDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
}

TEST(Random, DiscardEqualsDrawing) {
  for (uint64_t k : {0ull, 1ull, 2ull, 3ull, 63ull, 64ull, 65ull, 1000ull, 4097ull}) {
    Rng drawn(11), jumped(11);
    for (uint64_t i = 0; i < k; ++i)
      drawn.nextU64();
    jumped.discard(k);
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(drawn.nextU64(), jumped.nextU64()) << "after " << k << " draws";
  }
  // Jumps compose: (2^40 + 12345) + 777 draws in two jumps or one.
  Rng twice(5), once(5);
  twice.discard((1ull << 40) + 12345);
  twice.discard(777);
  once.discard((1ull << 40) + 12345 + 777);
  EXPECT_EQ(twice.nextU64(), once.nextU64());
  // A pending Box-Muller spare is dropped: the next normal starts a pair.
  Rng a(3), b(3);
  a.nextNormal();
  a.discard(0);
  b.discard(2);
  EXPECT_EQ(a.nextNormal(), b.nextNormal());
}

TEST(Random, NormalHasUnitMoments) {
  Rng r(123);
  const int n = 200000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    double x = r.nextNormal();
    sum += x;
    sq += x * x;
  }
  double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.015);
}

TEST(SyntheticWeights, SameSeedSameBytes) {
  auto a = syntheticWeights(kSpecs, 42), b = syntheticWeights(kSpecs, 42);
  ASSERT_EQ(a.size(), kSpecs.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].spec.name, kSpecs[i].name);
    EXPECT_EQ(int64_t(a[i].data.size()), numElements(kSpecs[i].shape));
    EXPECT_TRUE(sameBytes(a[i].data, b[i].data)) << kSpecs[i].name;
  }
}

TEST(SyntheticWeights, PinnedValues) {
  // Same bits with libstdc++ + g++ and clang++; a change here changes every
  // synthetic model, so it must be deliberate.
  std::vector<float> v =
      syntheticTensor({"encoder.1.layers.0.self_attn.q_proj.weight", {4, 16}}, 42);
  const uint32_t expected[4] = {0xBE66C29D, 0xBDAF6A47, 0x3EB7B574, 0x3E29C7BC};
  for (int i = 0; i < 4; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[size_t(i)], 4);
    EXPECT_EQ(bits, expected[i]) << i;
  }
  EXPECT_FLOAT_EQ(v[0], -0.225351766f); // std 1/4 draws
}

TEST(SyntheticWeights, DifferentSeedDifferentValues) {
  auto a = syntheticWeights(kSpecs, 1), b = syntheticWeights(kSpecs, 2);
  for (size_t i = 0; i < a.size(); ++i) {
    size_t equal = 0;
    for (size_t j = 0; j < a[i].data.size(); ++j)
      equal += a[i].data[j] == b[i].data[j];
    EXPECT_EQ(equal, 0u) << kSpecs[i].name;
  }
}

TEST(SyntheticWeights, TensorsAreIndependentOfTheirNeighbours) {
  // Each tensor's stream depends on (seed, name) only.
  auto all = syntheticWeights(kSpecs, 9);
  EXPECT_TRUE(sameBytes(all[3].data, syntheticTensor(kSpecs[3], 9)));
  // Two tensors of the same shape but different names differ.
  EXPECT_FALSE(sameBytes(syntheticTensor({"x.weight", {4, 4}}, 9),
                         syntheticTensor({"y.weight", {4, 4}}, 9)));
}

TEST(SyntheticWeights, PartsEqualTheWholeTensor) {
  TensorSpec spec{"lm_head.weight", {300, 70}};
  std::vector<float> whole = syntheticTensor(spec, 4), parts(whole.size());
  const int64_t cuts[] = {0, 1000, 5002, 5004, 21000};
  for (size_t i = 0; i + 1 < std::size(cuts); ++i)
    syntheticFill(spec, 4, cuts[i], cuts[i + 1], parts.data() + cuts[i]);
  EXPECT_TRUE(sameBytes(whole, parts));
}

TEST(SyntheticWeights, ArenaFilledInPartsOnAllCores) {
  // A tensor of 2.5 parts of 2^20 values, and small ones around it: the
  // arena holds exactly syntheticTensor's values, in f32 and in bf16.
  Manifest m;
  m.tensors = {{"a.bias", {3}, 0}, {"big.weight", {2500, 1049}, 4}, {"c.weight", {5, 7}, 2622504}};
  m.elements = 2622504 + 35;
  for (DType dtype : {DType::F32, DType::BF16}) {
    m.dtype = dtype;
    size_t calls = 0, last = 0;
    WeightArena arena = syntheticArena(m, 6, [&](size_t done, size_t total) {
      ++calls;
      EXPECT_EQ(total, size_t(m.elements) * dtypeSize(dtype));
      EXPECT_LE(done, total);
      last = std::max(last, done);
    });
    EXPECT_GT(calls, 0u);
    for (const ArtifactTensor &t : m.tensors) {
      std::vector<float> want = syntheticTensor({t.name, t.shape}, 6), got(want.size());
      arena.load(t.offset, got.data(), t.numel());
      if (dtype == DType::BF16)
        for (float &v : want)
          v = bf16ToF32(f32ToBF16(v));
      EXPECT_TRUE(sameBytes(want, got)) << t.name << " " << dtypeName(dtype);
    }
  }
}

TEST(SyntheticWeights, ScalesFollowTheNames) {
  auto scale = [](const std::string &n, std::vector<int64_t> s) {
    return syntheticScale({n, std::move(s)});
  };
  EXPECT_DOUBLE_EQ(scale("decoder.1.layers.0.mlp.up_proj.weight", {64, 16}).std, 0.25);
  EXPECT_DOUBLE_EQ(scale("decoder.1.layers.0.mlp.up_proj.weight", {64, 16}).mean, 0.0);
  EXPECT_DOUBLE_EQ(scale("lm_head.weight", {100, 36}).std, 0.5);
  EXPECT_DOUBLE_EQ(scale("enc_embed.weight", {100, 8}).std, 1.0);
  EXPECT_DOUBLE_EQ(scale("model.embed_tokens.weight", {100, 8}).std, 1.0);
  EXPECT_DOUBLE_EQ(scale("start_latent.2", {8}).std, 1.0);
  EXPECT_DOUBLE_EQ(scale("model.norm.weight", {8}).mean, 1.0);
  EXPECT_DOUBLE_EQ(scale("model.norm.weight", {8}).std, 0.1);
  EXPECT_DOUBLE_EQ(scale("m.layers.3.post_attention_layernorm.weight", {8}).mean, 1.0);
  EXPECT_DOUBLE_EQ(scale("chunker.1.norm.weight", {8}).mean, 1.0);
  EXPECT_DOUBLE_EQ(scale("converter.1.bias", {8}).std, 0.1);
  EXPECT_DOUBLE_EQ(scale("converter.1.bias", {8}).mean, 0.0);
  EXPECT_DOUBLE_EQ(scale("odd", {4, 25}).std, 0.2);
}

TEST(SyntheticWeights, ValuesHaveTheStatedStatistics) {
  auto stats = [](const std::vector<float> &v) {
    double s = 0, q = 0;
    for (float x : v)
      s += x, q += double(x) * x;
    double m = s / double(v.size());
    return std::pair<double, double>(m, std::sqrt(q / double(v.size()) - m * m));
  };
  auto [m1, s1] = stats(syntheticTensor({"l.weight", {256, 400}}, 5));
  EXPECT_NEAR(m1, 0.0, 0.002);
  EXPECT_NEAR(s1, 0.05, 0.001); // 1/sqrt(400)
  auto [m2, s2] = stats(syntheticTensor({"x.input_layernorm.weight", {100000}}, 5));
  EXPECT_NEAR(m2, 1.0, 0.002);
  EXPECT_NEAR(s2, 0.1, 0.002);
  auto [m3, s3] = stats(syntheticTensor({"lm_head.weight", {1000, 100}}, 5));
  EXPECT_NEAR(m3, 0.0, 0.005);
  EXPECT_NEAR(s3, 0.3, 0.005);
}

} // namespace
