//===- HfTokenizer.cpp - Hugging Face tokenizer.json ----------------------===//
//
// The encode pipeline follows tokenizers' TokenizerImpl::encode_single_sequence:
//
//   1. split the text on added tokens that are not `normalized`;
//   2. normalize the other pieces, then split them on the `normalized` added
//      tokens (matched in normalized form);
//   3. pre-tokenize what is not an added token into words;
//   4. run the BPE model on each word;
//   5. with addSpecialTokens, let the post-processor add its tokens.
//
// Text is handled as code points (std::u32string) until the model, which
// looks words up in the vocabulary as UTF-8. Empty pieces are dropped after
// every split, as PreTokenizedString::split does.
//
//===----------------------------------------------------------------------===//

#include "runtime/HfTokenizer.h"

#include "runtime/Json.h"
#include "runtime/TokenizerRegex.h"
#include "runtime/Unicode.h"

#include <algorithm>
#include <fstream>
#include <queue>
#include <sstream>
#include <unordered_map>

#include <sys/stat.h>

namespace photon::rt {

namespace {

using unicode::appendUtf8;
using unicode::encodeUtf8;

//===----------------------------------------------------------------------===//
// JSON access with paths in errors
//===----------------------------------------------------------------------===//

std::string join(const std::string &path, const std::string &key) {
  return path.empty() ? key : path + "." + key;
}
std::string indexPath(const std::string &path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}
Status typeError(const std::string &path, const char *expected, const UnorderedJson &got) {
  return Status::error(path + ": expected " + expected + ", got " + jsonKindName(got));
}

/// obj[key] as a string; a missing key is an error when `required`.
Status getString(const UnorderedJson &obj, const char *key, const std::string &path, std::string &out,
                 bool required = true) {
  auto it = obj.find(key);
  if (it == obj.end() || (!required && it->is_null())) {
    if (required)
      return Status::error(join(path, key) + ": missing");
    return Status::success();
  }
  if (!it->is_string())
    return typeError(join(path, key), "a string", *it);
  out = it->get<std::string>();
  return Status::success();
}

/// obj[key] as a bool; missing or null keeps `out`.
Status getBool(const UnorderedJson &obj, const char *key, const std::string &path, bool &out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null())
    return Status::success();
  if (!it->is_boolean())
    return typeError(join(path, key), "a boolean", *it);
  out = it->get<bool>();
  return Status::success();
}

/// A JSON integer in [0, 2^31) (a token id or a count).
Status asId(const UnorderedJson &v, const std::string &path, int32_t &out) {
  if (!isJsonInt(v))
    return typeError(path, "an integer", v);
  int64_t x = v.get<int64_t>();
  if (x < 0 || x > INT32_MAX)
    return Status::error(path + ": " + std::to_string(x) + " is out of range [0, 2^31)");
  out = static_cast<int32_t>(x);
  return Status::success();
}

Status getId(const UnorderedJson &obj, const char *key, const std::string &path, int32_t &out,
             bool required = true) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required)
      return Status::error(join(path, key) + ": missing");
    return Status::success();
  }
  return asId(*it, join(path, key), out);
}

/// A component's "type" (components are objects with a "type" string).
Status getType(const UnorderedJson &v, const std::string &path, std::string &type) {
  if (!v.is_object())
    return typeError(path, "an object", v);
  return getString(v, "type", path, type);
}

Status unsupported(const std::string &path, const char *what, const std::string &type,
                   const char *supported) {
  return Status::error(join(path, "type") + ": unsupported " + what + " '" + type +
                       "' (supported: " + supported + ")");
}

/// A "Sequence" component: each element of v[key] through `parse`, in order
/// (a nested Sequence flattens, which changes nothing for any component kind).
template <class Step, class Parse>
Status parseSequence(const UnorderedJson &v, const std::string &path, const char *key,
                     std::vector<Step> &out, Parse parse) {
  std::string p = join(path, key);
  auto it = v.find(key);
  if (it == v.end() || !it->is_array())
    return Status::error(p + ": expected an array");
  for (size_t i = 0; i < it->size(); ++i)
    PHOTON_RETURN_IF_ERROR(parse((*it)[i], indexPath(p, i), out));
  return Status::success();
}

/// One code point from a string field (Metaspace's replacement, Strip's content).
Status getChar(const UnorderedJson &obj, const char *key, const std::string &path, char32_t &out) {
  std::string s;
  PHOTON_RETURN_IF_ERROR(getString(obj, key, path, s));
  std::u32string u;
  if (!unicode::decodeUtf8(s, u) || u.size() != 1)
    return Status::error(join(path, key) + ": expected one character, got '" + s + "'");
  out = u[0];
  return Status::success();
}

std::u32string toU32(const std::string &s) {
  std::u32string u;
  unicode::decodeUtf8(s, u); // strings from the JSON parser are valid UTF-8
  return u;
}

//===----------------------------------------------------------------------===//
// Patterns (Split, Replace)
//===----------------------------------------------------------------------===//

/// {"String": s} or {"Regex": r}.
struct Pattern {
  std::u32string literal;
  std::optional<TokenizerRegex> regex;

  /// Non-overlapping matches, left to right.
  std::vector<std::pair<size_t, size_t>> find(const std::u32string &text) const {
    if (regex)
      return regex->findAll(text);
    std::vector<std::pair<size_t, size_t>> out;
    for (size_t pos = text.find(literal); pos != std::u32string::npos;
         pos = text.find(literal, pos + literal.size()))
      out.emplace_back(pos, pos + literal.size());
    return out;
  }

  std::u32string replaceAll(const std::u32string &text, const std::u32string &content) const {
    std::u32string out;
    size_t prev = 0;
    for (auto [s, e] : find(text)) {
      out.append(text, prev, s - prev);
      out += content;
      prev = e;
    }
    out.append(text, prev, std::u32string::npos);
    return out;
  }
};

