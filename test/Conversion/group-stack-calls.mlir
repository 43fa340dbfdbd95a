// photon-group-stack-calls: a step that forks RecGen's latent chain onto a
// second stream, before and after. The k-th stack call of each stream that
// runs one shape function becomes a call of the grouped function (where
// both are one chunk of at most max-rows rows; else the two calls on their
// streams); the latent chain's other work moves onto the main stream in
// front of the pair that needs it, after a join (an earlier tile's tail may
// still run on the second stream); what follows its last pair stays on the
// second stream, forked anew after the last pair.
// RUN: photon-opt %s -split-input-file -photon-group-stack-calls | FileCheck %s
// RUN: photon-opt %s -split-input-file -photon-group-stack-calls=max-rows=4 | FileCheck %s --check-prefix=ROWS4
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion -convert-photon-kernel-to-gpu -convert-photon-programs-to-host=target=gpu -canonicalize -cse -photon-group-stack-calls -canonicalize | FileCheck %s --check-prefix=L2
// RUN: photon-translate --import-config %examples/tiny-photon-l3.json | photon-opt -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel=lm-head-norm=false -photon-kernel-fusion -convert-photon-kernel-to-gpu -convert-photon-programs-to-host=target=gpu -canonicalize -cse -photon-group-stack-calls | FileCheck %s --check-prefix=L3

// The steps convert-photon-programs-to-host writes. Tiny PHOTON L=2 (C = [4,
// 4]): Dec_2's 4 calls pair with Dec_1's 4 (one shape function: Dec_1 keeps
// its final norm, lm-head-norm=false, as the pipeline compiles it); Chunk_2
// and Enc_2 stay on the second stream. L=3 (C = [2, 2, 2], one layer
// everywhere): Dec_3's 2 calls pair with Dec_1's 2; Dec_2's rollout,
// Chunk_3 and Enc_3 stay on the second stream. Both calls of a pair pass
// the cache length 5, so the grouped function has it as a constant: the
// attention kernels of longer caches (split, tiled, three-pass) fold away,
// as do the GEMVs of more than 8 rows.
// L2-LABEL: func.func private @photon_stack_shape0(
// L2: function(@photon_attention_split)
// L2: function(@photon_gemv_r16_64x128)
// L2-LABEL: func.func private @photon_stack_shape0_x2(
// L2-NOT: function(@photon_attention_split
// L2-NOT: function(@photon_attention_tiled
// L2-NOT: _r16_
// L2: function(@photon_gemv_qkv_norm_r1_128x64_x2)
// L2: function(@photon_gemv_qkv_norm_r8_128x64_x2)
// L2: function(@photon_attention_short_warps_x2)
// L2: function(@photon_gemv_r8_64x128_x2)
// L2-NOT: function(@photon_attention_split
// HierGen's step has no second stream: nothing to pair.
// L2-LABEL: func.func @photon_step_generate_hiergen(
// L2-NOT: grouped_calls
// L2-LABEL: func.func @photon_step_generate_recgen(
// L2: call @photon_join_streams()
// L2: call @photon_converter_1(
// L2: call @photon_converter_2(
// L2-COUNT-4: call @photon_stack_shape0_x2({{.*}}photon.grouped_calls = [@photon_stack_decoder_2, @photon_stack_decoder_1]
// L2: call @photon_join_streams()
// L2-NEXT: call @photon_use_stream(
// L2: call @photon_chunk_2(
// L2: call @photon_stack_encoder_2(
// L2: call @photon_use_stream(
// L2: call @photon_lm_head(
// L2: call @photon_join_streams()
// L2-NOT: grouped_calls
// L3-LABEL: func.func @photon_step_generate_recgen(
// L3: call @photon_converter_1(
// L3: call @photon_converter_3(
// L3-COUNT-2: call @photon_stack_shape0_x2({{.*}}photon.grouped_calls = [@photon_stack_decoder_3, @photon_stack_decoder_1]
// L3: call @photon_join_streams()
// L3-NEXT: call @photon_use_stream(
// L3: call @photon_converter_2(
// L3: call @photon_stack_decoder_2(
// L3: call @photon_stack_decoder_2(
// L3: call @photon_stack_encoder_3(
// L3-NOT: grouped_calls

