//===- PhotonOps.td - photon operations ------------------------------------===//
#ifndef PHOTON_OPS_TD
#define PHOTON_OPS_TD

include "dialect/PhotonBase.td"
include "dialect/PhotonAttrs.td"
include "dialect/PhotonTypes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Model structure
//===----------------------------------------------------------------------===//

def Photon_ModelOp : Photon_Op<"model", [IsolatedFromAbove, SymbolTable, Symbol,
    NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "one model of the family: configuration, weights, programs";
  let description = [{
    Holds the configuration (`config`), the weight parameters, the
    teacher-forced forward graph and the generation programs of one model.
    `photon-plan-memory` adds `memory_plan` (the weight arena and element
    types) and places every `photon.param` in the arena (its `offset`).
    The configuration implies the full list of weights (spec §5); `photon.param`
    ops declare their element types, and the verifier checks each one's name
    and shape against that list, and with a plan that the weights lie inside
    the arena without overlapping.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, Photon_ConfigAttr:$config,
                       OptionalAttr<Photon_MemoryPlanAttr>:$memory_plan);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::photon::ModelConfig getModelConfig() { return getConfig().getModelConfig(); }
    /// With a memory plan: every weight placed, inside the arena, no two
    /// overlapping; without one: no weight placed.
    ::llvm::LogicalResult verifyWeightPlacement();
  }];
}

def Photon_ParamOp : Photon_Op<"param", [Symbol, HasParent<"ModelOp">]> {
  let summary = "a named weight tensor, bound at run time";
  let description = [{
    A weight of the model, named as in the checkpoint (spec §5), e.g.
    `photon.param @"encoder.1.layers.0.self_attn.q_proj.weight" : tensor<64x64xf32>`.
    The element type (f32, bf16 or f16) is the type the compiled code reads.
    `photon-plan-memory` places it in the model's weight arena: `offset` is
    its first element there. A model with a `memory_plan` has an offset on
    every weight, each inside the arena and none overlapping another; a
    model without one has none.

    ```mlir
    photon.param @"model.norm.weight" : tensor<64xbf16> offset 53248
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyRankedTensor>:$type,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$offset);
  let assemblyFormat = "$sym_name `:` $type (`offset` $offset^)? attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
  }];
}

def Photon_GraphOp : Photon_Op<"graph", [Symbol, HasParent<"ModelOp">,
    SingleBlock]> {
  let summary = "the teacher-forced forward graph: tokens to logits";
  let description = [{
    The full forward of spec §3 over one token sequence. The block argument is
    the token stream; the terminator yields the logits. A hierarchical model's
    graph must have an encoder and a local decoder at every level.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

def Photon_ProgramOp : Photon_Op<"program", [Symbol, HasParent<"ModelOp">,
    SingleBlock]> {
  let summary = "a generation program: prefill then a decode loop";
  let description = [{
    Generation from a prompt (spec §4). The block argument is the prompt; the
    body allocates the encoder KV caches, runs `photon.prefill`, and a
    `photon.decode_loop` whose step is `photon.hiergen_step` (mode `hiergen`)
    or `photon.recgen_step` (mode `recgen`, which needs L >= 2). A `recgen`
    program may instead run its latent chain a meta-context ahead (the form
    `photon-pipeline-latents` writes): a `photon.recgen_latents` after the
    prefill, and a loop that carries its conditions, decodes their tokens
    (`photon.decode_tokens`) and runs the next `photon.recgen_latents`.

    `photon-plan-memory` attaches the `state_plan` of the program: the state
    arena its compiled prefill and step share. `convert-photon-programs-to-host` turns
    the program into those two host entry points.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       Photon_GenerationModeAttr:$mode,
                       OptionalAttr<Photon_StatePlanAttr>:$state_plan);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `mode` $mode attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The host entry points the program lowers to (convert-photon-programs-to-host).
    std::string getPrefillSymbol() { return "photon_prefill_" + getSymName().str(); }
    std::string getStepSymbol() { return "photon_step_" + getSymName().str(); }
    /// The C symbol of an entry point (`llvm.emit_c_interface`).
    static std::string cInterfaceName(::llvm::StringRef symbol) {
      return "_mlir_ciface_" + symbol.str();
    }
    /// The latent chain runs a meta-context ahead of the tokens: the
    /// program is in photon-pipeline-latents' form.
    bool runsLatentsAhead();
    /// The token chunks of a meta-context decode as rows of each Dec_1 call
    /// (the step's `lockstep`, photon-fuse-token-chunks).
    bool decodesChunksInLockstep();
  }];
}

def Photon_YieldOp : Photon_Op<"yield", [Pure, Terminator,
    ParentOneOf<["GraphOp", "ProgramOp", "DecodeLoopOp"]>]> {
  let summary = "terminates a graph, program or decode-loop body";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` qualified(type($values)))?";
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, {}); }]>];
}

