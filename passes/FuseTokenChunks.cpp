//===- FuseTokenChunks.cpp - A meta-context's token chunks in lockstep ----===//
//
// Marks every generation step `lockstep`: the B/C_1 token chunks of a
// meta-context, independent but for their conditions (spec §4), decode as
// rows of each Dec_1 call rather than one chunk after another.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "passes/Passes.h"

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONFUSETOKENCHUNKS
#include "passes/Passes.h.inc"
} // namespace mlir::photon

namespace mlir::photon {
namespace {

struct FuseTokenChunks : impl::PhotonFuseTokenChunksBase<FuseTokenChunks> {
  void runOnOperation() override {
    getOperation().walk([&](ModelOp model) {
      if (model.getModelConfig().numLevels() == 0)
        return; // vanilla: one token a step
      model.walk([](Operation *op) {
        if (auto step = dyn_cast<HierGenStepOp>(op))
          step.setLockstep(true);
        else if (auto step = dyn_cast<RecGenStepOp>(op))
          step.setLockstep(true);
        else if (auto tokens = dyn_cast<DecodeTokensOp>(op))
          tokens.setLockstep(true);
      });
    });
  }
};

} // namespace
} // namespace mlir::photon
