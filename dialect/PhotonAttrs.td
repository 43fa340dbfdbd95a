//===- PhotonAttrs.td - photon enums and the model configuration ----------===//
#ifndef PHOTON_ATTRS_TD
#define PHOTON_ATTRS_TD

include "dialect/PhotonBase.td"

def Photon_Architecture : I32EnumAttr<"Architecture", "model architecture", [
    I32EnumAttrCase<"vanilla", 0>, I32EnumAttrCase<"block", 1>,
    I32EnumAttrCase<"photon", 2>]> {
  let cppNamespace = "::mlir::photon";
  let genSpecializedAttr = 0;
}

def Photon_ChunkerType : I32EnumAttr<"ChunkerType", "level-1 chunker", [
    I32EnumAttrCase<"concat", 0>, I32EnumAttrCase<"linear", 1>]> {
  let cppNamespace = "::mlir::photon";
  let genSpecializedAttr = 0;
}

def Photon_GenerationModeAttr : I32EnumAttr<"GenerationMode", "generation mode", [
    I32EnumAttrCase<"hiergen", 0>, I32EnumAttrCase<"recgen", 1>]> {
  let cppNamespace = "::mlir::photon";
}

// A bracketed list of integers, `[4, 4]`; empty (and omitted) for vanilla.
class Photon_IntListParam<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = "::mlir::photon::parseIntList($_parser)";
  let printer = "::mlir::photon::printIntList($_printer, $_self)";
}

// An f64 value, printed so that it round-trips exactly.
class Photon_F64Param<string desc> : APFloatParameter<desc> {
  let parser = "::mlir::photon::parseF64($_parser)";
  let printer = "::mlir::photon::printF64($_printer, $_self)";
}

def Photon_ConfigAttr : Photon_Attr<"Config", "config"> {
  let summary = "the configuration of one model of the family (spec §1)";
  let description = [{
    Every field of the spec's configuration, under the spec's names. The
    per-level lists are bottom first and have L entries (none for vanilla).
    The verifier rejects every inconsistency and names the field.

    ```mlir
    #photon.config<model_type = photon, vocab_size = 256, d_model = 64,
      d_embed = 16, chunk_sizes = [4, 4], prefix_lengths = [2, 2],
      encoder_layers = [1, 1], decoder_layers = [1, 1], n_heads = 4,
      n_kv_heads = 2, ffn_dim = 128, rope_theta = 10000.0,
      rms_norm_eps = 1.0e-05, level1_chunker = concat>
    ```
  }];
  let parameters = (ins
    EnumParameter<Photon_Architecture>:$model_type,
    "int64_t":$vocab_size,
    "int64_t":$d_model,
    DefaultValuedParameter<"int64_t", "0">:$d_embed,
    Photon_IntListParam<"chunk length per level">:$chunk_sizes,
    Photon_IntListParam<"converter prefix vectors per level">:$prefix_lengths,
    Photon_IntListParam<"encoder layers per level">:$encoder_layers,
    Photon_IntListParam<"decoder layers per level">:$decoder_layers,
    DefaultValuedParameter<"int64_t", "0">:$layers,
    "int64_t":$n_heads,
    "int64_t":$n_kv_heads,
    "int64_t":$ffn_dim,
    Photon_F64Param<"RoPE base">:$rope_theta,
    Photon_F64Param<"RMSNorm epsilon">:$rms_norm_eps,
    DefaultValuedParameter<"::mlir::photon::ChunkerType",
        "::mlir::photon::ChunkerType::concat">:$level1_chunker,
    DefaultValuedParameter<"bool", "false">:$tie_word_embeddings
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The plain-C++ view shared with the runtime.
    ::photon::ModelConfig getModelConfig() const;
    static ConfigAttr get(::mlir::MLIRContext *ctx,
                          const ::photon::ModelConfig &config);
    int64_t getNumLevels() const { return getChunkSizes().size(); }
  }];
}


//===----------------------------------------------------------------------===//
// Memory plan (photon-plan-memory)
//===----------------------------------------------------------------------===//

