// Time zones of policies: IANA names ("Europe/Berlin", "America/New_York",
// "UTC") looked up in the system's time zone database (/usr/share/zoneinfo,
// or $TZDIR). The machine's own zone ("localtime") and file paths are
// refused, so a policy means the same thing on every host.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coffer {

// The zone named `name`; errors describe the name (the caller adds the
// field name).
absl::StatusOr<absl::TimeZone> LoadPolicyTimeZone(std::string_view name);

}  // namespace coffer