// The shape function: a row bucket (rows <= 1: one kernel, else another),
// a decision on the cache length (not a bucket), each kernel storing to
// its call's buffer at its call's weight offset.
func.func private @photon_stack_shape0(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index,
                                       %cap: index, %base: index) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %one = arith.cmpi ule, %rows, %c1 : index
  scf.if %one {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
      %v = memref.load %w[%base] : memref<?xf32>
      memref.store %v, %x[%bx] : memref<?xf32>
      gpu.terminator
    }
  } else {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %rows)
               threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
      %v = memref.load %w[%base] : memref<?xf32>
      memref.store %v, %x[%bz] : memref<?xf32>
      gpu.terminator
    }
  }
  %short = arith.cmpi ule, %cap, %c64 : index
  scf.if %short {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %rows, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
      %v = memref.load %w[%base] : memref<?xf32>
      memref.store %v, %x[%gx] : memref<?xf32>
      gpu.terminator
    }
  }
  return
}
func.func private @photon_stack_decoder_1(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index,
                                          %cap: index) {
  %c100 = arith.constant 100 : index
  call @photon_stack_shape0(%w, %x, %rows, %cap, %c100)
      : (memref<?xf32>, memref<?xf32>, index, index, index) -> ()
  return
}
func.func private @photon_stack_decoder_2(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index,
                                          %cap: index) {
  %c200 = arith.constant 200 : index
  call @photon_stack_shape0(%w, %x, %rows, %cap, %c200)
      : (memref<?xf32>, memref<?xf32>, index, index, index) -> ()
  return
}
func.func private @photon_converter_2(memref<?xf32>)
func.func private @photon_chunk_2(memref<?xf32>)
func.func private @photon_lm_head(memref<?xf32>)
func.func private @photon_use_stream(i32)
func.func private @photon_join_streams()

