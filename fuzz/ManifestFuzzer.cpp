//===- ManifestFuzzer.cpp - libFuzzer target: artifact manifest -----------===//
//
// The same bytes go to both readers of untrusted artifact JSON:
// parseManifest (model.json) and checkLibraryDescription (a kernel library's
// photon_description()) against a fixed valid manifest, PHOTON_FUZZ_MANIFEST
// (a seed of this target's corpus), so the field-by-field comparison runs past
// its first check on inputs near a real description.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

using namespace photon::rt;

static Manifest *fixedManifest = nullptr;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  std::ifstream in(PHOTON_FUZZ_MANIFEST, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  Expected<Manifest> m = parseManifest(text.str(), PHOTON_FUZZ_MANIFEST);
  if (!m) {
    std::fprintf(stderr, "ManifestFuzzer: %s\n", m.status().message().c_str());
    std::abort();
  }
  fixedManifest = new Manifest(std::move(*m));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  Expected<Manifest> m = parseManifest(text, "fuzz/model.json");
  if (m) {
    // What photon-run does next with an accepted manifest.
    (void)m->tensorSpecs();
    (void)m->modes();
    (void)m->arenaBytes();
    for (const ArtifactTensor &t : m->tensors)
      if (m->find(t.name) == nullptr)
        __builtin_trap();
    for (const photon::ProgramInfo &p : m->programs)
      (void)m->program(p.mode);
    // A manifest must match its own fields as a description of itself.
    (void)checkLibraryDescription(*m, text, "fuzz/kernels-cpu.so");
  }
  (void)checkLibraryDescription(*fixedManifest, text, "fuzz/kernels-cpu.so");
  return 0;
}
