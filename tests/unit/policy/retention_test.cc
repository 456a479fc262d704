// Retention: which snapshots each rule keeps, and why, per host and paths.
#include "policy/retention.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

using coffer::EvaluateRetention;
using coffer::RetentionDecision;
using coffer::RetentionRules;
using coffer::SnapshotMeta;
using Reasons = std::vector<std::string>;

namespace {

int64_t Ns(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  INFO(rfc3339 << ": " << err);
  REQUIRE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err));
  return absl::ToUnixNanos(t);
}

SnapshotMeta Snap(std::string id, const std::string& time, std::vector<std::string> tags = {},
                  std::string host = "h", std::vector<std::string> paths = {"/data"}) {
  return SnapshotMeta{std::move(id), Ns(time), std::move(host), std::move(paths), std::move(tags)};
}

std::vector<RetentionDecision> Evaluate(const RetentionRules& rules,
                                        std::vector<SnapshotMeta> snapshots) {
  auto decisions = EvaluateRetention(rules, std::move(snapshots));
  INFO(decisions.status().ToString());
  REQUIRE(decisions.ok());
  return *decisions;
}

// id → reasons, for kept snapshots only.
std::map<std::string, Reasons> Kept(const std::vector<RetentionDecision>& decisions) {
  std::map<std::string, Reasons> kept;
  for (const RetentionDecision& d : decisions) {
    CHECK(d.keep == !d.reasons.empty());
    if (d.keep) kept[d.id] = d.reasons;
  }
  return kept;
}

std::vector<std::string> Ids(const std::vector<RetentionDecision>& decisions) {
  std::vector<std::string> ids;
  for (const RetentionDecision& d : decisions) ids.push_back(d.id);
  return ids;
}

// One snapshot a day at 02:00 UTC, ids "MM-DD", from `first` for `days` days.
std::vector<SnapshotMeta> Daily(absl::CivilDay first, int days) {
  std::vector<SnapshotMeta> out;
  for (int i = 0; i < days; ++i) {
    absl::CivilDay day = first + i;
    absl::Time t = absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 2, 0, 0),
                                   absl::UTCTimeZone());
    std::string id = absl::FormatTime("%m-%d", t, absl::UTCTimeZone());
    out.push_back(SnapshotMeta{id, absl::ToUnixNanos(t), "h", {"/data"}, {}});
  }
  return out;
}

}  // namespace

TEST_CASE("a month of daily snapshots under keep_daily 7, keep_weekly 4, keep_monthly 2") {
  // 2026-10-20 .. 2026-11-18 at 02:00 UTC, 30 snapshots. ISO weeks:
  // W47 = Nov 16-22, W46 = Nov 9-15, W45 = Nov 2-8, W44 = Oct 26 - Nov 1.
  RetentionRules rules;
  rules.keep_daily = 7;
  rules.keep_weekly = 4;
  rules.keep_monthly = 2;
  auto decisions = Evaluate(rules, Daily(absl::CivilDay(2026, 10, 20), 30));
  REQUIRE(decisions.size() == 30);
  std::map<std::string, Reasons> expected = {
      {"11-18", {"daily 2026-11-18", "weekly 2026-W47", "monthly 2026-11"}},
      {"11-17", {"daily 2026-11-17"}},
      {"11-16", {"daily 2026-11-16"}},
      {"11-15", {"daily 2026-11-15", "weekly 2026-W46"}},
      {"11-14", {"daily 2026-11-14"}},
      {"11-13", {"daily 2026-11-13"}},
      {"11-12", {"daily 2026-11-12"}},
      {"11-08", {"weekly 2026-W45"}},
      {"11-01", {"weekly 2026-W44"}},
      {"10-31", {"monthly 2026-10"}},
  };
  CHECK(Kept(decisions) == expected);
  // Newest first, all in one group.
  CHECK(decisions.front().id == "11-18");
  CHECK(decisions.back().id == "10-20");
  for (const RetentionDecision& d : decisions) CHECK(d.group == "h:/data");
}

