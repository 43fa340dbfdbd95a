//===- KernelABI.h - The calling convention of compiled kernels -*- C++ -*-===//
//
// photon-lower-to-kernels (lowering/PhotonToKernels.cpp) emits one function
// per building block of a model; this header is the runtime's side of that
// contract. Every function has MLIR's C interface (`_mlir_ciface_<name>`):
// buffers are flat 1-D memrefs passed as pointers to descriptors, counts are
// int64. `W` is the weight arena, laid out by photon-plan-memory (offsets in
// the manifest). Activations (x, caches, embeddings, converter outputs) have
// the plan's activation type (f32 or bf16); logits and scratch are f32. On
// the CPU target the functions compute on host memory; on the CUDA target the
// same functions launch GPU kernels on device memory. `i64
// photon_fingerprint()` returns the plan's fingerprint (checked against the
// manifest's).
//
//   photon_embed_{enc,dec,tok}(W, ids:i32[n], n, out:[n, width])
//   photon_chunk_<l>(W, in:[n, C·Din], n, out:[n, D], scratch:[n, C·Din])
//       (linear chunkers only: a concat chunk is the same bytes as its items)
//   photon_stack_<name>(W, x:[rows, D], rows, pos:i32[rows], seq:i32[rows],
//                       k_cache, v_cache, capacity, scratch:[rows, per-row])
//       x is updated in place (layers, then the final norm). Row i is the
//       item at position pos[i] of cache slot seq[i]; it attends to positions
//       0..pos[i] of that slot, and its own K/V are written there first.
//   photon_converter_<l>(W, x:[n, D], n, out:[n, R_l·D])
//   photon_lm_head(W, x:[n, D], n, logits:[n, V])
//   photon_argmax(logits:[n, V], n, ids:i32[n])   ties to the lowest id
//   photon_sample(logits:[n, V], n, uniforms:[n], temperature, top_k, top_p,
//                 ids:i32[n])   softmax(l / T) over the top-k, then top-p set,
//                               inverse CDF in index order at uniforms[i]
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_KERNELABI_H
#define PHOTON_RUNTIME_KERNELABI_H

#include "model/ModelConfig.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace photon::rt {

/// MLIR's descriptor of a 1-D memref (the same layout for every element type).
struct MemRef1D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
};

inline MemRef1D memref(void *data, int64_t elements) {
  return MemRef1D{data, data, 0, elements, 1};
}

using EmbedFn = void (*)(MemRef1D *w, MemRef1D *ids, int64_t n, MemRef1D *out);
using ChunkFn = void (*)(MemRef1D *w, MemRef1D *in, int64_t n, MemRef1D *out,
                         MemRef1D *scratch);
using StackFn = void (*)(MemRef1D *w, MemRef1D *x, int64_t rows, MemRef1D *pos,
                         MemRef1D *seq, MemRef1D *kCache, MemRef1D *vCache,
                         int64_t capacity, MemRef1D *scratch);
using ConverterFn = void (*)(MemRef1D *w, MemRef1D *x, int64_t n,
                             MemRef1D *out);
using LMHeadFn = ConverterFn;
using ArgmaxFn = void (*)(MemRef1D *logits, int64_t n, MemRef1D *ids);
using SampleFn = void (*)(MemRef1D *logits, int64_t n, MemRef1D *uniforms,
                          float temperature, int64_t topK, float topP,
                          MemRef1D *ids);

/// The C symbol of kernel `name` ("stack_encoder.1" -> "_mlir_ciface_photon_stack_encoder_1").
inline std::string kernelSymbol(std::string name) {
  std::replace(name.begin(), name.end(), '.', '_');
  return "_mlir_ciface_photon_" + name;
}

/// f32 scratch elements per row of a stack call with a cache of `capacity`
/// positions. The scratch is laid out region by region, each region holding
/// every row: h[rows][D] q[rows][D] k[rows][KV] v[rows][KV] attn[rows][D]
/// gate[rows][F] up[rows][F] scores[rows][H][capacity] stats[rows][H][2].
inline int64_t stackScratchPerRow(const ModelConfig &c, int64_t capacity) {
  int64_t kv = c.nKvHeads * c.headDim();
  return 3 * c.dModel + 2 * kv + 2 * c.ffnDim + c.nHeads * (capacity + 2);
}

/// Elements of one K (or V) cache: [slots][layers][capacity][KV].
inline int64_t cacheElements(const ModelConfig &c, int64_t layers,
                             int64_t capacity, int64_t slots) {
  return slots * layers * capacity * c.nKvHeads * c.headDim();
}

} // namespace photon::rt

#endif // PHOTON_RUNTIME_KERNELABI_H
