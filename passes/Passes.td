//===- Passes.td - photon -> photon transformations -------------------------===//
#ifndef PHOTON_PASSES_TD
#define PHOTON_PASSES_TD

include "mlir/Pass/PassBase.td"

def PhotonPipelineLatents : Pass<"photon-pipeline-latents", "::mlir::ModuleOp"> {
  let summary = "RecGen: run the latent chain one meta-context ahead of the tokens";
  let description = [{
    A RecGen step is the latent chain of a meta-context (Dec_L..Dec_2, then
    the top level's advance) and the token chunks conditioned on it. The
    latent chain reads no token (spec §4), so the decode loop can be
    software-pipelined by one stage: each `photon.recgen_step` becomes a
    `photon.recgen_latents` and a `photon.decode_tokens` of its conditions,
    the first meta-context's latents move in front of the loop, and the
    loop carries the conditions of the meta-context it decodes:

    ```mlir
    %out = photon.decode_loop(%t = %top, %c = %kv) : !s2, !kv2 {
      %tok, %t2, %c2 = photon.recgen_step %t cache(%c) : !s2, !kv2
      photon.yield %tok, %t2, %c2 : !photon.tokens, !s2, !kv2
    }
    ```
    becomes
    ```mlir
    %cond0, %t1, %c1 = photon.recgen_latents %top cache(%kv) : (!s2, !kv2) -> (!s1, !s2, !kv2)
    %out = photon.decode_loop(%cond = %cond0, %t = %t1, %c = %c1) : !s1, !s2, !kv2 {
      %tok = photon.decode_tokens %cond : !s1
      %cond2, %t2, %c2 = photon.recgen_latents %t cache(%c) : (!s2, !kv2) -> (!s1, !s2, !kv2)
      photon.yield %tok, %cond2, %t2, %c2 : !photon.tokens, !s1, !s2, !kv2
    }
    ```
    A step's tokens and the next meta-context's latents then share no
    value: the compiled step runs them side by side (on the GPU, on two
    streams), and the compiled prefill decodes the first step's latents.
    `photon-plan-memory` plans for the form it finds (Enc_L's cache holds one
    meta-context more; the latent chain gets its own scratch). HierGen
    programs, whose latents read the tokens, are left as they are.
  }];
}

def PhotonFuseTokenChunks : Pass<"photon-fuse-token-chunks", "::mlir::ModuleOp"> {
  let summary = "Decode a meta-context's token chunks as rows of one Dec_1 call each";
  let description = [{
    The B/C_1 token chunks of a meta-context depend on each other only
    through their conditions (spec §4), never through tokens. Without this
    pass a step decodes them one after another: per chunk converter_1, Dec_1
    over its prefix, and per token the LM head, the choice and a one-row
    Dec_1 call. The pass marks every step (`photon.recgen_step`,
    `photon.hiergen_step`, `photon.decode_tokens`) `lockstep`: the chunks
    then decode together, each call taking one row per chunk of every
    sequence, B/C_1 times fewer calls.

    ```mlir
    %tok, %t2, %c2 = photon.recgen_step %t cache(%c) : !s2, !kv2
    ```
    becomes
    ```mlir
    %tok, %t2, %c2 = photon.recgen_step %t cache(%c) {lockstep} : !s2, !kv2
    ```
    Vanilla models, whose step is one token, are left as they are.
  }];
}

def PhotonPlanMemory : Pass<"photon-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Plan weight, KV-cache and coarse-state memory of each model";
  let description = [{
    Places every weight in one arena (declaring the `photon.param`s a model
    leaves implicit), records each weight's element offset (the param's
    `offset`), and attaches a typed `#photon.memory_plan` to the model:
    the arena size, the activation type (`activation-type=bf16` halves the KV
    caches), a fingerprint, and the KV bytes per item of each level.

    Every `photon.program` gets a `#photon.state_plan`: the regions of the
    state arena its compiled prefill and step share (KV caches, coarse state,
    carries, token history, decoder caches and scratch), each sized as
    fixed + per sequence x batch (+ per step where it grows), and the
    analytic bytes of spec §4 to compare with. `report=1` prints both.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Print the memory plan of every model to stderr">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Alignment of every weight in the arena, in elements">,
    Option<"prefillTile", "prefill-tile", "int64_t", "16",
           "Sequences one prefill call encodes (sizes the prefill scratch)">,
    Option<"decodeTile", "decode-tile", "int64_t", "1024",
           "Sequences a decode step processes together (sizes the decoder "
           "caches and rows of one tile)">,
    Option<"maxRows", "max-rows", "int64_t", "4096",
           "Rows of one stack call (sizes the stack scratch)">,
    Option<"reportTokens", "report-tokens", "int64_t", "2176",
           "With report: the tokens per sequence (prompt + generated) the "
           "per-sequence bytes are given for">,
    Option<"activationType", "activation-type", "::mlir::photon::ActivationType",
           "::mlir::photon::ActivationType::F32",
           "Element type of activations kept between kernels (the residual "
           "stream, KV caches, latents); kernels accumulate in f32",
           [{::mlir::photon::activationTypeValues()}]>,
  ];
}

