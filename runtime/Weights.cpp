//===- Weights.cpp - The weight arena of an artifact ----------------------===//

#include "runtime/Weights.h"
#include "runtime/SyntheticWeights.h"

#include <cstring>

namespace photon::rt {

WeightArena::WeightArena(DType dtype, int64_t elements)
    : dtype_(dtype), elements_(elements),
      data_(size_t(elements) * dtypeSize(dtype), 0) {}

void WeightArena::store(int64_t offset, const float *values, int64_t n) {
  uint8_t *dst = data_.data() + size_t(offset) * dtypeSize(dtype_);
  switch (dtype_) {
  case DType::F32:
    std::memcpy(dst, values, size_t(n) * 4);
    return;
  case DType::BF16:
  case DType::F16:
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h = dtype_ == DType::BF16 ? f32ToBF16(values[i]) : f32ToF16(values[i]);
      std::memcpy(dst + 2 * i, &h, 2);
    }
    return;
  }
}

void WeightArena::load(int64_t offset, float *values, int64_t n) const {
  const uint8_t *src = data_.data() + size_t(offset) * dtypeSize(dtype_);
  switch (dtype_) {
  case DType::F32:
    std::memcpy(values, src, size_t(n) * 4);
    return;
  case DType::BF16:
  case DType::F16:
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      values[i] = dtype_ == DType::BF16 ? bf16ToF32(h) : f16ToF32(h);
    }
    return;
  }
}

std::vector<std::string> ignoredWeightNames(const Manifest &manifest) {
  std::vector<std::string> ignore = defaultIgnoredTensors();
  ignore.insert(ignore.end(), manifest.ignoredTensors.begin(), manifest.ignoredTensors.end());
  return ignore;
}

Expected<WeightArena> loadWeights(const Manifest &manifest, const std::string &path) {
  Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  if (!file)
    return file.takeStatus();
  PHOTON_RETURN_IF_ERROR(
      file->validateAgainst(manifest.tensorSpecs(), ignoredWeightNames(manifest)));
  WeightArena arena(manifest.dtype, manifest.elements);
  std::vector<float> f32;
  for (const ArtifactTensor &t : manifest.tensors) {
    const TensorInfo *info = file->find(t.name);
    if (!info) // validateAgainst guarantees it; keep the invariant explicit
      return Status::error(path + ": missing tensor '" + t.name + "'");
    uint8_t *dst = arena.data() + size_t(t.offset) * dtypeSize(arena.dtype());
    if (info->dtype == arena.dtype()) {
      std::memcpy(dst, info->data, info->nbytes());
    } else if (arena.dtype() == DType::BF16) {
      std::vector<uint16_t> tmp(size_t(t.numel()));
      SafetensorsFile::toBF16(*info, tmp.data());
      std::memcpy(dst, tmp.data(), tmp.size() * 2);
    } else {
      f32.resize(size_t(t.numel()));
      SafetensorsFile::toF32(*info, f32.data());
      arena.store(t.offset, f32.data(), t.numel());
    }
  }
  return arena;
}

WeightArena syntheticArena(const Manifest &manifest, uint64_t seed) {
  WeightArena arena(manifest.dtype, manifest.elements);
  for (const ArtifactTensor &t : manifest.tensors) {
    std::vector<float> values = syntheticTensor(TensorSpec{t.name, t.shape}, seed);
    arena.store(t.offset, values.data(), t.numel());
  }
  return arena;
}

} // namespace photon::rt
