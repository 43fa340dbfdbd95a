//===- StatePlanningTest.cpp - The state plans photon-plan-memory writes --===//
//
// planProgramState against spec §4 for PHOTON-600M (bf16 activations): which
// regions each program and schedule gets, and what they cost per sequence.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonDialect.h"
#include "passes/StatePlanning.h"
#include "unittests/ModelConfigs.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::photon;

namespace {

class StatePlanning : public ::testing::Test {
protected:
  StatePlanning() { ctx.loadDialect<PhotonDialect>(); }
  StatePlanAttr plan(GenerationMode mode, bool lookahead) {
    StateSchedule schedule;
    schedule.latentLookahead = lookahead;
    return planProgramState(&ctx, c, mode, /*activationBytes=*/2, schedule);
  }
  MLIRContext ctx;
  const ::photon::ModelConfig c = ::photon::testing::photon600M();
  // One item of Enc_2's cache: 4 layers x (K, V) x 1664 bf16.
  const int64_t kvItem = 4 * 2 * 1664 * 2;
};

TEST_F(StatePlanning, RecGenKeepsOnlyTheTopEncoder) {
  StatePlanAttr p = plan(GenerationMode::recgen, /*lookahead=*/false);
  EXPECT_EQ(p.getTokensPerStep(), 16);
  // Enc_1 serves one prefill tile; Enc_2 grows by one item per meta-context.
  ASSERT_TRUE(p.lookup("enc.1.k"));
  EXPECT_GT(p.lookup("enc.1.k").getTile(), 0);
  ASSERT_TRUE(p.lookup("enc.2.k"));
  EXPECT_EQ(p.lookup("enc.2.k").getTile(), 0);
  EXPECT_EQ(p.lookup("enc.2.k").getPerStep() + p.lookup("enc.2.v").getPerStep(), kvItem);
  EXPECT_FALSE(runsLatentsAhead(p));
  EXPECT_FALSE(p.lookup(kNextTokenConditions));
  EXPECT_FALSE(p.lookup((Twine("prefix") + kLatentLane).str()));
}

TEST_F(StatePlanning, LookaheadGivesTheLatentChainItsOwnState) {
  StatePlanAttr inOrder = plan(GenerationMode::recgen, false);
  StatePlanAttr ahead = plan(GenerationMode::recgen, true);
  EXPECT_TRUE(runsLatentsAhead(ahead));
  // Scratch of its own for every region a stack call writes...
  for (StringRef lane : {"prefix", "rows", "stack_scratch", "semaphores"}) {
    StateRegionAttr shared = ahead.lookup(lane), own = ahead.lookup((lane + kLatentLane).str());
    ASSERT_TRUE(shared && own) << lane.str();
    EXPECT_EQ(*own.getStateRegion().bytes(1024, 137), *shared.getStateRegion().bytes(1024, 137))
        << lane.str();
  }
  // ...the next meta-context's token conditions, as large as this one's...
  ASSERT_TRUE(ahead.lookup(kNextTokenConditions));
  EXPECT_EQ(ahead.lookup(kNextTokenConditions).getPerSeq(), ahead.lookup("tok_cond").getPerSeq());
  // ...and Enc_2 one meta-context more: one item per sequence, whatever the steps.
  EXPECT_EQ(ahead.lookup("enc.2.k").getPerStep(), inOrder.lookup("enc.2.k").getPerStep());
  EXPECT_EQ(ahead.lookup("enc.2.k").getPerSeq() + ahead.lookup("enc.2.v").getPerSeq() -
                inOrder.lookup("enc.2.k").getPerSeq() - inOrder.lookup("enc.2.v").getPerSeq(),
            kvItem);
  // The analytic bytes (spec §4) do not depend on the schedule.
  EXPECT_EQ(perSequenceBytes(ahead, 2176).analytic, perSequenceBytes(inOrder, 2176).analytic);
  EXPECT_GT(perSequenceBytes(ahead, 2176).allocated, perSequenceBytes(inOrder, 2176).allocated);
}

TEST_F(StatePlanning, HierGenIgnoresTheLookahead) {
  // Only RecGen's latents are independent of the sampled tokens.
  StatePlanAttr p = plan(GenerationMode::hiergen, /*lookahead=*/true);
  EXPECT_FALSE(runsLatentsAhead(p));
  EXPECT_EQ(p.getRegions(), plan(GenerationMode::hiergen, false).getRegions());
  // HierGen keeps both encoder caches.
  EXPECT_EQ(p.lookup("enc.1.k").getTile(), 0);
  EXPECT_EQ(p.lookup("enc.2.k").getTile(), 0);
}

TEST_F(StatePlanning, AllocatedBytesTrackSpecSection4) {
  // RecGen at 2,176 tokens: the plan allocates within 3% of the analytic
  // KV + coarse state per sequence (the rest: positions, tokens, carries).
  PerSequenceBytes b = perSequenceBytes(plan(GenerationMode::recgen, false), 2176);
  EXPECT_GE(b.allocated, b.analytic);
  EXPECT_LE(b.allocated, b.analytic * 103 / 100);
}

TEST_F(StatePlanning, LocalRowsCoverEveryLocalDecoderCallOfATile) {
  // PHOTON-600M (C = [4, 4], R = [2, 2]), decode tile 1024: Dec_1 runs over
  // 4 chunk instances a sequence, Dec_2 over 1; per level a prefix call and
  // 3 one-row calls, laid out back to back (positions, then slots).
  LocalRowsLayout layout = localRowsLayout(c, /*decodeTile=*/1024);
  ASSERT_EQ(layout.calls.size(), 8u);
  const LocalRowsLayout::Call &prefix1 = layout.of(1, 0);
  EXPECT_EQ(prefix1.perSlot, 2);
  EXPECT_EQ(prefix1.p0, 0);
  EXPECT_EQ(prefix1.rows, 1024 * 4 * 2);
  EXPECT_EQ(prefix1.at, 0);
  const LocalRowsLayout::Call &step1 = layout.of(1, 1);
  EXPECT_EQ(step1.perSlot, 1);
  EXPECT_EQ(step1.p0, 2);
  EXPECT_EQ(step1.rows, 1024 * 4);
  EXPECT_EQ(step1.at, 2 * prefix1.rows);
  // The last call writes at the cache's last position, R + C - 2.
  const LocalRowsLayout::Call &last2 = layout.of(2, 3);
  EXPECT_EQ(last2.p0, 4);
  EXPECT_EQ(last2.rows, 1024);
  EXPECT_EQ(last2.at + 2 * last2.rows, layout.elements);
  EXPECT_EQ(layout.elements, 2 * (1024 * 4 * (2 + 3) + 1024 * (2 + 3)));
  // The plan holds them, i32 each, once for the whole batch.
  StateRegionAttr region = plan(GenerationMode::recgen, true).lookup("local_rows");
  ASSERT_TRUE(region);
  EXPECT_EQ(region.getFixed(), layout.elements * 4);
  EXPECT_EQ(region.getPerSeq(), 0);
  EXPECT_EQ(region.getTile(), 0);
}

} // namespace
