//===- ProgramABI.h - The entry points of a compiled program ----*- C++ -*-===//
//
// convert-photon-programs-to-host (lowering/ProgramToHost.cpp) turns every generation
// program of a model into two host functions with MLIR's C interface
// (buffers are pointers to 1-D memref descriptors, counts are int64); the
// manifest names their symbols. On the CPU target they compute on host
// memory; on the CUDA target they launch GPU kernels on device memory, on the
// backend's one stream, and return without waiting.
//
//   prefill(W, S, batch, max_tokens, first, count, prompt_len, encode_len,
//           prompt)
//       takes `count` prompts of `prompt_len` known tokens each (prompt: i32
//       [count][prompt_len]) into sequences first..first+count-1 and encodes
//       their first encode_len tokens (1 <= encode_len <= prompt_len).
//       Generation encodes the whole prompt; teacher-forced scoring encodes
//       the context, and the steps then force the remaining known tokens.
//   step(W, S, batch, max_tokens, uniforms, out, logits, temperature, top_k,
//        top_p)
//       decodes the next window of tokens_per_step positions of every
//       sequence. uniforms: f32 [batch][tokens_per_step], one draw per window
//       position (ignored when temperature is 0: greedy); out: i32
//       [batch][1 + tokens_per_step] = the window's first position, then its
//       tokens (positions inside the prompt hold the prompt's: forced); logits: f32
//       [batch][tokens_per_step][vocab] of the window, or an empty buffer.
//
// W is the weight arena; S is the state arena of the program's state plan
// (model/StatePlan.h) for the same batch and max_tokens (the most tokens,
// prompt + generated, of any sequence). The runtime never looks inside S.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_PROGRAMABI_H
#define PHOTON_RUNTIME_PROGRAMABI_H

#include <cstdint>

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

using PrefillFn = void (*)(MemRef1D *weights, MemRef1D *state, int64_t batch,
                           int64_t maxTokens, int64_t first, int64_t count,
                           int64_t promptLength, int64_t encodeLength, MemRef1D *prompt);
using StepFn = void (*)(MemRef1D *weights, MemRef1D *state, int64_t batch,
                        int64_t maxTokens, MemRef1D *uniforms, MemRef1D *out,
                        MemRef1D *logits, float temperature, int64_t topK,
                        float topP);

} // namespace photon::rt

#endif // PHOTON_RUNTIME_PROGRAMABI_H
