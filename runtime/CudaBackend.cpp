//===- CudaBackend.cpp - Device memory and the mgpu* ABI on libcuda -------===//

#include "runtime/CudaBackend.h"
#include "runtime/CudaDriver.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace photon::rt {
namespace {

/// Process-wide CUDA state: the generated code calls mgpu* with no handle.
struct CudaState {
  const CudaDriver *drv = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
  // [0] serves every launch but those the generated code moves to another
  // stream it forks from [0] (photon_use_stream). `forked`: joined into the
  // capture since the last photon_join_streams.
  static constexpr int kStreams = 2;
  CUstream streams[kStreams] = {};
  CUevent events[kStreams] = {};
  bool forked[kStreams] = {};
  // Backend::setMark / waitForMark, on stream [0].
  CUevent marks[Backend::kMarks] = {};
  int current = 0; // the stream launches go to
  CUstream stream() const { return streams[0]; }
  Status initStatus;
  Status launchError; // sticky until takeCudaLaunchError()
  uint64_t launches = 0;
  // Kernels may start while the previous one finishes: the loaded library's
  // kernels wait for the previous grid themselves (Backend::setProgrammaticLaunch).
  bool programmaticLaunch = false;
  // Kernels whose dynamic shared memory limit was raised past the default 48 KB.
  std::unordered_map<void *, int32_t> sharedMemoryLimit;
  // Kernels allowed clusters of more than 8 blocks.
  std::unordered_set<void *> nonPortableClusters;
  // skipCudaKernels: the pattern, and the functions it matched.
  std::optional<std::regex> skipPattern;
  std::unordered_set<void *> skipped;
  // Tensor maps (photon_tensor_map_2d): kTensorMaps slots in device memory
  // and their pinned host copies, allocated with the first backend (a first
  // request may come inside a graph capture, which allows no allocation) and
  // freed with the last, and the slot of each map made so far.
  static constexpr size_t kTensorMaps = 1024;
  int backends = 0;
  CUdeviceptr tensorMapSlots = 0;
  void *tensorMapHostSlots = nullptr;
  // Keyed by (base, rows, cols, box rows, box cols, the second matrix's
  // offset and the groups of photon_tensor_map_pairs; 0 for the 2D maps).
  std::map<std::tuple<uintptr_t, int64_t, int64_t, int32_t, int32_t, int64_t, int32_t>, CUdeviceptr>
      tensorMaps;
  std::mutex mutex;
};

CudaState &state() {
  static CudaState s;
  return s;
}

Status initialise() {
  static std::once_flag once;
  CudaState &s = state();
  std::call_once(once, [&] {
    Expected<const CudaDriver *> drv = CudaDriver::get();
    if (!drv) {
      s.initStatus = drv.takeStatus();
      return;
    }
    s.drv = *drv;
    Status st = s.drv->check(s.drv->cuDeviceGet(&s.device, 0), "cuDeviceGet(0)");
    if (st.ok())
      st = s.drv->check(s.drv->cuDevicePrimaryCtxRetain(&s.context, s.device),
                        "cuDevicePrimaryCtxRetain");
    if (st.ok())
      st = s.drv->check(s.drv->cuCtxSetCurrent(s.context), "cuCtxSetCurrent");
    for (int i = 0; i < CudaState::kStreams && st.ok(); ++i) {
      st = s.drv->check(s.drv->cuStreamCreate(&s.streams[i], CU_STREAM_NON_BLOCKING),
                        "cuStreamCreate");
      if (st.ok())
        st = s.drv->check(s.drv->cuEventCreate(&s.events[i], CU_EVENT_DISABLE_TIMING),
                          "cuEventCreate");
    }
    for (int i = 0; i < Backend::kMarks && st.ok(); ++i)
      st = s.drv->check(s.drv->cuEventCreate(&s.marks[i], CU_EVENT_DISABLE_TIMING),
                        "cuEventCreate");
    s.initStatus = st;
  });
  return s.initStatus;
}

void recordLaunchError(Status status) {
  CudaState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.launchError.ok())
    s.launchError = std::move(status);
}

