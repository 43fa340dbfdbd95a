//===- Safetensors.h - Reading and writing .safetensors files --*- C++ -*-===//
//
// The reference safetensors format: an 8-byte little-endian header length N,
// N bytes of JSON header, then the data section. The header maps each tensor
// name to {"dtype", "shape", "data_offsets": [begin, end)} (offsets relative
// to the data section) plus an optional "__metadata__" string-to-string map.
//
// SafetensorsFile::open maps the file read-only and checks everything before
// anything is used: the header fits in the file, the JSON is well-formed, every
// dtype is supported (F32, BF16, F16), every tensor's byte size equals
// dtype size x shape, and the tensors tile the data section exactly (no holes,
// overlaps or trailing bytes). Errors start with the path and name the tensor
// or the byte offset. A host is assumed little-endian (x86-64, AArch64).
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_SAFETENSORS_H
#define PHOTON_RUNTIME_SAFETENSORS_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace photon::rt {

enum class DType { F32, BF16, F16 };
/// "F32", "BF16", "F16" (the safetensors spelling).
const char *dtypeName(DType dtype);
/// Bytes per element.
size_t dtypeSize(DType dtype);

// Scalar conversions. f32 -> bf16/f16 round to nearest, ties to even; NaN
// stays a (quiet) NaN; values past the f16 range become inf.
uint16_t f32ToBF16(float f);
float bf16ToF32(uint16_t b);
uint16_t f32ToF16(float f);
float f16ToF32(uint16_t h);

/// A tensor a model expects: its name and shape.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
};

/// "[2, 3]".
std::string formatShape(const std::vector<int64_t> &shape);
/// Number of elements of a shape (1 for a scalar []), or nullopt when a
/// dimension is negative or the product of the nonzero dimensions overflows
/// int64 (checked even when another dimension is 0).
std::optional<int64_t> checkedNumElements(const std::vector<int64_t> &shape);
/// checkedNumElements for shapes known to be valid (an open file's tensors);
/// saturates at INT64_MAX rather than wrapping.
int64_t numElements(const std::vector<int64_t> &shape);

/// One tensor of an open file.
struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;   // data_offsets, relative to the data section
  const uint8_t *data;   // begin's address in the mapping; may be unaligned

  int64_t numel() const { return numElements(shape); }
  size_t nbytes() const { return static_cast<size_t>(end - begin); }
};

/// Names matched by default in validateAgainst's ignore list: rotary
/// inverse-frequency buffers that HF checkpoints may store.
/// '*' in a pattern matches any run of characters.
const std::vector<std::string> &defaultIgnoredTensors();
/// Glob match with '*' only.
bool globMatch(std::string_view pattern, std::string_view name);

class SafetensorsFile {
public:
  /// Maps and validates `path` (see the file comment).
  static Expected<SafetensorsFile> open(const std::string &path);
  /// Validates `size` bytes in memory as open() does a file; the tensors
  /// point into `bytes`, which must outlive the result. `label` stands for
  /// the path in errors. (Tests and fuzzing: no temporary file.)
  static Expected<SafetensorsFile> fromMemory(const uint8_t *bytes, size_t size,
                                              const std::string &label);

  SafetensorsFile(SafetensorsFile &&other) noexcept;
  SafetensorsFile &operator=(SafetensorsFile &&other) noexcept;
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;
  ~SafetensorsFile();

  const std::string &path() const { return path_; }
  /// All tensors, in data-section order.
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  auto begin() const { return tensors_.begin(); }
  auto end() const { return tensors_.end(); }
  size_t size() const { return tensors_.size(); }
  /// The tensor called `name`, or nullptr.
  const TensorInfo *find(std::string_view name) const;
  /// The "__metadata__" map (empty when absent).
  const std::map<std::string, std::string> &metadata() const { return metadata_; }

  /// Converts a tensor of any supported dtype; `dst` holds numel() values.
  static void toF32(const TensorInfo &tensor, float *dst);
  static void toBF16(const TensorInfo &tensor, uint16_t *dst);

  /// Checks that the file holds exactly `expected`: reports every missing
  /// tensor, every unexpected tensor (except names matching an `ignore`
  /// pattern) and every shape mismatch, all in one error message.
  Status validateAgainst(const std::vector<TensorSpec> &expected,
                         const std::vector<std::string> &ignore =
                             defaultIgnoredTensors()) const;

private:
  SafetensorsFile() = default;
  void release();
  /// The checks of open() on `size` bytes; fills tensors_, index_, metadata_.
  Status parse(const uint8_t *bytes, uint64_t size);

  std::string path_;
  void *map_ = nullptr;
  size_t mapSize_ = 0;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

/// validateAgainst over tensors of several files (a sharded checkpoint);
/// `label` names them in the message.
Status validateTensorSet(const std::string &label, const std::vector<const TensorInfo *> &tensors,
                         const std::vector<TensorSpec> &expected,
                         const std::vector<std::string> &ignore = defaultIgnoredTensors());

/// A tensor to write: f32 values stored as `dtype` (rounded to nearest even
/// for BF16/F16). `data` holds numElements(shape) floats.
struct TensorToWrite {
  std::string name;
  std::vector<int64_t> shape;
  const float *data;
  DType dtype = DType::F32;
};

/// Writes a safetensors file: tensors laid out in the given order, the header
/// padded with spaces to a multiple of 8 bytes (as the reference writer does).
Status writeSafetensors(const std::string &path,
                        const std::vector<TensorToWrite> &tensors,
                        const std::map<std::string, std::string> &metadata = {});

} // namespace photon::rt

#endif // PHOTON_RUNTIME_SAFETENSORS_H
