// photon-schedule-report: the numbers of one tiny model by hand, the launches
// counted in the lowered code, the paper's KV ratios, and bad options.
//
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | photon-opt -photon-plan-memory > %t.vanilla.mlir
// RUN: photon-opt %t.vanilla.mlir '-photon-schedule-report=context=8 prompt=4 json=%t.vanilla.json' -o /dev/null 2>&1 | FileCheck %s --check-prefix=VTEXT
// RUN: FileCheck %s --check-prefix=VJSON < %t.vanilla.json
// RUN: photon-opt %t.vanilla.mlir '-photon-schedule-report=context=8 prompt=4 kernels={fuse-launches=true}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=LAUNCHES
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory > %t.l2.mlir
// RUN: photon-opt %t.l2.mlir '-photon-schedule-report=context=32 prompt=16 print=0 json=%t.l2.json' -o /dev/null 2>&1 | FileCheck %s --check-prefix=QUIET --allow-empty
// RUN: FileCheck %s --check-prefix=L2JSON < %t.l2.json
// RUN: photon-opt %t.l2.mlir '-photon-schedule-report=context=32 prompt=16 print=0 group-stack-calls=true json=%t.l2-grouped.json' -o /dev/null
// RUN: FileCheck %s --check-prefix=GROUPED < %t.l2-grouped.json
// RUN: photon-translate --import-config %examples/tiny-photon-l2.json | photon-opt -photon-pipeline-latents -photon-plan-memory | photon-opt '-photon-schedule-report=context=32 prompt=16 print=0 json=%t.l2-seq.json' -o /dev/null
// RUN: FileCheck %s --check-prefix=SEQ < %t.l2-seq.json
// RUN: photon-translate --import-config %examples/photon-600m.json --weight-type=bf16 | photon-opt -photon-pipeline-latents -photon-fuse-token-chunks -photon-plan-memory=activation-type=bf16 > %t.600m.mlir
// RUN: photon-opt %t.600m.mlir '-photon-schedule-report=batch=1,1024 context=2048,1048576 prompt=16' -o /dev/null 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: photon-opt %t.600m.mlir '-photon-schedule-report=batch=1 context=2048 prompt=16 group-stack-calls=true' -o /dev/null 2>&1 | FileCheck %s --check-prefix=GROUPED600
// RUN: photon-opt %t.600m.mlir '-photon-schedule-report=batch=1 context=2048 prompt=16 stream-overlap=0.42' -o /dev/null 2>&1 | FileCheck %s --check-prefix=OVERLAP
// RUN: photon-opt %t.600m.mlir '-photon-schedule-report=batch=1 context=2048 prompt=16 stream-overlap=0.42 group-stack-calls=true' -o /dev/null 2>&1 | FileCheck %s --check-prefix=OVERLAPGROUPED
// RUN: photon-opt %t.600m.mlir '-photon-schedule-report=batch=1 context=2048 prompt=16 kernels={fuse-launches=true}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUSED600
// RUN: photon-opt %t.600m.mlir '-photon-schedule-report=batch=1 context=2048 prompt=16 kernels={fuse-launches=true gemv-tensor-core-warps=4 gemv-norm-kernel-min-rows=0}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=WARPS4
// RUN: photon-translate --import-config %examples/block-600m.json --weight-type=bf16 | photon-opt -photon-plan-memory=activation-type=bf16 | photon-opt '-photon-schedule-report=context=1048576 prompt=16' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: photon-translate --import-config %examples/vanilla-600m.json --weight-type=bf16 | photon-opt -photon-plan-memory=activation-type=bf16 > %t.v600.mlir
// RUN: photon-opt %t.v600.mlir '-photon-schedule-report=context=2048 prompt=16' -o /dev/null 2>&1 | FileCheck %s --check-prefix=VANILLA600
// RUN: photon-opt %t.v600.mlir '-photon-schedule-report=context=2048 prompt=16 kernels={fuse-attention-combine=true fuse-argmax-combine=true}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=LASTBLOCK
// RUN: photon-opt %t.v600.mlir '-photon-schedule-report=context=2048 prompt=16 kernels={split-attention-cluster-blocks=0}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=COMBINE
// RUN: photon-opt %t.v600.mlir '-photon-schedule-report=context=2048 prompt=16 fusions={fuse-qkv=false fuse-gate-up=false fuse-norm=false}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNFUSED
// RUN: not photon-opt %t.vanilla.mlir '-photon-schedule-report=fusions={fuse-qkv=maybe}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADFUSIONS
// RUN: not photon-opt %t.vanilla.mlir '-photon-schedule-report=kernels={fuse-qkv=false}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADKERNELS
// RUN: not photon-opt %t.vanilla.mlir '-photon-schedule-report=kernels={no-such-option=1}' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADKERNELS
// RUN: not photon-opt %t.vanilla.mlir -photon-schedule-report=bandwidth=0 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADBW
// RUN: not photon-opt %t.vanilla.mlir -photon-schedule-report=batch=0 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADBATCH
// RUN: not photon-opt %t.vanilla.mlir -photon-schedule-report=prompt=0 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADPROMPT
// RUN: not photon-opt %t.vanilla.mlir -photon-schedule-report=launch-us=-1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADBW
// RUN: not photon-opt %t.vanilla.mlir -photon-schedule-report=stream-overlap=1.5 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADOVERLAP
// RUN: not photon-opt %t.vanilla.mlir -photon-schedule-report=json=%t.missing/dir/x.json -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADJSON
// RUN: photon-translate --import-config %examples/tiny-vanilla.json | not photon-opt -photon-schedule-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOPLAN
// RUN: not photon-opt %t.vanilla.mlir -convert-photon-to-photon-kernel -convert-photon-kernel-to-scf -convert-photon-programs-to-host -photon-schedule-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOWERED
// The IR is left as it was (the lowered copy is gone).
// RUN: photon-opt %t.vanilla.mlir -photon-schedule-report=print=0 | FileCheck %s --check-prefix=UNCHANGED