// The grouped function (itself safe for any rows): calls of 1 to max-rows
// rows trace their decisions
// (the cache length is not a bucket: both must decide alike), then group;
// others, or calls that decide apart, run the shape function twice. The
// bucket rows <= 1 takes the larger call's rows; each grouped launch has the
// larger x and y grids and the two z grids one after the other, every block
// its group's values and grid.
// CHECK-LABEL: func.func private @photon_stack_shape0_x2(
// CHECK-SAME: %[[WA:[^:]*]]: memref<?xf32>, %[[XA:[^:]*]]: memref<?xf32>, %[[RA:[^:]*]]: index, %[[CA:[^:]*]]: index, %[[BA:[^:]*]]: index,
// CHECK-SAME: %{{[^:]*}}: memref<?xf32>, %[[XB:[^:]*]]: memref<?xf32>, %[[RB:[^:]*]]: index, %[[CB:[^:]*]]: index, %[[BB:[^:]*]]: index)
// CHECK-NEXT: %[[RMAX:.*]] = arith.maxui %[[RA]], %[[RB]] : index
// CHECK-NEXT: %[[RMIN:.*]] = arith.minui %[[RA]], %[[RB]] : index
// CHECK-NEXT: %[[C8:.*]] = arith.constant 8 : index
// CHECK-NEXT: %[[FEW:.*]] = arith.cmpi ule, %[[RMAX]], %[[C8]]
// CHECK-NEXT: %[[C1R:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[SOME:.*]] = arith.cmpi uge, %[[RMIN]], %[[C1R]]
// CHECK-NEXT: %[[SMALL:.*]] = arith.andi %[[FEW]], %[[SOME]] : i1
// CHECK-NEXT: scf.if %[[SMALL]] {
// CHECK-NEXT: %[[OK:.*]] = memref.alloca() : memref<i1>
// CHECK: %[[SHORTA:.*]] = arith.cmpi ule, %[[CA]], %[[C64:.*]] : index
// CHECK-NEXT: %[[SHORTB:.*]] = arith.cmpi ule, %[[CB]], %[[C64]] : index
// CHECK-NEXT: %[[AGREE:.*]] = arith.cmpi eq, %[[SHORTA]], %[[SHORTB]] : i1
// CHECK-NEXT: %[[SOFAR:.*]] = memref.load %[[OK]][]
// CHECK-NEXT: %[[BOTH:.*]] = arith.andi %[[SOFAR]], %[[AGREE]]
// CHECK-NEXT: memref.store %[[BOTH]], %[[OK]][]
// CHECK: %[[SAME:.*]] = memref.load %[[OK]][]
// CHECK-NEXT: scf.if %[[SAME]] {
// CHECK: %[[ONE:.*]] = arith.cmpi ule, %[[RMAX]], %[[C1:.*]] : index
// CHECK-NEXT: scf.if %[[ONE]] {
// CHECK: %[[TWO:.*]] = arith.addi %[[C1]], %[[C1]] : index
// CHECK-NEXT: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %[[BZ:.*]]) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %[[TWO]])
// CHECK-SAME: function(@kernel_x2)
// CHECK-NEXT: %[[ISB:.*]] = arith.cmpi uge, %[[BZ]], %[[C1]] : index
// CHECK: %[[BASE:.*]] = arith.select %[[ISB]], %[[BB]], %[[BA]] : index
// CHECK-NEXT: %[[X:.*]] = arith.select %[[ISB]], %[[XB]], %[[XA]] : memref<?xf32>
// CHECK: scf.if
// CHECK-NEXT: %[[V:.*]] = memref.load %[[WA]][%[[BASE]]]
// CHECK-NEXT: memref.store %[[V]], %[[X]][%[[BX]]]
// CHECK: } else {
// CHECK: %[[GZ:.*]] = arith.addi %[[RA]], %[[RB]] : index
// CHECK-NEXT: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ2:.*]]) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %[[GZ]])
// CHECK-NEXT: %[[ISB2:.*]] = arith.cmpi uge, %[[BZ2]], %[[RA]] : index
// CHECK-NEXT: %[[ZB:.*]] = arith.subi %[[BZ2]], %[[RA]] : index
// CHECK-NEXT: %[[Z:.*]] = arith.select %[[ISB2]], %[[ZB]], %[[BZ2]] : index
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[Z]]]
// CHECK: %[[SHORT:.*]] = arith.cmpi ule, %[[CA]], %{{.*}} : index
// CHECK-NEXT: scf.if %[[SHORT]] {
// CHECK-NEXT: %[[GX:.*]] = arith.maxui %[[RA]], %[[RB]] : index
// CHECK: gpu.launch blocks(%[[BX3:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GX]],
// CHECK: %[[MYGX:.*]] = arith.select %{{.*}}, %[[RB]], %[[RA]] : index
// CHECK: %[[INX:.*]] = arith.cmpi ult, %[[BX3]], %[[MYGX]] : index
// CHECK: } {photon.grouped_path}
// CHECK-NEXT: } else {
// CHECK-NEXT: func.call @photon_stack_shape0(%[[WA]], %[[XA]], %[[RA]], %[[CA]], %[[BA]])
// CHECK-NEXT: func.call @photon_stack_shape0(%[[WA]], %[[XB]], %[[RB]], %[[CB]], %[[BB]])

