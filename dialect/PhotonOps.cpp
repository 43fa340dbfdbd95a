//===- PhotonOps.cpp - photon operations: verifiers and custom syntax -----===//
//
// Most verifiers check an op's types against the configuration of the
// enclosing photon.model, and name the config field a mismatch comes from.
//
//===----------------------------------------------------------------------===//

#include "dialect/PhotonOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::photon;
using ::photon::ModelConfig;

#define GET_OP_CLASSES
#include "dialect/PhotonOps.cpp.inc"

FailureOr<ModelConfig> mlir::photon::getEnclosingModelConfig(Operation *op) {
  auto model = op->getParentOfType<ModelOp>();
  if (!model)
    return op->emitOpError("must be nested in a 'photon.model'");
  return model.getModelConfig();
}

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

static StreamType streamType(MLIRContext *ctx, const ModelConfig &c,
                             int64_t level, int64_t width) {
  return StreamType::get(ctx, level, width, c.span(level));
}

/// The stream the top of the hierarchy carries (vanilla: the token stream).
static StreamType topStreamType(MLIRContext *ctx, const ModelConfig &c) {
  return streamType(ctx, c, c.numLevels(), c.dModel);
}

static KVCacheType cacheType(MLIRContext *ctx, const ModelConfig &c,
                             int64_t level) {
  int64_t layers = level == 0 ? c.layers : c.encoderLayers[level - 1];
  return KVCacheType::get(ctx, level, layers, c.nKvHeads, c.headDim());
}

static LogicalResult expectType(Operation *op, StringRef what, Type actual,
                                Type expected) {
  if (actual == expected)
    return success();
  return op->emitOpError() << "expects " << what << " of type " << expected
                           << " (from the model config), got " << actual;
}

/// Level `level` must exist; `minLevel` is 0 where vanilla's stack counts.
static LogicalResult checkLevel(Operation *op, const ModelConfig &c,
                                int64_t level, int64_t minLevel = 1) {
  int64_t L = c.numLevels();
  if (level < minLevel || level > L)
    return op->emitOpError() << "level " << level << " does not exist: the "
                             << ::photon::toString(c.kind) << " model has "
                             << L << " level(s) (config field 'chunk_sizes')";
  return success();
}

