//===- TokenizerTest.cpp - Tests of the byte tokenizer --------------------===//

#include "runtime/Random.h"
#include "runtime/Tokenizer.h"

#include <gtest/gtest.h>

using namespace photon::rt;

namespace {

TEST(ByteTokenizer, EncodesUtf8Bytes) {
  EXPECT_EQ(ByteTokenizer::encode("h\xC3\xA9!"), (std::vector<int32_t>{104, 195, 169, 33}));
  EXPECT_EQ(ByteTokenizer::encode(std::string("a\0b", 3)), (std::vector<int32_t>{97, 0, 98}));
  EXPECT_TRUE(ByteTokenizer::encode("").empty());
}

TEST(ByteTokenizer, RoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += char(i);
  EXPECT_EQ(ByteTokenizer::decode(ByteTokenizer::encode(all)), all);
  std::string text = "Photon \xF0\x9F\x93\xB8 \xE2\x82\xAC 1.5";
  EXPECT_EQ(ByteTokenizer::decode(ByteTokenizer::encode(text)), text);
}

TEST(ByteTokenizer, NonByteIdsRenderAsMarkers) {
  EXPECT_EQ(ByteTokenizer::decode({72, 256, 105, 31999, -1}), "H<|256|>i<|31999|><|-1|>");
  EXPECT_EQ(ByteTokenizer::idToText(65), "A");
  EXPECT_EQ(ByteTokenizer::idToText(1000), "<|1000|>");
}

TEST(StreamingDecoder, HoldsBackIncompleteCharacters) {
  StreamingDecoder d;
  EXPECT_EQ(d.push('a'), "a");
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.push(0xA9), "\xC3\xA9");
  EXPECT_EQ(d.push(0xF0), "");
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.push(0x98), "");
  EXPECT_EQ(d.push(0x80), "\xF0\x9F\x98\x80");
  EXPECT_EQ(d.flush(), "");
}

TEST(StreamingDecoder, PassesInvalidBytesThrough) {
  StreamingDecoder d;
  EXPECT_EQ(d.push(0x80), "\x80");      // stray continuation byte
  EXPECT_EQ(d.push(0xFF), "\xFF");      // never valid in UTF-8
  EXPECT_EQ(d.push(0xE2), "");
  EXPECT_EQ(d.push('x'), "\xE2x");      // sequence cut short
  EXPECT_EQ(d.push(0xE2), "");
  EXPECT_EQ(d.push(0x82), "");
  EXPECT_EQ(d.push(300), "\xE2\x82<|300|>"); // a marker flushes first
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.flush(), "\xC3");          // the end flushes the rest
  EXPECT_EQ(d.flush(), "");
}

TEST(StreamingDecoder, ConcatenationEqualsDecode) {
  Rng rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<int32_t> ids;
    for (int i = 0; i < 200; ++i) {
      uint64_t r = rng.nextU64();
      // Mostly bytes (biased to UTF-8 lead/continuation bytes), a few markers.
      ids.push_back(r % 17 == 0 ? int32_t(256 + r % 5) : int32_t((r >> 8) % 256));
    }
    StreamingDecoder d;
    std::string streamed;
    for (int32_t id : ids)
      streamed += d.push(id);
    streamed += d.flush();
    ASSERT_EQ(streamed, ByteTokenizer::decode(ids)) << trial;
  }
}

} // namespace
