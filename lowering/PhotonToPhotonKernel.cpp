//===- PhotonToPhotonKernel.cpp - photon.model to kernel-level functions --===//
//
// Each building block of a planned model becomes a function over flat 1-D
// buffers whose body is photon_kernel ops, specialised to the model's widths
// and to the planned weight offsets: embeddings, linear chunkers, stacks,
// converters, the LM head, argmax and sampling. Stacks whose layers share a
// layout call one function per layout whose layers are an `scf.for` over
// offsets computed on the host. The programs' entry points
// (ProgramToHost.cpp) call these functions; convert-photon-kernel-to-gpu or
// -to-scf lowers the ops inside them.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"
#include "dialect/kernel/KernelOps.h"
#include "lowering/KernelBuilder.h"
#include "passes/StatePlanning.h"

#include "llvm/ADT/StringMap.h"

#include <array>
#include <map>

namespace mlir::photon {
#define GEN_PASS_DEF_CONVERTPHOTONTOPHOTONKERNEL
#include "lowering/Passes.h.inc"

namespace {

namespace pk = ::mlir::photon::kernel;

/// Per-layer weights of a stack, by suffix of "<stack>.layers.<l>.".
constexpr std::array<const char *, 9> kLayerWeights = {
    "input_layernorm.weight",   "self_attn.q_proj.weight",         "self_attn.k_proj.weight",
    "self_attn.v_proj.weight",  "self_attn.o_proj.weight",         "post_attention_layernorm.weight",
    "mlp.gate_proj.weight",     "mlp.up_proj.weight",              "mlp.down_proj.weight"};
constexpr const char *kFinalNorm = "norm.weight";

/// Where a stack's weights sit when every layer has the same layout: weight
/// s of layer l at base + l·stride + rel[s], the final norm at base +
/// normRel (unless the LM head applies it: normsOutput false). Stacks with
/// equal layouts (and layer counts) share one function, and its layers one
/// set of kernels: the offsets are kernel arguments, computed on the host.
struct StackLayout {
  int64_t layers, stride, normRel, baseAlign;
  std::array<int64_t, kLayerWeights.size()> rel;
  bool normsOutput;
  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, decltype(rel), bool>;
  Key key() const { return {layers, stride, normRel, baseAlign, rel, normsOutput}; }
};

/// The weights of one layer, by suffix of "<stack>.layers.<l>.".
using LayerWeightFn = function_ref<WeightRef(Builder &, StringRef)>;
/// Runs a layer body for every layer of a stack, with its index and weights.
using LayerLoopFn =
    function_ref<void(Builder &, function_ref<void(Builder &, Value, LayerWeightFn)>)>;

class KernelFunctionBuilder {
  using ModelConfig = ::photon::ModelConfig;

public:
  KernelFunctionBuilder(ModuleOp module, const ModelConfig &c,
                        const llvm::StringMap<int64_t> &offsets, Type weightElt, Type actElt,
                        bool lmHeadNorm, Location loc)
      : module(module), c(c), offsets(offsets), weightElt(weightElt), actElt(actElt),
        lmHeadNorm(lmHeadNorm), loc(loc), ctx(module.getContext()) {}

  /// Set when the model asks for a weight the plan does not have.
  bool failed = false;

  void buildAll();

private:
  MemRefType f32Buf() { return MemRefType::get({ShapedType::kDynamic}, Float32Type::get(ctx)); }
  MemRefType i32Buf() { return MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 32)); }
  MemRefType weightBuf() { return MemRefType::get({ShapedType::kDynamic}, weightElt); }
  MemRefType actBuf() { return MemRefType::get({ShapedType::kDynamic}, actElt); }
  Type indexType() { return IndexType::get(ctx); }

  /// A private `func.func @name(args)` (only the lowered programs call
  /// kernels) and a builder before its return.
  std::pair<func::FuncOp, Builder> makeFunc(StringRef name, ArrayRef<Type> args);

  int64_t offset(const std::string &name);
  /// A weight at its planned (constant) offset.
  WeightRef weight(Builder &b, const std::string &name);