def PhotonScheduleReport : Pass<"photon-schedule-report", "::mlir::ModuleOp"> {
  let summary = "Predict the memory traffic, flops, launches and time of each "
                "program's prefill and decode step";
  let description = [{
    An analysis of a memory-planned model (run photon-plan-memory first); the
    IR is left unchanged. For every `photon.program` it models the kernel
    calls of the compiled prefill and step as convert-photon-programs-to-host
    schedules them (decode tiles, max-rows chunks of stack calls, Dec_l
    rollouts, the token chunks of a meta-context in lockstep or one after
    another, HierGen's re-encoding or RecGen's Enc_L step) and gives each
    call its bytes
    (weights read, KV entries read and written, other activations, an
    estimate) and flops. A call takes max(bytes / bandwidth, flops / rate);
    the step adds launches x the launch overhead. The launches are counted
    in the lowered program itself: the pass lowers a copy of the model for
    the GPU (convert-photon-to-photon-kernel, convert-photon-kernel-to-gpu,
    convert-photon-programs-to-host) and walks
    `photon_step_<program>` and `photon_prefill_<program>` with the batch
    known, through loops, tiles and kernel calls; `fusions={...}` sets the
    options of photon-kernel-fusion and `kernels={...}` those of the GPU
    conversion (photon-compile passes its own), so two schedules of one
    model (fusions on and off) can be compared.

    It also prints the KV and coarse-state bytes per sequence (the state
    plan) and the KV bytes read per generated token against a vanilla model
    of the same layer count and width, with the paper's asymptotic ratio.
    The report goes to stderr; `json=<path>` also writes it as JSON (what
    photon-compile --schedule-report stores next to an artifact, for
    bench/bench.py). docs/scheduling.md explains the formulas.
  }];
  let options = [
    Option<"bandwidthGBs", "bandwidth", "double", "4300.0",
           "Memory bandwidth of the target, GB/s (default: the H200's measured "
           "copy bandwidth, docs/perf.md)">,
    Option<"matrixTflops", "tflops", "double", "790.0",
           "Matrix rate of the target, TFLOP/s (default: the H200's dense "
           "bf16 tensor-core rate)">,
    Option<"launchUs", "launch-us", "double", "2.5",
           "Cost of one kernel launch inside a CUDA graph, microseconds">,
    Option<"streamOverlap", "stream-overlap", "double", "1.0",
           "Of a step's two streams, the fraction of the shorter one's time "
           "the longer one hides (1: all of it; the H200's lookahead "
           "measurement gives about 0.4, docs/scheduling.md)">,
    ListOption<"batches", "batch", "int64_t",
               "Sequences decoded together (a list reports each; default 1)">,
    ListOption<"contexts", "context", "int64_t",
               "Tokens already in the caches when the step runs (a list "
               "reports each; default 2048)">,
    ListOption<"prompts", "prompt", "int64_t",
               "Prompt tokens of the reported prefill (a list reports each; "
               "default 2048)">,
    Option<"tensorCoreMinRows", "tensor-core-min-rows", "int64_t", "16",
           "As for convert-photon-kernel-to-gpu: the lowering whose launches are counted">,
    Option<"kernelOptions", "kernels", "std::string", "\"\"",
           "More options of that lowering (convert-photon-kernel-to-gpu), "
           "so that the launches are those of the compile being studied, e.g. "
           "kernels={fuse-attention=false fuse-attention-combine=true}">,
    Option<"fusionOptions", "fusions", "std::string", "\"\"",
           "Options of photon-kernel-fusion in that lowering, e.g. "
           "fusions={fuse-qkv=false}">,
    Option<"lmHeadNorm", "lm-head-norm", "bool", "true",
           "That lowering's convert-photon-to-photon-kernel option: the final "
           "norm of the LM head's stack in the LM head (not with "
           "group-stack-calls, as in the pipeline)">,
    Option<"groupStackCalls", "group-stack-calls", "bool", "false",
           "That lowering runs photon-group-stack-calls (RecGen: the latent "
           "chain's and the tokens' stack calls of one shape as one launch per kernel)">,
    Option<"jsonPath", "json", "std::string", "\"\"",
           "Also write the report as JSON to this file">,
    Option<"print", "print", "bool", "true",
           "Print the report to stderr">,
  ];
  let dependentDialects = [
    "::mlir::photon::kernel::PhotonKernelDialect", "::mlir::gpu::GPUDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def PhotonKernelFusion : Pass<"photon-kernel-fusion", "::mlir::ModuleOp"> {
  let summary = "Fuse photon_kernel ops into the projections that consume them";
  let description = [{
    Rewrites the kernel-level IR that convert-photon-to-photon-kernel builds
    (one op per step of a layer: `rms_norm`, a `matmul` per projection,
    `rope_cache`, `swiglu`, `residual_add`, `bias_add`) into fused ops, one pattern per fusion, each
    behind its option so that schedules can be compared:

    - `fuse-qkv`: three `matmul`s of one input whose outputs a
      `rope_cache` reads (Q, K, V) become one `photon_kernel.qkv`;
    - `fuse-rope-cache`: that `rope_cache` becomes the `qkv`'s epilogue;
    - `fuse-gate-up`: the gate and up `matmul`s, their `swiglu` and the down
      `matmul` that adds its output to the residual become one
      `photon_kernel.mlp` (gate and up one projection, SwiGLU its epilogue);
    - `fuse-residual`: a `residual_add` becomes the epilogue of the
      `matmul` before it that writes its source (it accumulates into the
      rows); an `mlp` takes the one after its down projection in any case;
    - `fuse-bias`: a `bias_add` becomes the epilogue of the `matmul` before
      it;
    - `fuse-norm`: an `rms_norm` whose rows a `qkv` or an `mlp` right after
      it reads becomes that op's prologue. The normed rows must be that
      op's alone (as convert-photon-to-photon-kernel builds them): the
      fused op leaves them unwritten where its kernels fuse the norm.

    Fusion only joins ops next to each other in a block, and only where the
    fused op's operands say exactly what the separate ops did; the GPU and
    host conversions lower fused and separate ops alike. The rows that pass
    between the joined ops (normed rows, a projection's output before its
    residual or bias add) must be theirs alone, as
    convert-photon-to-photon-kernel builds them: the fused op may leave
    them unwritten.
  }];
  let options = [
    Option<"fuseQkv", "fuse-qkv", "bool", "true",
           "Q, K and V as one projection (photon_kernel.qkv)">,
    Option<"fuseRopeCache", "fuse-rope-cache", "bool", "true",
           "RoPE and the K/V cache write as the qkv's epilogue (with fuse-qkv: "
           "without it there is no qkv)">,
    Option<"fuseGateUp", "fuse-gate-up", "bool", "true",
           "gate and up as one projection with SwiGLU in its epilogue, and the "
           "down projection after it (photon_kernel.mlp)">,
    Option<"fuseNorm", "fuse-norm", "bool", "true",
           "RMSNorm as the prologue of the qkv or mlp that reads its rows">,
    Option<"fuseResidual", "fuse-residual", "bool", "true",
           "a residual add as the epilogue of the projection before it (the "
           "matmul accumulates into the rows)">,
    Option<"fuseBias", "fuse-bias", "bool", "true",
           "a bias add as the epilogue of the projection before it">,
  ];
}

#endif // PHOTON_PASSES_TD
