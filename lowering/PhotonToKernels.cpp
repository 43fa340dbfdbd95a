//===- PhotonToKernels.cpp - photon.model to kernel entry points ----------===//
//
// Each building block of the model becomes a function over flat 1-D buffers,
// specialised to the model's widths and to the planned weight offsets. Work
// over rows and output features is `scf.parallel`; reductions are `scf.for`.
// The programs' entry points (ProgramToHost.cpp) call these functions to run
// prefill, HierGen and RecGen; the same IR is lowered for the host or the GPU.
// This file holds the pass, the building blocks and the helpers every kernel
// family shares; the families are in lowering/kernels/ (KernelEmitter.h).
//
//===----------------------------------------------------------------------===//

#include "lowering/kernels/KernelEmitter.h"

namespace mlir::photon {
#define GEN_PASS_DEF_CONVERTPHOTONTOKERNELS
#include "lowering/Passes.h.inc"

//===----------------------------------------------------------------------===//
// The building blocks and shared helpers of the kernel emitter
//===----------------------------------------------------------------------===//

void KernelEmitter::emitAll() {
  if (c.kind == ::photon::ModelKind::Vanilla) {
    emitEmbed("tok", "model.embed_tokens.weight", c.dModel);
    emitStack("model", c.layers);
  } else {
    emitEmbed("enc", "enc_embed.weight", c.dEmbed);
    emitEmbed("dec", "dec_embed.weight", c.dModel);
    for (int64_t l = 1; l <= c.numLevels(); ++l) {
      std::string s = std::to_string(l);
      if (c.chunkerIsLinear(l))
        emitLinearChunker(l);
      emitStack("encoder." + s, c.encoderLayers[l - 1]);
      emitStack("decoder." + s, c.decoderLayers[l - 1]);
      emitConverter(l);
    }
  }
  emitLMHead();
  emitArgmax();
  emitSample();
}

func::FuncOp KernelEmitter::makeFunc(StringRef name, ArrayRef<Type> args) {
  OpBuilder ob(ctx);
  ob.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(ob, loc, name,
                                 FunctionType::get(ctx, args, {}));
  fn.setPrivate();
  fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  Block *entry = fn.addEntryBlock();
  OpBuilder eb(ctx);
  eb.setInsertionPointToEnd(entry);
  func::ReturnOp::create(eb, loc);
  return fn;
}

Builder KernelEmitter::bodyBuilder(func::FuncOp fn) {
  Builder b(loc, ctx);
  b.setInsertionPoint(fn.getBody().front().getTerminator());
  return b;
}

int64_t KernelEmitter::offset(const std::string &name) {
  auto it = offsets.find(name);
  if (it != offsets.end())
    return it->second;
  module.emitError("convert-photon-to-kernels: no planned weight '") << name << "'";
  failed = true;
  return 0;
}

KernelEmitter::WeightRef KernelEmitter::weight(Builder &b, const std::string &name) {
  int64_t off = offset(name);
  return {cIdx(b, off), powerOfTwoDividing(off)};
}

void KernelEmitter::parallelLanes(Builder &b, const Twine &kernel, ArrayRef<Value> ubs,
                                  LaneBodyFn body) {
  if (!gpu) {
    parallelLoops(b, ubs, [&](Builder &b, ValueRange iv) { body(b, iv, cIdx(b, 0)); });
    return;
  }
  // One warp per point: the lane is the fastest index, so the lanes of a
  // warp read consecutive elements (coalesced).
  SmallVector<Value> withLanes(ubs.begin(), ubs.end());
  withLanes.push_back(cIdx(b, kWarpSize));
  nameKernel(parallelLaunch(b, withLanes, [&](Builder &b, ValueRange iv) {
               body(b, iv.drop_back(), iv.back());
             }),
             kernel);
}

Value KernelEmitter::laneReduce(Builder &b, Value v,
                                function_ref<Value(Builder &, Value, Value)> combine) {
  if (!gpu)
    return v;
  for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    auto shuffled = gpu::ShuffleOp::create(b, v, offset, kWarpSize, gpu::ShuffleMode::XOR);
    v = combine(b, v, shuffled.getShuffleResult());
  }
  return v;
}

Value KernelEmitter::laneMin(Builder &b, Value v) {
  return laneReduce(b, v, [](Builder &b, Value x, Value y) -> Value {
    return arith::MinimumFOp::create(b, x, y);
  });
}

