// The GPU pipeline: every kernel of every op lowers to PTX for sm_90a (and
// sm_80); with ptxas present it assembles, and the host side calls exactly
// the mgpu* ABI that runtime/CudaBackend.cpp implements.
// RUN: photon-opt %s '-photon-to-nvvm=format=isa' | FileCheck %s --check-prefix=PTX
// RUN: photon-opt %s '-photon-to-nvvm=format=isa chip=sm_80' | FileCheck %s --check-prefix=SM80
// RUN: photon-opt %s '-photon-to-nvvm=format=isa' | photon-translate --mlir-to-llvmir | FileCheck %s --check-prefix=ABI

photon.model @photon_l2 attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
}

// One binary per kernel, next to the host code that launches it.
// PTX-NOT: gpu.launch {
// PTX-DAG: llvm.func @_mlir_ciface_photon_stack_decoder_2(
// PTX-DAG: gpu.binary @photon_embed_enc_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, {{.*}}assembly = "
// PTX-DAG: gpu.binary @photon_argmax_kernel {{.*}}.version 8.0\0A.target sm_90a{{.*}}.entry photon_argmax_kernel(
// PTX-DAG: gpu.binary @photon_stack_encoder_1_kernel

// SM80: .target sm_80

// ABI-DAG: declare ptr @mgpuModuleLoadJIT(ptr, i32)
// ABI-DAG: declare void @mgpuModuleUnload(ptr)
// ABI-DAG: declare ptr @mgpuModuleGetFunction(ptr, ptr)
// ABI-DAG: declare ptr @mgpuStreamCreate()
// ABI-DAG: declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr, i64)
// ABI-DAG: declare void @mgpuStreamSynchronize(ptr)
// ABI-DAG: declare void @mgpuStreamDestroy(ptr)
