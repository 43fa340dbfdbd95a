//===- ManifestExport.cpp - planned photon.model to the artifact manifest -===//
//
// The manifest tells the MLIR-free runtime everything it needs besides the
// compiled code: the weight arena (name, shape, offset of every tensor,
// element type), the activation type and fingerprint, and for every
// generation program its entry points and the regions of its state arena
// (the state plan), plus the kernel library of each target. The
// configuration is included for people and tools; the runtime does not read
// it. The entry points' signatures are runtime/ProgramABI.h.
//
//===----------------------------------------------------------------------===//

#include "translate/ConfigImport.h"
#include "dialect/PhotonOps.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::photon;

static llvm::cl::list<std::string> manifestTargets(
    "manifest-targets",
    llvm::cl::desc("Targets the artifact has kernels for (cpu, cuda); the "
                   "kernel library of target T is kernels-T.so"),
    llvm::cl::CommaSeparated);

static llvm::json::Array toJson(ArrayRef<int64_t> values) {
  llvm::json::Array a;
  for (int64_t v : values)
    a.push_back(v);
  return a;
}

static llvm::json::Object configToJson(const ::photon::ModelConfig &c) {
  llvm::json::Object o{
      {"model_type", ::photon::toString(c.kind)},
      {"vocab_size", c.vocabSize},
      {"d_model", c.dModel},
      {"n_heads", c.nHeads},
      {"n_kv_heads", c.nKvHeads},
      {"ffn_dim", c.ffnDim},
      {"rope_theta", c.ropeTheta},
      {"rms_norm_eps", c.rmsNormEps},
  };
  if (c.kind == ::photon::ModelKind::Vanilla) {
    o["layers"] = c.layers;
    o["tie_word_embeddings"] = c.tieWordEmbeddings;
  } else {
    o["d_embed"] = c.dEmbed;
    o["chunk_sizes"] = toJson(c.chunkSizes);
    o["prefix_lengths"] = toJson(c.prefixLengths);
    o["encoder_layers"] = toJson(c.encoderLayers);
    o["decoder_layers"] = toJson(c.decoderLayers);
    o["level1_chunker"] = ::photon::toString(c.level1Chunker);
  }
  return o;
}

static std::string typeName(Type t) {
  if (t.isF32()) return "f32";
  if (t.isBF16()) return "bf16";
  return "f16";
}

static llvm::json::Object statePlanToJson(ProgramOp program) {
  StatePlanAttr plan = *program.getStatePlan();
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

static LogicalResult exportManifest(Operation *op, llvm::raw_ostream &os) {
  auto module = dyn_cast<ModuleOp>(op);
  auto models = module ? llvm::to_vector(module.getOps<ModelOp>())
                       : SmallVector<ModelOp>();
  if (models.size() != 1)
    return op->emitError("--export-manifest expects a module with exactly one "
                         "photon.model");
  ModelOp model = models.front();
  std::optional<MemoryPlanAttr> plan = model.getMemoryPlan();
  if (!plan)
    return model.emitError("has no memory plan: run -photon-plan-memory first");

  ::photon::ModelConfig c = model.getModelConfig();
  llvm::json::Array tensors;
  std::string dtype;
  for (ParamOp p : model.getBody().front().getOps<ParamOp>()) {
    auto offset = p->getAttrOfType<IntegerAttr>("photon.offset");
    if (!offset)
      return p.emitOpError("has no planned offset");
    dtype = typeName(p.getTensorType().getElementType());
    tensors.push_back(llvm::json::Object{
        {"name", p.getSymName()},
        {"shape", toJson(p.getTensorType().getShape())},
        {"offset", offset.getInt()}});
  }
  llvm::json::Array programs;
  for (ProgramOp program : model.getBody().front().getOps<ProgramOp>()) {
    if (!program.getStatePlan())
      return program.emitOpError("has no state plan: run -photon-plan-memory first");
    programs.push_back(statePlanToJson(program));
  }
  // A checkpoint of a tied model may still carry the head it shares.
  llvm::json::Array ignored;
  if (c.kind == ::photon::ModelKind::Vanilla && c.tieWordEmbeddings)
    ignored.push_back("lm_head.weight");
  llvm::json::Object kernels;
  if (manifestTargets.empty())
    kernels["cpu"] = "kernels-cpu.so";
  for (const std::string &t : manifestTargets) {
    if (t != "cpu" && t != "cuda")
      return op->emitError("--manifest-targets: unknown target '") << t << "'";
    kernels[t] = "kernels-" + t + ".so";
  }
  llvm::json::Object manifest{
      {"format", "photon-artifact"},
      {"version", 4},
      {"model", model.getSymName()},
      {"kernels", std::move(kernels)},
      {"config", configToJson(c)},
      {"vocab_size", c.vocabSize},
      {"activation_type", typeName(plan->getActivationType())},
      {"fingerprint", plan->getFingerprint()},
      {"weights",
       llvm::json::Object{{"dtype", dtype},
                          {"elements", plan->getWeightElements()},
                          {"tensors", std::move(tensors)},
                          {"ignored", std::move(ignored)}}},
      {"programs", std::move(programs)},
  };
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return success();
}

void mlir::photon::registerManifestExportTranslation() {
  TranslateFromMLIRRegistration reg(
      "export-manifest",
      "Write the runtime manifest (JSON) of a memory-planned photon.model",
      exportManifest,
      [](DialectRegistry &registry) { registry.insert<PhotonDialect>(); });
}
