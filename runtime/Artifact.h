//===- Artifact.h - A compiled model on disk -------------------*- C++ -*-===//
//
// photon-compile writes an artifact directory:
//   model.json   the manifest: {"format": "photon-artifact", "version": 3,
//                "model", "kernels": {target: library file}, "config" (spec §1
//                field names),
//                "weights": {"dtype", "elements", "tensors": [{name, shape,
//                offset}]} (offset = element offset in the one weight arena),
//                "memory_plan": {activation_type, fingerprint, byte counts}}
//   kernels-<target>.so   the kernels of runtime/KernelABI.h for that model (cpu, cuda)
//
// loadManifest parses and checks the manifest (every error names the file
// and the field); Artifact::load also dlopens the kernel library and resolves
// every kernel the configuration needs.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_ARTIFACT_H
#define PHOTON_RUNTIME_ARTIFACT_H

#include "model/ModelConfig.h"
#include "runtime/Json.h"
#include "runtime/KernelABI.h"
#include "runtime/Safetensors.h"
#include "runtime/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace photon::rt {

constexpr const char *kArtifactFormat = "photon-artifact";
constexpr int64_t kArtifactVersion = 3;

/// One tensor of the weight arena.
struct ArtifactTensor {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0; // in elements of the arena dtype
  int64_t numel() const { return numElements(shape); }
};

struct Manifest {
  std::string path;    // of model.json (for messages)
  std::string dir;     // the artifact directory ("" when parsed from text)
  std::string model;   // the model's symbol name
  /// Kernel library per target ("cpu", "cuda"), file names inside dir.
  std::map<std::string, std::string> kernelLibraries;
  ModelConfig config;
  DType dtype = DType::F32;          // of the weight arena
  DType activationType = DType::F32; // of x, KV caches and latents
  int64_t fingerprint = 0;           // of the plan; the kernel library has it too
  int64_t elements = 0; // arena length in elements
  std::vector<ArtifactTensor> tensors;

  const ArtifactTensor *find(std::string_view name) const;
  /// The tensor list as safetensors expectations (name + shape).
  std::vector<TensorSpec> tensorSpecs() const;
  /// Bytes of the weight arena.
  size_t arenaBytes() const { return size_t(elements) * dtypeSize(dtype); }
};

/// Parses a model configuration written with the spec's field names (the
/// manifest's "config"), then validates it. Errors read "<where>.<field>: ...".
Expected<ModelConfig> parseModelConfig(const JsonValue &config,
                                       const std::string &where);

/// Parses manifest text; `path` only labels errors.
Expected<Manifest> parseManifest(std::string_view text, const std::string &path);
/// Reads `<dir>/model.json`.
Expected<Manifest> loadManifest(const std::string &dir);

/// The kernels of one model; entries a model does not have are null
/// (chunk[l] for concat chunkers, encoder/decoder for vanilla, ...).
/// Vectors are indexed by level (entry 0 unused).
struct Kernels {
  EmbedFn embedEnc = nullptr, embedDec = nullptr, embedTok = nullptr;
  std::vector<ChunkFn> chunk;
  std::vector<StackFn> encoder, decoder;
  StackFn model = nullptr; // vanilla
  std::vector<ConverterFn> converter;
  LMHeadFn lmHead = nullptr;
  ArgmaxFn argmax = nullptr;
  SampleFn sample = nullptr;
};

/// The kernel names (KernelABI.h spelling, e.g. "stack_encoder.1") a model of
/// this configuration needs.
std::vector<std::string> requiredKernels(const ModelConfig &config);

/// An artifact with its kernel library loaded. Move-only; unloads the
/// library when destroyed.
class Artifact {
public:
  /// Loads `dir` (see the file comment) with the kernels of `target`.
  static Expected<Artifact> load(const std::string &dir,
                                 const std::string &target = "cpu");

  Artifact(Artifact &&other) noexcept;
  Artifact &operator=(Artifact &&other) noexcept;
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;
  ~Artifact();

  const Manifest &manifest() const { return manifest_; }
  const ModelConfig &config() const { return manifest_.config; }
  const Kernels &kernels() const { return kernels_; }
  const std::string &libraryPath() const { return libraryPath_; }

private:
  Artifact() = default;
  Manifest manifest_;
  Kernels kernels_;
  std::string libraryPath_;
  void *handle_ = nullptr;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_ARTIFACT_H
