//===- Tokenizer.cpp - Tokenizers of photon-run ---------------------------===//

#include "runtime/Tokenizer.h"
#include "runtime/FileType.h"

#include "runtime/HfTokenizer.h"
#include "runtime/Json.h"

#include <fstream>
#include <sstream>

#include <sys/stat.h>

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

//===----------------------------------------------------------------------===//
// photon-run's choice of tokenizer
//===----------------------------------------------------------------------===//

namespace {

/// The directory that holds the weights: the path itself for a checkpoint
/// directory, else the directory of the file.
std::string weightsDirectory(const std::string &weights) {
  if (isDirectory(weights))
    return weights;
  size_t slash = weights.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : weights.substr(0, slash);
}

/// `eos_token_id` (an id or a list of ids) of a JSON config file; an empty
/// list when the file or the key is absent.
Expected<std::vector<int32_t>> readEosIds(const std::string &path) {
  std::vector<int32_t> ids;
  if (!isRegularFile(path))
    return ids;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in)
    return Status::error("cannot read " + path);
  Expected<Json> root = parseJson(ss.str());
  if (!root)
    return root.status().withContext(path);
  if (!root->is_object())
    return ids;
  auto it = root->find("eos_token_id");
  if (it == root->end() || it->is_null())
    return ids;
  Json list = it->is_array() ? *it : Json::array({*it});
  for (const Json &v : list) {
    if (!isJsonInt(v) || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX)
      return Status::error(path + ": eos_token_id: expected a token id or a list of ids");
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return ids;
}

} // namespace

Expected<std::unique_ptr<Tokenizer>> selectTokenizer(const std::optional<std::string> &explicitPath,
                                                     const std::optional<std::string> &weightsPath,
                                                     std::string *source) {
  std::string dir = weightsPath ? weightsDirectory(*weightsPath) : "";
  std::string path;
  if (explicitPath) {
    path = *explicitPath;
    if (isDirectory(path))
      path += "/tokenizer.json"; // a checkpoint directory
  }
  else if (!dir.empty() && isRegularFile(dir + "/tokenizer.json"))
    path = dir + "/tokenizer.json";
  if (source)
    *source = path;
  if (path.empty())
    return std::unique_ptr<Tokenizer>(std::make_unique<DefaultByteTokenizer>());
  Expected<std::unique_ptr<Tokenizer>> tok = loadHfTokenizer(path);
  if (!tok || dir.empty())
    return tok;
  // generation_config.json is what generate() reads; config.json is the fallback.
  for (const char *name : {"generation_config.json", "config.json"}) {
    Expected<std::vector<int32_t>> eos = readEosIds(dir + "/" + name);
    if (!eos)
      return eos.status();
    if (!eos->empty()) {
      (*tok)->setEosIds(std::move(*eos));
      break;
    }
  }
  return tok;
}

} // namespace photon::rt
