//===- Npy.h - Writing NumPy .npy files ------------------------*- C++ -*-===//
//
// Format version 1.0, dtype '<f4', C order: the 6-byte magic "\x93NUMPY",
// version 1.0, a little-endian uint16 header length, the header dict padded
// with spaces and ending in '\n' so that the data starts at a multiple of 64
// bytes (as NumPy itself writes it), then the raw float32 data.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_NPY_H
#define PHOTON_RUNTIME_NPY_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace photon::rt {

/// The bytes before the data: magic, version, header length and header.
std::string npyHeader(const std::vector<int64_t> &shape);

/// Writes `data` (numElements(shape) floats, C order) to `path`, through a
/// PendingNpyFile: a failed write leaves an existing `path` as it was.
Status writeNpy(const std::string &path, const float *data,
                const std::vector<int64_t> &shape);

/// A run of floats that a .npy file's data is made of.
struct FloatSpan {
  const float *data;
  size_t size;
};

/// A .npy file that replaces `path` only when it is complete: the data goes to
/// a temporary file next to `path` (the same folder, so the rename is
/// atomic), which commit() renames over `path` (over its target, if it is
/// a symlink). Until then an existing `path` is untouched; the destructor
/// removes the temporary file when commit() did not succeed. A `path` that
/// is a device or FIFO (/dev/null, /dev/stdout) is written in place.
class PendingNpyFile {
public:
  /// Creates the temporary file now, so that an unwritable folder is
  /// reported before any work.
  static Expected<PendingNpyFile> create(const std::string &path);

  PendingNpyFile(PendingNpyFile &&other) noexcept;
  PendingNpyFile &operator=(PendingNpyFile &&other) noexcept;
  PendingNpyFile(const PendingNpyFile &) = delete;
  PendingNpyFile &operator=(const PendingNpyFile &) = delete;
  ~PendingNpyFile();

  const std::string &path() const { return path_; }
  const std::string &tempPath() const { return temp_; }
  /// Writes the header of `shape`, then `parts` in order (together
  /// numElements(shape) floats, C order), and renames the file over path().
  Status commit(const std::vector<int64_t> &shape, const std::vector<FloatSpan> &parts);

private:
  PendingNpyFile() = default;
  void discard();

  std::string path_, target_, temp_; // temp_ is empty when writing in place
  FILE *file_ = nullptr;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_NPY_H
