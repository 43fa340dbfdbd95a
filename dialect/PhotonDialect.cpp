//===- PhotonDialect.cpp - The photon dialect, attributes and types -------===//

#include "dialect/PhotonDialect.h"
#include "dialect/PhotonOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::photon;

#include "dialect/PhotonDialect.cpp.inc"
#include "dialect/PhotonEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialect/PhotonAttrs.cpp.inc"
#define GET_TYPEDEF_CLASSES
#include "dialect/PhotonTypes.cpp.inc"

namespace {
/// Short aliases (`!stream1 = !photon.stream<...>`) keep printed IR readable.
struct PhotonOpAsmInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;
  AliasResult getAlias(Type type, raw_ostream &os) const override {
    return llvm::TypeSwitch<Type, AliasResult>(type)
        .Case<StreamType>([&](StreamType t) {
          os << "stream" << t.getLevel() << "_" << t.getWidth();
          return AliasResult::FinalAlias;
        })
        .Case<PrefixType>([&](PrefixType t) {
          os << "prefix" << t.getLevel();
          return AliasResult::FinalAlias;
        })
        .Case<KVCacheType>([&](KVCacheType t) {
          os << "kv" << t.getLevel();
          return AliasResult::FinalAlias;
        })
        .Default([](Type) { return AliasResult::NoAlias; });
  }
};
} // namespace

void PhotonDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "dialect/PhotonOps.cpp.inc"
      >();
  addInterfaces<PhotonOpAsmInterface>();
}

void PhotonDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/PhotonAttrs.cpp.inc"
      >();
}

void PhotonDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialect/PhotonTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Parameter parsers and printers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> mlir::photon::parseIntList(AsmParser &parser) {
  SmallVector<int64_t> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        int64_t v;
        if (parser.parseInteger(v))
          return failure();
        values.push_back(v);
        return success();
      }))
    return failure();
  return values;
}

void mlir::photon::printIntList(AsmPrinter &printer, ArrayRef<int64_t> values) {
  printer << '[';
  llvm::interleaveComma(values, printer);
  printer << ']';
}

FailureOr<llvm::APFloat> mlir::photon::parseF64(AsmParser &parser) {
  double v;
  if (parser.parseFloat(v))
    return failure();
  return llvm::APFloat(v);
}

void mlir::photon::printF64(AsmPrinter &printer, const llvm::APFloat &value) {
  printer.printFloat(value);
}

FailureOr<SmallVector<StateRegionAttr>>
mlir::photon::parseRegionList(AsmParser &parser) {
  SmallVector<StateRegionAttr> regions;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        StateRegionAttr r;
        if (parser.parseCustomAttributeWithFallback(r))
          return failure();
        regions.push_back(r);
        return success();
      }))
    return failure();
  return regions;
}

void mlir::photon::printRegionList(AsmPrinter &printer,
                                   ArrayRef<StateRegionAttr> regions) {
  printer << '[';
  llvm::interleaveComma(regions, printer,
                        [&](StateRegionAttr r) { printer.printStrippedAttrOrType(r); });
  printer << ']';
}

//===----------------------------------------------------------------------===//
// ConfigAttr
//===----------------------------------------------------------------------===//

static ::photon::ModelConfig
makeModelConfig(Architecture modelType, int64_t vocabSize, int64_t dModel,
                int64_t dEmbed, ArrayRef<int64_t> chunkSizes,
                ArrayRef<int64_t> prefixLengths, ArrayRef<int64_t> encoderLayers,
                ArrayRef<int64_t> decoderLayers, int64_t layers, int64_t nHeads,
                int64_t nKvHeads, int64_t ffnDim, double ropeTheta,
                double rmsNormEps, ChunkerType level1Chunker,
                bool tieWordEmbeddings) {
  ::photon::ModelConfig c;
  c.kind = static_cast<::photon::ModelKind>(modelType);
  c.vocabSize = vocabSize;
  c.dModel = dModel;
  c.dEmbed = dEmbed;
  c.chunkSizes.assign(chunkSizes.begin(), chunkSizes.end());
  c.prefixLengths.assign(prefixLengths.begin(), prefixLengths.end());
  c.encoderLayers.assign(encoderLayers.begin(), encoderLayers.end());
  c.decoderLayers.assign(decoderLayers.begin(), decoderLayers.end());
  c.layers = layers;
  c.nHeads = nHeads;
  c.nKvHeads = nKvHeads;
  c.ffnDim = ffnDim;
  c.ropeTheta = ropeTheta;
  c.rmsNormEps = rmsNormEps;
  c.level1Chunker = static_cast<::photon::ChunkerKind>(level1Chunker);
  c.tieWordEmbeddings = tieWordEmbeddings;
  return c;
}

// The plain enums mirror the ODS ones value for value.
static_assert(int(::photon::ModelKind::Photon) == int(Architecture::photon));
static_assert(int(::photon::ModelKind::Block) == int(Architecture::block));
static_assert(int(::photon::ChunkerKind::Linear) == int(ChunkerType::linear));

LogicalResult ConfigAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, Architecture modelType,
    int64_t vocabSize, int64_t dModel, int64_t dEmbed,
    ArrayRef<int64_t> chunkSizes, ArrayRef<int64_t> prefixLengths,
    ArrayRef<int64_t> encoderLayers, ArrayRef<int64_t> decoderLayers,
    int64_t layers, int64_t nHeads, int64_t nKvHeads, int64_t ffnDim,
    APFloat ropeTheta, APFloat rmsNormEps, ChunkerType level1Chunker,
    bool tieWordEmbeddings) {
  auto errors =
      makeModelConfig(modelType, vocabSize, dModel, dEmbed, chunkSizes,
                      prefixLengths, encoderLayers, decoderLayers, layers,
                      nHeads, nKvHeads, ffnDim, ropeTheta.convertToDouble(),
                      rmsNormEps.convertToDouble(), level1Chunker,
                      tieWordEmbeddings)
          .validate();
  if (errors.empty())
    return success();
  InFlightDiagnostic diag = emitError();
  diag << "invalid config: '" << errors.front().field << "' "
       << errors.front().message;
  for (size_t i = 1; i < errors.size(); ++i)
    diag.attachNote() << "also: '" << errors[i].field << "' "
                      << errors[i].message;
  return diag;
}

