//===- Artifact.cpp - Loading a compiled model ----------------------------===//

#include "runtime/Artifact.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <utility>

namespace photon::rt {

//===----------------------------------------------------------------------===//
// Configuration
//===----------------------------------------------------------------------===//

namespace {

/// Typed access to the members of one JSON object; the first problem is kept.
class FieldReader {
public:
  FieldReader(const JsonValue &obj, std::string where)
      : obj_(obj), where_(std::move(where)) {}

  Status status() const { return status_; }
  bool ok() const { return status_.ok(); }
  const std::string &where() const { return where_; }

  const JsonValue *get(const char *key, bool required) {
    const JsonValue *v = obj_.find(key);
    if (!v && required)
      fail(key, "is missing");
    return v;
  }

  /// The member `key` when it is of the kind `is` tests; null (reporting a
  /// wrong kind, or a missing required member) otherwise.
  const JsonValue *typed(const char *key, bool required, bool (JsonValue::*is)() const,
                         const char *what) {
    const JsonValue *v = get(key, required);
    if (v && !(v->*is)()) {
      fail(key, std::string("must be ") + what + ", got " + JsonValue::kindName(v->kind()));
      return nullptr;
    }
    return v;
  }

  int64_t integer(const char *key, bool required, int64_t dflt = 0) {
    const JsonValue *v = typed(key, required, &JsonValue::isInt, "an integer");
    return v ? v->asInt() : dflt;
  }

  double number(const char *key, bool required, double dflt) {
    const JsonValue *v = typed(key, required, &JsonValue::isNumber, "a number");
    return v ? v->asDouble() : dflt;
  }

  bool boolean(const char *key, bool dflt) {
    const JsonValue *v = typed(key, false, &JsonValue::isBool, "true or false");
    return v ? v->asBool() : dflt;
  }

  std::string string(const char *key, bool required, std::string dflt = "") {
    const JsonValue *v = typed(key, required, &JsonValue::isString, "a string");
    return v ? v->asString() : dflt;
  }

  std::vector<int64_t> intList(const char *key, bool required) {
    std::vector<int64_t> out;
    const JsonValue *v = typed(key, required, &JsonValue::isArray, "a list of integers");
    if (!v)
      return out;
    for (const JsonValue &e : v->asArray()) {
      if (!e.isInt()) {
        fail(key, "must be a list of integers");
        return {};
      }
      out.push_back(e.asInt());
    }
    return out;
  }

  void fail(const std::string &key, const std::string &message) {
    if (status_.ok())
      status_ = Status::error(where_ + "." + key + ": " + message);
  }

private:
  const JsonValue &obj_;
  std::string where_;
  Status status_;
};

std::string readWholeFile(const std::string &path, Status &status) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    status = Status::error(path + ": " + std::strerror(errno));
    return {};
  }
  if (S_ISDIR(st.st_mode)) {
    status = Status::error(path + ": is a directory");
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    status = Status::error(path + ": cannot open for reading");
    return {};
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    status = Status::error(path + ": read error");
    return {};
  }
  return text;
}

std::string lower(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

} // namespace

