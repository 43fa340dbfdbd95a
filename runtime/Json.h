//===- Json.h - JSON through nlohmann-json ---------------------*- C++ -*-===//
//
// Manifests, safetensors headers, kernel-library descriptions and
// `--output json` go through nlohmann-json (Debian's nlohmann-json3-dev,
// header-only). Its parser is strict RFC 8259 (no comments, trailing commas
// or NaN; valid UTF-8 only); parseJson adds what untrusted files need on top:
// no duplicate object keys, nesting no deeper than kMaxJsonDepth, and errors
// as values that name the byte offset. Objects keep their keys in file order.
//
//===----------------------------------------------------------------------===//
#ifndef PHOTON_RUNTIME_JSON_H
#define PHOTON_RUNTIME_JSON_H

#include "runtime/Status.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace photon::rt {

/// A JSON value whose objects keep their keys in insertion (file) order.
using Json = nlohmann::ordered_json;

constexpr int kMaxJsonDepth = 256;

/// A JSON value whose objects are sorted maps: O(log n) per key where Json's
/// insertion-ordered objects cost O(n), for files with objects of 10^5 keys
/// whose order does not matter (a tokenizer.json's vocabulary).
using UnorderedJson = nlohmann::json;

/// Parses `text`; errors read "JSON error at byte N: ..." with N counted from
/// `baseOffset` (where `text` starts inside its file).
Expected<Json> parseJson(std::string_view text, size_t baseOffset = 0);
/// The same checks, into sorted objects.
Expected<UnorderedJson> parseUnorderedJson(std::string_view text, size_t baseOffset = 0);

/// "null", "a boolean", "a number", "a string", "an array", "an object".
const char *jsonKindName(const Json &value);
const char *jsonKindName(const UnorderedJson &value);

/// Whether `value` is an integer that fits int64 (JSON integers written
/// without a fraction or exponent).
bool isJsonInt(const Json &value);
bool isJsonInt(const UnorderedJson &value);

} // namespace photon::rt

#endif // PHOTON_RUNTIME_JSON_H