//===----------------------------------------------------------------------===//
// Forward graph: the building blocks of spec §2-3
//===----------------------------------------------------------------------===//

class Photon_LevelOp<string mnemonic, list<Trait> traits = []>
    : Photon_Op<mnemonic, !listconcat(traits, [Pure])> {
  let hasVerifier = 1;
}

def Photon_EmbedOp : Photon_LevelOp<"embed"> {
  let summary = "token embedding lookup";
  let description = [{
    Looks up each token in the embedding table `table`, a reference to the
    model's `photon.param` of that name: `@enc_embed.weight` (the encoder's
    D0-wide embedding), `@dec_embed.weight` (the token decoder's D-wide
    embedding) or, for vanilla, `@model.embed_tokens.weight`. (Parameters a
    model leaves implicit are declared by photon-plan-memory.)
  }];
  let arguments = (ins Photon_TokensType:$tokens, FlatSymbolRefAttr:$table);
  let results = (outs Photon_StreamType:$result);
  let assemblyFormat = "$tokens `table` $table attr-dict `:` qualified(type($result))";
}

def Photon_ChunkOp : Photon_LevelOp<"chunk"> {
  let summary = "the level-l chunker: C_l items of level l-1 into one of level l";
  let description = [{
    Level 1 with the `concat` chunker concatenates C1 embeddings; otherwise
    `A = Wp · RMSNorm(concat(x_1..x_C)) + bp` with weights `chunker.<l>.*`.
    Only complete chunks are produced.
  }];
  let arguments = (ins Photon_StreamType:$input, I64Attr:$level);
  let results = (outs Photon_StreamType:$result);
  let assemblyFormat =
      "$input `level` $level attr-dict `:` qualified(type($input)) `->` qualified(type($result))";
}

def Photon_EncoderOp : Photon_LevelOp<"encoder",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "a causal encoder stack over one level's stream";
  let description = [{
    The causal LLaMA stack `encoder.<l>` (level 0: vanilla's global stack
    `model`), RoPE position of item g is g-1. With a KV cache operand the
    stack attends to the cached items first and appends the new ones; the
    updated cache is the second result.
  }];
  let arguments = (ins Photon_StreamType:$input, I64Attr:$level,
                       Optional<Photon_KVCacheType>:$cache);
  let results = (outs Photon_StreamType:$result,
                      Optional<Photon_KVCacheType>:$updated_cache);
  let assemblyFormat = [{
    $input `level` $level (`cache` `(` $cache^ `:` qualified(type($cache)) `)`)? attr-dict
    `:` qualified(type($input))
  }];
}

def Photon_ShiftOp : Photon_LevelOp<"shift", [AllTypesMatch<["input", "result"]>]> {
  let summary = "shift a level's stream by one item, inserting the start latent";
  let description = [{
    Item k of the result is item k-1 of the input and item 1 is the learned
    start latent `start_latent.<l>`. This one-item shift is what makes the
    hierarchical model causal: the tokens of chunk k are decoded from the
    level-l state of chunk k-1.
  }];
  let arguments = (ins Photon_StreamType:$input, I64Attr:$level);
  let results = (outs Photon_StreamType:$result);
  let assemblyFormat = "$input `level` $level attr-dict `:` qualified(type($input))";
}

