//===- Artifact.cpp - Loading a compiled model ----------------------------===//

#include "runtime/Artifact.h"
#include "runtime/LibraryCheck.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace photon::rt {

namespace {

/// The member `key` of `obj` (an object), or null.
const Json *member(const Json &obj, const char *key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}
bool isNumber(const Json &v) { return v.is_number(); }
bool isBool(const Json &v) { return v.is_boolean(); }
bool isString(const Json &v) { return v.is_string(); }
bool isArray(const Json &v) { return v.is_array(); }
bool isObject(const Json &v) { return v.is_object(); }

/// Typed access to the members of one JSON object; the first problem is kept.
class FieldReader {
public:
  FieldReader(const Json &obj, std::string where)
      : obj_(obj), where_(std::move(where)) {}

  Status status() const { return status_; }
  bool ok() const { return status_.ok(); }
  const std::string &where() const { return where_; }

  const Json *get(const char *key, bool required) {
    const Json *v = member(obj_, key);
    if (!v && required)
      fail(key, "is missing");
    return v;
  }

  /// The member `key` when it is of the kind `is` tests; null (reporting a
  /// wrong kind, or a missing required member) otherwise.
  const Json *typed(const char *key, bool required, bool (*is)(const Json &),
                    const char *what) {
    const Json *v = get(key, required);
    if (v && !is(*v)) {
      fail(key, std::string("must be ") + what + ", got " + jsonKindName(*v));
      return nullptr;
    }
    return v;
  }

  int64_t integer(const char *key, bool required, int64_t dflt = 0) {
    const Json *v = typed(key, required, isJsonInt, "an integer");
    return v ? v->get<int64_t>() : dflt;
  }

  double number(const char *key, bool required, double dflt) {
    const Json *v = typed(key, required, isNumber, "a number");
    return v ? v->get<double>() : dflt;
  }

  bool boolean(const char *key, bool dflt) {
    const Json *v = typed(key, false, isBool, "true or false");
    return v ? v->get<bool>() : dflt;
  }

  std::string string(const char *key, bool required, std::string dflt = "") {
    const Json *v = typed(key, required, isString, "a string");
    return v ? v->get<std::string>() : dflt;
  }

  std::vector<int64_t> intList(const char *key, bool required) {
    std::vector<int64_t> out;
    const Json *v = typed(key, required, isArray, "a list of integers");
    if (!v)
      return out;
    for (const Json &e : *v) {
      if (!isJsonInt(e)) {
        fail(key, "must be a list of integers");
        return {};
      }
      out.push_back(e.get<int64_t>());
    }
    return out;
  }

