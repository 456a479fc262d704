#include "policy/schedule.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "policy/cron.h"
#include "policy/time_zone.h"

namespace coffer {
namespace {

// Long enough for the rarest possible schedule (February 29th when the
// day-of-month alone decides: up to 8 years apart, as around 2100), short
// enough that a search costs little; ParseCron already rejects schedules
// that never fire.
constexpr int kSearchDays = 3660;

absl::Status Prefixed(const absl::Status& s, std::string_view field) {
  return absl::Status(s.code(), absl::StrCat(std::string(field), ": ", s.message()));
}

struct Compiled {
  CronSpec cron;
  absl::TimeZone zone;
};

absl::StatusOr<Compiled> Compile(const Schedule& schedule) {
  if (schedule.cron.empty())
    return absl::InvalidArgumentError("schedule.cron: the policy has no schedule");
  auto cron = ParseCron(schedule.cron);
  if (!cron.ok()) return Prefixed(cron.status(), "schedule.cron");
  auto zone = LoadPolicyTimeZone(schedule.time_zone);
  if (!zone.ok()) return Prefixed(zone.status(), "schedule.time_zone");
  return Compiled{std::move(*cron), *zone};
}

// The instant a local minute runs at: itself when it exists once, its first
// occurrence when it is repeated, and the end of the gap when it is skipped.
// The mapping never decreases as the local minute grows, so the first
// matching minute whose instant lies after `after` gives the next run.
absl::Time RunInstant(absl::CivilMinute local, const absl::TimeZone& zone) {
  absl::TimeZone::TimeInfo info = zone.At(absl::CivilSecond(local));
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

}  // namespace

absl::Status ValidateSchedule(const Schedule& schedule) {
  if (schedule.cron.empty()) {
    // No automatic runs; the time zone must still make sense.
    auto zone = LoadPolicyTimeZone(schedule.time_zone);
    return zone.ok() ? absl::OkStatus() : Prefixed(zone.status(), "schedule.time_zone");
  }
  auto compiled = Compile(schedule);
  return compiled.ok() ? absl::OkStatus() : compiled.status();
}

absl::StatusOr<absl::Time> NextRun(const Schedule& schedule, absl::Time after) {
  auto compiled = Compile(schedule);
  if (!compiled.ok()) return compiled.status();
  if (after == absl::InfiniteFuture() || after == absl::InfinitePast())
    return absl::InvalidArgumentError("the time to search from must be finite");
  const CronSpec& cron = compiled->cron;
  const absl::TimeZone& zone = compiled->zone;

  // Local minutes before the one containing `after` map to instants at or
  // before it (the mapping is monotonic), so the search starts there.
  const absl::CivilMinute start = absl::ToCivilMinute(after, zone);
  const absl::CivilDay first_day(start);
  for (absl::CivilDay day = first_day; day - first_day < kSearchDays; ++day) {
    if (!cron.MatchesDay(day)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!cron.hours[h]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!cron.minutes[m]) continue;
        absl::CivilMinute local(day.year(), day.month(), day.day(), h, m);
        if (local < start) continue;
        absl::Time run = RunInstant(local, zone);
        if (run > after) return run;
      }
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("schedule.cron: \"", cron.text,
                                                 "\" does not fire within 10 years after ",
                                                 absl::FormatTime(after, zone)));
}

}  // namespace coffer