Status parsePattern(const UnorderedJson &obj, const std::string &path, Pattern &out) {
  std::string p = join(path, "pattern");
  auto it = obj.find("pattern");
  if (it == obj.end())
    return Status::error(p + ": missing");
  if (!it->is_object() || it->size() != 1)
    return Status::error(p + ": expected {\"String\": ...} or {\"Regex\": ...}");
  std::string text;
  if (it->contains("String")) {
    PHOTON_RETURN_IF_ERROR(getString(*it, "String", p, text));
    if (text.empty())
      return Status::error(join(p, "String") + ": an empty pattern is not supported");
    out.literal = toU32(text);
    return Status::success();
  }
  if (it->contains("Regex")) {
    PHOTON_RETURN_IF_ERROR(getString(*it, "Regex", p, text));
    Expected<TokenizerRegex> re = TokenizerRegex::compile(text);
    if (!re)
      return re.status().withContext(join(p, "Regex") + ": '" + text + "'");
    out.regex = std::move(*re);
    return Status::success();
  }
  return Status::error(p + ": expected {\"String\": ...} or {\"Regex\": ...}");
}

//===----------------------------------------------------------------------===//
// Normalizers
//===----------------------------------------------------------------------===//

struct NormalizerStep {
  enum Kind { Prepend, Replace, NFC, Strip } kind = NFC;
  std::u32string text; // Prepend's prefix, Replace's content
  Pattern pattern;
  bool left = false, right = false;

  void apply(std::u32string &s) const {
    switch (kind) {
    case Prepend:
      if (!s.empty())
        s = text + s;
      break;
    case Replace:
      s = pattern.replaceAll(s, text);
      break;
    case NFC:
      s = unicode::nfc(s);
      break;
    case Strip: {
      size_t b = 0, e = s.size();
      if (left)
        while (b < e && unicode::isSpace(s[b]))
          ++b;
      if (right)
        while (e > b && unicode::isSpace(s[e - 1]))
          --e;
      s = s.substr(b, e - b);
      break;
    }
    }
  }
};