/// The caches a prefill or HierGen step carries: one per encoder level,
/// bottom first (vanilla: its one global stack).
static LogicalResult checkAllCaches(Operation *op, const ModelConfig &c,
                                    TypeRange caches) {
  int64_t first = c.numLevels() == 0 ? 0 : 1;
  int64_t expected = c.numLevels() == 0 ? 1 : c.numLevels();
  if (int64_t(caches.size()) != expected)
    return op->emitOpError() << "expects " << expected
                             << " KV cache(s), one per encoder level, got "
                             << caches.size();
  for (auto [i, t] : llvm::enumerate(caches))
    if (failed(expectType(op, "cache #" + std::to_string(i), t,
                          cacheType(op->getContext(), c, first + i))))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

LogicalResult ModelOp::verifyRegions() {
  // Parameters are optional as a whole (the config implies them), but a model
  // that declares some must declare all, so no weight is silently untyped.
  auto params = getBody().front().getOps<ParamOp>();
  if (params.empty())
    return success();
  // Names and shapes are checked here, against one weight list, rather than
  // in ParamOp::verify, which would rebuild the list for every parameter
  // (quadratic in the layer count).
  std::vector<::photon::TensorSpec> weights = getModelConfig().weights();
  llvm::StringMap<const ::photon::TensorSpec *> expected;
  for (const auto &w : weights)
    expected[w.name] = &w;
  llvm::StringSet<> declared;
  for (ParamOp p : params) {
    auto it = expected.find(p.getSymName());
    if (it == expected.end())
      return p.emitOpError() << "'" << p.getSymName()
                             << "' is not a weight of this model (spec §5 names)";
    const ::photon::TensorSpec &w = *it->second;
    if (ArrayRef<int64_t>(w.shape) != p.getTensorType().getShape()) {
      auto diag = p.emitOpError() << "weight '" << w.name << "' has shape [";
      llvm::interleaveComma(p.getTensorType().getShape(), diag);
      diag << "] but the config implies [";
      llvm::interleaveComma(w.shape, diag);
      return diag << "]";
    }
    declared.insert(w.name);
  }
  for (const auto &w : weights)
    if (!declared.contains(w.name))
      return emitOpError() << "declares weights but not '" << w.name
                           << "', which the config requires";
  return verifyWeightPlacement();
}

LogicalResult ModelOp::verifyWeightPlacement() {
  // The kernels index the arena with the planned offsets: a weight outside
  // it, or two sharing elements, would read another weight's values.
  std::optional<MemoryPlanAttr> plan = getMemoryPlan();
  SmallVector<std::pair<int64_t, ParamOp>> placed;
  for (ParamOp p : getBody().front().getOps<ParamOp>()) {
    std::optional<int64_t> offset = p.getOffset();
    if (!plan && offset)
      return p.emitOpError() << "has an offset but the model has no memory_plan";
    if (plan && !offset)
      return p.emitOpError() << "has no offset in the model's memory_plan";
    if (!plan)
      continue;
    int64_t end = *offset + p.getTensorType().getNumElements();
    if (end > plan->getWeightElements())
      return p.emitOpError() << "ends at element " << end << ", past the arena's "
                             << plan->getWeightElements() << " (memory_plan weight_elements)";
    placed.push_back({*offset, p});
  }
  llvm::sort(placed, [](const auto &x, const auto &y) { return x.first < y.first; });
  for (size_t i = 1; i < placed.size(); ++i) {
    auto [prevAt, prev] = placed[i - 1];
    auto [at, p] = placed[i];
    if (prevAt + prev.getTensorType().getNumElements() > at)
      return p.emitOpError() << "at offset " << at << " overlaps '" << prev.getSymName()
                             << "' (offset " << prevAt << ", "
                             << prev.getTensorType().getNumElements() << " elements)";
  }
  return success();
}

LogicalResult ParamOp::verify() {
  // The name and shape depend on the whole model: ModelOp::verifyRegions.
  Type elt = getTensorType().getElementType();
  if (!elt.isF32() && !elt.isBF16() && !elt.isF16())
    return emitOpError() << "weight '" << getSymName()
                         << "' must have f32, bf16 or f16 elements, got "
                         << elt;
  return success();
}

static LogicalResult verifyEntryBlock(Operation *op, Region &body,
                                      StringRef what) {
  Block &entry = body.front();
  if (entry.getNumArguments() != 1 ||
      !isa<TokensType>(entry.getArgument(0).getType()))
    return op->emitOpError() << "body must take one !photon.tokens argument ("
                             << what << ")";
  if (!isa<YieldOp>(entry.getTerminator()))
    return op->emitOpError() << "body must end with 'photon.yield'";
  return success();
}

LogicalResult GraphOp::verifyRegions() {
  if (failed(verifyEntryBlock(*this, getBody(), "the token sequence")))
    return failure();
  auto yield = cast<YieldOp>(getBody().front().getTerminator());
  if (yield.getValues().size() != 1 ||
      !isa<LogitsType>(yield.getValues()[0].getType()))
    return emitOpError() << "must yield exactly one !photon.logits value";
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c))
    return failure();
  // Every level needs its encoder and local decoder ("missing levels").
  llvm::SmallDenseSet<int64_t> encoders, decoders;
  walk([&](EncoderOp op) { encoders.insert(op.getLevel()); });
  walk([&](LocalDecoderOp op) { decoders.insert(op.getLevel()); });
  if (c->numLevels() == 0 && !encoders.contains(0))
    return emitOpError() << "has no level-0 encoder (vanilla's global stack)";
  for (int64_t l = 1; l <= c->numLevels(); ++l) {
    if (!encoders.contains(l))
      return emitOpError() << "is missing the level-" << l << " encoder";
    if (!decoders.contains(l))
      return emitOpError() << "is missing the level-" << l << " local decoder";
  }
  return success();
}

bool ProgramOp::runsLatentsAhead() {
  return !getBody().front().getOps<RecGenLatentsOp>().empty();
}

bool ProgramOp::decodesChunksInLockstep() {
  bool lockstep = false;
  walk([&](Operation *op) {
    if (auto step = dyn_cast<HierGenStepOp>(op))
      lockstep |= step.getLockstep();
    else if (auto step = dyn_cast<RecGenStepOp>(op))
      lockstep |= step.getLockstep();
    else if (auto tokens = dyn_cast<DecodeTokensOp>(op))
      lockstep |= tokens.getLockstep();
  });
  return lockstep;
}

