//===- PhotonBase.td - The photon dialect and its base classes ------------===//
//
// The photon dialect describes a hierarchical autoregressive language model
// (vanilla L=0, Block Transformer L=1, PHOTON L>=2; ../shared/spec/model.md)
// and its generation program. See docs/dialect.md for the design.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_BASE_TD
#define PHOTON_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Photon_Dialect : Dialect {
  let name = "photon";
  let cppNamespace = "::mlir::photon";
  let summary = "Hierarchical autoregressive language models and their generation";
  let description = [{
    The `photon` dialect makes the hierarchy of a PHOTON-family model explicit:
    latent streams per level (`!photon.stream`), chunkers, causal encoder
    stacks with KV caches (`!photon.kv_cache`), converters and chunk-local
    decoders, and the generation program (prefill, HierGen and RecGen steps).
    The model configuration is one attribute (`#photon.config`); weights are
    named, typed parameters (`photon.param`) bound at run time by name.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
}

class Photon_Op<string mnemonic, list<Trait> traits = []>
    : Op<Photon_Dialect, mnemonic, traits>;
class Photon_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Photon_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}
class Photon_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Photon_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

#endif // PHOTON_BASE_TD
