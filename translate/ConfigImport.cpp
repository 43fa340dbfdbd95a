//===- ConfigImport.cpp - config.json to photon IR ------------------------===//

#include "translate/ConfigImport.h"
#include "dialect/PhotonOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::photon;
using ::photon::ModelConfig;
using ::photon::ModelKind;

namespace {

/// Reads typed fields out of a JSON object and reports problems at the
/// field's position in the source text.
class ConfigReader {
public:
  ConfigReader(StringRef buffer, StringRef filename, MLIRContext *ctx,
               const llvm::json::Object &object)
      : buffer(buffer), filename(filename), ctx(ctx), object(object) {}

  /// The location of the key `"field":` in the source (the file start if
  /// absent); a string value with the same text is not a key.
  Location locOf(StringRef field) const {
    std::string quoted = ("\"" + field + "\"").str();
    for (size_t pos = buffer.find(quoted); pos != StringRef::npos;
         pos = buffer.find(quoted, pos + 1))
      if (buffer.drop_front(pos + quoted.size()).ltrim().starts_with(":"))
        return locAt(pos);
    return locAt(0);
  }

  Location locAt(size_t offset) const {
    StringRef before = buffer.take_front(offset);
    unsigned line = 1 + before.count('\n');
    size_t lastNewline = before.rfind('\n');
    unsigned col = offset - (lastNewline == StringRef::npos ? 0 : lastNewline + 1) + 1;
    return FileLineColLoc::get(ctx, filename, line, col);
  }

  InFlightDiagnostic error(StringRef field) {
    failed = true;
    return emitError(locOf(field)) << "config field '" << field << "': ";
  }

  bool has(StringRef field) const { return object.get(field) != nullptr; }

  int64_t getInt(StringRef field, std::optional<int64_t> dflt = std::nullopt) {
    const llvm::json::Value *v = object.get(field);
    if (!v) {
      if (!dflt)
        missing(field);
      return dflt.value_or(0);
    }
    if (std::optional<int64_t> i = v->getAsInteger())
      return *i;
    error(field) << "expected an integer, got " << describe(*v);
    return 0;
  }

  double getDouble(StringRef field, std::optional<double> dflt = std::nullopt) {
    const llvm::json::Value *v = object.get(field);
    if (!v) {
      if (!dflt)
        missing(field);
      return dflt.value_or(0);
    }
    if (std::optional<double> d = v->getAsNumber())
      return *d;
    error(field) << "expected a number, got " << describe(*v);
    return 0;
  }

  bool getBool(StringRef field, bool dflt) {
    const llvm::json::Value *v = object.get(field);
    if (!v)
      return dflt;
    if (std::optional<bool> b = v->getAsBoolean())
      return *b;
    error(field) << "expected true or false, got " << describe(*v);
    return dflt;
  }

  std::string getString(StringRef field,
                        std::optional<StringRef> dflt = std::nullopt) {
    const llvm::json::Value *v = object.get(field);
    if (!v) {
      if (!dflt)
        missing(field);
      return dflt.value_or("").str();
    }
    if (std::optional<StringRef> s = v->getAsString())
      return s->str();
    error(field) << "expected a string, got " << describe(*v);
    return "";
  }

  std::vector<int64_t> getIntList(StringRef field) {
    const llvm::json::Value *v = object.get(field);
    std::vector<int64_t> out;
    if (!v) {
      missing(field);
      return out;
    }
    const llvm::json::Array *a = v->getAsArray();
    if (!a) {
      error(field) << "expected a list of integers, got " << describe(*v);
      return out;
    }
    for (const llvm::json::Value &e : *a) {
      if (std::optional<int64_t> i = e.getAsInteger()) {
        out.push_back(*i);
      } else {
        error(field) << "expected a list of integers, but an entry is "
                     << describe(e);
        return {};
      }
    }
    return out;
  }

  void missing(StringRef field) {
    failed = true;
    emitError(locAt(0)) << "config is missing the required field '" << field
                        << "'";
  }

