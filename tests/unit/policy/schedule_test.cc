// Next runs of a schedule: month ends, leap days, the day-of-month /
// day-of-week rule, daylight saving time changes, and impossible schedules.
#include "policy/schedule.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

using coffer::NextRun;
using coffer::Schedule;

namespace {

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  INFO(rfc3339 << ": " << err);
  REQUIRE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err));
  return t;
}

// The next run after `after`, as local time with its UTC offset.
std::string Next(const std::string& cron, const std::string& zone, const std::string& after) {
  auto next = NextRun(Schedule{cron, zone}, At(after));
  INFO(cron << " in " << zone << " after " << after << ": " << next.status().ToString());
  REQUIRE(next.ok());
  absl::TimeZone tz;
  REQUIRE(absl::LoadTimeZone(zone, &tz));
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", *next, tz);
}

// `count` successive runs starting after `after`, comma-separated.
std::string Runs(const std::string& cron, const std::string& zone, const std::string& after,
                 int count) {
  absl::TimeZone tz;
  REQUIRE(absl::LoadTimeZone(zone, &tz));
  std::string out;
  absl::Time t = At(after);
  for (int i = 0; i < count; ++i) {
    auto next = NextRun(Schedule{cron, zone}, t);
    REQUIRE(next.ok());
    t = *next;
    if (!out.empty()) out += ",";
    out += absl::FormatTime("%Y-%m-%dT%H:%M%Ez", t, tz);
  }
  return out;
}

}  // namespace

TEST_CASE("the next run is strictly after the given time") {
  CHECK(Next("0 2 * * *", "UTC", "2026-01-01T02:00:00Z") == "2026-01-02T02:00:00+00:00");
  CHECK(Next("0 2 * * *", "UTC", "2026-01-01T01:59:59.5Z") == "2026-01-01T02:00:00+00:00");
  CHECK(Next("0 2 * * *", "UTC", "2026-01-01T02:00:00.000000001Z") == "2026-01-02T02:00:00+00:00");
  CHECK(Next("* * * * *", "UTC", "2026-01-01T10:20:30Z") == "2026-01-01T10:21:00+00:00");
}

TEST_CASE("next runs cross month and year ends") {
  CHECK(Next("0 2 * * *", "UTC", "2026-01-31T03:00:00Z") == "2026-02-01T02:00:00+00:00");
  CHECK(Next("30 23 31 * *", "UTC", "2026-01-31T23:31:00Z") == "2026-03-31T23:30:00+00:00");
  CHECK(Next("0 0 1 1 *", "UTC", "2026-06-15T00:00:00Z") == "2027-01-01T00:00:00+00:00");
  CHECK(Next("59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z") == "2027-12-31T23:59:00+00:00");
  CHECK(Runs("0 12 28-31 * *", "UTC", "2026-02-27T00:00:00Z", 3) ==
        "2026-02-28T12:00+00:00,2026-03-28T12:00+00:00,2026-03-29T12:00+00:00");
}

TEST_CASE("February 29th schedules run in leap years only") {
  CHECK(Next("0 0 29 2 *", "UTC", "2024-03-01T00:00:00Z") == "2028-02-29T00:00:00+00:00");
  CHECK(Next("0 0 29 2 *", "UTC", "2027-12-31T00:00:00Z") == "2028-02-29T00:00:00+00:00");
  // 2100 is not a leap year: eight years between runs.
  CHECK(Next("0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z") == "2104-02-29T00:00:00+00:00");
}

TEST_CASE("steps, ranges and names pick the right times") {
  // 2026-01-02 is a Friday.
  CHECK(Next("*/15 9-17 * * MON-FRI", "UTC", "2026-01-02T17:50:00Z") ==
        "2026-01-05T09:00:00+00:00");
  CHECK(Runs("*/20 9 * * *", "UTC", "2026-01-02T08:00:00Z", 4) ==
        "2026-01-02T09:00+00:00,2026-01-02T09:20+00:00,2026-01-02T09:40+00:00,"
        "2026-01-03T09:00+00:00");
  CHECK(Next("0 6 * JUN *", "UTC", "2026-01-02T00:00:00Z") == "2026-06-01T06:00:00+00:00");
  CHECK(Next("@weekly", "UTC", "2026-01-02T00:00:00Z") == "2026-01-04T00:00:00+00:00");
  CHECK(Next("@monthly", "UTC", "2026-01-02T00:00:00Z") == "2026-02-01T00:00:00+00:00");
  CHECK(Next("@yearly", "UTC", "2026-01-02T00:00:00Z") == "2027-01-01T00:00:00+00:00");
  CHECK(Next("@hourly", "UTC", "2026-01-02T00:00:00Z") == "2026-01-02T01:00:00+00:00");
}

TEST_CASE("day-of-month and day-of-week: either matching is enough when both are restricted") {
  // Fridays and the 13th: 2026-01-02 (Fri), 01-09 (Fri), 01-13 (Tue), 01-16 (Fri).
  CHECK(Runs("0 0 13 * FRI", "UTC", "2026-01-01T00:00:00Z", 4) ==
        "2026-01-02T00:00+00:00,2026-01-09T00:00+00:00,2026-01-13T00:00+00:00,"
        "2026-01-16T00:00+00:00");
  CHECK(Runs("0 0 13 * *", "UTC", "2026-01-01T00:00:00Z", 2) ==
        "2026-01-13T00:00+00:00,2026-02-13T00:00+00:00");
  CHECK(Runs("0 0 * * FRI", "UTC", "2026-01-01T00:00:00Z", 2) ==
        "2026-01-02T00:00+00:00,2026-01-09T00:00+00:00");
  // An impossible day-of-month still fires on the day of the week.
  CHECK(Next("0 0 31 2 MON", "UTC", "2026-01-01T00:00:00Z") == "2026-02-02T00:00:00+00:00");
}