Value KernelEmitter::laneMaxI(Builder &b, Value v) {
  return laneReduce(b, v, [](Builder &b, Value x, Value y) -> Value {
    return arith::MaxSIOp::create(b, x, y);
  });
}

void KernelEmitter::ifElse(Builder &b, Value cond, function_ref<void(Builder &)> then,
                           function_ref<void(Builder &)> otherwise) {
  auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/true);
  Builder tb(b.getLoc(), ctx), eb(b.getLoc(), ctx);
  tb.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  eb.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  then(tb);
  otherwise(eb);
}

void KernelEmitter::emitEmbed(StringRef tag, const std::string &table, int64_t width) {
  auto fn = makeFunc(("photon_embed_" + tag).str(),
                     {weightBuf(), i32Buf(), indexType(), actBuf()});
  Builder b = bodyBuilder(fn);
  weights = fn.getArgument(0);
  Value ids = fn.getArgument(1), n = fn.getArgument(2);
  Buf out{fn.getArgument(3), cIdx(b, 0)};
  Value w = weight(b, table).at;
  parallel(b, "photon_embed_" + tag, {n, cIdx(b, width)}, [&](Builder &b, ValueRange iv) {
    Value tok = loadIndex(b, ids, iv[0]);
    Value v = loadWeight(b, w, addI(b, mulI(b, tok, width), iv[1]));
    out.store(b, v, addI(b, mulI(b, iv[0], width), iv[1]));
  });
}

void KernelEmitter::emitLinearChunker(int64_t l) {
  std::string s = std::to_string(l);
  auto fn = makeFunc("photon_chunk_" + s, {weightBuf(), actBuf(), indexType(),
                                           actBuf(), f32Buf()});
  Builder b = bodyBuilder(fn);
  weights = fn.getArgument(0);
  Value n = fn.getArgument(2);
  int64_t width = c.chunkSizes[l - 1] * c.chunkerInputWidth(l);
  Buf in{fn.getArgument(1), cIdx(b, 0)}, out{fn.getArgument(3), cIdx(b, 0)};
  Buf normed{fn.getArgument(4), cIdx(b, 0)};
  rmsNorm(b, in, normed, n, width, weight(b, "chunker." + s + ".norm.weight"));
  matmulNT(b, normed, out, n, c.dModel, width, weight(b, "chunker." + s + ".proj.weight"),
           weight(b, "chunker." + s + ".proj.bias"));
}

void KernelEmitter::emitConverter(int64_t l) {
  std::string s = std::to_string(l);
  auto fn = makeFunc("photon_converter_" + s,
                     {weightBuf(), actBuf(), indexType(), actBuf()});
  Builder b = bodyBuilder(fn);
  weights = fn.getArgument(0);
  Buf in{fn.getArgument(1), cIdx(b, 0)}, out{fn.getArgument(3), cIdx(b, 0)};
  matmulNT(b, in, out, fn.getArgument(2), c.prefixLengths[l - 1] * c.dModel,
           c.dModel, weight(b, "converter." + s + ".weight"),
           weight(b, "converter." + s + ".bias"));
}