  static std::string describe(const llvm::json::Value &v) {
    switch (v.kind()) {
    case llvm::json::Value::Null: return "null";
    case llvm::json::Value::Boolean: return "a boolean";
    case llvm::json::Value::Number: return "a non-integer number";
    case llvm::json::Value::String: return "a string";
    case llvm::json::Value::Array: return "a list";
    case llvm::json::Value::Object: return "an object";
    }
    return "a value";
  }

  StringRef buffer, filename;
  MLIRContext *ctx;
  const llvm::json::Object &object;
  bool failed = false;
};

// The spec §1 fields of a photon-format config.
const char *const kPhotonFields[] = {
    "model_type",   "vocab_size",     "d_model",        "d_embed",
    "chunk_sizes",  "prefix_lengths", "encoder_layers", "decoder_layers",
    "layers",       "n_heads",        "n_kv_heads",     "ffn_dim",
    "rope_theta",   "rms_norm_eps",   "level1_chunker"};

// HF LlamaConfig fields we map, and those that do not change the computation.
const char *const kLlamaMapped[] = {
    "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "rms_norm_eps",
    "rope_theta", "tie_word_embeddings", "hidden_act", "rope_scaling",
    "rope_parameters", "attention_bias", "mlp_bias", "head_dim", "model_type",
    "architectures"};
const char *const kLlamaIgnored[] = {
    "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range",
    "max_position_embeddings", "torch_dtype", "dtype", "transformers_version",
    "use_cache", "pretraining_tp", "attention_dropout", "_name_or_path"};

void readPhotonConfig(ConfigReader &r, ModelConfig &c) {
  std::string type = r.getString("model_type");
  if (auto kind = ::photon::parseModelKind(type))
    c.kind = *kind;
  else if (!r.failed)
    r.error("model_type") << "expected 'vanilla', 'block', 'photon' or "
                             "'llama', got '" << type << "'";
  c.vocabSize = r.getInt("vocab_size");
  c.dModel = r.getInt("d_model");
  c.nHeads = r.getInt("n_heads");
  c.nKvHeads = r.getInt("n_kv_heads", c.nHeads);
  c.ffnDim = r.getInt("ffn_dim");
  c.ropeTheta = r.getDouble("rope_theta", 10000.0);
  c.rmsNormEps = r.getDouble("rms_norm_eps", 1e-5);
  if (c.kind == ModelKind::Vanilla) {
    c.layers = r.getInt("layers");
    for (const char *f : {"d_embed", "chunk_sizes", "prefix_lengths",
                          "encoder_layers", "decoder_layers", "level1_chunker"})
      if (r.has(f))
        r.error(f) << "is for hierarchical models; vanilla has no levels";
    return;
  }
  if (r.has("layers"))
    r.error("layers") << "is for vanilla models only; use encoder_layers and "
                         "decoder_layers";
  c.dEmbed = r.getInt("d_embed");
  c.chunkSizes = r.getIntList("chunk_sizes");
  c.prefixLengths = r.getIntList("prefix_lengths");
  c.encoderLayers = r.getIntList("encoder_layers");
  c.decoderLayers = r.getIntList("decoder_layers");
  std::string chunker = r.getString("level1_chunker", StringRef("concat"));
  if (auto kind = ::photon::parseChunkerKind(chunker))
    c.level1Chunker = *kind;
  else
    r.error("level1_chunker") << "expected 'concat' or 'linear', got '"
                              << chunker << "'";
}

void readLlamaConfig(ConfigReader &r, ModelConfig &c) {
  c.kind = ModelKind::Vanilla;
  c.vocabSize = r.getInt("vocab_size");
  c.dModel = r.getInt("hidden_size");
  c.ffnDim = r.getInt("intermediate_size");
  c.layers = r.getInt("num_hidden_layers");
  c.nHeads = r.getInt("num_attention_heads");
  c.nKvHeads = r.getInt("num_key_value_heads", c.nHeads);
  c.rmsNormEps = r.getDouble("rms_norm_eps", 1e-6);
  c.ropeTheta = r.getDouble("rope_theta", 10000.0);
  c.tieWordEmbeddings = r.getBool("tie_word_embeddings", false);
  std::string act = r.getString("hidden_act", StringRef("silu"));
  if (act != "silu")
    r.error("hidden_act") << "only 'silu' is supported, got '" << act << "'";
  // RoPE: transformers 4.x writes rope_theta (+ rope_scaling), 5.x
  // rope_parameters {rope_type, rope_theta, ...}. Only the default
  // (unscaled) rotation is implemented; scaled types are refused by name.
  auto ropeType = [](const llvm::json::Object &o) -> std::string {
    for (const char *key : {"rope_type", "type"})
      if (std::optional<StringRef> t = o.getString(key))
        return t->str();
    return "default";
  };
  if (const llvm::json::Value *v = r.object.get("rope_scaling");
      v && v->kind() != llvm::json::Value::Null) {
    const llvm::json::Object *o = v->getAsObject();
    if (!o || ropeType(*o) != "default")
      r.error("rope_scaling") << "RoPE scaling is not supported yet (rope type '"
                              << (o ? ropeType(*o) : std::string("?"))
                              << "'; only the default rotation is)";
  }
  if (const llvm::json::Value *v = r.object.get("rope_parameters")) {
    const llvm::json::Object *o = v->getAsObject();
    if (!o) {
      r.error("rope_parameters") << "must be an object";
    } else if (std::string type = ropeType(*o); type != "default") {
      r.error("rope_parameters") << "rope_type '" << type
                                 << "' is not supported yet (only 'default')";
    } else if (std::optional<double> theta = o->getNumber("rope_theta")) {
      if (r.has("rope_theta") && *theta != c.ropeTheta)
        r.error("rope_parameters") << "rope_theta " << *theta
                                   << " disagrees with the top-level rope_theta "
                                   << c.ropeTheta;
      c.ropeTheta = *theta;
    }
  }
  for (const char *f : {"attention_bias", "mlp_bias"})
    if (r.getBool(f, false))
      r.error(f) << "biases are not supported (LLaMA has none)";
  if (r.has("head_dim") && c.nHeads > 0 &&
      r.getInt("head_dim") != c.dModel / c.nHeads)
    r.error("head_dim") << "must equal hidden_size / num_attention_heads";
}

} // namespace

