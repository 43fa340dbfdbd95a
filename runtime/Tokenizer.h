//===- Tokenizer.h - Tokenizers of photon-run ------------------*- C++ -*-===//
//
// `Tokenizer` is what photon-run encodes prompts and decodes generated ids
// with. Two implementations:
//
//   * the byte tokenizer (the default): token ids 0..255 are the bytes of
//     UTF-8 text; ids outside 0..255 (a larger vocabulary's special or unused
//     ids) have no bytes and render as "<|id|>";
//   * the HF tokenizer (HfTokenizer.h): a tokenizer.json of the Hugging Face
//     `tokenizers` library (BPE models: GPT-2/LLaMA-3 byte-level BPE and
//     LLaMA-2 SentencePiece-style BPE with byte fallback).
//
// selectTokenizer() is photon-run's choice between them.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_TOKENIZER_H
#define PHOTON_RUNTIME_TOKENIZER_H

#include "runtime/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace photon::rt {

/// Text as generated ids arrive: each push() returns what became printable.
/// Implementations never split a UTF-8 character or a run of byte tokens that
/// together make one character; flush() returns whatever is still held back.
class TokenTextStream {
public:
  virtual ~TokenTextStream() = default;
  virtual std::string push(int32_t id) = 0;
  virtual std::string flush() = 0;
};

class Tokenizer {
public:
  virtual ~Tokenizer() = default;

  /// A one-line description for photon-run's summary.
  virtual std::string description() const = 0;
  /// The ids of `text`. Special tokens written in the text are recognised;
  /// with `addSpecialTokens` the post-processor's tokens (a BOS) are added.
  /// Fails on text that is not valid UTF-8 (HF tokenizers) or never (bytes).
  virtual Expected<std::vector<int32_t>> encode(std::string_view text,
                                                bool addSpecialTokens = false) const = 0;
  /// The text of `ids`, special tokens included; unknown ids are skipped
  /// (HF) or rendered as "<|id|>" (bytes).
  virtual std::string decode(const std::vector<int32_t> &ids) const = 0;
  virtual std::unique_ptr<TokenTextStream> streamDecoder() const = 0;
  /// One more than the largest id the tokenizer can produce.
  virtual int64_t vocabSize() const = 0;
  /// The BOS id that encode(text, true) puts first, if any.
  virtual std::optional<int32_t> bosId() const { return std::nullopt; }

  /// The ids that end generation: set by setEosIds() (photon-run takes them
  /// from the checkpoint's generation_config.json or config.json) or else the
  /// tokenizer's own convention (see HfTokenizer.h); empty for none.
  const std::vector<int32_t> &eosIds() const { return eosIds_; }
  std::optional<int32_t> eosId() const {
    return eosIds_.empty() ? std::nullopt : std::optional<int32_t>(eosIds_.front());
  }
  void setEosIds(std::vector<int32_t> ids) { eosIds_ = std::move(ids); }

protected:
  std::vector<int32_t> eosIds_;
};

class ByteTokenizer {
public:
  static constexpr int32_t kNumByteTokens = 256;

  /// The bytes of `text`, one id per byte.
  static std::vector<int32_t> encode(std::string_view text);
  /// The bytes of ids 0..255; any other id becomes "<|id|>".
  static std::string decode(const std::vector<int32_t> &ids);
  /// The text of one id ("" for none, one byte, or "<|id|>").
  static std::string idToText(int32_t id);
};

/// Turns ids into text that is safe to print piece by piece: bytes of an
/// unfinished UTF-8 character are held back until it is complete, so a
/// terminal never sees half a character. Invalid bytes are passed through
/// unchanged as soon as they are known to be invalid. The concatenation of
/// every push() and the final flush() equals ByteTokenizer::decode(ids).
class StreamingDecoder : public TokenTextStream {
public:
  /// The text that became printable with this id (possibly "").
  std::string push(int32_t id) override;
  /// Whatever is still held back (an incomplete character at the end).
  std::string flush() override;

private:
  std::string pending_; // the start of an incomplete UTF-8 sequence
  size_t need_ = 0;     // its total length
};

/// ByteTokenizer behind the Tokenizer interface (no BOS, no EOS).
class DefaultByteTokenizer final : public Tokenizer {
public:
  std::string description() const override { return "bytes as ids 0..255"; }
  Expected<std::vector<int32_t>> encode(std::string_view text, bool) const override {
    return ByteTokenizer::encode(text);
  }
  std::string decode(const std::vector<int32_t> &ids) const override {
    return ByteTokenizer::decode(ids);
  }
  std::unique_ptr<TokenTextStream> streamDecoder() const override {
    return std::make_unique<StreamingDecoder>();
  }
  int64_t vocabSize() const override { return ByteTokenizer::kNumByteTokens; }
};

/// photon-run's tokenizer: the tokenizer.json at `explicitPath` if given
/// (a directory means the tokenizer.json in it);
/// else a tokenizer.json next to the weights (in the directory of a weights
/// file, or in a checkpoint directory); else the byte tokenizer. When
/// `weightsPath` has a generation_config.json or config.json beside it, its
/// `eos_token_id` (an id or a list of ids) overrides the tokenizer's EOS.
/// `*source` is set to the tokenizer.json used ("" for the byte tokenizer).
Expected<std::unique_ptr<Tokenizer>> selectTokenizer(const std::optional<std::string> &explicitPath,
                                                     const std::optional<std::string> &weightsPath,
                                                     std::string *source = nullptr);

} // namespace photon::rt

#endif // PHOTON_RUNTIME_TOKENIZER_H
