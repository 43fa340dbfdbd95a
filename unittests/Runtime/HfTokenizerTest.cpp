//===- HfTokenizerTest.cpp - Tests of the HF tokenizer.json tokenizer -----===//
//
// Hand-made tokenizer.json fixtures whose ids are worked out by hand (merge
// order, byte fallback, added tokens, decoders), the pre-tokenizer regexes,
// NFC, and malformed files. HfTokenizerRefTest.cpp checks real-size
// tokenizers against ids produced by HF tokenizers.
//
//===----------------------------------------------------------------------===//

#include "runtime/HfTokenizer.h"
#include "runtime/Json.h"
#include "runtime/TokenizerRegex.h"
#include "runtime/Unicode.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

using namespace photon::rt;

namespace {

using Ids = std::vector<int32_t>;

std::unique_ptr<Tokenizer> load(const Json &j) {
  Expected<std::unique_ptr<Tokenizer>> t = parseHfTokenizer(j.dump(), "fixture");
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(*t) : nullptr;
}

std::string loadError(const std::string &text) {
  Expected<std::unique_ptr<Tokenizer>> t = parseHfTokenizer(text, "fixture");
  EXPECT_FALSE(t.ok());
  return t.ok() ? "" : t.status().message();
}

Ids encode(const Tokenizer &t, const std::string &text, bool special = false) {
  Expected<Ids> ids = t.encode(text, special);
  EXPECT_TRUE(ids.ok()) << ids.status().message();
  return ids.ok() ? *ids : Ids{};
}

/// GPT-2 style: byte-level pre-tokenizer and decoder. "Ġ" is the byte
/// alphabet's space. Merges build "hello" and "Ġwor".
Json byteLevelFixture() {
  return Json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [
      {"id": 16, "content": "<|endoftext|>", "single_word": false, "lstrip": false,
       "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                      "use_regex": true},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false,
                       "use_regex": true},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
                "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null,
              "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false,
              "byte_fallback": false, "ignore_merges": false,
              "vocab": {"h": 0, "e": 1, "l": 2, "o": 3, "\u0120": 4, "w": 5, "r": 6, "d": 7,
                        "he": 8, "ll": 9, "hell": 10, "hello": 11, "\u0120w": 12, "or": 13,
                        "\u0120wor": 14, "!": 15, "\u00c3": 17, "\u00a9": 18},
              "merges": ["h e", "l l", ["he", "ll"], "hell o", "\u0120 w", "o r",
                         "\u0120w or"]}
  })");
}

/// LLaMA-2 style: Prepend/Replace normalizer, BPE with byte fallback and
/// <unk>, a Replace/ByteFallback/Fuse/Strip decoder, BOS by a template.
Json byteFallbackFixture() {
  Json vocab = Json::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    vocab[name] = 3 + b;
  }
  const char *pieces[] = {"\u2581", "a", "b", "\u2581a", "ab", "\u2581ab"};
  for (int i = 0; i < 6; ++i)
    vocab[pieces[i]] = 259 + i;
  Json j = Json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [
      {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false,
       "normalized": false, "special": true},
      {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
       "normalized": false, "special": true},
      {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
       "normalized": false, "special": true}],
    "normalizer": {"type": "Sequence", "normalizers": [
      {"type": "Prepend", "prepend": "\u2581"},
      {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    "pre_tokenizer": null,
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
               {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "<s>", "type_id": 1}},
               {"Sequence": {"id": "B", "type_id": 1}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"},
      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>",
              "continuing_subword_prefix": null, "end_of_word_suffix": null,
              "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
              "merges": [["\u2581", "a"], ["a", "b"], ["\u2581a", "b"]]}
  })");
  j["model"]["vocab"] = vocab;
  return j;
}

std::string collectStream(const Tokenizer &t, const Ids &ids) {
  std::unique_ptr<TokenTextStream> s = t.streamDecoder();
  std::string out;
  for (int32_t id : ids)
    out += s->push(id);
  return out + s->flush();
}

