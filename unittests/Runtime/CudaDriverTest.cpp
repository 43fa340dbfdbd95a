//===- CudaDriverTest.cpp - Tests of the dlopen'ed CUDA driver table ------===//

#include "runtime/CudaBackend.h"
#include "runtime/CudaDriver.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

using namespace photon::rt;

// The runtime's entries for the generated code's TMA loads (CudaBackend.cpp).
extern "C" void *photon_tensor_map_pairs(void *base, int64_t rows, int64_t cols, int64_t second,
                                        int32_t groupRows, int32_t groups, int32_t boxCols);
extern "C" void *photon_tensor_map_2d(void *base, int64_t rows, int64_t cols, int32_t boxRows,
                                      int32_t boxCols);

namespace {

bool startsWith(const std::string &s, const std::string &p) { return s.rfind(p, 0) == 0; }

// Must run before anything loads the stub library: the stub's soname is
// libcuda.so.1, so once it is loaded dlopen("libcuda.so.1") would find it.
// get() caches its first answer, so the other tests cannot disturb it.
TEST(CudaDriver, GetFailsCleanlyOrFindsADevice) {
  Expected<const CudaDriver *> drv = CudaDriver::get();
  if (drv.ok()) { // a machine with a GPU
    const CudaDriver *d = *drv;
    ASSERT_NE(d->cuDeviceGetCount, nullptr);
    int count = 0;
    ASSERT_TRUE(d->check(d->cuDeviceGetCount(&count), "cuDeviceGetCount").ok());
    EXPECT_GT(count, 0);
    EXPECT_EQ(*CudaDriver::get(), d); // loaded once
    return;
  }
  const std::string &msg = drv.status().message();
  EXPECT_TRUE(startsWith(msg, "no NVIDIA driver found: dlopen(libcuda.so.1) failed: ") ||
              startsWith(msg, "NVIDIA driver libcuda.so"))
      << msg;
  // The answer is cached.
  EXPECT_EQ(CudaDriver::get().status().message(), msg);
}

// cuLaunchKernelEx reads these structs: their layout is cuda.h's (CUDA 13.0,
// x86-64 and aarch64).
TEST(CudaDriver, LaunchConfigLayoutIsTheDriverAbi) {
  EXPECT_EQ(sizeof(CUlaunchAttribute), 72u);
  EXPECT_EQ(offsetof(CUlaunchAttribute, value), 8u);
  EXPECT_EQ(sizeof(CUlaunchConfig), 56u);
  EXPECT_EQ(offsetof(CUlaunchConfig, sharedMemBytes), 24u);
  EXPECT_EQ(offsetof(CUlaunchConfig, hStream), 32u);
  EXPECT_EQ(offsetof(CUlaunchConfig, attrs), 40u);
  EXPECT_EQ(offsetof(CUlaunchConfig, numAttrs), 48u);
  // The cluster dimension: three unsigned ints at the start of the value.
  CUlaunchAttribute cluster{};
  cluster.value.clusterDim = {16, 1, 1};
  unsigned dims[3];
  std::memcpy(dims, reinterpret_cast<const char *>(&cluster) + 8, sizeof dims);
  EXPECT_EQ(dims[0], 16u);
  EXPECT_EQ(dims[1], 1u);
  EXPECT_EQ(dims[2], 1u);
}

TEST(CudaDriver, LoadReportsAMissingLibrary) {
  Expected<CudaDriver> drv = CudaDriver::load("libphoton-no-such-lib.so.7");
  ASSERT_FALSE(drv.ok());
  EXPECT_TRUE(startsWith(drv.status().message(),
                         "dlopen(libphoton-no-such-lib.so.7) failed: libphoton-no-such-lib.so.7: "
                         "cannot open shared object file"))
      << drv.status().message();
}

TEST(CudaDriver, StubLibraryFailsInCuInit) {
  ASSERT_TRUE(CudaDriver::get().ok() || !CudaDriver::get().ok()); // cache get() first
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (::access(stub, R_OK) != 0)
    GTEST_SKIP() << "no CUDA stub library at " << stub;
  Expected<CudaDriver> drv = CudaDriver::load(stub);
  ASSERT_TRUE(drv.ok()) << drv.status().message(); // every entry point resolves
  EXPECT_NE(drv->cuLaunchKernelEx, nullptr);
  EXPECT_NE(drv->cuMemAlloc_v2, nullptr);
  EXPECT_NE(drv->cuTensorMapEncodeTiled, nullptr); // optional, but CUDA 13 has it
  Expected<CudaDriver> init = CudaDriver::loadAndInit(stub);
  ASSERT_FALSE(init.ok());
  EXPECT_TRUE(startsWith(init.status().message(),
                         std::string("NVIDIA driver ") + stub +
                             " unusable: cuInit(0): CUDA_ERROR_STUB_LIBRARY"))
      << init.status().message();
}

// Fake entry points, so that check() and loadModule() can be tested anywhere.
CUresult fakeErrorName(CUresult e, const char **s) {
  if (e != 2)
    return 1;
  *s = "CUDA_ERROR_OUT_OF_MEMORY";
  return 0;
}
CUresult fakeErrorString(CUresult e, const char **s) {
  if (e != 2)
    return 1;
  *s = "out of memory";
  return 0;
}

std::vector<CUjit_option> gSeenOptions;
CUresult fakeLoad(CUmodule *mod, const void *image, unsigned n, CUjit_option *opts,
                  void **vals) {
  gSeenOptions.assign(opts, opts + n);
  char *errorLog = nullptr, *infoLog = nullptr;
  for (unsigned i = 0; i < n; ++i) {
    if (opts[i] == CU_JIT_ERROR_LOG_BUFFER)
      errorLog = static_cast<char *>(vals[i]);
    if (opts[i] == CU_JIT_INFO_LOG_BUFFER)
      infoLog = static_cast<char *>(vals[i]);
  }
  if (infoLog)
    std::strcpy(infoLog, "ptxas info: 12 registers");
  if (std::strcmp(static_cast<const char *>(image), "good") == 0) {
    *mod = reinterpret_cast<CUmodule>(uintptr_t(0x1000));
    return 0;
  }
  std::strcpy(errorLog, "ptxas fatal: line 3: syntax error");
  return 218; // CUDA_ERROR_INVALID_PTX
}

TEST(CudaDriver, CheckFormatsErrors) {
  CudaDriver fake;
  fake.cuGetErrorName = fakeErrorName;
  fake.cuGetErrorString = fakeErrorString;
  EXPECT_TRUE(fake.check(CUDA_SUCCESS, "cuMemAlloc").ok());
  EXPECT_EQ(fake.check(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc(1048576 bytes)").message(),
            "cuMemAlloc(1048576 bytes): CUDA_ERROR_OUT_OF_MEMORY: out of memory");
  // The library cannot name it: the built-in table or the number.
  EXPECT_EQ(fake.check(CUDA_ERROR_NO_DEVICE, "cuInit(0)").message(),
            "cuInit(0): CUDA_ERROR_NO_DEVICE");
  CudaDriver empty;
  EXPECT_EQ(empty.check(12345, "cuLaunchKernel").message(), "cuLaunchKernel: CUDA error 12345");
  EXPECT_EQ(empty.check(CUDA_ERROR_STUB_LIBRARY, "cuInit(0)").message(),
            "cuInit(0): CUDA_ERROR_STUB_LIBRARY");
}

TEST(CudaDriver, LoadModuleReturnsTheJitLog) {
  CudaDriver fake;
  fake.cuModuleLoadDataEx = fakeLoad;
  Expected<CUmodule> bad = fake.loadModule("bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX\nJIT error log:\n"
            "ptxas fatal: line 3: syntax error");
  EXPECT_EQ(gSeenOptions, (std::vector<CUjit_option>{5, 6}));

  std::string info;
  Expected<CUmodule> good = fake.loadModule("good", &info);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(*good, reinterpret_cast<CUmodule>(uintptr_t(0x1000)));
  EXPECT_EQ(info, "ptxas info: 12 registers");
  EXPECT_EQ(gSeenOptions, (std::vector<CUjit_option>{5, 6, 3, 4, 12}));

  CudaDriver empty;
  EXPECT_EQ(empty.loadModule("x").status().message(),
            "cuModuleLoadDataEx: the CUDA driver is not loaded");
}

// What encodeTensorMap2d (encodeTensorMapPairs) passed to cuTensorMapEncodeTiled.
struct SeenTensorMap {
  CUtensorMapDataType type = -1;
  cuuint32_t rank = 0;
  void *base = nullptr;
  cuuint64_t dims[4] = {}, strides[3] = {};
  cuuint32_t box[4] = {}, elementStrides[4] = {};
  CUtensorMapInterleave interleave = -1;
  CUtensorMapSwizzle swizzle = -1;
  CUtensorMapL2promotion l2 = -1;
  CUtensorMapFloatOOBfill oob = -1;
} gSeenMap;
CUresult fakeEncode(void *map, CUtensorMapDataType type, cuuint32_t rank, void *base,
                    const cuuint64_t *dims, const cuuint64_t *strides, const cuuint32_t *box,
                    const cuuint32_t *elementStrides, CUtensorMapInterleave interleave,
                    CUtensorMapSwizzle swizzle, CUtensorMapL2promotion l2,
                    CUtensorMapFloatOOBfill oob) {
  gSeenMap = SeenTensorMap{type, rank, base, {}, {}, {}, {}, interleave, swizzle, l2, oob};
  for (cuuint32_t i = 0; i < rank; ++i) {
    gSeenMap.dims[i] = dims[i];
    gSeenMap.box[i] = box[i];
    gSeenMap.elementStrides[i] = elementStrides[i];
    if (i + 1 < rank)
      gSeenMap.strides[i] = strides[i];
  }
  std::memset(map, 0xab, kTensorMapBytes);
  return dims[rank - 1] > (1u << 20) ? 1 : 0; // CUDA_ERROR_INVALID_VALUE past 2^20 rows
}

TEST(CudaDriver, EncodeTensorMap2dDescribesTheMatrixAndBox) {
  CudaDriver fake;
  fake.cuTensorMapEncodeTiled = fakeEncode;
  alignas(64) unsigned char map[kTensorMapBytes] = {};
  void *base = reinterpret_cast<void *>(uintptr_t(0x7f0000001000));
  // down's weights (1664 x 4096), a 208-wide tile, K steps of 32: 64-byte
  // box rows, the 64-byte swizzle; innermost dimension first.
  ASSERT_TRUE(fake.encodeTensorMap2d(map, base, 1664, 4096, 208, 32).ok());
  EXPECT_EQ(gSeenMap.type, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16);
  EXPECT_EQ(gSeenMap.rank, 2u);
  EXPECT_EQ(gSeenMap.base, base);
  EXPECT_EQ(gSeenMap.dims[0], 4096u);
  EXPECT_EQ(gSeenMap.dims[1], 1664u);
  EXPECT_EQ(gSeenMap.strides[0], 8192u);
  EXPECT_EQ(gSeenMap.box[0], 32u);
  EXPECT_EQ(gSeenMap.box[1], 208u);
  EXPECT_EQ(gSeenMap.elementStrides[0], 1u);
  EXPECT_EQ(gSeenMap.elementStrides[1], 1u);
  EXPECT_EQ(gSeenMap.interleave, CU_TENSOR_MAP_INTERLEAVE_NONE);
  EXPECT_EQ(gSeenMap.swizzle, CU_TENSOR_MAP_SWIZZLE_64B);
  EXPECT_EQ(gSeenMap.l2, CU_TENSOR_MAP_L2_PROMOTION_L2_256B);
  EXPECT_EQ(gSeenMap.oob, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  EXPECT_EQ(map[0], 0xab);
  // K steps of 64: 128-byte rows and swizzle.
  ASSERT_TRUE(fake.encodeTensorMap2d(map, base, 32000, 1664, 128, 64).ok());
  EXPECT_EQ(gSeenMap.swizzle, CU_TENSOR_MAP_SWIZZLE_128B);
  EXPECT_EQ(gSeenMap.strides[0], 3328u);
  // No swizzle matches other box rows.
  Status odd = fake.encodeTensorMap2d(map, base, 64, 64, 64, 48);
  EXPECT_EQ(odd.message(), "cuTensorMapEncodeTiled(bf16 [64 x 64] at 0x7f0000001000, box 64 x "
                           "48): box rows must be 64 or 128 bytes");
  // The driver's error, named with the map.
  EXPECT_EQ(fake.encodeTensorMap2d(map, base, 1 << 21, 64, 64, 32).message(),
            "cuTensorMapEncodeTiled(bf16 [2097152 x 64] at 0x7f0000001000, box 64 x 32): "
            "CUDA_ERROR_INVALID_VALUE");
  // A driver without the entry point (before CUDA 12.0) says what needs it.
  CudaDriver old;
  EXPECT_NE(old.encodeTensorMap2d(map, base, 64, 64, 64, 32).message().find(
                "the NVIDIA driver lacks it (CUDA 12.0 or later), which the kernels' TMA "
                "loads need: compile with --no-wgmma-tma"),
            std::string::npos);
}

// gate/up's weights: 16 gate rows then the same 16 up rows, group by group
// (the box's 8 groups: a 256-wide tile), innermost first.
TEST(CudaDriver, EncodeTensorMapPairsInterleavesGroupsOfTheTwoMatrices) {
  CudaDriver fake;
  fake.cuTensorMapEncodeTiled = fakeEncode;
  alignas(64) unsigned char map[kTensorMapBytes] = {};
  void *gate = reinterpret_cast<void *>(uintptr_t(0x7f0000001000));
  // up follows gate (4096 x 1664) in the arena.
  ASSERT_TRUE(fake.encodeTensorMapPairs(map, gate, 4096, 1664, 4096 * 1664, 16, 8, 32).ok());
  using U64 = std::vector<cuuint64_t>;
  using U32 = std::vector<cuuint32_t>;
  EXPECT_EQ(gSeenMap.rank, 4u);
  EXPECT_EQ(gSeenMap.base, gate);
  EXPECT_EQ(U64(gSeenMap.dims, gSeenMap.dims + 4), (U64{1664, 16, 2, 256}));
  EXPECT_EQ(U64(gSeenMap.strides, gSeenMap.strides + 3), (U64{3328, 4096 * 1664 * 2, 16 * 3328}));
  EXPECT_EQ(U32(gSeenMap.box, gSeenMap.box + 4), (U32{32, 16, 2, 8}));
  EXPECT_EQ(U32(gSeenMap.elementStrides, gSeenMap.elementStrides + 4), (U32{1, 1, 1, 1}));
  EXPECT_EQ(gSeenMap.swizzle, CU_TENSOR_MAP_SWIZZLE_64B);
  // Rows that are no whole groups, or a second matrix not after the first,
  // are refused before the driver sees them.
  gSeenMap = {};
  EXPECT_EQ(fake.encodeTensorMapPairs(map, gate, 328, 64, 328 * 64, 16, 8, 32).message(),
            "cuTensorMapEncodeTiled(bf16 2 x [328 x 64] at 0x7f0000001000 and 20992 elements "
            "on, box 8 x (16 + 16) x 32): rows must be groups of the box's rows, the second "
            "matrix a positive multiple of 8 elements on");
  EXPECT_FALSE(fake.encodeTensorMapPairs(map, gate, 64, 64, -4096, 16, 2, 32).ok());
  EXPECT_EQ(gSeenMap.rank, 0u);
}

// The tensor-map slots live with the CUDA backends: a map asked for with
// none (this test makes none) is a launch error, not a write through null.
TEST(CudaDriver, TensorMapWithoutABackendIsALaunchError) {
  alignas(16) static char matrix[64 * 64 * 2];
  EXPECT_EQ(photon_tensor_map_2d(matrix, 64, 64, 64, 32), nullptr);
  EXPECT_NE(takeCudaLaunchError().message().find("photon_tensor_map_2d: no CUDA backend"),
            std::string::npos);
  EXPECT_TRUE(takeCudaLaunchError().ok()); // taken once
  EXPECT_EQ(photon_tensor_map_pairs(matrix, 32, 32, 1024, 16, 2, 32), nullptr);
  EXPECT_NE(takeCudaLaunchError().message().find("photon_tensor_map_pairs: no CUDA backend"),
            std::string::npos);
}

} // namespace