void releaseTensorMaps(CudaState &s) {
  if (s.tensorMapSlots)
    s.drv->cuMemFree_v2(s.tensorMapSlots);
  if (s.tensorMapHostSlots)
    s.drv->cuMemFreeHost(s.tensorMapHostSlots);
  s.tensorMapSlots = 0;
  s.tensorMapHostSlots = nullptr;
  s.tensorMaps.clear();
}

CUdeviceptr dptr(const void *p) { return reinterpret_cast<CUdeviceptr>(p); }

class CudaBackend final : public Backend {
public:
  const char *name() const override { return "cuda"; }

  Expected<void *> allocate(size_t bytes) override {
    const CudaDriver &d = *state().drv;
    CUdeviceptr p = 0;
    CUresult r = d.cuMemAlloc_v2(&p, bytes == 0 ? 1 : bytes);
    if (r != CUDA_SUCCESS) {
      size_t freeBytes = 0, total = 0;
      d.cuMemGetInfo_v2(&freeBytes, &total);
      char what[160];
      std::snprintf(what, sizeof(what),
                    "cuMemAlloc(%zu bytes; %.2f of %.2f GiB free)", bytes,
                    freeBytes / double(1ull << 30), total / double(1ull << 30));
      return d.check(r, what);
    }
    noteAllocated(bytes);
    return reinterpret_cast<void *>(p);
  }

  void release(void *ptr, size_t bytes) override {
    if (ptr)
      state().drv->cuMemFree_v2(dptr(ptr));
    noteReleased(bytes);
  }

  ~CudaBackend() override {
    CudaState &s = state();
    if (staging_)
      s.drv->cuMemFreeHost(staging_);
    if (--s.backends == 0)
      releaseTensorMaps(s);
  }

  Status copyToDevice(void *dst, const void *src, size_t bytes) override {
    const CudaDriver &d = *state().drv;
    // Small uploads (positions, slots, ids) go through a pinned staging ring
    // without waiting, so the host keeps queueing launches; the ring is
    // reused only after a synchronize, since the stream is in order.
    if (bytes <= kStagingBytes) {
      if (!staging_)
        PHOTON_RETURN_IF_ERROR(d.check(d.cuMemAllocHost_v2(&staging_, kStagingBytes),
                                       "cuMemAllocHost"));
      if (stagingUsed_ + bytes > kStagingBytes)
        PHOTON_RETURN_IF_ERROR(synchronize());
      char *slot = static_cast<char *>(staging_) + stagingUsed_;
      std::memcpy(slot, src, bytes);
      stagingUsed_ += (bytes + 255) & ~size_t(255);
      return d.check(d.cuMemcpyHtoDAsync_v2(dptr(dst), slot, bytes, state().stream()),
                     "cuMemcpyHtoD");
    }
    // The caller's (pageable) buffer may die right after: finish first.
    PHOTON_RETURN_IF_ERROR(d.check(
        d.cuMemcpyHtoDAsync_v2(dptr(dst), src, bytes, state().stream()),
        "cuMemcpyHtoD"));
    return synchronize();
  }

  Status copyToHost(void *dst, const void *src, size_t bytes) override {
    const CudaDriver &d = *state().drv;
    PHOTON_RETURN_IF_ERROR(d.check(
        d.cuMemcpyDtoHAsync_v2(dst, dptr(src), bytes, state().stream()),
        "cuMemcpyDtoH"));
    return synchronize();
  }

  Expected<void *> allocateHost(size_t bytes) override {
    const CudaDriver &d = *state().drv;
    void *p = nullptr;
    const std::string what = "cuMemAllocHost(" + std::to_string(bytes) + " bytes)";
    PHOTON_RETURN_IF_ERROR(d.check(d.cuMemAllocHost_v2(&p, bytes ? bytes : 1), what.c_str()));
    return p;
  }

  void releaseHost(void *ptr) override { state().drv->cuMemFreeHost(ptr); }

  Status copyToHostQueued(void *dst, const void *src, size_t bytes) override {
    const CudaDriver &d = *state().drv;
    return d.check(d.cuMemcpyDtoHAsync_v2(dst, dptr(src), bytes, state().stream()),
                   "cuMemcpyDtoH");
  }