// Tiny vanilla (V 256, D 64, 2 layers, 4 heads, 2 KV heads of 16, F 128; f32),
// one step at 8 tokens of context, batch 1. A layer has 2·64² (q, o) +
// 2·32·64 (k, v) + 3·64·128 (MLP) + 2·64 (norms) = 36992 weights; the stack
// reads 2·36992·4 = 295936 bytes, the LM head (256·64 + 64)·4 = 65792 (with
// the final norm's gain: lm-head-norm), the embedding one row of 256:
// 361984. The new token attends to 9 positions: 2 layers · 9 · 256 (K and V
// of 32 f32) = 4608 KV bytes read, 2 · 256 = 512 written. Flops: LM head
// 2·(16384 + 64) = 32896; stack 2 layers · (2·36864 matmul + 9 positions ·
// 4·4 heads·16) = 152064; 184960 in all. A stack call is 5 launches per
// layer (GPU defaults at decode: QKV with the norm as its prologue and RoPE
// + the cache write as its epilogue, fused attention, O, gate + up + SwiGLU
// with the norm, down; 16 with every fusion off) = 10 (the final norm is the
// LM head GEMV's prologue); with the LM head, argmax (2: per-block partials
// over the vocabulary, then a warp per row) and 2 data-movement launches
// (the token's commit, which writes its embedding; the stack's rows, which
// advance the cursor), 15.
// VTEXT: schedule report of @tiny_vanilla: 4300 GB/s, 790 TFLOP/s, 2.50 us per launch; weights f32, activations f32
// VTEXT: step at context 8, batch 1:
// VTEXT: (data movement) 0 0 2
// VTEXT: photon_stack_model 1 1 10
// VTEXT: total 3 3 15
// VTEXT: predicted: 0.0376 ms per step (calls 0.0001 ms + 15 launches x 2.50 us), {{[0-9.]+}} tok/s
// VTEXT: KV read per generated token: 4608 bytes (global caches 4608, local decoder caches 0)
// VTEXT-NOT: warning
// fuse-launches: a layer's 5 kernels one launch, so the stack call is 2
// launches and the step 7.
// LAUNCHES: photon_stack_model 1 1 2
// LAUNCHES: total 3 3 7
// LAUNCHES: predicted: 0.0176 ms per step (calls 0.0001 ms + 7 launches x 2.50 us), {{[0-9.]+}} tok/s
// VJSON: "steps": [
// VJSON: "context": 8,
// VJSON: "totals": {
// VJSON-NEXT: "calls": 3,
// VJSON-NEXT: "rows": 3,
// VJSON-NEXT: "launches": 15,
// VJSON-NEXT: "weight_bytes": 361984.0,
// VJSON-NEXT: "kv_read_bytes": 4608.0,
// VJSON-NEXT: "kv_write_bytes": 512.0,
// VJSON-NEXT: "other_bytes": 12136.0,
// VJSON-NEXT: "flops": 184960.0,
// VJSON: "mismatches": []