Status parseNormalizer(const UnorderedJson &v, const std::string &path, std::vector<NormalizerStep> &out) {
  if (v.is_null())
    return Status::success();
  std::string type;
  PHOTON_RETURN_IF_ERROR(getType(v, path, type));
  NormalizerStep step;
  if (type == "Sequence")
    return parseSequence(v, path, "normalizers", out, parseNormalizer);
  if (type == "Prepend") {
    std::string s;
    PHOTON_RETURN_IF_ERROR(getString(v, "prepend", path, s));
    step.kind = NormalizerStep::Prepend;
    step.text = toU32(s);
  } else if (type == "Replace") {
    std::string s;
    PHOTON_RETURN_IF_ERROR(getString(v, "content", path, s));
    PHOTON_RETURN_IF_ERROR(parsePattern(v, path, step.pattern));
    step.kind = NormalizerStep::Replace;
    step.text = toU32(s);
  } else if (type == "NFC") {
    step.kind = NormalizerStep::NFC;
  } else if (type == "Strip") {
    step.kind = NormalizerStep::Strip;
    PHOTON_RETURN_IF_ERROR(getBool(v, "strip_left", path, step.left));
    PHOTON_RETURN_IF_ERROR(getBool(v, "strip_right", path, step.right));
  } else {
    return unsupported(path, "normalizer", type, "Prepend, Replace, NFC, Strip, Sequence");
  }
  out.push_back(std::move(step));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Pieces of text on their way to the model
//===----------------------------------------------------------------------===//

/// A piece of the input: text still to tokenize, or an added token.
struct Split {
  std::u32string text;
  bool atOrigin = false; // starts at offset 0 of the original input
  int32_t tokenId = -1;  // an added token's id (text is then unused)
};

/// Pieces of `text` as (start, end, isMatch), covering it (Pattern::find_matches).
std::vector<std::tuple<size_t, size_t, bool>>
coverMatches(size_t length, const std::vector<std::pair<size_t, size_t>> &matches) {
  std::vector<std::tuple<size_t, size_t, bool>> out;
  if (length == 0)
    return {{0, 0, false}};
  size_t prev = 0;
  for (auto [s, e] : matches) {
    if (prev != s)
      out.emplace_back(prev, s, false);
    out.emplace_back(s, e, true);
    prev = e;
  }
  if (prev != length)
    out.emplace_back(prev, length, false);
  return out;
}

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

/// NormalizedString::split: the kept [start, end) ranges.
std::vector<std::pair<size_t, size_t>>
splitRanges(std::vector<std::tuple<size_t, size_t, bool>> m, Behavior b) {
  std::vector<std::pair<size_t, size_t>> out;
  bool previousMatch = false;
  switch (b) {
  case Behavior::Isolated:
    for (auto [s, e, isMatch] : m)
      out.emplace_back(s, e);
    return out;
  case Behavior::Removed:
    for (auto [s, e, isMatch] : m)
      if (!isMatch)
        out.emplace_back(s, e);
    return out;
  case Behavior::Contiguous:
    for (auto [s, e, isMatch] : m) {
      if (isMatch == previousMatch && !out.empty())
        out.back().second = e;
      else
        out.emplace_back(s, e);
      previousMatch = isMatch;
    }
    return out;
  case Behavior::MergedWithPrevious:
    for (auto [s, e, isMatch] : m) {
      if (isMatch && !previousMatch && !out.empty())
        out.back().second = e;
      else
        out.emplace_back(s, e);
      previousMatch = isMatch;
    }
    return out;
  case Behavior::MergedWithNext:
    for (auto it = m.rbegin(); it != m.rend(); ++it) {
      auto [s, e, isMatch] = *it;
      if (isMatch && !previousMatch && !out.empty())
        out.back().first = s;
      else
        out.emplace_back(s, e);
      previousMatch = isMatch;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  return out;
}

/// Appends the non-empty ranges of `piece` to `out`.
void appendRanges(const Split &piece, const std::vector<std::pair<size_t, size_t>> &ranges,
                  std::vector<Split> &out) {
  for (auto [s, e] : ranges)
    if (e > s)
      out.push_back({piece.text.substr(s, e - s), piece.atOrigin && s == 0, -1});
}

//===----------------------------------------------------------------------===//
// Byte-level alphabet (GPT-2's bytes_to_unicode)
//===----------------------------------------------------------------------===//

struct ByteAlphabet {
  char32_t byteToChar[256];
  int16_t charToByte[512]; // -1: not a byte character
  ByteAlphabet() {
    std::fill(std::begin(charToByte), std::end(charToByte), int16_t(-1));
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      byteToChar[b] = printable ? char32_t(b) : next++;
      charToByte[byteToChar[b]] = int16_t(b);
    }
  }
};
const ByteAlphabet &byteAlphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

const char *const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

//===----------------------------------------------------------------------===//
// Pre-tokenizers
//===----------------------------------------------------------------------===//

enum class PrependScheme { Always, Never, First };

struct PreTokenizerStep {
  enum Kind { ByteLevel, Split, Metaspace } kind = ByteLevel;
  // ByteLevel
  bool addPrefixSpace = false, useRegex = true;
  // Split (ByteLevel's regex too)
  Pattern pattern;
  Behavior behavior = Behavior::Isolated;
  bool invert = false;
  // Metaspace
  char32_t replacement = U'\u2581';
  PrependScheme prependScheme = PrependScheme::Always;
  bool split = true;

  void apply(std::vector<rt::Split> &pieces) const {
    std::vector<rt::Split> out;
    for (rt::Split &piece : pieces) {
      if (piece.tokenId >= 0) {
        out.push_back(std::move(piece));
        continue;
      }
      switch (kind) {
      case ByteLevel: {
        if (addPrefixSpace && (piece.text.empty() || piece.text[0] != ' '))
          piece.text.insert(piece.text.begin(), U' ');
        size_t first = out.size();
        if (useRegex)
          appendRanges(piece, splitRanges(coverMatches(piece.text.size(), pattern.find(piece.text)),
                                          Behavior::Isolated),
                       out);
        else if (!piece.text.empty())
          out.push_back(std::move(piece));
        // Every byte becomes one character of the byte alphabet.
        for (size_t i = first; i < out.size(); ++i) {
          std::string bytes = encodeUtf8(out[i].text);
          out[i].text.clear();
          for (unsigned char b : bytes)
            out[i].text += byteAlphabet().byteToChar[b];
        }
        break;
      }
      case Split: {
        auto m = coverMatches(piece.text.size(), pattern.find(piece.text));
        if (invert)
          for (auto &t : m)
            std::get<2>(t) = !std::get<2>(t);
        appendRanges(piece, splitRanges(std::move(m), behavior), out);
        break;
      }
      case Metaspace: {
        for (char32_t &c : piece.text)
          if (c == U' ')
            c = replacement;
        bool startsWithReplacement = !piece.text.empty() && piece.text[0] == replacement;
        if (!startsWithReplacement && (prependScheme == PrependScheme::Always ||
                                       (prependScheme == PrependScheme::First && piece.atOrigin)))
          piece.text.insert(piece.text.begin(), replacement);
        if (!split) {
          if (!piece.text.empty())
            out.push_back(std::move(piece));
          break;
        }
        std::vector<std::pair<size_t, size_t>> matches;
        for (size_t i = 0; i < piece.text.size(); ++i)
          if (piece.text[i] == replacement)
            matches.emplace_back(i, i + 1);
        appendRanges(piece,
                     splitRanges(coverMatches(piece.text.size(), matches), Behavior::MergedWithNext),
                     out);
        break;
      }
      }
    }
    pieces = std::move(out);
  }
};

Status parsePrependScheme(const UnorderedJson &v, const std::string &path, PrependScheme &out) {
  std::string s;
  auto it = v.find("prepend_scheme");
  if (it == v.end() || it->is_null()) {
    bool legacy = true; // the legacy add_prefix_space field
    PHOTON_RETURN_IF_ERROR(getBool(v, "add_prefix_space", path, legacy));
    out = legacy ? PrependScheme::Always : PrependScheme::Never;
    return Status::success();
  }
  PHOTON_RETURN_IF_ERROR(getString(v, "prepend_scheme", path, s));
  if (s == "always")
    out = PrependScheme::Always;
  else if (s == "never")
    out = PrependScheme::Never;
  else if (s == "first")
    out = PrependScheme::First;
  else
    return Status::error(join(path, "prepend_scheme") + ": expected always, never or first, got '" +
                         s + "'");
  return Status::success();
}

Status parsePreTokenizer(const UnorderedJson &v, const std::string &path,
                         std::vector<PreTokenizerStep> &out) {
  if (v.is_null())
    return Status::success();
  std::string type;
  PHOTON_RETURN_IF_ERROR(getType(v, path, type));
  PreTokenizerStep step;
  if (type == "Sequence")
    return parseSequence(v, path, "pretokenizers", out, parsePreTokenizer);
  if (type == "ByteLevel") {
    PHOTON_RETURN_IF_ERROR(getBool(v, "add_prefix_space", path, step.addPrefixSpace));
    PHOTON_RETURN_IF_ERROR(getBool(v, "use_regex", path, step.useRegex));
    Expected<TokenizerRegex> re = TokenizerRegex::compile(kGpt2Pattern);
    if (!re)
      return re.status().withContext("internal error: the GPT-2 pattern");
    step.pattern.regex = std::move(*re);
  } else if (type == "Split") {
    step.kind = PreTokenizerStep::Split;
    PHOTON_RETURN_IF_ERROR(parsePattern(v, path, step.pattern));
    PHOTON_RETURN_IF_ERROR(getBool(v, "invert", path, step.invert));
    std::string b;
    PHOTON_RETURN_IF_ERROR(getString(v, "behavior", path, b));
    static const std::pair<const char *, Behavior> kBehaviors[] = {
        {"Removed", Behavior::Removed},
        {"Isolated", Behavior::Isolated},
        {"MergedWithPrevious", Behavior::MergedWithPrevious},
        {"MergedWithNext", Behavior::MergedWithNext},
        {"Contiguous", Behavior::Contiguous}};
    bool known = false;
    for (auto [name, value] : kBehaviors)
      if (b == name) {
        step.behavior = value;
        known = true;
      }
    if (!known)
      return Status::error(join(path, "behavior") + ": unknown split behavior '" + b + "'");
  } else if (type == "Metaspace") {
    step.kind = PreTokenizerStep::Metaspace;
    PHOTON_RETURN_IF_ERROR(getChar(v, "replacement", path, step.replacement));
    PHOTON_RETURN_IF_ERROR(parsePrependScheme(v, path, step.prependScheme));
    PHOTON_RETURN_IF_ERROR(getBool(v, "split", path, step.split));
  } else {
    return unsupported(path, "pre-tokenizer", type, "ByteLevel, Split, Metaspace, Sequence");
  }
  out.push_back(std::move(step));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Decoders
//===----------------------------------------------------------------------===//

struct DecoderStep {
  enum Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace } kind = Fuse;
  Pattern pattern;         // Replace
  std::u32string content;  // Replace
  char32_t character = 0;  // Strip's content, Metaspace's replacement
  size_t start = 0, stop = 0; // Strip
  PrependScheme prependScheme = PrependScheme::Always;

  void apply(std::vector<std::string> &tokens) const {
    switch (kind) {
    case ByteLevel: {
      std::string bytes;
      const ByteAlphabet &a = byteAlphabet();
      for (const std::string &t : tokens) {
        std::u32string u = toU32(t);
        std::string mapped;
        bool all = true;
        for (char32_t c : u) {
          if (c >= 512 || a.charToByte[c] < 0) {
            all = false;
            break;
          }
          mapped += static_cast<char>(a.charToByte[c]);
        }
        bytes += all ? mapped : t; // a token outside the alphabet keeps its own bytes
      }
      tokens = {unicode::utf8Lossy(bytes)};
      break;
    }
    case Replace:
      for (std::string &t : tokens)
        t = encodeUtf8(pattern.replaceAll(toU32(t), content));
      break;
    case ByteFallback: {
      std::vector<std::string> out;
      std::string pending; // bytes of consecutive <0xXX> tokens
      size_t pendingCount = 0;
      auto flushBytes = [&] {
        if (pendingCount == 0)
          return;
        std::u32string u;
        if (unicode::decodeUtf8(pending, u))
          out.push_back(pending);
        else
          for (size_t i = 0; i < pendingCount; ++i)
            out.push_back("\xEF\xBF\xBD"); // one U+FFFD per byte, as tokenizers does
        pending.clear();
        pendingCount = 0;
      };
      for (std::string &t : tokens) {
        int byte = byteTokenValue(t);
        if (byte >= 0) {
          pending += static_cast<char>(byte);
          ++pendingCount;
          continue;
        }
        flushBytes();
        out.push_back(std::move(t));
      }
      flushBytes();
      tokens = std::move(out);
      break;
    }
    case Fuse: {
      std::string all;
      for (const std::string &t : tokens)
        all += t;
      tokens = {all};
      break;
    }
    case Strip:
      for (std::string &t : tokens) {
        std::u32string u = toU32(t);
        size_t b = 0, e = u.size();
        while (b < start && b < u.size() && u[b] == character)
          ++b;
        for (size_t i = 0; i < stop && e > b && u[e - 1] == character; ++i)
          --e;
        t = encodeUtf8(u.substr(b, e - b));
      }
      break;
    case Metaspace:
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::u32string out;
        for (char32_t c : toU32(tokens[i])) {
          if (c != character)
            out += c;
          else if (i != 0 || prependScheme == PrependScheme::Never)
            out += U' ';
        }
        tokens[i] = encodeUtf8(out);
      }
      break;
    }
  }

  /// The byte of a "<0xXX>" token, or -1.
  static int byteTokenValue(const std::string &t) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>')
      return -1;
    int v = 0;
    for (int i = 3; i < 5; ++i) {
      char c = t[i];
      int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
    return v;
  }
};

Status parseDecoder(const UnorderedJson &v, const std::string &path, std::vector<DecoderStep> &out) {
  if (v.is_null())
    return Status::success();
  std::string type;
  PHOTON_RETURN_IF_ERROR(getType(v, path, type));
  DecoderStep step;
  if (type == "Sequence")
    return parseSequence(v, path, "decoders", out, parseDecoder);
  if (type == "ByteLevel") {
    step.kind = DecoderStep::ByteLevel;
  } else if (type == "Replace") {
    step.kind = DecoderStep::Replace;
    std::string s;
    PHOTON_RETURN_IF_ERROR(getString(v, "content", path, s));
    step.content = toU32(s);
    PHOTON_RETURN_IF_ERROR(parsePattern(v, path, step.pattern));
  } else if (type == "ByteFallback") {
    step.kind = DecoderStep::ByteFallback;
  } else if (type == "Fuse") {
    step.kind = DecoderStep::Fuse;
  } else if (type == "Strip") {
    step.kind = DecoderStep::Strip;
    PHOTON_RETURN_IF_ERROR(getChar(v, "content", path, step.character));
    int32_t start = 0, stop = 0;
    PHOTON_RETURN_IF_ERROR(getId(v, "start", path, start));
    PHOTON_RETURN_IF_ERROR(getId(v, "stop", path, stop));
    step.start = size_t(start);
    step.stop = size_t(stop);
  } else if (type == "Metaspace") {
    step.kind = DecoderStep::Metaspace;
    PHOTON_RETURN_IF_ERROR(getChar(v, "replacement", path, step.character));
    PHOTON_RETURN_IF_ERROR(parsePrependScheme(v, path, step.prependScheme));
  } else {
    return unsupported(path, "decoder", type,
                       "ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence");
  }
  out.push_back(std::move(step));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Post-processors: the ids put before and after the sequence
//===----------------------------------------------------------------------===//

struct PostStep {
  std::vector<int32_t> before, after;
};

/// ["<s>", 1] (RobertaProcessing / BertProcessing's cls and sep).
Status parseNamedId(const UnorderedJson &v, const char *key, const std::string &path, int32_t &id) {
  std::string p = join(path, key);
  auto it = v.find(key);
  if (it == v.end())
    return Status::error(p + ": missing");
  if (!it->is_array() || it->size() != 2 || !(*it)[0].is_string())
    return Status::error(p + ": expected [token, id]");
  return asId((*it)[1], indexPath(p, 1), id);
}

Status parseTemplate(const UnorderedJson &v, const std::string &path, PostStep &step) {
  std::string sp = join(path, "single");
  auto single = v.find("single");
  if (single == v.end() || !single->is_array())
    return Status::error(sp + ": expected an array of template pieces");
  auto specials = v.find("special_tokens");
  bool seenSequence = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const UnorderedJson &item = (*single)[i];
    std::string ip = indexPath(sp, i);
    if (!item.is_object() || item.size() != 1)
      return Status::error(ip + ": expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    if (auto seq = item.find("Sequence"); seq != item.end()) {
      std::string which;
      PHOTON_RETURN_IF_ERROR(getString(*seq, "id", join(ip, "Sequence"), which));
      if (which != "A" || seenSequence)
        return Status::error(join(ip, "Sequence.id") +
                             ": a single-sequence template must hold sequence A once");
      seenSequence = true;
      continue;
    }
    auto tok = item.find("SpecialToken");
    if (tok == item.end() || !tok->is_object())
      return Status::error(ip + ": expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    std::string name;
    PHOTON_RETURN_IF_ERROR(getString(*tok, "id", join(ip, "SpecialToken"), name));
    std::string stp = join(join(path, "special_tokens"), name);
    if (specials == v.end() || !specials->is_object() || !specials->contains(name))
      return Status::error(stp + ": missing (used by " + ip + ")");
    const UnorderedJson &entry = (*specials)[name];
    auto ids = entry.is_object() ? entry.find("ids") : entry.end();
    if (!entry.is_object() || ids == entry.end() || !ids->is_array())
      return Status::error(join(stp, "ids") + ": expected an array of ids");
    for (size_t k = 0; k < ids->size(); ++k) {
      int32_t id;
      PHOTON_RETURN_IF_ERROR(asId((*ids)[k], indexPath(join(stp, "ids"), k), id));
      (seenSequence ? step.after : step.before).push_back(id);
    }
  }
  if (!seenSequence)
    return Status::error(sp + ": the template never places sequence A");
  return Status::success();
}

Status parsePostProcessor(const UnorderedJson &v, const std::string &path, std::vector<PostStep> &out) {
  if (v.is_null())
    return Status::success();
  std::string type;
  PHOTON_RETURN_IF_ERROR(getType(v, path, type));
  PostStep step;
  if (type == "Sequence")
    return parseSequence(v, path, "processors", out, parsePostProcessor);
  if (type == "ByteLevel")
    return Status::success(); // it only trims offsets
  if (type == "TemplateProcessing") {
    PHOTON_RETURN_IF_ERROR(parseTemplate(v, path, step));
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    int32_t cls, sep;
    PHOTON_RETURN_IF_ERROR(parseNamedId(v, "cls", path, cls));
    PHOTON_RETURN_IF_ERROR(parseNamedId(v, "sep", path, sep));
    step.before = {cls};
    step.after = {sep};
  } else {
    return unsupported(path, "post-processor", type,
                       "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence");
  }
  out.push_back(std::move(step));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// The BPE model
//===----------------------------------------------------------------------===//

struct BpeModel {
  std::unordered_map<std::string, int32_t> vocab;
  std::unordered_map<int32_t, std::string> idToToken;
  /// (left id, right id) -> (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;
  std::optional<int32_t> unkId;
  bool byteFallback = false, fuseUnk = false, ignoreMerges = false;
  int32_t byteIds[256]; // "<0xXX>" ids, -1 when absent

  static uint64_t key(int32_t a, int32_t b) {
    return (uint64_t(uint32_t(a)) << 32) | uint32_t(b);
  }

  struct Symbol {
    int32_t id;
    int64_t prev, next;
    size_t len; // bytes; 0 once merged into its left neighbour
  };

  /// tokenizers' BPE::merge_word + Word::merge_all: merges by rank, ties
  /// to the left, with a heap (O(n log n) for a word of n characters).
  void tokenize(const std::u32string &word, std::vector<int32_t> &ids) const {
    if (word.empty())
      return;
    std::string utf8 = encodeUtf8(word);
    if (ignoreMerges)
      if (auto it = vocab.find(utf8); it != vocab.end()) {
        ids.push_back(it->second);
        return;
      }
    std::vector<Symbol> symbols;
    auto add = [&](int32_t id, size_t len) {
      int64_t n = int64_t(symbols.size());
      symbols.push_back({id, n - 1, n + 1, len});
    };
    std::optional<std::pair<int32_t, size_t>> unk; // a pending (fused) unknown
    std::string ch;
    for (char32_t c : word) {
      ch.clear();
      appendUtf8(ch, c);
      if (auto it = vocab.find(ch); it != vocab.end()) {
        if (unk) {
          add(unk->first, unk->second);
          unk.reset();
        }
        add(it->second, ch.size());
        continue;
      }
      if (byteFallback) {
        bool all = true;
        for (unsigned char b : ch)
          all = all && byteIds[b] >= 0;
        if (all) {
          // As tokenizers does, a pending unknown is not flushed here.
          for (unsigned char b : ch)
            add(byteIds[b], 1);
          continue;
        }
      }
      if (unkId) {
        if (unk && fuseUnk) {
          unk->second += ch.size();
        } else {
          if (unk)
            add(unk->first, unk->second);
          unk = std::make_pair(*unkId, ch.size());
        }
      }
    }
    if (unk)
      add(unk->first, unk->second);
    if (!symbols.empty())
      symbols.back().next = -1;

    struct Candidate {
      int32_t rank, newId;
      size_t pos;
      bool operator<(const Candidate &o) const { // the heap's top: lowest rank, then pos
        return rank != o.rank ? rank > o.rank : pos > o.pos;
      }
    };
    std::priority_queue<Candidate> queue;
    auto pairAt = [&](size_t pos, int32_t right) -> const std::pair<int32_t, int32_t> * {
      auto it = merges.find(key(symbols[pos].id, right));
      return it == merges.end() ? nullptr : &it->second;
    };
    for (size_t i = 0; i + 1 < symbols.size(); ++i)
      if (auto m = pairAt(i, symbols[i + 1].id))
        queue.push({m->first, m->second, i});
    while (!queue.empty()) {
      Candidate top = queue.top();
      queue.pop();
      Symbol &cur = symbols[top.pos];
      if (cur.len == 0 || cur.next == -1)
        continue;
      size_t nextPos = size_t(cur.next);
      Symbol right = symbols[nextPos];
      auto m = pairAt(top.pos, right.id);
      if (!m || m->second != top.newId)
        continue; // stale: one side was merged since
      cur.id = top.newId;
      cur.len += right.len;
      cur.next = right.next;
      symbols[nextPos].len = 0;
      if (right.next >= 0)
        symbols[size_t(right.next)].prev = int64_t(top.pos);
      if (cur.prev >= 0)
        if (auto pm = pairAt(size_t(cur.prev), cur.id))
          queue.push({pm->first, pm->second, size_t(cur.prev)});
      if (cur.next >= 0)
        if (auto nm = pairAt(top.pos, symbols[size_t(cur.next)].id))
          queue.push({nm->first, nm->second, top.pos});
    }
    for (const Symbol &s : symbols)
      if (s.len != 0)
        ids.push_back(s.id);
  }
};

/// One merge; `path` is called for an error's path only (10^5 merges).
template <class Path>
Status parseMergePair(const UnorderedJson &m, Path path, std::string &a, std::string &b) {
  if (m.is_string()) {
    const std::string &s = m.get_ref<const std::string &>();
    size_t sp = s.find(' ');
    if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
      return Status::error(path() + ": expected \"left right\" (two tokens and one space), got '" +
                           s + "'");
    a = s.substr(0, sp);
    b = s.substr(sp + 1);
    return Status::success();
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    a = m[0].get_ref<const std::string &>();
    b = m[1].get_ref<const std::string &>();
    return Status::success();
  }
  return Status::error(path() + ": expected \"left right\" or [left, right]");
}

Status parseModel(const UnorderedJson &v, const std::string &path, BpeModel &model) {
  std::string type = "BPE";
  if (!v.is_object())
    return typeError(path, "an object", v);
  PHOTON_RETURN_IF_ERROR(getString(v, "type", path, type, /*required=*/false));
  if (type != "BPE")
    return unsupported(path, "model", type, "BPE");
  if (auto d = v.find("dropout"); d != v.end() && !d->is_null())
    if (!d->is_number() || d->get<double>() != 0.0)
      return Status::error(join(path, "dropout") + ": BPE dropout is not supported (random)");
  for (const char *k : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    std::string s;
    PHOTON_RETURN_IF_ERROR(getString(v, k, path, s, /*required=*/false));
    if (!s.empty())
      return Status::error(join(path, k) + ": not supported ('" + s + "')");
  }
  PHOTON_RETURN_IF_ERROR(getBool(v, "byte_fallback", path, model.byteFallback));
  PHOTON_RETURN_IF_ERROR(getBool(v, "fuse_unk", path, model.fuseUnk));
  PHOTON_RETURN_IF_ERROR(getBool(v, "ignore_merges", path, model.ignoreMerges));

  std::string vp = join(path, "vocab");
  auto vocab = v.find("vocab");
  if (vocab == v.end() || !vocab->is_object())
    return Status::error(vp + ": expected an object {token: id}");
  model.vocab.reserve(vocab->size());
  model.idToToken.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    int32_t id;
    // The path is built only for an error: vocabularies have 10^5 entries.
    if (!isJsonInt(it.value()) || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX)
      return asId(it.value(), join(vp, it.key()), id);
    id = static_cast<int32_t>(it.value().get<int64_t>());
    model.vocab.emplace(it.key(), id);
    model.idToToken.emplace(id, it.key());
  }
  std::fill(std::begin(model.byteIds), std::end(model.byteIds), -1);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    if (auto it = model.vocab.find(name); it != model.vocab.end())
      model.byteIds[b] = it->second;
  }

  std::string unk;
  PHOTON_RETURN_IF_ERROR(getString(v, "unk_token", path, unk, /*required=*/false));
  if (!unk.empty()) {
    auto it = model.vocab.find(unk);
    if (it == model.vocab.end())
      return Status::error(join(path, "unk_token") + ": '" + unk + "' is not in the vocabulary");
    model.unkId = it->second;
  }

  std::string mp = join(path, "merges");
  auto merges = v.find("merges");
  if (merges == v.end() || !merges->is_array())
    return Status::error(mp + ": expected an array");
  int32_t rank = 0;
  std::string a, b, ab;
  model.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const UnorderedJson &m = (*merges)[i];
    if (m.is_string() && m.get_ref<const std::string &>().rfind("#version", 0) == 0)
      continue; // a merges.txt header kept in the list
    auto ip = [&] { return indexPath(mp, i); };
    PHOTON_RETURN_IF_ERROR(parseMergePair(m, ip, a, b));
    ab = a;
    ab += b;
    auto ia = model.vocab.find(a), ib = model.vocab.find(b), iab = model.vocab.find(ab);
    for (auto [it, tok] : {std::make_pair(ia, &a), std::make_pair(ib, &b), std::make_pair(iab, &ab)})
      if (it == model.vocab.end())
        return Status::error(ip() + ": '" + *tok + "' is not in the vocabulary");
    model.merges[BpeModel::key(ia->second, ib->second)] = {rank++, iab->second};
  }
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Added tokens
//===----------------------------------------------------------------------===//

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false, lstrip = false, rstrip = false, normalized = true, singleWord = false;
};

