// RUN: split-file %s %t
// RUN: photon-opt %t/model.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf | FileCheck %s --check-prefix=IR
// RUN: photon-opt %t/model.mlir -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu | FileCheck %s --check-prefix=IR
// The host kernels (internal to the kernel library since programs are
// compiled) run from a driver placed in their module, lowered as
// photon-to-llvm lowers the host code.
// RUN: photon-opt %t/model.mlir -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -o %t/kernels.mlir
// RUN: grep -v '^}$' %t/kernels.mlir > %t/all.mlir && cat %t/driver.mlir >> %t/all.mlir && echo '}' >> %t/all.mlir
// RUN: photon-opt %t/all.mlir -arith-expand -convert-scf-to-cf -convert-math-to-llvm -expand-strided-metadata -finalize-memref-to-llvm -convert-arith-to-llvm -convert-index-to-llvm -convert-func-to-llvm -convert-cf-to-llvm -reconcile-unrealized-casts \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// REQUIRES: mlir-runner

// Non-finite logits (docs/design.md): photon_argmax and photon_sample read a
// NaN logit as -inf, so they never return -1 or an id outside [0, V); a row
// with nothing above -inf gives id 0, and sampling skips NaN/-inf tokens.

// IR-LABEL: func.func private @photon_argmax(
// IR: %[[L:.*]] = memref.load
// IR: %[[NAN:.*]] = arith.cmpf uno, %[[L]], %[[L]] : f32
// IR: arith.select %[[NAN]], %{{.*}}, %[[L]] : f32
// IR: arith.cmpf ogt
// IR-LABEL: func.func private @photon_sample(
// IR: %[[S:.*]] = memref.load
// IR: %[[SNAN:.*]] = arith.cmpf uno, %[[S]], %[[S]] : f32
// IR: arith.select %[[SNAN]], %{{.*}}, %[[S]] : f32
// IR: arith.maximumf
// IR: arith.constant 0 : i32
// IR: memref.store %{{.*}}, %{{.*}} : memref<?xi32>

//--- model.mlir
photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 8, d_model = 8, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-6, tie_word_embeddings = true>} {
}

//--- driver.mlir
// Five rows of V = 8 logits (0x7FC00000 is NaN, 0xFF800000 is -inf):
//   0: NaN 1 2 NaN ...           -> argmax 2
//   1: all NaN                   -> 0
//   2: -inf and NaN only         -> 0
//   3: NaN 5 5 1 NaN 0 0 0       -> 1 (ties to the lowest id)
//   4: 1 2 3 4 5 6 7 NaN         -> 6
memref.global "private" constant @logits : memref<40xf32> = dense<[
  0x7FC00000, 1.0, 2.0, 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000,
  0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000,
  0xFF800000, 0x7FC00000, 0xFF800000, 0xFF800000, 0x7FC00000, 0xFF800000, 0xFF800000, 0xFF800000,
  0x7FC00000, 5.0, 5.0, 1.0, 0x7FC00000, 0.0, 0.0, 0.0,
  1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 0x7FC00000]>
memref.global "private" constant @uniforms : memref<5xf32> = dense<[0.5, 0.5, 0.5, 0.25, 0.1]>

func.func private @printI64(i64)
func.func private @printComma()
func.func private @printNewline()

func.func @print_ids(%ids: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    %v = memref.load %ids[%i] : memref<?xi32>
    %w = arith.extsi %v : i32 to i64
    func.call @printI64(%w) : (i64) -> ()
    %last = arith.cmpi eq, %i, %c4 : index
    scf.if %last {
    } else {
      func.call @printComma() : () -> ()
    }
  }
  func.call @printNewline() : () -> ()
  return
}

func.func @main() {
  %rows = arith.constant 5 : index
  %l = memref.get_global @logits : memref<40xf32>
  %u = memref.get_global @uniforms : memref<5xf32>
  %logits = memref.cast %l : memref<40xf32> to memref<?xf32>
  %uniforms = memref.cast %u : memref<5xf32> to memref<?xf32>
  %ids = memref.alloc(%rows) : memref<?xi32>
  %t = arith.constant 1.0 : f32
  %p1 = arith.constant 1.0 : f32
  %p5 = arith.constant 0.5 : f32
  %k0 = arith.constant 0 : index
  %k2 = arith.constant 2 : index

  // CHECK: {{^}}2, 0, 0, 1, 6{{$}}
  // The argmax's per-block partials and semaphores (V = 8: one block of
  // the vocabulary per row; scratch the host kernel does not use).
  %partial_max = memref.alloc(%rows) : memref<?xf32>
  %partial_ids = memref.alloc(%rows) : memref<?xi32>
  %semaphores = memref.alloc(%rows) : memref<?xi32>
  func.call @photon_argmax(%logits, %rows, %ids, %partial_max, %partial_ids, %semaphores)
      : (memref<?xf32>, index, memref<?xi32>, memref<?xf32>, memref<?xi32>, memref<?xi32>) -> ()
  func.call @print_ids(%ids) : (memref<?xi32>) -> ()
  // Plain sampling at the uniforms above (the expected ids are the
  // inverse-CDF draws over the finite logits, with margins >= 0.05).
  // CHECK-NEXT: {{^}}2, 0, 0, 1, 4{{$}}
  func.call @photon_sample(%logits, %rows, %uniforms, %t, %k0, %p1, %ids)
      : (memref<?xf32>, index, memref<?xf32>, f32, index, f32, memref<?xi32>) -> ()
  func.call @print_ids(%ids) : (memref<?xi32>) -> ()
  // top-k 2: the bisection starts from the smallest finite logit (from
  // -inf it would never move and keep every token).
  // CHECK-NEXT: {{^}}2, 0, 0, 1, 5{{$}}
  func.call @photon_sample(%logits, %rows, %uniforms, %t, %k2, %p1, %ids)
      : (memref<?xf32>, index, memref<?xf32>, f32, index, f32, memref<?xi32>) -> ()
  func.call @print_ids(%ids) : (memref<?xi32>) -> ()
  // top-p 0.5.
  // CHECK-NEXT: {{^}}2, 0, 0, 1, 6{{$}}
  func.call @photon_sample(%logits, %rows, %uniforms, %t, %k0, %p5, %ids)
      : (memref<?xf32>, index, memref<?xf32>, f32, index, f32, memref<?xi32>) -> ()
  func.call @print_ids(%ids) : (memref<?xi32>) -> ()
  memref.dealloc %semaphores : memref<?xi32>
  memref.dealloc %partial_ids : memref<?xi32>
  memref.dealloc %partial_max : memref<?xf32>
  memref.dealloc %ids : memref<?xi32>
  return
}
