//===- JsonTest.cpp - Tests of parseJson (nlohmann-json + the untrusted-input rules) ===//

#include "runtime/Json.h"

#include <gtest/gtest.h>

#include <string>

using namespace photon::rt;

namespace {

Json parseOk(std::string_view text) {
  Expected<Json> v = parseJson(text);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v ? *v : Json();
}

std::string parseError(std::string_view text, size_t base = 0) {
  Expected<Json> v = parseJson(text, base);
  EXPECT_FALSE(v.ok()) << "parsed: " << text;
  return v ? std::string() : v.status().message();
}

::testing::AssertionResult contains(const std::string &text, const std::string &needle) {
  if (text.find(needle) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' lacks '" << needle << "'";
}

} // namespace

TEST(Json, ParsesEveryKindInFileOrder) {
  Json v = parseOk(R"({"z": null, "b": true, "n": -12.5, "s": "x\u00e9", "a": [1, 2], "o": {}})");
  ASSERT_TRUE(v.is_object());
  std::vector<std::string> keys;
  for (const auto &item : v.items())
    keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "b", "n", "s", "a", "o"}));
  EXPECT_STREQ(jsonKindName(v["z"]), "null");
  EXPECT_STREQ(jsonKindName(v["b"]), "a boolean");
  EXPECT_STREQ(jsonKindName(v["n"]), "a number");
  EXPECT_STREQ(jsonKindName(v["s"]), "a string");
  EXPECT_STREQ(jsonKindName(v["a"]), "an array");
  EXPECT_STREQ(jsonKindName(v["o"]), "an object");
  EXPECT_EQ(v["s"].get<std::string>(), "x\xc3\xa9");
  EXPECT_EQ(v["n"].get<double>(), -12.5);
}

TEST(Json, IntegersAreExact) {
  Json v = parseOk("[9007199254740993, -9223372036854775808, 9223372036854775807, "
                   "9223372036854775808, 1.0, 1e3]");
  EXPECT_TRUE(isJsonInt(v[0]));
  EXPECT_EQ(v[0].get<int64_t>(), 9007199254740993LL);
  EXPECT_TRUE(isJsonInt(v[1]));
  EXPECT_TRUE(isJsonInt(v[2]));
  EXPECT_FALSE(isJsonInt(v[3])); // past int64
  EXPECT_FALSE(isJsonInt(v[4])); // written with a fraction
  EXPECT_FALSE(isJsonInt(v[5]));
}

TEST(Json, ErrorsNameTheByteOffset) {
  EXPECT_TRUE(contains(parseError(R"({"a" 1})"), "JSON error at byte 6: "));
  EXPECT_TRUE(contains(parseError(""), "JSON error at byte 1: "));
  EXPECT_TRUE(contains(parseError("[1, 2"), "JSON error at byte 6: "));
  // The base offset is where the text starts in its file (a safetensors
  // header starts at byte 8).
  EXPECT_TRUE(contains(parseError(R"({"a" 1})", 8), "JSON error at byte 14: "));
}

TEST(Json, StrictRfc8259) {
  for (const char *bad : {"[1,]", R"({"a":1,})", "{1:2}", "[1] x", "[+1]", "012", "NaN",
                          "[Infinity]", "// c\n1", "\"a\tb\"", R"("a\qb")", "\"a\xFF\"",
                          "\"\xC0\xAF\"", "'a'"})
    EXPECT_TRUE(contains(parseError(bad), "JSON error")) << bad;
  EXPECT_TRUE(contains(parseError("[1e400]"), "JSON error"));
}

TEST(Json, DuplicateKeysAreRefused) {
  EXPECT_TRUE(contains(parseError(R"({"a":1,"a":2})"), "duplicate object key \"a\""));
  EXPECT_TRUE(contains(parseError(R"({"x": {"b":1, "c":{}, "b":2}})"), "duplicate object key \"b\""));
  // The same key in different objects is fine.
  Json v = parseOk(R"({"a": {"a": 1}, "b": {"a": 2}})");
  EXPECT_EQ(v["b"]["a"].get<int>(), 2);
}

TEST(Json, DepthLimit) {
  std::string ok(kMaxJsonDepth, '[');
  ok += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parseJson(ok).ok());
  std::string deep(100000, '[');
  EXPECT_TRUE(contains(parseError(deep), "nesting deeper than 256 levels"));
}

TEST(Json, DumpsCompactly) {
  Json v = Json::object();
  v["b"] = 1;
  v["a"] = {1.5, "x"};
  EXPECT_EQ(v.dump(), R"({"b":1,"a":[1.5,"x"]})");
}