// Tiny PHOTON L=2 (C = [4, 4], R = [2, 2], 2 layers everywhere), RecGen at 32
// tokens of context: the step's latent chain runs one meta-context ahead, so
// Enc_2 advances one item at position 32/16 + 1 = 3, which attends to 4
// items: 2 layers · 4 · 256 = 2048 bytes. Dec_1 runs its 4 token chunks in
// lockstep: a prefix call of 4·2 rows (positions 0, 1: 3 items per chunk)
// and 3 rollout calls of 4 rows (positions 2, 3, 4): 4·(3 + 3 + 4 + 5) = 60
// items, 2 layers · 60 · 256 = 30720 bytes. The latent chain (Dec_2, Chunk_2,
// Enc_2) runs on a second stream beside the tokens. With
// group-stack-calls (photon-group-stack-calls) each Dec_2 call runs grouped
// with a Dec_1 call, one launch per kernel for both (the row of the pair),
// and only Chunk_2 and Enc_2 stay on the second stream: 90 launches, not 130
// (grouping keeps Dec_1's final norm in its stack, as the pipeline does).
// QUIET-NOT: schedule report
// Without photon-fuse-token-chunks a step decodes the 4 token chunks one
// after another: Dec_1 runs 16 calls of one row (with batch 1 the same 20
// rows as 4 lockstep calls), 160 launches instead of 40, and the step 317
// instead of 130; the report's calls match the lowered code's.
// SEQ: "name": "generate_recgen"
// SEQ: "steps": [
// SEQ: "launches": 317,
// SEQ: "photon_stack_decoder_1": {
// SEQ-NEXT: "calls": 16,
// SEQ-NEXT: "rows": 20,
// SEQ-NEXT: "launches": 160,
// SEQ: "mismatches": []
// GROUPED: "name": "generate_recgen"
// GROUPED: "steps": [
// GROUPED: "second_stream_s": {{4\.[0-9]+e-05}},
// GROUPED: "launches": 90,
// GROUPED: "photon_stack_decoder_2": {
// GROUPED-NEXT: "calls": 4,
// GROUPED-NEXT: "rows": 5,
// GROUPED-NEXT: "launches": 0,
// GROUPED: "photon_stack_encoder_2": {
// GROUPED-NEXT: "calls": 1,
// GROUPED-NEXT: "rows": 1,
// GROUPED-NEXT: "launches": 11,
// GROUPED-NEXT: "weight_bytes": 296192.0,
// GROUPED-NEXT: "kv_read_bytes": 2048.0,
// GROUPED: "photon_stack_decoder_1": {
// GROUPED-NEXT: "calls": 4,
// GROUPED-NEXT: "rows": 20,
// GROUPED-NEXT: "launches": 0,
// GROUPED-NEXT: "weight_bytes": 1184768.0,
// GROUPED-NEXT: "kv_read_bytes": 30720.0,
// GROUPED: "photon_stack_decoder_2+decoder_1": {
// GROUPED-NEXT: "calls": 0,
// GROUPED-NEXT: "rows": 0,
// GROUPED-NEXT: "launches": 44,
// GROUPED: "mismatches": []
// L2JSON: "name": "generate_recgen"
// L2JSON: "steps": [
// L2JSON: "second_stream_s": {{0\.000[1-9][0-9]*}},
// L2JSON: "launches": 130,
// L2JSON: "photon_stack_encoder_2": {
// L2JSON-NEXT: "calls": 1,
// L2JSON-NEXT: "rows": 1,
// L2JSON-NEXT: "launches": 11,
// L2JSON-NEXT: "weight_bytes": 296192.0,
// L2JSON-NEXT: "kv_read_bytes": 2048.0,
// L2JSON: "photon_stack_decoder_1": {
// L2JSON-NEXT: "calls": 4,
// L2JSON-NEXT: "rows": 20,
// L2JSON-NEXT: "launches": 40,
// L2JSON-NEXT: "weight_bytes": 1183744.0,
// L2JSON-NEXT: "kv_read_bytes": 30720.0,
// L2JSON-NOT: decoder_2+decoder_1
// L2JSON: "mismatches": []

