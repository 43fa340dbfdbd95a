//===- Weights.cpp - The weight arena of an artifact ----------------------===//

#include "runtime/Weights.h"
#include "runtime/FileType.h"
#include "runtime/Json.h"
#include "runtime/SyntheticWeights.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

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

namespace {

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}
std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

/// The shards an index (model.safetensors.index.json) names, and the shard
/// of every tensor it lists.
struct ShardIndex {
  std::vector<std::string> files;               // paths, in first-use order
  std::map<std::string, std::string> shardOf;  // tensor -> file path
};

Expected<ShardIndex> readShardIndex(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error(path + ": cannot open: " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Expected<Json> json = parseJson(text);
  if (!json)
    return json.status().withContext(path);
  auto map = json->find("weight_map");
  if (!json->is_object() || map == json->end() || !map->is_object())
    return Status::error(path + ": weight_map: must be an object of tensor -> shard file");
  ShardIndex index;
  std::string dir = directoryOf(path);
  for (const auto &[tensor, file] : map->items()) {
    if (!file.is_string() || file.get<std::string>().empty() ||
        file.get<std::string>().find('/') != std::string::npos)
      return Status::error(path + ": weight_map." + tensor +
                           ": must be a file name next to the index");
    std::string shard = dir + "/" + file.get<std::string>();
    if (std::find(index.files.begin(), index.files.end(), shard) == index.files.end())
      index.files.push_back(shard);
    index.shardOf[tensor] = shard;
  }
  return index;
}

} // namespace

Expected<WeightArena> loadWeights(const Manifest &manifest, const std::string &path,
                                  const LoadProgress &progress) {
  // A file, a directory as save_pretrained writes it, or a shard index.
  std::string single = path, indexPath;
  if (isDirectory(path)) {
    single = path + "/model.safetensors";
    indexPath = path + "/model.safetensors.index.json";
    if (exists(single))
      indexPath.clear();
    else if (!exists(indexPath))
      return Status::error(path + ": a directory without model.safetensors or "
                                  "model.safetensors.index.json (HF's layouts)");
  } else if (path.size() > 11 && path.compare(path.size() - 11, 11, ".index.json") == 0) {
    indexPath = path;
  }
  std::vector<SafetensorsFile> files;
  std::string label = indexPath.empty() ? single : indexPath;
  std::vector<const TensorInfo *> tensors;
  std::map<std::string, const TensorInfo *> byName;
  auto open = [&](const std::string &file) -> Status {
    Expected<SafetensorsFile> f = SafetensorsFile::open(file);
    if (!f)
      return f.takeStatus();
    files.push_back(std::move(*f));
    return Status::success();
  };
  if (indexPath.empty()) {
    PHOTON_RETURN_IF_ERROR(open(single));
  } else {
    Expected<ShardIndex> index = readShardIndex(indexPath);
    if (!index)
      return index.takeStatus();
    files.reserve(index->files.size());
    for (const std::string &shard : index->files)
      PHOTON_RETURN_IF_ERROR(open(shard));
    // Every tensor in exactly one shard, the one the index names.
    for (const SafetensorsFile &f : files)
      for (const TensorInfo &t : f) {
        auto listed = index->shardOf.find(t.name);
        if (listed == index->shardOf.end())
          return Status::error(f.path() + ": tensor '" + t.name + "' is not in " + indexPath);
        if (listed->second != f.path())
          return Status::error(indexPath + ": tensor '" + t.name + "' is listed in " +
                               listed->second + " but stored in " + f.path());
      }
    for (const auto &[tensor, shard] : index->shardOf) {
      bool found = false;
      for (const SafetensorsFile &f : files)
        found = found || (f.path() == shard && f.find(tensor));
      if (!found)
        return Status::error(indexPath + ": tensor '" + tensor + "' is listed in " + shard +
                             " but that file does not hold it");
    }
  }
  for (const SafetensorsFile &f : files)
    for (const TensorInfo &t : f) {
      tensors.push_back(&t);
      byName.emplace(t.name, &t);
    }
  PHOTON_RETURN_IF_ERROR(
      validateTensorSet(label, tensors, manifest.tensorSpecs(), ignoredWeightNames(manifest)));
  WeightArena arena(manifest.dtype, manifest.elements);
  std::vector<float> f32;
  for (const ArtifactTensor &t : manifest.tensors) {
    auto it = byName.find(t.name);
    if (it == byName.end()) // validateTensorSet guarantees it; keep the invariant explicit
      return Status::error(label + ": missing tensor '" + t.name + "'");
    const TensorInfo *info = it->second;
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
    if (progress)
      progress(size_t(t.offset + t.numel()) * dtypeSize(arena.dtype()), arena.bytes());
  }
  return arena;
}

WeightArena syntheticArena(const Manifest &manifest, uint64_t seed,
                           const LoadProgress &progress) {
  WeightArena arena(manifest.dtype, manifest.elements);
  // Parts of up to 1M values (a Box-Muller pair never splits), filled on
  // every core: the values are those of syntheticTensor, whatever the order.
  constexpr int64_t kPart = int64_t(1) << 20;
  struct Part {
    const ArtifactTensor *tensor;
    int64_t begin, end;
  };
  std::vector<Part> parts;
  for (const ArtifactTensor &t : manifest.tensors)
    for (int64_t b = 0; b < t.numel(); b += kPart)
      parts.push_back({&t, b, std::min(t.numel(), b + kPart)});
  const size_t eltBytes = dtypeSize(arena.dtype());
  std::atomic<size_t> next{0}, done{0};
  auto work = [&](bool reports) {
    std::vector<float> values;
    for (size_t i; (i = next.fetch_add(1)) < parts.size();) {
      const Part &p = parts[i];
      values.resize(size_t(p.end - p.begin));
      syntheticFill(TensorSpec{p.tensor->name, p.tensor->shape}, seed, p.begin, p.end,
                    values.data());
      arena.store(p.tensor->offset + p.begin, values.data(), p.end - p.begin);
      size_t bytes = done.fetch_add(values.size() * eltBytes) + values.size() * eltBytes;
      if (reports && progress)
        progress(bytes, arena.bytes());
    }
  };
  size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 64);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min(threads, parts.size()); ++t)
    pool.emplace_back(work, false);
  work(true); // this thread reports progress
  for (std::thread &t : pool)
    t.join();
  return arena;
}

} // namespace photon::rt