TEST_CASE("keep_last keeps the N newest snapshots") {
  std::vector<SnapshotMeta> snaps = {
      Snap("a", "2026-01-01T00:00:00Z"), Snap("b", "2026-01-02T00:00:00Z"),
      Snap("c", "2026-01-03T00:00:00Z"), Snap("d", "2026-01-04T00:00:00Z"),
      Snap("e", "2026-01-05T00:00:00Z")};
  RetentionRules rules;
  rules.keep_last = 3;
  auto decisions = Evaluate(rules, snaps);
  CHECK(Ids(decisions) == std::vector<std::string>{"e", "d", "c", "b", "a"});
  CHECK(Kept(decisions) ==
        std::map<std::string, Reasons>{{"e", {"last 1"}}, {"d", {"last 2"}}, {"c", {"last 3"}}});

  SECTION("-1 keeps every snapshot") {
    rules.keep_last = -1;
    CHECK(Kept(Evaluate(rules, snaps)).size() == 5);
  }
  SECTION("more than there are keeps them all") {
    rules.keep_last = 10;
    CHECK(Kept(Evaluate(rules, snaps)).size() == 5);
  }
}

TEST_CASE("keep_within keeps snapshots less than the duration older than the newest") {
  // Relative to the group's newest snapshot, not to the current time.
  std::vector<SnapshotMeta> snaps = {
      Snap("now", "2020-05-10T12:00:00Z"), Snap("1d", "2020-05-09T12:00:00Z"),
      Snap("2d+", "2020-05-08T12:00:01Z"), Snap("3d", "2020-05-07T12:00:00Z"),
      Snap("2d", "2020-05-08T12:00:00Z"),  Snap("old", "2020-01-01T00:00:00Z")};
  RetentionRules rules;
  rules.keep_within = absl::Hours(48);
  auto kept = Kept(Evaluate(rules, snaps));
  CHECK(kept == std::map<std::string, Reasons>{
                    {"now", {"within 2d"}}, {"1d", {"within 2d"}}, {"2d+", {"within 2d"}}});
}

TEST_CASE("keep_tags keeps snapshots carrying any of the tags") {
  std::vector<SnapshotMeta> snaps = {
      Snap("plain", "2026-01-05T00:00:00Z"),
      Snap("important", "2026-01-04T00:00:00Z", {"important"}),
      Snap("both", "2026-01-03T00:00:00Z", {"x", "keep", "important"}),
      Snap("other", "2026-01-02T00:00:00Z", {"other"})};
  RetentionRules rules;
  rules.keep_tags = {"important", "keep"};
  CHECK(Kept(Evaluate(rules, snaps)) ==
        std::map<std::string, Reasons>{{"important", {"tag important"}},
                                       {"both", {"tag important", "tag keep"}}});
}

TEST_CASE("a snapshot kept by several rules lists them all") {
  std::vector<SnapshotMeta> snaps = {Snap("new", "2026-03-04T10:00:00Z", {"keep"}),
                                     Snap("old", "2026-03-03T10:00:00Z")};
  RetentionRules rules;
  rules.keep_last = 1;
  rules.keep_hourly = 1;
  rules.keep_daily = 1;
  rules.keep_weekly = 1;
  rules.keep_monthly = 1;
  rules.keep_yearly = 1;
  rules.keep_within = absl::Hours(1);
  rules.keep_tags = {"keep"};
  CHECK(Kept(Evaluate(rules, snaps)) ==
        std::map<std::string, Reasons>{
            {"new",
             {"last 1", "hourly 2026-03-04T10", "daily 2026-03-04", "weekly 2026-W10",
              "monthly 2026-03", "yearly 2026", "within 1h", "tag keep"}}});
}