/// Leftmost-longest matching of a set of strings (tokenizers uses an
/// Aho-Corasick automaton with MatchKind::LeftmostLongest).
class TokenMatcher {
public:
  void add(std::u32string pattern, size_t token) {
    if (pattern.empty())
      return;
    byFirst_[pattern[0]].push_back({std::move(pattern), token});
  }
  void finish() {
    for (auto &[c, list] : byFirst_)
      std::sort(list.begin(), list.end(), [](const Entry &a, const Entry &b) {
        return a.pattern.size() != b.pattern.size() ? a.pattern.size() > b.pattern.size()
                                                    : a.token < b.token;
      });
  }
  bool empty() const { return byFirst_.empty(); }

  struct Match {
    size_t start, end, token;
  };
  std::vector<Match> findAll(const std::u32string &text) const {
    std::vector<Match> out;
    for (size_t pos = 0; pos < text.size();) {
      bool found = false;
      if (auto it = byFirst_.find(text[pos]); it != byFirst_.end())
        for (const Entry &e : it->second)
          if (text.compare(pos, e.pattern.size(), e.pattern) == 0) {
            out.push_back({pos, pos + e.pattern.size(), e.token});
            pos += e.pattern.size();
            found = true;
            break;
          }
      if (!found)
        ++pos;
    }
    return out;
  }

private:
  struct Entry {
    std::u32string pattern;
    size_t token;
  };
  std::unordered_map<char32_t, std::vector<Entry>> byFirst_;
};

