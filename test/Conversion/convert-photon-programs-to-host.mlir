// RUN: photon-opt %s -split-input-file -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -canonicalize -cse | FileCheck %s
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -canonicalize -cse | FileCheck %s --check-prefix=L2
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -canonicalize -cse | FileCheck %s --check-prefix=INORDER
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-pipeline-latents -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -canonicalize -cse | FileCheck %s --check-prefix=SEQ
// RUN: photon-translate --import-config %examples/tiny-photon-l3.json | photon-opt -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -canonicalize -cse | FileCheck %s --check-prefix=L3
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host -canonicalize -cse | FileCheck %s --check-prefix=VAN
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-gpu -convert-photon-programs-to-host=target=gpu -canonicalize -cse | FileCheck %s --check-prefix=GPU
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf -convert-photon-programs-to-host=target=gpu -canonicalize -cse | FileCheck %s --check-prefix=VANGPU
// RUN: not photon-opt %s -split-input-file -convert-photon-programs-to-host 2>&1 | FileCheck %s --check-prefix=UNPLANNED
// RUN: not photon-opt %s -split-input-file -photon-plan-memory -convert-photon-to-photon-kernel -photon-kernel-fusion -convert-photon-kernel-to-scf '-convert-photon-programs-to-host=target=tpu' 2>&1 | FileCheck %s --check-prefix=TARGET

// What a program says decides what its step runs. The same PHOTON L=2 model
// (C = [2, 2], R = [1, 2]) three times: with a HierGen program, with a RecGen
// program, and with none.

// A HierGen step re-encodes the meta-context's tokens through every level.
// CHECK-LABEL: func.func @photon_prefill_gen(
// CHECK-SAME: %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi8>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xi32>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @photon_step_gen(
// CHECK-SAME: %[[W:.*]]: memref<?xf32>, %[[S:.*]]: memref<?xi8>, %[[BATCH:.*]]: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %[[OUT:.*]]: memref<?xi32>, %{{.*}}: memref<?xf32>, %{{.*}}: f32, %{{.*}}: index, %{{.*}}: f32) attributes {llvm.emit_c_interface}
// CHECK: scf.for %{{.*}} = %c0 to %[[BATCH]] step %c1024
// CHECK: func.call @photon_converter_2(%[[W]],
// CHECK-COUNT-2: func.call @photon_stack_decoder_2(%[[W]],
// CHECK: func.call @photon_converter_1(%[[W]],
// CHECK-COUNT-2: func.call @photon_stack_decoder_1(%[[W]],
// CHECK: func.call @photon_embed_enc(%[[W]],
// CHECK: func.call @photon_stack_encoder_1(%[[W]],
// CHECK: func.call @photon_chunk_2(%[[W]],
// CHECK: func.call @photon_stack_encoder_2(%[[W]],
// CHECK: return
!kv1 = !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
!kv2 = !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
!s2 = !photon.stream<level = 2, width = 8, span = 4>
photon.model @hier attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @gen mode hiergen {
  ^bb0(%prompt: !photon.tokens):
    %c1 = photon.kv_alloc : !kv1
    %c2 = photon.kv_alloc : !kv2
    %top, %caches:2 = photon.prefill %prompt caches(%c1, %c2) : (!photon.tokens, !kv1, !kv2) -> (!s2, !kv1, !kv2)
    %out = photon.decode_loop(%t = %top, %a = %caches#0, %b = %caches#1) : !s2, !kv1, !kv2 {
      %tok, %t2, %cn:2 = photon.hiergen_step %t caches(%a, %b) : !s2, !kv1, !kv2
      photon.yield %tok, %t2, %cn#0, %cn#1 : !photon.tokens, !s2, !kv1, !kv2
    }
    photon.yield %out : !photon.tokens
  }
}

// -----