TEST_CASE("bucket rules keep the newest snapshot of each of the N newest buckets") {
  SECTION("hourly") {
    std::vector<SnapshotMeta> snaps = {
        Snap("10:00", "2026-01-01T10:00:00Z"), Snap("10:20", "2026-01-01T10:20:00Z"),
        Snap("10:40", "2026-01-01T10:40:00Z"), Snap("11:00", "2026-01-01T11:00:00Z"),
        Snap("11:20", "2026-01-01T11:20:00Z"), Snap("12:00", "2026-01-01T12:00:00Z")};
    RetentionRules rules;
    rules.keep_hourly = 2;
    CHECK(Kept(Evaluate(rules, snaps)) ==
          std::map<std::string, Reasons>{{"12:00", {"hourly 2026-01-01T12"}},
                                         {"11:20", {"hourly 2026-01-01T11"}}});
    rules.keep_hourly = -1;  // unlimited: one per hour, all hours
    CHECK(Kept(Evaluate(rules, snaps)).size() == 3);
  }
  SECTION("weekly uses ISO weeks across the turn of the year") {
    std::vector<SnapshotMeta> snaps = {
        Snap("mon-2025-12-29", "2025-12-29T12:00:00Z"),   // 2026-W01
        Snap("sun-2026-01-04", "2026-01-04T12:00:00Z"),   // 2026-W01 too
        Snap("thu-2026-12-31", "2026-12-31T12:00:00Z"),   // 2026-W53
        Snap("sun-2027-01-03", "2027-01-03T12:00:00Z"),   // 2026-W53
        Snap("mon-2027-01-04", "2027-01-04T12:00:00Z"),   // 2027-W01
        Snap("sun-2024-12-29", "2024-12-29T12:00:00Z"),   // 2024-W52
        Snap("mon-2024-12-30", "2024-12-30T12:00:00Z")};  // 2025-W01
    RetentionRules rules;
    rules.keep_weekly = -1;
    CHECK(Kept(Evaluate(rules, snaps)) ==
          std::map<std::string, Reasons>{{"mon-2027-01-04", {"weekly 2027-W01"}},
                                         {"sun-2027-01-03", {"weekly 2026-W53"}},
                                         {"sun-2026-01-04", {"weekly 2026-W01"}},
                                         {"mon-2024-12-30", {"weekly 2025-W01"}},
                                         {"sun-2024-12-29", {"weekly 2024-W52"}}});
  }
  SECTION("yearly and monthly skip empty periods instead of counting them") {
    std::vector<SnapshotMeta> snaps = {
        Snap("2019", "2019-06-01T00:00:00Z"), Snap("2022a", "2022-02-01T00:00:00Z"),
        Snap("2022b", "2022-03-01T00:00:00Z"), Snap("2026", "2026-01-01T00:00:00Z")};
    RetentionRules rules;
    rules.keep_yearly = 3;
    CHECK(Kept(Evaluate(rules, snaps)) ==
          std::map<std::string, Reasons>{
              {"2026", {"yearly 2026"}}, {"2022b", {"yearly 2022"}}, {"2019", {"yearly 2019"}}});
    rules = RetentionRules();
    rules.keep_monthly = 2;
    CHECK(Kept(Evaluate(rules, snaps)) ==
          std::map<std::string, Reasons>{{"2026", {"monthly 2026-01"}},
                                         {"2022b", {"monthly 2022-03"}}});
  }
}

TEST_CASE("the time zone decides which day a late-evening snapshot belongs to") {
  // 23:30 UTC on Thursday 2026-11-26 is 00:30 on Friday in Berlin and
  // 18:30 on Thursday in New York.
  std::vector<SnapshotMeta> snaps = {Snap("late", "2026-11-26T23:30:00Z"),
                                     Snap("noon", "2026-11-26T12:00:00Z")};
  RetentionRules rules;
  rules.keep_daily = 2;
  CHECK(Kept(Evaluate(rules, snaps)) ==
        std::map<std::string, Reasons>{{"late", {"daily 2026-11-26"}}});
  rules.time_zone = "Europe/Berlin";
  CHECK(Kept(Evaluate(rules, snaps)) ==
        std::map<std::string, Reasons>{{"late", {"daily 2026-11-27"}},
                                       {"noon", {"daily 2026-11-26"}}});
  rules.time_zone = "America/New_York";
  CHECK(Kept(Evaluate(rules, snaps)) ==
        std::map<std::string, Reasons>{{"late", {"daily 2026-11-26"}}});

  // The ISO week changes too: Sunday 23:30 UTC is Monday in Berlin.
  std::vector<SnapshotMeta> sunday = {Snap("sun", "2026-11-29T23:30:00Z")};
  RetentionRules weekly;
  weekly.keep_weekly = 1;
  CHECK(Kept(Evaluate(weekly, sunday))["sun"] == Reasons{"weekly 2026-W48"});
  weekly.time_zone = "Europe/Berlin";
  CHECK(Kept(Evaluate(weekly, sunday))["sun"] == Reasons{"weekly 2026-W49"});
}

