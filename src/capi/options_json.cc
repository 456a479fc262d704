#include "capi/options_json.h"

#include <algorithm>

#include "capi/cat.h"

namespace coffer::capi {

absl::StatusOr<nlohmann::json> ParseOptionsJson(const char* text, const char* argument,
                                                std::initializer_list<std::string_view> allowed) {
  if (text == nullptr) return nlohmann::json::object();
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError(Cat("argument `", argument, "` is not valid JSON"));
  if (!doc.is_object())
    return absl::InvalidArgumentError(Cat("argument `", argument, "` must be a JSON object"));
  for (const auto& [key, value] : doc.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string expected;
      for (std::string_view a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
      return absl::InvalidArgumentError(
          Cat("argument `", argument, "` has an unknown member \"", key, "\" (expected ", expected, ")"));
    }
  }
  return doc;
}

absl::StatusOr<bool> OptionBool(const nlohmann::json& doc, const char* argument, const char* member,
                                bool fallback) {
  if (!doc.contains(member) || doc[member].is_null()) return fallback;
  if (!doc[member].is_boolean())
    return absl::InvalidArgumentError(Cat("argument `", argument, "`: \"", member, "\" must be true or false"));
  return doc[member].get<bool>();
}

absl::StatusOr<double> OptionNumber(const nlohmann::json& doc, const char* argument, const char* member,
                                    double fallback) {
  if (!doc.contains(member) || doc[member].is_null()) return fallback;
  if (!doc[member].is_number())
    return absl::InvalidArgumentError(Cat("argument `", argument, "`: \"", member, "\" must be a number"));
  return doc[member].get<double>();
}

absl::StatusOr<std::string> OptionString(const nlohmann::json& doc, const char* argument,
                                         const char* member, std::string fallback) {
  if (!doc.contains(member) || doc[member].is_null()) return fallback;
  if (!doc[member].is_string())
    return absl::InvalidArgumentError(Cat("argument `", argument, "`: \"", member, "\" must be a string"));
  return doc[member].get<std::string>();
}

}  // namespace coffer::capi
