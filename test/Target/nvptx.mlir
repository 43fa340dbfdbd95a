// The GPU pipeline: every kernel of every op lowers to PTX for sm_90a (and
// sm_80); with ptxas present it assembles, and the host side calls exactly
// the mgpu* ABI and the stream calls that runtime/CudaBackend.cpp implements.
// RUN: photon-opt %s '-photon-to-nvvm=format=isa' | FileCheck %s --check-prefix=PTX
// RUN: photon-opt %s '-photon-to-nvvm=format=isa chip=sm_80' | FileCheck %s --check-prefix=SM80
// RUN: photon-opt %s '-photon-to-nvvm=format=isa' | photon-translate --mlir-to-llvmir | FileCheck %s --check-prefix=ABI

!kv1 = !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
!kv2 = !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
!s2 = !photon.stream<level = 2, width = 8, span = 4>
photon.model @photon_l2 attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @generate_recgen mode recgen {
  ^bb0(%prompt: !photon.tokens):
    %c1 = photon.kv_alloc : !kv1
    %c2 = photon.kv_alloc : !kv2
    %top, %caches:2 = photon.prefill %prompt caches(%c1, %c2) : (!photon.tokens, !kv1, !kv2) -> (!s2, !kv1, !kv2)
    %out = photon.decode_loop(%t = %top, %c = %caches#1) : !s2, !kv2 {
      %tok, %t2, %cn = photon.recgen_step %t cache(%c) : !s2, !kv2
      photon.yield %tok, %t2, %cn : !photon.tokens, !s2, !kv2
    }
    photon.yield %out : !photon.tokens
  }
}

// One binary holding every kernel (one gpu.module, one PTX compilation), next
// to the host code that launches it: the program's entry points, the stack
// of each name calling the stack function its shape shares, and the
// data-movement functions. Kernels are named by what they do (and shape).
// PTX-NOT: gpu.launch {
// PTX-DAG: llvm.func @_mlir_ciface_photon_step_generate_recgen(
// PTX-DAG: llvm.func internal @photon_stack_decoder_2(
// PTX-DAG: llvm.func internal @photon_stack_shape0(
// PTX-DAG: llvm.func internal @photon_copy_rows_f32_f32(
// PTX-DAG: gpu.binary @photon_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, {{.*}}assembly = "{{.*}}.version 8.0\0A.target sm_90a
// PTX-DAG: .entry photon_argmax_partials(
// PTX-DAG: .entry photon_argmax_combine(
// PTX-DAG: .entry photon_sample(
// PTX-DAG: .entry photon_embed_enc(
// PTX-DAG: .entry photon_commit_tokens(
// PTX-DAG: .entry photon_copy_rows(
// PTX-DAG: .entry photon_rmsnorm_8(
// PTX-DAG: .entry photon_attention(
// PTX-DAG: .entry photon_gemv_r1_16x8(
// Split attention merges its splits across the blocks of a cluster on sm_90, not on sm_80.
// PTX-DAG: barrier.cluster.arrive.aligned
// PTX-DAG: mapa.shared::cluster.u64
// PTX-NOT: gpu.binary

// SM80: .target sm_80
// SM80-NOT: barrier.cluster

// ABI-DAG: declare ptr @mgpuModuleLoadJIT(ptr, i32)
// ABI-DAG: declare void @mgpuModuleUnload(ptr)
// ABI-DAG: declare ptr @mgpuModuleGetFunction(ptr, ptr)
// ABI-DAG: declare ptr @mgpuStreamCreate()
// ABI-DAG: declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr, i64)
// Split attention's thread block clusters (sm_90): cluster, grid and block sizes, and no
// parameter count.
// ABI-DAG: declare void @mgpuLaunchClusterKernel(ptr, i64, i64, i64, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr)
// ABI-DAG: declare void @mgpuStreamSynchronize(ptr)
// ABI-DAG: declare void @mgpuStreamDestroy(ptr)
// RecGen's step puts its latent chain on a second stream (runtime/CudaBackend.cpp).
// ABI-DAG: declare void @photon_use_stream(i32)
// ABI-DAG: declare void @photon_join_streams()
