//===- PipelineLatents.cpp - RecGen's latent chain a meta-context ahead ---===//
//
// Software-pipelines a RecGen decode loop by one stage: the latent chain of
// the next meta-context (photon.recgen_latents) runs in the iteration that
// decodes this one's tokens (photon.decode_tokens), so that the two share
// no value and the compiled step can run them side by side.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONPIPELINELATENTS
#include "passes/Passes.h.inc"
} // namespace mlir::photon

namespace mlir::photon {
namespace {

/// The loop's one step, when its body is exactly `recgen_step` of the carried
/// (top, cache) and the yield of its results.
RecGenStepOp wholeStep(DecodeLoopOp loop) {
  Block &body = loop.getBody().front();
  if (body.getOperations().size() != 2 || body.getNumArguments() != 2)
    return {};
  auto step = dyn_cast<RecGenStepOp>(body.front());
  if (!step || step.getTop() != body.getArgument(0) || step.getCache() != body.getArgument(1))
    return {};
  auto yield = cast<YieldOp>(body.getTerminator());
  if (ValueRange(yield.getValues()) != ValueRange(step->getResults()))
    return {};
  return step;
}

struct PipelineLatents : impl::PhotonPipelineLatentsBase<PipelineLatents> {
  void runOnOperation() override {
    getOperation().walk([&](ProgramOp program) {
      if (program.getMode() != GenerationMode::recgen || program.runsLatentsAhead())
        return;
      for (DecodeLoopOp loop :
           llvm::make_early_inc_range(program.getBody().front().getOps<DecodeLoopOp>())) {
        if (RecGenStepOp step = wholeStep(loop))
          pipeline(loop, step);
        else
          loop.emitWarning("photon-pipeline-latents: leaves the loop as it is: its body is "
                           "not one 'photon.recgen_step' of the values it carries");
      }
    });
  }

  void pipeline(DecodeLoopOp loop, RecGenStepOp step) {
    ::photon::ModelConfig c = loop->getParentOfType<ModelOp>().getModelConfig();
    MLIRContext *ctx = loop.getContext();
    Type conditions = StreamType::get(ctx, 1, c.dModel, c.span(1));
    SmallVector<Type> latentTypes{conditions, step.getNextTop().getType(),
                                  step.getUpdatedCache().getType()};

    // The first meta-context's latents, in front of the loop.
    OpBuilder b(loop);
    auto first = RecGenLatentsOp::create(b, step.getLoc(), latentTypes, loop.getInits()[0],
                                         loop.getInits()[1]);
    auto pipelined = DecodeLoopOp::create(b, loop.getLoc(), first->getResults());
    pipelined->setDiscardableAttrs(loop->getDiscardableAttrDictionary());

    // Each iteration: this meta-context's tokens, the next one's latents.
    Block &body = pipelined.getBody().front();
    b.setInsertionPointToEnd(&body);
    auto tokens = DecodeTokensOp::create(b, step.getLoc(), body.getArgument(0));
    tokens.setLockstep(step.getLockstep());
    auto next = RecGenLatentsOp::create(b, step.getLoc(), latentTypes, body.getArgument(1),
                                        body.getArgument(2));
    SmallVector<Value> yielded{tokens.getTokens()};
    llvm::append_range(yielded, next->getResults());
    YieldOp::create(b, loop.getBody().front().getTerminator()->getLoc(), yielded);

    loop.getTokens().replaceAllUsesWith(pipelined.getTokens());
    loop.erase();
  }
};

} // namespace
} // namespace mlir::photon
