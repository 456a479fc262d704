#include "policy/policy.h"

#include "absl/strings/str_cat.h"
#include "policy/cron.h"
#include "policy/json_fields.h"
#include "policy/retention_json.h"

namespace coffer {
namespace {

constexpr std::string_view kScheduleField = "schedule";

absl::Status CheckStrings(const std::vector<std::string>& values, std::string_view field) {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].empty())
      return PolicyFieldError(absl::StrCat(std::string(field), "[", i, "]"),
                              "must be a non-empty string");
  return absl::OkStatus();
}

absl::Status ReadSchedule(const nlohmann::json& doc, Schedule* out) {
  auto it = doc.find(std::string(kScheduleField));
  if (it == doc.end() || it->is_null()) return absl::OkStatus();
  absl::Status s = RequirePolicyObject(*it, kScheduleField);
  if (s.ok()) s = RejectUnknownPolicyFields(*it, kScheduleField, {"cron", "time_zone"});
  if (s.ok()) s = ReadPolicyString(*it, kScheduleField, "cron", &out->cron);
  if (s.ok()) s = ReadPolicyString(*it, kScheduleField, "time_zone", &out->time_zone);
  return s;
}

}  // namespace

absl::StatusOr<Policy> PolicyFromJson(const nlohmann::json& doc) {
  absl::Status s = RequirePolicyObject(doc, "");
  if (s.ok())
    s = RejectUnknownPolicyFields(
        doc, "",
        {"name", "paths", "includes", "excludes", "tags", "repository", "mirror", "schedule", "retention"});
  if (!s.ok()) return s;
  Policy policy;
  s = ReadPolicyString(doc, "", "name", &policy.name, /*allow_empty=*/true);
  if (s.ok()) s = ReadPolicyStringList(doc, "", "paths", &policy.paths);
  if (s.ok()) s = ReadPolicyStringList(doc, "", "includes", &policy.includes);
  if (s.ok()) s = ReadPolicyStringList(doc, "", "excludes", &policy.excludes);
  if (s.ok()) s = ReadPolicyStringList(doc, "", "tags", &policy.tags);
  if (s.ok()) s = ReadPolicyString(doc, "", "repository", &policy.repository);
  if (s.ok()) s = ReadPolicyString(doc, "", "mirror", &policy.mirror);
  if (s.ok()) s = ReadSchedule(doc, &policy.schedule);
  if (!s.ok()) return s;
  // Without a time zone of its own, retention counts days where the
  // schedule runs.
  policy.retention.time_zone = policy.schedule.time_zone;
  if (auto it = doc.find("retention"); it != doc.end() && !it->is_null()) {
    auto rules = RetentionRulesFromJson(*it, "retention", policy.schedule.time_zone);
    if (!rules.ok()) return rules.status();
    policy.retention = std::move(*rules);
  }
  s = ValidatePolicy(policy);
  if (!s.ok()) return s;
  // Store the expression as ParseCron normalises it (single blanks, macros
  // in lower case), so equal schedules compare equal.
  if (!policy.schedule.cron.empty()) policy.schedule.cron = ParseCron(policy.schedule.cron)->text;
  return policy;
}

absl::StatusOr<Policy> ParsePolicy(std::string_view json_text) {
  nlohmann::json doc;
  absl::Status s = ParsePolicyJsonText(json_text, "policy", &doc);
  if (!s.ok()) return s;
  return PolicyFromJson(doc);
}

absl::Status ValidatePolicy(const Policy& policy) {
  absl::Status s = CheckStrings(policy.paths, "paths");
  if (s.ok()) s = CheckStrings(policy.includes, "includes");
  if (s.ok()) s = CheckStrings(policy.excludes, "excludes");
  if (s.ok()) s = CheckStrings(policy.tags, "tags");
  if (s.ok()) s = ValidateSchedule(policy.schedule);
  if (s.ok()) s = ValidateRetentionRules(policy.retention);
  return s;
}

std::string PolicyToJson(const Policy& policy, int indent) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["name"] = policy.name;
  out["paths"] = policy.paths;
  out["includes"] = policy.includes;
  out["excludes"] = policy.excludes;
  out["tags"] = policy.tags;
  if (!policy.repository.empty()) out["repository"] = policy.repository;
  if (!policy.mirror.empty()) out["mirror"] = policy.mirror;
  if (!policy.schedule.cron.empty() || policy.schedule.time_zone != Schedule().time_zone) {
    nlohmann::ordered_json schedule = nlohmann::ordered_json::object();
    if (!policy.schedule.cron.empty()) schedule["cron"] = policy.schedule.cron;
    schedule["time_zone"] = policy.schedule.time_zone;
    out["schedule"] = std::move(schedule);
  }
  out["retention"] = RetentionRulesToJson(policy.retention);
  return out.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool LooksLikePolicyObject(const nlohmann::json& doc) {
  if (!doc.is_object()) return false;
  for (const char* key :
       {"name", "paths", "includes", "excludes", "tags", "repository", "mirror", "schedule", "retention"})
    if (doc.contains(key)) return true;
  return false;
}

}  // namespace coffer