  Status setMark(int slot) override {
    const CudaDriver &d = *state().drv;
    return d.check(d.cuEventRecord(state().marks[slot], state().stream()), "cuEventRecord");
  }

  Status waitForMark(int slot) override {
    const CudaDriver &d = *state().drv;
    PHOTON_RETURN_IF_ERROR(
        d.check(d.cuEventSynchronize(state().marks[slot]), "cuEventSynchronize"));
    return takeCudaLaunchError();
  }

  Status synchronize() override {
    const CudaDriver &d = *state().drv;
    PHOTON_RETURN_IF_ERROR(
        d.check(d.cuStreamSynchronize(state().stream()), "cuStreamSynchronize"));
    stagingUsed_ = 0; // every staged upload has completed
    return takeCudaLaunchError();
  }

  Status setProfiling(bool on) override {
    const CudaDriver &d = *state().drv;
    return on ? d.check(d.cuProfilerStart(), "cuProfilerStart")
              : d.check(d.cuProfilerStop(), "cuProfilerStop");
  }

  bool supportsGraphs() const override { return true; }
  void setProgrammaticLaunch(bool on) override { state().programmaticLaunch = on; }
  uint64_t launchCount() const override { return state().launches; }

  Expected<void *> captureGraph(const std::function<void()> &work) override {
    const CudaDriver &d = *state().drv;
    CUstream stream = state().stream();
    PHOTON_RETURN_IF_ERROR(d.check(
        d.cuStreamBeginCapture_v2(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
        "cuStreamBeginCapture"));
    work();
    CUgraph graph = nullptr;
    Status st = d.check(d.cuStreamEndCapture(stream, &graph), "cuStreamEndCapture");
    // A launch that failed while recording invalidates the graph.
    if (st.ok())
      st = takeCudaLaunchError();
    CUgraphExec exec = nullptr;
    if (st.ok())
      st = d.check(d.cuGraphInstantiateWithFlags(&exec, graph, 0), "cuGraphInstantiate");
    if (graph)
      d.cuGraphDestroy(graph);
    if (!st.ok())
      return st.withContext("capturing a CUDA graph");
    return static_cast<void *>(exec);
  }

  Status launchGraph(void *graph) override {
    const CudaDriver &d = *state().drv;
    return d.check(d.cuGraphLaunch(static_cast<CUgraphExec>(graph), state().stream()),
                   "cuGraphLaunch");
  }

  void destroyGraph(void *graph) override {
    if (graph)
      state().drv->cuGraphExecDestroy(static_cast<CUgraphExec>(graph));
  }

private:
  static constexpr size_t kStagingBytes = size_t(4) << 20;
  void *staging_ = nullptr;
  size_t stagingUsed_ = 0;
};

} // namespace

Expected<std::unique_ptr<Backend>> createCudaBackend() {
  PHOTON_RETURN_IF_ERROR(initialise());
  CudaState &s = state();
  if (s.backends == 0) {
    const size_t bytes = CudaState::kTensorMaps * kTensorMapBytes;
    Status st = s.drv->check(s.drv->cuMemAlloc_v2(&s.tensorMapSlots, bytes),
                             "cuMemAlloc(tensor maps)");
    if (st.ok())
      st = s.drv->check(s.drv->cuMemAllocHost_v2(&s.tensorMapHostSlots, bytes),
                        "cuMemAllocHost(tensor maps)");
    if (!st.ok()) {
      releaseTensorMaps(s);
      return st;
    }
  }
  ++s.backends;
  return std::unique_ptr<Backend>(new CudaBackend());
}

Expected<std::string> cudaDeviceDescription() {
  PHOTON_RETURN_IF_ERROR(initialise());
  const CudaState &s = state();
  char name[256] = {0};
  int major = 0, minor = 0, sms = 0;
  size_t total = 0;
  s.drv->cuDeviceGetName(name, sizeof(name) - 1, s.device);
  s.drv->cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, s.device);
  s.drv->cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, s.device);
  s.drv->cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, s.device);
  s.drv->cuDeviceTotalMem_v2(&total, s.device);
  char buf[400];
  std::snprintf(buf, sizeof(buf), "%s (sm_%d%d, %d SMs, %.1f GiB)", name, major,
                minor, sms, total / double(1ull << 30));
  return std::string(buf);
}

