//===- Tokenizer.cpp - The default byte-level tokenizer -------------------===//

#include "runtime/Tokenizer.h"

namespace photon::rt {

std::vector<int32_t> ByteTokenizer::encode(std::string_view text) {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (char c : text)
    ids.push_back(static_cast<unsigned char>(c));
  return ids;
}

std::string ByteTokenizer::idToText(int32_t id) {
  if (id >= 0 && id < kNumByteTokens)
    return std::string(1, static_cast<char>(static_cast<unsigned char>(id)));
  return "<|" + std::to_string(id) + "|>";
}

std::string ByteTokenizer::decode(const std::vector<int32_t> &ids) {
  std::string out;
  out.reserve(ids.size());
  for (int32_t id : ids)
    out += idToText(id);
  return out;
}

// Total length of the UTF-8 sequence a lead byte starts (0: not a lead byte).
static size_t utf8SequenceLength(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

std::string StreamingDecoder::push(int32_t id) {
  if (id < 0 || id >= ByteTokenizer::kNumByteTokens)
    return flush() + ByteTokenizer::idToText(id);
  unsigned char c = static_cast<unsigned char>(id);
  std::string out;
  if (!pending_.empty()) {
    if ((c & 0xC0) == 0x80) { // continuation byte
      pending_ += static_cast<char>(c);
      if (pending_.size() == need_)
        return flush();
      return "";
    }
    out = flush(); // the sequence was cut short: pass its bytes through
  }
  size_t len = utf8SequenceLength(c);
  if (len == 0)
    return out + static_cast<char>(c); // ASCII, or a stray byte
  pending_ = static_cast<char>(c);
  need_ = len;
  return out;
}

std::string StreamingDecoder::flush() {
  std::string out;
  out.swap(pending_);
  need_ = 0;
  return out;
}

} // namespace photon::rt