  pk::LayerShapeAttr layerShape() {
    return pk::LayerShapeAttr::get(ctx, c.dModel, c.nHeads, c.nKvHeads, c.ffnDim,
                                   llvm::APFloat(c.rmsNormEps), llvm::APFloat(c.ropeTheta));
  }

  /// Whether stack `stack` ends with its final norm: not the LM head's
  /// with lmHeadNorm.
  bool normsOutput(const std::string &stack) const {
    return !lmHeadNorm || stack != lmHeadStack(c.numLevels());
  }

  void buildEmbed(StringRef tag, const std::string &table, int64_t width);
  void buildLinearChunker(int64_t l);
  void buildConverter(int64_t l);
  void buildLMHead();
  void buildTokenChoice();

  /// A projection of `rows` rows of `in` by the weight (and bias) of arena
  /// `weights` into `out`; with `norm` (its gain), of the rows RMSNorm'ed
  /// first (in place where a kernel norms them).
  void matmul(Builder &b, Value weights, Value in, Value rows, WeightRef w,
              std::optional<WeightRef> bias, Value out, int64_t m, int64_t k,
              std::optional<WeightRef> norm = std::nullopt);

  /// The layout of stack `name` and the offset of its first weight, if every
  /// layer has the same one.
  std::optional<std::pair<StackLayout, int64_t>> stackLayout(const std::string &name,
                                                              int64_t layers);
  /// A stack's arguments: weights, x, rows, pos, seq, K and V caches, cache
  /// capacity, and its scratch, as f32 and as activations (the same bytes:
  /// bf16 GEMM inputs are written over the f32 rows they replace), the
  /// plan's semaphores, and how many consecutive rows share a slot (1 in
  /// decode steps; kernel::AttentionOp's rows_per_slot).
  SmallVector<Type> stackArgTypes();
  /// A causal stack over rows (sequence seq[i], position pos[i]): the
  /// function the programs call. With an affine weight layout it calls the
  /// stack function shared by its layout; otherwise its layers are unrolled
  /// with constant offsets.
  void buildStack(const std::string &name, int64_t layers);
  func::FuncOp buildSharedStack(const StackLayout &shape);
  /// The body of a stack function with arguments `args` (stackArgTypes):
  /// every layer's ops, one per step (norm, Q, K, V, RoPE + cache write,
  /// attention, output projection, norm, gate, up, SwiGLU, down), then the
  /// final norm, if any.
  void buildStackBody(Builder &b, ValueRange args, int64_t layers, LayerLoopFn forEachLayer,
                      std::optional<WeightRef> finalNorm);

  ModuleOp module;
  const ModelConfig c;
  const llvm::StringMap<int64_t> &offsets;
  Type weightElt, actElt;
  bool lmHeadNorm;
  Location loc;
  MLIRContext *ctx;
  std::map<StackLayout::Key, func::FuncOp> sharedStacks;
};

void KernelFunctionBuilder::buildAll() {
  if (c.kind == ::photon::ModelKind::Vanilla) {
    buildEmbed("tok", "model.embed_tokens.weight", c.dModel);
    buildStack("model", c.layers);
  } else {
    buildEmbed("enc", "enc_embed.weight", c.dEmbed);
    buildEmbed("dec", "dec_embed.weight", c.dModel);
    for (int64_t l = 1; l <= c.numLevels(); ++l) {
      std::string s = std::to_string(l);
      if (c.chunkerIsLinear(l))
        buildLinearChunker(l);
      buildStack("encoder." + s, c.encoderLayers[l - 1]);
      buildStack("decoder." + s, c.decoderLayers[l - 1]);
      buildConverter(l);
    }
  }
  buildLMHead();
  buildTokenChoice();
}

std::pair<func::FuncOp, Builder> KernelFunctionBuilder::makeFunc(StringRef name,
                                                                 ArrayRef<Type> args) {
  OpBuilder ob(ctx);
  ob.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(ob, loc, name, FunctionType::get(ctx, args, {}));
  fn.setPrivate();
  fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  Block *entry = fn.addEntryBlock();
  Builder b(loc, ctx);
  b.setInsertionPointToEnd(entry);
  b.setInsertionPoint(func::ReturnOp::create(b));
  return {fn, b};
}