// CHECK-LABEL: func.func @photon_step(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xf32>, %[[LAT:[^:]*]]: memref<?xf32>, %[[TOK:[^:]*]]: memref<?xf32>, %[[N:[^:]*]]: index, %[[M:[^:]*]]: index)
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[S0:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[S1:.*]] = arith.constant 1 : i32
// CHECK-NOT: photon_use_stream
// CHECK: call @photon_join_streams()
// CHECK-NEXT: call @photon_lm_head(%[[TOK]])
// CHECK-NEXT: call @photon_converter_2(%[[LAT]])
// CHECK: %[[AONE:.*]] = arith.andi
// CHECK: %[[BONE:.*]] = arith.andi
// CHECK-NEXT: %[[FITS:.*]] = arith.andi %[[AONE]], %[[BONE]] : i1
// CHECK-NEXT: scf.if %[[FITS]] {
// CHECK: %[[RA:.*]] = arith.minui
// CHECK-NEXT: %[[C200:.*]] = arith.constant 200 : index
// CHECK: %[[RB:.*]] = arith.minui
// CHECK-NEXT: %[[C100:.*]] = arith.constant 100 : index
// CHECK: %[[SMALL:.*]] = arith.andi
// CHECK-NEXT: scf.if %[[SMALL]] {
// CHECK-NEXT: func.call @photon_stack_shape0_x2(%[[W]], %[[LAT]], %[[RA]], %[[C6]], %[[C200]], %[[W]], %[[TOK]], %[[RB]], %[[C5]], %[[C100]])
// CHECK-SAME: photon.grouped_calls = [@photon_stack_decoder_2, @photon_stack_decoder_1]
// CHECK-NEXT: } else {
// CHECK-NEXT: func.call @photon_join_streams()
// CHECK-NEXT: func.call @photon_use_stream(%[[S1]])
// CHECK-NEXT: func.call @photon_stack_decoder_2(%[[W]], %[[LAT]], %[[RA]], %[[C6]])
// CHECK-NEXT: func.call @photon_use_stream(%[[S0]])
// CHECK-NEXT: func.call @photon_stack_decoder_1(%[[W]], %[[TOK]], %[[RB]], %[[C5]])
// CHECK-NEXT: func.call @photon_join_streams()
// CHECK-NEXT: }
// CHECK-NEXT: } else {
// CHECK-NEXT: func.call @photon_join_streams()
// CHECK-NEXT: func.call @photon_use_stream(%[[S1]])
// CHECK-NEXT: scf.for
// CHECK: func.call @photon_stack_decoder_2
// CHECK: func.call @photon_use_stream(%[[S0]])
// CHECK-NEXT: scf.for
// CHECK: func.call @photon_stack_decoder_1
// CHECK: func.call @photon_join_streams()
// CHECK-NEXT: }
// CHECK-NEXT: call @photon_join_streams()
// CHECK-NEXT: call @photon_use_stream(%[[S1]])
// CHECK-NEXT: call @photon_chunk_2(%[[LAT]])
// CHECK-NEXT: call @photon_use_stream(%[[S0]])
// CHECK-NEXT: call @photon_lm_head(%[[TOK]])
// CHECK-NEXT: call @photon_join_streams()
func.func @photon_step(%w: memref<?xf32>, %lat: memref<?xf32>, %tok: memref<?xf32>,
                       %n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c4096 = arith.constant 4096 : index
  %s0 = arith.constant 0 : i32
  %s1 = arith.constant 1 : i32
  call @photon_use_stream(%s1) : (i32) -> ()
  call @photon_converter_2(%lat) : (memref<?xf32>) -> ()
  scf.for %i = %c0 to %n step %c4096 {
    %r = arith.subi %n, %i : index
    %rows = arith.minui %r, %c4096 : index
    func.call @photon_stack_decoder_2(%w, %lat, %rows, %c6)
        : (memref<?xf32>, memref<?xf32>, index, index) -> ()
  }
  call @photon_chunk_2(%lat) : (memref<?xf32>) -> ()
  call @photon_use_stream(%s0) : (i32) -> ()
  call @photon_lm_head(%tok) : (memref<?xf32>) -> ()
  scf.for %i = %c0 to %m step %c4096 {
    %r = arith.subi %m, %i : index
    %rows = arith.minui %r, %c4096 : index
    func.call @photon_stack_decoder_1(%w, %tok, %rows, %c5)
        : (memref<?xf32>, memref<?xf32>, index, index) -> ()
  }
  call @photon_lm_head(%tok) : (memref<?xf32>) -> ()
  call @photon_join_streams() : () -> ()
  return
}