/// photon-pipeline-latents' form: `recgen_latents` before the loop, whose
/// results the loop carries; the body decodes the carried conditions' tokens
/// and runs the next meta-context's latent chain.
static LogicalResult verifyPipelinedLoop(DecodeLoopOp loop) {
  auto fail = [&]() {
    return loop.emitOpError()
           << "running the latent chain ahead must carry the conditions, top and cache of a "
              "'photon.recgen_latents' before it, and its body must be 'photon.decode_tokens' "
              "of the carried conditions, 'photon.recgen_latents' of the carried top and cache, "
              "and 'photon.yield' of their results";
  };
  Block &body = loop.getBody().front();
  auto ahead = loop.getInits().empty()
                   ? RecGenLatentsOp()
                   : loop.getInits().front().getDefiningOp<RecGenLatentsOp>();
  if (!ahead || ValueRange(loop.getInits()) != ValueRange(ahead->getResults()) ||
      body.getOperations().size() != 3)
    return fail();
  auto tokens = dyn_cast<DecodeTokensOp>(body.front());
  auto latents = dyn_cast<RecGenLatentsOp>(*std::next(body.begin()));
  if (!tokens || !latents || tokens.getConditions() != body.getArgument(0) ||
      latents.getTop() != body.getArgument(1) || latents.getCache() != body.getArgument(2))
    return fail();
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValues().front() != tokens.getTokens() ||
      yield.getValues().drop_front() != ValueRange(latents->getResults()))
    return fail();
  return success();
}

LogicalResult ProgramOp::verifyRegions() {
  if (failed(verifyEntryBlock(*this, getBody(), "the prompt")))
    return failure();
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c))
    return failure();
  if (getMode() == GenerationMode::recgen && c->numLevels() < 2)
    return emitOpError() << "mode 'recgen' needs at least 2 levels, but the "
                         << ::photon::toString(c->kind) << " model has "
                         << c->numLevels() << " (config field 'chunk_sizes')";
  bool hasLoop = false;
  for (auto loop : getBody().front().getOps<DecodeLoopOp>()) {
    hasLoop = true;
    Operation *step = nullptr;
    for (Operation &op : loop.getBody().front())
      if (isa<HierGenStepOp, RecGenStepOp, DecodeTokensOp>(op))
        step = &op;
    if (isa_and_nonnull<DecodeTokensOp>(step)) {
      if (failed(verifyPipelinedLoop(loop)))
        return failure();
      continue;
    }
    bool ok = step && (getMode() == GenerationMode::recgen
                           ? isa<RecGenStepOp>(step)
                           : isa<HierGenStepOp>(step));
    if (!ok)
      return loop.emitOpError()
             << "in a '" << stringifyGenerationMode(getMode())
             << "' program must contain a 'photon."
             << stringifyGenerationMode(getMode()) << "_step'";
  }
  if (!hasLoop)
    return emitOpError() << "has no 'photon.decode_loop'";
  // The latent chain before a loop is that loop's first stage.
  for (auto latents : getBody().front().getOps<RecGenLatentsOp>())
    if (!llvm::all_of(latents->getUsers(), [](Operation *user) {
          auto loop = dyn_cast<DecodeLoopOp>(user);
          return loop && !loop.getBody().front().getOps<DecodeTokensOp>().empty();
        }) || latents->use_empty())
      return latents.emitOpError()
             << "before a loop must start a loop that runs the latent chain ahead";
  return success();
}

//===----------------------------------------------------------------------===//
// Forward graph ops
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c))
    return failure();
  int64_t width = 0;
  if (c->kind == ::photon::ModelKind::Vanilla) {
    if (getTable() == "model.embed_tokens.weight")
      width = c->dModel;
  } else if (getTable() == "enc_embed.weight") {
    width = c->dEmbed;
  } else if (getTable() == "dec_embed.weight") {
    width = c->dModel;
  }
  if (width == 0)
    return emitOpError() << "'" << getTable()
                         << "' is not an embedding table of a "
                         << ::photon::toString(c->kind) << " model";
  return expectType(*this, "result", getType(),
                    streamType(getContext(), *c, 0, width));
}

LogicalResult ChunkOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkLevel(*this, *c, getLevel())))
    return failure();
  int64_t l = getLevel();
  if (failed(expectType(*this, "input", getInput().getType(),
                        streamType(getContext(), *c, l - 1,
                                   c->chunkerInputWidth(l)))))
    return failure();
  return expectType(*this, "result", getType(),
                    streamType(getContext(), *c, l, c->dModel));
}

LogicalResult EncoderOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  // The stream keeps its type; the cache (if any) is returned updated.
  for (Value v : operands)
    inferred.push_back(v.getType());
  return success();
}