TEST_CASE("groups by host and paths are evaluated independently") {
  std::vector<SnapshotMeta> snaps = {
      Snap("a1", "2026-01-01T00:00:00Z", {}, "alpha", {"/home", "/etc"}),
      Snap("a2", "2026-01-02T00:00:00Z", {}, "alpha", {"/etc", "/home"}),  // same group
      Snap("a3", "2026-01-03T00:00:00Z", {}, "alpha", {"/home"}),
      Snap("b1", "2025-01-01T00:00:00Z", {}, "beta", {"/home", "/etc"}),
      Snap("b2", "2025-01-02T00:00:00Z", {}, "beta", {"/home", "/etc"})};
  RetentionRules rules;
  rules.keep_last = 1;
  rules.keep_within = absl::Hours(36);
  auto decisions = Evaluate(rules, snaps);
  CHECK(Ids(decisions) == std::vector<std::string>{"a2", "a1", "a3", "b2", "b1"});
  std::map<std::string, std::string> groups;
  for (const RetentionDecision& d : decisions) groups[d.id] = d.group;
  CHECK(groups == std::map<std::string, std::string>{{"a1", "alpha:/etc,/home"},
                                                     {"a2", "alpha:/etc,/home"},
                                                     {"a3", "alpha:/home"},
                                                     {"b1", "beta:/etc,/home"},
                                                     {"b2", "beta:/etc,/home"}});
  CHECK(Kept(decisions) == std::map<std::string, Reasons>{{"a2", {"last 1", "within 1d12h"}},
                                                          {"a1", {"within 1d12h"}},
                                                          {"a3", {"last 1", "within 1d12h"}},
                                                          {"b2", {"last 1", "within 1d12h"}},
                                                          {"b1", {"within 1d12h"}}});
}

TEST_CASE("no keep rule is refused instead of forgetting everything") {
  auto decisions = EvaluateRetention(RetentionRules(), {Snap("a", "2026-01-01T00:00:00Z")});
  REQUIRE_FALSE(decisions.ok());
  CHECK(decisions.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(decisions.status().message()) == "no keep rule: refusing to forget everything");
  // Even with no snapshots.
  CHECK_FALSE(EvaluateRetention(RetentionRules(), {}).ok());
}

TEST_CASE("retention evaluation rejects bad rules and bad snapshot lists") {
  RetentionRules rules;
  rules.keep_daily = -2;
  auto d = EvaluateRetention(rules, {});
  REQUIRE_FALSE(d.ok());
  CHECK(std::string(d.status().message()) ==
        "retention.keep_daily: must be >= 0 (or -1 for unlimited), got -2");

  rules = RetentionRules();
  rules.keep_last = 1;
  rules.time_zone = "Nowhere/Special";
  d = EvaluateRetention(rules, {});
  REQUIRE_FALSE(d.ok());
  CHECK_THAT(std::string(d.status().message()),
             Catch::StartsWith("retention.time_zone: unknown time zone \"Nowhere/Special\""));

  rules = RetentionRules();
  rules.keep_within = absl::ZeroDuration();
  d = EvaluateRetention(rules, {});
  REQUIRE_FALSE(d.ok());
  CHECK(std::string(d.status().message()) == "retention.keep_within: must be longer than zero");

  rules = RetentionRules();
  rules.keep_tags = {"ok", ""};
  d = EvaluateRetention(rules, {});
  REQUIRE_FALSE(d.ok());
  CHECK(std::string(d.status().message()) == "retention.keep_tags[1]: must be a non-empty string");

  rules = RetentionRules();
  rules.keep_last = 1;
  d = EvaluateRetention(rules,
                        {Snap("x", "2026-01-01T00:00:00Z"), Snap("x", "2026-01-02T00:00:00Z")});
  REQUIRE_FALSE(d.ok());
  CHECK(std::string(d.status().message()) == "snapshot \"x\" appears twice");
  d = EvaluateRetention(rules, {Snap("", "2026-01-01T00:00:00Z")});
  CHECK_FALSE(d.ok());

  d = EvaluateRetention(rules, {});
  REQUIRE(d.ok());
  CHECK(d->empty());
}

TEST_CASE("snapshots with equal times are ordered by id") {
  RetentionRules rules;
  rules.keep_last = 1;
  auto decisions =
      Evaluate(rules, {Snap("b", "2026-01-01T00:00:00Z"), Snap("a", "2026-01-01T00:00:00Z")});
  CHECK(Ids(decisions) == std::vector<std::string>{"a", "b"});
  CHECK(decisions[0].keep);
  CHECK_FALSE(decisions[1].keep);
}