// max-rows=4: only calls of up to 4 rows group.
// ROWS4-LABEL: func.func private @photon_stack_shape0_x2(
// ROWS4-NEXT: %[[RMAX:.*]] = arith.maxui
// ROWS4-NEXT: arith.minui
// ROWS4-NEXT: %[[C4:.*]] = arith.constant 4 : index
// ROWS4-NEXT: arith.cmpi ule, %[[RMAX]], %[[C4]]
// ROWS4-LABEL: func.func @photon_step(
// ROWS4: arith.cmpi ule, %{{.*}}, %c4

// -----

// Stack calls of two shapes are not paired: the step stays as it was.
func.func private @photon_stack_shape0(%x: memref<?xf32>, %rows: index) {
  return
}
func.func private @photon_stack_shape1(%x: memref<?xf32>, %rows: index) {
  return
}
func.func private @photon_stack_decoder_1(%x: memref<?xf32>, %rows: index) {
  call @photon_stack_shape0(%x, %rows) : (memref<?xf32>, index) -> ()
  return
}
func.func private @photon_stack_decoder_2(%x: memref<?xf32>, %rows: index) {
  call @photon_stack_shape1(%x, %rows) : (memref<?xf32>, index) -> ()
  return
}
func.func private @photon_use_stream(i32)
func.func private @photon_join_streams()

// CHECK-LABEL: func.func @photon_step(
// CHECK-NEXT: %{{.*}} = arith.constant
// CHECK: call @photon_use_stream
// CHECK-NEXT: scf.for
// CHECK: func.call @photon_stack_decoder_2
// CHECK: call @photon_use_stream
// CHECK-NEXT: scf.for
// CHECK: func.call @photon_stack_decoder_1
// CHECK-NOT: _x2
func.func @photon_step(%lat: memref<?xf32>, %tok: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c4096 = arith.constant 4096 : index
  %s0 = arith.constant 0 : i32
  %s1 = arith.constant 1 : i32
  call @photon_use_stream(%s1) : (i32) -> ()
  scf.for %i = %c0 to %n step %c4096 {
    func.call @photon_stack_decoder_2(%lat, %n) : (memref<?xf32>, index) -> ()
  }
  call @photon_use_stream(%s0) : (i32) -> ()
  scf.for %i = %c0 to %n step %c4096 {
    func.call @photon_stack_decoder_1(%tok, %n) : (memref<?xf32>, index) -> ()
  }
  call @photon_join_streams() : () -> ()
  return
}

// -----

// A launch whose block size is a run-time value is not grouped: the grouped
// function launches it once for each call, with that call's values.
func.func private @photon_stack_shape0(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index,
                                       %threads: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %rows, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %threads, %sy = %c1, %sz = %c1) {
    %v = arith.constant 1.0 : f32
    memref.store %v, %x[%bx] : memref<?xf32>
    gpu.terminator
  }
  return
}
func.func private @photon_stack_decoder_1(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index,
                                          %t: index) {
  call @photon_stack_shape0(%w, %x, %rows, %t) : (memref<?xf32>, memref<?xf32>, index, index) -> ()
  return
}
func.func private @photon_stack_decoder_2(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index,
                                          %t: index) {
  call @photon_stack_shape0(%w, %x, %rows, %t) : (memref<?xf32>, memref<?xf32>, index, index) -> ()
  return
}
func.func private @photon_use_stream(i32)
func.func private @photon_join_streams()

