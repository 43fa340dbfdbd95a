//===- StatePlanTest.cpp - The state arena formula shared by compiler and runtime ===//

#include "model/StatePlan.h"

#include <gtest/gtest.h>

#include <cstdint>

using namespace photon;

TEST(StatePlan, RegionBytesFollowTheFormula) {
  StateRegion r{"enc.1.k", /*tile=*/0, /*fixed=*/100, /*perSeq=*/8, /*fixedPerStep=*/3,
                /*perStep=*/64};
  // fixed + n*per_seq + steps*(fixed_per_step + n*per_step)
  EXPECT_EQ(r.bytes(1, 1), 100 + 8 + 3 + 64);
  EXPECT_EQ(r.bytes(5, 7), 100 + 5 * 8 + 7 * (3 + 5 * 64));
  EXPECT_EQ(r.bytes(0, 0), 100);
}

TEST(StatePlan, TiledRegionsServeOneTile) {
  StateRegion r{"logits", /*tile=*/256, 0, /*perSeq=*/1024, 0, 0};
  EXPECT_EQ(r.bytes(1, 9), 1024);
  EXPECT_EQ(r.bytes(256, 9), 256 * 1024);
  EXPECT_EQ(r.bytes(4096, 9), 256 * 1024); // the batch runs tile by tile
}

TEST(StatePlan, StepsHoldOneSpare) {
  EXPECT_EQ(planSteps(1, 16), 2);
  EXPECT_EQ(planSteps(16, 16), 2);
  EXPECT_EQ(planSteps(17, 16), 3);
  EXPECT_EQ(planSteps(2176, 16), 137);
  EXPECT_EQ(planSteps(5, 1), 6); // vanilla: a step is a token
}

TEST(StatePlan, LayoutAlignsEveryRegion) {
  std::vector<StateRegion> regions = {{"a", 0, 0, 3, 0, 0},   // 3 bytes per sequence
                                      {"b", 0, 300, 0, 0, 0}, // 300 bytes
                                      {"c", 0, 0, 0, 0, 1}};  // 1 byte per sequence and step
  std::optional<StateLayout> l = layoutState(regions, 2, 4);
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->offsets.size(), 3u);
  EXPECT_EQ(l->offsets[0], 0);
  EXPECT_EQ(l->offsets[1], kRegionAlignment);
  EXPECT_EQ(l->offsets[2], 3 * kRegionAlignment); // 256 + 300 rounds up to 768
  EXPECT_EQ(l->totalBytes, 3 * kRegionAlignment + 8);
}

TEST(StatePlan, OverflowIsReported) {
  StateRegion huge{"x", 0, 0, INT64_MAX / 2, 0, 0};
  EXPECT_FALSE(huge.bytes(3, 1).has_value());
  StateRegion perStep{"y", 0, 0, 0, 0, INT64_MAX / 4};
  EXPECT_FALSE(perStep.bytes(2, 4).has_value());
  EXPECT_FALSE(layoutState({huge}, 3, 1).has_value());
  StateRegion big{"z", 0, INT64_MAX - 100, 0, 0, 0};
  EXPECT_FALSE(layoutState({big, big}, 1, 1).has_value());
}
