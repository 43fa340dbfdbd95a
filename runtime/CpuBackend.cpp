//===- CpuBackend.cpp - The host-memory backend ---------------------------===//

#include "runtime/Backend.h"
#include "runtime/CudaBackend.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace photon::rt {

namespace {

class CpuBackend final : public Backend {
public:
  const char *name() const override { return "cpu"; }

  Expected<void *> allocate(size_t bytes) override {
    // 64-byte alignment (cache lines, vector loads); aligned_alloc needs a
    // size that is a multiple of the alignment.
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0)
      rounded = 64;
    void *p = std::aligned_alloc(64, rounded);
    if (!p)
      return Status::error("out of host memory allocating " +
                           std::to_string(bytes) + " bytes");
    noteAllocated(bytes);
    return p;
  }

  void release(void *ptr, size_t bytes) override {
    std::free(ptr);
    noteReleased(bytes);
  }

  Status copyToDevice(void *dst, const void *src, size_t bytes) override {
    if (bytes)
      std::memcpy(dst, src, bytes);
    return Status::success();
  }
  Status copyToHost(void *dst, const void *src, size_t bytes) override {
    if (bytes)
      std::memcpy(dst, src, bytes);
    return Status::success();
  }
  Status synchronize() override { return Status::success(); }
};

} // namespace

Expected<void *> Backend::allocateHost(size_t bytes) {
  void *p = std::malloc(bytes ? bytes : 1);
  if (!p)
    return Status::error("out of host memory allocating " + std::to_string(bytes) + " bytes");
  return p;
}

void Backend::releaseHost(void *ptr) { std::free(ptr); }

std::unique_ptr<Backend> createCpuBackend() { return std::make_unique<CpuBackend>(); }

Expected<std::unique_ptr<Backend>> createBackend(const std::string &name) {
  if (name == "cpu")
    return createCpuBackend();
  if (name == "cuda")
    return createCudaBackend();
  return Status::error("--device: unknown device '" + name +
                       "' (expected cpu or cuda)");
}

} // namespace photon::rt
