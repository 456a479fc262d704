// Reads the small JSON option documents of the maintenance functions
// (coffer_check, coffer_prune, …): NULL means defaults; unknown members are
// errors, so a typo is never silently ignored.
#pragma once

#include <initializer_list>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace coffer::capi {

// An object (empty for NULL). InvalidArgument naming `argument` for invalid
// JSON, a non-object or a member not in `allowed`.
absl::StatusOr<nlohmann::json> ParseOptionsJson(const char* text, const char* argument,
                                                std::initializer_list<std::string_view> allowed);

// Typed members; InvalidArgument naming the member when it has the wrong type.
absl::StatusOr<bool> OptionBool(const nlohmann::json& doc, const char* argument, const char* member,
                                bool fallback);
absl::StatusOr<double> OptionNumber(const nlohmann::json& doc, const char* argument, const char* member,
                                    double fallback);
absl::StatusOr<std::string> OptionString(const nlohmann::json& doc, const char* argument,
                                         const char* member, std::string fallback);

}  // namespace coffer::capi
