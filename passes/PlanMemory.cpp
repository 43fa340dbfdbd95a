//===- PlanMemory.cpp - Plan weight, KV-cache and coarse-state memory -----===//

#include "dialect/PhotonOps.h"
#include "passes/Passes.h"
#include "passes/StatePlanning.h"

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
            TypeAttr::get(RankedTensorType::get(w.shape, elementType)), IntegerAttr());

    // One arena, one element type: the kernels index it with constants. The
    // fingerprint (FNV-1a over config, types and placement) lets the runtime
    // check that a kernel library and a manifest come from the same plan.
    std::string identity;
    llvm::raw_string_ostream id(identity);
    const bool bf16Activations = activationType == ActivationType::BF16;
    id << model.getConfig() << ';' << elementType << ';' << (bf16Activations ? "bf16" : "f32");
    int64_t offset = 0;
    for (const ::photon::TensorSpec &w : c.weights()) {
      ParamOp p = params[w.name];
      if (p.getTensorType().getElementType() != elementType)
        return p.emitOpError("all weights of a model must share one element "
                             "type, found ")
               << p.getTensorType().getElementType() << " and " << elementType;
      offset = llvm::alignTo(offset, alignment);
      p.setOffset(offset);
      id << ';' << w.name << '@' << offset;
      offset += w.numElements();
    }
    uint64_t fingerprint = 0xcbf29ce484222325ull;
    for (char ch : identity)
      fingerprint = (fingerprint ^ uint8_t(ch)) * 0x100000001b3ull;
    fingerprint &= (1ull << 53) - 1; // exact in every JSON reader

    // KV caches and latents hold activations.
    int64_t eltBytes = elementType.getIntOrFloatBitWidth() / 8;
    int64_t actBytes = bf16Activations ? 2 : 4;
    Type actType = bf16Activations ? Type(b.getBF16Type()) : b.getF32Type();
    int64_t kvPerItem = 2 * c.nKvHeads * c.headDim() * actBytes;
    SmallVector<int64_t> kvBytesPerItem; // by level; vanilla: its one stack
    if (c.numLevels() == 0)
      kvBytesPerItem.push_back(c.layers * kvPerItem);
    for (int64_t l = 1; l <= c.numLevels(); ++l)
      kvBytesPerItem.push_back(c.encoderLayers[l - 1] * kvPerItem);
    model.setMemoryPlanAttr(MemoryPlanAttr::get(
        b.getContext(), actType, offset, offset * eltBytes, int64_t(fingerprint),
        kvBytesPerItem, c.dModel * actBytes));

    if (prefillTile <= 0 || decodeTile < prefillTile || maxRows <= 0)
      return model.emitError("photon-plan-memory: need 0 < prefill-tile <= "
                             "decode-tile and max-rows > 0");
    for (ProgramOp program : body.getOps<ProgramOp>()) {
      // The state follows the program's form (photon-pipeline-latents).
      StateSchedule schedule{prefillTile, decodeTile, maxRows, program.runsLatentsAhead()};
      program.setStatePlanAttr(
          planProgramState(b.getContext(), c, program.getMode(), actBytes, schedule));
    }

    if (report)
      printReport(model, offset * eltBytes);
    return success();
  }

  /// The weight arena, then per program its regions and the bytes per
  /// sequence at `report-tokens` next to spec §4's analytic bytes.
  void printReport(ModelOp model, int64_t weightBytes) {
    llvm::raw_ostream &os = llvm::errs();
    MemoryPlanAttr plan = *model.getMemoryPlan();
    os << "memory plan of @" << model.getSymName() << ":\n"
       << "  weights: " << plan.getWeightElements() << " elements, " << weightBytes
       << " bytes\n";
    for (auto [i, bytes] : llvm::enumerate(plan.getKvBytesPerItem()))
      os << "  level " << (model.getModelConfig().numLevels() == 0 ? 0 : i + 1)
         << " KV cache: " << bytes << " bytes per item\n";
    os << "  coarse state: " << plan.getCoarseStateBytes() << " bytes per top item\n";
    for (ProgramOp program : model.getBody().front().getOps<ProgramOp>()) {
      StatePlanAttr state = *program.getStatePlan();
      int64_t tps = state.getTokensPerStep();
      os << "  program @" << program.getSymName() << " (" << tps
         << " tokens per step): state regions, bytes\n"
         << llvm::format("    %-20s %6s %12s %12s %14s %12s\n", "region", "tile",
                         "fixed", "per seq", "fixed/step", "per seq/step");
      for (StateRegionAttr r : state.getRegions())
        os << llvm::format("    %-20s %6lld %12lld %12lld %14lld %12lld\n",
                           r.getName().str().c_str(), (long long)r.getTile(),
                           (long long)r.getFixed(), (long long)r.getPerSeq(),
                           (long long)r.getFixedPerStep(), (long long)r.getPerStep());
      PerSequenceBytes bytes = perSequenceBytes(state, reportTokens);
      int64_t perSeq = bytes.allocated, analytic = bytes.analytic;
      os << "    per sequence at " << reportTokens << " tokens: " << perSeq
         << " bytes allocated, " << analytic << " analytic (KV of the kept caches + "
         << "coarse state), ratio "
         << llvm::format("%.3f", analytic ? double(perSeq) / double(analytic) : 0.0)
         << "\n";
    }
  }
};
} // namespace
} // namespace mlir::photon
