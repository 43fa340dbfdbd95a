//===- Json.h - A small strict JSON parser and writer ----------*- C++ -*-===//
//
// The parser accepts exactly RFC 8259 JSON (no comments, no trailing commas,
// no NaN, no leading zeros, valid UTF-8 only, no duplicate object keys) and
// reports the first problem as "JSON error at byte N (line L, column C): ...".
// Nesting deeper than kMaxJsonDepth is rejected, so hostile input cannot
// overflow the stack. Objects keep their keys in file order.
//
// JsonWriter emits compact or indented JSON (for `--output json`, manifests,
// safetensors headers).
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_JSON_H
#define PHOTON_RUNTIME_JSON_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace photon::rt {

constexpr int kMaxJsonDepth = 256;

class JsonValue {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;

  JsonValue() = default; // null
  static JsonValue makeBool(bool b);
  /// A number; `isInt` says whether `i` holds its exact integer value.
  static JsonValue makeNumber(double d, bool isInt, int64_t i);
  static JsonValue makeString(std::string s);
  static JsonValue makeArray(Array elements);
  static JsonValue makeObject(Object members);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }
  /// A number whose value is an integer representable exactly as int64
  /// (integers written without fraction or exponent are parsed exactly, so
  /// 9007199254740993 is an int even though it is not a double).
  bool isInt() const { return kind_ == Kind::Number && isInt_; }

  // Accessors; each requires the matching kind (it returns a default value
  // otherwise, never crashes).
  bool asBool() const { return bool_; }
  double asDouble() const { return number_; }
  int64_t asInt() const { return int_; }
  const std::string &asString() const;
  const Array &asArray() const;
  const Object &asObject() const;

  /// The member `key` of an object, or nullptr (also for non-objects).
  const JsonValue *find(std::string_view key) const;

  /// Byte offset in the parsed text where this value starts (0 when built).
  size_t offset() const { return offset_; }
  void setOffset(size_t offset) { offset_ = offset; }

  /// A short name of the kind for error messages: "null", "a number", ...
  static const char *kindName(Kind kind);

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  bool isInt_ = false;
  double number_ = 0;
  int64_t int_ = 0;
  size_t offset_ = 0;
  // Heap-allocated so that a JsonValue stays small and copyable.
  std::shared_ptr<const std::string> string_;
  std::shared_ptr<const Array> array_;
  std::shared_ptr<const Object> object_;
};

/// Parses one JSON value (surrounded by optional whitespace). Byte offsets in
/// errors and in JsonValue::offset() are `baseOffset` + the offset in `text`
/// (so a caller parsing a slice of a file can report file offsets); line and
/// column are 1-based and relative to `text`.
Expected<JsonValue> parseJson(std::string_view text, size_t baseOffset = 0);

/// Builds JSON text. Containers are opened and closed explicitly; commas are
/// inserted automatically. Inside an object, call key() before every value.
///   JsonWriter w; w.beginObject().field("a", 1).key("b").beginArray()
///    .value(1.5).endArray().endObject();   // {"a":1,"b":[1.5]}
class JsonWriter {
public:
  /// indent > 0: newline + `indent` spaces per level; 0: compact.
  explicit JsonWriter(int indent = 0) : indent_(indent) {}

  JsonWriter &beginObject();
  JsonWriter &endObject();
  JsonWriter &beginArray();
  JsonWriter &endArray();
  JsonWriter &key(std::string_view k);

  JsonWriter &value(std::string_view s);
  JsonWriter &value(const char *s) { return value(std::string_view(s)); }
  JsonWriter &value(const std::string &s) { return value(std::string_view(s)); }
  JsonWriter &value(bool b);
  JsonWriter &value(std::nullptr_t);
  /// Shortest text that reads back as the same double; NaN/inf become null.
  JsonWriter &value(double d);
  JsonWriter &value(float f) { return value(static_cast<double>(f)); }
  template <class I, std::enable_if_t<std::is_integral_v<I> &&
                                          !std::is_same_v<I, bool>,
                                      int> = 0>
  JsonWriter &value(I i) {
    if constexpr (std::is_signed_v<I>)
      return rawValue(std::to_string(static_cast<long long>(i)));
    else
      return rawValue(std::to_string(static_cast<unsigned long long>(i)));
  }
  /// Writes a parsed value back (objects keep their key order).
  JsonWriter &value(const JsonValue &v);

  /// key(k).value(v).
  template <class V> JsonWriter &field(std::string_view k, const V &v) {
    key(k);
    return value(v);
  }

  /// The text so far (complete once every container is closed).
  const std::string &str() const { return out_; }

  /// `s` as a quoted JSON string with escapes.
  static std::string quote(std::string_view s);

private:
  JsonWriter &rawValue(std::string_view text);
  void beforeValue();
  void newline();

  struct Level {
    bool isObject;
    bool empty = true;
  };
  int indent_;
  std::string out_;
  std::vector<Level> stack_;
  bool afterKey_ = false;
};

} // namespace photon::rt

#endif // PHOTON_RUNTIME_JSON_H
