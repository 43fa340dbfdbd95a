//===- Unicode.cpp - Unicode data for the tokenizers ----------------------===//

#include "runtime/Unicode.h"

#include <algorithm>

namespace photon::rt::unicode {

Category category(char32_t c) {
  const CategoryRange *end = kCategoryRanges + kNumCategoryRanges;
  const CategoryRange *it = std::upper_bound(
      kCategoryRanges, end, c, [](char32_t v, const CategoryRange &r) { return v < r.first; });
  if (it == kCategoryRanges)
    return Category::Cn;
  --it;
  return c <= it->last ? it->category : Category::Cn;
}

char majorClass(Category c) {
  switch (c) {
  case Category::Lu: case Category::Ll: case Category::Lt: case Category::Lm: case Category::Lo:
    return 'L';
  case Category::Mn: case Category::Mc: case Category::Me:
    return 'M';
  case Category::Nd: case Category::Nl: case Category::No:
    return 'N';
  case Category::Pc: case Category::Pd: case Category::Ps: case Category::Pe:
  case Category::Pi: case Category::Pf: case Category::Po:
    return 'P';
  case Category::Sm: case Category::Sc: case Category::Sk: case Category::So:
    return 'S';
  case Category::Zs: case Category::Zl: case Category::Zp:
    return 'Z';
  default:
    return 'C';
  }
}

bool isSpace(char32_t c) {
  if ((c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85)
    return true;
  return c >= 0xA0 && majorClass(category(c)) == 'Z';
}

bool isWordChar(char32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (c == 0x200C || c == 0x200D) // Join_Control
    return true;
  Category cat = category(c);
  char m = majorClass(cat);
  return m == 'L' || m == 'M' || cat == Category::Nd || cat == Category::Nl ||
         cat == Category::Pc;
}

//===----------------------------------------------------------------------===//
// NFC
//===----------------------------------------------------------------------===//

namespace {

// Hangul syllables decompose and compose algorithmically (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr char32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

uint8_t combiningClass(char32_t c) {
  const CombiningClassRange *end = kCombiningClassRanges + kNumCombiningClassRanges;
  const CombiningClassRange *it =
      std::upper_bound(kCombiningClassRanges, end, c,
                       [](char32_t v, const CombiningClassRange &r) { return v < r.first; });
  if (it == kCombiningClassRanges)
    return 0;
  --it;
  return c <= it->last ? it->combiningClass : 0;
}

void decompose(char32_t c, std::u32string &out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    char32_t s = c - kSBase;
    out += kLBase + s / kNCount;
    out += kVBase + (s % kNCount) / kTCount;
    if (s % kTCount)
      out += kTBase + s % kTCount;
    return;
  }
  const Decomposition *end = kDecompositions + kNumDecompositions;
  const Decomposition *it = std::lower_bound(
      kDecompositions, end, c, [](const Decomposition &d, char32_t v) { return d.composite < v; });
  if (it == end || it->composite != c) {
    out += c;
    return;
  }
  decompose(it->first, out); // the table holds one level; recurse for the full form
  if (it->second)
    decompose(it->second, out);
}

/// The primary composite of a pair, or 0.
char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const Composition *end = kCompositions + kNumCompositions;
  const Composition *it =
      std::lower_bound(kCompositions, end, std::make_pair(a, b),
                       [](const Composition &c, const std::pair<char32_t, char32_t> &v) {
                         return std::make_pair(c.first, c.second) < v;
                       });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

} // namespace

std::u32string nfc(const std::u32string &text) {
  std::u32string d;
  d.reserve(text.size());
  for (char32_t c : text)
    decompose(c, d);
  // Canonical ordering: a stable sort of each run of non-starters by class.
  for (size_t i = 0; i < d.size();) {
    if (combiningClass(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && combiningClass(d[j]) != 0)
      ++j;
    for (size_t k = i + 1; k < j; ++k) // insertion sort: stable, and runs are short
      for (size_t m = k; m > i && combiningClass(d[m - 1]) > combiningClass(d[m]); --m)
        std::swap(d[m - 1], d[m]);
    i = j;
  }
  // Canonical composition (the UAX #15 reference algorithm).
  if (d.empty())
    return d;
  size_t starterPos = 0, out = 1;
  int lastClass = combiningClass(d[0]) ? 256 : 0; // a leading non-starter blocks
  for (size_t i = 1; i < d.size(); ++i) {
    char32_t c = d[i];
    int cls = combiningClass(c);
    char32_t composite = compose(d[starterPos], c);
    if (composite && (lastClass < cls || lastClass == 0)) {
      d[starterPos] = composite;
      continue;
    }
    if (cls == 0)
      starterPos = out;
    lastClass = cls;
    d[out++] = c;
  }
  d.resize(out);
  return d;
}

//===----------------------------------------------------------------------===//
// UTF-8
//===----------------------------------------------------------------------===//

namespace {

/// The length of the valid UTF-8 sequence at text[i], or 0 with *valid set to
/// the length of its longest valid prefix (at least 1).
size_t utf8Sequence(std::string_view text, size_t i, char32_t *cp, size_t *validPrefix) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  *validPrefix = 1;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F; // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else
    return 0;
  char32_t c = b0 & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= text.size())
      return 0;
    unsigned char b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (b & 0x3F);
    *validPrefix = k + 1;
  }
  *cp = c;
  return len;
}

} // namespace

bool decodeUtf8(std::string_view text, std::u32string &out, size_t *badOffset) {
  out.clear();
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t c;
    size_t prefix;
    size_t len = utf8Sequence(text, i, &c, &prefix);
    if (len == 0) {
      if (badOffset)
        *badOffset = i;
      return false;
    }
    out += c;
    i += len;
  }
  return true;
}

void appendUtf8(std::string &out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string encodeUtf8(const std::u32string &text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text)
    appendUtf8(out, c);
  return out;
}

std::string utf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    char32_t c;
    size_t prefix;
    size_t len = utf8Sequence(bytes, i, &c, &prefix);
    if (len) {
      out.append(bytes.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += prefix;
    }
  }
  return out;
}

} // namespace photon::rt::unicode