def Photon_ConverterOp : Photon_LevelOp<"converter"> {
  let summary = "one level-l latent to R_l prefix vectors";
  let description = [{
    `U = reshape(Wc·x + bc, [R_l, D])` with weights `converter.<l>.*`.
  }];
  let arguments = (ins Photon_StreamType:$input, I64Attr:$level);
  let results = (outs Photon_PrefixType:$result);
  let assemblyFormat =
      "$input `level` $level attr-dict `:` qualified(type($input)) `->` qualified(type($result))";
}

def Photon_LocalDecoderOp : Photon_LevelOp<"local_decoder"> {
  let summary = "the chunk-local decoder of level l";
  let description = [{
    Runs `decoder.<l>` causally over `[U_1..U_R, y_1..y_(C-1)]` per chunk and
    returns the C outputs of each chunk: items of level l-1. At level 1 the
    inputs y are the token decoder's embeddings (`inputs` operand, teacher
    forced); at levels >= 2 they are the decoder's own outputs (a rollout),
    so there is no `inputs` operand.
  }];
  let arguments = (ins Photon_PrefixType:$prefix, I64Attr:$level,
                       Optional<Photon_StreamType>:$inputs);
  let results = (outs Photon_StreamType:$result);
  let assemblyFormat = [{
    $prefix (`inputs` `(` $inputs^ `:` qualified(type($inputs)) `)`)? `level` $level
    attr-dict `:` qualified(type($prefix)) `->` qualified(type($result))
  }];
}

