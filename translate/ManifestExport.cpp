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
#include "passes/ArtifactDescription.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;
using namespace mlir::photon;

static llvm::cl::list<std::string> manifestTargets(
    "manifest-targets",
    llvm::cl::desc("Targets the artifact has kernels for (cpu, cuda); the "
                   "kernel library of target T is kernels-T.so"),
    llvm::cl::CommaSeparated);

using Json = nlohmann::ordered_json;
namespace field = ::photon::field;

/// The configuration, for people and tools (the runtime does not read it).
static Json configToJson(const ::photon::ModelConfig &c) {
  Json o = {
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
    o["chunk_sizes"] = c.chunkSizes;
    o["prefix_lengths"] = c.prefixLengths;
    o["encoder_layers"] = c.encoderLayers;
    o["decoder_layers"] = c.decoderLayers;
    o["level1_chunker"] = ::photon::toString(c.level1Chunker);
  }
  return o;
}

static LogicalResult exportManifest(Operation *op, llvm::raw_ostream &os) {
  auto module = dyn_cast<ModuleOp>(op);
  auto models = module ? llvm::to_vector(module.getOps<ModelOp>())
                       : SmallVector<ModelOp>();
  if (models.size() != 1)
    return op->emitError("--export-manifest expects a module with exactly one "
                         "photon.model");
  ModelOp model = models.front();
  // What the compiled code was built for (the library embeds the same
  // description), then the tensors and the rest.
  FailureOr<Json> described = describeCompiledModel(model);
  if (failed(described))
    return failure();
  ::photon::ModelConfig c = model.getModelConfig();
  Json tensors = Json::array();
  for (ParamOp p : model.getBody().front().getOps<ParamOp>()) {
    std::optional<int64_t> offset = p.getOffset();
    if (!offset)
      return p.emitOpError("has no planned offset");
    tensors.push_back({{field::kName, p.getSymName().str()},
                       {field::kShape, p.getTensorType().getShape().vec()},
                       {field::kOffset, *offset}});
  }
  // A checkpoint of a tied model may still carry the head it shares.
  Json ignored = Json::array();
  if (c.kind == ::photon::ModelKind::Vanilla && c.tieWordEmbeddings)
    ignored.push_back("lm_head.weight");
  Json kernels = Json::object();
  if (manifestTargets.empty())
    kernels["cpu"] = "kernels-cpu.so";
  for (const std::string &t : manifestTargets) {
    if (t != "cpu" && t != "cuda")
      return op->emitError("--manifest-targets: unknown target '") << t << "'";
    kernels[t] = "kernels-" + t + ".so";
  }
  Json manifest = {{field::kFormat, ::photon::kArtifactFormat},
                   {field::kVersion, ::photon::kArtifactVersion},
                   {field::kModel, model.getSymName().str()},
                   {field::kKernels, kernels}};
  manifest.update(*described);
  manifest[field::kWeights][field::kTensors] = tensors;
  manifest[field::kWeights][field::kIgnored] = ignored;
  manifest[field::kConfig] = configToJson(c);
  os << manifest.dump(2) << "\n";
  return success();
}

void mlir::photon::registerManifestExportTranslation() {
  TranslateFromMLIRRegistration reg(
      "export-manifest",
      "Write the runtime manifest (JSON) of a memory-planned photon.model",
      exportManifest,
      [](DialectRegistry &registry) { registry.insert<PhotonDialect>(); });
}
