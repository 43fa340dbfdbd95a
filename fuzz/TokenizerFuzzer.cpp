//===- TokenizerFuzzer.cpp - libFuzzer target: HF tokenizers --------------===//
//
// The first byte picks what the rest is:
//   0 mod 3  a tokenizer.json (parseHfTokenizer; when accepted, it encodes
//            and decodes a fixed text);
//   1 mod 3  a regex (TokenizerRegex::compile; when accepted, it matches the
//            fixed text and its own pattern);
//   2 mod 3  text for the fixed tokenizer PHOTON_FUZZ_TOKENIZER (a seed of
//            this target's corpus): encode, decode, stream-decode, and
//            decode the raw bytes read as ids.
//
//===----------------------------------------------------------------------===//

#include "runtime/HfTokenizer.h"
#include "runtime/TokenizerRegex.h"
#include "runtime/Unicode.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace photon::rt;

static Tokenizer *fixedTokenizer = nullptr;
static const char kText[] = "Hello world's  123\n\n\t caf\xC3\xA9 \xF0\x9F\x98\x80 <s></s> x=y+1;";

static void exercise(const Tokenizer &t, std::string_view text) {
  for (bool special : {false, true}) {
    Expected<std::vector<int32_t>> ids = t.encode(text, special);
    if (!ids)
      continue;
    for (int32_t id : *ids)
      if (id < 0 || id >= t.vocabSize())
        __builtin_trap();
    std::string decoded = t.decode(*ids);
    std::unique_ptr<TokenTextStream> s = t.streamDecoder();
    std::string streamed;
    for (int32_t id : *ids)
      streamed += s->push(id);
    streamed += s->flush();
    (void)decoded;
    (void)streamed;
  }
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  Expected<std::unique_ptr<Tokenizer>> t = loadHfTokenizer(PHOTON_FUZZ_TOKENIZER);
  if (!t) {
    std::fprintf(stderr, "TokenizerFuzzer: %s\n", t.status().message().c_str());
    std::abort();
  }
  fixedTokenizer = t->release();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  switch (data[0] % 3) {
  case 0:
    if (Expected<std::unique_ptr<Tokenizer>> t = parseHfTokenizer(rest, "fuzz/tokenizer.json"))
      exercise(**t, kText);
    break;
  case 1:
    if (Expected<TokenizerRegex> re = TokenizerRegex::compile(rest)) {
      std::u32string text, pattern;
      unicode::decodeUtf8(kText, text);
      unicode::decodeUtf8(rest, pattern);
      for (const std::u32string *s : {&text, &pattern})
        for (auto [b, e] : re->findAll(*s))
          if (b > e || e > s->size())
            __builtin_trap();
    }
    break;
  default: {
    exercise(*fixedTokenizer, rest);
    std::vector<int32_t> ids;
    for (size_t i = 0; i + 2 <= rest.size(); i += 2)
      ids.push_back(int32_t(uint8_t(rest[i])) << 8 | uint8_t(rest[i + 1]));
    (void)fixedTokenizer->decode(ids);
    break;
  }
  }
  return 0;
}
