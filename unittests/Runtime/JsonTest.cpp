//===- JsonTest.cpp - Tests of the strict JSON parser and writer ----------===//

#include "runtime/Json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace photon::rt;

namespace {

JsonValue parseOk(std::string_view text) {
  Expected<JsonValue> v = parseJson(text);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v ? *v : JsonValue();
}

std::string parseError(std::string_view text, size_t base = 0) {
  Expected<JsonValue> v = parseJson(text, base);
  EXPECT_FALSE(v.ok()) << "parsed: " << text;
  return v.status().message();
}

TEST(Json, ParsesEveryKind) {
  JsonValue v = parseOk(R"( {"s": "a\"b\\c\/\b\f\n\r\t", "i": -42, "f": 1.5, "e": 1e3,
    "t": true, "n": null, "arr": [1, [2, {}], []], "o": {"x": false}} )");
  ASSERT_TRUE(v.isObject());
  const auto &obj = v.asObject();
  ASSERT_EQ(obj.size(), 8u);
  // Keys keep their file order.
  EXPECT_EQ(obj[0].first, "s");
  EXPECT_EQ(obj[7].first, "o");
  EXPECT_EQ(v.find("s")->asString(), "a\"b\\c/\b\f\n\r\t");
  EXPECT_TRUE(v.find("i")->isInt());
  EXPECT_EQ(v.find("i")->asInt(), -42);
  EXPECT_EQ(v.find("i")->asDouble(), -42.0);
  EXPECT_FALSE(v.find("f")->isInt());
  EXPECT_EQ(v.find("f")->asDouble(), 1.5);
  EXPECT_TRUE(v.find("e")->isInt()); // integral though written with an exponent
  EXPECT_EQ(v.find("e")->asInt(), 1000);
  EXPECT_TRUE(v.find("t")->isBool());
  EXPECT_TRUE(v.find("t")->asBool());
  EXPECT_TRUE(v.find("n")->isNull());
  const auto &arr = v.find("arr")->asArray();
  ASSERT_EQ(arr.size(), 3u);
  EXPECT_EQ(arr[1].asArray()[0].asInt(), 2);
  EXPECT_TRUE(arr[1].asArray()[1].isObject());
  EXPECT_TRUE(arr[2].asArray().empty());
  EXPECT_FALSE(v.find("o")->find("x")->asBool());
  EXPECT_EQ(v.find("missing"), nullptr);
  // Offsets point at where each value starts.
  EXPECT_EQ(v.offset(), 1u);
  EXPECT_EQ(v.find("s")->offset(), 7u);
}

TEST(Json, UnicodeEscapesBecomeUtf8) {
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20AC")").asString(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80"); // U+1F600
  EXPECT_EQ(parseOk(R"("\u0000")").asString(), std::string(1, '\0'));
  // Raw UTF-8 passes through.
  EXPECT_EQ(parseOk("\"h\xC3\xA9llo \xF0\x9F\x98\x80\"").asString(),
            "h\xC3\xA9llo \xF0\x9F\x98\x80");
}

TEST(Json, IntegersAreExact) {
  JsonValue big = parseOk("9007199254740993"); // 2^53 + 1: not a double
  ASSERT_TRUE(big.isInt());
  EXPECT_EQ(big.asInt(), 9007199254740993LL);
  JsonValue max = parseOk("-9223372036854775808");
  ASSERT_TRUE(max.isInt());
  EXPECT_EQ(max.asInt(), std::numeric_limits<int64_t>::min());
  JsonValue huge = parseOk("18446744073709551616"); // past int64: a double only
  EXPECT_FALSE(huge.isInt());
  EXPECT_EQ(huge.asDouble(), 18446744073709551616.0);
  EXPECT_TRUE(parseOk("-0").isInt());
  EXPECT_TRUE(parseOk("2.0").isInt());
  EXPECT_FALSE(parseOk("2.5e-1").isInt());
  EXPECT_EQ(parseOk("2.5e-1").asDouble(), 0.25);
}

TEST(Json, ErrorsGiveOffsetLineAndColumn) {
  EXPECT_EQ(parseError(R"({"a" 1})"),
            "JSON error at byte 5 (line 1, column 6): unexpected character '1', expected "
            "':' after object key");
  EXPECT_EQ(parseError("{\n  \"a\": 1,\n  \"b\": tru\n}"),
            "JSON error at byte 19 (line 3, column 8): invalid literal, expected 'true'");
  EXPECT_EQ(parseError(""),
            "JSON error at byte 0 (line 1, column 1): unexpected end of input, expected a value");
  EXPECT_EQ(parseError("[1, 2"),
            "JSON error at byte 5 (line 1, column 6): unexpected end of input, expected ',' "
            "or ']' in array");
  EXPECT_EQ(parseError("[1,]"),
            "JSON error at byte 3 (line 1, column 4): trailing comma in array");
  EXPECT_EQ(parseError(R"({"a":1,})"),
            "JSON error at byte 7 (line 1, column 8): trailing comma in object");
  EXPECT_EQ(parseError("{1:2}"),
            "JSON error at byte 1 (line 1, column 2): unexpected character '1', expected a "
            "string key in object");
  EXPECT_EQ(parseError("[1] x"),
            "JSON error at byte 4 (line 1, column 5): unexpected character 'x' after the "
            "JSON value");
  EXPECT_EQ(parseError(R"({"a":1,"a":2})"),
            "JSON error at byte 7 (line 1, column 8): duplicate key \"a\" in object");
  EXPECT_EQ(parseError("[+1]"),
            "JSON error at byte 1 (line 1, column 2): unexpected character '+', expected a "
            "value");
}

