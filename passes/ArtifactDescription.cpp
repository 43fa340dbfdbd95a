//===- ArtifactDescription.cpp - What a compiled model was built for -------===//

#include "passes/ArtifactDescription.h"

namespace mlir::photon {

std::string elementTypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isBF16())
    return "bf16";
  return "f16";
}

static llvm::json::Object describeProgram(ProgramOp program, StatePlanAttr plan) {
  llvm::json::Array regions;
  for (StateRegionAttr r : plan.getRegions())
    regions.push_back(llvm::json::Object{{"name", r.getName()},
                                         {"tile", r.getTile()},
                                         {"fixed", r.getFixed()},
                                         {"per_seq", r.getPerSeq()},
                                         {"fixed_per_step", r.getFixedPerStep()},
                                         {"per_step", r.getPerStep()}});
  return llvm::json::Object{
      {"name", program.getSymName()},
      {"mode", stringifyGenerationMode(program.getMode())},
      {"prefill", ProgramOp::cInterfaceName(program.getPrefillSymbol())},
      {"step", ProgramOp::cInterfaceName(program.getStepSymbol())},
      {"tokens_per_step", plan.getTokensPerStep()},
      {"prefill_tile", plan.getPrefillTile()},
      {"analytic_per_seq", plan.getAnalyticPerSeq()},
      {"analytic_per_step", plan.getAnalyticPerStep()},
      {"regions", std::move(regions)}};
}

FailureOr<llvm::json::Object> describeCompiledModel(ModelOp model) {
  std::optional<MemoryPlanAttr> plan = model.getMemoryPlan();
  if (!plan)
    return model.emitOpError("has no memory plan: run -photon-plan-memory first");
  Type weightType;
  for (ParamOp p : model.getBody().front().getOps<ParamOp>())
    weightType = p.getTensorType().getElementType();
  if (!weightType)
    return model.emitOpError("has no planned weights: run -photon-plan-memory first");
  llvm::json::Array programs;
  for (ProgramOp program : model.getBody().front().getOps<ProgramOp>()) {
    std::optional<StatePlanAttr> state = program.getStatePlan();
    if (!state)
      return program.emitOpError("has no state plan: run -photon-plan-memory first");
    programs.push_back(describeProgram(program, *state));
  }
  return llvm::json::Object{
      {"vocab_size", model.getModelConfig().vocabSize},
      {"activation_type", elementTypeName(plan->getActivationType())},
      {"fingerprint", plan->getFingerprint()},
      {"weights", llvm::json::Object{{"dtype", elementTypeName(weightType)},
                                     {"elements", plan->getWeightElements()}}},
      {"programs", std::move(programs)}};
}

} // namespace mlir::photon
