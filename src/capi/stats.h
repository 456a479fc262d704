// Statistics for the C API: the catalog's ComputeStats for a filter, or the
// same figures over an explicit list of snapshots ("ids").
#pragma once

#include "absl/status/statusor.h"
#include "capi/filter.h"
#include "catalog/catalog.h"

namespace coffer::capi {

absl::StatusOr<RepoStats> StatsFor(Repository& repo, const ParsedFilter& filter);

}  // namespace coffer::capi
