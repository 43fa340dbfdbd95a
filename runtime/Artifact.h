//===- Artifact.h - A compiled model on disk -------------------*- C++ -*-===//
//
// photon-compile writes an artifact directory:
//   model.json   the manifest (translate/ManifestExport.cpp writes it):
//                {"format": "photon-artifact", "version": 5, "model",
//                "kernels": {target: library file}, "vocab_size",
//                "activation_type", "fingerprint",
//                "weights": {"dtype", "elements", "tensors": [{name, shape,
//                offset}], "ignored": [names a checkpoint may carry]},
//                "programs": [{name, mode, prefill, step (C symbols),
//                tokens_per_step, prefill_tile, analytic_per_seq,
//                analytic_per_step, regions: [{name, tile, fixed, per_seq,
//                fixed_per_step, per_step}]}],
//                "config" (for people; the runtime does not read it)}
//   kernels-<target>.so   the programs' entry points (runtime/ProgramABI.h)
//                for that model (cpu, cuda)
//
// loadManifest parses and checks the manifest (every error names the file
// and the field); Artifact::load also dlopens the kernel library, checks the
// manifest against the library's own description of what it was compiled
// for, and resolves every program's entry points.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_ARTIFACT_H
#define PHOTON_RUNTIME_ARTIFACT_H

#include "model/ArtifactSchema.h"
#include "runtime/Json.h"
#include "runtime/ProgramABI.h"
#include "runtime/Safetensors.h"
#include "runtime/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace photon::rt {

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
  int64_t vocabSize = 0;
  DType dtype = DType::F32;          // of the weight arena
  DType activationType = DType::F32; // of x, KV caches and latents
  int64_t fingerprint = 0;           // of the plan; the kernel library has it too
  int64_t elements = 0; // arena length in elements
  std::vector<ArtifactTensor> tensors;
  /// Tensors a checkpoint may hold that the model does not read.
  std::vector<std::string> ignoredTensors;
  std::vector<ProgramInfo> programs;

  const ArtifactTensor *find(std::string_view name) const;
  /// The program of `mode` ("hiergen", "recgen"), or null.
  const ProgramInfo *program(std::string_view mode) const;
  /// The modes of the programs, comma-separated (for messages).
  std::string modes() const;
  /// The tensor list as safetensors expectations (name + shape).
  std::vector<TensorSpec> tensorSpecs() const;
  /// Bytes of the weight arena.
  size_t arenaBytes() const { return size_t(elements) * dtypeSize(dtype); }
};

/// Parses manifest text; `path` only labels errors.
Expected<Manifest> parseManifest(std::string_view text, const std::string &path);
/// Reads `<dir>/model.json`.
Expected<Manifest> loadManifest(const std::string &dir);

/// Checks `m` field by field against `description`, the JSON a kernel library
/// returns from photon_description() (what it was compiled for: vocabulary,
/// types, arena size, fingerprint, programs and their state regions). Both
/// come from the same compiler description (passes/ArtifactDescription.h).
Status checkLibraryDescription(const Manifest &m, std::string_view description,
                               const std::string &library);

/// A program's entry points in a loaded kernel library.
struct Program {
  const ProgramInfo *info = nullptr;
  PrefillFn prefill = nullptr;
  StepFn step = nullptr;
};

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
  /// The program of `mode`, or an error naming the modes there are.
  Expected<Program> program(std::string_view mode) const;
  const std::string &libraryPath() const { return libraryPath_; }
  /// Whether the library's kernels wait for the previous grid themselves
  /// (it exports photon_programmatic_launch(), lowering/ProgrammaticLaunch.h),
  /// so that they may be launched with programmatic stream serialization.
  bool programmaticLaunch() const { return programmaticLaunch_; }

private:
  Artifact() = default;
  Manifest manifest_;
  std::vector<Program> programs_; // parallel to manifest_.programs
  std::string libraryPath_;
  void *handle_ = nullptr;
  bool programmaticLaunch_ = false;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_ARTIFACT_H
