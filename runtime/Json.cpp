//===- Json.cpp - JSON through nlohmann-json -------------------------------===//

#include "runtime/Json.h"

#include <set>
#include <string>
#include <vector>

namespace photon::rt {

namespace {
/// Thrown from the parser callback to stop at a duplicate key or too deep a
/// nesting; caught in parseJson.
struct Rejected {
  std::string message;
};
} // namespace

Expected<Json> parseJson(std::string_view text, size_t baseOffset) {
  // The keys seen so far in every open object, innermost last.
  std::vector<std::set<std::string>> keys;
  auto check = [&](int depth, Json::parse_event_t event, Json &parsed) {
    switch (event) {
    case Json::parse_event_t::object_start:
    case Json::parse_event_t::array_start:
      if (depth >= kMaxJsonDepth)
        throw Rejected{"nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
      if (event == Json::parse_event_t::object_start)
        keys.emplace_back();
      break;
    case Json::parse_event_t::object_end:
      keys.pop_back();
      break;
    case Json::parse_event_t::key:
      if (!keys.back().insert(parsed.get<std::string>()).second)
        throw Rejected{"duplicate object key \"" + parsed.get<std::string>() + "\""};
      break;
    default:
      break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check);
  } catch (const Json::parse_error &e) {
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
  } catch (const Json::exception &e) {
    return Status::error(std::string("JSON error: ") + e.what());
  }
}

const char *jsonKindName(const Json &value) {
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

bool isJsonInt(const Json &value) {
  return value.is_number_integer() &&
         (!value.is_number_unsigned() ||
          value.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()));
}

} // namespace photon::rt