FailureOr<ModelConfig> mlir::photon::parseModelConfig(StringRef buffer,
                                                      StringRef filename,
                                                      MLIRContext *ctx) {
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(buffer);
  if (!json) {
    // ParseError prints "[line:col, byte=N]: message".
    std::string msg = llvm::toString(json.takeError());
    unsigned line = 1, col = 1; // ParseError columns can be 0 at EOF
    StringRef text = msg;
    if (text.consume_front("[")) {
      StringRef pos = text.take_until([](char ch) { return ch == ','; });
      auto [l, c] = pos.split(':');
      l.getAsInteger(10, line);
      c.getAsInteger(10, col);
      text = text.split("]: ").second;
    }
    col = std::max(col, 1u);
    emitError(FileLineColLoc::get(ctx, filename, line, col))
        << "invalid JSON: " << text;
    return failure();
  }
  const llvm::json::Object *object = json->getAsObject();
  if (!object) {
    emitError(FileLineColLoc::get(ctx, filename, 1, 1))
        << "config must be a JSON object";
    return failure();
  }
  ConfigReader r(buffer, filename, ctx, *object);
  ModelConfig c;
  const llvm::json::Value *type = object->get("model_type");
  bool isLlama = (type && type->getAsString() == StringRef("llama")) ||
                 (!type && object->get("hidden_size"));
  if (isLlama)
    readLlamaConfig(r, c);
  else
    readPhotonConfig(r, c);

  // Unknown fields are errors in our format; in HF configs, fields that do not
  // change the computation are accepted and anything else is reported.
  llvm::StringSet<> known;
  if (isLlama) {
    known.insert(std::begin(kLlamaMapped), std::end(kLlamaMapped));
    known.insert(std::begin(kLlamaIgnored), std::end(kLlamaIgnored));
  } else {
    known.insert(std::begin(kPhotonFields), std::end(kPhotonFields));
  }
  for (const auto &kv : *object)
    if (!known.contains(kv.first))
      emitError(r.locOf(kv.first))
          << "unknown config field '" << kv.first.str() << "'",
          r.failed = true;
  if (r.failed)
    return failure();

  for (const ::photon::ConfigError &e : c.validate()) {
    // Map the spec field back to the HF name the user wrote.
    std::string field = e.field;
    if (isLlama) {
      static const std::pair<const char *, const char *> hfNames[] = {
          {"d_model", "hidden_size"}, {"ffn_dim", "intermediate_size"},
          {"layers", "num_hidden_layers"}, {"n_heads", "num_attention_heads"},
          {"n_kv_heads", "num_key_value_heads"}};
      for (auto [spec, hf] : hfNames)
        if (field == spec)
          field = hf;
    }
    r.error(field) << e.message;
  }
  if (r.failed)
    return failure();
  return c;
}

