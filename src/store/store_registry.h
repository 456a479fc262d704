// Maps a repository location to a Store. A plain path (absolute or relative)
// or file:// URL is a local store; "memory:" an in-memory one (tests); other
// schemes: s3://, azure://, gs:// (cloud stores, each inside the retry
// decorator); http(s):// for coffer-server.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace coffer {

// InvalidArgument naming the scheme for an unknown or malformed location.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view location);

}  // namespace coffer
