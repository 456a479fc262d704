// Opening a store with an optional replica behind the mirror decorator.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace coffer::capi {

// The store at `location`; with a non-empty `mirror_location` a mirror
// store that writes to both and reads from the replica when the primary is
// down (store/mirror_store.h).
absl::StatusOr<std::unique_ptr<Store>> OpenRepoStore(const std::string& location,
                                                     const std::string& mirror_location);

}  // namespace coffer::capi
