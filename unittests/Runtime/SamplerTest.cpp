//===- SamplerTest.cpp - Sampling parameters and their random stream ------===//

#include "runtime/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

using namespace photon::rt;

namespace {

// Token choice itself is the compiled photon_sample / photon_argmax, checked
// end to end (test/E2E/agreement.py); here: parameters and the uniform stream.

TEST(Sampler, SeededUniformStreamsReproduce) {
  SamplingParams p;
  p.temperature = 0.8;
  p.seed = 11;
  Expected<Sampler> a = Sampler::create(p), b = Sampler::create(p);
  ASSERT_TRUE(a.ok() && b.ok());
  p.seed = 12;
  Expected<Sampler> c = Sampler::create(p);
  ASSERT_TRUE(c.ok());
  std::set<float> seen;
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    float u = a->nextUniform();
    EXPECT_EQ(u, b->nextUniform());
    differs |= u != c->nextUniform();
    EXPECT_GE(u, 0.f);
    EXPECT_LE(u, 1.f);
    seen.insert(u);
  }
  EXPECT_TRUE(differs);
  EXPECT_GT(seen.size(), 990u); // no short cycle
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
  // Subnormal temperatures are finite; one that rounds to 0 in the kernel's
  // f32 is greedy (dividing by 0 would give NaN weights).
  p.temperature = 1e-320;
  EXPECT_TRUE(p.validate().ok());
  EXPECT_TRUE(p.greedy());
  p.temperature = 1e-40; // an f32 subnormal: still sampled
  EXPECT_FALSE(p.greedy());
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
