// RUN: photon-opt %s -photon-to-llvm | FileCheck %s --implicit-check-not=scf. --implicit-check-not=memref. --implicit-check-not="photon.model @"
// RUN: photon-opt %s -photon-to-llvm | photon-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// The host pipeline leaves only the LLVM dialect: C-interface wrappers for
// every entry point, no loops, memrefs or photon ops.
photon.model @block attributes {config = #photon.config<model_type = block, vocab_size = 16, d_model = 8, d_embed = 2, chunk_sizes = [4], prefix_lengths = [1], encoder_layers = [1], decoder_layers = [1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5, level1_chunker = linear>} {
}

// CHECK-DAG: llvm.func @_mlir_ciface_photon_embed_enc(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_embed_dec(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_chunk_1(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_stack_encoder_1(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_stack_decoder_1(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_converter_1(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_lm_head(
// CHECK-DAG: llvm.func @_mlir_ciface_photon_argmax(

// LLVMIR: define void @_mlir_ciface_photon_stack_encoder_1(ptr %0, ptr %1, i64 %2, ptr %3, ptr %4, ptr %5, ptr %6, i64 %7, ptr %8)
