// RetentionRules as JSON, with the field names a policy's "retention" uses:
//   {"keep_last": 3, "keep_hourly": 24, "keep_daily": 7, "keep_weekly": 4,
//    "keep_monthly": 12, "keep_yearly": 3, "keep_within": "2d",
//    "keep_tags": ["keep"], "time_zone": "Europe/Berlin"}
// Every member is optional (counts default to 0, time_zone to UTC); unknown
// members are rejected by name. keep_within uses policy/duration.h.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/status/statusor.h"
#include "policy/retention.h"

namespace coffer {

// Reads and validates a retention object. `field` names it in errors
// ("retention"); `default_time_zone` applies when it has no time_zone.
absl::StatusOr<RetentionRules> RetentionRulesFromJson(const nlohmann::json& object,
                                                      std::string_view field = "retention",
                                                      std::string_view default_time_zone = "UTC");

// The same, from JSON text.
absl::StatusOr<RetentionRules> ParseRetentionRules(std::string_view json_text);

// The canonical form: counts that are not 0, keep_within when set (as
// FormatPolicyDuration writes it), keep_tags when not empty, and time_zone.
// RetentionRulesFromJson() of the result gives `rules` back.
nlohmann::ordered_json RetentionRulesToJson(const RetentionRules& rules);

}  // namespace coffer