//===----------------------------------------------------------------------===//
// Byte-level BPE
//===----------------------------------------------------------------------===//

TEST(HfTokenizer, ByteLevelMergesByRank) {
  auto t = load(byteLevelFixture());
  ASSERT_TRUE(t);
  // "hello" merges fully; " world" is "Ġwor" + "l" + "d".
  EXPECT_EQ(encode(*t, "hello world"), (Ids{11, 14, 2, 7}));
  // Equal ranks merge leftmost first: "lll" is "ll" + "l".
  EXPECT_EQ(encode(*t, "lll"), (Ids{9, 2}));
  // "hel" + "lo": rank 0 (h e) before rank 1 (l l), then nothing else applies.
  EXPECT_EQ(encode(*t, "hello!"), (Ids{11, 15}));
  // Characters outside the vocabulary, with no unk token, are dropped (as HF).
  EXPECT_EQ(encode(*t, "hz"), (Ids{0}));
  // "é" is the bytes C3 A9, i.e. "Ã" and "©" of the byte alphabet.
  EXPECT_EQ(encode(*t, "\xC3\xA9"), (Ids{17, 18}));
  EXPECT_EQ(t->vocabSize(), 19);
  EXPECT_FALSE(t->bosId());
  EXPECT_EQ(t->eosId(), std::optional<int32_t>(16));
  // The ByteLevel post-processor adds nothing.
  EXPECT_EQ(encode(*t, "hello", true), (Ids{11}));
}

TEST(HfTokenizer, SpecialTokensInText) {
  auto t = load(byteLevelFixture());
  ASSERT_TRUE(t);
  EXPECT_EQ(encode(*t, "hello<|endoftext|> world"), (Ids{11, 16, 14, 2, 7}));
  EXPECT_EQ(encode(*t, "<|endoftext|><|endoftext|>"), (Ids{16, 16}));
  EXPECT_EQ(t->decode({11, 14, 2, 7, 16}), "hello world<|endoftext|>");
  EXPECT_EQ(t->decode({17, 18}), "\xC3\xA9");
  // Half a character decodes to U+FFFD; unknown ids are skipped.
  EXPECT_EQ(t->decode({11, 17}), "hello\xEF\xBF\xBD");
  EXPECT_EQ(t->decode({11, 9999, -1}), "hello");
}

TEST(HfTokenizer, AddedTokenStripFlags) {
  Json j = byteLevelFixture();
  j["added_tokens"].push_back(Json::parse(
      R"({"id": 19, "content": "<x>", "single_word": false, "lstrip": true,
          "rstrip": false, "normalized": false, "special": true})"));
  j["added_tokens"].push_back(Json::parse(
      R"({"id": 20, "content": "<y>", "single_word": false, "lstrip": false,
          "rstrip": true, "normalized": false, "special": true})"));
  j["added_tokens"].push_back(Json::parse(
      R"({"id": 21, "content": "wd", "single_word": true, "lstrip": false,
          "rstrip": false, "normalized": true, "special": false})"));
  auto t = load(j);
  ASSERT_TRUE(t);
  // lstrip takes the spaces before the token, rstrip those after.
  EXPECT_EQ(encode(*t, "hello  <x>"), (Ids{11, 19}));
  EXPECT_EQ(encode(*t, "hello<y>  hello"), (Ids{11, 20, 11}));
  // Without the flag the space is a word of its own.
  EXPECT_EQ(encode(*t, "hello <|endoftext|>"), (Ids{11, 4, 16}));
  // single_word: "wd" alone is the added token, inside a word it is not.
  EXPECT_EQ(encode(*t, "hello wd"), (Ids{11, 4, 21}));
  EXPECT_EQ(encode(*t, "dwd"), (Ids{7, 5, 7}));
  // An added token that the model knows keeps the model's id.
  j["added_tokens"][3]["content"] = "or";
  t = load(j);
  ASSERT_TRUE(t);
  EXPECT_EQ(encode(*t, "hello or"), (Ids{11, 4, 13}));
}

