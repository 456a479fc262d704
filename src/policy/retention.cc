#include "policy/retention.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "policy/duration.h"
#include "policy/time_zone.h"

namespace coffer {
namespace {

std::string HourBucket(absl::CivilSecond t) { return absl::FormatCivilTime(absl::CivilHour(t)); }
std::string DayBucket(absl::CivilSecond t) { return absl::FormatCivilTime(absl::CivilDay(t)); }
std::string MonthBucket(absl::CivilSecond t) { return absl::FormatCivilTime(absl::CivilMonth(t)); }
std::string YearBucket(absl::CivilSecond t) { return absl::FormatCivilTime(absl::CivilYear(t)); }

// ISO 8601 week: weeks start on Monday and belong to the year of their
// Thursday, so 2026-12-31 (a Thursday) is in 2026-W53 and 2027-01-03 too.
std::string WeekBucket(absl::CivilSecond t) {
  absl::CivilDay day(t);
  int days_since_monday = static_cast<int>(absl::GetWeekday(day));  // Monday = 0
  absl::CivilDay thursday = day - days_since_monday + 3;
  int week = (absl::GetYearDay(thursday) - 1) / 7 + 1;
  return absl::StrFormat("%04d-W%02d", static_cast<int64_t>(thursday.year()), week);
}

struct BucketRule {
  const char* name;  // as in the reasons: "daily"
  const char* field;
  int RetentionRules::*count;
  std::string (*bucket)(absl::CivilSecond);
};

constexpr BucketRule kBucketRules[] = {
    {"hourly", "keep_hourly", &RetentionRules::keep_hourly, HourBucket},
    {"daily", "keep_daily", &RetentionRules::keep_daily, DayBucket},
    {"weekly", "keep_weekly", &RetentionRules::keep_weekly, WeekBucket},
    {"monthly", "keep_monthly", &RetentionRules::keep_monthly, MonthBucket},
    {"yearly", "keep_yearly", &RetentionRules::keep_yearly, YearBucket},
};

absl::Status CheckCount(int count, std::string_view field) {
  if (count >= -1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "retention.", std::string(field), ": must be >= 0 (or -1 for unlimited), got ", count));
}

bool HasTag(const SnapshotMeta& s, const std::string& tag) {
  return std::find(s.tags.begin(), s.tags.end(), tag) != s.tags.end();
}

// Evaluates one group, whose snapshots are sorted newest first.
void EvaluateGroup(const RetentionRules& rules, const absl::TimeZone& zone,
                   const std::vector<SnapshotMeta>& group, const std::string& group_name,
                   std::vector<RetentionDecision>* out) {
  struct BucketState {
    int remaining;  // -1: unlimited
    std::string last;
    bool started = false;
  };
  BucketState states[std::size(kBucketRules)];
  for (size_t r = 0; r < std::size(kBucketRules); ++r)
    states[r].remaining = rules.*(kBucketRules[r].count);
  const absl::Time newest = absl::FromUnixNanos(group.front().time_ns);
  const std::string within_reason =
      rules.keep_within ? absl::StrCat("within ", FormatPolicyDuration(*rules.keep_within)) : "";

  for (size_t k = 0; k < group.size(); ++k) {
    const SnapshotMeta& s = group[k];
    RetentionDecision d;
    d.id = s.id;
    d.group = group_name;
    if (rules.keep_last == -1 || k < static_cast<size_t>(std::max(rules.keep_last, 0)))
      d.reasons.push_back(absl::StrCat("last ", k + 1));
    const absl::CivilSecond local = absl::ToCivilSecond(absl::FromUnixNanos(s.time_ns), zone);
    for (size_t r = 0; r < std::size(kBucketRules); ++r) {
      BucketState& state = states[r];
      if (state.remaining == 0) continue;
      std::string bucket = kBucketRules[r].bucket(local);
      // Newest first, so the first snapshot seen in a bucket is its newest.
      if (state.started && bucket == state.last) continue;
      d.reasons.push_back(absl::StrCat(kBucketRules[r].name, " ", bucket));
      state.last = std::move(bucket);
      state.started = true;
      if (state.remaining > 0) --state.remaining;
    }
    if (rules.keep_within && newest - absl::FromUnixNanos(s.time_ns) < *rules.keep_within)
      d.reasons.push_back(within_reason);
    for (const std::string& tag : rules.keep_tags)
      if (HasTag(s, tag)) d.reasons.push_back(absl::StrCat("tag ", tag));
    d.keep = !d.reasons.empty();
    out->push_back(std::move(d));
  }
}

}  // namespace

bool HasKeepRule(const RetentionRules& rules) {
  if (rules.keep_last != 0 || rules.keep_within.has_value() || !rules.keep_tags.empty())
    return true;
  for (const BucketRule& rule : kBucketRules)
    if (rules.*(rule.count) != 0) return true;
  return false;
}

absl::Status ValidateRetentionRules(const RetentionRules& rules) {
  absl::Status s = CheckCount(rules.keep_last, "keep_last");
  for (const BucketRule& rule : kBucketRules)
    if (s.ok()) s = CheckCount(rules.*(rule.count), rule.field);
  if (!s.ok()) return s;
  if (rules.keep_within && *rules.keep_within <= absl::ZeroDuration())
    return absl::InvalidArgumentError("retention.keep_within: must be longer than zero");
  if (rules.keep_within && *rules.keep_within == absl::InfiniteDuration())
    return absl::InvalidArgumentError("retention.keep_within: must be finite");
  for (size_t i = 0; i < rules.keep_tags.size(); ++i)
    if (rules.keep_tags[i].empty())
      return absl::InvalidArgumentError(
          absl::StrCat("retention.keep_tags[", i, "]: must be a non-empty string"));
  auto zone = LoadPolicyTimeZone(rules.time_zone);
  if (!zone.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("retention.time_zone: ", zone.status().message()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RetentionDecision>> EvaluateRetention(
    const RetentionRules& rules, std::vector<SnapshotMeta> snapshots) {
  absl::Status valid = ValidateRetentionRules(rules);
  if (!valid.ok()) return valid;
  if (!HasKeepRule(rules))
    return absl::InvalidArgumentError("no keep rule: refusing to forget everything");
  auto zone = LoadPolicyTimeZone(rules.time_zone);
  if (!zone.ok()) return zone.status();

  absl::flat_hash_set<std::string> seen;
  using GroupKey = std::pair<std::string, std::vector<std::string>>;
  std::map<GroupKey, std::vector<SnapshotMeta>> groups;
  for (SnapshotMeta& s : snapshots) {
    if (s.id.empty()) return absl::InvalidArgumentError("a snapshot has an empty id");
    if (!seen.insert(s.id).second)
      return absl::InvalidArgumentError(absl::StrCat("snapshot \"", s.id, "\" appears twice"));
    std::vector<std::string> paths = s.paths;
    std::sort(paths.begin(), paths.end());
    groups[GroupKey(s.host, std::move(paths))].push_back(std::move(s));
  }

  std::vector<RetentionDecision> decisions;
  decisions.reserve(seen.size());
  for (auto& [key, group] : groups) {
    std::sort(group.begin(), group.end(), [](const SnapshotMeta& a, const SnapshotMeta& b) {
      if (a.time_ns != b.time_ns) return a.time_ns > b.time_ns;
      return a.id < b.id;
    });
    std::string name = absl::StrCat(key.first, ":", absl::StrJoin(key.second, ","));
    EvaluateGroup(rules, *zone, group, name, &decisions);
  }
  return decisions;
}

}  // namespace coffer