  void fail(const std::string &key, const std::string &message) {
    if (status_.ok())
      status_ = Status::error(where_ + "." + key + ": " + message);
  }

private:
  const Json &obj_;
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

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

const ArtifactTensor *Manifest::find(std::string_view name) const {
  for (const ArtifactTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

const ProgramInfo *Manifest::program(std::string_view mode) const {
  for (const ProgramInfo &p : programs)
    if (p.mode == mode)
      return &p;
  return nullptr;
}

std::string Manifest::modes() const {
  std::string out;
  for (const ProgramInfo &p : programs)
    out += (out.empty() ? "" : ", ") + p.mode;
  return out.empty() ? "none" : out;
}

std::vector<TensorSpec> Manifest::tensorSpecs() const {
  std::vector<TensorSpec> specs;
  specs.reserve(tensors.size());
  for (const ArtifactTensor &t : tensors)
    specs.push_back({t.name, t.shape});
  return specs;
}

/// One entry of manifest.programs: entry points and state plan.
static Expected<ProgramInfo> parseProgram(const Json &p, const std::string &where) {
  FieldReader r(p, where);
  ProgramInfo info;
  info.name = r.string(field::kName, true);
  info.mode = r.string(field::kMode, true);
  info.prefillSymbol = r.string(field::kPrefill, true);
  info.stepSymbol = r.string(field::kStep, true);
  info.tokensPerStep = r.integer(field::kTokensPerStep, true);
  info.prefillTile = r.integer(field::kPrefillTile, true);
  info.analyticPerSeq = r.integer(field::kAnalyticPerSeq, false);
  info.analyticPerStep = r.integer(field::kAnalyticPerStep, false);
  if (!r.ok())
    return r.status();
  if (info.mode != "hiergen" && info.mode != "recgen")
    return Status::error(where + ".mode: expected hiergen or recgen, got '" + info.mode + "'");
  if (info.tokensPerStep <= 0 || info.tokensPerStep > (int64_t(1) << 20))
    return Status::error(where + ".tokens_per_step: must be in [1, 2^20]");
  if (info.prefillTile <= 0)
    return Status::error(where + ".prefill_tile: must be positive");
  const Json *regions = member(p, field::kRegions);
  if (!regions || !regions->is_array())
    return Status::error(where + ".regions: must be a list");
  std::set<std::string> names;
  size_t index = 0;
  for (const Json &e : *regions) {
    std::string at = where + ".regions[" + std::to_string(index++) + "]";
    if (!e.is_object())
      return Status::error(at + ": must be an object");
    FieldReader rr(e, at);
    StateRegion region;
    region.name = rr.string(field::kName, true);
    region.tile = rr.integer(field::kTile, false);
    region.fixed = rr.integer(field::kFixed, false);
    region.perSeq = rr.integer(field::kPerSeq, false);
    region.fixedPerStep = rr.integer(field::kFixedPerStep, false);
    region.perStep = rr.integer(field::kPerStep, false);
    if (!rr.ok())
      return rr.status();
    if (region.tile < 0 || region.fixed < 0 || region.perSeq < 0 || region.fixedPerStep < 0 ||
        region.perStep < 0)
      return Status::error(at + " ('" + region.name + "'): sizes must not be negative");
    if (!names.insert(region.name).second)
      return Status::error(at + ": region '" + region.name + "' is listed twice");
    info.regions.push_back(std::move(region));
  }
  return info;
}

Expected<Manifest> parseManifest(std::string_view text, const std::string &path) {
  Expected<Json> parsed = parseJson(text);
  if (!parsed)
    return parsed.status().withContext(path);
  const Json &root = *parsed;
  if (!root.is_object())
    return Status::error(path + ": the manifest must be a JSON object, got " +
                         jsonKindName(root));
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
  const Json *kernels = member(root, "kernels");
  if (!kernels || !kernels->is_object() || kernels->empty())
    return Status::error(path + ": manifest.kernels: must map targets to kernel libraries");
  for (const auto &[target, file] : kernels->items()) {
    if (target != "cpu" && target != "cuda")
      return Status::error(path + ": manifest.kernels: unknown target '" + target + "'");
    if (!file.is_string() || file.get<std::string>().empty() ||
        file.get<std::string>().find('/') != std::string::npos)
      return Status::error(path + ": manifest.kernels." + target +
                           ": must be a file name inside the artifact directory");
    m.kernelLibraries[target] = file.get<std::string>();
  }

  m.vocabSize = r.integer("vocab_size", true);
  m.fingerprint = r.integer("fingerprint", true);
  std::string act = r.string("activation_type", true);
  if (!r.ok())
    return r.status();
  if (m.vocabSize <= 0)
    return Status::error(path + ": manifest.vocab_size: must be positive");
  if (act == "bf16")
    m.activationType = DType::BF16;
  else if (act != "f32")
    return Status::error(path + ": manifest.activation_type: expected f32 or bf16, got '" +
                         act + "'");

  const Json *weights = member(root, "weights");
  if (!weights)
    return Status::error(path + ": manifest.weights: is missing");
  if (!weights->is_object())
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
  // The arena is allocated from this number: bound it before any size
  // arithmetic (2^48 elements is far past any model this runtime serves).
  constexpr int64_t kMaxArenaElements = int64_t(1) << 48;
  if (m.elements < 0 || m.elements > kMaxArenaElements)
    return Status::error(path + ": weights.elements: " + std::to_string(m.elements) +
                         " is outside [0, 2^48]");
  const Json *tensors = member(*weights, "tensors");
  if (!tensors || !tensors->is_array())
    return Status::error(path + ": weights.tensors: must be a list");
  std::set<std::string> seen;
  size_t index = 0;
  for (const Json &t : *tensors) {
    std::string where = path + ": weights.tensors[" + std::to_string(index++) + "]";
    if (!t.is_object())
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
  // Tensors must not share arena elements: loading one would overwrite another.
  std::vector<const ArtifactTensor *> byOffset;
  for (const ArtifactTensor &t : m.tensors)
    byOffset.push_back(&t);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const ArtifactTensor *a, const ArtifactTensor *b) { return a->offset < b->offset; });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i - 1]->offset + byOffset[i - 1]->numel() > byOffset[i]->offset)
      return Status::error(path + ": weights.tensors: '" + byOffset[i - 1]->name + "' (offset " +
                           std::to_string(byOffset[i - 1]->offset) + ", " +
                           std::to_string(byOffset[i - 1]->numel()) + " elements) overlaps '" +
                           byOffset[i]->name + "' (offset " +
                           std::to_string(byOffset[i]->offset) + ")");