TEST(HfTokenizer, StreamingNeverSplitsACharacter) {
  auto t = load(byteLevelFixture());
  ASSERT_TRUE(t);
  std::unique_ptr<TokenTextStream> s = t->streamDecoder();
  EXPECT_EQ(s->push(11), "hello");
  EXPECT_EQ(s->push(17), ""); // the first byte of "é"
  EXPECT_EQ(s->push(18), "\xC3\xA9");
  EXPECT_EQ(s->push(14), " wor");
  EXPECT_EQ(s->push(16), "<|endoftext|>");
  EXPECT_EQ(s->flush(), "");
  EXPECT_EQ(s->push(17), "");
  EXPECT_EQ(s->flush(), "\xEF\xBF\xBD"); // an unfinished character at the end
  Ids ids = {11, 17, 18, 14, 2, 7, 15, 17, 18, 16};
  EXPECT_EQ(collectStream(*t, ids), t->decode(ids));
}

//===----------------------------------------------------------------------===//
// SentencePiece-style BPE with byte fallback
//===----------------------------------------------------------------------===//

TEST(HfTokenizer, ByteFallbackAndTemplate) {
  auto t = load(byteFallbackFixture());
  ASSERT_TRUE(t);
  // "ab é" normalizes to "▁ab▁é"; "é" is not in the vocabulary: its bytes.
  EXPECT_EQ(encode(*t, "ab \xC3\xA9"), (Ids{264, 259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(encode(*t, "ab \xC3\xA9", true), (Ids{1, 264, 259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t->bosId(), std::optional<int32_t>(1));
  EXPECT_EQ(t->eosId(), std::optional<int32_t>(2));
  EXPECT_EQ(t->decode({1, 264, 259, 3 + 0xC3, 3 + 0xA9}), "<s> ab \xC3\xA9");
  EXPECT_EQ(t->decode({264, 259, 3 + 0xC3, 3 + 0xA9}), "ab \xC3\xA9");
  // An invalid run of byte tokens becomes one U+FFFD per byte.
  EXPECT_EQ(t->decode({260, 3 + 0xC3, 3 + 0xC3}), "a\xEF\xBF\xBD\xEF\xBF\xBD");
  // The normalizer runs on each piece between special tokens.
  EXPECT_EQ(encode(*t, "a</s>ab"), (Ids{262, 2, 264}));
  EXPECT_EQ(encode(*t, ""), Ids{});
}

TEST(HfTokenizer, ByteFallbackStreamsWholeCharacters) {
  auto t = load(byteFallbackFixture());
  ASSERT_TRUE(t);
  std::unique_ptr<TokenTextStream> s = t->streamDecoder();
  EXPECT_EQ(s->push(264), "ab");
  EXPECT_EQ(s->push(259), " ");
  EXPECT_EQ(s->push(3 + 0xC3), "");
  EXPECT_EQ(s->push(3 + 0xA9), "\xC3\xA9");
  EXPECT_EQ(s->flush(), "");
  Ids ids = {264, 259, 3 + 0xE2, 3 + 0x82, 3 + 0xAC, 262, 259, 261};
  EXPECT_EQ(collectStream(*t, ids), t->decode(ids));
}

TEST(HfTokenizer, UnknownTokens) {
  Json j = byteFallbackFixture();
  j["model"]["byte_fallback"] = false;
  auto t = load(j);
  ASSERT_TRUE(t);
  EXPECT_EQ(encode(*t, "ab \xC3\xA9"), (Ids{264, 259, 0}));
  EXPECT_EQ(encode(*t, "\xC3\xA9\xC3\xA9"), (Ids{259, 0})); // fused
  j["model"]["fuse_unk"] = false;
  t = load(j);
  ASSERT_TRUE(t);
  EXPECT_EQ(encode(*t, "\xC3\xA9\xC3\xA9"), (Ids{259, 0, 0}));
  // Invalid UTF-8 is an error, not a guess.
  Expected<Ids> bad = t->encode("a\xFF");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not valid UTF-8 (byte 1)"), std::string::npos);
}

TEST(HfTokenizer, MetaspaceAndIgnoreMerges) {
  Json j = byteFallbackFixture();
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = Json::parse(
      R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": true})");
  j["decoder"] = Json::parse(
      R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": true})");
  auto t = load(j);
  ASSERT_TRUE(t);
  // "ab ab" -> "▁ab", "▁ab"; after a special token, "first" prepends nothing.
  EXPECT_EQ(encode(*t, "ab ab"), (Ids{264, 264}));
  EXPECT_EQ(encode(*t, "<s>ab"), (Ids{1, 263}));
  EXPECT_EQ(t->decode({264, 264}), "ab ab");
  j["model"]["ignore_merges"] = true;
  j["model"]["merges"] = Json::array();
  t = load(j);
  ASSERT_TRUE(t);
  EXPECT_EQ(encode(*t, "ab"), (Ids{264})); // a whole word in the vocabulary
  EXPECT_EQ(encode(*t, "abb"), (Ids{259, 260, 261, 261}));
}

//===----------------------------------------------------------------------===//
// Regexes and Unicode
//===----------------------------------------------------------------------===//

std::vector<std::string> pieces(const std::string &pattern, const std::string &text) {
  Expected<TokenizerRegex> re = TokenizerRegex::compile(pattern);
  EXPECT_TRUE(re.ok()) << re.status().message();
  if (!re.ok())
    return {};
  std::u32string u;
  EXPECT_TRUE(unicode::decodeUtf8(text, u));
  std::vector<std::string> out;
  for (auto [s, e] : re->findAll(u))
    out.push_back(unicode::encodeUtf8(u.substr(s, e - s)));
  return out;
}

const char *const kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char *const kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

using Strings = std::vector<std::string>;

TEST(TokenizerRegex, Gpt2Pattern) {
  EXPECT_EQ(pieces(kGpt2, "Hello world's  123   x"),
            (Strings{"Hello", " world", "'s", " ", " 123", "  ", " x"}));
  EXPECT_EQ(pieces(kGpt2, "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87!!\n"),
            (Strings{"caf\xC3\xA9", " \xE4\xB8\xAD\xE6\x96\x87", "!!", "\n"}));
  EXPECT_EQ(pieces(kGpt2, "I'M"), (Strings{"I", "'", "M"})); // case-sensitive
}

TEST(TokenizerRegex, Llama3Pattern) {
  EXPECT_EQ(pieces(kLlama3, "I'M 12345"), (Strings{"I", "'M", " ", "123", "45"}));
  EXPECT_EQ(pieces(kLlama3, "x  \n\n y"), (Strings{"x", "  \n\n", " y"}));
  EXPECT_EQ(pieces(kLlama3, "a+=b;\r\n"), (Strings{"a", "+=", "b", ";\r\n"}));
  // A long whitespace run is matched without deep recursion.
  std::string spaces(200000, ' ');
  EXPECT_EQ(pieces(kLlama3, spaces + "x"), (Strings{spaces.substr(1), " x"}));
}

TEST(TokenizerRegex, Syntax) {
  EXPECT_EQ(pieces("a{2,3}?b|c++|[^a-c]", "aaabcccd"), (Strings{"aaab", "ccc", "d"}));
  EXPECT_EQ(pieces("(?:ab)+(?=c)", "ababcab"), (Strings{"abab"}));
  EXPECT_EQ(pieces(R"(\x41\u00e9[\d])", "A\xC3\xA9" "7"), (Strings{"A\xC3\xA9" "7"}));
  // Catastrophic backtracking (2^40 paths) stops at the step budget.
  EXPECT_EQ(pieces("(?:a|a)*b", std::string(40, 'a')), Strings{});
  for (const char *bad : {"(?<=a)b", "a\\1", "[a", "(a", "a)", "*a", "\\p{Greek}", "[[a]]"}) {
    Expected<TokenizerRegex> re = TokenizerRegex::compile(bad);
    EXPECT_FALSE(re.ok()) << bad;
  }
}

TEST(Unicode, CategoriesAndNfc) {
  EXPECT_TRUE(unicode::isLetter(U'\u00e9'));
  EXPECT_TRUE(unicode::isLetter(U'\u4e2d'));
  EXPECT_TRUE(unicode::isNumber(U'\u0663')); // ARABIC-INDIC DIGIT THREE
  EXPECT_FALSE(unicode::isLetter(U'\U0001F600'));
  EXPECT_TRUE(unicode::isSpace(U'\u3000'));
  EXPECT_FALSE(unicode::isSpace(U'\u200b')); // ZERO WIDTH SPACE is Cf
  EXPECT_EQ(unicode::nfc(U"e\u0301"), U"\u00e9");
  EXPECT_EQ(unicode::nfc(U"\u1100\u1161\u11a8"), U"\uac01"); // Hangul L V T
  EXPECT_EQ(unicode::nfc(U"a\u0301\u0323"), U"\u1ea1\u0301"); // reordered, then composed
  EXPECT_EQ(unicode::nfc(U"\u2126"), U"\u03a9"); // a singleton decomposition
  EXPECT_EQ(unicode::utf8Lossy("a\xE2\x82" "b\xFF"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

//===----------------------------------------------------------------------===//
// photon-run's choice of tokenizer
//===----------------------------------------------------------------------===//

TEST(SelectTokenizer, FindsTokenizerAndEosNextToTheWeights) {
  test::TempDir dir;
  std::string weights = dir.file("model.safetensors"); // need not exist to be looked beside
  std::string source = "?";
  Expected<std::unique_ptr<Tokenizer>> t = selectTokenizer(std::nullopt, weights, &source);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(source, "");
  EXPECT_EQ((*t)->vocabSize(), 256); // the byte tokenizer
  EXPECT_EQ((*t)->encode("h\xC3\xA9", true).value(), (Ids{104, 195, 169}));

  test::writeFile(dir.file("tokenizer.json"), byteFallbackFixture().dump());
  t = selectTokenizer(std::nullopt, weights, &source);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(source, dir.file("tokenizer.json"));
  EXPECT_EQ((*t)->vocabSize(), 265);
  EXPECT_EQ((*t)->eosIds(), (Ids{2})); // the tokenizer's "</s>"

  // config.json's eos_token_id wins over the convention, generation_config.json
  // over config.json; a checkpoint directory works like a file in it.
  test::writeFile(dir.file("config.json"), R"({"eos_token_id": 1})");
  t = selectTokenizer(std::nullopt, dir.path(), &source);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->eosIds(), (Ids{1}));
  test::writeFile(dir.file("generation_config.json"), R"({"eos_token_id": [2, 0]})");
  t = selectTokenizer(std::nullopt, weights, &source);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->eosIds(), (Ids{2, 0}));
  EXPECT_EQ((*t)->eosId(), std::optional<int32_t>(2));

  test::writeFile(dir.file("generation_config.json"), R"({"eos_token_id": "x"})");
  t = selectTokenizer(std::nullopt, weights, &source);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("generation_config.json: eos_token_id: expected"),
            std::string::npos);

  // --tokenizer: a file or a directory holding tokenizer.json.
  t = selectTokenizer(dir.path(), std::nullopt, &source);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(source, dir.file("tokenizer.json"));
  t = selectTokenizer(dir.file("missing.json"), std::nullopt, &source);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("cannot open tokenizer"), std::string::npos);
}

TEST(HfTokenizer, StreamingGivesUpOnInvalidBytes) {
  auto t = load(byteLevelFixture());
  ASSERT_TRUE(t);
  // A run of lone lead bytes never completes: it is not held back forever.
  Ids ids(20, 17);
  std::string streamed;
  std::unique_ptr<TokenTextStream> s = t->streamDecoder();
  for (int32_t id : ids)
    streamed += s->push(id);
  EXPECT_FALSE(streamed.empty());
  EXPECT_EQ(streamed + s->flush(), t->decode(ids));
}

//===----------------------------------------------------------------------===//
// Refused and malformed files
//===----------------------------------------------------------------------===//

TEST(HfTokenizer, UnsupportedComponentsNameTheirPath) {
  auto errorOf = [](Json j) { return loadError(j.dump()); };
  Json j = byteFallbackFixture();
  j["model"]["type"] = "WordPiece";
  EXPECT_NE(errorOf(j).find("model.type: unsupported model 'WordPiece'"), std::string::npos);
  j = byteFallbackFixture();
  j["normalizer"]["normalizers"].push_back({{"type", "NFKC"}});
  EXPECT_NE(errorOf(j).find("normalizer.normalizers[2].type: unsupported normalizer 'NFKC'"),
            std::string::npos)
      << errorOf(j);
  j = byteLevelFixture();
  j["pre_tokenizer"] = {{"type", "Split"},
                        {"pattern", {{"Regex", "(?<=x)y"}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  EXPECT_NE(errorOf(j).find("pre_tokenizer.pattern.Regex"), std::string::npos) << errorOf(j);
  j = byteLevelFixture();
  j["decoder"] = {{"type", "WordPiece"}};
  EXPECT_NE(errorOf(j).find("decoder.type: unsupported decoder 'WordPiece'"), std::string::npos);
  j = byteLevelFixture();
  j["model"]["merges"].push_back("x y");
  EXPECT_NE(errorOf(j).find("model.merges[7]: 'x' is not in the vocabulary"), std::string::npos)
      << errorOf(j);
  j = byteLevelFixture();
  j["model"]["merges"].push_back("h e l");
  EXPECT_NE(errorOf(j).find("model.merges[7]: expected"), std::string::npos);
  j = byteLevelFixture();
  j["model"]["vocab"]["z"] = -3;
  EXPECT_NE(errorOf(j).find("model.vocab.z: -3 is out of range"), std::string::npos);
  j = byteLevelFixture();
  j["model"]["continuing_subword_prefix"] = "##";
  EXPECT_NE(errorOf(j).find("model.continuing_subword_prefix: not supported"), std::string::npos);
  j = byteFallbackFixture();
  j["model"]["unk_token"] = "<nope>";
  EXPECT_NE(errorOf(j).find("model.unk_token: '<nope>' is not in the vocabulary"),
            std::string::npos);
  j = byteFallbackFixture();
  j["post_processor"]["single"][0]["SpecialToken"]["id"] = "<bos>";
  EXPECT_NE(errorOf(j).find("post_processor.special_tokens.<bos>: missing"), std::string::npos)
      << errorOf(j);
  EXPECT_NE(loadError("{\"model\": ").find("JSON error"), std::string::npos);
  EXPECT_NE(loadError("[]").find("expected an object"), std::string::npos);
}

TEST(HfTokenizer, TruncatedAndRetypedFilesAreErrors) {
  // Every prefix of a valid file fails cleanly; so does every value replaced
  // by a value of another type.
  std::string text = byteFallbackFixture().dump();
  for (size_t n = 0; n < text.size(); n += 7)
    EXPECT_FALSE(parseHfTokenizer(text.substr(0, n), "fixture").ok()) << n;
  std::vector<std::vector<std::string>> paths;
  Json base = byteFallbackFixture();
  for (auto &[key, value] : base.items())
    if (value.is_object())
      for (auto &[k2, v2] : value.items())
        paths.push_back({key, k2});
    else
      paths.push_back({key});
  for (const auto &p : paths)
    for (const Json &replacement : {Json(42), Json("x"), Json::array({1}), Json::object()}) {
      Json j = base;
      Json *v = &j;
      for (const std::string &k : p)
        v = &(*v)[k];
      *v = replacement;
      (void)parseHfTokenizer(j.dump(), "fixture"); // must not crash; may succeed
    }
}

} // namespace
