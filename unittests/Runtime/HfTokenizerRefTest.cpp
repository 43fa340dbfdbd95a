//===- HfTokenizerRefTest.cpp - HF tokenizers' own ids ---------------------===//
//
// unittests/data/tokenizers/ holds three tokenizer.json files (a demo BPE,
// a LLaMA-2-style SentencePiece BPE with byte fallback, a LLaMA-3-style
// byte-level BPE) and refs.jsonl: for each of a few hundred strings (ASCII,
// Unicode, whitespace runs, emoji, code) the ids that HF tokenizers 0.23.2
// gives without and with special tokens, and its decode of the ids. Every
// line must match exactly; the streamed decode must equal the decode too.
//
//===----------------------------------------------------------------------===//

#include "runtime/HfTokenizer.h"
#include "runtime/Json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

using namespace photon::rt;

namespace {

const std::string kDir = PHOTON_TOKENIZER_DATA_DIR;

std::string show(const std::vector<int32_t> &ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

TEST(HfTokenizerRef, MatchesHfTokenizersOnEveryLine) {
  const std::map<std::string, std::string> files = {{"demo", "demo-tokenizer.json"},
                                                    {"llama2", "llama2-style.json"},
                                                    {"llama3", "llama3-style.json"}};
  std::map<std::string, std::unique_ptr<Tokenizer>> tokenizers;
  for (const auto &[name, file] : files) {
    Expected<std::unique_ptr<Tokenizer>> t = loadHfTokenizer(kDir + "/" + file);
    ASSERT_TRUE(t.ok()) << t.status().message();
    tokenizers[name] = std::move(*t);
  }
  std::ifstream in(kDir + "/refs.jsonl");
  ASSERT_TRUE(in) << "cannot open " << kDir << "/refs.jsonl";

  struct Count {
    int lines = 0, ids = 0, idsSpecial = 0, decoded = 0, streamed = 0;
  };
  std::map<std::string, Count> counts;
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty())
      continue;
    Expected<Json> j = parseJson(line);
    ASSERT_TRUE(j.ok()) << "line " << lineNo << ": " << j.status().message();
    std::string name = (*j)["tokenizer"].get<std::string>();
    ASSERT_TRUE(tokenizers.count(name)) << "line " << lineNo << ": unknown tokenizer " << name;
    const Tokenizer &t = *tokenizers[name];
    std::string text = (*j)["text"].get<std::string>();
    auto ids = (*j)["ids"].get<std::vector<int32_t>>();
    auto idsSpecial = (*j)["ids_special"].get<std::vector<int32_t>>();
    std::string decoded = (*j)["decoded"].get<std::string>();
    Count &c = counts[name];
    ++c.lines;
    std::string where = "line " + std::to_string(lineNo) + " (" + name + ") " + Json(text).dump();

    Expected<std::vector<int32_t>> got = t.encode(text);
    ASSERT_TRUE(got.ok()) << where << ": " << got.status().message();
    if (*got == ids)
      ++c.ids;
    else
      ADD_FAILURE() << where << "\n  ids  " << show(*got) << "\n  want " << show(ids);
    Expected<std::vector<int32_t>> gotSpecial = t.encode(text, true);
    ASSERT_TRUE(gotSpecial.ok());
    if (*gotSpecial == idsSpecial)
      ++c.idsSpecial;
    else
      ADD_FAILURE() << where << "\n  ids_special  " << show(*gotSpecial) << "\n  want "
                    << show(idsSpecial);
    std::string dec = t.decode(ids);
    if (dec == decoded)
      ++c.decoded;
    else
      ADD_FAILURE() << where << "\n  decoded " << Json(dec).dump() << "\n  want    "
                    << Json(decoded).dump();
    std::unique_ptr<TokenTextStream> stream = t.streamDecoder();
    std::string streamed;
    for (int32_t id : ids)
      streamed += stream->push(id);
    streamed += stream->flush();
    if (streamed == decoded)
      ++c.streamed;
    else
      ADD_FAILURE() << where << "\n  streamed " << Json(streamed).dump() << "\n  want     "
                    << Json(decoded).dump();
  }
  int total = 0;
  for (const auto &[name, c] : counts) {
    std::printf("[ref] %-7s %4d lines: ids %d, ids_special %d, decoded %d, streamed %d match\n",
                name.c_str(), c.lines, c.ids, c.idsSpecial, c.decoded, c.streamed);
    total += c.lines;
  }
  std::printf("[ref] %d lines in all\n", total);
  EXPECT_EQ(counts.size(), files.size()) << "every tokenizer must have reference lines";
  EXPECT_GE(total, 100);
}

} // namespace