int64_t KernelFunctionBuilder::offset(const std::string &name) {
  auto it = offsets.find(name);
  if (it != offsets.end())
    return it->second;
  module.emitError("convert-photon-to-photon-kernel: no planned weight '") << name << "'";
  failed = true;
  return 0;
}

WeightRef KernelFunctionBuilder::weight(Builder &b, const std::string &name) {
  int64_t off = offset(name);
  return {cIdx(b, off), powerOfTwoDividing(off)};
}

void KernelFunctionBuilder::buildEmbed(StringRef tag, const std::string &table, int64_t width) {
  auto [fn, b] = makeFunc(("photon_embed_" + tag).str(),
                          {weightBuf(), i32Buf(), indexType(), actBuf()});
  Value zero = cIdx(b, 0);
  pk::EmbedOp::create(b, fn.getArgument(0), weight(b, table).at, fn.getArgument(1),
                      fn.getArgument(2), fn.getArgument(3), zero, width, tag);
}

void KernelFunctionBuilder::matmul(Builder &b, Value weights, Value in, Value rows,
                                   WeightRef w, std::optional<WeightRef> bias, Value out,
                                   int64_t m, int64_t k, std::optional<WeightRef> norm) {
  Value zero = cIdx(b, 0);
  pk::MatmulOp::create(b, in, zero, /*rounded=*/Value(), /*rounded_base=*/Value(), rows, weights,
                       w.at, /*bias=*/Value(), out, zero, norm ? norm->at : Value(),
                       /*normed=*/norm ? in : Value(), /*normed_base=*/norm ? zero : Value(),
                       /*next=*/ValueRange{}, m, k, w.align, /*bias_align=*/IntegerAttr(),
                       /*accumulate=*/false,
                       norm ? b.getF64FloatAttr(c.rmsNormEps) : FloatAttr(),
                       norm ? b.getI64IntegerAttr(norm->align) : IntegerAttr(),
                       ArrayRef<int64_t>{}, ArrayRef<int64_t>{});
  if (bias)
    pk::BiasAddOp::create(b, out, zero, rows, weights, bias->at, m, bias->align);
}

void KernelFunctionBuilder::buildLinearChunker(int64_t l) {
  std::string s = std::to_string(l);
  auto [fn, b] = makeFunc("photon_chunk_" + s,
                          {weightBuf(), actBuf(), indexType(), actBuf(), f32Buf()});
  Value weights = fn.getArgument(0), n = fn.getArgument(2);
  int64_t width = c.chunkSizes[l - 1] * c.chunkerInputWidth(l);
  Value zero = cIdx(b, 0);
  WeightRef gain = weight(b, "chunker." + s + ".norm.weight");
  pk::RmsNormOp::create(b, fn.getArgument(1), zero, n, weights, gain.at, fn.getArgument(4), zero,
                        Value(), Value(), width, llvm::APFloat(c.rmsNormEps), gain.align);
  WeightRef w = weight(b, "chunker." + s + ".proj.weight");
  matmul(b, weights, fn.getArgument(4), n, w, weight(b, "chunker." + s + ".proj.bias"),
         fn.getArgument(3), c.dModel, width);
}

void KernelFunctionBuilder::buildConverter(int64_t l) {
  std::string s = std::to_string(l);
  auto [fn, b] = makeFunc("photon_converter_" + s,
                          {weightBuf(), actBuf(), indexType(), actBuf()});
  WeightRef w = weight(b, "converter." + s + ".weight");
  matmul(b, fn.getArgument(0), fn.getArgument(1), fn.getArgument(2), w, weight(b, "converter." + s + ".bias"),
         fn.getArgument(3), c.prefixLengths[l - 1] * c.dModel, c.dModel);
}