  if (const Json *ignored = member(*weights, "ignored")) {
    if (!ignored->is_array())
      return Status::error(path + ": weights.ignored: must be a list of names");
    for (const Json &n : *ignored) {
      if (!n.is_string())
        return Status::error(path + ": weights.ignored: must be a list of names");
      m.ignoredTensors.push_back(n.get<std::string>());
    }
  }

  const Json *programs = member(root, "programs");
  if (!programs || !programs->is_array() || programs->empty())
    return Status::error(path + ": manifest.programs: must be a non-empty list");
  index = 0;
  for (const Json &p : *programs) {
    std::string where = path + ": programs[" + std::to_string(index++) + "]";
    if (!p.is_object())
      return Status::error(where + ": must be an object");
    Expected<ProgramInfo> info = parseProgram(p, where);
    if (!info)
      return info.takeStatus();
    if (m.program(info->mode))
      return Status::error(where + ": a second '" + info->mode + "' program");
    m.programs.push_back(std::move(*info));
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
// Artifact
//===----------------------------------------------------------------------===//

Artifact::Artifact(Artifact &&o) noexcept { *this = std::move(o); }

Artifact &Artifact::operator=(Artifact &&o) noexcept {
  if (this != &o) {
    if (handle_)
      ::dlclose(handle_);
    manifest_ = std::move(o.manifest_);
    programs_ = std::move(o.programs_);
    libraryPath_ = std::move(o.libraryPath_);
    handle_ = std::exchange(o.handle_, nullptr);
    programmaticLaunch_ = o.programmaticLaunch_;
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
  // A truncated library would raise SIGBUS inside dlopen: check it first.
  PHOTON_RETURN_IF_ERROR(checkSharedLibraryFile(a.libraryPath_));
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

  // Offsets, widths, types and the state layout are compiled in: the
  // manifest must say exactly what the library was compiled for.
  using DescriptionFn = const char *(*)();
  auto describe = reinterpret_cast<DescriptionFn>(::dlsym(a.handle_, "photon_description"));
  if (!describe)
    return Status::error(a.libraryPath_ + ": missing symbol photon_description — not a "
                                          "Photon kernel library, or built by an older photon-compile");
  PHOTON_RETURN_IF_ERROR(checkLibraryDescription(a.manifest_, describe(), a.libraryPath_));

  using FlagFn = int32_t (*)();
  if (auto flag = reinterpret_cast<FlagFn>(::dlsym(a.handle_, "photon_programmatic_launch")))
    a.programmaticLaunch_ = flag() != 0;

  // Resolve every program's entry points (the manifest names them).
  std::vector<std::string> missing;
  auto resolve = [&](const std::string &sym) -> void * {
    void *p = ::dlsym(a.handle_, sym.c_str());
    if (!p)
      missing.push_back(sym);
    return p;
  };
  for (const ProgramInfo &info : a.manifest_.programs)
    a.programs_.push_back({&info, reinterpret_cast<PrefillFn>(resolve(info.prefillSymbol)),
                           reinterpret_cast<StepFn>(resolve(info.stepSymbol))});
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

Status checkLibraryDescription(const Manifest &m, std::string_view description,
                               const std::string &library) {
  auto mismatch = [&](const std::string &field, const std::string &compiled,
                      const std::string &manifest) {
    return Status::error(library + ": compiled for " + field + " = " + compiled + ", but " +
                         m.path + " says " + manifest +
                         "; the manifest was edited or belongs to another build (recompile "
                         "the artifact with photon-compile)");
  };
  Expected<Json> parsed = parseJson(description);
  if (!parsed || !parsed->is_object())
    return Status::error(library + ": its photon_description() is not a JSON object");
  const Json &d = *parsed;
  FieldReader r(d, library + ": description");
  // A library without a version predates the encode_len argument of prefill.
  std::optional<int64_t> version;
  if (member(d, "version"))
    version = r.integer("version", true);
  int64_t vocab = r.integer("vocab_size", true), fingerprint = r.integer("fingerprint", true);
  std::string act = r.string("activation_type", true);
  const Json *w = r.typed("weights", true, isObject, "an object");
  if (!r.ok())
    return r.status();
  FieldReader wr(*w, library + ": description.weights");
  std::string dtype = wr.string("dtype", true);
  int64_t elements = wr.integer("elements", true);
  if (!wr.ok())
    return wr.status();
  if (version != kArtifactVersion)
    return Status::error(library + ": compiled by a photon-compile of artifact version " +
                         (version ? std::to_string(*version) : std::string("4 or older")) +
                         "; this photon-run calls version " + std::to_string(kArtifactVersion) +
                         " entry points (recompile the artifact with photon-compile)");
  if (vocab != m.vocabSize)
    return mismatch("vocab_size", std::to_string(vocab), std::to_string(m.vocabSize));
  if (act != lower(dtypeName(m.activationType)))
    return mismatch("activation_type", act, lower(dtypeName(m.activationType)));
  if (dtype != lower(dtypeName(m.dtype)))
    return mismatch("weights.dtype", dtype, lower(dtypeName(m.dtype)));
  if (elements != m.elements)
    return mismatch("weights.elements", std::to_string(elements), std::to_string(m.elements));
  if (fingerprint != m.fingerprint)
    return mismatch("fingerprint", std::to_string(fingerprint), std::to_string(m.fingerprint));
  const Json *programs = member(d, "programs");
  if (!programs || !programs->is_array())
    return Status::error(library + ": description.programs: must be a list");
  if (programs->size() != m.programs.size())
    return mismatch("programs", std::to_string(programs->size()) + " programs",
                    std::to_string(m.programs.size()));
  for (size_t i = 0; i < m.programs.size(); ++i) {
    std::string where = "programs[" + std::to_string(i) + "]";
    Expected<ProgramInfo> lib = parseProgram((*programs)[i], library + ": " + where);
    if (!lib)
      return lib.takeStatus();
    const ProgramInfo &man = m.programs[i];
    if (*lib == man)
      continue;
    for (size_t k = 0; k < lib->regions.size() && k < man.regions.size(); ++k)
      if (!(lib->regions[k] == man.regions[k]))
        return mismatch(where + ".regions[" + std::to_string(k) + "]",
                        toJson(lib->regions[k]).dump(), toJson(man.regions[k]).dump());
    ProgramInfo a = *lib, b = man;
    a.regions.clear();
    b.regions.clear();
    return mismatch(where, toJson(a).dump() + " with " + std::to_string(lib->regions.size()) +
                               " regions",
                    toJson(b).dump() + " with " + std::to_string(man.regions.size()) +
                        " regions");
  }
  return Status::success();
}

Expected<Program> Artifact::program(std::string_view mode) const {
  for (const Program &p : programs_)
    if (p.info->mode == mode)
      return p;
  return Status::error("this " + manifest_.model + " artifact has no '" + std::string(mode) +
                       "' program (it has: " + manifest_.modes() + ")" +
                       (mode == "recgen" ? "; recgen needs a photon model with >= 2 levels"
                                         : ""));
}

} // namespace photon::rt