LogicalResult EncoderOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c))
    return failure();
  int64_t minLevel = c->numLevels() == 0 ? 0 : 1;
  if (failed(checkLevel(*this, *c, getLevel(), minLevel)))
    return failure();
  if (failed(expectType(*this, "input", getInput().getType(),
                        streamType(getContext(), *c, getLevel(), c->dModel))))
    return failure();
  if (getCache())
    return expectType(*this, "cache", getCache().getType(),
                      cacheType(getContext(), *c, getLevel()));
  return success();
}

LogicalResult ShiftOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkLevel(*this, *c, getLevel())))
    return failure();
  return expectType(*this, "input", getInput().getType(),
                    streamType(getContext(), *c, getLevel(), c->dModel));
}

LogicalResult ConverterOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkLevel(*this, *c, getLevel())))
    return failure();
  int64_t l = getLevel();
  if (failed(expectType(*this, "input", getInput().getType(),
                        streamType(getContext(), *c, l, c->dModel))))
    return failure();
  return expectType(
      *this, "result", getType(),
      PrefixType::get(getContext(), l, c->prefixLengths[l - 1], c->dModel));
}

LogicalResult LocalDecoderOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkLevel(*this, *c, getLevel())))
    return failure();
  int64_t l = getLevel();
  if (failed(expectType(
          *this, "prefix", getPrefix().getType(),
          PrefixType::get(getContext(), l, c->prefixLengths[l - 1], c->dModel))))
    return failure();
  if (l == 1 && !getInputs())
    return emitOpError() << "at level 1 needs 'inputs' (the token decoder's "
                            "embeddings of the chunk's tokens)";
  if (l >= 2 && getInputs())
    return emitOpError() << "at level " << l
                         << " takes no 'inputs': it rolls out its own outputs";
  if (getInputs() &&
      failed(expectType(*this, "inputs", getInputs().getType(),
                        streamType(getContext(), *c, 0, c->dModel))))
    return failure();
  return expectType(*this, "result", getType(),
                    streamType(getContext(), *c, l - 1, c->dModel));
}

LogicalResult LMHeadOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c))
    return failure();
  if (failed(expectType(*this, "input", getInput().getType(),
                        streamType(getContext(), *c, 0, c->dModel))))
    return failure();
  return expectType(*this, "result", getType(),
                    LogitsType::get(getContext(), c->vocabSize));
}

//===----------------------------------------------------------------------===//
// Generation program ops
//===----------------------------------------------------------------------===//

LogicalResult KVAllocOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c))
    return failure();
  int64_t level = getType().getLevel();
  int64_t minLevel = c->numLevels() == 0 ? 0 : 1;
  if (failed(checkLevel(*this, *c, level, minLevel)))
    return failure();
  return expectType(*this, "result", getType(),
                    cacheType(getContext(), *c, level));
}

LogicalResult PrefillOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkAllCaches(*this, *c, getCaches().getTypes())))
    return failure();
  if (getCaches().getTypes() != getUpdatedCaches().getTypes())
    return emitOpError() << "must return its caches with unchanged types";
  return expectType(*this, "top", getTop().getType(),
                    topStreamType(getContext(), *c));
}

/// A generation step returns its tokens, then its state (top stream, caches)
/// with unchanged types.
static LogicalResult inferStepResults(MLIRContext *ctx, ValueRange operands,
                                      SmallVectorImpl<Type> &inferred) {
  inferred.push_back(TokensType::get(ctx));
  for (Value v : operands)
    inferred.push_back(v.getType());
  return success();
}

/// A generation step of `mode` is part of a program of that mode (which
/// the lowering reads its schedule from).
static LogicalResult checkStepMode(Operation *op, GenerationMode mode) {
  auto program = op->getParentOfType<ProgramOp>();
  if (!program || program.getMode() != mode)
    return op->emitOpError() << "must be part of a '" << stringifyGenerationMode(mode)
                             << "' program";
  return success();
}

LogicalResult HierGenStepOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location>, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  return inferStepResults(ctx, operands, inferred);
}

LogicalResult HierGenStepOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkStepMode(*this, GenerationMode::hiergen)) ||
      failed(checkAllCaches(*this, *c, getCaches().getTypes())))
    return failure();
  if (getLockstep() && c->numLevels() == 0)
    return emitOpError() << "has no token chunks to decode in lockstep: the "
                         << ::photon::toString(c->kind) << " model has no levels";
  return expectType(*this, "top", getTop().getType(),
                    topStreamType(getContext(), *c));
}

