// How long to keep snapshots: the rules of a policy's "retention" and their
// evaluation against a list of snapshots, with the semantics restic and
// borg users expect.
//
// Snapshots are grouped by host and (sorted) paths; each group is evaluated
// on its own, newest snapshot first. A snapshot is kept when any rule keeps
// it, and its decision lists every rule that did:
//   keep_last N     the N newest snapshots                  "last 2" (2nd newest)
//   keep_hourly N   the newest snapshot of each of the N newest hours that
//                   have snapshots                          "hourly 2026-11-26T14"
//   keep_daily N    likewise per calendar day               "daily 2026-11-26"
//   keep_weekly N   likewise per ISO week (Monday-Sunday)   "weekly 2026-W48"
//   keep_monthly N  likewise per calendar month             "monthly 2026-11"
//   keep_yearly N   likewise per calendar year              "yearly 2026"
//   keep_within D   every snapshot less than D older than the group's newest
//                                                           "within 7d"
//   keep_tags [..]  every snapshot carrying any of the tags "tag important"
// Calendar buckets (hour, day, week, month, year) are taken in `time_zone`.
// A count of -1 means unlimited (every bucket, or for keep_last every
// snapshot); 0 disables the rule. As in restic, a snapshot kept by one rule
// also uses up a slot of every other rule that keeps it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coffer {

struct RetentionRules {
  int keep_last = 0;
  int keep_hourly = 0;
  int keep_daily = 0;
  int keep_weekly = 0;
  int keep_monthly = 0;
  int keep_yearly = 0;
  std::optional<absl::Duration> keep_within;  // must be > 0 when set
  std::vector<std::string> keep_tags;
  std::string time_zone = "UTC";  // IANA name for the calendar buckets

  bool operator==(const RetentionRules&) const = default;
};

struct SnapshotMeta {
  std::string id;
  int64_t time_ns = 0;  // since the Unix epoch
  std::string host;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
};

struct RetentionDecision {
  std::string id;
  bool keep = false;
  std::vector<std::string> reasons;  // empty when forgotten
  std::string group;                 // "host:path1,path2" (paths sorted)
};

// Whether any rule can keep a snapshot.
bool HasKeepRule(const RetentionRules& rules);

// Checks counts (>= -1), keep_within (> 0), tags (non-empty) and the time
// zone; errors name the field ("retention.keep_daily: must be >= 0 ...").
absl::Status ValidateRetentionRules(const RetentionRules& rules);

// One decision per snapshot: groups ordered by host, then paths; within a
// group newest first (equal times by id). Fails with InvalidArgument when
// the rules are invalid, when no rule is set ("no keep rule: refusing to
// forget everything"), or when a snapshot id is empty or repeated.
absl::StatusOr<std::vector<RetentionDecision>> EvaluateRetention(
    const RetentionRules& rules, std::vector<SnapshotMeta> snapshots);

}  // namespace coffer