// PHOTON-600M, bf16: KV bytes read per generated token against a vanilla
// model of the same 16 layers and width (218,210,304 bytes at 2048 tokens:
// 16 · 2049 · 6656). The paper's asymptotes are 16 / (4/4² + 4/16²) = 60.2x
// (HierGen) and 16 · 16² / 4 = 1024x (RecGen); local decoder caches keep
// RecGen below them at 2048 tokens. The launches are those of the default
// fusions: at decode 5 per layer (the norms are the prologue of the QKV and
// gate/up GEMVs, RoPE and the cache write the QKV GEMV's epilogue; split
// attention over caches longer than 256 positions merges its splits within
// a thread block cluster, with no second kernel: 252 launches before), at
// 1024 sequences 8
// (a norm kernel before the QKV and before the gate/up + SwiGLU tensor-core
// kernels, RoPE + cache write, attention, the output and down projections;
// more than 64 rows over a long cache take the one tiled attention kernel;
// 12 before Q, K, V and gate, up, SwiGLU were one kernel each), and the argmax over blocks of
// the vocabulary is 2 per call; a rollout copies each step's output out
// and only its first step's input in (the stack updates it in place); the
// local decoders' stack calls read row indices prefill wrote (local_rows),
// the encoders' a kernel computes before each call; the H200 runtime counted 694 and 3040
// (HierGen), 625 and 2764 (RecGen) at batch 1 and 1024 with the unfused 16
// per layer (docs/perf.md).
// RATIO: program @generate_hiergen (hiergen, 16 tokens per sequence per step)
// RATIO: step at context 2048, batch 1:
// RATIO: 244 launches
// RATIO: vanilla of 16 layers (same width, 6656 KV bytes per item and layer): 218210304 bytes; vanilla / this 58.0x (global caches only 60.0x; paper's asymptote 60.2x)
// RATIO: step at context 1048576, batch 1:
// RATIO: vanilla / this 60.2x (global caches only 60.2x; paper's asymptote 60.2x)
// RATIO: step at context 2048, batch 1024:
// RATIO: 400 launches
// RecGen's step advances Enc_L one meta-context ahead (one more item read
// at each context) and copies the next conditions into place (1 launch),
// its latent chain on a second stream. The streams overlap their launches
// but share one bandwidth: at batch 1 the step is all its calls' time.
// RATIO: program @generate_recgen (recgen, 16 tokens per sequence per step)
// RATIO: step at context 2048, batch 1:
// RATIO: predicted: [[CALLS:[0-9.]+]] ms per step (calls [[CALLS]] ms + 220 launches
// RATIO: streams: {{[0-9.]+}} ms of it on a second stream (RecGen's latent chain) beside {{[0-9.]+}} ms; the step takes the longer and 0% of the shorter, at least the calls' [[CALLS]] ms (one bandwidth)
// RATIO: vanilla / this 639.7x (global caches only 1008.7x; paper's asymptote 1024.0x)
// RATIO: step at context 1048576, batch 1:
// RATIO: vanilla / this 1022.8x (global caches only 1024.0x; paper's asymptote 1024.0x)
// RATIO: step at context 2048, batch 1024:
// RATIO: 364 launches
// RATIO-NOT: warning
// group-stack-calls: each of Dec_2's 4 calls runs
// grouped with one of Dec_1's (rows of 1 to 8), 21 launches for both, Dec_1
// keeping its final norm (no lm-head-norm: 224 launches ungrouped):
// 224 - 4 * 21 = 140; Chunk_2 and Enc_2 stay on the second stream.
// GROUPED600: program @generate_recgen (recgen, 16 tokens per sequence per step)
// GROUPED600: step at context 2048, batch 1:
// GROUPED600: photon_stack_decoder_2 4 5 0 1008.850
// GROUPED600: photon_stack_decoder_1 4 20 0 1008.850
// GROUPED600: photon_stack_decoder_2+decoder_1 0 0 84
// GROUPED600: + 140 launches
// stream-overlap=0.42: the longer stream hides 42% of the shorter's time,
// so the step is 0.5978 + 0.58 * 0.5952 = 0.9430 ms by default and
// 0.8582 + 0.58 * 0.1348 = 0.9364 ms grouped.
// OVERLAP: program @generate_recgen
// OVERLAP: step at context 2048, batch 1:
// OVERLAP: predicted: 0.9430 ms per step (calls 0.6430 ms + 220 launches
// OVERLAP: the step takes the longer and 58% of the shorter
// OVERLAPGROUPED: program @generate_recgen
// OVERLAPGROUPED: step at context 2048, batch 1:
// OVERLAPGROUPED: predicted: 0.9364 ms per step (calls 0.6430 ms + 140 launches
// fuse-launches: a decode layer is one launch where its kernels' blocks all
// have 128 threads: 1 row (CUDA-core GEMVs) and a cache of at most 256
// positions; the tensor-core GEMVs of 2..16 rows have 256 or 512, unless
// they take 4 warps and apply their norms (no norm kernel, whose blocks
// have a thread per 8 features): then every local decoder call fuses, 5 a
// stack call.
// FUSED600: program @generate_recgen
// FUSED600: step at context 2048, batch 1:
// FUSED600: 156 launches
// WARPS4: program @generate_recgen
// WARPS4: step at context 2048, batch 1:
// WARPS4: 76 launches

