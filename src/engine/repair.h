// repair: rebuilds the index from the packs themselves and rewrites
// snapshots that lost data.
//
// Under an exclusive lock, every pack is read whole; every blob its header
// lists is decrypted and verified, and only blobs that verify are indexed.
// Good blobs of a damaged pack are copied into a new pack and the damaged
// pack is deleted. New index objects replace all old ones. Then each
// snapshot whose trees or file contents are no longer fully available is
// rewritten: files with a missing blob and directories that cannot be read
// are left out and listed as lost in the new snapshot (tagged "repaired"),
// which replaces the damaged one. Everything still fully readable is kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace coffer {

struct RepairOptions {
  bool dry_run = false;
  ProgressFn progress;
};

struct RepairedSnapshot {
  Id old_id;
  Id new_id;  // zero in a dry run
  std::vector<std::string> lost;  // paths left out
};

struct RepairResult {
  uint64_t packs_read = 0, packs_damaged = 0, packs_salvaged = 0;
  uint64_t blobs_indexed = 0, blobs_damaged = 0;
  uint64_t index_objects_replaced = 0;
  uint64_t snapshots = 0;
  std::vector<RepairedSnapshot> repaired;
  std::vector<std::string> unreadable_snapshots;  // objects that could not be decrypted
  bool dry_run = false;
};

absl::StatusOr<RepairResult> RunRepair(Repository& repo, const RepairOptions& options);

}  // namespace coffer
