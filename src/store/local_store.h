// A store in a local directory: one file per object, written atomically
// (temporary file in the same directory, fsync, rename, fsync of the
// directory), so a crash never leaves a partial object under its final name.
// Temporary files (".tmp-*") are invisible to List and Stat.
#pragma once

#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace coffer {

// The directory need not exist yet: it is created on the first Put.
std::unique_ptr<Store> NewLocalStore(const std::filesystem::path& root);

}  // namespace coffer