//===----------------------------------------------------------------------===//
// The tokenizer
//===----------------------------------------------------------------------===//

class HfTokenizer final : public Tokenizer {
public:
  std::string origin;
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> preTokenizer;
  BpeModel model;
  std::vector<DecoderStep> decoder;
  bool hasDecoder = false;
  std::vector<PostStep> postProcessor;
  std::vector<AddedToken> added;
  std::unordered_map<int32_t, size_t> addedById;
  TokenMatcher rawMatcher, normalizedMatcher;
  int64_t vocabSize_ = 0;

  std::string description() const override {
    std::string kind = "BPE";
    if (!preTokenizer.empty() && preTokenizer.back().kind == PreTokenizerStep::ByteLevel)
      kind += ", byte-level";
    if (model.byteFallback)
      kind += ", byte fallback";
    return "HF " + kind + ", " + std::to_string(vocabSize_) + " ids, from " + origin;
  }

  int64_t vocabSize() const override { return vocabSize_; }

  std::optional<int32_t> bosId() const override {
    std::vector<int32_t> ids = postProcess({-1}); // -1 marks where the text goes
    if (ids.empty() || ids.front() == -1)
      return std::nullopt;
    return ids.front();
  }

  std::vector<int32_t> postProcess(std::vector<int32_t> ids) const {
    for (const PostStep &s : postProcessor) {
      std::vector<int32_t> out = s.before;
      out.insert(out.end(), ids.begin(), ids.end());
      out.insert(out.end(), s.after.begin(), s.after.end());
      ids = std::move(out);
    }
    return ids;
  }

