//===- Npy.cpp - Writing NumPy .npy files ---------------------------------===//

#include "runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace photon::rt {

std::string npyHeader(const std::vector<int64_t> &shape) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2); // "(2, 3)"; a 1-D shape keeps its comma: "(3,)"
  else if (shape.size() == 1)
    dims.pop_back();
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // 6 magic + 2 version + 2 length bytes, then dict, spaces and '\n'.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xFF);
  out += static_cast<char>((dict.size() >> 8) & 0xFF);
  return out + dict;
}

Status writeNpy(const std::string &path, const float *data,
                const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return Status::error(path + ": cannot write .npy with a negative dimension");
    n *= static_cast<size_t>(d);
  }
  std::string header = npyHeader(shape);
  if (header.size() - 10 > 0xFFFF)
    return Status::error(path + ": shape too long for a .npy v1.0 header");
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return Status::error(path + ": cannot create: " + std::strerror(errno));
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  if (ok && n)
    ok = std::fwrite(data, sizeof(float), n, f) == n;
  int savedErrno = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok)
    return Status::error(path + ": write failed: " + std::strerror(savedErrno));
  return Status::success();
}

} // namespace photon::rt
