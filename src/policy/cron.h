// Cron expressions, as in crontab(5): five fields separated by blanks,
//   minute (0-59) hour (0-23) day-of-month (1-31) month (1-12) day-of-week (0-7)
// Each field is "*" or a comma-separated list of items; an item is a value,
// a range "a-b", or either of them (or "*") followed by a step "/n" ("*/15",
// "1-5/2", "10/20" = 10 to the field's end every 20). Months may be written
// JAN..DEC and days of the week SUN..SAT (either case); 0 and 7 are Sunday
// and "MON-SUN" runs to Sunday. Macros: @yearly (= @annually), @monthly,
// @weekly, @daily (= @midnight), @hourly.
//
// Days follow the standard cron rule: when both day-of-month and day-of-week
// are restricted (neither matches every day), a day matches if EITHER does
// ("0 0 1 * MON" runs on the 1st and on Mondays); otherwise the restricted
// one decides.
#pragma once

#include <bitset>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace coffer {

struct CronSpec {
  std::string text;                      // normalised: the fields joined by one space
  std::bitset<60> minutes;               // bit m: minute m
  std::bitset<24> hours;                 // bit h: hour h
  std::bitset<32> days_of_month;         // bits 1..31
  std::bitset<13> months;                // bits 1..12
  std::bitset<7> days_of_week;           // bit 0 = Sunday .. bit 6 = Saturday
  bool day_of_month_restricted = false;  // false when the field matches every day
  bool day_of_week_restricted = false;

  // Whether the schedule runs at some time of `day` (month and day rules).
  bool MatchesDay(absl::CivilDay day) const;
};

// Parses an expression. Fails (naming the field and the bad part) on syntax
// errors, values out of range, and expressions that can never fire:
// "0 0 30 2 *" → `day-of-month 30 never occurs in February`. The caller
// adds the field name ("schedule.cron: ").
absl::StatusOr<CronSpec> ParseCron(std::string_view text);

}  // namespace coffer
