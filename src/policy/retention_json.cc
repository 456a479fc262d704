#include "policy/retention_json.h"

#include "absl/strings/str_cat.h"
#include "policy/duration.h"
#include "policy/json_fields.h"

namespace coffer {
namespace {

struct CountField {
  const char* name;
  int RetentionRules::*count;
};
constexpr CountField kCounts[] = {
    {"keep_last", &RetentionRules::keep_last},       {"keep_hourly", &RetentionRules::keep_hourly},
    {"keep_daily", &RetentionRules::keep_daily},     {"keep_weekly", &RetentionRules::keep_weekly},
    {"keep_monthly", &RetentionRules::keep_monthly}, {"keep_yearly", &RetentionRules::keep_yearly},
};

// ValidateRetentionRules names fields "retention.<name>"; a retention object
// read under another name gets that name instead.
absl::Status Renamed(const absl::Status& s, std::string_view field) {
  std::string_view message(s.message().data(), s.message().size());
  constexpr std::string_view kPrefix = "retention";
  if (field == kPrefix || message.substr(0, kPrefix.size()) != kPrefix) return s;
  return absl::Status(
      s.code(), absl::StrCat(std::string(field), std::string(message.substr(kPrefix.size()))));
}

}  // namespace

absl::StatusOr<RetentionRules> RetentionRulesFromJson(const nlohmann::json& object,
                                                      std::string_view field,
                                                      std::string_view default_time_zone) {
  absl::Status s = RequirePolicyObject(object, field);
  if (s.ok())
    s = RejectUnknownPolicyFields(
        object, field,
        {"keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly",
         "keep_within", "keep_tags", "time_zone"});
  if (!s.ok()) return s;
  RetentionRules rules;
  rules.time_zone = std::string(default_time_zone);
  for (const CountField& c : kCounts) {
    s = ReadPolicyInt(object, field, c.name, &(rules.*(c.count)));
    if (!s.ok()) return s;
  }
  std::string within;
  s = ReadPolicyString(object, field, "keep_within", &within);
  if (!s.ok()) return s;
  if (!within.empty()) {
    auto d = ParsePolicyDuration(within);
    if (!d.ok())
      return PolicyFieldError(PolicyFieldName(field, "keep_within"),
                              std::string(d.status().message()));
    rules.keep_within = *d;
  }
  s = ReadPolicyStringList(object, field, "keep_tags", &rules.keep_tags);
  if (s.ok()) s = ReadPolicyString(object, field, "time_zone", &rules.time_zone);
  if (s.ok()) s = Renamed(ValidateRetentionRules(rules), field);
  if (!s.ok()) return s;
  return rules;
}

absl::StatusOr<RetentionRules> ParseRetentionRules(std::string_view json_text) {
  nlohmann::json doc;
  absl::Status s = ParsePolicyJsonText(json_text, "retention", &doc);
  if (!s.ok()) return s;
  return RetentionRulesFromJson(doc);
}

nlohmann::ordered_json RetentionRulesToJson(const RetentionRules& rules) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const CountField& c : kCounts)
    if (rules.*(c.count) != 0) out[c.name] = rules.*(c.count);
  if (rules.keep_within) out["keep_within"] = FormatPolicyDuration(*rules.keep_within);
  if (!rules.keep_tags.empty()) out["keep_tags"] = rules.keep_tags;
  out["time_zone"] = rules.time_zone;
  return out;
}

}  // namespace coffer
