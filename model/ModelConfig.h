//===- ModelConfig.h - The model family's configuration ---------*- C++ -*-===//
//
// The configuration of spec §1 as a plain struct, with the derived quantities
// (levels, spans, head_dim), its validation, and the list of weight tensors a
// model of that configuration has (spec §5). Plain C++: the compiler (dialect
// verifiers, importer) and the runtime (which must not link MLIR) share it.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_MODEL_MODELCONFIG_H
#define PHOTON_MODEL_MODELCONFIG_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace photon {

enum class ModelKind { Vanilla, Block, Photon };
enum class ChunkerKind { Concat, Linear };

const char *toString(ModelKind kind);
const char *toString(ChunkerKind kind);
std::optional<ModelKind> parseModelKind(const std::string &s);
std::optional<ChunkerKind> parseChunkerKind(const std::string &s);

/// One problem with a configuration: the spec §1 field it concerns and why.
struct ConfigError {
  std::string field;
  std::string message;
};

/// A named weight tensor and its shape ([out, in] for linear layers).
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  /// nullopt when a dimension is negative or the product overflows int64.
  std::optional<int64_t> checkedNumElements() const;
  /// For validated configs; saturates at INT64_MAX rather than wrapping.
  int64_t numElements() const;
};

struct ModelConfig {
  ModelKind kind = ModelKind::Photon;
  int64_t vocabSize = 0;
  int64_t dModel = 0;
  int64_t dEmbed = 0; // hierarchical only
  std::vector<int64_t> chunkSizes;     // C_1..C_L, bottom first
  std::vector<int64_t> prefixLengths;  // R_1..R_L
  std::vector<int64_t> encoderLayers;  // N_1..N_L
  std::vector<int64_t> decoderLayers;  // M_1..M_L
  int64_t layers = 0;                  // vanilla only
  int64_t nHeads = 0;
  int64_t nKvHeads = 0;
  int64_t ffnDim = 0;
  double ropeTheta = 10000.0;
  double rmsNormEps = 1e-5;
  ChunkerKind level1Chunker = ChunkerKind::Concat;
  bool tieWordEmbeddings = false; // vanilla (HF) only

  /// L: 0 for vanilla, 1 for block, >= 2 for photon.
  int64_t numLevels() const { return int64_t(chunkSizes.size()); }
  int64_t headDim() const { return nHeads > 0 ? dModel / nHeads : 0; }
  /// Tokens covered by one level-l item: C_1·…·C_l (1 for l = 0).
  int64_t span(int64_t level) const;
  /// The meta-context length B = C_1·…·C_L (1 for vanilla).
  int64_t metaContext() const { return span(numLevels()); }
  /// Input width of the level-l chunker items (D0 for level 1, else D).
  int64_t chunkerInputWidth(int64_t level) const;
  bool chunkerIsLinear(int64_t level) const;
  /// Whether the last X̂^l item (l < L) of a meta-context depends on no
  /// carry of the previous meta-context (spec §4; the reference's
  /// `_carries_local`). When not (a chunk size of 1 somewhere), prefill
  /// replays Dec_L..Dec_2 over every prompt meta-context.
  bool decoderCarriesAreLocal() const;

  /// Every inconsistency, each naming its field; empty when valid. Counts
  /// (levels, layers) and sizes are bounded before the weight list is built,
  /// and every product is overflow-checked.
  std::vector<ConfigError> validate() const;

  /// The weight tensors of spec §5, in a stable order.
  std::vector<TensorSpec> weights() const;
  /// The tensors of one transformer stack named `stack` with `n` layers.
  void appendStackWeights(const std::string &stack, int64_t n,
                          std::vector<TensorSpec> &out) const;
};

} // namespace photon

#endif // PHOTON_MODEL_MODELCONFIG_H