  void normalize(std::u32string &s) const {
    for (const NormalizerStep &n : normalizer)
      n.apply(s);
  }

  /// AddedVocabulary::find_matches on one piece, appending to `out`.
  void splitOnAdded(const Split &piece, const TokenMatcher &matcher,
                    std::vector<Split> &out) const {
    const std::u32string &s = piece.text;
    size_t startOffset = 0;
    auto emitText = [&](size_t b, size_t e) {
      if (e > b)
        out.push_back({s.substr(b, e - b), piece.atOrigin && b == 0, -1});
    };
    for (const TokenMatcher::Match &m : matcher.findAll(s)) {
      const AddedToken &tok = added[m.token];
      size_t start = m.start, stop = m.end;
      if (tok.singleWord) {
        bool startSpace = start == 0 || !unicode::isWordChar(s[start - 1]);
        bool stopSpace = stop == s.size() || !unicode::isWordChar(s[stop]);
        if (!startSpace || !stopSpace)
          continue;
      }
      if (tok.lstrip) {
        size_t newStart = start;
        while (newStart > 0 && unicode::isSpace(s[newStart - 1]))
          --newStart;
        start = std::max(newStart, startOffset);
      }
      if (tok.rstrip)
        while (stop < s.size() && unicode::isSpace(s[stop]))
          ++stop;
      if (startOffset < start)
        emitText(startOffset, start);
      out.push_back({{}, false, tok.id});
      startOffset = stop;
    }
    emitText(startOffset, s.size());
  }

