//===- CudaBackend.h - The CUDA backend of the executor ---------*- C++ -*-===//
//
// Device memory through the driver API, and the mgpu* functions that
// compiled CUDA kernel libraries call to load their kernels and launch them
// (the ABI MLIR 22.1's gpu.launch_func lowering emits). Everything runs on
// one in-order stream, so kernels, copies and fills are ordered without host
// synchronisation; the backend synchronises before the host reads results.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_CUDABACKEND_H
#define PHOTON_RUNTIME_CUDABACKEND_H

#include "runtime/Backend.h"

#include <memory>
#include <string>

namespace photon::rt {

/// Initialises the driver and the primary context of device 0 (once), then
/// returns a backend on it. Must precede loading a CUDA kernel library, whose
/// constructors load their modules into this context.
Expected<std::unique_ptr<Backend>> createCudaBackend();

/// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)", or an error.
Expected<std::string> cudaDeviceDescription();

/// Diagnostic: kernels whose names contain a match of `pattern` (ECMAScript
/// regex) are never launched, so that timing a step without them tells what
/// they cost inside it (Nsight Compute times kernels one at a time). What the
/// step computes is then meaningless. Call before loading a kernel library;
/// an error for a bad pattern.
Status skipCudaKernels(const std::string &pattern);

/// The first error a kernel load or launch hit since the last call (the
/// generated code cannot return errors), or success. Clears it.
Status takeCudaLaunchError();

} // namespace photon::rt

#endif // PHOTON_RUNTIME_CUDABACKEND_H
