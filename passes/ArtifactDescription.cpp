//===- ArtifactDescription.cpp - What a compiled model was built for -------===//

#include "passes/ArtifactDescription.h"

namespace mlir::photon {

namespace field = ::photon::field;

std::string elementTypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isBF16())
    return "bf16";
  return "f16";
}

FailureOr<nlohmann::ordered_json> describeCompiledModel(ModelOp model) {
  std::optional<MemoryPlanAttr> plan = model.getMemoryPlan();
  if (!plan)
    return model.emitOpError("has no memory plan: run -photon-plan-memory first");
  Type weightType;
  for (ParamOp p : model.getBody().front().getOps<ParamOp>())
    weightType = p.getTensorType().getElementType();
  if (!weightType)
    return model.emitOpError("has no planned weights: run -photon-plan-memory first");
  nlohmann::ordered_json programs = nlohmann::ordered_json::array();
  for (ProgramOp program : model.getBody().front().getOps<ProgramOp>()) {
    std::optional<StatePlanAttr> state = program.getStatePlan();
    if (!state)
      return program.emitOpError("has no state plan: run -photon-plan-memory first");
    ::photon::ProgramInfo info;
    info.name = program.getSymName().str();
    info.mode = stringifyGenerationMode(program.getMode()).str();
    info.prefillSymbol = ProgramOp::cInterfaceName(program.getPrefillSymbol());
    info.stepSymbol = ProgramOp::cInterfaceName(program.getStepSymbol());
    info.tokensPerStep = state->getTokensPerStep();
    info.prefillTile = state->getPrefillTile();
    info.analyticPerSeq = state->getAnalyticPerSeq();
    info.analyticPerStep = state->getAnalyticPerStep();
    info.regions = state->getStateRegions();
    programs.push_back(::photon::toJson(info));
  }
  // The version names the entry points' ABI (runtime/ProgramABI.h): a
  // library of another version cannot be called with this runtime's ABI.
  return nlohmann::ordered_json{
      {field::kVersion, ::photon::kArtifactVersion},
      {field::kVocabSize, model.getModelConfig().vocabSize},
      {field::kActivationType, elementTypeName(plan->getActivationType())},
      {field::kFingerprint, plan->getFingerprint()},
      {field::kWeights,
       {{field::kDtype, elementTypeName(weightType)},
        {field::kElements, plan->getWeightElements()}}},
      {field::kPrograms, programs}};
}

} // namespace mlir::photon
