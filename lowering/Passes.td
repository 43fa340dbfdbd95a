//===- Passes.td - Conversions out of the photon dialect -------------------===//
#ifndef PHOTON_LOWERING_PASSES_TD
#define PHOTON_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def PhotonLowerToKernels : Pass<"photon-lower-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Lower a planned photon.model to kernel entry points";
  let description = [{
    Replaces the (memory-planned) `photon.model` by the functions the runtime
    calls: one per building block of the model, specialised to its widths and
    to the weight offsets of the plan. Parallel work is `scf.parallel`, so the
    same functions lower to host loops (photon-to-llvm) or GPU kernels.
    On the GPU, projections with bf16 weights and activations over enough
    rows (prefill, batched decode) become tiled tensor-core GEMMs; the rest
    use one warp per output (GEMV).

    Entry points (all `llvm.emit_c_interface`; buffers are flat 1-D memrefs,
    `W` is the weight arena; activations — x, caches, embeddings, latents —
    have the plan's activation type, f32 or bf16; logits and scratch are f32;
    see runtime/KernelABI.h):
      photon_embed_{enc,dec,tok}(W, ids, n, out)
      photon_chunk_<l>(W, in, n, out, scratch)          linear chunkers only
      photon_stack_<name>(W, x, rows, pos, seq, k, v, capacity, scratch)
      photon_converter_<l>(W, x, n, out)
      photon_lm_head(W, x, n, logits)
      photon_argmax(logits, n, ids)
      photon_sample(logits, n, uniforms, temperature, top_k, top_p, ids)
      photon_fingerprint() -> i64                       the plan's fingerprint
  }];
  let options = [
    Option<"target", "target", "std::string", "\"cpu\"",
           "Where the kernels run: cpu (scf.parallel loops) or gpu (gpu.launch)">,
    Option<"tensorCoreMinRows", "tensor-core-min-rows", "int64_t", "16",
           "GPU, bf16 weights and activations: projections over at least this "
           "many rows run on tensor cores (nvgpu cp.async and ldmatrix, "
           "nvvm.mma.sync); 0 never">,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // PHOTON_LOWERING_PASSES_TD
