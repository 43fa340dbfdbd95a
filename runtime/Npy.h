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

#include <cstdint>
#include <string>
#include <vector>

namespace photon::rt {

/// The bytes before the data: magic, version, header length and header.
std::string npyHeader(const std::vector<int64_t> &shape);

/// Writes `data` (numElements(shape) floats, C order) to `path`.
Status writeNpy(const std::string &path, const float *data,
                const std::vector<int64_t> &shape);

} // namespace photon::rt

#endif // PHOTON_RUNTIME_NPY_H