// CHECK-LABEL: func.func private @photon_stack_shape0_x2(
// CHECK-SAME: %{{[^:]*}}: memref<?xf32>, %[[XA:[^:]*]]: memref<?xf32>, %[[RA:[^:]*]]: index, %[[TA:[^:]*]]: index,
// CHECK-SAME: %{{[^:]*}}: memref<?xf32>, %[[XB:[^:]*]]: memref<?xf32>, %[[RB:[^:]*]]: index, %[[TB:[^:]*]]: index)
// CHECK: %[[SAME:.*]] = memref.load
// CHECK-NEXT: scf.if %[[SAME]] {
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[RA]], {{.*}} threads({{.*}}) in (%{{.*}} = %[[TA]],
// CHECK: memref.store %{{.*}}, %[[XA]]
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[RB]], {{.*}} threads({{.*}}) in (%{{.*}} = %[[TB]],
// CHECK: memref.store %{{.*}}, %[[XB]]
// CHECK: } {photon.grouped_path}
func.func @photon_step(%w: memref<?xf32>, %lat: memref<?xf32>, %tok: memref<?xf32>, %n: index,
                       %m: index, %t: index, %u: index) {
  %c0 = arith.constant 0 : index
  %c4096 = arith.constant 4096 : index
  %s0 = arith.constant 0 : i32
  %s1 = arith.constant 1 : i32
  call @photon_use_stream(%s1) : (i32) -> ()
  scf.for %i = %c0 to %n step %c4096 {
    func.call @photon_stack_decoder_2(%w, %lat, %n, %t) : (memref<?xf32>, memref<?xf32>, index, index) -> ()
  }
  call @photon_use_stream(%s0) : (i32) -> ()
  scf.for %i = %c0 to %m step %c4096 {
    func.call @photon_stack_decoder_1(%w, %tok, %m, %u) : (memref<?xf32>, memref<?xf32>, index, index) -> ()
  }
  call @photon_join_streams() : () -> ()
  return
}

// -----

// An effect on the second stream that defines a value (here an allocation
// its stack call reads) cannot move: the fork stays as it was.
func.func private @photon_stack_shape0(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index) {
  return
}
func.func private @photon_stack_decoder_1(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index) {
  call @photon_stack_shape0(%w, %x, %rows) : (memref<?xf32>, memref<?xf32>, index) -> ()
  return
}
func.func private @photon_stack_decoder_2(%w: memref<?xf32>, %x: memref<?xf32>, %rows: index) {
  call @photon_stack_shape0(%w, %x, %rows) : (memref<?xf32>, memref<?xf32>, index) -> ()
  return
}
func.func private @photon_use_stream(i32)
func.func private @photon_join_streams()

// CHECK-LABEL: func.func @photon_step_allocating(
// CHECK: call @photon_use_stream
// CHECK-NEXT: %[[BUF:.*]] = memref.alloc
// CHECK-NEXT: scf.for
// CHECK: func.call @photon_stack_decoder_2(%{{.*}}, %[[BUF]],
// CHECK: call @photon_use_stream
// CHECK-NEXT: scf.for
// CHECK: func.call @photon_stack_decoder_1
// CHECK-NOT: _x2
func.func @photon_step_allocating(%w: memref<?xf32>, %tok: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c4096 = arith.constant 4096 : index
  %s0 = arith.constant 0 : i32
  %s1 = arith.constant 1 : i32
  call @photon_use_stream(%s1) : (i32) -> ()
  %lat = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c4096 {
    func.call @photon_stack_decoder_2(%w, %lat, %n) : (memref<?xf32>, memref<?xf32>, index) -> ()
  }
  call @photon_use_stream(%s0) : (i32) -> ()
  scf.for %i = %c0 to %n step %c4096 {
    func.call @photon_stack_decoder_1(%w, %tok, %n) : (memref<?xf32>, memref<?xf32>, index) -> ()
  }
  call @photon_join_streams() : () -> ()
  return
}