//===----------------------------------------------------------------------===//
// IR construction
//===----------------------------------------------------------------------===//

namespace {
struct ModelBuilder {
  ModelBuilder(const ModelConfig &c, OpBuilder &b, Location loc)
      : c(c), b(b), loc(loc), ctx(b.getContext()) {}

  StreamType stream(int64_t level, int64_t width) {
    return StreamType::get(ctx, level, width, c.span(level));
  }
  KVCacheType cache(int64_t level) {
    int64_t layers = level == 0 ? c.layers : c.encoderLayers[level - 1];
    return KVCacheType::get(ctx, level, layers, c.nKvHeads, c.headDim());
  }
  IntegerAttr level(int64_t l) { return b.getI64IntegerAttr(l); }

  void buildGraph() {
    auto graph = GraphOp::create(b, loc, "forward");
    Block *body = new Block();
    graph.getBody().push_back(body);
    Value tokens = body->addArgument(TokensType::get(ctx), loc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(body);
    Value logits;
    if (c.kind == ModelKind::Vanilla) {
      Value x = EmbedOp::create(b, loc, stream(0, c.dModel), tokens,
                                "model.embed_tokens.weight");
      Value h = EncoderOp::create(b, loc, x, level(0), Value()).getResult();
      logits = LMHeadOp::create(b, loc, LogitsType::get(ctx, c.vocabSize), h);
    } else {
      const int64_t L = c.numLevels();
      Value x = EmbedOp::create(b, loc, stream(0, c.dEmbed), tokens,
                                "enc_embed.weight");
      for (int64_t l = 1; l <= L; ++l) {
        Value a = ChunkOp::create(b, loc, stream(l, c.dModel), x, level(l));
        x = EncoderOp::create(b, loc, a, level(l), Value()).getResult();
      }
      // Top down: X̂^L = X^L, then each level decodes the one below.
      for (int64_t l = L; l >= 1; --l) {
        Value shifted = ShiftOp::create(b, loc, x, level(l));
        auto prefixType =
            PrefixType::get(ctx, l, c.prefixLengths[l - 1], c.dModel);
        Value prefix =
            ConverterOp::create(b, loc, prefixType, shifted, level(l));
        Value inputs;
        if (l == 1)
          inputs = EmbedOp::create(b, loc, stream(0, c.dModel), tokens,
                                   "dec_embed.weight");
        x = LocalDecoderOp::create(b, loc, stream(l - 1, c.dModel), prefix,
                                   level(l), inputs);
      }
      logits = LMHeadOp::create(b, loc, LogitsType::get(ctx, c.vocabSize), x);
    }
    YieldOp::create(b, loc, ValueRange{logits});
  }

  void buildProgram(GenerationMode mode) {
    auto program = ProgramOp::create(
        b, loc, StringRef("generate_" + stringifyGenerationMode(mode).str()),
        mode, StatePlanAttr());
    Block *body = new Block();
    program.getBody().push_back(body);
    Value prompt = body->addArgument(TokensType::get(ctx), loc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(body);

    const int64_t L = c.numLevels();
    SmallVector<Value> caches;
    SmallVector<Type> cacheTypes;
    for (int64_t l = (L == 0 ? 0 : 1); l <= L; ++l) {
      cacheTypes.push_back(cache(l));
      caches.push_back(KVAllocOp::create(b, loc, cache(l)));
    }
    StreamType top = stream(L, c.dModel);
    auto prefill = PrefillOp::create(b, loc, top, cacheTypes, prompt, caches);

    // RecGen carries only the top cache; HierGen carries them all.
    SmallVector<Value> inits{prefill.getTop()};
    if (mode == GenerationMode::recgen)
      inits.push_back(prefill.getUpdatedCaches().back());
    else
      llvm::append_range(inits, prefill.getUpdatedCaches());
    auto loop = DecodeLoopOp::create(b, loc, inits);
    {
      OpBuilder::InsertionGuard inner(b);
      Block &loopBody = loop.getBody().front();
      b.setInsertionPointToStart(&loopBody);
      Operation *step;
      if (mode == GenerationMode::recgen)
        step = RecGenStepOp::create(b, loc, loopBody.getArgument(0),
                                    loopBody.getArgument(1));
      else
        step = HierGenStepOp::create(b, loc, loopBody.getArgument(0),
                                     loopBody.getArguments().drop_front());
      YieldOp::create(b, loc, step->getResults());
    }
    YieldOp::create(b, loc, ValueRange{loop.getTokens()});
  }

  const ModelConfig &c;
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
};
} // namespace

OwningOpRef<ModuleOp>
mlir::photon::buildModelModule(const ModelConfig &config, StringRef name,
                               Type weightType, Location loc) {
  MLIRContext *ctx = loc.getContext();
  ctx->getOrLoadDialect<PhotonDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module->getBody());
  auto model = ModelOp::create(b, loc, name, ConfigAttr::get(ctx, config),
                               MemoryPlanAttr());
  model.getBody().push_back(new Block());
  b.setInsertionPointToStart(&model.getBody().front());