void KernelEmitter::emitLMHead() {
  auto fn = makeFunc("photon_lm_head",
                     {weightBuf(), actBuf(), indexType(), f32Buf()});
  Builder b = bodyBuilder(fn);
  weights = fn.getArgument(0);
  Buf in{fn.getArgument(1), cIdx(b, 0)}, out{fn.getArgument(3), cIdx(b, 0)};
  std::string table = c.tieWordEmbeddings ? "model.embed_tokens.weight"
                                          : "lm_head.weight";
  matmulNT(b, in, out, fn.getArgument(2), c.vocabSize, c.dModel, weight(b, table));
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

struct ConvertPhotonToKernels : impl::ConvertPhotonToKernelsBase<ConvertPhotonToKernels> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto models = llvm::to_vector(module.getOps<ModelOp>());
    if (models.size() != 1) {
      module.emitError("convert-photon-to-kernels expects exactly one "
                       "photon.model, found ")
          << models.size();
      return signalPassFailure();
    }
    ModelOp model = models.front();
    llvm::StringMap<int64_t> offsets;
    Type weightElt;
    for (ParamOp p : model.getBody().front().getOps<ParamOp>()) {
      std::optional<int64_t> off = p.getOffset();
      if (!off) {
        p.emitOpError("has no offset: run -photon-plan-memory first");
        return signalPassFailure();
      }
      offsets[p.getSymName()] = *off;
      weightElt = p.getTensorType().getElementType();
    }
    if (offsets.empty()) {
      model.emitOpError("has no planned weights: run -photon-plan-memory first");
      return signalPassFailure();
    }
    if (gemvLoadsInFlight < 1) {
      module.emitError("convert-photon-to-kernels: gemv-loads-in-flight must be positive, got ")
          << static_cast<int64_t>(gemvLoadsInFlight);
      return signalPassFailure();
    }
    if (gemvTensorCoreWarps < 0 || gemvTensorCoreWarps > 32) {
      module.emitError("convert-photon-to-kernels: gemv-tensor-core-warps must be 0 to 32, got ")
          << static_cast<int64_t>(gemvTensorCoreWarps);
      return signalPassFailure();
    }
    if (gemvTensorCoreMinRows < 0) {
      module.emitError(
          "convert-photon-to-kernels: gemv-tensor-core-min-rows must not be negative, got ")
          << static_cast<int64_t>(gemvTensorCoreMinRows);
      return signalPassFailure();
    }
    if (gemvMaxRows < 0) {
      module.emitError("convert-photon-to-kernels: gemv-max-rows must not be "
                       "negative, got ")
          << static_cast<int64_t>(gemvMaxRows);
      return signalPassFailure();
    }
    if (tensorCoreMinRows < 0) {
      module.emitError("convert-photon-to-kernels: tensor-core-min-rows must "
                       "not be negative, got ")
          << static_cast<int64_t>(tensorCoreMinRows);
      return signalPassFailure();
    }
    if (multiprocessors < 1) {
      module.emitError("convert-photon-to-kernels: multiprocessors must be at "
                       "least 1, got ")
          << static_cast<int64_t>(multiprocessors);
      return signalPassFailure();
    }
    if (wgmmaKStep != 32 && wgmmaKStep != 64) {
      module.emitError("convert-photon-to-kernels: wgmma-k-step must be 32 or 64, got ")
          << static_cast<int64_t>(wgmmaKStep);
      return signalPassFailure();
    }
    std::optional<MemoryPlanAttr> plan = model.getMemoryPlan();
    if (!plan) {
      model.emitOpError("has no memory plan: run -photon-plan-memory first");
      return signalPassFailure();
    }
    ConvertPhotonToKernelsOptions options;
    options.target = target;
    options.tensorCoreMinRows = tensorCoreMinRows;
    options.tensorCoreKernel = tensorCoreKernel;
    options.matmulInputRounding = matmulInputRounding;
    options.gemvMaxRows = gemvMaxRows;
    options.gemvTensorCoreMinRows = gemvTensorCoreMinRows;
    options.gemvLoadsInFlight = gemvLoadsInFlight;
    options.gemvTensorCoreWarps = gemvTensorCoreWarps;
    options.blockPerRow = blockPerRow;
    options.fuseAttention = fuseAttention;
    options.fuseRopeCache = fuseRopeCache;
    options.fusedAttentionMaxCapacity = fusedAttentionMaxCapacity;
    options.tiledAttention = tiledAttention;
    options.splitAttention = splitAttention;
    options.splitShortCaches = splitShortCaches;
    options.fuseAttentionCombine = fuseAttentionCombine;
    options.fuseArgmaxCombine = fuseArgmaxCombine;
    options.wgmma = wgmma;
    options.wgmmaKStep = wgmmaKStep;
    options.multiprocessors = multiprocessors;
    options.fuseQkv = fuseQkv;
    options.fuseQkvRope = fuseQkvRope;
    options.fuseGateUp = fuseGateUp;
    options.fuseNorm = fuseNorm;
    options.prefetchNextWeights = prefetchNextWeights;
    options.programmaticLaunch = programmaticLaunch;
    options.parallelVocab = parallelVocab;
    KernelEmitter emitter(module, model.getModelConfig(), offsets, weightElt,
                          plan->getActivationType(), options, model.getLoc());
    emitter.emitAll();
    if (emitter.failed)
      return signalPassFailure();
  }
};

} // namespace
} // namespace mlir::photon