TEST_CASE("the schedule is read in its time zone") {
  CHECK(Next("0 2 * * *", "Europe/Berlin", "2026-01-10T12:00:00Z") == "2026-01-11T02:00:00+01:00");
  CHECK(Next("0 2 * * *", "America/New_York", "2026-07-10T12:00:00Z") ==
        "2026-07-11T02:00:00-04:00");
}

TEST_CASE("Europe/Berlin spring forward: skipped times run when the gap ends") {
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST.
  CHECK(Next("30 2 * * *", "Europe/Berlin", "2026-03-28T03:00:00+01:00") ==
        "2026-03-29T03:00:00+02:00");
  CHECK(Next("30 2 * * *", "Europe/Berlin", "2026-03-29T03:00:00+02:00") ==
        "2026-03-30T02:30:00+02:00");
  // Several times inside the gap collapse into one run.
  CHECK(Runs("*/15 2 * * *", "Europe/Berlin", "2026-03-29T00:00:00+01:00", 2) ==
        "2026-03-29T03:00+02:00,2026-03-30T02:00+02:00");
  // Times after the gap are unaffected.
  CHECK(Next("0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00") ==
        "2026-03-29T03:00:00+02:00");
  CHECK(Runs("0 * * * *", "Europe/Berlin", "2026-03-29T00:30:00+01:00", 3) ==
        "2026-03-29T01:00+01:00,2026-03-29T03:00+02:00,2026-03-29T04:00+02:00");
}

TEST_CASE("Europe/Berlin fall back: a repeated time runs once") {
  // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:xx happens twice.
  CHECK(Runs("30 2 * * *", "Europe/Berlin", "2026-10-25T00:00:00+02:00", 2) ==
        "2026-10-25T02:30+02:00,2026-10-26T02:30+01:00");
  // Starting inside the second pass of the repeated hour.
  CHECK(Next("30 2 * * *", "Europe/Berlin", "2026-10-25T02:10:00+01:00") ==
        "2026-10-26T02:30:00+01:00");
  CHECK(Runs("0 * * * *", "Europe/Berlin", "2026-10-25T01:30:00+02:00", 3) ==
        "2026-10-25T02:00+02:00,2026-10-25T03:00+01:00,2026-10-25T04:00+01:00");
}

TEST_CASE("America/New_York DST changes") {
  // 2026-03-08: 02:00 EST jumps to 03:00 EDT.
  CHECK(Next("30 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00") ==
        "2026-03-08T03:00:00-04:00");
  CHECK(Next("30 2 * * *", "America/New_York", "2026-03-08T03:00:00-04:00") ==
        "2026-03-09T02:30:00-04:00");
  // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:xx happens twice.
  CHECK(Runs("30 1 * * *", "America/New_York", "2026-11-01T00:00:00-04:00", 2) ==
        "2026-11-01T01:30-04:00,2026-11-02T01:30-05:00");
  CHECK(Next("30 1 * * *", "America/New_York", "2026-11-01T01:45:00-05:00") ==
        "2026-11-02T01:30:00-05:00");
  CHECK(Next("30 1 * * *", "America/New_York", "2026-11-01T01:45:00-04:00") ==
        "2026-11-02T01:30:00-05:00");
}

TEST_CASE("impossible or incomplete schedules fail quickly with a named field") {
  auto start = std::chrono::steady_clock::now();
  auto next = NextRun(Schedule{"0 0 30 2 *", "UTC"}, absl::UnixEpoch());
  REQUIRE_FALSE(next.ok());
  CHECK(std::string(next.status().message()) ==
        "schedule.cron: day-of-month 30 never occurs in February: the schedule never fires");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));

  next = NextRun(Schedule{"", "UTC"}, absl::UnixEpoch());
  REQUIRE_FALSE(next.ok());
  CHECK(std::string(next.status().message()) == "schedule.cron: the policy has no schedule");

  next = NextRun(Schedule{"0 0 * * *", "Mars/Olympus"}, absl::UnixEpoch());
  REQUIRE_FALSE(next.ok());
  CHECK_THAT(std::string(next.status().message()),
             Catch::StartsWith("schedule.time_zone: unknown time zone \"Mars/Olympus\""));

  next = NextRun(Schedule{"0 0 * * *", "UTC"}, absl::InfiniteFuture());
  CHECK_FALSE(next.ok());
}

TEST_CASE("time zones must be IANA names, not paths or the local zone") {
  CHECK(coffer::ValidateSchedule(Schedule{"@daily", "Europe/Berlin"}).ok());
  CHECK(coffer::ValidateSchedule(Schedule{"@daily", "UTC"}).ok());
  CHECK(coffer::ValidateSchedule(Schedule{"", "America/New_York"}).ok());
  for (const char* bad : {"", "localtime", "/etc/passwd", "../zoneinfo/UTC", "Europe/../UTC",
                          "file:/usr/share/zoneinfo/UTC", "Not/AZone"}) {
    absl::Status s = coffer::ValidateSchedule(Schedule{"@daily", bad});
    INFO(bad);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(s.message()),
               Catch::StartsWith("schedule.time_zone: unknown time zone"));
  }
  absl::Status s = coffer::ValidateSchedule(Schedule{"61 * * * *", "UTC"});
  CHECK(std::string(s.message()) == "schedule.cron: minute: value 61 is out of range 0-59");
}
