// Parses the C API's snapshot filter documents:
//   NULL or {"hosts": [..], "tags": [..], "paths": [..]} (+ "ids" for stats)
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/catalog.h"

namespace coffer::capi {

struct ParsedFilter {
  SnapshotFilter filter;
  std::vector<std::string> ids;  // snapshot ids or prefixes; only where allowed
};

// InvalidArgument naming `argument` and the problem for malformed JSON, a
// member of the wrong type, or an unknown member (so a typo is not silently
// an empty filter).
absl::StatusOr<ParsedFilter> ParseFilter(const char* json_text, const char* argument,
                                         bool allow_ids);

}  // namespace coffer::capi
