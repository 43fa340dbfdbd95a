//===- Tokenizer.h - The default byte-level tokenizer ----------*- C++ -*-===//
//
// Token ids 0..255 are the bytes of UTF-8 text. Ids outside 0..255 (a larger
// vocabulary's special or unused ids) have no bytes and render as "<|id|>".
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_TOKENIZER_H
#define PHOTON_RUNTIME_TOKENIZER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace photon::rt {

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
class StreamingDecoder {
public:
  /// The text that became printable with this id (possibly "").
  std::string push(int32_t id);
  /// Whatever is still held back (an incomplete character at the end).
  std::string flush();

private:
  std::string pending_; // the start of an incomplete UTF-8 sequence
  size_t need_ = 0;     // its total length
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_TOKENIZER_H
