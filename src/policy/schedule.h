// When a policy runs: a cron expression (policy/cron.h) read in a time zone,
// and the computation of the next run after a given instant.
//
// Local times that a DST change skips (spring forward) run at the first
// valid instant after the gap: "30 2 * * *" in Europe/Berlin on the last
// Sunday of March runs at 03:00 CEST. Local times that a DST change repeats
// (fall back) run once, at their first occurrence. Several scheduled times
// inside one gap collapse into the one run at the end of the gap.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coffer {

struct Schedule {
  std::string cron;               // empty: no automatic runs (backups only when asked)
  std::string time_zone = "UTC";  // IANA name the cron fields are read in

  bool operator==(const Schedule&) const = default;
};

// Checks the expression (including that it can fire) and the time zone.
// Errors name the field: "schedule.cron: hour: value 24 is out of range
// 0-23", "schedule.time_zone: unknown time zone ...".
absl::Status ValidateSchedule(const Schedule& schedule);

// The first run strictly after `after`. Fails like ValidateSchedule, and
// with InvalidArgument when the schedule has no cron expression or no run
// falls within the search bound (10 years after `after`).
absl::StatusOr<absl::Time> NextRun(const Schedule& schedule, absl::Time after);

}  // namespace coffer