TEST(Json, NumberErrors) {
  EXPECT_EQ(parseError("012"), "JSON error at byte 0 (line 1, column 1): invalid number: "
                               "leading zero");
  EXPECT_EQ(parseError("-"), "JSON error at byte 1 (line 1, column 2): invalid number: "
                             "expected a digit");
  EXPECT_EQ(parseError("1."), "JSON error at byte 2 (line 1, column 3): invalid number: "
                              "expected a digit after '.'");
  EXPECT_EQ(parseError("1e+"), "JSON error at byte 3 (line 1, column 4): invalid number: "
                               "expected a digit in the exponent");
  EXPECT_EQ(parseError("[1e400]"), "JSON error at byte 1 (line 1, column 2): number out of "
                                   "range: 1e400");
  EXPECT_EQ(parseError("NaN"), "JSON error at byte 0 (line 1, column 1): unexpected "
                               "character 'N', expected a value");
}

TEST(Json, StringErrors) {
  EXPECT_EQ(parseError("\"abc"), "JSON error at byte 4 (line 1, column 5): unterminated string");
  EXPECT_EQ(parseError("\"a\tb\""),
            "JSON error at byte 2 (line 1, column 3): unescaped control byte 0x09 in string");
  EXPECT_EQ(parseError(R"("a\qb")"),
            "JSON error at byte 2 (line 1, column 3): invalid escape '\\q' in string");
  EXPECT_EQ(parseError(R"("\u12G4")"),
            "JSON error at byte 1 (line 1, column 2): invalid \\u escape: expected 4 hex "
            "digits");
  EXPECT_EQ(parseError(R"("x\ud800")"),
            "JSON error at byte 2 (line 1, column 3): invalid \\u escape: unpaired high "
            "surrogate");
  EXPECT_EQ(parseError(R"("\ud800\u0041")"),
            "JSON error at byte 1 (line 1, column 2): invalid \\u escape: unpaired high "
            "surrogate");
  EXPECT_EQ(parseError(R"("\udc00")"),
            "JSON error at byte 1 (line 1, column 2): invalid \\u escape: unpaired low "
            "surrogate");
  EXPECT_EQ(parseError("\"a\xFF\""),
            "JSON error at byte 2 (line 1, column 3): invalid UTF-8 byte 0xff in string");
  EXPECT_EQ(parseError("\"\xC0\xAF\""), // overlong '/'
            "JSON error at byte 1 (line 1, column 2): invalid UTF-8 byte 0xc0 in string");
  EXPECT_EQ(parseError("\"\xED\xA0\x80\""), // an encoded surrogate
            "JSON error at byte 1 (line 1, column 2): invalid UTF-8 byte 0xed in string");
}

TEST(Json, DepthLimit) {
  std::string ok(kMaxJsonDepth, '[');
  ok += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parseJson(ok).ok());
  // Far deeper than any stack could recurse: rejected at the limit.
  std::string deep(100000, '[');
  EXPECT_EQ(parseError(deep), "JSON error at byte 256 (line 1, column 257): nesting deeper "
                              "than 256 levels");
}

TEST(Json, BaseOffsetShiftsBytesOnly) {
  EXPECT_EQ(parseError("{\"a\" 1}", 8),
            "JSON error at byte 13 (line 1, column 6): unexpected character '1', expected "
            "':' after object key");
  Expected<JsonValue> v = parseJson(R"({"a": [1]})", 8);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->find("a")->offset(), 14u);
}

TEST(Json, WriterCompact) {
  JsonWriter w;
  w.beginObject()
      .field("name", "x\"y\n\x01")
      .field("n", 3)
      .field("u", uint64_t(18446744073709551615ull))
      .field("d", 0.1)
      .field("big", 1e300)
      .field("nan", std::numeric_limits<double>::quiet_NaN())
      .field("b", true)
      .field("z", nullptr)
      .key("arr")
      .beginArray()
      .value(1)
      .value(-2.5f)
      .beginObject()
      .endObject()
      .beginArray()
      .endArray()
      .endArray()
      .endObject();
  EXPECT_EQ(w.str(), R"({"name":"x\"y\n\u0001","n":3,"u":18446744073709551615,"d":0.1,)"
                     R"("big":1e+300,"nan":null,"b":true,"z":null,"arr":[1,-2.5,{},[]]})");
}

TEST(Json, WriterPretty) {
  JsonWriter w(2);
  w.beginObject().field("a", 1).key("b").beginArray().value("x").value(2).endArray();
  w.key("c").beginObject().endObject().endObject();
  EXPECT_EQ(w.str(), "{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    2\n  ],\n  \"c\": {}\n}");
}

TEST(Json, WriterRoundTripsParsedValues) {
  std::string text =
      R"({"k":[1,2.5,"s\u00e9",true,false,null,{"x":-9007199254740993}],"e":{}})";
  JsonValue v = parseOk(text);
  JsonWriter w;
  w.value(v);
  EXPECT_EQ(w.str(), R"({"k":[1,2.5,"s)"
                     "\xC3\xA9"
                     R"(",true,false,null,{"x":-9007199254740993}],"e":{}})");
  // Shortest round-trip doubles.
  JsonWriter d;
  d.beginArray().value(0.1 + 0.2).value(1.0 / 3).endArray();
  JsonValue back = parseOk(d.str());
  EXPECT_EQ(back.asArray()[0].asDouble(), 0.1 + 0.2);
  EXPECT_EQ(back.asArray()[1].asDouble(), 1.0 / 3);
}

} // namespace
