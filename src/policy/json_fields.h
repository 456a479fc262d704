// Strict reading of the JSON objects that describe policies: every member
// must be known and of the expected type, and every error names the field by
// its dotted path ("retention.keep_daily: must be an integer").
//
// A member whose value is null counts as absent, so the reader leaves the
// output untouched.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace coffer {

// "retention" + "keep_daily" → "retention.keep_daily"; "" + "paths" → "paths".
std::string PolicyFieldName(std::string_view parent, std::string_view key);

// InvalidArgument "<field>: <message>" (just "<message>" when field is "").
absl::Status PolicyFieldError(std::string_view field, std::string_view message);

// Fails unless `value` is a JSON object; `field` names it ("" for the top).
absl::Status RequirePolicyObject(const nlohmann::json& value, std::string_view field);

// Fails naming the first member of `object` that is not in `known`, with a
// suggestion when a known name is a likely typo: `retention: unknown field
// "keep_dayly" (did you mean "keep_daily"?)`.
absl::Status RejectUnknownPolicyFields(const nlohmann::json& object, std::string_view field,
                                       std::initializer_list<std::string_view> known);

// Reads object[key] into *out when present. Strings must be non-empty unless
// allow_empty; integers must fit an int; lists must hold non-empty strings.
absl::Status ReadPolicyString(const nlohmann::json& object, std::string_view parent,
                              std::string_view key, std::string* out, bool allow_empty = false);
absl::Status ReadPolicyInt(const nlohmann::json& object, std::string_view parent,
                           std::string_view key, int* out);
absl::Status ReadPolicyStringList(const nlohmann::json& object, std::string_view parent,
                                  std::string_view key, std::vector<std::string>* out);

// Parses JSON text; a syntax error names `what` ("policy") and the position.
absl::Status ParsePolicyJsonText(std::string_view text, std::string_view what, nlohmann::json* out);

}  // namespace coffer
