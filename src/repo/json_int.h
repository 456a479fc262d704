// Strict integer reads from JSON documents of the repository format.
#pragma once

#include <utility>

#include <nlohmann/json.hpp>

namespace coffer::json_int {

using nlohmann::json;

// Integers in the document: nlohmann's get<integer>() casts a floating-point
// number without a range check (undefined behaviour for 1e300) and wraps
// out-of-range integers silently; writers only write integers in range, so
// anything else is malformed (a json::type_error, caught below).
template <typename T>
T Int(const json& j) {
  if (j.is_number_unsigned() && std::in_range<T>(j.get<uint64_t>())) return static_cast<T>(j.get<uint64_t>());
  if (j.is_number_integer() && !j.is_number_unsigned() && std::in_range<T>(j.get<int64_t>()))
    return static_cast<T>(j.get<int64_t>());
  throw json::type_error::create(302, "expected an integer in range, got " + j.dump(), &j);
}
template <typename T>
T IntOr(const json& j, const char* field, T fallback) {
  if (!j.is_object()) throw json::type_error::create(306, "expected an object", &j);
  auto it = j.find(field);
  return it == j.end() ? fallback : Int<T>(*it);
}

}  // namespace coffer::json_int