  for (const ::photon::TensorSpec &w : config.weights())
    ParamOp::create(b, loc, b.getStringAttr(w.name),
                    TypeAttr::get(RankedTensorType::get(w.shape, weightType)), IntegerAttr());
  ModelBuilder mb(config, b, loc);
  mb.buildGraph();
  mb.buildProgram(GenerationMode::hiergen);
  if (config.numLevels() >= 2)
    mb.buildProgram(GenerationMode::recgen);
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Translation registration
//===----------------------------------------------------------------------===//

static llvm::cl::OptionCategory importCategory("photon config import options");
static llvm::cl::opt<std::string> weightTypeOpt(
    "weight-type", llvm::cl::desc("Element type of the weights: f32, bf16 or f16"),
    llvm::cl::init("f32"), llvm::cl::cat(importCategory));
static llvm::cl::opt<std::string> modelNameOpt(
    "model-name",
    llvm::cl::desc("Symbol name of the model (default: from the file name)"),
    llvm::cl::init(""), llvm::cl::cat(importCategory));

/// "examples/tiny-photon-l2.json" -> "tiny_photon_l2".
static std::string modelNameFromFile(StringRef filename) {
  std::string name = llvm::sys::path::stem(filename).str();
  for (char &ch : name)
    if (!llvm::isAlnum(ch))
      ch = '_';
  if (name.empty() || llvm::isDigit(name.front()))
    name = "model_" + name;
  return name;
}

void mlir::photon::registerConfigImportTranslation() {
  TranslateToMLIRRegistration reg(
      "import-config",
      "Import an HF-style config.json (photon, block, vanilla or LlamaConfig)",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *ctx) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buf =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef filename = buf->getBufferIdentifier();
        FailureOr<ModelConfig> config =
            parseModelConfig(buf->getBuffer(), filename, ctx);
        if (failed(config))
          return nullptr;
        Location loc = FileLineColLoc::get(ctx, filename, 1, 1);
        Type weightType;
        if (weightTypeOpt == "f32")
          weightType = Float32Type::get(ctx);
        else if (weightTypeOpt == "bf16")
          weightType = BFloat16Type::get(ctx);
        else if (weightTypeOpt == "f16")
          weightType = Float16Type::get(ctx);
        else {
          emitError(loc) << "--weight-type must be f32, bf16 or f16, got '"
                         << weightTypeOpt << "'";
          return nullptr;
        }
        std::string name = modelNameOpt.empty() ? modelNameFromFile(filename)
                                                : modelNameOpt.getValue();
        OwningOpRef<ModuleOp> module =
            buildModelModule(*config, name, weightType, loc);
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) { registry.insert<PhotonDialect>(); });
}