// A RecGen step advances Enc_2 on the decoder's own level-1 items: no token
// embedding, no Enc_1 (the latents of the next meta-context first, then this
// one's tokens).
// CHECK-LABEL: func.func @photon_step_gen(
// CHECK: func.call @photon_converter_2(
// CHECK: func.call @photon_chunk_2(
// CHECK: func.call @photon_stack_encoder_2(
// CHECK: func.call @photon_converter_1(
// CHECK-NOT: func.call @photon_embed_enc
// CHECK-NOT: func.call @photon_stack_encoder_1
// CHECK: return
!kv1 = !photon.kv_cache<level = 1, layers = 1, kv_heads = 1, head_dim = 4>
!kv2 = !photon.kv_cache<level = 2, layers = 1, kv_heads = 1, head_dim = 4>
!s2 = !photon.stream<level = 2, width = 8, span = 4>
photon.model @rec attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
  photon.program @gen mode recgen {
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

// -----

// Without a program there is nothing to run: kernels and the
// description of what the library is compiled for.
// CHECK-LABEL: module attributes {photon.model = "none"}
// CHECK-NOT: func.func @photon_prefill
// CHECK-NOT: func.func @photon_step
// CHECK: func.func @photon_description() -> !llvm.ptr
// CHECK-NOT: func.func @photon_prefill
// CHECK-NOT: func.func @photon_step
photon.model @none attributes {config = #photon.config<model_type = photon, vocab_size = 16, d_model = 8, d_embed = 4, chunk_sizes = [2, 2], prefix_lengths = [1, 2], encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 2, n_kv_heads = 1, ffn_dim = 16, rope_theta = 10000.0, rms_norm_eps = 1.0e-5>} {
}

// UNPLANNED: error: 'photon.model' op has no memory plan: run -photon-plan-memory first
// TARGET: for the --target option: Cannot find option named 'tpu'!

// tiny-photon-l2 (C = [4, 4], R = [2, 2]), RecGen. Prefill: the prompt's
// tokens into the history, start latents, then (with complete meta-contexts)
// the encoders bottom-up and the carries from Dec_2 over the last one. The
// call that ends the batch (first + count = batch) then decodes the first
// step's latents of every sequence, a decode tile at a time (the step runs
// its latent chain one meta-context ahead): Dec_2 over that meta-context
// and X^2 = Enc_2(Chunk_2(its items)).
// The prompt (%arg6 known tokens, all kept in the history, whose cursor
// and known length the first parallel loop stores) and encode_len (%arg7:
// the complete meta-contexts of B = 16 encoded tokens are encoded; the step
// forces the known tokens after them).
// L2-LABEL: func.func @photon_prefill_generate_recgen(
// L2-SAME: %arg6: index, %arg7: index, %arg8: memref<?xi32>)
// L2: %[[GP:.*]] = arith.divui %arg7, %c16 : index
// L2: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%arg5, %arg6)
// L2: scf.if
// Then the local decoders' row indices of every step after it
// (LocalRowsLayout): Dec_1's 4 calls over 4096 instances (the prefix's 8192
// rows at position r % 2 in slot r / 2, its slots 8192 after its positions;
// then one row an instance at positions 2, 3, 4), then Dec_2's over 1024,
// 51200 i32 in all, one loop over the longest call.
// L2: %[[LOCAL:.*]] = memref.view %arg1[%{{.*}}][] : memref<?xi8> to memref<51200xi32>
// L2-NEXT: scf.parallel (%[[R:.*]]) = (%c0) to (%c8192) step (%c1) {
// L2-NEXT: arith.cmpi ult, %[[R]], %c8192
// L2-NEXT: scf.if
// L2-NEXT: %[[P:.*]] = arith.remui %[[R]], %c2
// L2-NEXT: %[[P32:.*]] = arith.index_cast %[[P]] : index to i32
// L2-NEXT: memref.store %[[P32]], %[[LOCAL]][%[[R]]]
// L2-NEXT: %[[SLOT:.*]] = arith.divui %[[R]], %c2
// L2-NEXT: %[[SAT:.*]] = arith.addi %[[R]], %c8192
// L2-NEXT: %[[SLOT32:.*]] = arith.index_cast %[[SLOT]] : index to i32
// L2-NEXT: memref.store %[[SLOT32]], %[[LOCAL]][%[[SAT]]]
// L2: arith.cmpi ult, %[[R]], %c1024
// L2: memref.store %{{.*}}, %[[LOCAL]][%{{.*}}]
// L2: arith.addi %[[R]], %c49152
// L2: func.call @photon_embed_enc(
// L2: func.call @photon_stack_encoder_1(
// L2: func.call @photon_chunk_2(
// L2: func.call @photon_stack_encoder_2(
// L2: func.call @photon_converter_2(
// L2-COUNT-4: func.call @photon_stack_decoder_2(
// L2: %[[END:.*]] = arith.addi %arg4, %arg5 : index
// L2-NEXT: %[[LAST:.*]] = arith.cmpi eq, %[[END]], %arg2 : index
// L2-NEXT: scf.if %[[LAST]] {
// L2-NEXT: scf.for %[[T0:.*]] = %c0 to %arg2 step %c1024 {
// L2: func.call @photon_converter_2(
// L2-COUNT-4: func.call @photon_stack_decoder_2(
// L2: func.call @photon_chunk_2(
// L2: func.call @photon_stack_rows_cursor(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c1, %[[T0]], %c0,
// L2: func.call @photon_stack_encoder_2(
// L2-NEXT: }
// L2-NEXT: }
// L2-NEXT: }
// L2-NEXT: return
// The step: the next meta-context's latents (Dec_2 rolls out 4 level-1 items:
// a prefix call, then 3 single rows; their chunk through Enc_2, one position
// past the cursor's meta-context), then this one's tokens from the
// conditions the last call left: the 4 token chunks run through Dec_1 in
// lockstep (prefix, then 3 token rows), each of the 4 token positions
// through the LM head and argmax or a draw. The next conditions replace
// them, the cursors advance.
// The rollout keeps item j in the step rows (the stack updates them in
// place) and copies each step's output out to its item (stride 4 · 64):
// only the first step's input, the prefix call's last row, is copied in.
// L2-LABEL: func.func @photon_step_generate_recgen(
// L2: func.call @photon_converter_2(
// L2: func.call @photon_stack_decoder_2(
// L2: func.call @photon_copy_rows_f32_f32(%[[ITEMS:[^,]*]], %c0, %c256, %[[PREFIX:[^,]*]], %c64, %c128, %c64,
// L2-NEXT: func.call @photon_copy_rows_f32_f32(%[[STEP:[^,]*]], %c0, %c64, %[[PREFIX]], %c64, %c128, %c64,
// L2-NOT: func.call @photon_copy_rows
// L2: func.call @photon_stack_decoder_2(
// L2-NOT: func.call @photon_copy_rows
// L2: func.call @photon_copy_rows_f32_f32(%[[ITEMS]], %c64, %c256, %[[STEP]], %c0, %c64, %c64,
// L2-NOT: func.call @photon_copy_rows
// L2: func.call @photon_stack_decoder_2(
// L2-NOT: func.call @photon_copy_rows
// L2: func.call @photon_copy_rows_f32_f32(%[[ITEMS]], %c128, %c256, %[[STEP]], %c0, %c64, %c64,
// L2-NOT: func.call @photon_copy_rows
// L2: func.call @photon_stack_decoder_2(
// L2-NOT: func.call @photon_copy_rows
// L2: func.call @photon_copy_rows_f32_f32(%[[ITEMS]], %c192, %c256, %[[STEP]], %c0, %c64, %c64,
// L2-NOT: func.call @photon_stack_decoder_2(
// L2: func.call @photon_chunk_2(
// L2: func.call @photon_stack_rows_cursor(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c1, %{{.*}}, %c1,
// L2: func.call @photon_stack_encoder_2(
// L2: func.call @photon_converter_1(
// L2: func.call @photon_stack_decoder_1(
// L2: func.call @photon_lm_head(
// L2: func.call @photon_argmax(
// L2: func.call @photon_sample(
// L2: func.call @photon_embed_dec(
// L2: func.call @photon_stack_decoder_1(
// L2-COUNT-3: func.call @photon_lm_head(
// L2-NOT: func.call @photon_lm_head(
// L2: %[[ROWS:.*]] = arith.muli %arg2, %c4 : index
// L2-NEXT: call @photon_copy_rows_f32_f32(%{{.*}}, %c0, %c64, %{{.*}}, %c0, %c64, %c64, %[[ROWS]])
// L2: scf.parallel
// L2: return

// Without latent-lookahead the step decodes its own latents, its tokens,
// then X^2 of its meta-context at the cursor's position.
// INORDER-LABEL: func.func @photon_step_generate_recgen(
// INORDER: func.call @photon_converter_2(
// INORDER: func.call @photon_converter_1(
// INORDER-COUNT-4: func.call @photon_lm_head(
// INORDER: func.call @photon_chunk_2(
// INORDER: func.call @photon_stack_rows_cursor(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c1, %{{.*}}, %c0,
// INORDER: func.call @photon_stack_encoder_2(
// INORDER: return

// Without photon-fuse-token-chunks (photon-compile --no-fuse-token-chunks)
// the step decodes the meta-context's 4 token chunks one after another.
// Chunk c's conditions (tok_cond rows 4s + c: a stride of 256 elements)
// are gathered into the tile's first n rows of `hidden`; converter_1, Dec_1,
// the LM heads and the choice run over those n rows, not 4n; the logits
// and uniforms of a row are a sequence's (a stride of B = 16 tokens).
// SEQ-LABEL: func.func @photon_step_generate_recgen(
// SEQ: call @photon_stack_encoder_2(
// SEQ: func.call @photon_copy_rows_f32_f32(%{{.*}}, %c0, %c64, %{{.*}}, %{{.*}}, %c256, %c64, %[[N:.*]]) :
// SEQ: func.call @photon_converter_1(%arg0, %{{.*}}, %[[N]], %{{.*}})
// SEQ-COUNT-4: func.call @photon_stack_decoder_1(
// SEQ: func.call @photon_lm_head(%arg0, %{{.*}}, %[[N]], %{{.*}})
// SEQ: func.call @photon_copy_rows_f32_f32(%arg6, %{{.*}}, %c4096, %{{.*}}, %c0, %c256, %c256, %[[N]])
// SEQ: func.call @photon_copy_rows_f32_f32(%{{.*}}, %c0, %c1, %arg4, %{{.*}}, %c16, %c1, %[[N]])
// SEQ: func.call @photon_copy_rows_f32_f32(%{{.*}}, %c0, %c64, %{{.*}}, %{{.*}}, %c256, %c64, %[[N]]) :
// SEQ: func.call @photon_converter_1(%arg0, %{{.*}}, %[[N]], %{{.*}})
// SEQ: func.call @photon_copy_rows_f32_f32(%{{.*}}, %c0, %c64, %{{.*}}, %{{.*}}, %c256, %c64, %[[N]]) :
// SEQ: func.call @photon_converter_1(%arg0, %{{.*}}, %[[N]], %{{.*}})
// SEQ: func.call @photon_copy_rows_f32_f32(%{{.*}}, %c0, %c64, %{{.*}}, %{{.*}}, %c256, %c64, %[[N]]) :
// SEQ: func.call @photon_converter_1(%arg0, %{{.*}}, %[[N]], %{{.*}})
// SEQ-NOT: func.call @photon_converter_1(
// SEQ: return

// Vanilla prefill zeroes the plan's semaphores (an i32 per (row, head) of a
// stack call: 4096 rows x 4 heads, then 3 counters of fused launches),
// which the stack then receives, and runs
// the encoded tokens through the stack: the whole prompt in one embedding
// when encode_len (%arg7) equals prompt_len (%arg6), else (scoring) each
// sequence's first encode_len tokens from its history.
// VAN-LABEL: func.func @photon_prefill_generate_hiergen(
// VAN-SAME: %arg6: index, %arg7: index, %arg8: memref<?xi32>)
// VAN: %[[SEM:.*]] = memref.view %arg1[%{{.*}}][] : memref<?xi8> to memref<16387xi32>
// VAN-NEXT: scf.parallel (%[[I:.*]]) = (%c0) to (%c16387) step (%c1) {
// VAN-NEXT: memref.store %c0_i32, %[[SEM]][%[[I]]] : memref<16387xi32>
// VAN: %[[WHOLE:.*]] = arith.cmpi eq, %arg7, %arg6 : index
// VAN-NEXT: scf.if %[[WHOLE]] {
// VAN-NEXT: func.call @photon_embed_tok(%arg0, %arg8,
// VAN-NEXT: } else {
// VAN-NEXT: scf.for %{{.*}} = %c0 to %arg5 step %c1 {
// VAN: func.call @photon_embed_tok(%arg0, %{{.*}}, %arg7,
// VAN: %[[SEMS:.*]] = memref.cast %[[SEM]] : memref<16387xi32> to memref<?xi32>
// The prompt's rows come encode_len a sequence (rows_per_slot: the tiled
// attention may take them); a decode step's one a sequence.
// VAN-NEXT: func.call @photon_stack_model({{.*}}, %[[SEMS]], %arg7) :
// VAN-LABEL: func.func @photon_step_generate_hiergen(
// VAN: func.call @photon_stack_model({{.*}}, %c1) :

// tiny-photon-l3 (C = [2, 2, 2], R = [2, 1, 2], linear level-1 chunker):
// Dec_3 then Dec_2 rollouts (2 items each), then 4 token chunks of 2 tokens.
// L3-LABEL: func.func @photon_step_generate_hiergen(
// L3: func.call @photon_converter_3(
// L3-COUNT-2: func.call @photon_stack_decoder_3(
// L3: func.call @photon_converter_2(
// L3-COUNT-2: func.call @photon_stack_decoder_2(
// L3: func.call @photon_converter_1(
// L3-COUNT-2: func.call @photon_lm_head(
// L3: func.call @photon_embed_enc(
// L3: func.call @photon_chunk_1(
// L3: func.call @photon_stack_encoder_1(
// L3: func.call @photon_chunk_2(
// L3: func.call @photon_stack_encoder_2(
// L3: func.call @photon_chunk_3(
// L3: func.call @photon_stack_encoder_3(
// L3: return

// On the GPU the program's own data movement is named gpu.launch kernels:
// row copies and stack rows in shared functions (sizes and strides are
// arguments, so every call site runs one kernel), token commits in the
// entry point. All kernels are outlined into one gpu.module.
// GPU-LABEL: func.func private @photon_copy_rows_f32_f32(
// GPU-SAME: %{{.*}}: memref<?xf32>, %{{.*}}: index, %[[DS:.*]]: index, %{{.*}}: memref<?xf32>, %{{.*}}: index, %[[SS:.*]]: index, %[[WIDTH:.*]]: index, %[[N:.*]]: index)
// GPU-SAME: attributes {llvm.linkage = #llvm.linkage<internal>, photon.data_movement}
// GPU: gpu.launch
// GPU-SAME: module(@photon_kernels) function(@photon_copy_rows)
// GPU: arith.remui %{{.*}}, %[[WIDTH]] : index
// GPU-LABEL: func.func private @photon_stack_rows(
// GPU: gpu.launch
// GPU-SAME: module(@photon_kernels) function(@photon_stack_rows)
// RecGen's latent chain goes to the runtime's stream 1, the tokens to stream
// 0, which waits for stream 1 before the conditions and cursors advance.
// The local decoders' calls read the row indices prefill wrote (positions,
// then slots, per call): no stack-rows kernel before them.
// GPU-LABEL: func.func @photon_step_generate_recgen(
// GPU: func.call @photon_use_stream(%c1_i32) : (i32) -> ()
// GPU-NOT: func.call @photon_stack_rows
// GPU: func.call @photon_stack_decoder_2(
// GPU: func.call @photon_copy_rows_f32_f32(
// GPU: func.call @photon_stack_encoder_2(
// GPU: func.call @photon_use_stream(%c0_i32) : (i32) -> ()
// GPU-NOT: func.call
// GPU: func.call @photon_converter_1(
// GPU: gpu.launch
// GPU-SAME: module(@photon_kernels) function(@photon_commit_tokens)
// GPU-NOT: scf.parallel
// GPU: call @photon_join_streams() : () -> ()
// GPU: call @photon_copy_rows_f32_f32(
// GPU: gpu.launch
// GPU-SAME: function(@photon_advance_cursor)
// GPU: return
// GPU: func.func private @photon_use_stream(i32)
// GPU: func.func private @photon_join_streams()

// A vanilla step: the LM head, the choice, then one launch that commits each
// token and writes its embedding (a thread per feature) as the stack's
// input, and the stack's rows, which also move the cursor on: no embedding
// call and no cursor kernel of their own.
// VANGPU-LABEL: func.func @photon_step_generate_hiergen(
// VANGPU: func.call @photon_lm_head(
// VANGPU: func.call @photon_argmax(
// VANGPU: gpu.launch
// VANGPU-SAME: function(@photon_commit_embed_tokens)
// VANGPU: memref.load %arg0[
// VANGPU-NOT: @photon_embed_tok
// VANGPU: func.call @photon_stack_rows_cursor_advance(
// VANGPU: func.call @photon_stack_model(
// VANGPU-NOT: gpu.launch
// VANGPU: return
// Each row reads its sequence's cursor (positions[2 s]), then stores it
// moved on by the advance (the last argument).
// VANGPU-LABEL: func.func private @photon_stack_rows_cursor_advance(
// VANGPU-SAME: %[[ROWS:.*]]: memref<?xi32>, %[[POS:.*]]: memref<?xi32>, {{.*}}, %[[ADV:[^:]*]]: index)
// VANGPU: %[[AT:.*]] = arith.muli %{{.*}}, %c2 : index
// VANGPU-NEXT: %[[CUR:.*]] = memref.load %[[POS]][%[[AT]]] : memref<?xi32>
// VANGPU-NEXT: %[[C:.*]] = arith.index_cast %[[CUR]] : i32 to index
// VANGPU: %[[NEXT:.*]] = arith.addi %[[C]], %[[ADV]] : index
// VANGPU-NEXT: %[[N32:.*]] = arith.index_cast %[[NEXT]] : index to i32
// VANGPU-NEXT: memref.store %[[N32]], %[[POS]][%[[AT]]] : memref<?xi32>
