//===- Json.cpp - JSON through nlohmann-json -------------------------------===//

#include "runtime/Json.h"

#include <unordered_set>
#include <string>
#include <vector>

namespace photon::rt {

namespace {
/// Thrown from the parser callback to stop at a duplicate key or too deep a
/// nesting; caught in parseJson.
struct Rejected {
  std::string message;
};

template <class J> Expected<J> parseAs(std::string_view text, size_t baseOffset) {
  // The keys seen so far in every open object, innermost last.
  std::vector<std::unordered_set<std::string>> keys;
  auto check = [&](int depth, typename J::parse_event_t event, J &parsed) {
    switch (event) {
    case J::parse_event_t::object_start:
    case J::parse_event_t::array_start:
      if (depth >= kMaxJsonDepth)
        throw Rejected{"nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
      if (event == J::parse_event_t::object_start)
        keys.emplace_back();
      break;
    case J::parse_event_t::object_end:
      keys.pop_back();
      break;
    case J::parse_event_t::key:
      if (!keys.back().insert(parsed.template get<std::string>()).second)
        throw Rejected{"duplicate object key \"" + parsed.template get<std::string>() + "\""};
      break;
    default:
      break;
    }
    return true;
  };
  try {
    return J::parse(text.begin(), text.end(), check);
  } catch (const typename J::parse_error &e) {
    // e.what() is "[json.exception.parse_error.N] parse error at line L,
    // column C: ..."; keep what follows the tag.
    std::string what = e.what();
    size_t at = what.find("] ");
    if (at != std::string::npos)
      what = what.substr(at + 2);
    return Status::error("JSON error at byte " + std::to_string(baseOffset + e.byte) + ": " +
                         what);
  } catch (const Rejected &r) {
    return Status::error("JSON error: " + r.message);
  } catch (const typename J::exception &e) {
    return Status::error(std::string("JSON error: ") + e.what());
  }
}

} // namespace

Expected<Json> parseJson(std::string_view text, size_t baseOffset) {
  return parseAs<Json>(text, baseOffset);
}

Expected<UnorderedJson> parseUnorderedJson(std::string_view text, size_t baseOffset) {
  return parseAs<UnorderedJson>(text, baseOffset);
}

namespace {

template <class J> const char *kindName(const J &value) {
  switch (value.type()) {
  case Json::value_t::null: return "null";
  case Json::value_t::boolean: return "a boolean";
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned:
  case Json::value_t::number_float: return "a number";
  case Json::value_t::string: return "a string";
  case Json::value_t::array: return "an array";
  case Json::value_t::object: return "an object";
  default: return "a binary value";
  }
}

template <class J> bool isInt(const J &value) {
  return value.is_number_integer() &&
         (!value.is_number_unsigned() ||
          value.template get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()));
}

} // namespace

const char *jsonKindName(const Json &value) { return kindName(value); }
const char *jsonKindName(const UnorderedJson &value) { return kindName(value); }
bool isJsonInt(const Json &value) { return isInt(value); }
bool isJsonInt(const UnorderedJson &value) { return isInt(value); }

} // namespace photon::rt
