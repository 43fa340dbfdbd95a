// RUN: photon-opt %s -photon-to-llvm | FileCheck %s --implicit-check-not=scf. --implicit-check-not=memref. --implicit-check-not="photon.model @"
// RUN: photon-opt %s -photon-to-llvm | photon-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// The host pipeline leaves only the LLVM dialect, no loops, memrefs or photon
// ops: the kernels as private functions, and C-interface wrappers for the
// program's entry points, and the description of what the library is
// compiled for.
!kv1 = !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
!s1 = !photon.stream<level = 1, width = 8, span = 4>
photon.model @block attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5, level1_chunker = linear>} {
  photon.program @generate mode hiergen {
  ^bb0(%prompt: !photon.tokens):
    %kv = photon.kv_alloc : !kv1
    %top, %kv1 = photon.prefill %prompt caches(%kv) : (!photon.tokens, !kv1) -> (!s1, !kv1)
    %out = photon.decode_loop(%t = %top, %c = %kv1) : !s1, !kv1 {
      %tok, %t2, %c2 = photon.hiergen_step %t caches(%c) : !s1, !kv1
      photon.yield %tok, %t2, %c2 : !photon.tokens, !s1, !kv1
    }
    photon.yield %out : !photon.tokens
  }
}

// CHECK-DAG: llvm.func @_mlir_ciface_photon_prefill_generate(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_step_generate(
// CHECK-DAG: llvm.mlir.global internal constant @photon_description_text("{\22version\22:5,\22vocab_size\22:16,\22activation_type\22:\22f32\22,\22fingerprint\22:{{[0-9]+}},\22weights\22:{\22dtype\22:\22f32\22,\22elements\22:2368},\22programs\22:[{\22name\22:\22generate\22,\22mode\22:\22hiergen\22,
// CHECK-DAG: llvm.func @photon_description() -> !llvm.ptr
// CHECK-DAG: llvm.func internal @photon_chunk_1(
// CHECK-DAG: llvm.func internal @photon_stack_encoder_1(
// CHECK-NOT: llvm.func @_mlir_ciface_photon_stack

// LLVMIR-DAG: define void @_mlir_ciface_photon_prefill_generate(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6, i64 %7, ptr %8)
// LLVMIR-DAG: define void @_mlir_ciface_photon_step_generate(ptr %0, ptr %1, i64 %2, i64 %3, ptr %4, ptr %5, ptr %6, float %7, i64 %8, float %9)
// LLVMIR-DAG: define internal void @photon_stack_encoder_1(
