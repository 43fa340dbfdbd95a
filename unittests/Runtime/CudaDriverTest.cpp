//===- CudaDriverTest.cpp - Tests of the dlopen'ed CUDA driver table ------===//

#include "runtime/CudaDriver.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>

#include <unistd.h>

using namespace photon::rt;

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

} // namespace