LogicalResult RecGenStepOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location>, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  return inferStepResults(ctx, operands, inferred);
}

LogicalResult RecGenStepOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c))
    return failure();
  if (c->numLevels() < 2)
    return emitOpError() << "needs at least 2 levels, but the "
                         << ::photon::toString(c->kind) << " model has "
                         << c->numLevels();
  if (failed(checkStepMode(*this, GenerationMode::recgen)) ||
      failed(expectType(*this, "top", getTop().getType(),
                        topStreamType(getContext(), *c))))
    return failure();
  return expectType(*this, "cache", getCache().getType(),
                    cacheType(getContext(), *c, c->numLevels()));
}

LogicalResult RecGenLatentsOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkStepMode(*this, GenerationMode::recgen)))
    return failure();
  StreamType top = topStreamType(getContext(), *c);
  KVCacheType cache = cacheType(getContext(), *c, c->numLevels());
  if (failed(expectType(*this, "top", getTop().getType(), top)) ||
      failed(expectType(*this, "cache", getCache().getType(), cache)) ||
      failed(expectType(*this, "conditions", getConditions().getType(),
                        streamType(getContext(), *c, 1, c->dModel))) ||
      failed(expectType(*this, "next top", getNextTop().getType(), top)))
    return failure();
  return expectType(*this, "updated cache", getUpdatedCache().getType(), cache);
}

LogicalResult DecodeTokensOp::verify() {
  FailureOr<ModelConfig> c = getEnclosingModelConfig(*this);
  if (failed(c) || failed(checkStepMode(*this, GenerationMode::recgen)))
    return failure();
  return expectType(*this, "conditions", getConditions().getType(),
                    streamType(getContext(), *c, 1, c->dModel));
}

//===----------------------------------------------------------------------===//
// DecodeLoopOp: `photon.decode_loop(%a = %x, %b = %y) : T1, T2 { ... }`
//===----------------------------------------------------------------------===//

void DecodeLoopOp::build(OpBuilder &builder, OperationState &state,
                         ValueRange inits) {
  state.addOperands(inits);
  state.addTypes(TokensType::get(builder.getContext()));
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value v : inits)
    block->addArgument(v.getType(), state.location);
}

ParseResult DecodeLoopOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::Argument> args;
  SmallVector<OpAsmParser::UnresolvedOperand> inits;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            OpAsmParser::Argument arg;
            OpAsmParser::UnresolvedOperand init;
            if (parser.parseArgument(arg) || parser.parseEqual() ||
                parser.parseOperand(init))
              return failure();
            args.push_back(arg);
            inits.push_back(init);
            return success();
          }))
    return failure();
  SmallVector<Type> types;
  if (parser.parseColon() || parser.parseTypeList(types))
    return failure();
  if (types.size() != inits.size())
    return parser.emitError(parser.getCurrentLocation())
           << "expected " << inits.size() << " types, got " << types.size();
  for (auto [arg, type] : llvm::zip(args, types))
    arg.type = type;
  if (parser.resolveOperands(inits, types, parser.getCurrentLocation(),
                             result.operands) ||
      parser.parseRegion(*result.addRegion(), args) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  result.addTypes(TokensType::get(parser.getContext()));
  return success();
}

void DecodeLoopOp::print(OpAsmPrinter &p) {
  p << '(';
  llvm::interleaveComma(llvm::zip(getBody().getArguments(), getInits()), p,
                        [&](auto pair) {
                          p << std::get<0>(pair) << " = " << std::get<1>(pair);
                        });
  p << ") : ";
  llvm::interleaveComma(getInits().getTypes(), p);
  p << ' ';
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false);
  p.printOptionalAttrDict((*this)->getAttrs());
}

LogicalResult DecodeLoopOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getInits().getTypes())
    return emitOpError() << "body arguments must match the loop-carried values";
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "body must end with 'photon.yield'";
  TypeRange yielded = yield.getValues().getTypes();
  if (yielded.empty() || !isa<TokensType>(yielded.front()) ||
      yielded.drop_front() != getInits().getTypes())
    return emitOpError() << "body must yield the step's tokens followed by "
                            "the next loop-carried values";
  return success();
}

FailureOr<ModelOp> mlir::photon::getOnlyModel(ModuleOp module, StringRef pass) {
  auto models = llvm::to_vector(module.getOps<ModelOp>());
  if (models.size() != 1)
    return module.emitError(pass) << " expects exactly one photon.model, found "
                                  << models.size();
  return models.front();
}
