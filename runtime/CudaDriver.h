//===- CudaDriver.h - The CUDA driver API through dlopen -------*- C++ -*-===//
//
// photon-run must start (and fail cleanly) on machines without CUDA, and build
// where cuda.h is absent, so the driver API is reached only through
// dlopen("libcuda.so.1") (then "libcuda.so") and dlsym. The few types and
// constants needed are declared here in namespace photon::rt, which keeps them
// from clashing with cuda.h should a file include both.
//
// Numeric values below are from /usr/local/cuda/include/cuda.h (CUDA 13.0,
// CUDA_VERSION 13000); they are part of the stable driver ABI.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_CUDADRIVER_H
#define PHOTON_RUNTIME_CUDADRIVER_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace photon::rt {

// Types (cuda.h: CUresult and the enums are int-sized enums; CUdevice is int;
// CUdeviceptr is unsigned long long on 64-bit hosts; handles are pointers to
// opaque structs).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUdevice_attribute = int;
using CUjit_option = int;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;
struct CUgraph_st;
struct CUgraphExec_st;
using CUgraph = CUgraph_st *;
using CUgraphExec = CUgraphExec_st *;
struct CUevent_st;
using CUevent = CUevent_st *;
// Stream capture modes (enum CUstreamCaptureMode_enum).
using CUstreamCaptureMode = int;
constexpr CUstreamCaptureMode CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;

// CUresult values (enum cudaError_enum).
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_STUB_LIBRARY = 34;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;

// JIT options (enum CUjit_option_enum).
constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER = 3;
constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr CUjit_option CU_JIT_LOG_VERBOSE = 12;

// Device attributes (enum CUdevice_attribute_enum).
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

// Function attributes (enum CUfunction_attribute_enum).
using CUfunction_attribute = int;
constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14;

// Stream and event flags.
constexpr unsigned CU_STREAM_NON_BLOCKING = 0x1;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 0x2;

// cuLaunchKernelEx's configuration (CUlaunchConfig_st, CUlaunchAttribute_st):
// an attribute is its id, padding to 8 bytes and a 64-byte value union,
// of which only the members the runtime sets are named.
using CUlaunchAttributeID = int;
constexpr CUlaunchAttributeID CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION = 4;
constexpr CUlaunchAttributeID CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION = 6;
struct CUlaunchAttribute {
  CUlaunchAttributeID id;
  char pad[8 - sizeof(CUlaunchAttributeID)];
  union {
    char bytes[64];
    struct {
      unsigned int x, y, z;
    } clusterDim;
    int programmaticStreamSerializationAllowed;
  } value;
};
struct CUlaunchConfig {
  unsigned int gridDimX, gridDimY, gridDimZ;
  unsigned int blockDimX, blockDimY, blockDimZ;
  unsigned int sharedMemBytes;
  CUstream hStream;
  CUlaunchAttribute *attrs;
  unsigned int numAttrs;
};

// Tensor maps (cuTensorMapEncodeTiled, CUDA 12.0+): 128 opaque bytes, and the
// enum values photon_tensor_map_2d passes.
using cuuint32_t = unsigned int;
using cuuint64_t = unsigned long long;
constexpr size_t kTensorMapBytes = 128;
using CUtensorMapDataType = int;
constexpr CUtensorMapDataType CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 = 9;
using CUtensorMapInterleave = int;
constexpr CUtensorMapInterleave CU_TENSOR_MAP_INTERLEAVE_NONE = 0;
using CUtensorMapSwizzle = int;
constexpr CUtensorMapSwizzle CU_TENSOR_MAP_SWIZZLE_64B = 2;
constexpr CUtensorMapSwizzle CU_TENSOR_MAP_SWIZZLE_128B = 3;
using CUtensorMapL2promotion = int;
constexpr CUtensorMapL2promotion CU_TENSOR_MAP_L2_PROMOTION_L2_256B = 3;
using CUtensorMapFloatOOBfill = int;
constexpr CUtensorMapFloatOOBfill CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE = 0;

