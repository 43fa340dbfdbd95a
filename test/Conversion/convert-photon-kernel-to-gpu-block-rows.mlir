// On the GPU, RMSNorm and argmax give each row a block (block-per-row): the
// grid is the rows, the threads split the row, and a block reduction
// combines them (a shuffle butterfly per warp, one value per warp through
// workgroup memory, a barrier, then every thread folds the warps' values).
// block-per-row=false and the CPU keep one warp (one loop) per row (the
// fused attention, off here, and RoPE's angle table have workgroup memory
// of their own).
// (The argmax below is block-per-row's with parallel-vocab off; the default
// splits rows over blocks: convert-photon-kernel-to-gpu-vocab.mlir.)
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=parallel-vocab=false' -cse | FileCheck %s
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion '-convert-photon-kernel-to-gpu=block-per-row=false fuse-attention=false parallel-vocab=false' | FileCheck %s --check-prefix=OFF
// RUN: photon-opt %s -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf | FileCheck %s --check-prefix=OFF

photon.model @vanilla attributes {config = #photon.config<model_type = vanilla, vocab_size = 5000, d_model = 200, layers = 1, n_heads = 2, n_kv_heads = 1, ffn_dim = 32, rope_theta = 10000.0, rms_norm_eps = 1.0e-6>} {
}

// RMSNorm over 200 features: 64 threads (about four elements each), the
// fourth round (elements 192..255) guarded at 200.
// CHECK-LABEL: func.func private @photon_stack_shape0(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xf32>, %[[X:[^:]*]]: memref<?xf32>, %[[ROWS:[^:]*]]: index
// CHECK: %[[GRID:.*]] = arith.maxui %[[ROWS]], %c1
// CHECK: gpu.launch blocks(%[[ROW:[^,]*]], {{.*}}) in ({{.*}} = %[[GRID]], {{.*}}) threads(%[[TID:[^,]*]], {{.*}}) in ({{.*}} = %c64{{(_[0-9]+)?}}, {{.*}}) workgroup(%[[PARTS:.*]] : memref<32xf32, #gpu.address_space<workgroup>>)
// Each element's gain is loaded with it, before the reduction.
// CHECK: arith.cmpi ult, %[[ROW]], %[[ROWS]]
// CHECK: memref.load %[[X]]
// CHECK-NEXT: arith.addi
// CHECK-NEXT: %[[G0:.*]] = memref.load %[[W]]
// CHECK: memref.load %[[X]]
// CHECK: memref.load %[[W]]
// CHECK: memref.load %[[X]]
// CHECK: memref.load %[[W]]
// CHECK: %[[LAST:.*]] = arith.cmpi ult, %{{.*}}, %c200
// CHECK: memref.load %[[X]]
// CHECK: memref.load %[[W]]
// CHECK-NOT: memref.load %[[W]]
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: memref.store %{{.*}}, %[[PARTS]][%{{.*}}] : memref<32xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK: %[[P0:.*]] = memref.load %[[PARTS]][%c0{{(_[0-9]+)?}}]
// CHECK: %[[P1:.*]] = memref.load %[[PARTS]][%c1{{(_[0-9]+)?}}]
// CHECK: arith.addf %[[P0]], %[[P1]]
// CHECK: %[[INV:.*]] = math.rsqrt
// CHECK-NOT: memref.load %[[W]]
// CHECK: %[[Y0:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK-NEXT: arith.mulf %[[Y0]], %[[G0]] : f32
// CHECK: scf.if %[[LAST]]

// Argmax over 5000 logits: 1024 threads a row, four loads a round, two
// rounds; (value, index) pairs meet with ties to the lower index.
// CHECK-LABEL: func.func private @photon_argmax(
// CHECK-SAME: %[[L:[^:]*]]: memref<?xf32>, %[[N:[^:]*]]: index, %[[IDS:[^:]*]]: memref<?xi32>,
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c1024{{(_[0-9]+)?}}, {{.*}}) workgroup(%[[BV:.*]] : memref<32xf32, #gpu.address_space<workgroup>>, %[[BI:.*]] : memref<32xi32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c2{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args({{.*}}) -> (f32, i32)
// CHECK-COUNT-4: memref.load %[[L]]
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi slt
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : i32
// CHECK: memref.store %{{.*}}, %[[BI]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[BI]][%c31{{(_[0-9]+)?}}]
// CHECK: memref.store %{{.*}}, %[[IDS]]

// OFF-NOT: function(@photon_{{rmsnorm|argmax}}{{.*}} workgroup(
