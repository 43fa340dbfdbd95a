//===- PlanMemory.cpp - Plan weight, KV-cache and coarse-state memory -----===//

#include "dialect/PhotonOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::photon {
#define GEN_PASS_DEF_PHOTONPLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::photon

namespace mlir::photon {
namespace {
struct PlanMemory : impl::PhotonPlanMemoryBase<PlanMemory> {
  using Base::Base;

  void runOnOperation() override {
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (failed(plan(model)))
        return signalPassFailure();
  }

  LogicalResult plan(ModelOp model) {
    if (alignment <= 0)
      return model.emitError("photon-plan-memory: alignment must be positive");
    if (activationType != "f32" && activationType != "bf16")
      return model.emitError("photon-plan-memory: activation-type must be f32 "
                             "or bf16, got '")
             << activationType << "'";
    ::photon::ModelConfig c = model.getModelConfig();
    OpBuilder b(model.getContext());
    Block &body = model.getBody().front();

    // Declare the weights the model leaves implicit (f32), in spec order.
    // The element type is the first declared weight's (f32 if none): a
    // mismatch is then reported against the declaration order.
    llvm::StringMap<ParamOp> params;
    Type elementType;
    for (ParamOp p : body.getOps<ParamOp>()) {
      params[p.getSymName()] = p;
      if (!elementType)
        elementType = p.getTensorType().getElementType();
    }
    if (!elementType)
      elementType = b.getF32Type();
    b.setInsertionPointToStart(&body);
    for (const ::photon::TensorSpec &w : c.weights())
      if (!params.count(w.name))
        params[w.name] = ParamOp::create(
            b, model.getLoc(), b.getStringAttr(w.name),
            TypeAttr::get(RankedTensorType::get(w.shape, elementType)));

    // One arena, one element type: the kernels index it with constants. The
    // fingerprint (FNV-1a over config, types and placement) lets the runtime
    // check that a kernel library and a manifest come from the same plan.
    std::string identity;
    llvm::raw_string_ostream id(identity);
    id << model.getConfig() << ';' << elementType << ';' << activationType;
    int64_t offset = 0;
    for (const ::photon::TensorSpec &w : c.weights()) {
      ParamOp p = params[w.name];
      if (p.getTensorType().getElementType() != elementType)
        return p.emitOpError("all weights of a model must share one element "
                             "type, found ")
               << p.getTensorType().getElementType() << " and " << elementType;
      offset = llvm::alignTo(offset, alignment);
      p->setAttr("photon.offset", b.getI64IntegerAttr(offset));
      id << ';' << w.name << '@' << offset;
      offset += w.numElements();
    }
    uint64_t fingerprint = 0xcbf29ce484222325ull;
    for (char ch : identity)
      fingerprint = (fingerprint ^ uint8_t(ch)) * 0x100000001b3ull;
    fingerprint &= (1ull << 53) - 1; // exact in every JSON reader

    // KV caches and latents hold activations.
    int64_t eltBytes = elementType.getIntOrFloatBitWidth() / 8;
    int64_t actBytes = activationType == "bf16" ? 2 : 4;
    int64_t kvPerItem = 2 * c.nKvHeads * c.headDim() * actBytes;
    SmallVector<int64_t> levelKvPerToken; // bytes of context kept per token
    double hierPerToken = 0;
    if (c.numLevels() == 0) {
      levelKvPerToken.push_back(c.layers * kvPerItem);
      hierPerToken = levelKvPerToken.back();
    }
    for (int64_t l = 1; l <= c.numLevels(); ++l) {
      int64_t perItem = c.encoderLayers[l - 1] * kvPerItem;
      levelKvPerToken.push_back(perItem);
      hierPerToken += double(perItem) / c.span(l);
    }
    double recPerToken =
        c.numLevels() >= 2 ? double(levelKvPerToken.back()) / c.metaContext()
                           : hierPerToken;
    int64_t coarseStateBytes = c.dModel * actBytes;

    SmallVector<NamedAttribute> plan = {
        b.getNamedAttr("weight_elements", b.getI64IntegerAttr(offset)),
        b.getNamedAttr("weight_bytes", b.getI64IntegerAttr(offset * eltBytes)),
        b.getNamedAttr("activation_type", b.getStringAttr(activationType)),
        b.getNamedAttr("fingerprint", b.getI64IntegerAttr(int64_t(fingerprint))),
        b.getNamedAttr("kv_bytes_per_item", b.getDenseI64ArrayAttr(levelKvPerToken)),
        b.getNamedAttr("kv_bytes_per_token_hiergen", b.getF64FloatAttr(hierPerToken)),
        b.getNamedAttr("kv_bytes_per_token_recgen", b.getF64FloatAttr(recPerToken)),
        b.getNamedAttr("coarse_state_bytes", b.getI64IntegerAttr(coarseStateBytes)),
    };
    model->setAttr("photon.memory_plan", b.getDictionaryAttr(plan));

    if (report) {
      llvm::errs() << "memory plan of @" << model.getSymName() << ":\n"
                   << "  weights: " << offset << " elements, "
                   << offset * eltBytes << " bytes\n";
      for (auto [i, bytes] : llvm::enumerate(levelKvPerToken))
        llvm::errs() << "  level " << (c.numLevels() == 0 ? 0 : i + 1)
                     << " KV cache: " << bytes << " bytes per item\n";
      llvm::errs() << "  KV bytes per context token: hiergen "
                   << llvm::format("%.1f", hierPerToken) << ", recgen "
                   << llvm::format("%.1f", recPerToken) << "\n"
                   << "  coarse state: " << coarseStateBytes
                   << " bytes per top item\n";
    }
    return success();
  }
};
} // namespace
} // namespace mlir::photon
