//===- Backend.h - Where the executor's buffers live -----------*- C++ -*-===//
//
// The executor (runtime/Executor.h) keeps the weight arena, the program's
// state arena and the step's inputs and outputs in "device" memory and touches
// them only through this interface and through the compiled entry points
// (runtime/ProgramABI.h). The CPU backend uses host memory; the CUDA backend
// implements the same calls with the driver API (cuMemAlloc, cuMemcpy*,
// graphs), and its kernels-cuda.so takes device pointers, so the executor runs
// unchanged.
//
// Device pointers are opaque `void *` values: the executor only offsets them
// by byte counts (devOffset) and passes them to kernels and to these calls.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_BACKEND_H
#define PHOTON_RUNTIME_BACKEND_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace photon::rt {

class Backend {
public:
  virtual ~Backend() = default;

  /// "cpu", "cuda".
  virtual const char *name() const = 0;

  /// `bytes` of device memory (uninitialised); bytes == 0 gives a valid,
  /// non-null pointer.
  virtual Expected<void *> allocate(size_t bytes) = 0;
  virtual void release(void *ptr, size_t bytes) = 0;

  virtual Status copyToDevice(void *dst, const void *hostSrc, size_t bytes) = 0;
  virtual Status copyToHost(void *hostDst, const void *src, size_t bytes) = 0;
  /// Waits for every queued kernel and copy (timings call it).
  virtual Status synchronize() = 0;

  /// Read-back without waiting, so that the host can queue the next decode
  /// step while this one runs: host memory the device copies into directly
  /// (pinned on the GPU; plain on the CPU), a copy into it queued behind the
  /// work queued so far, and two marks in the queue to wait for. On the CPU,
  /// which runs work as it is queued, the copy is done when it returns.
  virtual Expected<void *> allocateHost(size_t bytes);
  virtual void releaseHost(void *ptr);
  virtual Status copyToHostQueued(void *hostDst, const void *src, size_t bytes) {
    return copyToHost(hostDst, src, bytes);
  }
  static constexpr int kMarks = 2;
  /// Mark `slot` (< kMarks) is set at the end of the work queued so far;
  /// waitForMark(slot) returns once that work has finished.
  virtual Status setMark(int slot) { return Status(); }
  virtual Status waitForMark(int slot) { return Status(); }

  /// Graphs: the device work that `work` queues, recorded once and replayed
  /// with one launch (CUDA graphs). Backends without them say so.
  virtual bool supportsGraphs() const { return false; }
  /// Whether the next launches may be scheduled while the previous kernel
  /// still runs (programmatic dependent launch): only for libraries whose
  /// kernels wait for the previous grid themselves
  /// (Artifact::programmaticLaunch()); the Generator turns it on for small
  /// decode steps only (kProgrammaticLaunchMaxBatch).
  virtual void setProgrammaticLaunch(bool on) {}
  virtual Expected<void *> captureGraph(const std::function<void()> &work) {
    return Status::error(std::string("the ") + name() + " backend has no graphs");
  }
  virtual Status launchGraph(void *graph) {
    return Status::error(std::string("the ") + name() + " backend has no graphs");
  }
  virtual void destroyGraph(void *graph) {}

  /// Opens (`on`) or closes the range that profilers attached with
  /// "profile from start off" record (cuProfilerStart / cuProfilerStop: ncu
  /// --profile-from-start off, nsys --capture-range=cudaProfilerApi). A no-op
  /// where there is no such profiler.
  virtual Status setProfiling(bool on) { return Status(); }

  /// Kernel launches issued so far (0 where the backend does not launch).
  virtual uint64_t launchCount() const { return 0; }

  /// Bytes currently allocated through this backend, and the peak.
  size_t bytesInUse() const { return inUse_; }
  size_t peakBytes() const { return peak_; }

protected:
  void noteAllocated(size_t bytes) {
    inUse_ += bytes;
    if (inUse_ > peak_)
      peak_ = inUse_;
  }
  void noteReleased(size_t bytes) { inUse_ -= bytes <= inUse_ ? bytes : inUse_; }

private:
  size_t inUse_ = 0, peak_ = 0;
};

/// Byte offset of a device pointer.
inline void *devOffset(void *p, size_t bytes) {
  return static_cast<void *>(static_cast<char *>(p) + bytes);
}
inline const void *devOffset(const void *p, size_t bytes) {
  return static_cast<const void *>(static_cast<const char *>(p) + bytes);
}

/// Host memory; kernels are called directly on it.
std::unique_ptr<Backend> createCpuBackend();

/// The backend called `name` ("cpu" or "cuda"), or an error (no GPU, ...).
Expected<std::unique_ptr<Backend>> createBackend(const std::string &name);

/// An allocation of a backend that frees itself: device memory
/// (allocate/release), or with `Host` host memory the device copies into
/// (allocateHost/releaseHost).
template <bool Host> class BackendBuffer {
public:
  BackendBuffer() = default;
  static Expected<BackendBuffer> create(Backend &backend, size_t bytes) {
    Expected<void *> p = Host ? backend.allocateHost(bytes) : backend.allocate(bytes);
    if (!p)
      return p.takeStatus();
    BackendBuffer b;
    b.backend_ = &backend;
    b.ptr_ = *p;
    b.bytes_ = bytes;
    return b;
  }
  BackendBuffer(BackendBuffer &&o) noexcept { *this = std::move(o); }
  BackendBuffer &operator=(BackendBuffer &&o) noexcept {
    if (this != &o) {
      reset();
      backend_ = std::exchange(o.backend_, nullptr);
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  BackendBuffer(const BackendBuffer &) = delete;
  BackendBuffer &operator=(const BackendBuffer &) = delete;
  ~BackendBuffer() { reset(); }

  void reset() {
    if (backend_ && ptr_) {
      if constexpr (Host)
        backend_->releaseHost(ptr_);
      else
        backend_->release(ptr_, bytes_);
    }
    backend_ = nullptr;
    ptr_ = nullptr;
    bytes_ = 0;
  }

  void *get() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  /// The address `bytes` past the start.
  void *at(size_t bytes) const { return devOffset(ptr_, bytes); }

private:
  Backend *backend_ = nullptr;
  void *ptr_ = nullptr;
  size_t bytes_ = 0;
};

using DeviceBuffer = BackendBuffer<false>;
using HostBuffer = BackendBuffer<true>;

} // namespace photon::rt

#endif // PHOTON_RUNTIME_BACKEND_H
