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

#endif // PHOTON_ATTRS_TD