  Expected<std::vector<int32_t>> encode(std::string_view text,
                                        bool addSpecialTokens) const override {
    Split all;
    size_t bad;
    if (!unicode::decodeUtf8(text, all.text, &bad))
      return Status::error("the text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    all.atOrigin = true;
    std::vector<Split> pieces, normalized;
    splitOnAdded(all, rawMatcher, pieces);
    for (Split &p : pieces) {
      if (p.tokenId >= 0) {
        normalized.push_back(std::move(p));
        continue;
      }
      normalize(p.text);
      splitOnAdded(p, normalizedMatcher, normalized);
    }
    for (const PreTokenizerStep &step : preTokenizer)
      step.apply(normalized);
    std::vector<int32_t> ids;
    for (const Split &p : normalized) {
      if (p.tokenId >= 0)
        ids.push_back(p.tokenId);
      else
        model.tokenize(p.text, ids);
    }
    if (addSpecialTokens)
      ids = postProcess(std::move(ids));
    return ids;
  }

  std::string decode(const std::vector<int32_t> &ids) const override {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
      if (auto it = addedById.find(id); it != addedById.end())
        tokens.push_back(added[it->second].content);
      else if (auto mt = model.idToToken.find(id); mt != model.idToToken.end())
        tokens.push_back(mt->second);
      // tokenizers skips ids it does not know
    }
    if (!hasDecoder) {
      std::string out;
      for (size_t i = 0; i < tokens.size(); ++i)
        out += (i ? " " : "") + tokens[i];
      return out;
    }
    for (const DecoderStep &d : decoder)
      d.apply(tokens);
    std::string out;
    for (const std::string &t : tokens)
      out += t;
    return out;
  }

  std::unique_ptr<TokenTextStream> streamDecoder() const override;
};

/// Decodes a window of recent ids and emits what grew, as tokenizers'
/// DecodeStream does: text that ends in U+FFFD (an incomplete character, or
/// an incomplete run of byte-fallback tokens) is held back until it
/// completes, for at most kMaxHeldTokens tokens (a character is at most four
/// byte tokens; beyond that the bytes are invalid and go out as U+FFFD). The
/// window restarts after each emission, so a token costs O(window), and
/// decoders that treat the first token specially (Metaspace) see the same
/// first token in both decodes.
class HfTextStream final : public TokenTextStream {
public:
  explicit HfTextStream(const HfTokenizer &t) : tok_(t) {}

  std::string push(int32_t id) override {
    ids_.push_back(id);
    return emit(false);
  }
  std::string flush() override {
    std::string out = emit(true);
    ids_.clear();
    prefix_ = read_ = 0;
    return out;
  }

private:
  static constexpr size_t kMaxHeldTokens = 8;
  const HfTokenizer &tok_;
  std::vector<int32_t> ids_;
  size_t prefix_ = 0, read_ = 0;

  std::string emit(bool final) {
    std::string before =
        tok_.decode(std::vector<int32_t>(ids_.begin() + prefix_, ids_.begin() + read_));
    std::string now = tok_.decode(std::vector<int32_t>(ids_.begin() + prefix_, ids_.end()));
    bool incomplete = now.size() >= 3 && now.compare(now.size() - 3, 3, "\xEF\xBF\xBD") == 0 &&
                      ids_.size() - read_ <= kMaxHeldTokens;
    if (now.size() <= before.size() || (incomplete && !final) ||
        now.compare(0, before.size(), before) != 0)
      return final && now.size() > before.size() ? now.substr(before.size()) : "";
    prefix_ = read_;
    read_ = ids_.size();
    return now.substr(before.size());
  }
};

