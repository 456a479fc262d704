// Durations in policies ("36h", "7d", "2w", "1y6m", "90min"): one or more
// terms <positive integer><unit>, added together, without spaces. Units have
// fixed lengths, so a duration means the same span whenever it is applied:
//   y = 365 days, m = 30 days (a month), w = 7 days, d = 24 hours,
//   h = 1 hour, min = 1 minute, s = 1 second.
// "m" is months, as in restic's and borg's keep-within; minutes are "min".
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coffer {

// Parses a duration; it must be longer than zero. Errors describe the text
// (the caller adds the field name).
absl::StatusOr<absl::Duration> ParsePolicyDuration(std::string_view text);

// The canonical text of a positive, finite duration in years, days, hours,
// minutes and seconds: 36h → "1d12h", 2w → "14d", 1y6m → "1y180d",
// 90min → "1h30min". Sub-second parts are dropped. Parsing the result gives
// the same duration back (for whole seconds).
std::string FormatPolicyDuration(absl::Duration d);

}  // namespace coffer
