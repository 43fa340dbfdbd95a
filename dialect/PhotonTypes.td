//===- PhotonTypes.td - photon types ---------------------------------------===//
#ifndef PHOTON_TYPES_TD
#define PHOTON_TYPES_TD

include "dialect/PhotonBase.td"

def Photon_TokensType : Photon_Type<"Tokens", "tokens"> {
  let summary = "a stream of token ids, one per position";
  let description = [{
    The level-0 stream of a sequence: token ids (i32), one item per token.
    Its length is dynamic (prompt length, or one meta-context during decode).
  }];
}

def Photon_StreamType : Photon_Type<"Stream", "stream"> {
  let summary = "a latent stream: one vector per item of a level";
  let description = [{
    The items of one level of the hierarchy. `level` is 0 for the token
    stream's embeddings, l for the level-l encoder/decoder states; each item
    is `width` wide and covers `span` tokens (C1·…·Cl), so the stream is
    `span` times shorter than the token stream. Length is dynamic.

    ```mlir
    !photon.stream<level = 1, width = 64, span = 4>
    ```
  }];
  let parameters = (ins "int64_t":$level, "int64_t":$width, "int64_t":$span);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Photon_PrefixType : Photon_Type<"Prefix", "prefix"> {
  let summary = "the converter's prefix vectors, `count` per level-l item";
  let description = [{
    For each item of a level-l stream, the R_l vectors of width D that
    condition the local decoder of the chunk below it.
  }];
  let parameters = (ins "int64_t":$level, "int64_t":$count, "int64_t":$width);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Photon_KVCacheType : Photon_Type<"KVCache", "kv_cache"> {
  let summary = "the KV cache of one causal encoder stack";
  let description = [{
    Keys and values of every layer of the encoder at `level` (0: vanilla's
    global stack), `kv_heads` heads of `head_dim` each, one entry per level
    item. Its capacity is fixed by the memory plan, its fill is dynamic.
  }];
  let parameters = (ins "int64_t":$level, "int64_t":$layers,
                        "int64_t":$kv_heads, "int64_t":$head_dim);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes per cached item for elements of `elementBytes` bytes (K and V).
    int64_t getBytesPerItem(int64_t elementBytes) const {
      return 2 * getLayers() * getKvHeads() * getHeadDim() * elementBytes;
    }
  }];
}

def Photon_LogitsType : Photon_Type<"Logits", "logits"> {
  let summary = "next-token logits, one vector of `vocab` per position";
  let parameters = (ins "int64_t":$vocab);
  let assemblyFormat = "`<` struct(params) `>`";
}

#endif // PHOTON_TYPES_TD