Status skipCudaKernels(const std::string &pattern) {
  try {
    state().skipPattern.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error &e) {
    return Status::error("'" + pattern + "' is not a valid regular expression: " + e.what());
  }
  return Status();
}

Status takeCudaLaunchError() {
  CudaState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return std::exchange(s.launchError, Status());
}

} // namespace photon::rt

//===----------------------------------------------------------------------===//
// The mgpu* ABI (declarations emitted by MLIR 22.1.8; test/Target/nvptx.mlir
// pins them). Errors cannot be returned to the generated code: the first is
// kept and reported by the backend's next synchronize().
//===----------------------------------------------------------------------===//

using namespace photon::rt;

#define PHOTON_MGPU extern "C" __attribute__((visibility("default")))

static void *loadModule(const void *image, size_t size, const char *what) {
  if (Status st = initialise(); !st.ok()) {
    recordLaunchError(st.withContext(what));
    return nullptr;
  }
  std::string bytes(static_cast<const char *>(image), size);
  Expected<CUmodule> module = state().drv->loadModule(bytes);
  if (!module) {
    recordLaunchError(module.status().withContext(what));
    return nullptr;
  }
  return *module;
}

PHOTON_MGPU void *mgpuModuleLoad(void *data, int64_t size) {
  return loadModule(data, size_t(size), "loading a kernel image");
}

PHOTON_MGPU void *mgpuModuleLoadJIT(void *ptx, int /*optLevel*/) {
  // PTX is NUL-terminated text; the driver JIT-compiles it for this GPU.
  const char *text = static_cast<const char *>(ptx);
  return loadModule(text, std::char_traits<char>::length(text) + 1,
                    "JIT-compiling PTX");
}

PHOTON_MGPU void mgpuModuleUnload(void *module) {
  // Runs from global destructors, possibly after the driver shut down
  // (CUDA_ERROR_DEINITIALIZED): nothing to report then.
  if (module && state().drv)
    state().drv->cuModuleUnload(static_cast<CUmodule>(module));
  // A later module's kernels may reuse the unloaded ones' handles.
  state().sharedMemoryLimit.clear();
}

PHOTON_MGPU void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module)
    return nullptr;
  CUfunction fn = nullptr;
  const CudaDriver &d = *state().drv;
  Status st = d.check(d.cuModuleGetFunction(&fn, static_cast<CUmodule>(module), name),
                      "cuModuleGetFunction");
  if (!st.ok())
    recordLaunchError(st.withContext(name));
  else if (state().skipPattern && std::regex_search(name, *state().skipPattern))
    state().skipped.insert(fn);
  return fn;
}

/// cuFuncSetAttribute; false after recording its failure.
static bool setFunctionAttribute(void *function, CUfunction_attribute attribute, int value,
                                 const char *what) {
  const CudaDriver &d = *state().drv;
  Status st = d.check(d.cuFuncSetAttribute(static_cast<CUfunction>(function), attribute, value), what);
  if (!st.ok())
    recordLaunchError(st);
  return st.ok();
}