// X(name, parameter list): every entry point the runtime uses. `name` is the
// exported symbol (the _v2 suffixes are the ones cuda.h's macros select).
#define PHOTON_CUDA_DRIVER_FUNCTIONS(X)                                        \
  X(cuInit, (unsigned int flags))                                              \
  X(cuDeviceGet, (CUdevice * device, int ordinal))                             \
  X(cuDeviceGetCount, (int *count))                                            \
  X(cuDeviceGetName, (char *name, int len, CUdevice dev))                      \
  X(cuDeviceTotalMem_v2, (size_t * bytes, CUdevice dev))                       \
  X(cuDeviceGetAttribute, (int *pi, CUdevice_attribute attrib, CUdevice dev))  \
  X(cuDevicePrimaryCtxRetain, (CUcontext * pctx, CUdevice dev))                \
  X(cuCtxSetCurrent, (CUcontext ctx))                                          \
  X(cuModuleLoadDataEx, (CUmodule * module, const void *image,                 \
                         unsigned int numOptions, CUjit_option *options,       \
                         void **optionValues))                                 \
  X(cuModuleUnload, (CUmodule hmod))                                           \
  X(cuModuleGetFunction, (CUfunction * hfunc, CUmodule hmod, const char *name)) \
  X(cuFuncSetAttribute, (CUfunction hfunc, CUfunction_attribute attrib, int value)) \
  X(cuLaunchKernelEx, (const CUlaunchConfig *config, CUfunction f,            \
                       void **kernelParams, void **extra))                     \
  X(cuMemAlloc_v2, (CUdeviceptr * dptr, size_t bytesize))                      \
  X(cuMemFree_v2, (CUdeviceptr dptr))                                          \
  X(cuMemAllocHost_v2, (void **pp, size_t bytesize))                           \
  X(cuMemFreeHost, (void *p))                                                  \
  X(cuMemcpyHtoDAsync_v2,                                                      \
    (CUdeviceptr dst, const void *src, size_t bytes, CUstream hStream))        \
  X(cuMemcpyDtoHAsync_v2,                                                      \
    (void *dst, CUdeviceptr src, size_t bytes, CUstream hStream))              \
  X(cuStreamCreate, (CUstream * phStream, unsigned int flags))                 \
  X(cuStreamSynchronize, (CUstream hStream))                                   \
  X(cuStreamWaitEvent, (CUstream hStream, CUevent hEvent, unsigned int flags)) \
  X(cuEventCreate, (CUevent * phEvent, unsigned int flags))                    \
  X(cuEventRecord, (CUevent hEvent, CUstream hStream))                         \
  X(cuEventSynchronize, (CUevent hEvent))                                      \
  X(cuStreamBeginCapture_v2, (CUstream hStream, CUstreamCaptureMode mode))     \
  X(cuStreamEndCapture, (CUstream hStream, CUgraph * phGraph))                 \
  X(cuGraphInstantiateWithFlags, (CUgraphExec * phGraphExec, CUgraph hGraph,   \
                                  unsigned long long flags))                   \
  X(cuGraphLaunch, (CUgraphExec hGraphExec, CUstream hStream))                 \
  X(cuGraphExecDestroy, (CUgraphExec hGraphExec))                              \
  X(cuGraphDestroy, (CUgraph hGraph))                                          \
  X(cuMemGetInfo_v2, (size_t * free, size_t * total))                          \
  X(cuProfilerStart, ())                                                       \
  X(cuProfilerStop, ())                                                        \
  X(cuGetErrorName, (CUresult error, const char **pStr))                       \
  X(cuGetErrorString, (CUresult error, const char **pStr))

// Entry points only some artifacts need, null where the driver lacks them
// (the caller says what needs it).
#define PHOTON_CUDA_OPTIONAL_DRIVER_FUNCTIONS(X)                               \
  X(cuTensorMapEncodeTiled,                                                    \
    (void *tensorMap, CUtensorMapDataType dataType, cuuint32_t rank,           \
     void *globalAddress, const cuuint64_t *globalDim,                         \
     const cuuint64_t *globalStrides, const cuuint32_t *boxDim,                \
     const cuuint32_t *elementStrides, CUtensorMapInterleave interleave,       \
     CUtensorMapSwizzle swizzle, CUtensorMapL2promotion l2Promotion,           \
     CUtensorMapFloatOOBfill oobFill))

/// A table of driver entry points: drv->cuMemAlloc_v2(&ptr, bytes).
struct CudaDriver {
#define PHOTON_CUDA_DECLARE(name, params) CUresult(*name) params = nullptr;
  PHOTON_CUDA_DRIVER_FUNCTIONS(PHOTON_CUDA_DECLARE)
  PHOTON_CUDA_OPTIONAL_DRIVER_FUNCTIONS(PHOTON_CUDA_DECLARE)
#undef PHOTON_CUDA_DECLARE

  /// The process-wide driver, loaded and initialized (cuInit, at least one
  /// device) on the first call; later calls return the same pointer or the
  /// same error. Thread-safe.
  static Expected<const CudaDriver *> get();

  /// Loads the library at `library` (a name for the dynamic loader or a path)
  /// and resolves every entry point (the optional ones where present),
  /// without cuInit. The library is never unloaded. get() uses this for
  /// "libcuda.so.1", then "libcuda.so".
  static Expected<CudaDriver> load(const char *library);

  /// Loads `library` like load(), then calls cuInit(0) and checks that there
  /// is at least one device. get() is this, cached, for the default names.
  static Expected<CudaDriver> loadAndInit(const char *library);

  /// Success for CUDA_SUCCESS, else an error
  /// "<what>: CUDA_ERROR_OUT_OF_MEMORY: out of memory". Works with entries
  /// missing or failing (then the name is "CUDA error <n>").
  Status check(CUresult result, const char *what) const;

  /// cuModuleLoadDataEx on a PTX (NUL-terminated text) or cubin image in the
  /// current context. On failure the error includes the JIT's error log. When
  /// `infoLog` is non-null the JIT runs verbose and its info log lands there.
  Expected<CUmodule> loadModule(const std::string &image,
                                std::string *infoLog = nullptr) const;

  /// cuTensorMapEncodeTiled into `map` (kTensorMapBytes, 64-byte aligned):
  /// the bf16 [rows x cols] row-major matrix at `base`, boxes of boxRows x
  /// boxCols, swizzled as wide as a box row (64 or 128 bytes), zeros past
  /// the matrix. An error where the driver lacks the entry point.
  Status encodeTensorMap2d(void *map, void *base, int64_t rows, int64_t cols, int32_t boxRows,
                           int32_t boxCols) const;
  /// The same over two bf16 [rows x cols] matrices, the second `second`
  /// elements past the first (a positive multiple of 8), as groups of
  /// groupRows rows: a box of `groups` groups is, group by group, groupRows
  /// rows of the first matrix then the same rows of the second (gate/up's
  /// tiles, 16 gate features then 16 up). rows is a multiple of groupRows.
  Status encodeTensorMapPairs(void *map, void *base, int64_t rows, int64_t cols, int64_t second,
                              int32_t groupRows, int32_t groups, int32_t boxCols) const;
  /// cuTensorMapEncodeTiled of a bf16 tensor of `rank` dimensions, innermost
  /// first (`what` names it in errors): the two above.
  Status encodeTensorMap(void *map, const char *what, void *base, uint32_t rank,
                         const cuuint64_t *dims, const cuuint64_t *strides, const cuuint32_t *box) const;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_CUDADRIVER_H
