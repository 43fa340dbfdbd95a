//===- SafetensorsFuzzer.cpp - libFuzzer target: safetensors reader -------===//
//
// Feeds arbitrary bytes to SafetensorsFile::fromMemory (the checks of open()
// without a temporary file). When the bytes are accepted, every tensor is
// converted and validated as photon-run does, so a header that lies about
// offsets or shapes shows up as an out-of-bounds read under ASan.
//
//===----------------------------------------------------------------------===//

#include "runtime/Safetensors.h"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace photon::rt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A heap copy of exactly `size` bytes: ASan then catches reads past the end
  // (libFuzzer's own buffer is also exact, but this keeps it explicit).
  std::vector<uint8_t> bytes(data, data + size);
  Expected<SafetensorsFile> file =
      SafetensorsFile::fromMemory(bytes.data(), bytes.size(), "fuzz.safetensors");
  if (!file) {
    (void)file.status().message();
    return 0;
  }
  std::vector<TensorSpec> specs;
  for (const TensorInfo &t : *file) {
    if (t.nbytes() > (1u << 20))
      continue; // accepted, so the bytes are in the input: only bounded by its size
    std::vector<float> f32(static_cast<size_t>(t.numel()));
    SafetensorsFile::toF32(t, f32.data());
    std::vector<uint16_t> bf16(static_cast<size_t>(t.numel()));
    SafetensorsFile::toBF16(t, bf16.data());
    specs.push_back({t.name, t.shape});
    if (file->find(t.name) != &t)
      __builtin_trap(); // the index must find every tensor
  }
  if (!specs.empty())
    specs.pop_back(); // one missing tensor: validateAgainst must say so
  Status st = file->validateAgainst(specs);
  if (file->size() > 0 && st.ok())
    __builtin_trap();
  return 0;
}