/// Both mgpu launch entry points: in clusters of `cluster` blocks where given,
/// with programmatic serialization where the library allows it.
static void launch(void *function, const intptr_t grid[3], const intptr_t block[3],
                   const intptr_t cluster[3], int32_t smem, void *stream, void **params,
                   void **extra) {
  if (!function)
    return; // its module failed to load: already recorded
  CudaState &s = state();
  if (s.skipped.count(function))
    return;
  ++s.launches;
  const CudaDriver &d = *s.drv;
  // Static and dynamic shared memory together past 48 KB need an opt-in per
  // kernel, and a kernel's static part is not known here: every kernel that
  // launches with dynamic shared memory (the sm_90a GEMMs' stages) opts in to
  // that much, once.
  if (smem > 0) {
    int32_t &limit = s.sharedMemoryLimit[function];
    if (limit < smem) {
      if (!setFunctionAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem,
                                "cuFuncSetAttribute(max dynamic shared memory)"))
        return;
      limit = smem;
    }
  }
  // Clusters of more than 8 blocks (split attention's, on sm_90) need an
  // opt-in per kernel.
  const intptr_t clusterBlocks = cluster ? cluster[0] * cluster[1] * cluster[2] : 1;
  if (clusterBlocks > 8 && !s.nonPortableClusters.count(function)) {
    if (!setFunctionAttribute(function, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1,
                              "cuFuncSetAttribute(non-portable cluster size)"))
      return;
    s.nonPortableClusters.insert(function);
  }
  CUlaunchAttribute attrs[2]{};
  unsigned numAttrs = 0;
  if (s.programmaticLaunch) {
    attrs[numAttrs].id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attrs[numAttrs++].value.programmaticStreamSerializationAllowed = 1;
  }
  if (cluster) {
    attrs[numAttrs].id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    attrs[numAttrs++].value.clusterDim = {unsigned(cluster[0]), unsigned(cluster[1]),
                                          unsigned(cluster[2])};
  }
  CUlaunchConfig config{unsigned(grid[0]),  unsigned(grid[1]),  unsigned(grid[2]),
                        unsigned(block[0]), unsigned(block[1]), unsigned(block[2]),
                        unsigned(smem),     static_cast<CUstream>(stream),
                        attrs,              numAttrs};
  Status st = d.check(
      d.cuLaunchKernelEx(&config, static_cast<CUfunction>(function), params, extra),
      "cuLaunchKernelEx");
  // A GPU whose processor clusters cannot hold the cluster (a MIG slice)
  // needs an artifact compiled for smaller ones.
  if (!st.ok() && clusterBlocks > 1)
    st = st.withContext("a cluster of " + std::to_string(clusterBlocks) +
                        " blocks (compile with --split-attention-cluster-blocks=8, or 0 for "
                        "none, for a GPU that cannot run it)");
  if (!st.ok())
    recordLaunchError(st);
}

PHOTON_MGPU void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                  intptr_t gridZ, intptr_t blockX,
                                  intptr_t blockY, intptr_t blockZ,
                                  int32_t smem, void *stream, void **params,
                                  void **extra, size_t /*paramsCount*/) {
  const intptr_t grid[3] = {gridX, gridY, gridZ}, block[3] = {blockX, blockY, blockZ};
  launch(function, grid, block, /*cluster=*/nullptr, smem, stream, params, extra);
}

// MLIR 22's gpu-to-llvm declares it without mgpuLaunchKernel's trailing
// parameter count.
PHOTON_MGPU void mgpuLaunchClusterKernel(void *function, intptr_t clusterX, intptr_t clusterY,
                                         intptr_t clusterZ, intptr_t gridX, intptr_t gridY,
                                         intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                                         intptr_t blockZ, int32_t smem, void *stream,
                                         void **params, void **extra) {
  const intptr_t grid[3] = {gridX, gridY, gridZ}, block[3] = {blockX, blockY, blockZ},
                 cluster[3] = {clusterX, clusterY, clusterZ};
  launch(function, grid, block, cluster, smem, stream, params, extra);
}

// Launches go to the stream photon_use_stream chose, in order: per-launch
// streams and synchronisation (what the generated code asks for) are not
// needed.
PHOTON_MGPU void *mgpuStreamCreate() { return state().streams[state().current]; }
PHOTON_MGPU void mgpuStreamSynchronize(void *) {}
PHOTON_MGPU void mgpuStreamDestroy(void *) {}

/// `from` records its event; `to` waits for it (both in a graph capture).
static bool streamWaits(CudaState &s, int to, int from) {
  const CudaDriver &d = *s.drv;
  Status st = d.check(d.cuEventRecord(s.events[from], s.streams[from]), "cuEventRecord");
  if (st.ok())
    st = d.check(d.cuStreamWaitEvent(s.streams[to], s.events[from], 0), "cuStreamWaitEvent");
  if (!st.ok())
    recordLaunchError(st);
  return st.ok();
}