def Photon_LMHeadOp : Photon_LevelOp<"lm_head"> {
  let summary = "the LM head: token-level states to logits";
  let arguments = (ins Photon_StreamType:$input);
  let results = (outs Photon_LogitsType:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` qualified(type($result))";
}

def Photon_SampleOp : Photon_Op<"sample"> {
  let summary = "choose one token per position from its logits";
  let description = [{
    Greedy (argmax, ties to the lowest id) unless the runtime's sampling
    parameters say otherwise (temperature, top-k, top-p, seed).
  }];
  let arguments = (ins Photon_LogitsType:$logits);
  let results = (outs Photon_TokensType:$tokens);
  let assemblyFormat = "$logits attr-dict `:` qualified(type($logits))";
}

//===----------------------------------------------------------------------===//
// Generation program (spec §4)
//===----------------------------------------------------------------------===//

def Photon_KVAllocOp : Photon_Op<"kv_alloc"> {
  let summary = "an empty KV cache for one encoder stack";
  let arguments = (ins);
  let results = (outs Photon_KVCacheType:$cache);
  let assemblyFormat = "attr-dict `:` qualified(type($cache))";
  let hasVerifier = 1;
}

def Photon_PrefillOp : Photon_Op<"prefill"> {
  let summary = "encode the prompt bottom-up into the encoder caches";
  let description = [{
    Encodes the prompt's complete chunks at every level (its caches, bottom
    first), and returns the top-level encoder stream (vanilla: the token
    stream's final states) together with the updated caches. It also computes
    the decoder-side carries the next meta-context needs (spec §4).
  }];
  let arguments = (ins Photon_TokensType:$prompt,
                       Variadic<Photon_KVCacheType>:$caches);
  let results = (outs Photon_StreamType:$top,
                      Variadic<Photon_KVCacheType>:$updated_caches);
  let assemblyFormat = [{
    $prompt `caches` `(` $caches `)` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Photon_HierGenStepOp : Photon_Op<"hiergen_step",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "decode one meta-context, then re-encode its tokens (exact)";
  let description = [{
    Decodes the next meta-context (B tokens; vanilla: one token) top-down from
    the top state, samples its tokens (prompt tokens inside it are forced),
    then encodes them bottom-up through every level, advancing every cache.
    With `lockstep` (photon-fuse-token-chunks) the meta-context's B/C_1 token
    chunks decode as rows of each Dec_1 call; without, one after another.
  }];
  let arguments = (ins Photon_StreamType:$top,
                       Variadic<Photon_KVCacheType>:$caches, UnitAttr:$lockstep);
  let results = (outs Photon_TokensType:$tokens, Photon_StreamType:$next_top,
                      Variadic<Photon_KVCacheType>:$updated_caches);
  let assemblyFormat = [{
    $top `caches` `(` $caches `)` attr-dict `:` qualified(type($top)) `,` qualified(type($caches))
  }];
  let hasVerifier = 1;
}

def Photon_RecGenStepOp : Photon_Op<"recgen_step",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "decode one meta-context; advance the top level from latents";
  let description = [{
    Recursive generation: decodes the next meta-context top-down, then forms
    the next top state from the decoder's own level-(L-1) outputs,
    `X^L = Enc_L-step(Chunk_L(X̂^{L-1}))`. Only the top encoder's cache is
    kept; sampled tokens never feed back into the latents. `lockstep`: as
    for `photon.hiergen_step`.
  }];
  let arguments = (ins Photon_StreamType:$top, Photon_KVCacheType:$cache, UnitAttr:$lockstep);
  let results = (outs Photon_TokensType:$tokens, Photon_StreamType:$next_top,
                      Photon_KVCacheType:$updated_cache);
  let assemblyFormat = [{
    $top `cache` `(` $cache `)` attr-dict `:` qualified(type($top)) `,` qualified(type($cache))
  }];
  let hasVerifier = 1;
}

def Photon_RecGenLatentsOp : Photon_Op<"recgen_latents"> {
  let summary = "RecGen's latent chain of one meta-context";
  let description = [{
    The part of `photon.recgen_step` that reads no token (spec §4): Dec_L..Dec_2
    roll out the next meta-context conditioned on `top` (X^L of the one
    before), giving one level-1 latent per token chunk (`conditions`, the
    input of `photon.decode_tokens`); its level-(L-1) latents then advance the
    top level, `X^L = Enc_L-step(Chunk_L(X̂^{L-1}))`.

    `photon-pipeline-latents` splits each `recgen_step` into this op and
    `photon.decode_tokens`, and carries the conditions through the decode
    loop so that the latent chain runs one meta-context ahead of the tokens.

    ```mlir
    %cond, %next, %kv2 = photon.recgen_latents %top cache(%kv)
        : (!s2, !kv2) -> (!s1, !s2, !kv2)
    ```
  }];
  let arguments = (ins Photon_StreamType:$top, Photon_KVCacheType:$cache);
  let results = (outs Photon_StreamType:$conditions, Photon_StreamType:$next_top,
                      Photon_KVCacheType:$updated_cache);
  let assemblyFormat = [{
    $top `cache` `(` $cache `)` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Photon_DecodeTokensOp : Photon_Op<"decode_tokens",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "a meta-context's token chunks from their conditions";
  let description = [{
    Decodes the B/C_1 token chunks of one meta-context, each from its level-1
    latent: converter_1's prefix, then C_1 tokens through Dec_1 (prompt tokens
    inside the meta-context are forced). The chunks depend on each other only
    through their conditions (spec §4): with `lockstep`
    (photon-fuse-token-chunks) they decode together, every Dec_1 call taking
    one row per chunk of every sequence; without, one chunk after another.

    ```mlir
    %tokens = photon.decode_tokens %cond {lockstep} : !photon.stream<level = 1, width = 8, span = 2>
    ```
  }];
  let arguments = (ins Photon_StreamType:$conditions, UnitAttr:$lockstep);
  let results = (outs Photon_TokensType:$tokens);
  let assemblyFormat = "$conditions attr-dict `:` qualified(type($conditions))";
  let hasVerifier = 1;
}

def Photon_DecodeLoopOp : Photon_Op<"decode_loop", [
    SingleBlock, RecursiveMemoryEffects]> {
  let summary = "repeat a generation step until enough tokens are produced";
  let description = [{
    The body receives the loop-carried state (top stream, caches) and yields
    the tokens of one step followed by the next state. The result is every
    generated token. The number of steps is a run-time choice
    (`--max-new-tokens`).

    ```mlir
    %out = photon.decode_loop(%top = %t, %kv = %c) : !s, !kv {
      %tok, %t2, %kv2 = photon.recgen_step %top cache(%kv) : !s, !kv
      photon.yield %tok, %t2, %kv2 : !photon.tokens, !s, !kv
    }
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$inits);
  let results = (outs Photon_TokensType:$tokens);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins "::mlir::ValueRange":$inits)>];
}

#endif // PHOTON_OPS_TD
