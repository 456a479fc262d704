// Restore: writes a snapshot (or parts of it) into a target directory with
// contents verified blob by blob and metadata (mode, owner, times, xattrs,
// symlinks, hardlinks, holes) reproduced.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace coffer {

struct RestoreOptions {
  std::string snapshot = "latest";    // "latest", an id or an id prefix
  std::filesystem::path target;       // created if missing
  // Paths inside the snapshot to restore ("/home/ann/docs"): each restores
  // with everything below it. Empty: the whole snapshot.
  std::vector<std::string> includes;
  std::vector<std::string> excludes;  // patterns (engine/pattern.h)
  // Without it, restore refuses (before writing anything) when a file it
  // would write exists already.
  bool overwrite = false;
  bool restore_owner = true;          // chown; only effective for root
  ProgressFn progress;
  WarningFn warning;
};

struct RestoreResult {
  Id snapshot;  // the snapshot restored ("latest" resolved)
  uint64_t files = 0, dirs = 0, symlinks = 0, other = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;  // metadata that could not be set (warnings)
  double duration_seconds = 0;
};

// Holds a shared repository lock while running, so a prune cannot delete
// packs under it.
absl::StatusOr<RestoreResult> RunRestore(Repository& repo, const RestoreOptions& options);

}  // namespace coffer
