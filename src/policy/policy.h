// A backup policy: what to back up, how often, and how long to keep it.
// Pure data plus parsing, validation and JSON; applying a policy (running
// backups, forgetting snapshots) belongs to the layers that do I/O.
//
// JSON form (docs/POLICY.md has the details; every member is optional and
// unknown members are rejected by name):
//   {"name": "laptop-home",
//    "paths": ["/home/ann"],                 what to back up
//    "includes": ["*.pdf"], "excludes": ["**/.cache"],   patterns as for backup
//    "tags": ["laptop"],                     recorded on each snapshot
//    "repository": "s3://bucket/repo",       where to back up (a location)
//    "schedule": {"cron": "0 2 * * *", "time_zone": "Europe/Berlin"},
//    "retention": {"keep_last": 3, "keep_daily": 7, "keep_weekly": 4,
//                  "keep_monthly": 12, "keep_yearly": 3, "keep_within": "2d",
//                  "keep_tags": ["keep"], "time_zone": "Europe/Berlin"}}
// schedule: see policy/schedule.h (cron may be absent: no automatic runs);
// retention: see policy/retention.h and retention_json.h. When retention
// has no time_zone it takes the schedule's, so one zone serves both.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "policy/retention.h"
#include "policy/schedule.h"

namespace coffer {

struct Policy {
  std::string name;
  std::vector<std::string> paths;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::string repository;  // empty: not named by the policy
  std::string mirror;      // a replica every object is also written to; empty: none
  Schedule schedule;
  RetentionRules retention;

  bool operator==(const Policy&) const = default;
};

// Parses and validates a policy. Errors name the field:
// `retention.keep_daily: must be >= 0 (or -1 for unlimited), got -1`,
// `schedule.cron: day-of-month 30 never occurs in February: ...`,
// `retention: unknown field "keep_dayly" (did you mean "keep_daily"?)`.
absl::StatusOr<Policy> ParsePolicy(std::string_view json_text);

// The same, from a parsed JSON document.
absl::StatusOr<Policy> PolicyFromJson(const nlohmann::json& doc);

// Validates a policy built in code, with the same messages as ParsePolicy.
absl::Status ValidatePolicy(const Policy& policy);

// The canonical (normalised) JSON text of a policy: all members in the order
// above, "schedule" only when it has a cron expression or a time zone other
// than UTC, "repository" only when set. ParsePolicy() of the result gives an
// equal policy. `indent` < 0: compact; otherwise pretty-printed.
std::string PolicyToJson(const Policy& policy, int indent = -1);

// Whether a JSON object is a whole policy rather than a bare "retention" or
// "schedule" object: it has a member that only policies have.
bool LooksLikePolicyObject(const nlohmann::json& doc);

}  // namespace coffer