def Photon_MemoryPlanAttr : Photon_Attr<"MemoryPlan", "memory_plan"> {
  let summary = "the weight arena and the element types of a planned model";
  let description = [{
    Written by `photon-plan-memory` on a `photon.model`. Every weight lives in
    one arena of `weight_elements` elements of the weights' element type (each
    `photon.param` records its offset); activations kept between kernels (the
    residual stream, KV caches, latents) have `activation_type`. The
    fingerprint (FNV-1a over config, types and placement) ties a kernel
    library to its manifest. `kv_bytes_per_item` (by level, bottom first; one
    entry for vanilla) and `coarse_state_bytes` are the analytic quantities of
    spec §4 that reports compare the programs' state plans with.

    ```mlir
    #photon.memory_plan<activation_type = bf16, weight_elements = 1024,
      weight_bytes = 2048, fingerprint = 42, kv_bytes_per_item = [256, 256],
      coarse_state_bytes = 128>
    ```
  }];
  let parameters = (ins
    "::mlir::Type":$activation_type,
    "int64_t":$weight_elements,
    "int64_t":$weight_bytes,
    "int64_t":$fingerprint,
    Photon_IntListParam<"KV-cache bytes per item, by level">:$kv_bytes_per_item,
    "int64_t":$coarse_state_bytes
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Photon_StateRegionAttr : Photon_Attr<"StateRegion", "region"> {
  let summary = "one region of a generation program's state arena";
  let description = [{
    A named buffer of the state arena that a compiled program's prefill and
    step share (model/StatePlan.h). Its size in bytes is
    `fixed + n*per_seq + steps*(fixed_per_step + n*per_step)`, with `n` the
    batch (or `min(batch, tile)` for a region that serves one tile of
    sequences at a time) and `steps` the decode steps the caches hold.

    ```mlir
    #photon.region<name = "enc.2.k", per_step = 26624>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"region name">:$name,
    DefaultValuedParameter<"int64_t", "0">:$tile,
    DefaultValuedParameter<"int64_t", "0">:$fixed,
    DefaultValuedParameter<"int64_t", "0">:$per_seq,
    DefaultValuedParameter<"int64_t", "0">:$fixed_per_step,
    DefaultValuedParameter<"int64_t", "0">:$per_step
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::photon::StateRegion getStateRegion() const;
  }];
}

// A bracketed list of regions in their short form, `[<name = "a">, ...]`.
def Photon_RegionListParam
    : ArrayRefParameter<"::mlir::photon::StateRegionAttr", "regions"> {
  let parser = "::mlir::photon::parseRegionList($_parser)";
  let printer = "::mlir::photon::printRegionList($_printer, $_self)";
}

def Photon_StatePlanAttr : Photon_Attr<"StatePlan", "state_plan"> {
  let summary = "the state arena of one compiled generation program";
  let description = [{
    Written by `photon-plan-memory` on every `photon.program`: the regions of
    the state arena its lowered `prefill` and `step` use, in layout order,
    with the schedule constants they were sized for: tokens per step (a
    meta-context; 1 for vanilla), the sequences one prefill call takes, the
    sequences one decode tile holds, and the rows of one stack call. The
    analytic bytes per sequence of spec §4 (KV of the caches the program
    keeps, plus its coarse state) are `analytic_per_seq +
    ceil(tokens/tokens_per_step) * analytic_per_step`.
  }];
  let parameters = (ins
    "int64_t":$tokens_per_step,
    "int64_t":$prefill_tile,
    "int64_t":$decode_tile,
    "int64_t":$max_rows,
    "int64_t":$analytic_per_seq,
    "int64_t":$analytic_per_step,
    Photon_RegionListParam:$regions
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The region called `name`, or null.
    StateRegionAttr lookup(::llvm::StringRef name) const;
    std::vector<::photon::StateRegion> getStateRegions() const;
  }];
}

#endif // PHOTON_ATTRS_TD