::photon::ModelConfig ConfigAttr::getModelConfig() const {
  return makeModelConfig(getModelType(), getVocabSize(), getDModel(),
                         getDEmbed(), getChunkSizes(), getPrefixLengths(),
                         getEncoderLayers(), getDecoderLayers(), getLayers(),
                         getNHeads(), getNKvHeads(), getFfnDim(),
                         getRopeTheta().convertToDouble(),
                         getRmsNormEps().convertToDouble(), getLevel1Chunker(),
                         getTieWordEmbeddings());
}

ConfigAttr ConfigAttr::get(MLIRContext *ctx, const ::photon::ModelConfig &c) {
  return get(ctx, static_cast<Architecture>(c.kind), c.vocabSize, c.dModel,
             c.dEmbed, c.chunkSizes, c.prefixLengths, c.encoderLayers,
             c.decoderLayers, c.layers, c.nHeads, c.nKvHeads, c.ffnDim,
             APFloat(c.ropeTheta), APFloat(c.rmsNormEps),
             static_cast<ChunkerType>(c.level1Chunker), c.tieWordEmbeddings);
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

LogicalResult StreamType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t level, int64_t width, int64_t span) {
  if (level < 0)
    return emitError() << "stream level must be >= 0, got " << level;
  if (width <= 0)
    return emitError() << "stream width must be positive, got " << width;
  if (span <= 0)
    return emitError() << "stream span must be positive, got " << span;
  if (level == 0 && span != 1)
    return emitError() << "a level-0 stream has span 1, got " << span;
  return success();
}

LogicalResult PrefixType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t level, int64_t count, int64_t width) {
  if (level < 1)
    return emitError() << "prefix level must be >= 1, got " << level;
  if (count <= 0 || width <= 0)
    return emitError() << "prefix count and width must be positive";
  return success();
}

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t level, int64_t layers,
                                  int64_t kvHeads, int64_t headDim) {
  if (level < 0)
    return emitError() << "kv_cache level must be >= 0, got " << level;
  if (layers <= 0 || kvHeads <= 0 || headDim <= 0)
    return emitError() << "kv_cache layers, kv_heads and head_dim must be "
                          "positive";
  return success();
}

//===----------------------------------------------------------------------===//
// Memory and state plans
//===----------------------------------------------------------------------===//

LogicalResult MemoryPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     Type activationType, int64_t weightElements,
                                     int64_t weightBytes, int64_t /*fingerprint*/,
                                     ArrayRef<int64_t> kvBytesPerItem,
                                     int64_t coarseStateBytes) {
  if (!activationType.isF32() && !activationType.isBF16())
    return emitError() << "activation_type must be f32 or bf16, got " << activationType;
  if (weightElements < 0 || weightBytes < weightElements)
    return emitError() << "weight_bytes (" << weightBytes
                       << ") must be at least weight_elements (" << weightElements
                       << ") and neither negative";
  if (kvBytesPerItem.empty() || llvm::any_of(kvBytesPerItem, [](int64_t b) { return b <= 0; }))
    return emitError() << "kv_bytes_per_item needs a positive entry per level";
  if (coarseStateBytes <= 0)
    return emitError() << "coarse_state_bytes must be positive";
  return success();
}

LogicalResult StateRegionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                      StringRef name, int64_t tile, int64_t fixed,
                                      int64_t perSeq, int64_t fixedPerStep,
                                      int64_t perStep) {
  if (name.empty())
    return emitError() << "a state region needs a name";
  if (tile < 0 || fixed < 0 || perSeq < 0 || fixedPerStep < 0 || perStep < 0)
    return emitError() << "state region '" << name << "': sizes and tile must not be negative";
  return success();
}

::photon::StateRegion StateRegionAttr::getStateRegion() const {
  return {getName().str(), getTile(), getFixed(), getPerSeq(), getFixedPerStep(),
          getPerStep()};
}

LogicalResult StatePlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    int64_t tokensPerStep, int64_t prefillTile,
                                    int64_t decodeTile, int64_t maxRows,
                                    int64_t analyticPerSeq, int64_t analyticPerStep,
                                    ArrayRef<StateRegionAttr> regions) {
  if (tokensPerStep <= 0 || prefillTile <= 0 || decodeTile <= 0 || maxRows <= 0)
    return emitError() << "tokens_per_step, prefill_tile, decode_tile and "
                          "max_rows must be positive";
  if (analyticPerSeq < 0 || analyticPerStep < 0)
    return emitError() << "analytic bytes must not be negative";
  llvm::StringSet<> names;
  for (StateRegionAttr r : regions)
    if (!names.insert(r.getName()).second)
      return emitError() << "state region '" << r.getName() << "' appears twice";
  return success();
}

StateRegionAttr StatePlanAttr::lookup(StringRef name) const {
  for (StateRegionAttr r : getRegions())
    if (r.getName() == name)
      return r;
  return {};
}

std::vector<::photon::StateRegion> StatePlanAttr::getStateRegions() const {
  std::vector<::photon::StateRegion> out;
  for (StateRegionAttr r : getRegions())
    out.push_back(r.getStateRegion());
  return out;
}
