// Policies and schedules: pure functions over JSON documents, no repository.
#include "policy/policy.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capi/cat.h"
#include "capi/error.h"
#include "capi/output.h"
#include "policy/json_fields.h"
#include "policy/retention_json.h"

using coffer::capi::Cat;
using coffer::capi::Fail;
using coffer::capi::Guard;
using coffer::capi::ReturnJson;
using nlohmann::json;

namespace coffer::capi {
namespace {

absl::StatusOr<json> ParseArgument(const char* text, const char* argument) {
  json doc;
  absl::Status s = ParsePolicyJsonText(text, argument, &doc);
  if (!s.ok()) return s;
  return doc;
}

// A whole policy, or just its "schedule" object.
absl::StatusOr<Schedule> ScheduleFrom(const json& doc) {
  if (!doc.is_object())
    return PolicyFieldError("policy_json", "must be a JSON object (a policy or its \"schedule\")");
  if (LooksLikePolicyObject(doc)) {
    auto policy = PolicyFromJson(doc);
    if (!policy.ok()) return policy.status();
    return policy->schedule;
  }
  auto policy = PolicyFromJson(json{{"schedule", doc}});
  if (!policy.ok()) return policy.status();
  return policy->schedule;
}

// A whole policy, or just its "retention" object.
absl::StatusOr<RetentionRules> RetentionFrom(const json& doc) {
  if (!doc.is_object())
    return PolicyFieldError("retention_json",
                            "must be a JSON object (a policy or its \"retention\")");
  if (!LooksLikePolicyObject(doc)) return RetentionRulesFromJson(doc);
  auto policy = PolicyFromJson(doc);
  if (!policy.ok()) return policy.status();
  return policy->retention;
}

absl::StatusOr<int64_t> SnapshotTime(const json& item, const std::string& field) {
  if (auto it = item.find("time_ns"); it != item.end() && !it->is_null()) {
    if (!it->is_number_integer() ||
        (it->is_number_unsigned() &&
         it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
      return PolicyFieldError(Cat(field, ".time_ns"), "must be an integer (ns since 1970)");
    return it->get<int64_t>();
  }
  if (auto it = item.find("time"); it != item.end() && it->is_string()) {
    absl::Time t;
    std::string why;
    if (!absl::ParseTime(absl::RFC3339_full, it->get<std::string>(), &t, &why))
      return PolicyFieldError(Cat(field, ".time"), Cat("not an RFC 3339 time: ", why));
    return absl::ToUnixNanos(t);
  }
  return PolicyFieldError(field, "has no \"time_ns\" (or \"time\")");
}

// The snapshots as coffer_snapshots_list() returns them; members other
// than id, time_ns (or time), host, paths and tags are ignored.
absl::StatusOr<std::vector<SnapshotMeta>> SnapshotsFrom(const json& doc) {
  if (!doc.is_array())
    return PolicyFieldError("snapshots_json",
                            "must be a JSON array of snapshots as coffer_snapshots_list returns");
  std::vector<SnapshotMeta> out;
  out.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& item = doc[i];
    std::string field = Cat("snapshots_json[", i, "]");
    absl::Status s = RequirePolicyObject(item, field);
    SnapshotMeta meta;
    if (s.ok()) s = ReadPolicyString(item, field, "id", &meta.id);
    if (s.ok() && meta.id.empty()) s = PolicyFieldError(field, "has no \"id\"");
    if (s.ok()) s = ReadPolicyString(item, field, "host", &meta.host, /*allow_empty=*/true);
    if (s.ok()) s = ReadPolicyStringList(item, field, "paths", &meta.paths);
    if (s.ok()) s = ReadPolicyStringList(item, field, "tags", &meta.tags);
    if (!s.ok()) return s;
    auto time = SnapshotTime(item, field);
    if (!time.ok()) return time.status();
    meta.time_ns = *time;
    out.push_back(std::move(meta));
  }
  return out;
}

json DecisionsJson(const std::vector<RetentionDecision>& decisions) {
  json out = json::array();
  for (const RetentionDecision& d : decisions)
    out.push_back(json{{"id", d.id}, {"keep", d.keep}, {"reasons", d.reasons}, {"group", d.group}});
  return out;
}

}  // namespace
}  // namespace coffer::capi

extern "C" {

COFFER_API coffer_status coffer_policy_validate(const char* policy_json, char** normalized_json,
                                                coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    if (normalized_json != nullptr) *normalized_json = nullptr;
    COFFER_CAPI_REQUIRE(policy_json);
    auto doc = coffer::capi::ParseArgument(policy_json, "policy_json");
    if (!doc.ok()) return Fail(err, doc.status());
    auto policy = coffer::PolicyFromJson(*doc);
    if (!policy.ok()) return Fail(err, policy.status());
    if (normalized_json != nullptr)
      *normalized_json = coffer::capi::CopyString(coffer::PolicyToJson(*policy));
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_schedule_next_run(const char* policy_json, int64_t after_unix_ns,
                                                  int64_t* next_unix_ns, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(next_unix_ns);
    *next_unix_ns = 0;
    COFFER_CAPI_REQUIRE(policy_json);
    auto doc = coffer::capi::ParseArgument(policy_json, "policy_json");
    if (!doc.ok()) return Fail(err, doc.status());
    auto schedule = coffer::capi::ScheduleFrom(*doc);
    if (!schedule.ok()) return Fail(err, schedule.status());
    auto next = coffer::NextRun(*schedule, absl::FromUnixNanos(after_unix_ns));
    if (!next.ok()) return Fail(err, next.status());
    if (*next > absl::FromUnixNanos(std::numeric_limits<int64_t>::max()))
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat(coffer_entry_, ": the next run is after the year 2262, beyond int64 ns"));
    *next_unix_ns = absl::ToUnixNanos(*next);
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_retention_evaluate(const char* retention_json,
                                                   const char* snapshots_json,
                                                   char** decisions_json, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(decisions_json);
    *decisions_json = nullptr;
    COFFER_CAPI_REQUIRE(retention_json);
    COFFER_CAPI_REQUIRE(snapshots_json);
    auto rules_doc = coffer::capi::ParseArgument(retention_json, "retention_json");
    if (!rules_doc.ok()) return Fail(err, rules_doc.status());
    auto rules = coffer::capi::RetentionFrom(*rules_doc);
    if (!rules.ok()) return Fail(err, rules.status());
    auto snapshots_doc = coffer::capi::ParseArgument(snapshots_json, "snapshots_json");
    if (!snapshots_doc.ok()) return Fail(err, snapshots_doc.status());
    auto snapshots = coffer::capi::SnapshotsFrom(*snapshots_doc);
    if (!snapshots.ok()) return Fail(err, snapshots.status());
    auto decisions = coffer::EvaluateRetention(*rules, std::move(*snapshots));
    if (!decisions.ok()) return Fail(err, decisions.status());
    return ReturnJson(coffer::capi::DecisionsJson(*decisions), decisions_json);
  });
}

}  // extern "C"