Expected<ModelConfig> parseModelConfig(const JsonValue &config,
                                       const std::string &where) {
  if (!config.isObject())
    return Status::error(where + ": must be an object, got " +
                         JsonValue::kindName(config.kind()));
  FieldReader r(config, where);
  ModelConfig c;
  std::string type = r.string("model_type", true);
  if (!r.ok())
    return r.status();
  std::optional<ModelKind> kind = parseModelKind(type);
  if (!kind)
    return Status::error(where + ".model_type: unknown model type '" + type +
                         "' (expected vanilla, block or photon)");
  c.kind = *kind;
  c.vocabSize = r.integer("vocab_size", true);
  c.dModel = r.integer("d_model", true);
  c.nHeads = r.integer("n_heads", true);
  c.nKvHeads = r.integer("n_kv_heads", false, c.nHeads);
  c.ffnDim = r.integer("ffn_dim", true);
  c.ropeTheta = r.number("rope_theta", false, 10000.0);
  c.rmsNormEps = r.number("rms_norm_eps", false, 1e-5);
  if (c.kind == ModelKind::Vanilla) {
    c.layers = r.integer("layers", true);
    c.tieWordEmbeddings = r.boolean("tie_word_embeddings", false);
  } else {
    c.dEmbed = r.integer("d_embed", true);
    c.chunkSizes = r.intList("chunk_sizes", true);
    c.prefixLengths = r.intList("prefix_lengths", true);
    c.encoderLayers = r.intList("encoder_layers", true);
    c.decoderLayers = r.intList("decoder_layers", true);
    std::string chunker = r.string("level1_chunker", false, "concat");
    if (r.ok()) {
      std::optional<ChunkerKind> ck = parseChunkerKind(chunker);
      if (!ck)
        r.fail("level1_chunker", "unknown chunker '" + chunker +
                                     "' (expected concat or linear)");
      else
        c.level1Chunker = *ck;
    }
  }
  if (!r.ok())
    return r.status();
  std::vector<ConfigError> errs = c.validate();
  if (!errs.empty()) {
    std::string msg;
    for (size_t i = 0; i < errs.size(); ++i)
      msg += (i ? "; " : "") + where + "." + errs[i].field + ": " + errs[i].message;
    return Status::error(msg);
  }
  return c;
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

const ArtifactTensor *Manifest::find(std::string_view name) const {
  for (const ArtifactTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::vector<TensorSpec> Manifest::tensorSpecs() const {
  std::vector<TensorSpec> specs;
  specs.reserve(tensors.size());
  for (const ArtifactTensor &t : tensors)
    specs.push_back({t.name, t.shape});
  return specs;
}

Expected<Manifest> parseManifest(std::string_view text, const std::string &path) {
  Expected<JsonValue> parsed = parseJson(text);
  if (!parsed)
    return parsed.status().withContext(path);
  const JsonValue &root = *parsed;
  if (!root.isObject())
    return Status::error(path + ": the manifest must be a JSON object, got " +
                         JsonValue::kindName(root.kind()));
  Manifest m;
  m.path = path;
  FieldReader r(root, path + ": manifest");
  std::string format = r.string("format", true);
  if (!r.ok())
    return Status::error(path + ": not a Photon artifact manifest (no \"format\" field)");
  if (format != kArtifactFormat)
    return Status::error(path + ": not a Photon artifact manifest (format '" + format +
                         "', expected '" + kArtifactFormat + "')");
  int64_t version = r.integer("version", true);
  if (!r.ok())
    return r.status();
  if (version != kArtifactVersion)
    return Status::error(path + ": artifact format version " + std::to_string(version) +
                         " is not supported (this photon-run reads version " +
                         std::to_string(kArtifactVersion) + "); recompile the model");
  m.model = r.string("model", false, "model");
  if (!r.ok())
    return r.status();
  const JsonValue *kernels = root.find("kernels");
  if (!kernels || !kernels->isObject() || kernels->asObject().empty())
    return Status::error(path + ": manifest.kernels: must map targets to kernel libraries");
  for (const auto &[target, file] : kernels->asObject()) {
    if (target != "cpu" && target != "cuda")
      return Status::error(path + ": manifest.kernels: unknown target '" + target + "'");
    if (!file.isString() || file.asString().empty() ||
        file.asString().find('/') != std::string::npos)
      return Status::error(path + ": manifest.kernels." + target +
                           ": must be a file name inside the artifact directory");
    m.kernelLibraries[target] = file.asString();
  }

  const JsonValue *config = root.find("config");
  if (!config)
    return Status::error(path + ": manifest.config: is missing");
  Expected<ModelConfig> cfg = parseModelConfig(*config, "config");
  if (!cfg)
    return cfg.status().withContext(path);
  m.config = *cfg;

  const JsonValue *weights = root.find("weights");
  if (!weights)
    return Status::error(path + ": manifest.weights: is missing");
  if (!weights->isObject())
    return Status::error(path + ": manifest.weights: must be an object");
  FieldReader w(*weights, path + ": weights");
  std::string dtype = lower(w.string("dtype", true));
  m.elements = w.integer("elements", true);
  if (!w.ok())
    return w.status();
  if (dtype == "f32" || dtype == "float32")
    m.dtype = DType::F32;
  else if (dtype == "bf16" || dtype == "bfloat16")
    m.dtype = DType::BF16;
  else if (dtype == "f16" || dtype == "float16")
    m.dtype = DType::F16;
  else
    return Status::error(path + ": weights.dtype: unsupported dtype '" + dtype +
                         "' (expected f32, bf16 or f16)");
  if (m.elements < 0)
    return Status::error(path + ": weights.elements: must be >= 0");
  // Activations between kernels (x, KV caches, latents): f32 unless the plan
  // says bf16.
  const JsonValue *plan = root.find("memory_plan");
  if (!plan || !plan->isObject())
    return Status::error(path + ": manifest.memory_plan: is missing");
  const JsonValue *fp = plan->find("fingerprint");
  if (!fp || !fp->isInt())
    return Status::error(path + ": memory_plan.fingerprint: is missing or not an integer");
  m.fingerprint = fp->asInt();
  {
    if (const JsonValue *act = plan->find("activation_type")) {
      if (act->isString() && act->asString() == "bf16")
        m.activationType = DType::BF16;
      else if (!act->isString() || act->asString() != "f32")
        return Status::error(path + ": memory_plan.activation_type: expected f32 or bf16");
    }
  }
  const JsonValue *tensors = weights->find("tensors");
  if (!tensors || !tensors->isArray())
    return Status::error(path + ": weights.tensors: must be a list");
  std::set<std::string> seen;
  size_t index = 0;
  for (const JsonValue &t : tensors->asArray()) {
    std::string where = path + ": weights.tensors[" + std::to_string(index++) + "]";
    if (!t.isObject())
      return Status::error(where + ": must be an object");
    FieldReader tr(t, where);
    ArtifactTensor at;
    at.name = tr.string("name", true);
    at.shape = tr.intList("shape", true);
    at.offset = tr.integer("offset", true);
    if (!tr.ok())
      return tr.status();
    for (int64_t d : at.shape)
      if (d <= 0)
        return Status::error(where + " ('" + at.name + "'): shape " +
                             formatShape(at.shape) + " has a non-positive dimension");
    if (at.offset < 0 || at.offset > m.elements || at.numel() > m.elements - at.offset)
      return Status::error(where + " ('" + at.name + "'): offset " +
                           std::to_string(at.offset) + " + " +
                           std::to_string(at.numel()) +
                           " elements runs past the arena (" +
                           std::to_string(m.elements) + " elements)");
    if (!seen.insert(at.name).second)
      return Status::error(where + ": tensor '" + at.name + "' is listed twice");
    m.tensors.push_back(std::move(at));
  }

  // The tensor list must be exactly the configuration's (spec §5).
  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (const photon::TensorSpec &spec : m.config.weights()) {
    expected.insert(spec.name);
    const ArtifactTensor *t = m.find(spec.name);
    if (!t)
      problems.push_back("tensor '" + spec.name + "' is missing");
    else if (t->shape != spec.shape)
      problems.push_back("tensor '" + spec.name + "' has shape " + formatShape(t->shape) +
                         ", the config needs " + formatShape(spec.shape));
  }
  for (const ArtifactTensor &t : m.tensors)
    if (!expected.count(t.name))
      problems.push_back("tensor '" + t.name + "' is not a weight of this config");
  if (!problems.empty()) {
    std::string msg = path + ": weights.tensors do not match the config:";
    for (size_t i = 0; i < problems.size() && i < 10; ++i)
      msg += "\n  " + problems[i];
    if (problems.size() > 10)
      msg += "\n  ... and " + std::to_string(problems.size() - 10) + " more";
    return Status::error(msg);
  }
  return m;
}

Expected<Manifest> loadManifest(const std::string &dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return Status::error(dir + ": no such artifact directory (" +
                         std::strerror(errno) + ")");
  if (!S_ISDIR(st.st_mode))
    return Status::error(dir + ": not a directory (expected an artifact directory "
                               "written by photon-compile)");
  std::string path = dir + "/model.json";
  Status status;
  std::string text = readWholeFile(path, status);
  if (!status.ok())
    return status.withContext("cannot read the artifact manifest");
  Expected<Manifest> m = parseManifest(text, path);
  if (!m)
    return m;
  m->dir = dir;
  return m;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

std::vector<std::string> requiredKernels(const ModelConfig &c) {
  std::vector<std::string> names;
  if (c.kind == ModelKind::Vanilla) {
    names = {"embed_tok", "stack_model"};
  } else {
    names = {"embed_enc", "embed_dec"};
    for (int64_t l = 1; l <= c.numLevels(); ++l) {
      std::string s = std::to_string(l);
      if (c.chunkerIsLinear(l))
        names.push_back("chunk_" + s);
      names.push_back("stack_encoder." + s);
      names.push_back("stack_decoder." + s);
      names.push_back("converter_" + s);
    }
  }
  names.push_back("lm_head");
  names.push_back("argmax");
  names.push_back("sample");
  return names;
}

Artifact::Artifact(Artifact &&o) noexcept { *this = std::move(o); }

Artifact &Artifact::operator=(Artifact &&o) noexcept {
  if (this != &o) {
    if (handle_)
      ::dlclose(handle_);
    manifest_ = std::move(o.manifest_);
    kernels_ = std::move(o.kernels_);
    libraryPath_ = std::move(o.libraryPath_);
    handle_ = std::exchange(o.handle_, nullptr);
  }
  return *this;
}

Artifact::~Artifact() {
  if (handle_)
    ::dlclose(handle_);
}

Expected<Artifact> Artifact::load(const std::string &dir, const std::string &target) {
  Expected<Manifest> m = loadManifest(dir);
  if (!m)
    return m.takeStatus();
  Artifact a;
  a.manifest_ = std::move(*m);
  const ModelConfig &c = a.manifest_.config;
  auto lib = a.manifest_.kernelLibraries.find(target);
  if (lib == a.manifest_.kernelLibraries.end()) {
    std::string have;
    for (const auto &kv : a.manifest_.kernelLibraries)
      have += (have.empty() ? "" : ", ") + kv.first;
    return Status::error(a.manifest_.path + ": the artifact has no kernels for '" + target +
                         "' (it has: " + have + "); recompile with photon-compile --target=" +
                         target);
  }
  a.libraryPath_ = dir + "/" + lib->second;
  struct stat st;
  if (::stat(a.libraryPath_.c_str(), &st) != 0)
    return Status::error(a.libraryPath_ + ": kernel library not found (" +
                         std::strerror(errno) + ")");
  // A relative path without '/' would make dlopen search the library path.
  std::string openPath = a.libraryPath_;
  if (openPath.find('/') == std::string::npos)
    openPath = "./" + openPath;
  ::dlerror();
  a.handle_ = ::dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!a.handle_) {
    const char *err = ::dlerror();
    return Status::error(a.libraryPath_ + ": cannot load the kernel library: " +
                         (err ? err : "unknown dlopen error"));
  }

  // Resolve every kernel the config needs (one list: requiredKernels), then
  // hand them out by name.
  std::vector<std::string> missing;
  std::map<std::string, void *> symbols;
  for (const std::string &name : requiredKernels(c)) {
    std::string sym = kernelSymbol(name);
    if (void *p = ::dlsym(a.handle_, sym.c_str()))
      symbols[name] = p;
    else
      missing.push_back(sym);
  }
  auto get = [&](const std::string &name) -> void * {
    auto it = symbols.find(name);
    return it == symbols.end() ? nullptr : it->second;
  };
  Kernels &k = a.kernels_;
  size_t L = size_t(c.numLevels());
  k.chunk.assign(L + 1, nullptr);
  k.encoder.assign(L + 1, nullptr);
  k.decoder.assign(L + 1, nullptr);
  k.converter.assign(L + 1, nullptr);
  k.embedTok = reinterpret_cast<EmbedFn>(get("embed_tok"));
  k.model = reinterpret_cast<StackFn>(get("stack_model"));
  k.embedEnc = reinterpret_cast<EmbedFn>(get("embed_enc"));
  k.embedDec = reinterpret_cast<EmbedFn>(get("embed_dec"));
  for (size_t l = 1; l <= L; ++l) {
    std::string s = std::to_string(l);
    k.chunk[l] = reinterpret_cast<ChunkFn>(get("chunk_" + s));
    k.encoder[l] = reinterpret_cast<StackFn>(get("stack_encoder." + s));
    k.decoder[l] = reinterpret_cast<StackFn>(get("stack_decoder." + s));
    k.converter[l] = reinterpret_cast<ConverterFn>(get("converter_" + s));
  }
  k.lmHead = reinterpret_cast<LMHeadFn>(get("lm_head"));
  k.argmax = reinterpret_cast<ArgmaxFn>(get("argmax"));
  k.sample = reinterpret_cast<SampleFn>(get("sample"));
  // The library's weight offsets and widths are compiled in: it must come
  // from the same plan as the manifest.
  using FingerprintFn = int64_t (*)();
  auto fingerprint = reinterpret_cast<FingerprintFn>(::dlsym(a.handle_, "photon_fingerprint"));
  if (!fingerprint)
    missing.push_back("photon_fingerprint");
  else if (fingerprint() != a.manifest_.fingerprint)
    return Status::error(a.libraryPath_ + ": compiled for another model or plan than " +
                         a.manifest_.path + " (fingerprint " + std::to_string(fingerprint()) +
                         " vs " + std::to_string(a.manifest_.fingerprint) +
                         "); recompile the artifact with photon-compile");
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size(); ++i)
      list += (i ? ", " : "") + missing[i];
    return Status::error(a.libraryPath_ + ": missing symbol" +
                         (missing.size() > 1 ? "s " : " ") + list +
                         " — was it compiled for this model?");
  }
  return a;
}

} // namespace photon::rt