void KernelFunctionBuilder::buildLMHead() {
  auto [fn, b] = makeFunc("photon_lm_head", {weightBuf(), actBuf(), indexType(), f32Buf()});
  std::string table = c.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  // With lmHeadNorm its stack's final norm: on the way in, or in place over
  // the rows, which only the LM head reads.
  WeightRef w = weight(b, table);
  std::optional<WeightRef> norm;
  if (lmHeadNorm)
    norm = weight(b, lmHeadStack(c.numLevels()) + "." + kFinalNorm);
  matmul(b, fn.getArgument(0), fn.getArgument(1), fn.getArgument(2), w, std::nullopt,
         fn.getArgument(3), c.vocabSize, c.dModel, norm);
}

void KernelFunctionBuilder::buildTokenChoice() {
  {
    auto [fn, b] = makeFunc("photon_argmax", {f32Buf(), indexType(), i32Buf(), f32Buf(),
                                              i32Buf(), i32Buf()});
    ValueRange a = fn.getArguments();
    pk::ArgmaxOp::create(b, a[0], a[1], a[2], a[3], a[4], a[5], c.vocabSize);
  }
  Type f32 = Float32Type::get(ctx);
  auto [fn, b] = makeFunc("photon_sample", {f32Buf(), indexType(), f32Buf(), f32, indexType(),
                                            f32, i32Buf()});
  ValueRange a = fn.getArguments();
  pk::SampleOp::create(b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], c.vocabSize);
}

std::optional<std::pair<StackLayout, int64_t>>
KernelFunctionBuilder::stackLayout(const std::string &name, int64_t layers) {
  auto at = [&](int64_t l, StringRef suffix) {
    return offset(name + ".layers." + std::to_string(l) + "." + suffix.str());
  };
  int64_t base = std::numeric_limits<int64_t>::max();
  for (const char *suffix : kLayerWeights)
    base = std::min(base, at(0, suffix));
  StackLayout layout{layers, layers > 1 ? at(1, kLayerWeights[0]) - at(0, kLayerWeights[0]) : 0,
                     offset(name + "." + kFinalNorm) - base,
                     std::min<int64_t>(powerOfTwoDividing(base), kMaxAssumedAlign), {},
                     normsOutput(name)};
  for (auto [i, suffix] : llvm::enumerate(kLayerWeights)) {
    layout.rel[i] = at(0, suffix) - base;
    for (int64_t l = 1; l < layers; ++l)
      if (at(l, suffix) != base + l * layout.stride + layout.rel[i])
        return std::nullopt;
  }
  return std::make_pair(layout, base);
}

SmallVector<Type> KernelFunctionBuilder::stackArgTypes() {
  return {weightBuf(), actBuf(), indexType(), i32Buf(), i32Buf(),   actBuf(),
          actBuf(),    indexType(), f32Buf(),  actBuf(), i32Buf(), indexType()};
}

void KernelFunctionBuilder::buildStack(const std::string &name, int64_t layers) {
  auto [fn, b] = makeFunc(stackKernelName(name), stackArgTypes());
  std::optional<std::pair<StackLayout, int64_t>> layout = stackLayout(name, layers);
  if (failed)
    return;
  if (!layout) {
    buildStackBody(b, fn.getArguments(), layers,
                   [&](Builder &b, function_ref<void(Builder &, Value, LayerWeightFn)> layer) {
                     for (int64_t l = 0; l < layers; ++l) {
                       std::string p = name + ".layers." + std::to_string(l) + ".";
                       layer(b, cIdx(b, l), [&](Builder &b, StringRef suffix) {
                         return weight(b, p + suffix.str());
                       });
                     }
                   },
                   normsOutput(name) ? std::optional(weight(b, name + "." + kFinalNorm))
                                     : std::nullopt);
    return;
  }
  auto [shape, base] = *layout;
  func::FuncOp &shared = sharedStacks[shape.key()];
  if (!shared)
    shared = buildSharedStack(shape);
  SmallVector<Value> args(fn.getArguments());
  args.push_back(cIdx(b, base));
  func::CallOp::create(b, shared, args);
}