std::unique_ptr<TokenTextStream> HfTokenizer::streamDecoder() const {
  return std::make_unique<HfTextStream>(*this);
}

Status parseAddedTokens(const UnorderedJson &root, HfTokenizer &t) {
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null())
    return Status::success();
  if (!it->is_array())
    return typeError("added_tokens", "an array", *it);
  for (size_t i = 0; i < it->size(); ++i) {
    const UnorderedJson &e = (*it)[i];
    std::string p = indexPath("added_tokens", i);
    if (!e.is_object())
      return typeError(p, "an object", e);
    AddedToken tok;
    PHOTON_RETURN_IF_ERROR(getString(e, "content", p, tok.content));
    PHOTON_RETURN_IF_ERROR(getId(e, "id", p, tok.id));
    PHOTON_RETURN_IF_ERROR(getBool(e, "special", p, tok.special));
    // tokenizers' default: special tokens are not normalized.
    tok.normalized = !tok.special;
    PHOTON_RETURN_IF_ERROR(getBool(e, "normalized", p, tok.normalized));
    PHOTON_RETURN_IF_ERROR(getBool(e, "lstrip", p, tok.lstrip));
    PHOTON_RETURN_IF_ERROR(getBool(e, "rstrip", p, tok.rstrip));
    PHOTON_RETURN_IF_ERROR(getBool(e, "single_word", p, tok.singleWord));
    if (tok.content.empty())
      continue; // tokenizers ignores empty added tokens
    // An added token that the model knows takes the model's id.
    if (auto v = t.model.vocab.find(tok.content); v != t.model.vocab.end())
      tok.id = v->second;
    if (auto prev = t.addedById.find(tok.id); prev != t.addedById.end()) {
      t.added[prev->second] = tok; // a later entry updates the earlier one
      continue;
    }
    t.addedById[tok.id] = t.added.size();
    t.added.push_back(std::move(tok));
  }
  for (size_t i = 0; i < t.added.size(); ++i) {
    const AddedToken &tok = t.added[i];
    std::u32string content = toU32(tok.content);
    if (tok.normalized) {
      t.normalize(content);
      t.normalizedMatcher.add(std::move(content), i);
    } else {
      t.rawMatcher.add(std::move(content), i);
    }
  }
  t.rawMatcher.finish();
  t.normalizedMatcher.finish();
  return Status::success();
}

Expected<std::unique_ptr<Tokenizer>> parseRoot(const UnorderedJson &root, const std::string &origin) {
  if (!root.is_object())
    return typeError("the top level", "an object", root);
  auto t = std::make_unique<HfTokenizer>();
  t->origin = origin;
  auto field = [&](const char *key) -> const UnorderedJson & {
    static const UnorderedJson kNull;
    auto it = root.find(key);
    return it == root.end() ? kNull : *it;
  };
  if (!root.contains("model"))
    return Status::error("model: missing");
  // Padding to the longest of a batch changes nothing for one sequence;
  // truncation and fixed-length padding would change the ids.
  if (!field("truncation").is_null())
    return Status::error("truncation: not supported (must be null)");
  if (const UnorderedJson &pad = field("padding"); !pad.is_null()) {
    auto strategy = pad.is_object() ? pad.find("strategy") : pad.end();
    if (strategy == pad.end() || *strategy != "BatchLongest")
      return Status::error("padding: only null or the BatchLongest strategy is supported");
  }
  PHOTON_RETURN_IF_ERROR(parseModel(field("model"), "model", t->model));
  PHOTON_RETURN_IF_ERROR(parseNormalizer(field("normalizer"), "normalizer", t->normalizer));
  PHOTON_RETURN_IF_ERROR(
      parsePreTokenizer(field("pre_tokenizer"), "pre_tokenizer", t->preTokenizer));
  PHOTON_RETURN_IF_ERROR(parseDecoder(field("decoder"), "decoder", t->decoder));
  t->hasDecoder = !field("decoder").is_null();
  PHOTON_RETURN_IF_ERROR(
      parsePostProcessor(field("post_processor"), "post_processor", t->postProcessor));
  PHOTON_RETURN_IF_ERROR(parseAddedTokens(root, *t));

  int64_t maxId = -1;
  for (const auto &[tok, id] : t->model.vocab)
    maxId = std::max<int64_t>(maxId, id);
  for (const AddedToken &a : t->added)
    maxId = std::max<int64_t>(maxId, a.id);
  t->vocabSize_ = maxId + 1;
  for (const PostStep &s : t->postProcessor)
    for (const auto *list : {&s.before, &s.after})
      for (int32_t id : *list)
        if (id >= t->vocabSize_)
          return Status::error("post_processor: token id " + std::to_string(id) +
                               " is outside the vocabulary [0, " + std::to_string(t->vocabSize_) +
                               ")");

  // EOS by convention (selectTokenizer may override it from the checkpoint).
  for (const char *name :
       {"</s>", "<|endoftext|>", "<|end_of_text|>", "<|eot_id|>", "<|im_end|>", "<eos>"}) {
    auto a = std::find_if(t->added.begin(), t->added.end(),
                          [&](const AddedToken &x) { return x.content == name; });
    if (a != t->added.end()) {
      t->setEosIds({a->id});
      break;
    }
    if (auto v = t->model.vocab.find(name); v != t->model.vocab.end()) {
      t->setEosIds({v->second});
      break;
    }
  }
  return std::unique_ptr<Tokenizer>(std::move(t));
}

} // namespace

Expected<std::unique_ptr<Tokenizer>> parseHfTokenizer(std::string_view json,
                                                      const std::string &origin) {
  Expected<UnorderedJson> root = parseUnorderedJson(json);
  if (!root)
    return root.status().withContext(origin);
  // The parsers check every type before reading a value; this only guards
  // against a nlohmann-json exception that a check missed.
  try {
    Expected<std::unique_ptr<Tokenizer>> t = parseRoot(*root, origin);
    if (!t)
      return t.status().withContext(origin);
    return t;
  } catch (const std::exception &e) {
    return Status::error(origin + ": malformed tokenizer.json: " + e.what());
  }
}

Expected<std::unique_ptr<Tokenizer>> loadHfTokenizer(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return Status::error("tokenizer " + path + " is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error("cannot open tokenizer " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return Status::error("cannot read tokenizer " + path);
  return parseHfTokenizer(ss.str(), path);
}

} // namespace photon::rt
