//===- SamplerTest.cpp - Tests of token sampling --------------------------===//

#include "runtime/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

using namespace photon::rt;

namespace {

Sampler make(double temperature, int topK = 0, double topP = 1, uint64_t seed = 0) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = topK;
  p.top_p = topP;
  p.seed = seed;
  Expected<Sampler> s = Sampler::create(p);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

std::vector<float> randomLogits(Rng &rng, int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = float(3 * rng.nextNormal());
  return v;
}

TEST(Sampler, GreedyTiesGoToTheLowestId) {
  Sampler s = make(0);
  std::vector<float> l = {1, 3, 3, 2, 3};
  EXPECT_EQ(s.sample(l.data(), 5), 1);
  std::vector<float> flat(7, 0.5f);
  EXPECT_EQ(s.sample(flat.data(), 7), 0);
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> withNan = {nan, -1, nan, -0.5f};
  EXPECT_EQ(s.sample(withNan.data(), 4), 3);
  std::vector<float> allNan = {nan, nan};
  EXPECT_EQ(s.sample(allNan.data(), 2), 0);
  EXPECT_EQ(s.sample(l.data(), 0), -1);
  EXPECT_EQ(Sampler::argmax(l.data(), 5), 1);
}

TEST(Sampler, TopK1EqualsGreedy) {
  Rng rng(11);
  Sampler s = make(1.5, /*topK=*/1, 1, /*seed=*/5);
  for (int i = 0; i < 200; ++i) {
    std::vector<float> l = randomLogits(rng, 50);
    l[size_t(i % 50)] = l[size_t((i + 7) % 50)] = 100; // a tie at the top
    ASSERT_EQ(s.sample(l.data(), 50), Sampler::argmax(l.data(), 50));
    ASSERT_EQ(Sampler::argmax(l.data(), 50), std::min(i % 50, (i + 7) % 50));
  }
}

TEST(Sampler, TinyTopPEqualsGreedy) {
  Rng rng(12);
  Sampler s = make(2.0, 0, /*topP=*/1e-9, 6);
  for (int i = 0; i < 200; ++i) {
    std::vector<float> l = randomLogits(rng, 64);
    if (i % 2)
      l[3] = l[40] = 50; // ties
    ASSERT_EQ(s.sample(l.data(), 64), Sampler::argmax(l.data(), 64));
  }
}

TEST(Sampler, SeededRunsReproduce) {
  Rng rng(13);
  std::vector<float> l = randomLogits(rng, 100);
  for (float &x : l)
    x *= 0.2f; // flat enough that many ids are likely
  Sampler a = make(1, 0, 1, 77), b = make(1, 0, 1, 77), c = make(1, 0, 1, 78);
  std::vector<int> ra, rb, rc;
  for (int i = 0; i < 100; ++i) {
    ra.push_back(a.sample(l.data(), 100));
    rb.push_back(b.sample(l.data(), 100));
    rc.push_back(c.sample(l.data(), 100));
  }
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
}

TEST(Sampler, TemperatureSamplingFollowsTheDistribution) {
  // Probabilities 1/2, 1/4, 1/8, 1/8.
  std::vector<float> l = {std::log(0.5f), std::log(0.25f), std::log(0.125f), std::log(0.125f)};
  Sampler s = make(1.0, 0, 1, 2024);
  int counts[4] = {0, 0, 0, 0};
  const int n = 8000;
  for (int i = 0; i < n; ++i) {
    int id = s.sample(l.data(), 4);
    ASSERT_GE(id, 0);
    ASSERT_LT(id, 4);
    ++counts[id];
  }
  // Within ~5 standard deviations of n*p.
  EXPECT_NEAR(counts[0], 4000, 225);
  EXPECT_NEAR(counts[1], 2000, 195);
  EXPECT_NEAR(counts[2], 1000, 150);
  EXPECT_NEAR(counts[3], 1000, 150);
}

TEST(Sampler, TopKAndTopPRestrictTheCandidates) {
  std::vector<float> l = {std::log(0.125f), std::log(0.5f), std::log(0.125f), std::log(0.25f)};
  Sampler k2 = make(1.0, 2, 1, 1);
  Sampler p70 = make(1.0, 0, 0.7, 1); // 0.5 + 0.25 >= 0.7: ids 1 and 3
  Sampler p50 = make(1.0, 0, 0.5, 1); // 0.5 alone reaches 0.5
  std::set<int> seenK, seenP;
  for (int i = 0; i < 500; ++i) {
    seenK.insert(k2.sample(l.data(), 4));
    seenP.insert(p70.sample(l.data(), 4));
    ASSERT_EQ(p50.sample(l.data(), 4), 1);
  }
  EXPECT_EQ(seenK, (std::set<int>{1, 3}));
  EXPECT_EQ(seenP, (std::set<int>{1, 3}));
}

TEST(Sampler, HighTemperaturePicksManyIdsLowPicksOne) {
  Rng rng(14);
  std::vector<float> l = randomLogits(rng, 20);
  Sampler hot = make(100.0, 0, 1, 3), cold = make(1e-3, 0, 1, 3);
  std::set<int> seenHot, seenCold;
  for (int i = 0; i < 400; ++i) {
    seenHot.insert(hot.sample(l.data(), 20));
    seenCold.insert(cold.sample(l.data(), 20));
  }
  EXPECT_GE(seenHot.size(), 18u);
  EXPECT_EQ(seenCold, (std::set<int>{Sampler::argmax(l.data(), 20)}));
}

TEST(Sampler, InfiniteLogitsAreHandled) {
  float inf = std::numeric_limits<float>::infinity();
  std::vector<float> masked = {-inf, 2, -inf, 1};
  Sampler s = make(1.0, 0, 1, 9);
  for (int i = 0; i < 100; ++i) {
    int id = s.sample(masked.data(), 4);
    ASSERT_TRUE(id == 1 || id == 3);
  }
  std::vector<float> allMasked = {-inf, -inf, -inf};
  EXPECT_EQ(s.sample(allMasked.data(), 3), 0);
  std::vector<float> plusInf = {0, inf, 3, inf};
  EXPECT_EQ(s.sample(plusInf.data(), 4), 1);
}

TEST(Sampler, ValidatesParameters) {
  SamplingParams p;
  EXPECT_TRUE(p.validate().ok());
  EXPECT_TRUE(p.greedy());
  p.temperature = -1;
  EXPECT_EQ(p.validate().message(), "temperature must be a finite number >= 0 (got -1; 0 "
                                    "means greedy)");
  p.temperature = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(p.validate().message(), "temperature must be a finite number >= 0 (got nan; 0 "
                                    "means greedy)");
  p.temperature = 0.7;
  p.top_k = -3;
  EXPECT_EQ(p.validate().message(), "top_k must be >= 0 (got -3; 0 means off)");
  p.top_k = 40;
  p.top_p = 0;
  EXPECT_EQ(p.validate().message(), "top_p must be in (0, 1] (got 0; 1 means off)");
  p.top_p = 1.5;
  EXPECT_EQ(p.validate().message(), "top_p must be in (0, 1] (got 1.5; 1 means off)");
  Expected<Sampler> s = Sampler::create(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "invalid sampling parameters: top_p must be in (0, 1] (got 1.5; 1 means off)");
  p.top_p = 0.9;
  EXPECT_TRUE(Sampler::create(p).ok());
}

} // namespace
