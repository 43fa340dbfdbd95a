//===- Json.cpp - A small strict JSON parser and writer -------------------===//

#include "runtime/Json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_set>

namespace photon::rt {

//===----------------------------------------------------------------------===//
// JsonValue
//===----------------------------------------------------------------------===//

JsonValue JsonValue::makeBool(bool b) {
  JsonValue v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::makeNumber(double d, bool isInt, int64_t i) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.number_ = d;
  v.isInt_ = isInt;
  v.int_ = isInt ? i : 0;
  return v;
}

JsonValue JsonValue::makeString(std::string s) {
  JsonValue v;
  v.kind_ = Kind::String;
  v.string_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

JsonValue JsonValue::makeArray(Array elements) {
  JsonValue v;
  v.kind_ = Kind::Array;
  v.array_ = std::make_shared<const Array>(std::move(elements));
  return v;
}

JsonValue JsonValue::makeObject(Object members) {
  JsonValue v;
  v.kind_ = Kind::Object;
  v.object_ = std::make_shared<const Object>(std::move(members));
  return v;
}

const std::string &JsonValue::asString() const {
  static const std::string empty;
  return string_ ? *string_ : empty;
}

const JsonValue::Array &JsonValue::asArray() const {
  static const Array empty;
  return array_ ? *array_ : empty;
}

const JsonValue::Object &JsonValue::asObject() const {
  static const Object empty;
  return object_ ? *object_ : empty;
}

const JsonValue *JsonValue::find(std::string_view key) const {
  for (const auto &[k, v] : asObject())
    if (k == key)
      return &v;
  return nullptr;
}

const char *JsonValue::kindName(Kind kind) {
  switch (kind) {
  case Kind::Null: return "null";
  case Kind::Bool: return "a boolean";
  case Kind::Number: return "a number";
  case Kind::String: return "a string";
  case Kind::Array: return "an array";
  case Kind::Object: return "an object";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {

class Parser {
public:
  Parser(std::string_view text, size_t base) : text_(text), base_(base) {}

  Expected<JsonValue> run() {
    JsonValue v;
    skipSpace();
    if (!parseValue(v, 0))
      return error_;
    skipSpace();
    if (pos_ != text_.size())
      return fail(pos_, "unexpected " + describe(pos_) + " after the JSON value");
    return v;
  }

private:
  // Builds the error; returns false so callers can `return fail(...)`.
  bool failAt(size_t at, const std::string &msg) {
    error_ = fail(at, msg);
    return false;
  }
  Status fail(size_t at, const std::string &msg) const {
    size_t line = 1, lineStart = 0;
    for (size_t i = 0; i < at && i < text_.size(); ++i)
      if (text_[i] == '\n') {
        ++line;
        lineStart = i + 1;
      }
    return Status::error("JSON error at byte " + std::to_string(base_ + at) +
                         " (line " + std::to_string(line) + ", column " +
                         std::to_string(at - lineStart + 1) + "): " + msg);
  }

  // "end of input", "character 'x'" or "byte 0x01".
  std::string describe(size_t at) const {
    if (at >= text_.size())
      return "end of input";
    unsigned char c = static_cast<unsigned char>(text_[at]);
    char buf[32];
    if (c >= 0x20 && c < 0x7f)
      std::snprintf(buf, sizeof buf, "character '%c'", c);
    else
      std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  bool parseValue(JsonValue &out, int depth) {
    size_t start = pos_;
    bool ok = parseValueImpl(out, depth);
    out.setOffset(base_ + start);
    return ok;
  }

  bool parseValueImpl(JsonValue &out, int depth) {
    if (atEnd())
      return failAt(pos_, "unexpected end of input, expected a value");
    char c = peek();
    switch (c) {
    case '{': return parseObject(out, depth + 1);
    case '[': return parseArray(out, depth + 1);
    case '"': {
      std::string s;
      if (!parseString(s))
        return false;
      out = JsonValue::makeString(std::move(s));
      return true;
    }
    case 't': return parseLiteral("true", JsonValue::makeBool(true), out);
    case 'f': return parseLiteral("false", JsonValue::makeBool(false), out);
    case 'n': return parseLiteral("null", JsonValue(), out);
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        return parseNumber(out);
      return failAt(pos_, "unexpected " + describe(pos_) + ", expected a value");
    }
  }

  bool parseLiteral(std::string_view word, JsonValue v, JsonValue &out) {
    if (text_.substr(pos_, word.size()) != word)
      return failAt(pos_, "invalid literal, expected '" + std::string(word) + "'");
    pos_ += word.size();
    out = std::move(v);
    return true;
  }

  bool checkDepth(int depth) {
    if (depth > kMaxJsonDepth)
      return failAt(pos_, "nesting deeper than " + std::to_string(kMaxJsonDepth) +
                              " levels");
    return true;
  }

  bool parseArray(JsonValue &out, int depth) {
    if (!checkDepth(depth))
      return false;
    ++pos_; // '['
    JsonValue::Array elems;
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      out = JsonValue::makeArray(std::move(elems));
      return true;
    }
    while (true) {
      skipSpace();
      JsonValue v;
      if (!parseValue(v, depth))
        return false;
      elems.push_back(std::move(v));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        skipSpace();
        if (peek() == ']')
          return failAt(pos_, "trailing comma in array");
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        out = JsonValue::makeArray(std::move(elems));
        return true;
      }
      return failAt(pos_, "unexpected " + describe(pos_) + ", expected ',' or ']' in array");
    }
  }

  bool parseObject(JsonValue &out, int depth) {
    if (!checkDepth(depth))
      return false;
    ++pos_; // '{'
    JsonValue::Object members;
    std::unordered_set<std::string> seen;
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      out = JsonValue::makeObject(std::move(members));
      return true;
    }
    while (true) {
      skipSpace();
      if (peek() != '"')
        return failAt(pos_, "unexpected " + describe(pos_) +
                                ", expected a string key in object");
      size_t keyPos = pos_;
      std::string key;
      if (!parseString(key))
        return false;
      if (!seen.insert(key).second)
        return failAt(keyPos, "duplicate key \"" + key + "\" in object");
      skipSpace();
      if (peek() != ':')
        return failAt(pos_, "unexpected " + describe(pos_) +
                                ", expected ':' after object key");
      ++pos_;
      skipSpace();
      JsonValue v;
      if (!parseValue(v, depth))
        return false;
      members.emplace_back(std::move(key), std::move(v));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        skipSpace();
        if (peek() == '}')
          return failAt(pos_, "trailing comma in object");
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        out = JsonValue::makeObject(std::move(members));
        return true;
      }
      return failAt(pos_, "unexpected " + describe(pos_) + ", expected ',' or '}' in object");
    }
  }

  static void appendUtf8(std::string &s, uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Reads 4 hex digits after "\u" at pos_ (pos_ points at the 'u').
  bool parseHex4(uint32_t &cp) {
    cp = 0;
    for (int i = 1; i <= 4; ++i) {
      char h = pos_ + i < text_.size() ? text_[pos_ + i] : '\0';
      uint32_t d;
      if (h >= '0' && h <= '9') d = uint32_t(h - '0');
      else if (h >= 'a' && h <= 'f') d = uint32_t(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') d = uint32_t(h - 'A' + 10);
      else return failAt(pos_ - 1, "invalid \\u escape: expected 4 hex digits");
      cp = cp * 16 + d;
    }
    pos_ += 5;
    return true;
  }

  // Length of the valid UTF-8 sequence at `at`, or 0 when invalid
  // (overlong forms, surrogates and code points past U+10FFFF are invalid).
  size_t utf8Length(size_t at) const {
    auto byte = [&](size_t i) {
      return at + i < text_.size() ? static_cast<unsigned char>(text_[at + i]) : 0u;
    };
    unsigned c = byte(0);
    auto cont = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF)
      return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
      unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      return byte(1) >= lo && byte(1) <= hi && cont(2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      return byte(1) >= lo && byte(1) <= hi && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }

  bool parseString(std::string &out) {
    ++pos_; // opening quote
    while (true) {
      if (atEnd())
        return failAt(pos_, "unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20)
        return failAt(pos_, "unescaped control " + describe(pos_) + " in string");
      if (c >= 0x80) {
        size_t n = utf8Length(pos_);
        if (n == 0)
          return failAt(pos_, "invalid UTF-8 " + describe(pos_) + " in string");
        out.append(text_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_; // backslash
      char e = peek();
      switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        size_t escPos = pos_ - 1;
        uint32_t cp;
        if (!parseHex4(cp))
          return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return failAt(escPos, "invalid \\u escape: unpaired low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (text_.substr(pos_, 2) != "\\u")
            return failAt(escPos, "invalid \\u escape: unpaired high surrogate");
          ++pos_;
          uint32_t lo;
          if (!parseHex4(lo))
            return false;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return failAt(escPos, "invalid \\u escape: unpaired high surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        appendUtf8(out, cp);
        continue; // parseHex4 advanced pos_
      }
      default:
        return failAt(pos_ - 1, "invalid escape '\\" +
                                    (atEnd() ? std::string() : std::string(1, e)) +
                                    "' in string");
      }
      ++pos_;
    }
  }

  bool parseNumber(JsonValue &out) {
    size_t start = pos_;
    auto digit = [&] { return !atEnd() && peek() >= '0' && peek() <= '9'; };
    if (peek() == '-')
      ++pos_;
    if (!digit())
      return failAt(pos_, "invalid number: expected a digit");
    if (peek() == '0') {
      ++pos_;
      if (digit())
        return failAt(start, "invalid number: leading zero");
    } else {
      while (digit())
        ++pos_;
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!digit())
        return failAt(pos_, "invalid number: expected a digit after '.'");
      while (digit())
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!digit())
        return failAt(pos_, "invalid number: expected a digit in the exponent");
      while (digit())
        ++pos_;
    }
    const char *b = text_.data() + start, *e = text_.data() + pos_;
    double d = 0;
    auto [dEnd, dErr] = std::from_chars(b, e, d);
    if (dErr != std::errc() || dEnd != e)
      return failAt(start, "number out of range: " + std::string(b, e));
    int64_t i = 0;
    bool isInt = false;
    if (integral) {
      // Exact even where a double would round (|i| > 2^53).
      auto [iEnd, iErr] = std::from_chars(b, e, i);
      isInt = iErr == std::errc() && iEnd == e;
    } else if (std::nearbyint(d) == d && std::fabs(d) <= 9007199254740992.0) {
      isInt = true;
      i = static_cast<int64_t>(d);
    }
    out = JsonValue::makeNumber(d, isInt, i);
    return true;
  }

  std::string_view text_;
  size_t base_;
  size_t pos_ = 0;
  Status error_;
};

} // namespace

Expected<JsonValue> parseJson(std::string_view text, size_t baseOffset) {
  return Parser(text, baseOffset).run();
}

//===----------------------------------------------------------------------===//
// JsonWriter
//===----------------------------------------------------------------------===//

std::string JsonWriter::quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::newline() {
  if (indent_ <= 0)
    return;
  out_ += '\n';
  out_.append(stack_.size() * static_cast<size_t>(indent_), ' ');
}

void JsonWriter::beforeValue() {
  if (afterKey_) { // the object member's key already placed us
    afterKey_ = false;
    return;
  }
  if (stack_.empty())
    return;
  Level &top = stack_.back();
  if (!top.empty)
    out_ += ',';
  top.empty = false;
  newline();
}

JsonWriter &JsonWriter::key(std::string_view k) {
  if (!stack_.empty()) {
    Level &top = stack_.back();
    if (!top.empty)
      out_ += ',';
    top.empty = false;
  }
  newline();
  out_ += quote(k);
  out_ += indent_ > 0 ? ": " : ":";
  afterKey_ = true;
  return *this;
}

JsonWriter &JsonWriter::beginObject() {
  beforeValue();
  out_ += '{';
  stack_.push_back({true});
  return *this;
}

JsonWriter &JsonWriter::beginArray() {
  beforeValue();
  out_ += '[';
  stack_.push_back({false});
  return *this;
}

JsonWriter &JsonWriter::endObject() {
  bool wasEmpty = stack_.empty() || stack_.back().empty;
  if (!stack_.empty())
    stack_.pop_back();
  if (!wasEmpty)
    newline();
  out_ += '}';
  return *this;
}

JsonWriter &JsonWriter::endArray() {
  bool wasEmpty = stack_.empty() || stack_.back().empty;
  if (!stack_.empty())
    stack_.pop_back();
  if (!wasEmpty)
    newline();
  out_ += ']';
  return *this;
}

JsonWriter &JsonWriter::rawValue(std::string_view text) {
  beforeValue();
  out_.append(text);
  return *this;
}

JsonWriter &JsonWriter::value(std::string_view s) { return rawValue(quote(s)); }
JsonWriter &JsonWriter::value(bool b) { return rawValue(b ? "true" : "false"); }
JsonWriter &JsonWriter::value(std::nullptr_t) { return rawValue("null"); }

JsonWriter &JsonWriter::value(double d) {
  if (!std::isfinite(d))
    return rawValue("null");
  char buf[64];
  auto [end, err] = std::to_chars(buf, buf + sizeof buf, d);
  (void)err; // 64 bytes always suffice for the shortest form
  return rawValue(std::string_view(buf, static_cast<size_t>(end - buf)));
}

JsonWriter &JsonWriter::value(const JsonValue &v) {
  switch (v.kind()) {
  case JsonValue::Kind::Null: return value(nullptr);
  case JsonValue::Kind::Bool: return value(v.asBool());
  case JsonValue::Kind::Number:
    return v.isInt() ? value(v.asInt()) : value(v.asDouble());
  case JsonValue::Kind::String: return value(v.asString());
  case JsonValue::Kind::Array:
    beginArray();
    for (const JsonValue &e : v.asArray())
      value(e);
    return endArray();
  case JsonValue::Kind::Object:
    beginObject();
    for (const auto &[k, e] : v.asObject()) {
      key(k);
      value(e);
    }
    return endObject();
  }
  return *this;
}

} // namespace photon::rt