func::FuncOp KernelFunctionBuilder::buildSharedStack(const StackLayout &shape) {
  SmallVector<Type> types = stackArgTypes();
  types.push_back(indexType());
  auto [fn, b] = makeFunc("photon_stack_shape" + std::to_string(sharedStacks.size() - 1), types);
  Value base = fn.getArguments().back();
  auto rel = [&](Builder &b, Value at, int64_t r) -> WeightRef {
    return {addI(b, at, r), std::min({shape.baseAlign, powerOfTwoDividing(shape.stride),
                                      powerOfTwoDividing(r)})};
  };
  buildStackBody(
      b, fn.getArguments().drop_back(), shape.layers,
      [&](Builder &b, function_ref<void(Builder &, Value, LayerWeightFn)> layer) {
        scf::ForOp::create(b, cIdx(b, 0), cIdx(b, shape.layers), cIdx(b, 1), ValueRange{},
                           [&](OpBuilder &ob, Location loc, Value l, ValueRange) {
                             Builder lb(loc, ob);
                             Value at = addI(lb, base, mulI(lb, l, shape.stride));
                             layer(lb, l, [&](Builder &b, StringRef suffix) {
                               auto i = llvm::find(kLayerWeights, suffix) - kLayerWeights.begin();
                               return rel(b, at, shape.rel[i]);
                             });
                             scf::YieldOp::create(lb);
                           });
      },
      shape.normsOutput ? std::optional(rel(b, base, shape.normRel)) : std::nullopt);
  return fn;
}