// Block (8 + 8 layers, C1 = 4): 16 / (8/4²) = 32x.
// BLOCK: vanilla / this 32.0x (global caches only 32.0x; paper's asymptote 32.0x)

// Vanilla-600M: 5 launches a layer (split attention's splits merge within
// their thread block cluster), the LM head (with the final norm) and
// argmax's 2, the token's commit (with its embedding) and the stack's rows.
// VANILLA600: step at context 2048, batch 1:
// VANILLA600: 85 launches
// VANILLA600: KV read per generated token: 218210304 bytes
// kernels={...} and fusions={...}: the launches of the lowering a compile
// with other options uses. The splits merged by a second kernel: 16 more;
// the splits' and argmax's last blocks combining: 1 argmax combine fewer
// (and no clusters); photon-kernel-fusion's projection fusions off, 12 a
// layer: the input norm, Q, K, V, RoPE with the cache write, split
// attention, O, the MLP norm, gate, up, SwiGLU, down (7 more).
// COMBINE: step at context 2048, batch 1:
// COMBINE: 101 launches
// LASTBLOCK: step at context 2048, batch 1:
// LASTBLOCK: 84 launches
// UNFUSED: step at context 2048, batch 1:
// UNFUSED: 197 launches
// BADFUSIONS: error: photon-schedule-report: bad fusions options 'fuse-qkv=maybe'
// BADKERNELS: error: photon-schedule-report: bad kernels options

// BADBW: error: photon-schedule-report: bandwidth and tflops must be positive and launch-us non-negative
// BADOVERLAP: error: photon-schedule-report: stream-overlap must lie in [0, 1]
// BADBATCH: error: photon-schedule-report: every batch must be at least 1, got 0
// BADPROMPT: error: photon-schedule-report: every prompt must be at least 1 token, got 0
// BADJSON: error: photon-schedule-report: cannot write '{{.*}}x.json'
// NOPLAN: error: 'photon.model' op has no memory plan: run -photon-plan-memory first
// LOWERED: error: photon-schedule-report: no photon.model: run it on a planned model, before convert-photon-programs-to-host
// UNCHANGED: module {
// UNCHANGED-NEXT: photon.model @tiny_vanilla
// UNCHANGED-NOT: func.func
// UNCHANGED-NOT: module
