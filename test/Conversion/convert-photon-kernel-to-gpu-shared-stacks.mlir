// One kernel per shape: a stack's weights reach its kernels as offsets
// computed on the host, so the layers of a stack run one set of kernels (an
// scf.for over the layers) and stacks of one shape and weight layout share
// one stack function. A layout that is not the same for every layer (here
// layer 1's Q and O projections swapped) keeps the stack's layers unrolled at
// constant offsets.
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -cse | FileCheck %s
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -cse | FileCheck %s --check-prefix=GPU
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory | sed 's/q_proj.weight : tensor<64x64xf32> offset 53376/q_proj.weight : tensor<64x64xf32> offset 61568/; s/o_proj.weight : tensor<64x64xf32> offset 61568/o_proj.weight : tensor<64x64xf32> offset 53376/' | photon-opt -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -cse | FileCheck %s --check-prefix=UNROLLED

// tiny-photon-l2: four stacks of 2 layers (D 64, 4 heads, 2 KV heads, F 128)
// whose layers are 36,992 weights apart; each passes the offset of its
// first weight (encoder.1's q_proj at 4096, ...). Dec_1 leaves its final
// norm to the LM head (lm-head-norm), so it calls a function of its own.
// CHECK-LABEL: func.func private @photon_stack_encoder_1(
// CHECK-NEXT: %[[E1:.*]] = arith.constant 4096 : index
// CHECK-NEXT: call @photon_stack_shape0(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6, %arg7, %arg8, %arg9, %arg10, %arg11, %[[E1]])
// CHECK-NEXT: return

// The final norm sits 2 · 36,992 weights after the first weight; layer l's
// input norm 36,864 after the layer's first weight.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %[[BASE:[^:]*]]: index) attributes
// CHECK: %[[NORM:.*]] = arith.addi %[[BASE]], %c73984 : index
// CHECK: scf.for %[[L:.*]] = %c0 to %c2 step %c1 {
// CHECK-NEXT: %[[STRIDE:.*]] = arith.constant 36992 : index
// CHECK-NEXT: %[[SKIP:.*]] = arith.muli %[[L]], %[[STRIDE]] : index
// CHECK-NEXT: %[[LAYER:.*]] = arith.addi %[[BASE]], %[[SKIP]] : index
// CHECK-NEXT: %[[REL:.*]] = arith.constant 36864 : index
// CHECK-NEXT: %[[INORM:.*]] = arith.addi %[[LAYER]], %[[REL]] : index
// CHECK: memref.load %arg0[%{{.*}}]
// CHECK: %[[NORMAT:.*]] = arith.addi %{{.*}}, %[[NORM]] : index
// CHECK: memref.load %arg0[%[[NORMAT]]]

// CHECK-LABEL: func.func private @photon_stack_decoder_1(
// CHECK-NEXT: arith.constant 78144 : index
// CHECK-NEXT: call @photon_stack_shape1(
// CHECK-LABEL: func.func private @photon_stack_encoder_2(
// CHECK-NEXT: arith.constant 177280 : index
// CHECK-NEXT: call @photon_stack_shape0(
// CHECK-LABEL: func.func private @photon_stack_decoder_2(
// CHECK-NEXT: arith.constant 251328 : index
// CHECK-NEXT: call @photon_stack_shape0(
// CHECK-NOT: @photon_stack_shape2

// On the GPU the layer loop is on the host and the offsets are operands of
// the launches (kernel arguments once outlined).
// GPU-LABEL: func.func private @photon_stack_shape0(
// GPU: scf.for %[[L:.*]] = %c0 to %c2 step %c1 {
// GPU: %[[LAYER:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// GPU: %[[INORM:.*]] = arith.addi %[[LAYER]], %{{.*}} : index
// GPU: gpu.launch {{.*}} function(@photon_rmsnorm_64)
// GPU: arith.addi %{{.*}}, %[[INORM]] : index
// GPU: gpu.terminator

// UNROLLED-LABEL: func.func private @photon_stack_model(
// UNROLLED-NOT: call
// UNROLLED-NOT: scf.for %{{.*}} = %c0 to %c2 step %c1 {
// Layer 1 reads Q at the moved offset (61568), then K, and O at Q's old place.
// UNROLLED: %[[Q1:.*]] = arith.constant 61568 : index
// UNROLLED-NEXT: %[[K1:.*]] = arith.constant 57472 : index
// UNROLLED: %[[O1:.*]] = arith.constant 53376 : index
// UNROLLED: arith.addi %{{.*}}, %[[Q1]] : index
// UNROLLED: arith.addi %{{.*}}, %[[K1]] : index
// UNROLLED: arith.addi %{{.*}}, %[[O1]] : index
// UNROLLED-NOT: @photon_stack_shape0
