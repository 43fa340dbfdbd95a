//===- CudaDriver.cpp - The CUDA driver API through dlopen ----------------===//

#include "runtime/CudaDriver.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include <dlfcn.h>

namespace photon::rt {

// Names of common CUresult codes (cuda.h, enum cudaError_enum), used when the
// library cannot name an error itself (a stub library fails every call).
static const char *fallbackErrorName(CUresult r) {
  switch (r) {
  case 1: return "CUDA_ERROR_INVALID_VALUE";
  case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
  case 3: return "CUDA_ERROR_NOT_INITIALIZED";
  case 4: return "CUDA_ERROR_DEINITIALIZED";
  case 34: return "CUDA_ERROR_STUB_LIBRARY";
  case 100: return "CUDA_ERROR_NO_DEVICE";
  case 101: return "CUDA_ERROR_INVALID_DEVICE";
  case 200: return "CUDA_ERROR_INVALID_IMAGE";
  case 201: return "CUDA_ERROR_INVALID_CONTEXT";
  case 209: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case 218: return "CUDA_ERROR_INVALID_PTX";
  case 222: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  case 400: return "CUDA_ERROR_INVALID_HANDLE";
  case 500: return "CUDA_ERROR_NOT_FOUND";
  case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case 701: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
  case 719: return "CUDA_ERROR_LAUNCH_FAILED";
  case 999: return "CUDA_ERROR_UNKNOWN";
  default: return nullptr;
  }
}

Status CudaDriver::check(CUresult result, const char *what) const {
  if (result == CUDA_SUCCESS)
    return Status::success();
  const char *name = nullptr, *desc = nullptr;
  if (cuGetErrorName && cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (cuGetErrorString && cuGetErrorString(result, &desc) != CUDA_SUCCESS)
    desc = nullptr;
  if (!name)
    name = fallbackErrorName(result);
  std::string msg = std::string(what) + ": " +
                    (name ? std::string(name) : "CUDA error " + std::to_string(result));
  if (desc && *desc)
    msg += std::string(": ") + desc;
  return Status::error(msg);
}

Expected<CudaDriver> CudaDriver::load(const char *library) {
  ::dlerror();
  void *handle = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *err = ::dlerror();
    return Status::error(std::string("dlopen(") + library +
                         ") failed: " + (err ? err : "unknown error"));
  }
  CudaDriver drv;
  // dlsym returns void*; POSIX guarantees it converts to a function pointer.
  // memcpy avoids the object-to-function-pointer cast warning.
#define PHOTON_CUDA_RESOLVE(name, params)                                      \
  if (void *sym = ::dlsym(handle, #name)) {                                    \
    static_assert(sizeof(sym) == sizeof(drv.name), "pointer sizes differ");    \
    std::memcpy(&drv.name, &sym, sizeof(sym));                                 \
  } else {                                                                     \
    ::dlclose(handle);                                                         \
    return Status::error(std::string(library) +                                \
                         " lacks the entry point " #name                       \
                         " (NVIDIA driver too old?)");                         \
  }
  PHOTON_CUDA_DRIVER_FUNCTIONS(PHOTON_CUDA_RESOLVE)
#undef PHOTON_CUDA_RESOLVE
#define PHOTON_CUDA_RESOLVE_OPTIONAL(name, params)                             \
  if (void *sym = ::dlsym(handle, #name))                                      \
    std::memcpy(&drv.name, &sym, sizeof(sym));
  PHOTON_CUDA_OPTIONAL_DRIVER_FUNCTIONS(PHOTON_CUDA_RESOLVE_OPTIONAL)
#undef PHOTON_CUDA_RESOLVE_OPTIONAL
  return drv; // the handle stays open for the life of the process
}

// cuInit and a device count for a freshly loaded table.
static Status initialize(const CudaDriver &drv, const char *library) {
  std::string where = std::string("NVIDIA driver ") + library + " unusable";
  Status s = drv.check(drv.cuInit(0), "cuInit(0)");
  if (!s.ok())
    return s.withContext(where);
  int count = 0;
  s = drv.check(drv.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (!s.ok())
    return s.withContext(where);
  if (count <= 0)
    return Status::error(where + ": no CUDA device found");
  return Status::success();
}

Expected<CudaDriver> CudaDriver::loadAndInit(const char *library) {
  Expected<CudaDriver> drv = load(library);
  if (!drv)
    return drv;
  Status s = initialize(*drv, library);
  if (!s.ok())
    return s;
  return drv;
}

Expected<const CudaDriver *> CudaDriver::get() {
  // A function-local static: initialized exactly once, thread-safely.
  static const Expected<CudaDriver> instance = []() -> Expected<CudaDriver> {
    const char *library = "libcuda.so.1";
    Expected<CudaDriver> drv = load(library);
    if (!drv) { // "libcuda.so" is the unversioned name of some installs
      Expected<CudaDriver> alt = load("libcuda.so");
      if (!alt)
        return Status::error("no NVIDIA driver found: " + drv.status().message() + "; " +
                             alt.status().message());
      library = "libcuda.so";
      drv = std::move(alt);
    }
    Status s = initialize(*drv, library);
    if (!s.ok())
      return s;
    return drv;
  }();
  if (!instance)
    return instance.status();
  return &*instance;
}

Expected<CUmodule> CudaDriver::loadModule(const std::string &image,
                                          std::string *infoLog) const {
  if (!cuModuleLoadDataEx)
    return Status::error("cuModuleLoadDataEx: the CUDA driver is not loaded");
  std::vector<char> errorBuf(64 * 1024, '\0');
  std::vector<char> infoBuf(infoLog ? 256 * 1024 : 0, '\0');
  // Option values are passed as void*; sizes and flags travel as integers.
  std::vector<CUjit_option> options = {CU_JIT_ERROR_LOG_BUFFER,
                                       CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  std::vector<void *> values = {errorBuf.data(),
                                reinterpret_cast<void *>(uintptr_t(errorBuf.size()))};
  if (infoLog) {
    options.insert(options.end(), {CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                                   CU_JIT_LOG_VERBOSE});
    values.insert(values.end(), {infoBuf.data(),
                                 reinterpret_cast<void *>(uintptr_t(infoBuf.size())),
                                 reinterpret_cast<void *>(uintptr_t(1))});
  }
  CUmodule module = nullptr;
  CUresult r = cuModuleLoadDataEx(&module, image.c_str(), unsigned(options.size()),
                                  options.data(), values.data());
  // The driver NUL-terminates the logs; strnlen guards against a full buffer.
  if (infoLog)
    infoLog->assign(infoBuf.data(), ::strnlen(infoBuf.data(), infoBuf.size()));
  if (r != CUDA_SUCCESS) {
    Status s = check(r, "cuModuleLoadDataEx");
    std::string log(errorBuf.data(), ::strnlen(errorBuf.data(), errorBuf.size()));
    if (!log.empty())
      s = Status::error(s.message() + "\nJIT error log:\n" + log);
    return s;
  }
  return module;
}

Status CudaDriver::encodeTensorMap(void *map, const char *what, void *base, uint32_t rank,
                                   const cuuint64_t *dims, const cuuint64_t *strides,
                                   const cuuint32_t *box) const {
  if (!cuTensorMapEncodeTiled)
    return Status::error(std::string(what) +
                         ": the NVIDIA driver lacks it (CUDA 12.0 or later), which the "
                         "kernels' TMA loads need: compile with --no-wgmma-tma for this "
                         "driver");
  const cuuint32_t rowBytes = box[0] * 2;
  if (rowBytes != 64 && rowBytes != 128)
    return Status::error(std::string(what) + ": box rows must be 64 or 128 bytes");
  const cuuint32_t elementStrides[4] = {1, 1, 1, 1};
  return check(cuTensorMapEncodeTiled(map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, rank, base, dims,
                                      strides, box, elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                      rowBytes == 64 ? CU_TENSOR_MAP_SWIZZLE_64B
                                                     : CU_TENSOR_MAP_SWIZZLE_128B,
                                      CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                      CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE),
               what);
}

Status CudaDriver::encodeTensorMap2d(void *map, void *base, int64_t rows, int64_t cols,
                                     int32_t boxRows, int32_t boxCols) const {
  char what[200];
  std::snprintf(what, sizeof(what),
                "cuTensorMapEncodeTiled(bf16 [%lld x %lld] at %p, box %d x %d)",
                static_cast<long long>(rows), static_cast<long long>(cols), base, boxRows,
                boxCols);
  const cuuint64_t dims[2] = {cuuint64_t(cols), cuuint64_t(rows)};
  const cuuint64_t strides[1] = {cuuint64_t(cols) * 2};
  const cuuint32_t box[2] = {cuuint32_t(boxCols), cuuint32_t(boxRows)};
  return encodeTensorMap(map, what, base, 2, dims, strides, box);
}

Status CudaDriver::encodeTensorMapPairs(void *map, void *base, int64_t rows, int64_t cols,
                                        int64_t second, int32_t groupRows, int32_t groups,
                                        int32_t boxCols) const {
  char what[240];
  std::snprintf(what, sizeof(what),
                "cuTensorMapEncodeTiled(bf16 2 x [%lld x %lld] at %p and %lld elements on, "
                "box %d x (%d + %d) x %d)",
                static_cast<long long>(rows), static_cast<long long>(cols), base,
                static_cast<long long>(second), groups, groupRows, groupRows, boxCols);
  if (groupRows <= 0 || rows % groupRows != 0 || second <= 0 || second % 8 != 0)
    return Status::error(std::string(what) +
                         ": rows must be groups of the box's rows, the second matrix a "
                         "positive multiple of 8 elements on");
  // Innermost first: a row's columns, the rows of a group, the matrix, the
  // group; the box's rows go group by group, each the first matrix's then
  // the second's.
  const cuuint64_t dims[4] = {cuuint64_t(cols), cuuint64_t(groupRows), 2,
                              cuuint64_t(rows / groupRows)};
  const cuuint64_t strides[3] = {cuuint64_t(cols) * 2, cuuint64_t(second) * 2,
                                 cuuint64_t(groupRows) * cuuint64_t(cols) * 2};
  const cuuint32_t box[4] = {cuuint32_t(boxCols), cuuint32_t(groupRows), 2, cuuint32_t(groups)};
  return encodeTensorMap(map, what, base, 4, dims, strides, box);
}

} // namespace photon::rt