// The generated step's concurrency (lowering/ProgramToHost.cpp): launches
// after photon_use_stream(id) go to stream id; the first use of a stream
// other than 0 since the last join forks it from stream 0 (it starts after
// the work already there). photon_join_streams makes stream 0 wait for the
// others and take the next launches, so a graph capture of stream 0 ends
// joined.
PHOTON_MGPU void photon_use_stream(int32_t id) {
  CudaState &s = state();
  if (id < 0 || id >= CudaState::kStreams) {
    recordLaunchError(Status::error("photon_use_stream: no stream " + std::to_string(id) +
                                    " (the runtime has " +
                                    std::to_string(CudaState::kStreams) + ")"));
    return;
  }
  if (id != 0 && !s.forked[id]) {
    if (!streamWaits(s, id, 0))
      return;
    s.forked[id] = true;
  }
  s.current = id;
}

// Tensor maps for the kernels compiled with wgmma-tma: the generated code
// asks before each launch that reads one (lowering/kernels/TensorCoreGemm.cpp).
// The first request of a map encodes it into a pinned slot and copies that to
// the device slot on the launch's stream (in a graph capture the copy becomes
// a node, which each replay repeats with the same bytes); later requests
// return the device slot. Errors are recorded and return null.
template <typename Encode>
static void *tensorMap(const char *name, uintptr_t base, int64_t rows, int64_t cols,
                       int32_t boxRows, int32_t boxCols, int64_t second, int32_t groups,
                       Encode encode) {
  CudaState &s = state();
  const auto key = std::make_tuple(base, rows, cols, boxRows, boxCols, second, groups);
  if (auto it = s.tensorMaps.find(key); it != s.tensorMaps.end())
    return reinterpret_cast<void *>(it->second);
  const size_t slot = s.tensorMaps.size();
  if (!s.tensorMapSlots) {
    recordLaunchError(Status::error(std::string(name) + ": no CUDA backend"));
    return nullptr;
  }
  if (slot == CudaState::kTensorMaps) {
    recordLaunchError(Status::error(std::string(name) + ": more than " +
                                    std::to_string(CudaState::kTensorMaps) + " tensor maps"));
    return nullptr;
  }
  const CudaDriver &d = *s.drv;
  void *host = static_cast<char *>(s.tensorMapHostSlots) + slot * kTensorMapBytes;
  const CUdeviceptr device = s.tensorMapSlots + slot * kTensorMapBytes;
  Status st = encode(d, host);
  if (st.ok())
    st = d.check(d.cuMemcpyHtoDAsync_v2(device, host, kTensorMapBytes, s.streams[s.current]),
                 "cuMemcpyHtoDAsync(tensor map)");
  if (!st.ok()) {
    recordLaunchError(st);
    return nullptr;
  }
  s.tensorMaps.emplace(key, device);
  return reinterpret_cast<void *>(device);
}

PHOTON_MGPU void *photon_tensor_map_2d(void *base, int64_t rows, int64_t cols, int32_t boxRows,
                                       int32_t boxCols) {
  return tensorMap("photon_tensor_map_2d", reinterpret_cast<uintptr_t>(base), rows, cols, boxRows,
                   boxCols, 0, 0, [&](const CudaDriver &d, void *map) {
                     return d.encodeTensorMap2d(map, base, rows, cols, boxRows, boxCols);
                   });
}

// gate/up's weights (CudaDriver::encodeTensorMapPairs): boxes of `groups`
// groups of groupRows rows of the matrix at `base`, then of the one `second`
// elements on.
PHOTON_MGPU void *photon_tensor_map_pairs(void *base, int64_t rows, int64_t cols, int64_t second,
                                          int32_t groupRows, int32_t groups, int32_t boxCols) {
  return tensorMap("photon_tensor_map_pairs", reinterpret_cast<uintptr_t>(base), rows, cols,
                   groupRows, boxCols, second, groups, [&](const CudaDriver &d, void *map) {
                     return d.encodeTensorMapPairs(map, base, rows, cols, second, groupRows,
                                                   groups, boxCols);
                   });
}

PHOTON_MGPU void photon_join_streams() {
  CudaState &s = state();
  for (int i = 1; i < CudaState::kStreams; ++i)
    if (s.forked[i]) {
      streamWaits(s, 0, i);
      s.forked[i] = false;
    }
  s.current = 0;
}