void KernelFunctionBuilder::buildStackBody(Builder &b, ValueRange args, int64_t layers,
                                           LayerLoopFn forEachLayer,
                                           std::optional<WeightRef> finalNorm) {
  Value weights = args[0], x = args[1], rows = args[2];
  Value pos = args[3], seq = args[4];
  Value kc = args[5], vc = args[6];
  Value capacity = args[7], scratch = args[8], scratchAct = args[9];
  Value semaphores = args[10], rowsPerSlot = args[11];
  const int64_t D = c.dModel, H = c.nHeads, KV = c.nKvHeads * c.headDim(), F = c.ffnDim;
  // Scratch, per row: h[D] q[D] k[KV] v[KV] attn[D] gate[F] up[F]
  // scores[H][capacity] stats[H][2] (passes/StatePlanning.h: stackScratchPerRow).
  const int64_t fixed = 3 * D + 2 * KV + 2 * F;
  Value zero = cIdx(b, 0);
  auto region = [&](int64_t rowsBefore) { return mulI(b, rows, rowsBefore); };
  Value qBase = region(D), kBase = region(2 * D),
        vBase = region(2 * D + KV), aBase = region(2 * D + 2 * KV),
        gBase = region(3 * D + 2 * KV), uBase = region(3 * D + 2 * KV + F);
  Value sBase = mulI(b, rows, fixed);
  Value stBase = addI(b, sBase, mulI(b, mulI(b, rows, H), capacity));
  pk::LayerShapeAttr shape = layerShape();
  // The attention output's bf16 copy (over h's bytes: the normed rows are
  // read by then), which wide output projections read, where weights and
  // activations are bf16.
  Value rounded = weightElt.isBF16() && actElt.isBF16() ? scratchAct : Value();
  auto aligns = [](ArrayRef<WeightRef> ws) {
    return llvm::to_vector(llvm::map_range(ws, [](const WeightRef &w) { return w.align; }));
  };
  auto offsetsOf = [](ArrayRef<WeightRef> ws) {
    return llvm::to_vector(llvm::map_range(ws, [](const WeightRef &w) { return w.at; }));
  };

  // The normed rows, which only the projections read: in h, or with bf16
  // weights and activations in attn's rows (free until attention) with their
  // bf16 copy for the wide projections over h's bytes.
  Value normedBase = rounded ? aBase : zero;
  // One op per step of the layer; photon-kernel-fusion joins them.
  forEachLayer(b, [&](Builder &b, Value layer, LayerWeightFn w) {
    WeightRef inputNorm = w(b, "input_layernorm.weight");
    WeightRef q = w(b, "self_attn.q_proj.weight"), k = w(b, "self_attn.k_proj.weight"),
              v = w(b, "self_attn.v_proj.weight"), o = w(b, "self_attn.o_proj.weight");
    WeightRef gate = w(b, "mlp.gate_proj.weight"), up = w(b, "mlp.up_proj.weight");
    auto norm = [&](Builder &b, WeightRef gain) {
      pk::RmsNormOp::create(b, x, zero, rows, weights, gain.at, scratch, normedBase, rounded,
                            rounded ? zero : Value(), D, llvm::APFloat(c.rmsNormEps),
                            gain.align);
    };
    // A projection of scratch rows at inBase (with their bf16 copy, if any).
    auto matmul = [&](Builder &b, Value inBase, Value inRounded, WeightRef wt, Value out,
                      Value outBase, int64_t m, int64_t k, ArrayRef<WeightRef> next,
                      ArrayRef<int64_t> nextElements) {
      pk::MatmulOp::create(b, scratch, inBase, inRounded, inRounded ? zero : Value(), rows, weights,
                           wt.at, Value(), out, outBase, /*gain=*/Value(), /*normed=*/Value(),
                           /*normed_base=*/Value(), offsetsOf(next), m, k, wt.align, IntegerAttr(),
                           /*accumulate=*/false, /*eps=*/FloatAttr(), /*gain_align=*/IntegerAttr(),
                           nextElements, aligns(next));
    };
    norm(b, inputNorm);
    matmul(b, normedBase, rounded, q, scratch, qBase, D, D, {}, {});
    matmul(b, normedBase, rounded, k, scratch, kBase, KV, D, {}, {});
    matmul(b, normedBase, rounded, v, scratch, vBase, KV, D, {o}, {D * D});
    pk::RopeCacheOp::create(b, scratch, qBase, kBase, vBase, rows, pos, seq, kc, vc, layer,
                            capacity, shape, layers);
    pk::AttentionOp::create(b, scratch, qBase, aBase, sBase, stBase, rounded,
                            rounded ? zero : Value(), kc, vc, layer, capacity, rows, pos, seq,
                            semaphores, rowsPerSlot, shape, layers);
    // The projections that add into the rows write them to q's rows (free
    // after attention) first.
    matmul(b, aBase, rounded, o, scratch, qBase, D, D, {gate, up}, {F * D, F * D});
    pk::ResidualAddOp::create(b, x, zero, rows, scratch, qBase, D);
    WeightRef mlpNorm = w(b, "post_attention_layernorm.weight");
    WeightRef down = w(b, "mlp.down_proj.weight");
    norm(b, mlpNorm);
    matmul(b, normedBase, rounded, gate, scratch, gBase, F, D, {}, {});
    matmul(b, normedBase, rounded, up, scratch, uBase, F, D, {}, {});
    pk::SwigluOp::create(b, scratch, gBase, uBase, rows, F);
    matmul(b, gBase, Value(), down, scratch, qBase, D, F, {}, {});
    pk::ResidualAddOp::create(b, x, zero, rows, scratch, qBase, D);
  });
  if (finalNorm)
    pk::RmsNormOp::create(b, x, zero, rows, weights, finalNorm->at, x, zero, Value(), Value(), D,
                          llvm::APFloat(c.rmsNormEps), finalNorm->align);
}

struct ConvertPhotonToPhotonKernel
    : impl::ConvertPhotonToPhotonKernelBase<ConvertPhotonToPhotonKernel> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<ModelOp> found = getOnlyModel(module, getArgument());
    if (failed(found))
      return signalPassFailure();
    ModelOp model = *found;
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
    std::optional<MemoryPlanAttr> plan = model.getMemoryPlan();
    if (!plan) {
      model.emitOpError("has no memory plan: run -photon-plan-memory first");
      return signalPassFailure();
    }
    KernelFunctionBuilder builder(module, model.getModelConfig(), offsets, weightElt,
                                  plan->getActivationType(), lmHeadNorm, model.getLoc());
    builder.buildAll();
    if (builder.failed)
      return signalPassFailure();
  }
};

} // namespace
} // namespace mlir::photon
